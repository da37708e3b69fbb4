/**
 * The client: `connect()` and the `Client` it returns. It keeps one connection at a time to
 * one of the candidate servers, and around it the client state of MS-CMRP §3.2.1 (reference
 * §7.1): every handle the application holds and every notification port with its filters and
 * local queue. When the connection is lost it reconnects (§7.3), re-opens the handles and
 * resumes or rebuilds every port, so that handles and ports survive. On top sit the
 * Win32-shaped functions of clusapi.h (§8), the idiomatic async-iterable ports and the admin
 * calls.
 */
import {
  ClusterChangeFamily,
  ClusterObjectType,
  ClusnotifyError,
  V2_FAMILIES,
  DEFAULT_STREAM_WINDOW,
  MAX_STREAM_WINDOW,
  WAITING_METHODS,
  parseParams,
} from '@clusnotify/protocol';
import type {
  ErrorCode,
  Indication,
  NotifyFilterAndType,
  SessionFigures,
  WireMethod,
  WireParams,
} from '@clusnotify/protocol';
import { clientPort } from './client-port.js';
import type { ClientPort, PortFilter } from './client-port.js';
import { Connection } from './connection.js';
import type { CallResult, Welcome } from './connection.js';
import { expectOk, isConnectionLost, stringField } from './errors.js';
import { ClusterObjectHandle, OBJECT_KINDS, handleRecord, kindOfObjectType } from './handles.js';
import type {
  ClusterHandle,
  GroupHandle,
  HandleKind,
  HandleRecord,
  KeyHandle,
  NetInterfaceHandle,
  NetworkHandle,
  NodeHandle,
  ObjectKind,
  ResourceHandle,
} from './handles.js';
import { AbortSource, checkTimeout, delay } from './host.js';
import type { AbortSignalLike } from './host.js';
import { NotifyPortHandle, portCore } from './notify-port-handle.js';
import { PortCore } from './notify-port.js';
import type {
  FilterSpec,
  LeasedHandle,
  SessionContext,
  StreamEncoding,
  V2Target,
} from './notify-port.js';
import { DEFAULT_RECONNECT, backoffDelay, roundCandidates } from './reconnect.js';
import type { ReconnectOptions } from './reconnect.js';
import { resolveWebSocket } from './web-socket.js';
import type { WebSocketConstructor } from './web-socket.js';

/**
 * Where the client is:
 * - `connecting`: `connect()` is trying the candidates;
 * - `open`: a session is up; calls go out at once;
 * - `reconnecting`: the connection was lost and the first reconnect round is running; calls
 *   wait for it;
 * - `disconnected`: every candidate failed once (CLUSTER_STATE was posted, §7.3); the client
 *   keeps retrying in the background, calls fail at once with CONNECTION_LOST;
 * - `closed`: `close()` was called, or the client closed itself because a server refused its
 *   token (AUTH_FAILED: revoked while a session was open, or refused at a reconnect; D42).
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'disconnected' | 'closed';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Access token (`clusnotify token create`); sent in the hello frame. */
  readonly token: string;
  /** Name reported in the hello frame (default `clusnotify-client/0.1.0`). */
  readonly clientName?: string;
  /**
   * After a reconnect, refill ports exactly from the server's history (`resumeNotify`) instead
   * of rebuilding them and posting CLUSTER_RECONNECT (default true). docs/protocol.md §4.
   */
  readonly resume?: boolean;
  /** Backoff between reconnect attempts. */
  readonly reconnect?: ReconnectOptions;
  /**
   * The WebSocket constructor. Default: `globalThis.WebSocket` (browsers, Node.js 22+), else
   * the optional `ws` package.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Longest wait for the result of a call that does not park on the server (default 30 000). */
  readonly callTimeoutMs?: number;
  /** Longest wait from opening a socket to the welcome frame (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Bound of each port's local queue (default 100 000; overflow: decisions D1, D24). */
  readonly maxLocalQueue?: number;
  /** Most indications fetched per get (default 1024, at most the server's `maxBatch`). */
  readonly batchMax?: number;
  /**
   * How ports reach the server: `'stream'` (default) has the server push each port's
   * indications as they are queued (`streamNotify`, docs/protocol.md "Streams") and falls back
   * to gets on a server that does not stream; `'poll'` always asks with one get after another.
   */
  readonly delivery?: 'stream' | 'poll';
  /**
   * Most indications of a streamed port on their way at once (default 4096, at most 65 536):
   * the server waits for the client's acknowledgement beyond that.
   */
  readonly streamWindow?: number;
  /**
   * How a streamed version-2 port's batches travel: `'grouped'` (default) in binary frames,
   * with the batches of the client's ports that share a connection grouped into one frame
   * that carries each event once (decisions D55); `'binary'` in binary frames, one per port
   * (docs/protocol.md §5 "Binary notify frames", D53; they decode in about a third of the time
   * JSON takes); `'json'` always in JSON text frames. A server without a feature gets the next
   * encoding down.
   */
  readonly streamEncoding?: StreamEncoding;
  /**
   * Liveness of a quiet connection (default 20 000 ms; 0: off): after this long with nothing
   * from the server the client sends a cheap call, and if that is not answered within the same
   * time it takes the server for gone and reconnects — a half-open TCP connection (a server
   * that lost power, a dropped network path) is noticed instead of waited on forever.
   */
  readonly heartbeatMs?: number;
}

/** Options of {@link Client.call}. */
export interface ClientCallOptions {
  /** Aborting rejects with `signal.reason` and, for gets, sends a `cancel` frame. */
  readonly signal?: AbortSignalLike;
  /** Longest wait for the result (default: `callTimeoutMs`; gets: without limit). */
  readonly timeoutMs?: number;
}

/** Options of the local reads (`getClusterNotify`, `getClusterNotifyV2`, `ClientPort.next`). */
export interface ReadOptions {
  /** Longest wait in milliseconds (default: without limit; 0: do not wait). */
  readonly timeoutMs?: number;
  /** Aborting rejects the read with `signal.reason`. */
  readonly signal?: AbortSignalLike;
}

/**
 * GetClusterNotify's outcome (§8): an event with its out-parameters, WAIT_TIMEOUT (0x102), or
 * the port was closed while waiting (ERROR_INVALID_HANDLE, 6).
 */
export type ClusterNotifyResult =
  | {
      readonly type: 'ok';
      readonly status: 0;
      /** The application's notify key of the filter (`*lpdwNotifyKey`). */
      readonly notifyKey: number;
      /** One CLUSTER_CHANGE bit (`*lpdwFilterType`). */
      readonly filterType: number;
      /** Object name, relative key path, or the cluster name (`lpszName`). */
      readonly name: string;
      /** The object's state sequence as the client knows it (D23); 0 when none. */
      readonly stateSequence: number;
      /** Store revision of the change (client-generated events: the port's last revision). */
      readonly revision: number;
      /** Set on lost-events indications (server D1, local D24). */
      readonly lost: Indication['lost'];
    }
  | { readonly type: 'timeout'; readonly status: 0x102 }
  | { readonly type: 'closed'; readonly status: 0x6 };

/**
 * GetClusterNotifyV2's outcome (§8): the NOTIFICATION_DATA_RPC fields of one event, WAIT_TIMEOUT,
 * or closed. The `Type` string is `typeName` here, because `type` is the discriminant (D26).
 */
export type ClusterNotifyV2Result =
  | {
      readonly type: 'ok';
      readonly status: 0;
      readonly notifyKey: number;
      readonly filterAndType: NotifyFilterAndType;
      readonly objectId: string;
      readonly parentId: string;
      readonly name: string;
      /** `lpszType`: the object's type string (for example a resource type name) or ''. */
      readonly typeName: string;
      /** The payload (§4.6 of the reference). Do not mutate. */
      readonly buffer: Uint8Array;
      readonly revision: number;
      readonly lost: Indication['lost'];
    }
  | { readonly type: 'timeout'; readonly status: 0x102 }
  | { readonly type: 'closed'; readonly status: 0x6 };

/** A model command for {@link Client.execute} (docs/events.md lists them). */
export interface ClusterCommand {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** What a committed command reports. */
export interface Executed {
  /** The revision it was committed under. */
  readonly revision: number;
  /**
   * Its change records (docs/events.md), when asked for with `{ changes: true }` (D49): the
   * server leaves them out otherwise.
   */
  readonly changes?: readonly unknown[];
}

/** Options of {@link Client.execute}. */
export interface ExecuteOptions {
  /** Answer with the command's change records too (D49). */
  readonly changes?: boolean;
}

/** Figures of the server (`getServerInfo`). */
export interface ServerInfo {
  readonly sessions: number;
  readonly ports: number;
  readonly queued: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly revision: number;
}

/** The sessions of the server (`listSessions`). */
export interface SessionList {
  /** The server's revision when it answered. */
  readonly revision: number;
  /** Sessions open, including those past `max`. */
  readonly total: number;
  readonly sessions: readonly SessionFigures[];
}

/** The cluster as JSON (`getClusterState`): the revision it reflects and the objects. */
export interface ClusterSnapshot {
  readonly revision: number;
  readonly [field: string]: unknown;
}

/** Options of {@link Client.openPort}. */
export interface OpenPortOptions {
  /** 1: CLUSTER_CHANGE indications; 2: NOTIFICATION_DATA_RPC indications. */
  readonly version: 1 | 2;
  /** What to watch; the port opens objects and keys by name / path itself. */
  readonly filters: readonly PortFilter[];
  /**
   * Start in the past (beyond MS-CMRP): the port first receives every indication its filters
   * match in the commits after this store revision, then live ones, with no gap or duplicate;
   * it resumes from where it is after a reconnect like any port. Objects named by the filters
   * must exist now. Fails with HISTORY_COMPACTED when the server no longer holds that history.
   */
  readonly sinceRevision?: number;
}

interface ResolvedOptions {
  readonly token: string;
  readonly clientName: string;
  readonly resume: boolean;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly callTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxLocalQueue: number;
  readonly batchMax: number;
  readonly delivery: 'stream' | 'poll';
  readonly streamWindow: number;
  readonly streamEncoding: StreamEncoding;
  readonly heartbeatMs: number;
}

interface OpenWaiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** CLUSTER_CHANGE bits only the client generates; stripped before the wire (§3.1, D2). */
const CLIENT_ONLY_V1 = ClusterChangeFamily.CLIENT_ONLY;
const REGISTRY_BITS = ClusterChangeFamily.REGISTRY;
const REGISTRY_SUBTREE = ClusterChangeFamily.REGISTRY_SUBTREE;

const CLOSE_METHODS: Readonly<Record<HandleKind, WireMethod>> = {
  cluster: 'closeCluster',
  key: 'closeKey',
  node: 'closeNode',
  group: 'closeGroup',
  resource: 'closeResource',
  network: 'closeNetwork',
  netinterface: 'closeNetInterface',
};

let startClient: (client: Client) => Promise<void>;

/**
 * A connection to a clusnotify cluster that survives the loss of any one server. Create it
 * with {@link connect}; end it with {@link Client.close} (or `await using`).
 *
 * Handles and ports it returns stay valid across reconnects (§7.3). Failures are thrown as
 * `ClusnotifyError` with a stable `code` (docs/errors.md); waits take an `AbortSignal`.
 */
export class Client {
  readonly #urls: readonly string[];
  readonly #options: ResolvedOptions;
  readonly #WebSocket: WebSocketConstructor;
  #state: ClientState = 'connecting';
  #ctx: SessionContext | undefined;
  /** A connection being opened or set up (not yet current). */
  #pending: Connection | undefined;
  #urlIndex = 0;
  #welcome: Welcome | undefined;
  #openWaiters: OpenWaiter[] = [];
  readonly #listeners = new Set<(state: ClientState, reason?: ClusnotifyError) => void>();
  readonly #handles = new Set<HandleRecord>();
  readonly #ports = new Set<PortCore>();
  readonly #closeSource = new AbortSource();
  #reconnecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Why the client closed itself (AUTH_FAILED, D42); undefined while open or after close(). */
  #closeReason: ClusnotifyError | undefined;

  static {
    startClient = (c) => c.#start();
  }

  /** @internal Use {@link connect}. */
  constructor(urls: readonly string[], options: ResolvedOptions, ws: WebSocketConstructor) {
    this.#urls = urls;
    this.#options = options;
    this.#WebSocket = ws;
  }

  // ----- state ---------------------------------------------------------------------------------

  /** Where the client is (see {@link ClientState}). */
  get state(): ClientState {
    return this.#state;
  }

  /** URL of the server of the current (or last) session. */
  get url(): string {
    return this.#urls[this.#urlIndex] ?? '';
  }

  /** The cluster's name as of the last welcome (used in CLUSTER_STATE / RECONNECT, §6.5). */
  get clusterName(): string {
    return this.#welcome?.cluster.name ?? '';
  }

  /** The cluster's GUID as of the last welcome. */
  get clusterId(): string {
    return this.#welcome?.cluster.id ?? '';
  }

  /** Name of the server (node) of the current or last session. */
  get serverName(): string {
    return this.#welcome?.server ?? '';
  }

  /** Access level of the session (`read` or `full`). */
  get access(): 'read' | 'full' | undefined {
    return this.#welcome?.access;
  }

  /**
   * Calls `listener` on every state change (synchronously, after the change). Returns a
   * function that removes it. Not a data path: indications come through ports.
   *
   * On `reconnecting`, `reason` says why the connection was lost: MALFORMED_FRAME when the
   * server broke the protocol (decisions D39; the message names the frame and field), else
   * CONNECTION_LOST. On `closed`, `reason` is AUTH_FAILED when the client closed itself because
   * a server no longer accepts its token (D42); undefined after `close()`. Undefined on the
   * other states.
   */
  onStateChange(listener: (state: ClientState, reason?: ClusnotifyError) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #setState(s: ClientState, reason?: ClusnotifyError): void {
    if (this.#state === s || this.#state === 'closed') return;
    this.#state = s;
    for (const l of [...this.#listeners]) {
      try {
        l(s, reason);
      } catch {
        // A listener's failure is its own business.
      }
    }
  }

  // ----- connecting and reconnecting (§7.2 step 1, §7.3) ---------------------------------------

  async #start(): Promise<void> {
    const reasons: string[] = [];
    // Per candidate: the code when its server said it was full, else undefined.
    const refusals = new Set<ErrorCode | undefined>();
    for (let i = 0; i < this.#urls.length; i++) {
      try {
        const conn = await this.#openConnection(i);
        try {
          await this.#establish(conn, i);
          return;
        } catch (e) {
          await conn.close();
          throw e;
        }
      } catch (e) {
        if (e instanceof ClusnotifyError && e.code === 'AUTH_FAILED') {
          await this.close();
          throw e;
        }
        reasons.push(e instanceof Error ? e.message : String(e));
        refusals.add(e instanceof ClusnotifyError && FULL_SERVER.has(e.code) ? e.code : undefined);
        if (this.#state === 'closed') break;
      }
    }
    await this.close();
    // Every candidate was full for the same reason: that reason, not NO_SERVER, so that a
    // caller can tell a full server from an absent one.
    const [only] = refusals;
    if (refusals.size === 1 && only !== undefined)
      throw new ClusnotifyError(only, reasons.join('; '));
    throw new ClusnotifyError('NO_SERVER', `no server could be reached: ${reasons.join('; ')}`);
  }

  async #openConnection(index: number): Promise<Connection> {
    const url = this.#urls[index] ?? '';
    const conn = await Connection.open({
      url,
      WebSocket: this.#WebSocket,
      token: this.#options.token,
      clientName: this.#options.clientName,
      openTimeoutMs: this.#options.connectTimeoutMs,
      heartbeatMs: this.#options.heartbeatMs,
      onLost: (c, reason) => {
        this.#onLost(c, reason);
      },
      signal: this.#closeSource.signal,
    });
    this.#pending = conn;
    return conn;
  }

  /**
   * Sets up a new session (§7.3 steps 2–5): an HCLUSTER of the client's own, every open
   * handle re-opened, every port resumed or rebuilt; then makes it current.
   */
  async #establish(conn: Connection, index: number): Promise<void> {
    const welcome = conn.welcome;
    const sameCluster =
      this.#welcome === undefined || this.#welcome.cluster.id === welcome.cluster.id;
    const timeoutMs = this.#options.callTimeoutMs;
    const opened = expectOk('openCluster', await conn.call('openCluster', {}, { timeoutMs }));
    const clusterHandle = stringField('openCluster', opened, 'handle');
    const ctx: SessionContext = {
      conn,
      clusterHandle,
      batchMax: Math.max(1, Math.min(this.#options.batchMax, welcome.limits.maxBatch)),
      callTimeoutMs: timeoutMs,
      sameCluster,
      leaseHandle: (preferred, target) => this.#lease(ctx, preferred, target),
    };
    const previousWelcome = this.#welcome;
    this.#welcome = welcome;
    try {
      await Promise.all([...this.#handles].map((h) => this.#reopen(ctx, h)));
      await Promise.all([...this.#ports].map((p) => p.restore(ctx)));
    } catch (e) {
      this.#welcome = previousWelcome;
      throw e;
    }
    if (this.#state === 'closed' || conn.closed) {
      throw new ClusnotifyError('CONNECTION_LOST', `the connection to ${conn.url} was lost`);
    }
    this.#pending = undefined;
    this.#ctx = ctx;
    this.#urlIndex = index;
    this.#setState('open');
    const waiters = this.#openWaiters;
    this.#openWaiters = [];
    for (const w of waiters) w.resolve();
  }

  /** Re-opens one handle on a new session (§7.3 step 3), by id (same cluster) or name. */
  async #reopen(ctx: SessionContext, h: HandleRecord): Promise<void> {
    if (h.closed) return;
    h.server = undefined;
    const timeoutMs = this.#options.callTimeoutMs;
    const conn = ctx.conn;
    switch (h.kind) {
      case 'cluster': {
        const r = expectOk('openCluster', await conn.call('openCluster', {}, { timeoutMs }));
        h.server = { conn, handle: stringField('openCluster', r, 'handle') };
        h.name = conn.welcome.cluster.name;
        h.id = conn.welcome.cluster.id;
        return;
      }
      case 'key': {
        try {
          const lease = await this.#openKeyOn(ctx, h.path);
          h.server = { conn, handle: lease.handle };
        } catch (e) {
          if (isConnectionLost(e)) throw e;
          // The key is gone: the handle stays, calls on it answer OBJECT_NOT_FOUND (D25).
        }
        return;
      }
      case 'node':
      case 'group':
      case 'resource':
      case 'network':
      case 'netinterface': {
        const by = ctx.sameCluster && h.id !== '' ? h.id : h.name;
        const r = await conn.call(OBJECT_KINDS[h.kind].open, { name: by }, { timeoutMs });
        if (r.type !== 'ok') return; // gone: see above
        h.server = { conn, handle: stringField('open', r, 'handle') };
        if (typeof r.name === 'string') h.name = r.name;
        if (typeof r.id === 'string') h.id = r.id;
        return;
      }
    }
  }

  /** Opens the key at `path` (root + ApiOpenKey) on `ctx`'s session. */
  async #openKeyOn(ctx: SessionContext, path: string): Promise<LeasedHandle> {
    const conn = ctx.conn;
    const timeoutMs = this.#options.callTimeoutMs;
    const root = stringField(
      'getRootKey',
      expectOk(
        'getRootKey',
        await conn.call('getRootKey', { hCluster: ctx.clusterHandle }, { timeoutMs }),
      ),
      'handle',
    );
    const release = (handle: string) => async (): Promise<void> => {
      await closeQuietly(conn, 'closeKey', handle);
    };
    if (path === '') return { handle: root, id: '', name: '', release: release(root) };
    try {
      const r = expectOk(
        'openKey',
        await conn.call('openKey', { hKey: root, subKey: path }, { timeoutMs }),
      );
      const handle = stringField('openKey', r, 'handle');
      return { handle, id: '', name: '', release: release(handle) };
    } finally {
      await closeQuietly(conn, 'closeKey', root);
    }
  }

  /** A server handle for a filter's object: the application's if open here, else temporary. */
  async #lease(
    ctx: SessionContext,
    preferred: HandleRecord | undefined,
    target: Extract<V2Target, { kind: 'object' | 'key' }>,
  ): Promise<LeasedHandle> {
    if (preferred !== undefined && !preferred.closed && preferred.server?.conn === ctx.conn) {
      return {
        handle: preferred.server.handle,
        id: preferred.id,
        name: preferred.name,
        release: () => Promise.resolve(),
      };
    }
    if (target.kind === 'key') return this.#openKeyOn(ctx, target.keyPath);
    const k = OBJECT_KINDS[target.objectKind];
    const by = ctx.sameCluster && target.objectId !== '' ? target.objectId : target.name;
    const r = expectOk(
      k.open,
      await ctx.conn.call(k.open, { name: by }, { timeoutMs: this.#options.callTimeoutMs }),
    );
    const handle = stringField(k.open, r, 'handle');
    return {
      handle,
      id: typeof r.id === 'string' ? r.id : target.objectId,
      name: typeof r.name === 'string' ? r.name : target.name,
      release: () => closeQuietly(ctx.conn, k.close, handle),
    };
  }

  /** Read through a method so that the checker does not narrow it across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #onLost(conn: Connection, reason: ClusnotifyError): void {
    if (this.#ctx?.conn !== conn || this.#state === 'closed') return;
    this.#ctx = undefined;
    if (reason.code === 'AUTH_FAILED') {
      // The token was revoked: every reconnect would be refused (D42).
      void this.#shutdown(reason);
      return;
    }
    this.#setState('reconnecting', reason);
    this.#reconnecting = this.#reconnectLoop(this.#urlIndex);
  }

  /**
   * The reconnect procedure (§7.3): rounds over the candidates with backoff. When the first
   * round fails, CLUSTER_STATE(_V2) goes to every port and waiting calls fail with
   * CONNECTION_LOST; the client then keeps trying until it succeeds or is closed.
   */
  async #reconnectLoop(failedIndex: number): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.#options;
    let attempt = 0;
    let firstRound = true;
    while (this.#state !== 'closed') {
      for (const index of roundCandidates(this.#urls.length, failedIndex, firstRound)) {
        const wait = backoffDelay(attempt++, { initialDelayMs, maxDelayMs });
        try {
          if (wait > 0) await delay(wait, this.#closeSource.signal);
        } catch {
          return;
        }
        if (this.#isClosed()) return;
        let conn: Connection;
        try {
          conn = await this.#openConnection(index);
        } catch (e) {
          if (e instanceof ClusnotifyError && e.code === 'AUTH_FAILED') {
            // As connect() does: a refused token is final, not a reason to retry (D42).
            void this.#shutdown(e);
            return;
          }
          continue;
        }
        try {
          await this.#establish(conn, index);
          return;
        } catch {
          this.#pending = undefined;
          await conn.close();
          if (this.#isClosed()) return;
        }
      }
      if (firstRound) {
        firstRound = false;
        for (const p of this.#ports) p.postClusterState();
        this.#setState('disconnected');
        const waiters = this.#openWaiters;
        this.#openWaiters = [];
        const e = new ClusnotifyError(
          'CONNECTION_LOST',
          'the connection was lost and no candidate server could be reached; the client keeps trying',
        );
        for (const w of waiters) w.reject(e);
      }
    }
  }

  /** The current session; waits while (re)connecting (§7.3 step 6). */
  async #session(): Promise<SessionContext> {
    for (;;) {
      switch (this.#state) {
        case 'open':
          if (this.#ctx !== undefined) return this.#ctx;
          break;
        case 'connecting':
        case 'reconnecting':
          break;
        case 'disconnected':
          throw new ClusnotifyError(
            'CONNECTION_LOST',
            'the client is disconnected from every server; it keeps trying to reconnect',
          );
        case 'closed':
          throw closedError(this.#closeReason);
      }
      await new Promise<void>((resolve, reject) => {
        this.#openWaiters.push({ resolve, reject });
      });
    }
  }

  /**
   * Runs `fn` on the current session; if the connection is lost under it, runs it again on
   * the next session (§7.3 step 6). Only for operations whose effect dies with the session
   * (opens, registrations), so that running them again is right.
   */
  async #withSession<T>(fn: (ctx: SessionContext) => Promise<T>): Promise<T> {
    for (;;) {
      const ctx = await this.#session();
      try {
        return await fn(ctx);
      } catch (e) {
        if (isConnectionLost(e) && ctx.conn.closed && this.#ctx !== ctx) continue;
        throw e;
      }
    }
  }

  // ----- raw calls -----------------------------------------------------------------------------

  /**
   * Calls one wire method (docs/protocol.md §3) on the current session and resolves with its
   * raw result, whatever its `type` (failures are values here). Handles in `params` are the
   * server's: they die with the session, so this is for tools, not for long-lived state.
   * Waits while the client reconnects.
   *
   * @throws ClusnotifyError INVALID_ARGUMENT for parameters that do not match the method's
   * schema; CONNECTION_LOST when the connection goes away before the result (the call may or
   * may not have taken effect) or the client is disconnected; SESSION_CLOSED after close;
   * TIMEOUT after `timeoutMs`. Rejects with `signal.reason` on abort (a get is cancelled).
   */
  async call<M extends WireMethod>(
    method: M,
    params: WireParams<M>,
    options: ClientCallOptions = {},
  ): Promise<CallResult> {
    const parsed = parseParams(method, params);
    if (!parsed.ok) throw new ClusnotifyError('INVALID_ARGUMENT', parsed.message);
    checkTimeout(options.timeoutMs, method);
    const ctx = await this.#session();
    const waiting = WAITING_METHODS.has(method);
    return ctx.conn.call(method, params, {
      waiting,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? (waiting ? undefined : this.#options.callTimeoutMs),
    });
  }

  async #callOk(method: WireMethod, params: object): Promise<CallResult> {
    const ctx = await this.#session();
    return expectOk(
      method,
      await ctx.conn.call(method, params, { timeoutMs: this.#options.callTimeoutMs }),
    );
  }

  // ----- Win32-shaped handles (§8; clusapi.h) --------------------------------------------------

  #record<K extends HandleKind>(
    h: unknown,
    kinds: readonly K[],
    what: string,
    allowClosed = false,
  ): HandleRecord & { readonly kind: K } {
    if (!(h instanceof ClusterObjectHandle))
      throw new ClusnotifyError('INVALID_ARGUMENT', `${what} must be a handle from this client`);
    const r = handleRecord(h as ClusterObjectHandle);
    if (r.owner !== this)
      throw new ClusnotifyError('OBJECT_NOT_FOUND', `${what} belongs to another client`);
    if (!(kinds as readonly HandleKind[]).includes(r.kind))
      throw new ClusnotifyError(
        'HANDLE_WRONG_KIND',
        `${what} is a ${r.kind} handle; expected ${kinds.join(' or ')}`,
      );
    if (r.closed && !allowClosed)
      throw new ClusnotifyError('OBJECT_NOT_FOUND', `${what} was closed`);
    return r as HandleRecord & { readonly kind: K };
  }

  #serverHandle(ctx: SessionContext, r: HandleRecord, what: string): string {
    if (r.server?.conn !== ctx.conn)
      throw new ClusnotifyError(
        'OBJECT_NOT_FOUND',
        `the object behind ${what} no longer exists (it could not be re-opened after a reconnect)`,
      );
    return r.server.handle;
  }

  #newRecord<K extends HandleKind>(
    kind: K,
    fields: { name: string; id: string; path: string },
    server: HandleRecord['server'],
  ): HandleRecord & { readonly kind: K } {
    const r = { kind, owner: this, ...fields, closed: false, server };
    this.#handles.add(r);
    return r;
  }

  /** OpenCluster: a cluster handle (HCLUSTER). §8; ApiOpenCluster §3.1.4.2.1. */
  async openCluster(): Promise<ClusterHandle> {
    return this.#withSession(async (ctx) => {
      const r = expectOk('openCluster', await ctx.conn.call('openCluster', {}, this.#timeout()));
      const w = ctx.conn.welcome;
      return new ClusterObjectHandle(
        this.#newRecord(
          'cluster',
          { name: w.cluster.name, id: w.cluster.id, path: '' },
          { conn: ctx.conn, handle: stringField('openCluster', r, 'handle') },
        ),
      );
    });
  }

  async #openObject<K extends ObjectKind>(
    kind: K,
    hCluster: ClusterHandle,
    name: string,
  ): Promise<ClusterObjectHandle<K>> {
    this.#record(hCluster, ['cluster'], 'hCluster');
    if (typeof name !== 'string' || name === '')
      throw new ClusnotifyError('INVALID_ARGUMENT', `name must be a non-empty ${kind} name or id`);
    const method = OBJECT_KINDS[kind].open;
    return this.#withSession(async (ctx) => {
      const r = expectOk(method, await ctx.conn.call(method, { name }, this.#timeout()));
      return new ClusterObjectHandle(
        this.#newRecord(
          kind,
          {
            name: typeof r.name === 'string' ? r.name : name,
            id: typeof r.id === 'string' ? r.id : '',
            path: '',
          },
          { conn: ctx.conn, handle: stringField(method, r, 'handle') },
        ),
      );
    });
  }

  /** OpenClusterNode (by name or id). §8; ApiOpenNode §3.1.4.2.67. */
  openClusterNode(hCluster: ClusterHandle, name: string): Promise<NodeHandle> {
    return this.#openObject('node', hCluster, name);
  }
  /** OpenClusterGroup. ApiOpenGroup §3.1.4.2.42. */
  openClusterGroup(hCluster: ClusterHandle, name: string): Promise<GroupHandle> {
    return this.#openObject('group', hCluster, name);
  }
  /** OpenClusterResource. ApiOpenResource §3.1.4.2.9. */
  openClusterResource(hCluster: ClusterHandle, name: string): Promise<ResourceHandle> {
    return this.#openObject('resource', hCluster, name);
  }
  /** OpenClusterNetwork. ApiOpenNetwork §3.1.4.2.81. */
  openClusterNetwork(hCluster: ClusterHandle, name: string): Promise<NetworkHandle> {
    return this.#openObject('network', hCluster, name);
  }
  /** OpenClusterNetInterface. ApiOpenNetInterface §3.1.4.2.92. */
  openClusterNetInterface(hCluster: ClusterHandle, name: string): Promise<NetInterfaceHandle> {
    return this.#openObject('netinterface', hCluster, name);
  }

  /** GetClusterKey: the root key of the cluster database. ApiGetRootKey §3.1.4.2.29. */
  async getClusterKey(hCluster: ClusterHandle): Promise<KeyHandle> {
    const c = this.#record(hCluster, ['cluster'], 'hCluster');
    return this.#withSession(async (ctx) => {
      const r = expectOk(
        'getRootKey',
        await ctx.conn.call(
          'getRootKey',
          { hCluster: this.#serverHandle(ctx, c, 'hCluster') },
          this.#timeout(),
        ),
      );
      return new ClusterObjectHandle(
        this.#newRecord(
          'key',
          { name: '', id: '', path: '' },
          { conn: ctx.conn, handle: stringField('getRootKey', r, 'handle') },
        ),
      );
    });
  }

  /**
   * ClusterRegOpenKey: an existing subkey of `hKey` (`subKey` relative to it, segments
   * separated by backslashes). ApiOpenKey §3.1.4.2.31.
   */
  async openClusterKey(hKey: KeyHandle, subKey: string): Promise<KeyHandle> {
    const k = this.#record(hKey, ['key'], 'hKey');
    if (typeof subKey !== 'string')
      throw new ClusnotifyError('INVALID_ARGUMENT', 'subKey must be a string');
    return this.#withSession(async (ctx) => {
      const r = expectOk(
        'openKey',
        await ctx.conn.call(
          'openKey',
          { hKey: this.#serverHandle(ctx, k, 'hKey'), subKey },
          this.#timeout(),
        ),
      );
      const joined = subKey === '' ? k.path : k.path === '' ? subKey : `${k.path}\\${subKey}`;
      return new ClusterObjectHandle(
        this.#newRecord(
          'key',
          { name: '', id: '', path: typeof r.path === 'string' ? r.path : joined },
          { conn: ctx.conn, handle: stringField('openKey', r, 'handle') },
        ),
      );
    });
  }

  /**
   * Closes a handle: posts HANDLE_CLOSE(_V2) to every port with a filter registered with it
   * (§7.4), forgets it, and closes it on the server. Closing twice does nothing.
   */
  async #closeHandle(
    h: ClusterObjectHandle,
    kinds: readonly HandleKind[],
    what: string,
  ): Promise<void> {
    const r = this.#record(h, kinds, what, true);
    if (r.closed) return;
    r.closed = true;
    this.#handles.delete(r);
    for (const p of this.#ports) p.postHandleClose(r);
    const s = r.server;
    r.server = undefined;
    if (s !== undefined && !s.conn.closed)
      await closeQuietly(s.conn, CLOSE_METHODS[r.kind], s.handle);
  }

  /** CloseCluster. ApiCloseCluster §3.1.4.2.2; posts HANDLE_CLOSE (§7.4). */
  closeCluster(h: ClusterHandle): Promise<void> {
    return this.#closeHandle(h, ['cluster'], 'hCluster');
  }
  /** CloseClusterNode. ApiCloseNode; posts HANDLE_CLOSE (§7.4). */
  closeClusterNode(h: NodeHandle): Promise<void> {
    return this.#closeHandle(h, ['node'], 'hNode');
  }
  /** CloseClusterGroup. ApiCloseGroup; posts HANDLE_CLOSE (§7.4). */
  closeClusterGroup(h: GroupHandle): Promise<void> {
    return this.#closeHandle(h, ['group'], 'hGroup');
  }
  /** CloseClusterResource. ApiCloseResource; posts HANDLE_CLOSE (§7.4). */
  closeClusterResource(h: ResourceHandle): Promise<void> {
    return this.#closeHandle(h, ['resource'], 'hResource');
  }
  /** CloseClusterNetwork. ApiCloseNetwork; posts HANDLE_CLOSE (§7.4). */
  closeClusterNetwork(h: NetworkHandle): Promise<void> {
    return this.#closeHandle(h, ['network'], 'hNetwork');
  }
  /** CloseClusterNetInterface. ApiCloseNetInterface; posts HANDLE_CLOSE (§7.4). */
  closeClusterNetInterface(h: NetInterfaceHandle): Promise<void> {
    return this.#closeHandle(h, ['netinterface'], 'hNetInterface');
  }
  /** ClusterRegCloseKey. ApiCloseKey §3.1.4.2.36; posts HANDLE_CLOSE with name '' (§7.4). */
  closeClusterKey(h: KeyHandle): Promise<void> {
    return this.#closeHandle(h, ['key'], 'hKey');
  }

  // ----- Win32-shaped notification ports (§8) --------------------------------------------------

  #newPort(version: 1 | 2): PortCore {
    if (this.#state === 'closed') throw closedError(this.#closeReason);
    const port: PortCore = new PortCore({
      version,
      maxQueued: this.#options.maxLocalQueue,
      resume: this.#options.resume,
      stream: this.#options.delivery === 'stream',
      streamWindow: this.#options.streamWindow,
      encoding: this.#options.streamEncoding,
      cluster: () => ({ id: this.clusterId, name: this.clusterName }),
      onClosed: (p) => {
        this.#ports.delete(p);
        return Promise.resolve();
      },
    });
    this.#ports.add(port);
    return port;
  }

  #port(h: unknown, version: 1 | 2, what: string): PortCore {
    if (!(h instanceof NotifyPortHandle))
      throw new ClusnotifyError(
        'INVALID_ARGUMENT',
        `${what} must be a notification port of this client`,
      );
    const core = portCore(h);
    if (core.closed) throw new ClusnotifyError('PORT_NOT_FOUND', `${what} was closed`);
    if (!this.#ports.has(core))
      throw new ClusnotifyError('PORT_NOT_FOUND', `${what} belongs to another client`);
    if (core.version !== version)
      throw new ClusnotifyError(
        'WRONG_PORT_VERSION',
        `${what} is a version-${core.version} port; this function needs version ${version}`,
      );
    return core;
  }

  async #register(
    port: PortCore,
    created: boolean,
    specs: readonly FilterSpec[],
    handle: HandleRecord | undefined,
    notifyKey: number,
  ): Promise<void> {
    checkNotifyKey(notifyKey);
    try {
      for (const spec of specs) {
        await this.#withSession((ctx) => port.addFilter(ctx, spec, handle, notifyKey));
      }
    } catch (e) {
      if (created) await port.close();
      throw e;
    }
  }

  /**
   * CreateClusterNotifyPort: with `hChange` null a new version-1 port (ApiCreateNotify), else
   * the given one; then a cluster-wide filter (ApiAddNotifyCluster). The client-only bits
   * CLUSTER_STATE, CLUSTER_RECONNECT and HANDLE_CLOSE are stripped before the wire (D2), so
   * `ClusterChange.ALL` works; the client posts those events itself. §8, §7.2.
   *
   * @throws ClusnotifyError the server's failure (a new port is then closed), PORT_NOT_FOUND
   * for a closed `hChange`, CONNECTION_LOST while disconnected.
   */
  async createClusterNotifyPort(
    hChange: NotifyPortHandle | null,
    hCluster: ClusterHandle,
    filter: number,
    notifyKey: number,
  ): Promise<NotifyPortHandle> {
    const c = this.#record(hCluster, ['cluster'], 'hCluster');
    checkMask(filter, 'filter');
    const port = hChange === null ? this.#newPort(1) : this.#port(hChange, 1, 'hChange');
    const wire = (filter & ~CLIENT_ONLY_V1) >>> 0;
    await this.#register(port, hChange === null, [{ kind: 'cluster', filter: wire }], c, notifyKey);
    return hChange ?? new NotifyPortHandle(port);
  }

  /**
   * RegisterClusterNotify: adds a filter for one object to a version-1 port. The handle's
   * kind picks the method: cluster → ApiAddNotifyCluster; node, group, resource, network,
   * net interface → ApiAddNotify<Kind> (the returned state sequence is kept for ReAdd); key →
   * ApiAddNotifyKey with `filterType & 0x70` and WatchSubTree = REGISTRY_SUBTREE set.
   * Client-only bits are stripped (a filter of only those is kept locally, for HANDLE_CLOSE).
   * §8, §5.3–5.5 of the reference.
   *
   * @returns ERROR_SUCCESS (0).
   * @throws ClusnotifyError with the status RegisterClusterNotify would return.
   */
  async registerClusterNotify(
    hChange: NotifyPortHandle,
    filterType: number,
    hObject: ClusterObjectHandle,
    notifyKey: number,
  ): Promise<number> {
    const port = this.#port(hChange, 1, 'hChange');
    checkMask(filterType, 'filterType');
    const r = this.#record(
      hObject,
      ['cluster', 'node', 'group', 'resource', 'network', 'netinterface', 'key'],
      'hObject',
    );
    const wire = (filterType & ~CLIENT_ONLY_V1) >>> 0;
    let spec: FilterSpec;
    switch (r.kind) {
      case 'cluster':
        spec = { kind: 'cluster', filter: wire };
        break;
      case 'key':
        spec = {
          kind: 'key',
          keyPath: r.path,
          filter: (filterType & REGISTRY_BITS) >>> 0,
          watchSubtree: (filterType & REGISTRY_SUBTREE) !== 0,
        };
        break;
      case 'node':
      case 'group':
      case 'resource':
      case 'network':
      case 'netinterface':
        spec = { kind: 'object', objectKind: r.kind, objectId: r.id, name: r.name, filter: wire };
        break;
    }
    await this.#register(port, false, [spec], r, notifyKey);
    return 0;
  }

  /**
   * GetClusterNotify: the next indication of the port's local queue (§7.5); waits up to
   * `timeoutMs` (default without limit). Never calls the server.
   *
   * @throws ClusnotifyError PORT_NOT_FOUND for a closed port; rejects with `signal.reason`.
   */
  async getClusterNotify(
    hChange: NotifyPortHandle,
    options: ReadOptions = {},
  ): Promise<ClusterNotifyResult> {
    const port = this.#port(hChange, 1, 'hChange');
    const r = await port.queue.next(options);
    switch (r.type) {
      case 'timeout':
        return { type: 'timeout', status: 0x102 };
      case 'closed':
        return { type: 'closed', status: 0x6 };
      case 'item': {
        const i = r.item;
        if (i.version !== 1) throw new ClusnotifyError('INTERNAL', 'a v2 indication on a v1 port');
        return {
          type: 'ok',
          status: 0,
          notifyKey: i.notifyKey,
          filterType: i.filter,
          name: i.name,
          stateSequence: i.stateSequence,
          revision: i.revision,
          lost: i.lost,
        };
      }
    }
  }

  /**
   * CloseClusterNotifyPort: ApiUnblockGetNotifyCall's effect and ApiCloseNotify (§7.2 step
   * 5); parked local reads answer `closed`. Idempotent.
   */
  async closeClusterNotifyPort(hChange: NotifyPortHandle): Promise<void> {
    if (!(hChange instanceof NotifyPortHandle))
      throw new ClusnotifyError('INVALID_ARGUMENT', 'hChange must be a notification port');
    await portCore(hChange).close();
  }

  /**
   * CreateClusterNotifyPortV2: with `hChange` null a new version-2 port (ApiCreateNotifyV2),
   * else the given one; then one whole-type filter per entry (ApiAddNotifyV2 with the cluster
   * handle), all with `notifyKey`. Client-only flags (V2_FAMILIES[type].clientOnly) are
   * stripped. §8.
   *
   * @throws ClusnotifyError the server's failure (a new port is then closed).
   */
  async createClusterNotifyPortV2(
    hChange: NotifyPortHandle | null,
    hCluster: ClusterHandle,
    filters: readonly NotifyFilterAndType[],
    notifyKey: number,
  ): Promise<NotifyPortHandle> {
    const c = this.#record(hCluster, ['cluster'], 'hCluster');
    if (!isList(filters))
      throw new ClusnotifyError(
        'INVALID_ARGUMENT',
        'filters must be an array of { objectType, filterFlags }',
      );
    const specs = filters.map((f, i) => v2Spec(f, undefined, `filters[${i}]`));
    const port = hChange === null ? this.#newPort(2) : this.#port(hChange, 2, 'hChange');
    await this.#register(port, hChange === null, specs, c, notifyKey);
    return hChange ?? new NotifyPortHandle(port);
  }

  /**
   * RegisterClusterNotifyV2: one filter on a version-2 port, for every object of the type
   * (`hObject` null or a cluster handle) or for the one object `hObject` names
   * (isTargetedAtObject). Client-only flags are stripped. §8; ApiAddNotifyV2 §3.1.4.2.137.
   *
   * @returns ERROR_SUCCESS (0).
   * @throws ClusnotifyError with the status the call would return.
   */
  async registerClusterNotifyV2(
    hChange: NotifyPortHandle,
    filter: NotifyFilterAndType,
    hObject: ClusterObjectHandle | null,
    notifyKey: number,
  ): Promise<number> {
    const port = this.#port(hChange, 2, 'hChange');
    const r =
      hObject === null
        ? undefined
        : this.#record(
            hObject,
            ['cluster', 'node', 'group', 'resource', 'network', 'netinterface', 'key'],
            'hObject',
          );
    let target: V2Target | undefined;
    if (r !== undefined) {
      switch (r.kind) {
        case 'cluster':
          target = undefined;
          break;
        case 'key':
          target = { kind: 'key', keyPath: r.path };
          break;
        case 'node':
        case 'group':
        case 'resource':
        case 'network':
        case 'netinterface':
          target = { kind: 'object', objectKind: r.kind, objectId: r.id, name: r.name };
          break;
      }
    }
    await this.#register(port, false, [v2Spec(filter, target, 'filter')], r, notifyKey);
    return 0;
  }

  /**
   * GetClusterNotifyV2: the next indication of the port's local queue (§7.5), with every
   * NOTIFICATION_DATA_RPC field. Never calls the server.
   *
   * @throws ClusnotifyError PORT_NOT_FOUND for a closed port; rejects with `signal.reason`.
   */
  async getClusterNotifyV2(
    hChange: NotifyPortHandle,
    options: ReadOptions = {},
  ): Promise<ClusterNotifyV2Result> {
    const port = this.#port(hChange, 2, 'hChange');
    const r = await port.queue.next(options);
    switch (r.type) {
      case 'timeout':
        return { type: 'timeout', status: 0x102 };
      case 'closed':
        return { type: 'closed', status: 0x6 };
      case 'item': {
        const i = r.item;
        if (i.version !== 2) throw new ClusnotifyError('INTERNAL', 'a v1 indication on a v2 port');
        return {
          type: 'ok',
          status: 0,
          notifyKey: i.notifyKey,
          filterAndType: i.filterAndType,
          objectId: i.objectId,
          parentId: i.parentId,
          name: i.name,
          typeName: i.type,
          buffer: i.buffer,
          revision: i.revision,
          lost: i.lost,
        };
      }
    }
  }

  // ----- idiomatic ports -----------------------------------------------------------------------

  /**
   * Opens a port with the given filters and returns it as an async iterable of indications
   * (`for await (const i of port)`, or `port.next({ timeoutMs, signal })`). Objects and keys
   * are named by name / path; the port opens them itself. Client-only bits are stripped;
   * CLUSTER_STATE, CLUSTER_RECONNECT and lost-events indications arrive whatever the filters.
   *
   * @throws ClusnotifyError INVALID_ARGUMENT for a filter that does not fit the version, the
   * server's failure for a filter (the port is then closed).
   */
  async openPort(options: OpenPortOptions): Promise<ClientPort> {
    const { version, filters } = options;
    if (version !== 1 && version !== 2)
      throw new ClusnotifyError('INVALID_ARGUMENT', 'version must be 1 or 2');
    if (!isList(filters))
      throw new ClusnotifyError('INVALID_ARGUMENT', 'filters must be an array of PortFilter');
    const since = options.sinceRevision;
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0))
      throw new ClusnotifyError(
        'INVALID_ARGUMENT',
        `sinceRevision must be a non-negative integer revision (got ${String(since)})`,
      );
    const specs = filters.map((f, i) => portFilterSpec(version, f, `filters[${i}]`));
    const port = this.#newPort(version);
    try {
      if (since !== undefined) port.holdReader();
      for (const [spec, notifyKey] of specs) {
        checkNotifyKey(notifyKey);
        await this.#withSession((ctx) => port.addFilter(ctx, spec, undefined, notifyKey));
      }
      if (specs.length === 0) await this.#withSession((ctx) => port.ensureServer(ctx));
      if (since !== undefined && !(await this.#withSession((ctx) => port.rewind(ctx, since))))
        throw new ClusnotifyError(
          'HISTORY_COMPACTED',
          `the server no longer holds the history after revision ${since}`,
        );
    } catch (e) {
      await port.close();
      throw e;
    }
    return clientPort(port);
  }

  // ----- admin calls ---------------------------------------------------------------------------

  /**
   * Runs a model command (docs/events.md) with full access and resolves once it is durable,
   * with its revision (and its change records when `options.changes` is set, D49).
   *
   * @throws ClusnotifyError the command's failure (ACCESS_DENIED with a read token,
   * RESOURCE_NOT_FOUND, …); CONNECTION_LOST when the connection went away before the answer —
   * the command may or may not have been committed, so it is not retried.
   */
  async execute(command: ClusterCommand, options: ExecuteOptions = {}): Promise<Executed> {
    if (command === null || typeof command !== 'object' || typeof command.type !== 'string')
      throw new ClusnotifyError('INVALID_ARGUMENT', 'command must be an object with a string type');
    const revision = (r: Record<string, unknown>): number =>
      typeof r.revision === 'number' ? r.revision : 0;
    if (options.changes !== true)
      return { revision: revision(await this.#callOk('execute', { command })) };
    const r = await this.#callOk('execute', { command, changes: true });
    return {
      revision: revision(r),
      changes: Array.isArray(r.changes) ? (r.changes as unknown[]) : [],
    };
  }

  /** Brings a resource online (`resource.online`). ApiOnlineResource §3.1.4.2.18. */
  onlineResource(name: string): Promise<Executed> {
    return this.execute({ type: 'resource.online', resource: name });
  }
  /** Takes a resource offline (`resource.offline`). ApiOfflineResource §3.1.4.2.19. */
  offlineResource(name: string): Promise<Executed> {
    return this.execute({ type: 'resource.offline', resource: name });
  }
  /** Fails a resource; the restart policy reacts (`resource.fail`). ApiFailResource §3.1.4.2.17. */
  failResource(name: string): Promise<Executed> {
    return this.execute({ type: 'resource.fail', resource: name });
  }
  /**
   * Moves a group to `node`, or to the best other node (`group.move`). ApiMoveGroup(ToNode)
   * §3.1.4.2.49–50.
   */
  moveGroup(name: string, node?: string): Promise<Executed> {
    return this.execute(
      node === undefined
        ? { type: 'group.move', group: name }
        : { type: 'group.move', group: name, node },
    );
  }
  /** Pauses a node (`node.pause`). ApiPauseNode §3.1.4.2.70. */
  pauseNode(name: string): Promise<Executed> {
    return this.execute({ type: 'node.pause', node: name });
  }
  /** Resumes a paused node (`node.resume`). ApiResumeNode §3.1.4.2.71. */
  resumeNode(name: string): Promise<Executed> {
    return this.execute({ type: 'node.resume', node: name });
  }

  /** Every object of the cluster as JSON, with the revision it reflects. */
  async getClusterState(): Promise<ClusterSnapshot> {
    const r: Record<string, unknown> = { ...(await this.#callOk('getClusterState', {})) };
    delete r.type;
    delete r.status;
    return { ...r, revision: typeof r.revision === 'number' ? r.revision : 0 };
  }

  /** Figures of the server: sessions, ports, queued / delivered / dropped indications, revision. */
  async getServerInfo(): Promise<ServerInfo> {
    const r = await this.#callOk('getServerInfo', {});
    const n = (k: string): number => (typeof r[k] === 'number' ? r[k] : 0);
    return {
      sessions: n('sessions'),
      ports: n('ports'),
      queued: n('queued'),
      delivered: n('delivered'),
      dropped: n('dropped'),
      revision: n('revision'),
    };
  }

  /**
   * The server's open sessions with their ports: queue depth, bound, dropped and delivered
   * indications (docs/protocol.md, `listSessions`). At most `max` sessions (default 256,
   * at most 1024), oldest first.
   *
   * @throws ClusnotifyError INVALID_ARGUMENT for a bad `max`; CONNECTION_LOST.
   */
  async listSessions(max?: number): Promise<SessionList> {
    const r = await this.#callOk('listSessions', max === undefined ? {} : { max });
    return {
      revision: typeof r.revision === 'number' ? r.revision : 0,
      total: typeof r.total === 'number' ? r.total : 0,
      sessions: Array.isArray(r.sessions) ? (r.sessions as SessionFigures[]) : [],
    };
  }

  // ----- close ---------------------------------------------------------------------------------

  #timeout(): { readonly timeoutMs: number } {
    return { timeoutMs: this.#options.callTimeoutMs };
  }

  /**
   * Closes the client: stops reconnecting, closes the connection (the server then closes the
   * session's ports, §3.1.6), closes every port (parked reads answer `closed`) and handle, and
   * fails waiting calls with SESSION_CLOSED. Idempotent; resolves when the socket is closed.
   */
  close(): Promise<void> {
    return this.#shutdown(undefined);
  }

  /**
   * {@link close}, with `reason` when the client closes itself (a refused token, D42): the
   * `closed` state change carries it, and calls that fail because the client is closed
   * (SESSION_CLOSED) have it as their cause. Not awaited from the reconnect loop, which it
   * awaits.
   */
  #shutdown(reason: ClusnotifyError | undefined): Promise<void> {
    this.#closing ??= (async () => {
      this.#closeReason = reason;
      this.#setState('closed', reason);
      const e = closedError(reason);
      this.#closeSource.abort(e);
      const waiters = this.#openWaiters;
      this.#openWaiters = [];
      for (const w of waiters) w.reject(e);
      const conn = this.#ctx?.conn;
      this.#ctx = undefined;
      const pending = this.#pending;
      this.#pending = undefined;
      await Promise.all([conn?.close(e), pending?.close(e)]);
      await Promise.all([...this.#ports].map((p) => p.close()));
      for (const h of this.#handles) {
        h.closed = true;
        h.server = undefined;
      }
      this.#handles.clear();
      await this.#reconnecting;
    })();
    return this.#closing;
  }

  /** Same as {@link close}: `await using client = await connect(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Server refusals that say it is full rather than unreachable or broken. */
const FULL_SERVER: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SESSION_LIMIT',
  'CONNECTION_LIMIT',
]);

/**
 * Connects to the first reachable server of `urls` (each `ws://host:port/v1` or `wss://…`),
 * authenticates with `options.token` and returns the client. Later connection losses are
 * handled by the client itself (§7.3): it tries every candidate with backoff.
 *
 * @throws ClusnotifyError AUTH_FAILED when a server refuses the token; SESSION_LIMIT or
 * CONNECTION_LIMIT when every candidate was full for that same reason;
 * NO_SERVER otherwise when no candidate could be reached (the message lists why for each);
 * INVALID_ARGUMENT for bad options.
 */
export async function connect(
  urls: string | readonly string[],
  options: ConnectOptions,
): Promise<Client> {
  const list = typeof urls === 'string' ? [urls] : [...urls];
  if (list.length === 0 || list.some((u) => typeof u !== 'string' || u === ''))
    throw new ClusnotifyError('INVALID_ARGUMENT', 'urls must be one or more ws:// or wss:// URLs');
  if (options === null || typeof options !== 'object' || typeof options.token !== 'string')
    throw new ClusnotifyError('INVALID_ARGUMENT', 'options.token must be a string');
  const positive = (v: number | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !(v > 0))
      throw new ClusnotifyError(
        'INVALID_ARGUMENT',
        `${name} must be a number > 0, got ${String(v)}`,
      );
    return v;
  };
  const resolved: ResolvedOptions = {
    token: options.token,
    clientName: options.clientName ?? 'clusnotify-client/0.1.0',
    resume: options.resume ?? true,
    initialDelayMs: positive(
      options.reconnect?.initialDelayMs,
      'reconnect.initialDelayMs',
      DEFAULT_RECONNECT.initialDelayMs,
    ),
    maxDelayMs: positive(
      options.reconnect?.maxDelayMs,
      'reconnect.maxDelayMs',
      DEFAULT_RECONNECT.maxDelayMs,
    ),
    callTimeoutMs: positive(options.callTimeoutMs, 'callTimeoutMs', 30_000),
    connectTimeoutMs: positive(options.connectTimeoutMs, 'connectTimeoutMs', 10_000),
    maxLocalQueue: Math.floor(positive(options.maxLocalQueue, 'maxLocalQueue', 100_000)),
    batchMax: Math.floor(positive(options.batchMax, 'batchMax', 1024)),
    delivery: deliveryOption(options.delivery),
    streamWindow: Math.min(
      MAX_STREAM_WINDOW,
      Math.floor(positive(options.streamWindow, 'streamWindow', DEFAULT_STREAM_WINDOW)),
    ),
    streamEncoding: streamEncodingOption(options.streamEncoding),
    heartbeatMs:
      options.heartbeatMs === 0 ? 0 : positive(options.heartbeatMs, 'heartbeatMs', 20_000),
  };
  let ws: WebSocketConstructor;
  try {
    ws = await resolveWebSocket(options.WebSocket);
  } catch (e) {
    throw new ClusnotifyError(
      'NO_SERVER',
      'no WebSocket implementation: pass options.WebSocket, or install the ws package',
      { cause: e },
    );
  }
  const client = new Client(list, resolved, ws);
  await startClient(client);
  return client;
}

// ----- helpers -------------------------------------------------------------------------------

/** `Array.isArray` without narrowing a readonly array to `any[]`. */
function isList(v: unknown): boolean {
  return Array.isArray(v);
}

/** SESSION_CLOSED; with `cause` (AUTH_FAILED) when the client closed itself for that reason. */
function closedError(cause?: ClusnotifyError): ClusnotifyError {
  if (cause === undefined) return new ClusnotifyError('SESSION_CLOSED', 'the client was closed');
  return new ClusnotifyError('SESSION_CLOSED', `the client was closed: ${cause.message}`, {
    cause,
  });
}

async function closeQuietly(conn: Connection, method: WireMethod, handle: string): Promise<void> {
  if (conn.closed) return;
  try {
    await conn.call(method, { handle }, { timeoutMs: 5000 });
  } catch {
    // The handle dies with the session anyway.
  }
}

function checkMask(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff)
    throw new ClusnotifyError(
      'INVALID_ARGUMENT',
      `${what} must be a 32-bit mask, got ${String(v)}`,
    );
}

function checkNotifyKey(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER)
    throw new ClusnotifyError(
      'INVALID_NOTIFY_KEY',
      `notifyKey must be an integer from 0 to 2^53 - 1, got ${String(v)}`,
    );
}

/** A V2 filter spec with the type's client-only flags stripped. */
function v2Spec(f: NotifyFilterAndType, target: V2Target | undefined, what: string): FilterSpec {
  if (
    f === null ||
    typeof f !== 'object' ||
    !Number.isInteger(f.objectType) ||
    !Number.isInteger(f.filterFlags)
  )
    throw new ClusnotifyError(
      'INVALID_ARGUMENT',
      `${what} must be { objectType, filterFlags } with integer fields`,
    );
  const family = V2_FAMILIES[f.objectType as ClusterObjectType];
  const filterFlags =
    family === undefined ? f.filterFlags : (f.filterFlags & ~family.clientOnly) >>> 0;
  return { kind: 'v2', objectType: f.objectType, filterFlags, target };
}

/** The spec and notify key of an idiomatic port filter. */
function portFilterSpec(version: 1 | 2, f: PortFilter, what: string): [FilterSpec, number] {
  const wrong = (): never => {
    throw new ClusnotifyError(
      'INVALID_ARGUMENT',
      `${what}: a ${f.kind} filter does not fit a version-${version} port (v1: cluster, object, key; v2: v2)`,
    );
  };
  switch (f.kind) {
    case 'cluster':
      if (version !== 1) return wrong();
      checkMask(f.filter, `${what}.filter`);
      return [{ kind: 'cluster', filter: (f.filter & ~CLIENT_ONLY_V1) >>> 0 }, f.notifyKey];
    case 'object': {
      if (version !== 1) return wrong();
      checkMask(f.filter, `${what}.filter`);
      const kind = kindOfObjectType(f.objectType);
      if (kind === undefined || kind === 'key')
        throw new ClusnotifyError(
          'INVALID_ARGUMENT',
          `${what}.objectType must be NODE, GROUP, RESOURCE, NETWORK or NETWORK_INTERFACE`,
        );
      if (typeof f.name !== 'string' || f.name === '')
        throw new ClusnotifyError('INVALID_ARGUMENT', `${what}.name must be a non-empty name`);
      return [
        {
          kind: 'object',
          objectKind: kind,
          objectId: '',
          name: f.name,
          filter: (f.filter & ~CLIENT_ONLY_V1) >>> 0,
        },
        f.notifyKey,
      ];
    }
    case 'key':
      if (version !== 1) return wrong();
      checkMask(f.filter, `${what}.filter`);
      if (typeof f.path !== 'string')
        throw new ClusnotifyError('INVALID_ARGUMENT', `${what}.path must be a key path`);
      return [
        {
          kind: 'key',
          keyPath: f.path,
          filter: (f.filter & REGISTRY_BITS) >>> 0,
          watchSubtree: f.watchSubtree === true || (f.filter & REGISTRY_SUBTREE) !== 0,
        },
        f.notifyKey,
      ];
    case 'v2': {
      if (version !== 2) return wrong();
      let target: V2Target | undefined;
      if (f.name !== undefined) {
        const kind = kindOfObjectType(f.objectType);
        if (f.objectType === ClusterObjectType.RESOURCE_TYPE)
          target = { kind: 'restype', name: f.name };
        else if (kind === 'key') target = { kind: 'key', keyPath: f.name };
        else if (kind !== undefined)
          target = { kind: 'object', objectKind: kind, objectId: '', name: f.name };
        else
          throw new ClusnotifyError(
            'INVALID_ARGUMENT',
            `${what}.name: objects of type ${f.objectType} cannot be named; leave name out`,
          );
      }
      return [
        v2Spec({ objectType: f.objectType, filterFlags: f.filterFlags }, target, what),
        f.notifyKey,
      ];
    }
  }
}

function deliveryOption(value: unknown): 'stream' | 'poll' {
  if (value === undefined || value === 'stream' || value === 'poll') return value ?? 'stream';
  throw new ClusnotifyError(
    'INVALID_ARGUMENT',
    `options.delivery must be 'stream' or 'poll' (got ${JSON.stringify(value)})`,
  );
}

function streamEncodingOption(value: unknown): StreamEncoding {
  if (value === undefined || value === 'grouped' || value === 'binary' || value === 'json')
    return value ?? 'grouped';
  throw new ClusnotifyError(
    'INVALID_ARGUMENT',
    `options.streamEncoding must be 'grouped', 'binary' or 'json' (got ${JSON.stringify(value)})`,
  );
}
