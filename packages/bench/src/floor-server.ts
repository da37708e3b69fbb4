/**
 * The floor under a server's memory per connection (`connection-floor.bench.ts`): a Node server
 * that only holds its connections, as a bare TCP server (`net`) or a WebSocket server the way
 * clusnotify's is set up (`ws`: an HTTP server with `ws` on it, no per-message deflate). Prints
 * `listening PORT` once it accepts connections on 127.0.0.1. Run with `--expose-gc` (the bin's
 * flags), it collects the young generation once a second, as an idle `clusnotify serve` does
 * (D50), so what the handshakes grew it to is given back here too.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
let server: Server;
if (kind === 'net') {
  server = createNetServer((socket) => {
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
} else if (kind === 'ws') {
  const http = createHttpServer();
  server = http;
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', () => undefined);
    ws.on('error', () => undefined);
  });
} else {
  throw new Error(`floor-server: kind must be net or ws (got ${String(kind)})`);
}
const gc = (globalThis as { gc?: (o: { type: 'minor' }) => void }).gc;
if (gc !== undefined) setInterval(() => gc({ type: 'minor' }), 1000).unref();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
