/**
 * The floors under clusnotify's server (`connection-floor.bench.ts`, `latency-floor.bench.ts`):
 * Node servers that do nothing of clusnotify's, over a bare TCP server (`net`) or a WebSocket
 * server set up as clusnotify's (`ws`: an HTTP server with `ws` on it, no per-message deflate).
 *
 * - `net`, `ws`: hold their connections and nothing more (memory per idle connection). Run with
 *   `--expose-gc` (the bin's flags), they collect the young generation once a second, as an idle
 *   `clusnotify serve` does (D50), so what the handshakes grew is given back here too.
 * - `net-relay`, `ws-relay`: relay a writer's calls to readers, the least a change-notification
 *   server can do per change. A connection's first message says what it is (`R` a reader, `W` a
 *   writer; on `net` a line each, newline-delimited). Each writer call `{"id":N}` is answered
 *   `{"id":N}` and then one frame `{"t":"notify","seq":N,"pad":"xx…"}` of about `FRAME_BYTES`
 *   (the third argument, default 1,000) is written to every reader.
 * - `ws-pubsub`: the floor under bench:peers (its system `node-relay`): a relay with
 *   bench:peers' workload and the coalescing a Node server gives itself. A connection's first
 *   message is `W` (the writer) or `R` (a watcher). A writer's message is a JSON array of calls
 *   `{"id":N,"p":"payload"}` (its client sends the calls of one turn together, as clusnotify's
 *   client batches them); each is answered `{"id":N}` and its payload goes to every watcher as
 *   a message of its own. What a turn writes to one socket leaves in one write: the socket is
 *   corked at its first frame of the turn and uncorked by a `setImmediate`. Nothing is
 *   checked, stored, filtered or bounded.
 *
 * Prints `listening PORT` once it accepts connections on 127.0.0.1.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { onLines } from './lines.js';

const kind = process.argv[2];
const FRAME_BYTES = Number(process.argv[3] ?? 1000);
const PAD = 'x'.repeat(Math.max(0, FRAME_BYTES - 40));

/** What a relay sends for the writer's call `text` (`{"id":N}`): the answer and the frame. */
function relayed(text: string): { answer: string; frame: string } {
  const { id } = JSON.parse(text) as { id: number };
  return { answer: `{"id":${id}}`, frame: `{"t":"notify","seq":${id},"pad":"${PAD}"}` };
}

let server: Server;
if (kind === 'net' || kind === 'net-relay') {
  const readers: Socket[] = [];
  server = createNetServer((socket) => {
    socket.on('error', () => undefined);
    if (kind === 'net') {
      socket.on('data', () => undefined);
      return;
    }
    socket.setNoDelay(true);
    let role: string | undefined;
    onLines(socket, (text) => {
      if (role === undefined) {
        role = text;
        if (role === 'R') readers.push(socket);
        return;
      }
      const { answer, frame } = relayed(text);
      socket.write(`${answer}\n`);
      const line = `${frame}\n`;
      for (const r of readers) r.write(line);
    });
  });
} else if (kind === 'ws' || kind === 'ws-relay') {
  const http = createHttpServer();
  server = http;
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const readers: WebSocket[] = [];
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    if (kind === 'ws') {
      ws.on('message', () => undefined);
      return;
    }
    let role: string | undefined;
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (role === undefined) {
        role = text;
        if (role === 'R') readers.push(ws);
        return;
      }
      const { answer, frame } = relayed(text);
      ws.send(answer);
      for (const r of readers) r.send(frame);
    });
  });
} else if (kind === 'ws-pubsub') {
  const http = createHttpServer();
  server = http;
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const readers = new Set<WebSocket>();
  wss.on('connection', (ws, request) => {
    const socket = request.socket;
    ws.on('error', () => undefined);
    let role: string | undefined;
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (role === undefined) {
        role = text;
        if (role === 'R') {
          readers.add(ws);
          ws.on('close', () => readers.delete(ws));
        }
        return;
      }
      const calls = JSON.parse(text) as { id: number; p: string }[];
      corkForTurn(socket);
      for (const { id, p } of calls) {
        ws.send(`{"id":${id}}`);
        for (const r of readers) {
          corkForTurn((r as unknown as { _socket: Socket })._socket);
          r.send(p);
        }
      }
    });
  });
} else {
  throw new Error(
    `floor-server: kind must be net, ws, net-relay, ws-relay or ws-pubsub (got ${String(kind)})`,
  );
}
/** Corks `socket` until the end of this event-loop turn, unless this turn already did. */
function corkForTurn(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  setImmediate(() => socket.uncork());
}

const gc = (globalThis as { gc?: (o: { type: 'minor' }) => void }).gc;
if (gc !== undefined && (kind === 'net' || kind === 'ws' || kind === 'ws-pubsub'))
  setInterval(() => gc({ type: 'minor' }), 1000).unref();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
