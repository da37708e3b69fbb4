/**
 * A scripted stand-in for a clusnotify server: a `ws` WebSocketServer on a loopback port that
 * speaks the hello / welcome exchange and answers the calls a port makes, then sends what the
 * test scripts for each connection — so that a test can make the server send what a real one
 * never would (docs/protocol.md).
 */
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

/** A call the fake server received. */
export interface ReceivedCall {
  /** 1 for the first connection, 2 for the second, … */
  readonly connection: number;
  readonly m: string;
  readonly p: Record<string, unknown>;
}

/** What one connection's port gets once it is streamed (or for its gets, when polled). */
export interface Round {
  /** Well-formed indications: one `notify` frame, or the result of the first get. */
  readonly good: readonly unknown[];
  /**
   * Then this, raw: a frame's text, or bytes for a binary frame. A function makes it from the
   * port's handle on this connection; an array is several frames, sent in order. Leave out to
   * send nothing more.
   */
  readonly then?: RawFrame | readonly RawFrame[];
  /** With delivery 'poll': the result of the second get, as `notifications` (raw JSON value). */
  readonly secondGet?: unknown;
  /** The answer to a `getClusterState` call `id`, raw (default: none, the call waits). */
  readonly reply?: (id: number) => string;
}

/** A frame as the fake server sends it: text, bytes (a binary frame), or made from the port handle. */
export type RawFrame = string | Uint8Array | ((h: string) => string | Uint8Array);

export interface FakeServer {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Every call received, in order. */
  readonly calls: ReceivedCall[];
  close(): Promise<void>;
}

/** The welcome every connection gets (a streaming server, docs/protocol.md §1). */
export function welcomeFrame(): Record<string, unknown> {
  return {
    t: 'welcome',
    v: 1,
    session: 's',
    access: 'full',
    server: 'FAKE',
    cluster: { id: 'c-1', name: 'CLUSTER1' },
    revision: 0,
    limits: { maxFrameBytes: 1 << 20, maxPortsPerSession: 8, maxFiltersPerPort: 8, maxBatch: 64 },
    features: ['stream'],
  };
}

/**
 * Starts the fake server. Connection k (1-based) plays `rounds[k - 1]`; connections beyond the
 * script play `last`. `welcome` makes the welcome frame's text for connection k.
 */
export async function startFakeServer(options: {
  readonly rounds: readonly Round[];
  readonly last: Round;
  readonly welcome?: (connection: number) => string;
}): Promise<FakeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const calls: ReceivedCall[] = [];
  let connections = 0;
  wss.on('connection', (ws) => {
    const connection = ++connections;
    const round = options.rounds[connection - 1] ?? options.last;
    let gets = 0;
    const h = `port-${connection}`;
    ws.once('message', () => {
      ws.send(options.welcome?.(connection) ?? JSON.stringify(welcomeFrame()));
      ws.on('message', (d) => {
        const f = JSON.parse((d as Buffer).toString('utf8')) as {
          t: string;
          id?: number;
          m?: string;
          p?: Record<string, unknown>;
        };
        if (f.t !== 'call') return;
        const m = f.m ?? '';
        calls.push({ connection, m, p: f.p ?? {} });
        const result = (r: Record<string, unknown>): void => {
          ws.send(JSON.stringify({ t: 'result', id: f.id, r: { type: 'ok', status: 0, ...r } }));
        };
        switch (m) {
          case 'openCluster':
            return result({ handle: 'cluster' });
          case 'getServerInfo':
            return result({ revision: 0 });
          case 'createNotify':
          case 'createNotifyV2':
          case 'resumeNotify':
            return result({ handle: h, revision: 0 });
          case 'streamNotify':
            result({ window: f.p?.window ?? 4096 });
            ws.send(JSON.stringify({ t: 'notify', h, n: round.good, drained: true }));
            sendThen(ws, round, h);
            return;
          case 'getNotifyV2':
          case 'getNotifyAsync':
            gets++;
            if (gets === 1) return result({ notifications: round.good });
            if (gets === 2 && round.secondGet !== undefined)
              return result({ notifications: round.secondGet });
            if (gets === 2 && round.then !== undefined) return sendThen(ws, round, h);
            return; // parks, as a get with nothing to return
          case 'getClusterState':
            if (round.reply !== undefined) ws.send(round.reply(f.id ?? 0));
            return;
          default:
            return result({});
        }
      });
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/v1`,
    connections: () => connections,
    calls,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

function sendThen(ws: WebSocket, round: Round, h: string): void {
  const then = round.then;
  if (then === undefined) return;
  for (const frame of Array.isArray(then) ? (then as readonly RawFrame[]) : [then as RawFrame]) {
    const data = typeof frame === 'function' ? frame(h) : frame;
    ws.send(data, { binary: typeof data !== 'string' });
  }
}
