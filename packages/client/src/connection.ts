/**
 * One authenticated WebSocket to one server (docs/protocol.md): the hello / welcome exchange,
 * numbered calls and their results, `cancel` frames for aborted gets, and what happens to calls
 * in flight when the socket goes away, and a server that breaks the protocol (decisions D39).
 * Reconnecting is the client's business, not this file's.
 */
import {
  ClusnotifyError,
  WIRE_VERSION,
  CLIENT_BATCH_FRAMES,
  WireFeature,
  batchMessage,
  parseBinaryNotifyMessage,
  parseServerFrame,
} from '@clusnotify/protocol';
import type { WireLimits, WireResult } from '@clusnotify/protocol';
import { PortFeed } from './port-feed.js';
import { errorCode } from './errors.js';
import { monotonicMs as now, reasonOf, startTimer } from './host.js';
import type { AbortSignalLike, Timer } from './host.js';
import { WS_OPEN } from './web-socket.js';
import type { WebSocketConstructor, WebSocketLike } from './web-socket.js';

/**
 * A method result as it arrives: `type` and `status` plus the method's out-parameters
 * (docs/protocol.md §3), read as unknown values.
 */
export type CallResult = WireResult & { readonly [field: string]: unknown };

/** What the server said in its welcome frame (docs/protocol.md §1). */
export interface Welcome {
  readonly session: string;
  readonly access: 'read' | 'full';
  /** Name of the server (node) that answered. */
  readonly server: string;
  readonly cluster: { readonly id: string; readonly name: string };
  /** The server's published store revision when the session opened. */
  readonly revision: number;
  readonly limits: WireLimits;
  /** Whether the server streams ports (`streamNotify`, docs/protocol.md "Streams"). */
  readonly streams: boolean;
  /** Whether it sends a streamed version-2 port's batches in binary frames when asked (D53). */
  readonly binaryNotify: boolean;
  /** Whether it groups the binary batches of a connection's ports when asked (D55). */
  readonly groupedNotify: boolean;
  /** Whether its binary frames may hold repeat entries when a stream asks (D60). */
  readonly binaryRepeat: boolean;
}

/** Options of {@link Connection.open}. */
export interface ConnectionOptions {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  readonly token: string;
  readonly clientName: string;
  /** Longest time from creating the socket to the welcome frame. */
  readonly openTimeoutMs: number;
  /**
   * Called once when an open connection goes away without `close()`, with why: MALFORMED_FRAME
   * when the server broke the protocol (D39), AUTH_FAILED when the server ended the session
   * because it no longer accepts the token (it was revoked, D42), else CONNECTION_LOST.
   */
  readonly onLost: (conn: Connection, reason: ClusnotifyError) => void;
  /**
   * When nothing has arrived for this long, the connection sends a cheap call; if that gets no
   * answer within the same time the server is taken for gone (a half-open connection) and the
   * connection is lost. 0 or leaving it out: no heartbeat.
   */
  readonly heartbeatMs?: number;
  /** Aborting gives up opening (the promise rejects with the signal's reason). */
  readonly signal?: AbortSignalLike;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborting sends a `cancel` frame (waiting methods) and rejects with `signal.reason`. */
  readonly signal?: AbortSignalLike | undefined;
  /** Longest wait for the result; rejects with TIMEOUT. Leave out for waiting methods. */
  readonly timeoutMs?: number | undefined;
  /** Whether the method parks on the server (a get): aborting it sends `cancel`. */
  readonly waiting?: boolean;
}

interface Pending {
  readonly method: string;
  readonly resolve: (r: CallResult) => void;
  readonly reject: (e: unknown) => void;
  /** When the call times out (`now()`, ms), or Infinity. */
  readonly deadline: number;
  readonly timeoutMs: number | undefined;
  readonly waiting: boolean;
  /** Removes the abort listener; undefined without a signal. */
  readonly cleanup: (() => void) | undefined;
}

type Phase = 'opening' | 'hello' | 'open' | 'closed';

/** Close code the client uses for an orderly close. */
const NORMAL_CLOSURE = 1000;
/** The server's close code for a refused token (docs/protocol.md, "Close codes"). */
const AUTH_FAILED_CLOSE = 4001;
/** The part of a TCP socket the client corks (`net.Socket`, declared so browsers build too). */
interface CorkableSocket {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

/** The `ws` package's event for the HTTP upgrade response, whose `socket` is the TCP socket. */
interface NodeWebSocket {
  on(event: 'upgrade', listener: (res: { readonly socket?: unknown }) => void): void;
}

/** Ends the cork `#send` put on `socket` for the rest of the turn. */
function uncork(socket: CorkableSocket): void {
  socket.uncork();
}

/** Node.js's `setImmediate` (the client also builds for browsers, which have none). */
const atTurnEnd = (
  globalThis as {
    setImmediate?: (f: (socket: CorkableSocket) => void, socket: CorkableSocket) => unknown;
  }
).setImmediate;

/** Close code for a malformed frame (docs/protocol.md, "Close codes"); the client uses it too. */
const MALFORMED_FRAME_CLOSE = 4002;
/** How long `close()` waits for the socket's close event before giving up on it. */
const CLOSE_WAIT_MS = 2000;

/** A live, authenticated connection. Create it with {@link Connection.open}. */
export class Connection {
  readonly url: string;
  #welcome: Welcome | undefined;
  readonly #ws: WebSocketLike;
  readonly #options: ConnectionOptions;
  readonly #pending = new Map<number, Pending>();
  /** The timer of the earliest call deadline (see `#armSweep`), and when it fires. */
  #sweep: Timer | undefined;
  #sweepAt = Infinity;
  readonly #feeds = new Map<string, PortFeed>();
  #nextId = 1;
  #phase: Phase = 'opening';
  #closeError: ClusnotifyError | undefined;
  #serverError: ClusnotifyError | undefined;
  /** Set when the server broke the protocol (D39): MALFORMED_FRAME. */
  #violation: ClusnotifyError | undefined;
  #closedWaiters: (() => void)[] = [];
  #opened: { resolve: (c: Connection) => void; reject: (e: unknown) => void } | undefined;
  #openTimer: Timer | undefined;
  #detachOpenAbort: (() => void) | undefined;
  #heartbeat: Timer | undefined;
  /** Whether a frame arrived since the heartbeat last looked. */
  #heard = true;
  /** The TCP socket under a `ws` package WebSocket, for corking (see #send). */
  #socket: CorkableSocket | undefined;
  /** Whether the server takes batch messages (its welcome lists `batch`, D54). */
  #batches = false;
  /** JSON of the frames sent since the last batch message left (see #send). */
  #batch: string[] | undefined;

  private constructor(ws: WebSocketLike, options: ConnectionOptions) {
    this.url = options.url;
    this.#ws = ws;
    this.#options = options;
    ws.addEventListener('open', () => {
      this.#onOpen();
    });
    ws.addEventListener('message', (e) => {
      this.#onMessage(e.data);
    });
    ws.addEventListener('close', (e) => {
      this.#onClose(e.code, e.reason);
    });
    // Errors are always followed by a close event; listening keeps `ws` from throwing them.
    ws.addEventListener('error', () => undefined);
    // The `ws` package (Node.js) names its TCP socket in the upgrade response: calls are corked
    // on it (see #send). Browsers and Node's own WebSocket have no such event.
    const node = ws as Partial<NodeWebSocket>;
    // Binary frames as bytes at hand: browsers and Node's own WebSocket default to Blobs. The
    // `ws` package hands out Buffers (Uint8Arrays) by default, with no copy.
    if (typeof node.on !== 'function') ws.binaryType = 'arraybuffer';
    else
      node.on('upgrade', (res) => {
        const socket = res.socket as Partial<CorkableSocket> | undefined;
        if (
          atTurnEnd !== undefined &&
          typeof socket?.cork === 'function' &&
          typeof socket.uncork === 'function'
        )
          this.#socket = socket as CorkableSocket;
      });
  }

  /**
   * Opens a socket to `options.url`, sends hello and waits for the welcome.
   *
   * @throws ClusnotifyError AUTH_FAILED when the server refuses the token, the server's code
   * when it refuses the session otherwise (SESSION_LIMIT, …), NO_SERVER when the socket cannot
   * be opened or closes first, or no welcome arrives within `openTimeoutMs`.
   */
  static open(options: ConnectionOptions): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new options.WebSocket(options.url);
      } catch (e) {
        reject(
          new ClusnotifyError('NO_SERVER', `cannot open ${options.url}: ${describe(e)}`, {
            cause: e,
          }),
        );
        return;
      }
      const conn = new Connection(ws, options);
      conn.#opened = { resolve, reject };
      const { signal } = options;
      if (signal !== undefined) {
        const onAbort = (): void => {
          conn.#failOpen(signal.reason as ClusnotifyError);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
        conn.#detachOpenAbort = () => {
          signal.removeEventListener('abort', onAbort);
        };
      }
      conn.#openTimer = startTimer(() => {
        conn.#failOpen(
          new ClusnotifyError(
            'NO_SERVER',
            `${options.url} did not welcome the client within ${options.openTimeoutMs} ms`,
          ),
        );
      }, options.openTimeoutMs);
    });
  }

  /** The welcome frame of this connection. */
  get welcome(): Welcome {
    if (this.#welcome === undefined) throw new ClusnotifyError('INTERNAL', 'no welcome yet');
    return this.#welcome;
  }

  /** Whether the socket is gone (or going). */
  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /** Calls in flight. */
  get pendingCalls(): number {
    return this.#pending.size;
  }

  /**
   * Starts routing the `notify` frames of port `hNotify` to a new feed — before the
   * `streamNotify` call, so that no frame can arrive unrouted. A feed of a lost connection
   * fails at once.
   */
  openFeed(hNotify: string): PortFeed {
    this.#feeds.get(hNotify)?.close();
    const feed: PortFeed = new PortFeed(hNotify, () => {
      if (this.#feeds.get(hNotify) === feed) this.#feeds.delete(hNotify);
    });
    if (this.#phase === 'open') this.#feeds.set(hNotify, feed);
    else feed.fail(this.#lostError('streamNotify'));
    return feed;
  }

  /** Gives a streamed port `n` indications of credit back (an `ack` frame). */
  ack(hNotify: string, n: number): void {
    if (this.#phase === 'open' && n > 0) this.#send({ t: 'ack', h: hNotify, n });
  }

  /**
   * The server broke the protocol (decisions D39): a frame, or something a frame carries that
   * a layer above checks (a port's indications), is malformed. The connection is unusable from
   * here: the socket is closed with code 4002 and the connection is treated as lost — calls in
   * flight reject with CONNECTION_LOST (caused by the MALFORMED_FRAME error), streams fail, and
   * `onLost` runs with the MALFORMED_FRAME error so that the client reconnects (§7.3). While
   * opening, the open fails with it instead. Nothing already delivered is touched. Only the
   * first violation counts; later calls do nothing.
   *
   * @param what what is wrong, naming the frame and field (goes into the error's message).
   */
  protocolViolation(what: string): void {
    if (this.#phase === 'closed') return;
    const e = new ClusnotifyError('MALFORMED_FRAME', `${this.url} sent a malformed frame: ${what}`);
    if (this.#phase !== 'open') {
      this.#failOpen(e);
      return;
    }
    this.#violation = e;
    this.#onClose(MALFORMED_FRAME_CLOSE, 'malformed frame');
    try {
      this.#ws.close(MALFORMED_FRAME_CLOSE, 'malformed frame');
    } catch {
      // Gone either way.
    }
  }

  /**
   * Sends one call and resolves with its result frame's `r`, whatever its `type` (failures
   * are values here).
   *
   * @throws ClusnotifyError CONNECTION_LOST when the socket is gone or goes away before the
   * result, TIMEOUT after `timeoutMs`, the close reason given to {@link close}; rejects with
   * `signal.reason` when the signal aborts.
   */
  call(method: string, params: object, options: CallOptions = {}): Promise<CallResult> {
    return new Promise<CallResult>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted === true) {
        reject(reasonOf(signal));
        return;
      }
      if (this.#phase === 'open' && this.#ws.readyState !== WS_OPEN) {
        // The socket is closing and its close event has not run yet: treat it as gone now,
        // so that the client starts reconnecting before anyone retries.
        this.#onClose(1006, 'the socket is no longer open');
      }
      if (this.#phase !== 'open') {
        reject(this.#lostError(method));
        return;
      }
      const id = this.#nextId++;
      const waiting = options.waiting === true;
      let cleanup: (() => void) | undefined;
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (!this.#pending.has(id)) return;
          this.#settle(id);
          if (waiting && this.#phase === 'open') this.#send({ t: 'cancel', id });
          reject(reasonOf(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      const { timeoutMs } = options;
      const deadline = timeoutMs === undefined ? Infinity : now() + Math.max(0, timeoutMs);
      this.#pending.set(id, { method, resolve, reject, deadline, timeoutMs, waiting, cleanup });
      if (deadline < this.#sweepAt) this.#armSweep(deadline);
      if (!this.#send({ t: 'call', id, m: method, p: params })) {
        this.#settle(id);
        reject(this.#lostError(method));
      }
    });
  }

  /**
   * Closes the socket (code 1000) and rejects the calls in flight with `reason` (default
   * CONNECTION_LOST). Resolves when the socket reports closed, or after 2 s. Idempotent;
   * `onLost` is not called.
   */
  close(reason?: ClusnotifyError): Promise<void> {
    if (this.#phase !== 'closed') {
      this.#closeError = reason;
      const wasOpening = this.#phase === 'opening' || this.#phase === 'hello';
      this.#phase = 'closed';
      this.#heartbeat?.cancel();
      this.#openTimer?.cancel();
      try {
        this.#ws.close(NORMAL_CLOSURE, 'client closing');
      } catch {
        // A socket that never connected may refuse to close; it is gone either way.
      }
      this.#rejectAll();
      if (wasOpening) {
        this.#opened?.reject(
          reason ?? new ClusnotifyError('NO_SERVER', `connection to ${this.url} was abandoned`),
        );
        this.#opened = undefined;
      }
    }
    if (this.#ws.readyState === 3) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = startTimer(resolve, CLOSE_WAIT_MS);
      this.#closedWaiters.push(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  // ----- socket events ------------------------------------------------------------------------

  #onOpen(): void {
    if (this.#phase !== 'opening') return;
    this.#phase = 'hello';
    this.#send({
      t: 'hello',
      v: WIRE_VERSION,
      token: this.#options.token,
      client: this.#options.clientName,
    });
  }

  #onMessage(data: unknown): void {
    if (this.#phase === 'closed') return;
    this.#heard = true;
    if (typeof data !== 'string') {
      this.#onBinary(data);
      return;
    }
    const f = parseServerFrame(data);
    if ('malformed' in f) {
      this.protocolViolation(f.malformed);
      return;
    }
    switch (f.t) {
      case 'welcome':
        // A server welcomes a connection once, in answer to its hello (docs/protocol.md).
        if (this.#phase !== 'hello') {
          if (this.#phase === 'open') this.protocolViolation('a second welcome frame');
          return;
        }
        this.#welcome = {
          session: f.session,
          access: f.access,
          server: f.server,
          cluster: f.cluster,
          revision: f.revision,
          limits: f.limits,
          streams: f.features?.includes(WireFeature.STREAM) === true,
          binaryNotify: f.features?.includes(WireFeature.BINARY_NOTIFY) === true,
          groupedNotify: f.features?.includes(WireFeature.GROUPED_NOTIFY) === true,
          binaryRepeat: f.features?.includes(WireFeature.BINARY_REPEAT) === true,
        };
        this.#batches = f.features?.includes(WireFeature.BATCH) === true;
        this.#phase = 'open';
        this.#openTimer?.cancel();
        this.#detachOpenAbort?.();
        this.#armHeartbeat();
        this.#opened?.resolve(this);
        this.#opened = undefined;
        return;
      case 'notify':
        this.#feeds.get(f.h)?.push(f);
        return;
      case 'result': {
        const p = this.#pending.get(f.id);
        if (p === undefined) return; // cancelled or timed out: the late result is dropped
        this.#settle(f.id);
        p.resolve(f.r as CallResult);
        return;
      }
      case 'error': {
        const e = new ClusnotifyError(errorCode(f.code), f.message);
        if (f.id !== undefined) {
          const p = this.#pending.get(f.id);
          if (p !== undefined) {
            this.#settle(f.id);
            p.reject(e);
          }
          return;
        }
        // A connection-level error: the server closes the socket next.
        this.#serverError = e;
        if (this.#phase === 'hello') this.#failOpen(e);
        return;
      }
    }
  }

  /**
   * A binary frame: a streamed port's batch (docs/protocol.md §5, D53) or a grouped frame of
   * several ports' batches (D55), or a violation. A grouped frame is checked whole before any
   * of its batches goes to its port.
   */
  #onBinary(data: unknown): void {
    // The payloads stay views into the bytes as `ws` hands them out: a view into the socket
    // read the frame came in (at most 64 KiB), as Node's streams do. Not copied: copying the
    // frames that share a read cost 8–12 % of delivered/s at 100 watchers (bench:peers), for
    // what only an application that keeps indications long would see (D53; a payload to keep
    // is copied with `buffer.slice()`).
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : data instanceof Uint8Array
          ? data
          : undefined;
    if (bytes === undefined || this.#phase !== 'open') {
      this.protocolViolation('a binary frame where the protocol has none');
      return;
    }
    const batches = parseBinaryNotifyMessage(bytes);
    if ('malformed' in batches) {
      this.protocolViolation(batches.malformed);
      return;
    }
    const feeds = this.#feeds;
    for (const f of batches) feeds.get(f.h)?.push(f);
  }

  #onClose(code: number, reason: string): void {
    if (this.#ws.readyState === 3) {
      for (const w of this.#closedWaiters) w();
      this.#closedWaiters = [];
    }
    if (this.#phase === 'closed') return;
    const wasOpen = this.#phase === 'open';
    this.#phase = 'closed';
    this.#heartbeat?.cancel();
    this.#openTimer?.cancel();
    this.#detachOpenAbort?.();
    if (!wasOpen) {
      const e =
        this.#serverError ??
        (code === AUTH_FAILED_CLOSE
          ? new ClusnotifyError('AUTH_FAILED', `${this.url} refused the token`)
          : new ClusnotifyError(
              'NO_SERVER',
              `${this.url} closed the connection before the welcome (code ${code}${reason === '' ? '' : `, ${reason}`})`,
            ));
      this.#opened?.reject(e);
      this.#opened = undefined;
      return;
    }
    this.#rejectAll();
    const refused =
      this.#serverError?.code === 'AUTH_FAILED'
        ? this.#serverError
        : code === AUTH_FAILED_CLOSE
          ? new ClusnotifyError('AUTH_FAILED', `${this.url} no longer accepts the token`)
          : undefined;
    this.#options.onLost(
      this,
      this.#violation ??
        refused ??
        new ClusnotifyError(
          'CONNECTION_LOST',
          `the connection to ${this.url} was lost (code ${code}${reason === '' ? '' : `, ${reason}`})`,
          this.#serverError === undefined ? undefined : { cause: this.#serverError },
        ),
    );
  }

  /**
   * Every `heartbeatMs`: if nothing arrived since the last look, ask the server something cheap;
   * no answer within `heartbeatMs` means the server is gone without a close (a half-open TCP
   * connection), and the connection is reported lost so the client reconnects.
   */
  #armHeartbeat(): void {
    const ms = this.#options.heartbeatMs ?? 0;
    if (!(ms > 0)) return;
    this.#heartbeat = startTimer(() => {
      if (this.#phase !== 'open') return;
      if (this.#heard) {
        this.#heard = false;
        this.#armHeartbeat();
        return;
      }
      this.call('getServerInfo', {}, { timeoutMs: ms }).then(
        () => {
          this.#armHeartbeat();
        },
        () => {
          if (this.#phase !== 'open') return;
          this.#onClose(1006, `no answer from ${this.url} within ${ms} ms`);
          try {
            this.#ws.close(NORMAL_CLOSURE, 'no heartbeat');
          } catch {
            // Gone either way.
          }
        },
      );
    }, ms);
  }

  #failOpen(e: ClusnotifyError): void {
    if (this.#phase !== 'opening' && this.#phase !== 'hello') return;
    this.#phase = 'closed';
    this.#openTimer?.cancel();
    this.#detachOpenAbort?.();
    try {
      this.#ws.close(NORMAL_CLOSURE, 'client giving up');
    } catch {
      // see close()
    }
    this.#opened?.reject(e);
    this.#opened = undefined;
  }

  // ----- helpers ------------------------------------------------------------------------------

  /**
   * Sends one frame. Where the TCP socket is at hand (the `ws` package), the first frame of an
   * event-loop turn corks it until the turn ends, so the calls a turn makes (a pipelining
   * caller re-issues its calls as their results arrive together) leave in one write instead of
   * one system call each: measured, a writer with 64 calls in flight spent a third of its time
   * in `writev` (docs/benchmarks.md).
   *
   * When the server takes batches (D54), frames leave as one batch message from a microtask
   * the first of them queues (up to {@link CLIENT_BATCH_FRAMES} a message): the calls a piece of
   * code makes one after another, and those made as the results of one read resolve, travel
   * together, and the server reads, checks and dispatches one message instead of one per call.
   * A lone frame leaves as itself. Should the socket close before the message leaves, its calls
   * fail with the connection, as every call in flight does.
   */
  #send(frame: object): boolean {
    if (this.#ws.readyState !== WS_OPEN) return false;
    try {
      const socket = this.#socket;
      if (socket !== undefined && socket.writableCorked === 0) {
        socket.cork();
        atTurnEnd?.(uncork, socket);
      }
      const json = JSON.stringify(frame);
      if (!this.#batches) {
        this.#ws.send(json);
        return true;
      }
      const batch = (this.#batch ??= []);
      batch.push(json);
      if (batch.length >= CLIENT_BATCH_FRAMES) this.#sendBatch();
      else if (batch.length === 1)
        void Promise.resolve().then(() => {
          this.#sendBatch();
        });
      return true;
    } catch {
      return false;
    }
  }

  /** Sends the frames waiting in `#batch` as one message (see `#send`). */
  #sendBatch(): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    if (this.#ws.readyState !== WS_OPEN) return;
    try {
      this.#ws.send(batchMessage(batch));
    } catch {
      // The socket is going: its close event fails the calls in flight.
    }
  }

  #settle(id: number): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.cleanup?.();
    // Nothing left to time out: no host timer keeps the process alive for an idle client.
    if (this.#pending.size === 0) this.#disarmSweep();
  }

  /**
   * Times calls out with one host timer per connection, set for the earliest deadline of the
   * calls in flight, instead of one timer per call: a timer per call was a `setTimeout`, its
   * closure and a cancel handle for every call, and held the call's whole state (promise,
   * parameters) through the young generation's collections while it waited (a writer with 64
   * calls in flight promoted ~1 MB per collection; docs/benchmarks.md, session 11).
   */
  #armSweep(at: number): void {
    this.#sweep?.cancel();
    this.#sweepAt = at;
    this.#sweep = startTimer(() => {
      this.#sweep = undefined;
      this.#sweepAt = Infinity;
      this.#timeOut();
    }, at - now());
  }

  #disarmSweep(): void {
    this.#sweep?.cancel();
    this.#sweep = undefined;
    this.#sweepAt = Infinity;
  }

  /** Fails every call whose deadline passed with TIMEOUT, and sets the timer for the next one. */
  #timeOut(): void {
    const t = now();
    let next = Infinity;
    for (const [id, p] of [...this.#pending]) {
      if (p.deadline > t) {
        next = Math.min(next, p.deadline);
        continue;
      }
      this.#settle(id);
      if (p.waiting && this.#phase === 'open') this.#send({ t: 'cancel', id });
      p.reject(
        new ClusnotifyError(
          'TIMEOUT',
          `${p.method} got no result from ${this.url} within ${String(p.timeoutMs)} ms`,
        ),
      );
    }
    if (next < this.#sweepAt) this.#armSweep(next);
  }

  #lostError(method: string): ClusnotifyError {
    if (this.#closeError !== undefined) return this.#closeError;
    const cause = this.#violation ?? this.#serverError;
    const why = cause === undefined ? '' : ` (${cause.message})`;
    return new ClusnotifyError(
      'CONNECTION_LOST',
      `the connection to ${this.url} was lost before ${method} completed${why}`,
      cause === undefined ? undefined : { cause },
    );
  }

  #rejectAll(): void {
    const all = [...this.#pending.entries()];
    for (const [id, p] of all) {
      this.#settle(id);
      p.reject(this.#lostError(p.method));
    }
    const feeds = [...this.#feeds.values()];
    this.#feeds.clear();
    for (const feed of feeds) feed.fail(this.#lostError('streamNotify'));
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
