/**
 * The network server: the native protocol (docs/protocol.md) over WebSocket, with `/healthz`
 * and Prometheus `/metrics` on the same HTTP port. Every connection is one session; its first
 * frame authenticates it with a token. Calls map one to one onto {@link Session} methods.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import {
  CloseCode,
  DEFAULT_STREAM_WINDOW,
  WAITING_METHODS,
  WireFeature,
  WIRE_PATH,
  WIRE_VERSION,
  failure,
  parseClientFrame,
  parseParams,
} from '@clusnotify/protocol';
import type {
  BatchedFrame,
  CallFrame,
  ClientFrame,
  Failure,
  IndicationV1,
  IndicationV2,
  ServerFrame,
  WireLimits,
  WireMethod,
  WireParams,
  WireResult,
} from '@clusnotify/protocol';
import type { Command, PortReader, TakeResult } from '@clusnotify/core';
import type { ClusterService, Executed } from './cluster-service.js';
import { createMetrics } from './metrics.js';
import type { ServerMetrics } from './metrics.js';
import { asyncEntries } from './session.js';
import type { Session } from './session.js';
import { NotifyFrameEncoder, websocketTextFrame } from './notify-frame.js';
import type { GroupBatch } from './notify-frame.js';
import { loadStaticFiles } from './static-files.js';
import type { TokenStore } from './tokens.js';

/** Limits of a server (docs/protocol.md "Limits"). */
export interface ServerLimits extends WireLimits {
  readonly maxSessions: number;
  /**
   * Connections from one IP address at most, authenticated or not (0: no limit). One more is
   * refused with `CONNECTION_LIMIT` and closed (4003) at once, so that one host cannot take
   * every session, or hold sockets open without a hello up to the hello timeout.
   */
  readonly maxConnectionsPerAddress: number;
  readonly maxCallsInFlight: number;
  readonly helloTimeoutMs: number;
  /**
   * The server pings every connection this often; one that has not answered the previous ping
   * by the next is taken for dead (a half-open TCP connection) and terminated, which ends its
   * session and closes its ports. 0 turns pings off.
   */
  readonly pingIntervalMs: number;
}

/** Default limits. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxFrameBytes: 1 << 20,
  maxPortsPerSession: 256,
  maxFiltersPerPort: 4096,
  maxBatch: 4096,
  maxSessions: 1024,
  maxConnectionsPerAddress: 0,
  maxCallsInFlight: 1024,
  helloTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
};

/** Options of {@link startWsServer}. */
export interface WsServerOptions {
  readonly service: ClusterService;
  readonly tokens: TokenStore;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  readonly host?: string;
  /** TCP port (default 7600; 0 picks a free one). */
  readonly port?: number;
  /** Serve wss:// and https:// with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly limits?: Partial<ServerLimits>;
  /** Structured logger (default: silent). */
  readonly logger?: Logger;
  /** Name reported in the welcome frame (default: the first node's name). */
  readonly serverName?: string;
  /** Extra HTTP routes; return true when handled. Tried after `staticDir`. */
  readonly http?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Serve the files of this directory over HTTP, `/` being its `index.html` (the dashboard's
   * build). Read once at start (see {@link loadStaticFiles}); start fails if it cannot be read.
   */
  readonly staticDir?: string;
}

/** A running server. */
export interface WsServer {
  /** ws:// or wss:// URL of the protocol endpoint. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly metrics: ServerMetrics;
  /** Stops accepting, closes every connection (1001) and the listener; idempotent. */
  close(): Promise<void>;
}

/**
 * A send buffer above this pauses reading the connection and its streams; they go on once the
 * socket has sent everything it held (its 'drain').
 */
const SEND_HIGH_WATER = 8 << 20;

/**
 * Bytes a {@link sendDue} pass holds corked on one socket before it writes them and corks again:
 * a catch-up of many ports on one connection leaves in writes of about this size, not one
 * write at the end of the pass.
 */
const PASS_FLUSH_BYTES = 256 << 10;

/** Starts the server and resolves once it listens. */
export async function startWsServer(options: WsServerOptions): Promise<WsServer> {
  const { service, tokens } = options;
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger ?? pino({ level: 'silent' });
  const metrics = createMetrics(service);
  const host = options.host ?? '127.0.0.1';
  const serverName =
    options.serverName ?? [...service.state.nodes.values()][0]?.name ?? 'clusnotify';
  const staticFiles =
    options.staticDir === undefined ? undefined : await loadStaticFiles(options.staticDir);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'ok',
          revision: service.revision,
          sessions: service.sessionCount,
        }),
      );
      return;
    }
    if (req.method === 'GET' && url === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((e: unknown) => {
          log.error({ err: e }, 'metrics failed');
          res.writeHead(500).end();
        });
      return;
    }
    if (staticFiles?.(req, res) === true) return;
    if (options.http?.(req, res) === true) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  };
  const http: HttpServer = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(onRequest);
  // ws itself drops frames far over the limit; the handler answers those just over it. The
  // server keeps its own table of connections, so ws's (a set entry and a close listener per
  // connection) is off; so is permessage-deflate, whose zlib state per connection the
  // protocol's small JSON frames do not repay.
  const wss = new WebSocketServer({
    server: http,
    path: WIRE_PATH,
    maxPayload: limits.maxFrameBytes * 4,
    clientTracking: false,
    perMessageDeflate: false,
  });
  // Every open connection; its listeners below find their Connection here. They are made once
  // for the server, with `this` the WebSocket, so that a connection costs no closures.
  const connections = new Map<WebSocket, Connection>();
  const context: ConnectionContext = {
    service,
    tokens,
    limits,
    metrics,
    log,
    serverName,
    // One for the server: an event streamed to many connections is serialised once.
    encoder: new NotifyFrameEncoder(),
    binaryEncoder: new NotifyFrameEncoder(true),
    due: [],
  };
  let onEmpty: (() => void) | undefined;
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    connections.get(this)?.onMessage(data, isBinary);
  }
  function onError(this: WebSocket, e: Error): void {
    connections.get(this)?.onError(e);
  }
  const ignore = (): void => undefined;
  // Open connections by peer address, while there is a per-address limit.
  const perAddress = new Map<string, number>();
  function onClose(this: WebSocket): void {
    const conn = connections.get(this);
    if (conn === undefined) return;
    connections.delete(this);
    if (limits.maxConnectionsPerAddress > 0) {
      const left = (perAddress.get(conn.address) ?? 1) - 1;
      if (left > 0) perAddress.set(conn.address, left);
      else perAddress.delete(conn.address);
    }
    metrics.connections.dec();
    conn.closed();
    if (connections.size === 0) onEmpty?.();
  }

  wss.on('connection', (ws, req) => {
    const address = req.socket.remoteAddress ?? '';
    if (limits.maxConnectionsPerAddress > 0) {
      const open = perAddress.get(address) ?? 0;
      if (open >= limits.maxConnectionsPerAddress) {
        const f = failure(
          'CONNECTION_LIMIT',
          `the server holds ${limits.maxConnectionsPerAddress} connections from ${address}`,
        );
        // Whatever the peer sends before the close completes is not read; an error (a bad
        // frame, a reset) must not go unheard: an 'error' without a listener would throw.
        ws.on('error', ignore);
        ws.send(JSON.stringify(errorFrame(f)));
        ws.close(CloseCode.SESSION_LIMIT, f.code);
        log.info({ peer: address, code: f.code }, 'connection refused');
        return;
      }
      perAddress.set(address, open + 1);
    }
    connections.set(ws, new Connection(ws, req.socket, address, context));
    metrics.connections.inc();
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  });
  wss.on('error', (e) => log.error({ err: e }, 'websocket server error'));

  // A revoked token ends the sessions it opened (decisions D42), whichever process revoked it.
  const stopRevocations = tokens.onRevoked((ids) => {
    let ended = 0;
    for (const conn of connections.values()) if (conn.endIfRevoked(ids)) ended++;
    log.info({ tokens: ids, sessions: ended }, 'tokens revoked: their sessions were ended');
  });

  // Liveness: a connection that did not answer the last ping is gone without a close (a peer
  // that lost power, a dropped network path); terminating it frees its session and ports. One
  // timer for the server sweeps every connection. The answer is seen as bytes read from the
  // socket since the previous sweep: the pong, or any frame, shows the peer is there. That
  // spares each connection a pong listener (a WebSocket's fourth event name, which doubles its
  // listener table).
  const pinger =
    limits.pingIntervalMs > 0
      ? setInterval(() => {
          for (const [ws, conn] of connections) {
            if (!conn.answeredPing()) {
              log.info('no answer to ping: terminating the connection');
              metrics.deadPeers.inc();
              ws.terminate();
              continue;
            }
            ws.ping();
          }
        }, limits.pingIntervalMs)
      : undefined;
  pinger?.unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 7600, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const scheme = options.tls ? 'wss' : 'ws';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  log.info({ host, port, tls: options.tls !== undefined }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    url: `${scheme}://${hostPart}:${port}${WIRE_PATH}`,
    host,
    port,
    metrics,
    close() {
      clearInterval(pinger);
      stopRevocations();
      closing ??= (async () => {
        // Stop accepting first, so that clients reconnecting during shutdown go elsewhere. The
        // WebSocket server's own close completes once its clients are gone, so it is awaited last.
        const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        const wssClosed = new Promise<void>((resolve) => wss.close(() => resolve()));
        // Resolves once every connection has ended (its close event ran, its session closed).
        const ended = new Promise<void>((resolve) => {
          onEmpty = resolve;
          if (connections.size === 0) resolve();
        });
        for (const ws of connections.keys()) ws.close(CloseCode.GOING_AWAY, 'server shutting down');
        const deadline = Date.now() + 2000;
        while (connections.size > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        // A terminated connection's close event follows its socket's, in a few turns at most.
        for (const ws of connections.keys()) ws.terminate();
        http.closeAllConnections();
        await Promise.all([wssClosed, listenerClosed, ended]);
      })();
      return closing;
    },
  };
}

/**
 * Most indications in one `notify` frame. A port with more queued sends several frames in the
 * same turn: frames of a few hundred indications are strings the young generation holds and
 * frees, where one of 4,096 (over a megabyte) went to the large-object space and cost a full
 * collection to free.
 */
const STREAM_FRAME_INDICATIONS = 256;

/**
 * Where a stream is: sending (`running`), waiting on the port with a parked read (`parked`),
 * waiting for credit or for the send buffer to drain (`held`), or over (`ended`).
 */
type StreamState = 'running' | 'parked' | 'held' | 'ended';

/** The `encoding` of a stream (docs/protocol.md "Streams", §5). */
type StreamEncoding = 'json' | 'binary' | 'grouped';

/**
 * Most indications a connection's grouped frame takes before it is written: past this the
 * pass writes it and starts another (a grouped frame is otherwise written at the end of the
 * pass, see {@link sendDue}).
 */
const GROUP_FLUSH_INDICATIONS = 8192;

/**
 * Whether a {@link sendDue} pass runs: a grouped stream's batch is then held for its
 * connection's grouped frame, which `Connection.sendPass` writes once that connection's streams
 * have sent.
 */
let inPass = false;

/**
 * A port this connection streams (docs/protocol.md "Streams"): its indications go out in
 * `notify` frames while the client has credit; each `ack` frame gives credit back. While the
 * port is empty the stream itself is the read parked on it (no promise, no async frame: an
 * idle streamed port is what a server holds thousands of).
 */
class PortStream implements PortReader {
  state: StreamState = 'running';
  /** Indications the server may still send before the next ack. */
  credit: number;
  /** Most indications the parked read takes (set as it parks). */
  max = 1;

  constructor(
    readonly connection: Connection,
    readonly handle: string,
    readonly version: 1 | 2,
    /** Most indications unacknowledged at once. */
    readonly window: number,
    /**
     * How batches go: JSON text, binary frames (a version-2 port that asked, D53), or binary
     * frames grouped with the connection's other grouped streams (D55).
     */
    readonly encoding: StreamEncoding,
    /** Whether its kind-1 binary frames may hold repeat entries (the stream asked, D60). */
    readonly repeat: boolean,
  ) {
    this.credit = window;
  }

  /** What the parked read took, until the stream goes on with it. */
  taken: TakeResult | undefined;

  /**
   * The parked read completed. The engine calls this during a publish, unblock or close; the
   * stream goes on at the end of the event-loop turn, with every stream woken in it (one
   * `setImmediate` for the server). What later commits of the same turn queue on the port then
   * leaves in the same frame: under load a connection gets one frame and one write per turn
   * instead of one per commit (docs/benchmarks.md, "streams sent on at the end of the turn").
   */
  complete(result: TakeResult): void {
    this.taken = result;
    const due = this.connection.context.due;
    if (due.push(this) === 1) setImmediate(sendDue, due);
  }
}

/**
 * Results a turn's result cork holds before it lets them go and corks again (see `sendText`):
 * a caller with many calls in flight gets the first answers while the server still handles the
 * rest, and sends its next calls meanwhile, instead of the two taking turns (docs/benchmarks.md,
 * "Results let go every 16").
 */
const RESULT_FLUSH = 16;

/** Numbers the passes of {@link sendDue}, so that a connection knows it already sent in one. */
let sendPass = 0;

/**
 * Sends on every stream in `due` (see {@link PortStream.complete}): connection by connection, in
 * the order their first streams woke, and each connection's streams in the order they woke. A
 * connection's first frame of the pass is written at once; when a second stream of the same
 * connection sends in the pass, its socket is corked until that connection's streams have sent,
 * so a connection streaming many ports (watchers sharing one connection) gets one write per pass
 * instead of a system call per port (docs/benchmarks.md, "Watchers sharing a connection", the
 * pass cork). A connection's grouped frame (D55) and corked bytes leave as soon as its last
 * stream has sent, while the pass goes on with the next connection's: its client reads them
 * while the server still encodes the others' (docs/benchmarks.md, "Connection by connection").
 */
function sendDue(due: PortStream[]): void {
  // Streams woken while these send (a take that lets a catch-up publish) wait for the next turn.
  const now = due.splice(0, due.length);
  const pass = ++sendPass;
  const connections: Connection[] = [];
  for (const st of now) {
    const c = st.connection;
    if (c.sentInPass !== pass) {
      c.sentInPass = pass;
      c.dueInPass.length = 0;
      connections.push(c);
    }
    c.dueInPass.push(st);
  }
  inPass = true;
  try {
    for (const c of connections) c.sendPass();
  } finally {
    inPass = false;
  }
}

/**
 * A successful `getNotifyV2` as `invoke` returns it: the indications themselves, which `call`
 * writes with the frame encoder (each event serialised once) instead of `JSON.stringify`.
 */
interface EncodedGet {
  readonly type: 'ok';
  readonly status: 0;
  readonly encodeV2: readonly IndicationV2[];
}

/** The connection-level `error` frame of `f` (docs/protocol.md "Frames"). */
function errorFrame(f: Failure): ServerFrame {
  return { t: 'error', code: f.code, status: f.status, message: f.message };
}

/** Ends the cork a call's result put on `socket` for the rest of the turn (see `sendText`). */
function uncork(socket: Socket): void {
  socket.uncork();
}

/** What every connection of a server shares (one object, so a connection holds one pointer). */
interface ConnectionContext {
  readonly service: ClusterService;
  readonly tokens: TokenStore;
  readonly limits: ServerLimits;
  readonly metrics: ServerMetrics;
  /** The server's logger; a connection adds its peer to each line it logs. */
  readonly log: Logger;
  readonly serverName: string;
  readonly encoder: NotifyFrameEncoder;
  /** The same for streams that asked for binary frames (D53). */
  readonly binaryEncoder: NotifyFrameEncoder;
  /** Streams whose parked read completed this turn, sent on by one `setImmediate` (see {@link PortStream.complete}). */
  readonly due: PortStream[];
}

/**
 * One WebSocket connection and the session it authenticated.
 *
 * A server holds thousands of these idle, so what one keeps is kept small: per-call and
 * per-stream tables exist only while in use, the hello timer is dropped once the hello came,
 * listeners and the ping timer belong to the server, and the peer's address is read only for a
 * log line (docs/benchmarks.md, "server memory per idle watcher").
 */
class Connection {
  /** Bytes read from the socket at the last ping; -1 before the first. */
  private readAtPing = -1;
  private session: Session | undefined;
  /** Calls in flight by id, with the controller of a waiting one; undefined when none. */
  private inflight: Map<number, AbortController | undefined> | undefined;
  /**
   * Streamed ports: none, the one (most connections stream one port; a Map of one entry
   * costs ~200 B), or a Map by handle from the second on.
   */
  private streams: PortStream | Map<string, PortStream> | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  /** `address:port` of the peer, read as the connection starts (a closed socket has none). */
  private readonly peer: string;
  private paused = false;
  private ended = false;
  /** The last {@link sendDue} pass this connection's streams sent in (0: none yet). */
  sentInPass = 0;
  /** This connection's streams due in that pass, in the order they woke. */
  readonly dueInPass: PortStream[] = [];
  /** Whether this connection's socket is corked by the current {@link sendDue} pass. */
  private passCorked = false;
  /** Results written under this turn's result cork since it began or was last let go. */
  private corkedResults = 0;
  /**
   * Batches of this connection's grouped streams held for the pass's grouped frame (D55), and
   * how many indications they hold.
   */
  private group: GroupBatch[] | undefined;
  private groupIndications = 0;
  /**
   * Frames (data, isBinary, …) waiting for the one handled before them (see `onMessage`);
   * undefined when none is being handled.
   */
  private backlog: (RawData | boolean)[] | undefined;
  /**
   * The frames of a batch message not handled yet, and where the next one is (D54): they are
   * handled one per microtask, like frames that came alone, before the backlog goes on.
   */
  private batch: { readonly frames: readonly BatchedFrame[]; next: number } | undefined;
  /** Id of the token the session authenticated with (set at hello). */
  private tokenId: string | undefined;

  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws`, for the peer's address in log lines and corking (`sendText`). */
    private readonly socket: Socket,
    /** The peer's IP address ('' when the socket had none). */
    readonly address: string,
    readonly context: ConnectionContext,
  ) {
    this.peer = `${address || '?'}:${String(socket.remotePort ?? '?')}`;
    this.helloTimer = setTimeout(() => {
      this.refuse('MALFORMED_FRAME', 'no hello within the time limit', CloseCode.HELLO_TIMEOUT);
    }, context.limits.helloTimeoutMs);
  }

  /** The connection ended: abort parked calls, end the session (its ports close, §3.1.6). */
  closed(): void {
    this.ended = true;
    this.clearHelloTimer();
    const inflight = this.inflight;
    this.inflight = undefined;
    if (inflight !== undefined) for (const c of inflight.values()) c?.abort();
    for (const st of this.allStreams()) this.endStream(st);
    this.session?.close();
  }

  /**
   * Whether anything came from the peer since the previous call (the first call: true), which
   * the server makes as it pings: the pong of the previous ping, or any frame, counts.
   */
  answeredPing(): boolean {
    const read = this.socket.bytesRead;
    if (read === this.readAtPing) return false;
    this.readAtPing = read;
    return true;
  }

  /**
   * Ends the connection, as a refused hello would be (an AUTH_FAILED error frame, close 4001),
   * if its session authenticated with one of the tokens `ids`, which were revoked (D42); its
   * ports close with the session when the socket has closed. Whether it did.
   */
  endIfRevoked(ids: readonly string[]): boolean {
    if (this.ended || this.tokenId === undefined || !ids.includes(this.tokenId)) return false;
    this.refuse(
      'AUTH_FAILED',
      `the token of this session (${this.tokenId}) was revoked`,
      CloseCode.AUTH_FAILED,
    );
    return true;
  }

  onError(e: Error): void {
    this.logAt('debug', { err: e }, 'connection error');
  }

  /**
   * Logs a line with the peer's address first, as a child logger bound to it would, without
   * keeping such a child per connection.
   */
  private logAt(level: 'debug' | 'info' | 'error', fields: object, message: string): void {
    const log = this.context.log;
    if (!log.isLevelEnabled(level)) return;
    log[level]({ peer: this.peer, ...fields }, message);
  }

  private clearHelloTimer(): void {
    if (this.helloTimer === undefined) return;
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private send(frame: ServerFrame, result = false): void {
    this.sendText(JSON.stringify(frame), result);
  }

  /**
   * Sends one frame: `text`, or a whole WebSocket frame the encoder made. A call's `result`
   * corks the socket until the end of the event-loop turn, so the results of pipelined calls
   * (and what else the turn sends) leave in one write instead of one system call each; every
   * {@link RESULT_FLUSH} results the cork lets go of what it holds and corks again. Notify
   * frames alone do not cork: measured, holding them to the end of the turn slowed a writer whose
   * commits fan out to 100 streamed connections by about a fifth (docs/benchmarks.md).
   *
   * The frame goes to the socket in one write of one buffer, header and payload together: ws's
   * sender would write them as two buffers, with a `writev`, an options object and a callback
   * per frame. Frames still leave in call order with ws's own (pings, close): without
   * per-message deflate and without Blob data, ws writes each frame at once too.
   */
  private sendText(text: string | Buffer, result = false): void {
    // Whatever this connection sends goes after the batches its grouped frame holds.
    if (this.group !== undefined) this.flushGroup();
    const socket = this.socket;
    if (this.ended || this.ws.readyState !== this.ws.OPEN || socket.destroyed) return;
    // A cork seen here is this turn's own (ws corks only within one send).
    if (result && socket.writableCorked === 0) {
      socket.cork();
      setImmediate(uncork, socket);
      this.corkedResults = 0;
    }
    socket.write(typeof text === 'string' ? websocketTextFrame(text) : text);
    if (
      result &&
      ++this.corkedResults >= RESULT_FLUSH &&
      !this.passCorked &&
      socket.writableCorked === 1
    ) {
      // Only this turn's result cork holds the socket: let what it holds go.
      socket.uncork();
      socket.cork();
      this.corkedResults = 0;
    }
    if (this.passCorked && socket.writableLength >= PASS_FLUSH_BYTES) {
      socket.uncork();
      socket.cork();
    }
    if (!this.paused && this.ws.bufferedAmount > SEND_HIGH_WATER) {
      // The socket said to wait long before this: it emits 'drain' once it has sent it all.
      this.paused = true;
      this.ws.pause();
      socket.once('drain', () => {
        this.drained();
      });
    }
  }

  /** The send buffer drained after a pause: read the connection and send its streams again. */
  private drained(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws.resume();
    for (const st of this.allStreams()) this.resume(st);
  }

  /**
   * Corks the socket for the rest of a {@link sendDue} pass; false when it is corked already
   * (by this pass, or by a call's result until the end of the turn) or cannot be written.
   */
  corkForPass(): boolean {
    const socket = this.socket;
    if (this.passCorked || this.ended || socket.destroyed || socket.writableCorked > 0)
      return false;
    socket.cork();
    this.passCorked = true;
    return true;
  }

  /**
   * Writes the batches held for this pass's grouped frame (D55): one binary frame, each event's
   * bytes once; a lone batch as its own binary frame; batches UTF-8 cannot carry one by one.
   */
  flushGroup(): void {
    const group = this.group;
    if (group === undefined) return;
    this.group = undefined;
    this.groupIndications = 0;
    const frame =
      group.length === 1
        ? undefined
        : this.context.binaryEncoder.groupFrame(group, this.sendsAtOnce());
    if (frame !== undefined) {
      this.sendText(frame);
      return;
    }
    for (const b of group)
      this.sendText(this.batchFrame(b.h, b.list, b.drained, true, b.repeat === true));
  }

  /**
   * The frame of one port's version-2 batch: binary when asked and UTF-8 carries it (with repeat
   * entries when `repeat`, D60), else JSON.
   */
  private batchFrame(
    h: string,
    list: readonly IndicationV2[],
    drained: boolean,
    binary: boolean,
    repeat: boolean,
  ): Buffer {
    const { encoder, binaryEncoder } = this.context;
    const shared = this.sendsAtOnce();
    return (
      (binary ? binaryEncoder.binaryFrameV2(h, list, drained, shared, repeat) : undefined) ??
      encoder.frameV2(h, list, drained, shared)
    );
  }

  /**
   * Whether this connection's socket holds nothing unsent, so that a frame written to it now
   * leaves at once or at the end of the pass: then the frame may be cut from a block shared
   * with other frames (the encoder's `shared`), which a stalled socket would keep.
   */
  private sendsAtOnce(): boolean {
    return this.socket.writableLength === 0;
  }

  /** Holds a grouped stream's batch for the pass's grouped frame (see {@link flushGroup}). */
  private addToGroup(b: GroupBatch): void {
    (this.group ??= []).push(b);
    this.groupIndications += b.list.length;
    if (this.groupIndications >= GROUP_FLUSH_INDICATIONS) this.flushGroup();
  }

  /**
   * Sends on this connection's streams due in the current {@link sendDue} pass, then writes what
   * the pass held for it: its grouped frame, and the bytes corked from its second frame on.
   */
  sendPass(): void {
    const list = this.dueInPass;
    let sent = 0;
    try {
      for (const st of list) {
        const r = st.taken;
        st.taken = undefined;
        if (r === undefined) continue;
        if (sent++ === 1) this.corkForPass();
        this.streamRead(st, r);
      }
    } finally {
      list.length = 0;
      this.flushGroup();
      this.uncorkPass();
    }
  }

  /** Writes what the pass held back (see {@link corkForPass}). */
  uncorkPass(): void {
    if (!this.passCorked) return;
    this.passCorked = false;
    this.socket.uncork();
  }

  /** Sends a coded error and closes the connection. */
  private refuse(
    code: 'MALFORMED_FRAME' | 'FRAME_TOO_LARGE' | 'AUTH_FAILED' | 'SESSION_LIMIT',
    message: string,
    close: number,
  ): void {
    if (code === 'MALFORMED_FRAME' || code === 'FRAME_TOO_LARGE')
      this.context.metrics.malformed.inc();
    const f = failure(code, message);
    this.send(errorFrame(f));
    this.logAt('info', { code, message }, 'closing connection');
    this.ws.close(close, code);
    this.ended = true;
  }

  /**
   * A frame from the peer. Frames that arrive together (one read of the socket: a client's
   * pipelined calls) are handled one per microtask, in order, each after what the one before
   * started has run as far as it could without I/O. Handled all at once, 64 pipelined commands
   * kept each other's states, commits and events alive through the young generation's
   * collections (measured before commands of one turn shared a commit, D45; docs/benchmarks.md,
   * "pipelined frames one per microtask"). The frames of a batch message (D54) are handled the
   * same way, one per microtask, before the message after it.
   */
  onMessage(data: RawData, isBinary: boolean): void {
    if (this.ended) return;
    if (this.backlog !== undefined) {
      this.backlog.push(data, isBinary);
      return;
    }
    this.handle(data, isBinary);
    this.backlog = [];
    queueMicrotask(() => {
      this.drainBacklog();
    });
  }

  /**
   * Handles the next frame — of the batch being handled, else of the backlog — and comes back
   * in a microtask while frames wait.
   */
  private drainBacklog(): void {
    const backlog = this.backlog;
    if (backlog === undefined) return;
    const batch = this.batch;
    if ((backlog.length === 0 && batch === undefined) || this.ended) {
      this.backlog = undefined;
      this.batch = undefined;
      return;
    }
    try {
      if (batch !== undefined) {
        const f = batch.frames[batch.next++] as BatchedFrame;
        if (batch.next === batch.frames.length) this.batch = undefined;
        this.dispatch(f);
      } else {
        const data = backlog.shift() as RawData;
        const isBinary = backlog.shift() as boolean;
        this.handle(data, isBinary);
      }
    } finally {
      // Whatever that frame did, the ones behind it are not left waiting.
      queueMicrotask(() => {
        this.drainBacklog();
      });
    }
  }

  private handle(data: RawData, isBinary: boolean): void {
    if (this.ended) return;
    const { limits } = this.context;
    if (isBinary)
      return this.refuse(
        'MALFORMED_FRAME',
        'binary frames are not part of the protocol',
        CloseCode.MALFORMED_FRAME,
      );
    // Text frames arrive as one Buffer (ws's default binary type); `Buffer.from` of a Buffer copies.
    const buf = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (buf.length > limits.maxFrameBytes) {
      return this.refuse(
        'FRAME_TOO_LARGE',
        `frames hold at most ${limits.maxFrameBytes} bytes, got ${buf.length}`,
        CloseCode.FRAME_TOO_LARGE,
      );
    }
    const f = parseClientFrame(buf.toString('utf8'));
    if ('malformed' in f)
      return this.refuse('MALFORMED_FRAME', f.malformed, CloseCode.MALFORMED_FRAME);
    if (f.t !== 'batch') return this.dispatch(f);
    if (this.session === undefined)
      return this.refuse('MALFORMED_FRAME', 'a batch before hello', CloseCode.MALFORMED_FRAME);
    // The first frame now, the others one per microtask (see `onMessage`).
    if (f.frames.length > 1) this.batch = { frames: f.frames, next: 1 };
    this.dispatch(f.frames[0] as BatchedFrame);
  }

  /** Handles one well-formed frame, alone or from a batch. */
  private dispatch(f: ClientFrame): void {
    if (this.ended) return;
    const { limits, service } = this.context;
    switch (f.t) {
      case 'hello': {
        if (this.session !== undefined)
          return this.refuse('MALFORMED_FRAME', 'a second hello', CloseCode.MALFORMED_FRAME);
        if (f.v !== WIRE_VERSION)
          return this.refuse(
            'MALFORMED_FRAME',
            `protocol version ${f.v} is not served (${WIRE_VERSION} is)`,
            CloseCode.MALFORMED_FRAME,
          );
        const token = this.context.tokens.identify(f.token);
        if (token === undefined)
          return this.refuse('AUTH_FAILED', 'unknown token', CloseCode.AUTH_FAILED);
        const access = token.access;
        if (service.sessionCount >= limits.maxSessions) {
          return this.refuse(
            'SESSION_LIMIT',
            `the server holds ${limits.maxSessions} sessions`,
            CloseCode.SESSION_LIMIT,
          );
        }
        this.clearHelloTimer();
        this.tokenId = token.id;
        this.session = service.openSession(access, f.client ?? '');
        this.logAt('info', { access, client: f.client }, 'session opened');
        const { maxFrameBytes, maxPortsPerSession, maxFiltersPerPort, maxBatch } = limits;
        this.send({
          t: 'welcome',
          v: WIRE_VERSION,
          session: this.session.id,
          access,
          server: this.context.serverName,
          cluster: { id: service.state.cluster.id, name: service.state.cluster.name },
          revision: service.revision,
          limits: { maxFrameBytes, maxPortsPerSession, maxFiltersPerPort, maxBatch },
          features: [
            WireFeature.STREAM,
            WireFeature.BINARY_NOTIFY,
            WireFeature.BATCH,
            WireFeature.GROUPED_NOTIFY,
            WireFeature.BINARY_REPEAT,
          ],
        });
        return;
      }
      case 'call':
        if (this.session === undefined)
          return this.refuse('MALFORMED_FRAME', 'a call before hello', CloseCode.MALFORMED_FRAME);
        void this.call(this.session, f);
        return;
      case 'cancel':
        if (this.session === undefined)
          return this.refuse('MALFORMED_FRAME', 'a cancel before hello', CloseCode.MALFORMED_FRAME);
        this.inflight?.get(f.id)?.abort();
        return;
      case 'ack': {
        if (this.session === undefined)
          return this.refuse('MALFORMED_FRAME', 'an ack before hello', CloseCode.MALFORMED_FRAME);
        // An ack for a stream that ended (the port closed meanwhile) is ignored.
        const st = this.stream(f.h);
        if (st !== undefined) {
          // Credit never exceeds the window, whatever the client claims.
          st.credit = Math.min(st.window, st.credit + f.n);
          this.resume(st);
        }
        return;
      }
    }
  }

  /**
   * Moves a streamed port on (docs/protocol.md "Streams"): while the client has credit and the
   * send buffer is below its high-water mark, takes what the port holds and sends it as one
   * `notify` frame; then parks the stream on the empty port (the read comes back through
   * {@link streamRead}) or holds it until an ack or a drained send buffer. Ends — with a last
   * frame carrying the get result — when the port is unblocked or closed, and silently with
   * the connection.
   */
  private pump(st: PortStream): void {
    const session = this.session;
    if (session === undefined) return;
    while (st.state === 'running') {
      if (st.credit === 0 || this.paused) {
        st.state = 'held';
        return;
      }
      st.max = this.frameRoom(st);
      const r = session.takeOrPark(st.handle, st);
      if (r === undefined) {
        st.state = 'parked';
        return;
      }
      this.sendStreamed(st, r);
    }
  }

  /** The read `st` parked completed with `r` (ignored when the stream ended meanwhile). */
  streamRead(st: PortStream, r: TakeResult): void {
    if (st.state !== 'parked') return;
    st.state = 'running';
    this.sendStreamed(st, this.withQueued(st, r));
    this.pump(st);
  }

  /**
   * `r`, a read that completed earlier in the turn, with what the port queued since added as
   * far as one frame and the client's credit allow: the turn's commits leave in one frame.
   */
  private withQueued(st: PortStream, r: TakeResult): TakeResult {
    const session = this.session;
    if (r.type !== 'indications' || session === undefined || this.paused) return r;
    const room = this.frameRoom(st) - r.indications.length;
    if (room <= 0 || this.context.service.engine.queuedOn(st.handle) === 0) return r;
    st.max = room;
    // The port holds indications, so this takes them and parks nothing.
    const more = session.takeOrPark(st.handle, st);
    if (more?.type !== 'indications') return r;
    const all = r.indications;
    for (const i of more.indications) all.push(i);
    return r;
  }

  /** Most indications the next frame of `st` may carry: its credit, within the batch bounds. */
  private frameRoom(st: PortStream): number {
    return Math.min(st.credit, this.context.limits.maxBatch, STREAM_FRAME_INDICATIONS);
  }

  /** Goes on with a stream held for credit or for the send buffer. */
  private resume(st: PortStream): void {
    if (st.state !== 'held') return;
    st.state = 'running';
    this.pump(st);
  }

  /** Sends what a read of the stream took; anything but indications ends the stream. */
  private sendStreamed(st: PortStream, r: TakeResult): void {
    if (r.type !== 'indications') {
      this.send({ t: 'notify', h: st.handle, n: [], drained: true, end: r });
      this.endStream(st);
      return;
    }
    st.credit -= r.indications.length;
    const drained = this.context.service.engine.queuedOn(st.handle) === 0;
    if (st.version === 2) {
      const n = r.indications as IndicationV2[];
      // Within a pass, a connection streaming several ports groups their batches (D55).
      if (st.encoding === 'grouped' && inPass && this.streams instanceof Map) {
        this.addToGroup({ h: st.handle, list: n, drained, repeat: st.repeat });
        return;
      }
      this.sendText(this.batchFrame(st.handle, n, drained, st.encoding !== 'json', st.repeat));
    } else {
      const n = asyncEntries(r.indications as IndicationV1[]);
      this.send({ t: 'notify', h: st.handle, n, drained });
    }
  }

  private endStream(st: PortStream): void {
    if (st.state === 'parked') this.session?.unpark(st.handle, st);
    this.session?.markStreamed(st.handle, false);
    st.state = 'ended';
    const streams = this.streams;
    if (streams === st) this.streams = undefined;
    else if (streams instanceof Map && streams.get(st.handle) === st) {
      streams.delete(st.handle);
      if (streams.size === 1) this.streams = streams.values().next().value;
    }
  }

  /** The stream of port `handle`, if this connection streams it. */
  private stream(handle: string): PortStream | undefined {
    const streams = this.streams;
    if (streams instanceof PortStream) return streams.handle === handle ? streams : undefined;
    return streams?.get(handle);
  }

  /** Every stream of this connection, as a copy (the loops over it may end streams). */
  private allStreams(): PortStream[] {
    const streams = this.streams;
    if (streams === undefined) return [];
    return streams instanceof PortStream ? [streams] : [...streams.values()];
  }

  private addStream(st: PortStream): void {
    const streams = this.streams;
    if (streams === undefined) this.streams = st;
    else if (streams instanceof PortStream)
      this.streams = new Map([
        [streams.handle, streams],
        [st.handle, st],
      ]);
    else streams.set(st.handle, st);
  }

  /** A failure when `hNotify` is streamed: gets on it are refused. */
  private streaming(hNotify: string): WireResult | undefined {
    return this.stream(hNotify) !== undefined
      ? failure('PORT_STREAMING', `port ${hNotify} is streamed to this connection`)
      : undefined;
  }

  private async call(session: Session, f: CallFrame): Promise<void> {
    const { limits, metrics } = this.context;
    const inflight = (this.inflight ??= new Map<number, AbortController | undefined>());
    if (inflight.has(f.id)) {
      this.send({
        t: 'result',
        id: f.id,
        r: failure('INVALID_ARGUMENT', `call id ${f.id} is already in flight`),
      });
      return;
    }
    if (inflight.size >= limits.maxCallsInFlight) {
      this.send({
        t: 'result',
        id: f.id,
        r: failure('CALL_LIMIT', `at most ${limits.maxCallsInFlight} calls in flight`),
      });
      return;
    }
    const parsed = parseParams(f.m, f.p);
    if (!parsed.ok) {
      this.dropInflightIfEmpty(inflight);
      metrics.countCall('invalid', 'error');
      this.send({ t: 'result', id: f.id, r: failure('INVALID_ARGUMENT', parsed.message) });
      return;
    }
    const controller = WAITING_METHODS.has(parsed.method) ? new AbortController() : undefined;
    inflight.set(f.id, controller);
    let r: WireResult;
    const started = performance.now();
    try {
      r = await this.invoke(session, parsed.method, parsed.params, controller?.signal);
    } catch (e) {
      if (controller?.signal.aborted === true) r = { type: 'cancelled', status: 1 };
      else {
        this.logAt('error', { err: e, method: parsed.method }, 'call failed');
        r = failure('INTERNAL', 'internal error; see the server log');
      }
    }
    /** A commit's answer without its change records (see {@link resultWithoutChanges}). */
    let text: string | undefined;
    if (MUTATIONS.has(parsed.method) && r.type === 'ok') {
      metrics.commitSeconds.observe((performance.now() - started) / 1000);
      if (!wantsChanges(parsed) && 'changes' in r) text = resultWithoutChanges(f.id, r as Executed);
    }
    inflight.delete(f.id);
    this.dropInflightIfEmpty(inflight);
    metrics.countCall(parsed.method, r.type);
    const encode = (r as Partial<EncodedGet>).encodeV2;
    if (encode !== undefined) this.sendText(this.context.encoder.resultV2(f.id, encode), true);
    else if (text !== undefined) this.sendText(text, true);
    else this.send({ t: 'result', id: f.id, r }, true);
    // After the result, so the client hears of the stream before its first notify frame.
    if (parsed.method === 'streamNotify' && r.type === 'ok') {
      const st = this.stream((parsed.params as WireParams<'streamNotify'>).hNotify);
      if (st !== undefined) this.pump(st);
    }
  }

  /** Lets an idle connection's call table go (it is made again by the next call). */
  private dropInflightIfEmpty(inflight: Map<number, AbortController | undefined>): void {
    if (inflight.size === 0 && this.inflight === inflight) this.inflight = undefined;
  }

  private portLimit(session: Session): WireResult | undefined {
    const max = this.context.limits.maxPortsPerSession;
    return session.portCount >= max
      ? failure('PORT_LIMIT', `a session holds at most ${max} ports`)
      : undefined;
  }

  /** Runs one method on the session; every result is a plain JSON value. */
  private async invoke(
    s: Session,
    m: WireMethod,
    params: unknown,
    signal: AbortSignal | undefined,
  ): Promise<WireResult> {
    const maxBatch = this.context.limits.maxBatch;
    const batch = (max: number | undefined): number => Math.min(max ?? 1024, maxBatch);
    // The method name only selects the parameter type; `params` was validated against it.
    const P = <M extends WireMethod>(_method: M): WireParams<M> => params as WireParams<M>;
    // A streamed port takes no gets (docs/protocol.md "Streams"): every waiting method names it.
    if (WAITING_METHODS.has(m)) {
      const streamed = this.streaming((params as { hNotify: string }).hNotify);
      if (streamed !== undefined) return streamed;
    }
    switch (m) {
      case 'openCluster':
        return s.openCluster();
      case 'closeCluster':
        return s.closeCluster(P(m).handle);
      case 'openNode':
        return s.openNode(P(m).name);
      case 'openGroup':
        return s.openGroup(P(m).name);
      case 'openResource':
        return s.openResource(P(m).name);
      case 'openNetwork':
        return s.openNetwork(P(m).name);
      case 'openNetInterface':
        return s.openNetInterface(P(m).name);
      case 'closeNode':
        return s.closeNode(P(m).handle);
      case 'closeGroup':
        return s.closeGroup(P(m).handle);
      case 'closeResource':
        return s.closeResource(P(m).handle);
      case 'closeNetwork':
        return s.closeNetwork(P(m).handle);
      case 'closeNetInterface':
        return s.closeNetInterface(P(m).handle);
      case 'getRootKey':
        return s.getRootKey(P(m).hCluster);
      case 'openKey':
        return s.openKey(P(m).hKey, P(m).subKey);
      case 'closeKey':
        return s.closeKey(P(m).handle);
      case 'createNotify':
        return this.portLimit(s) ?? s.createNotify();
      case 'createNotifyV2':
        return this.portLimit(s) ?? s.createNotifyV2();
      case 'addNotifyCluster': {
        const p = P(m);
        return s.addNotifyCluster(p.hNotify, p.hCluster, p.filter, p.notifyKey);
      }
      case 'addNotifyNode':
      case 'addNotifyGroup':
      case 'addNotifyResource':
      case 'addNotifyNetwork':
      case 'addNotifyNetInterface': {
        const p = P(m);
        return s[m](p.hNotify, p.hObject, p.filter, p.notifyKey);
      }
      case 'reAddNotifyNode':
      case 'reAddNotifyGroup':
      case 'reAddNotifyResource':
      case 'reAddNotifyNetwork':
      case 'reAddNotifyNetInterface': {
        const p = P(m);
        return s[m](p.hNotify, p.hObject, p.filter, p.notifyKey, p.stateSequence);
      }
      case 'addNotifyKey': {
        const p = P(m);
        return s.addNotifyKey(p.hNotify, p.hKey, p.notifyKey, p.filter, p.watchSubTree);
      }
      case 'addNotifyV2': {
        const p = P(m);
        return s.addNotifyV2(
          p.hNotify,
          p.hObject,
          p.filter,
          p.notifyKey,
          p.version,
          p.isTargetedAtObject,
        );
      }
      case 'addNotifyResourceTypeV2': {
        const p = P(m);
        return s.addNotifyResourceTypeV2(
          p.hNotify,
          p.filterFlags,
          p.notifyKey,
          p.resTypeName,
          p.version,
        );
      }
      case 'getNotify': {
        const p = P(m);
        return s.getNotify(p.hNotify, {
          ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
          ...(signal ? { signal } : {}),
        });
      }
      case 'getNotifyAsync': {
        const p = P(m);
        return s.getNotifyAsync(p.hNotify, {
          max: batch(p.max),
          ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
          ...(signal ? { signal } : {}),
        });
      }
      case 'getNotifyV2': {
        const p = P(m);
        const r = await s.getNotifyV2(p.hNotify, {
          max: batch(p.max),
          ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
          ...(signal ? { signal } : {}),
        });
        if (r.type !== 'ok') return r;
        // Not plain JSON: `call` writes it with the frame encoder (see `EncodedGet`).
        const out: EncodedGet = { type: 'ok', status: 0, encodeV2: r.notifications };
        return out;
      }
      case 'streamNotify': {
        const p = P(m);
        const version = s.portVersion(p.hNotify);
        if (typeof version !== 'number') return version;
        const streamed = this.streaming(p.hNotify);
        if (streamed !== undefined) return streamed;
        const window = p.window ?? DEFAULT_STREAM_WINDOW;
        // Binary frames carry version-2 batches only; a version-1 port streams JSON (D53).
        const encoding: StreamEncoding = version === 2 ? (p.encoding ?? 'json') : 'json';
        // The engine's string of the handle, not the frame's copy (see NotificationEngine.handleOf).
        const h = this.context.service.engine.handleOf(p.hNotify) ?? p.hNotify;
        const repeat = encoding !== 'json' && p.repeat === true;
        const st = new PortStream(this, h, version, window, encoding, repeat);
        this.addStream(st);
        s.markStreamed(p.hNotify, true);
        const out: WireResult & { window: number; encoding: StreamEncoding } = {
          type: 'ok',
          status: 0,
          window,
          encoding,
        };
        return out;
      }
      case 'unblockGetNotifyCall':
        return s.unblockGetNotifyCall(P(m).hNotify);
      case 'closeNotify': {
        const p = P(m);
        const r = s.closeNotify(p.hNotify);
        const st = this.stream(p.hNotify);
        if (r.type === 'ok' && st !== undefined) this.endStream(st);
        return r;
      }
      case 'resumeNotify': {
        const p = P(m);
        return (
          this.portLimit(s) ??
          s.resumeNotify(p.version, p.filters, p.afterRevision, p.partial === true)
        );
      }
      case 'execute':
        return s.execute(P(m).command as unknown as Command);
      case 'createGroup':
        return s.createGroup(P(m).name);
      case 'createResource': {
        const p = P(m);
        return s.createResource(p.hGroup, p.name, p.resourceType);
      }
      case 'deleteGroup':
      case 'onlineGroup':
      case 'offlineGroup':
      case 'moveGroup':
        return s[m](P(m).hGroup);
      case 'moveGroupToNode': {
        const p = P(m);
        return s.moveGroupToNode(p.hGroup, p.hNode);
      }
      case 'deleteResource':
      case 'onlineResource':
      case 'offlineResource':
      case 'failResource':
        return s[m](P(m).hResource);
      case 'changeResourceGroup': {
        const p = P(m);
        return s.changeResourceGroup(p.hResource, p.hGroup);
      }
      case 'pauseNode':
      case 'resumeNode':
      case 'evictNode':
        return s[m](P(m).hNode);
      case 'createKey': {
        const p = P(m);
        return s.createKey(p.hKey, p.subKey);
      }
      case 'deleteKey': {
        const p = P(m);
        return s.deleteKey(p.hKey, p.subKey);
      }
      case 'setValue': {
        const p = P(m);
        return s.setValue(p.hKey, p.name, p.value);
      }
      case 'deleteValue': {
        const p = P(m);
        return s.deleteValue(p.hKey, p.name);
      }
      case 'setKeySecurity': {
        const p = P(m);
        return s.setKeySecurity(p.hKey, p.security);
      }
      case 'setClusterName':
        return s.setClusterName(P(m).name);
      case 'getClusterState':
        return s.getClusterState();
      case 'getServerInfo':
        return s.getServerInfo();
      case 'listSessions':
        return s.listSessions(P(m).max);
    }
  }
}

/** Whether a mutation's caller asked for the change records (`execute` with `changes`, D49). */
function wantsChanges(parsed: { method: WireMethod; params: unknown }): boolean {
  return parsed.method === 'execute' && (parsed.params as WireParams<'execute'>).changes === true;
}

/**
 * The result frame of call `id` answering with `r`, a commit's answer, without its change
 * records (D49): the revision is what a caller needs, and the records of a toggle are ~1.5 KB
 * of JSON per command that the writer rarely reads. Written from a template, the same text as
 * `JSON.stringify` of `{ t: 'result', id, r: { type, status, revision } }` (~40 ns against ~300,
 * once per write of a busy writer; docs/benchmarks.md, "What moved in session 19").
 */
function resultWithoutChanges(id: number, r: Executed): string {
  const { type, status, revision } = r;
  // A revision is a safe integer; anything else is written as JSON.stringify would.
  if (!Number.isSafeInteger(revision))
    return JSON.stringify({ t: 'result', id, r: { type, status, revision } });
  return `{"t":"result","id":${id},"r":{"type":"${type}","status":${status},"revision":${revision}}}`;
}

/** Methods that commit (for the commit-latency metric). */
const MUTATIONS: ReadonlySet<WireMethod> = new Set([
  'execute',
  'createGroup',
  'createResource',
  'deleteGroup',
  'onlineGroup',
  'offlineGroup',
  'moveGroup',
  'moveGroupToNode',
  'deleteResource',
  'onlineResource',
  'offlineResource',
  'failResource',
  'changeResourceGroup',
  'pauseNode',
  'resumeNode',
  'evictNode',
  'createKey',
  'deleteKey',
  'setValue',
  'deleteValue',
  'setKeySecurity',
  'setClusterName',
]);
