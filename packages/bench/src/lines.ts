import type { Socket } from 'node:net';

/**
 * Calls `line` with each newline-terminated line `socket` reads, without the newline (the
 * newline-delimited text of the `net` relays, `floor-server.ts` and `latency-floor.bench.ts`).
 */
export function onLines(socket: Socket, line: (text: string) => void): void {
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      line(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  });
}
