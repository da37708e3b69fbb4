/**
 * A notification port as the client keeps it (§7.1 of the reference, [MS-CMRP] §3.2.1.1): the
 * filters the application registered (with its own notify keys, the handles they name and,
 * for per-object v1 filters, the latest state sequence), the local queue, and the reader loop
 * that moves indications from the server port into it (§7.2). It survives reconnects: on a new
 * session it is resumed exactly from its last revision, or rebuilt the MS-CMRP way (§7.3).
 */
import {
  ClusterChange,
  ClusterChangeClusterV2,
  ClusterObjectType,
  ClusnotifyError,
  HandleCloseV2,
  checkNotificationsV1,
  checkNotificationsV2,
  fromWireNotification,
} from '@clusnotify/protocol';
import type {
  Indication,
  IndicationV1,
  WireFilter,
  WireNotificationV1,
  WireNotificationV2,
} from '@clusnotify/protocol';
import type { CallResult, Connection, Welcome } from './connection.js';
import { expectOk, isConnectionLost, numberField, stringField } from './errors.js';
import { OBJECT_KINDS, objectTypeOf } from './handles.js';
import type { HandleRecord, ObjectKind } from './handles.js';
import { AbortSource, Latch } from './host.js';
import { LocalQueue } from './local-queue.js';
import type { LostRun } from './local-queue.js';
import type { FeedBatch, PortFeed } from './port-feed.js';

/** What one filter asks for, by object identity rather than by handle. */
export type FilterSpec =
  /** ApiAddNotifyCluster: `filter` is the wire mask (0: only client-generated bits). */
  | { readonly kind: 'cluster'; readonly filter: number }
  /** ApiAddNotifyNode/Group/Resource/Network/NetInterface. */
  | {
      readonly kind: 'object';
      readonly objectKind: ObjectKind;
      readonly objectId: string;
      readonly name: string;
      readonly filter: number;
    }
  /** ApiAddNotifyKey: `filter` already reduced to the registry bits. */
  | {
      readonly kind: 'key';
      readonly keyPath: string;
      readonly filter: number;
      readonly watchSubtree: boolean;
    }
  /** ApiAddNotifyV2 / ApiAddNotifyResourceTypeV2 (`filterFlags` 0: only client-only flags). */
  | {
      readonly kind: 'v2';
      readonly objectType: number;
      readonly filterFlags: number;
      readonly target: V2Target | undefined;
    };

/** The single object a targeted V2 filter names. */
export type V2Target =
  | {
      readonly kind: 'object';
      readonly objectKind: ObjectKind;
      readonly objectId: string;
      readonly name: string;
    }
  | { readonly kind: 'key'; readonly keyPath: string }
  | { readonly kind: 'restype'; readonly name: string };

/** One registered filter (§7.1: mask or type and flags, context value, handle, sequence). */
export interface FilterRecord {
  /** The 32-bit key sent on the wire; maps indications back to this record (§7.1, §4.3). */
  readonly wireKey: number;
  /** The application's notify key, put back on every indication. */
  readonly notifyKey: number;
  /** Completed with the object id after the first registration when it was given by name. */
  spec: FilterSpec;
  /** The handle it was registered with (for HANDLE_CLOSE, §7.4), if any. */
  readonly handle: HandleRecord | undefined;
  /** Per-object v1 filters: the latest state sequence the client knows (D23). */
  stateSequence: number;
}

/** A server-side handle for the object a filter names, and how to give it back. */
export interface LeasedHandle {
  readonly handle: string;
  /** The object's GUID as the open reported it ('' for keys or when not reported). */
  readonly id: string;
  /** The object's current name ('' for keys or when not reported). */
  readonly name: string;
  release(): Promise<void>;
}

/** What a port needs of the session it is (re-)created on. */
export interface SessionContext {
  readonly conn: Connection;
  /** An HCLUSTER on this session owned by the client. */
  readonly clusterHandle: string;
  /** Most indications per batch get on this session. */
  readonly batchMax: number;
  /** Timeout of non-waiting calls. */
  readonly callTimeoutMs: number;
  /** Whether the session is on the same cluster as the one before (resume makes sense). */
  readonly sameCluster: boolean;
  /**
   * A handle on this session for what a filter names: the application's handle if it is open
   * here, else a temporary one opened by id or path.
   *
   * @throws ClusnotifyError when the object no longer exists, CONNECTION_LOST.
   */
  leaseHandle(
    preferred: HandleRecord | undefined,
    target: Extract<V2Target, { kind: 'object' | 'key' }>,
  ): Promise<LeasedHandle>;
}

/** Options of a {@link PortCore}. */
export interface PortCoreOptions {
  readonly version: 1 | 2;
  /** Bound of the local queue. */
  readonly maxQueued: number;
  /** Resume on reconnect when possible (else always rebuild). */
  readonly resume: boolean;
  /**
   * Have the server push the port's indications (`streamNotify`) when it can, instead of
   * asking with one get after another.
   */
  readonly stream: boolean;
  /** Window of a streamed port: most indications unacknowledged at once. */
  readonly streamWindow: number;
  /**
   * What to ask for a streamed version-2 port, where the server offers it: grouped binary
   * frames (D55), binary frames (D53) or JSON.
   */
  readonly encoding: StreamEncoding;
  readonly cluster: () => { readonly id: string; readonly name: string };
  /** Runs after the port closed (the client forgets it, closes its internal handles). */
  readonly onClosed: (port: PortCore) => Promise<void>;
}

/** A batch that passed the checks of decisions D39 (see {@link PortCore.#checked}). */
interface CheckedBatch {
  readonly list: readonly unknown[];
  /** Version 2: entry i's decoded `buffer` at index i (decoded once, by the check); else empty. */
  readonly buffers: readonly Uint8Array[];
}

interface ServerPort {
  readonly conn: Connection;
  readonly handle: string;
  readonly batchMax: number;
}

/** A streamed server port: its feed of pushed batches, and the indications not yet acknowledged. */
interface Stream {
  readonly server: ServerPort;
  readonly feed: PortFeed;
  unacked: number;
}

const EMPTY = new Uint8Array(0);
/** The decoded payloads of a version-1 batch: none. */
const NO_BUFFERS: readonly Uint8Array[] = [];
/** What {@link PortCore.#take} returns when the reader loop has to look again. */
const STREAM_ENDS = Symbol('stream ends');
/** Timeout of the resume call that refills an overflowed port. */
const REFILL_TIMEOUT_MS = 30_000;

/** A port's client-side state. */
export class PortCore {
  /** 1 (ApiCreateNotify) or 2 (ApiCreateNotifyV2). */
  readonly version: 1 | 2;
  /** The client-side queue local reads take from (§7.1, D24). */
  readonly queue: LocalQueue<Indication>;
  readonly #options: PortCoreOptions;
  readonly #filters: FilterRecord[] = [];
  readonly #byWireKey = new Map<number, FilterRecord>();
  #nextWireKey = 1;
  #primaryKey: number | undefined;
  #server: ServerPort | undefined;
  /** Open while `#server` is set or the port is closed: the reader waits on it. */
  readonly #ready = new Latch();
  #creating: Promise<void> | undefined;
  #reader: Promise<void> | undefined;
  readonly #stop = new AbortSource();
  #closing: Promise<void> | undefined;
  /** Set by {@link PortCore.holdReader}: the reader starts only at {@link PortCore.rewind}. */
  #readerHeld = false;

  /** Store revision of the newest server indication received (undefined: never on a server). */
  #lastRevision: number | undefined;
  /** Server indications received with revision `#lastRevision`. */
  #atLast = 0;
  /** Whether every indication of `#lastRevision` was received (the batch ended short). */
  #complete = true;
  /** After a resume from `revision - 1`: replayed indications of `revision` already seen. */
  #skip: { readonly revision: number; count: number } | undefined;
  /**
   * The first revision of the lost run the last refill started from. A lost run that starts no
   * later has made no progress, and is passed on instead of refilled: one commit gives the port
   * more than its bound, and replaying it again would overflow again, forever (D44); or it is
   * the lost-events indication a partial refill put first for history that is gone, which
   * starts right after the revision the refill resumed from (D43).
   */
  #refilledAt = -1;

  constructor(options: PortCoreOptions) {
    this.version = options.version;
    this.#options = options;
    this.queue = new LocalQueue<Indication>({
      maxQueued: options.maxQueued,
      lostEntry: (run) => this.#lostIndication(run),
    });
  }

  /** Whether the port was closed. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The registered filters, in registration order. */
  get filters(): readonly FilterRecord[] {
    return this.#filters;
  }

  /** Store revision of the newest indication received from the server. */
  get lastRevision(): number | undefined {
    return this.#lastRevision;
  }

  /** Whether a filter of this port was registered with the handle. */
  hasHandle(h: HandleRecord): boolean {
    return this.#filters.some((f) => f.handle === h);
  }

  // ----- registration ------------------------------------------------------------------------

  /**
   * Makes sure the port exists on `ctx`'s session: creates it there the first time (with the
   * revision baseline that resume starts from), or restores it if it was on an older session.
   */
  async ensureServer(ctx: SessionContext): Promise<void> {
    this.#checkOpen();
    if (this.#server?.conn === ctx.conn) return;
    if (this.#lastRevision !== undefined) return this.restore(ctx);
    this.#creating ??= this.#create(ctx).finally(() => {
      this.#creating = undefined;
    });
    return this.#creating;
  }

  /**
   * Registers one filter on the server port (ApiAddNotify*), then records it. A filter whose
   * wire mask is empty (only client-generated bits) is recorded without a call.
   *
   * @throws ClusnotifyError the server's failure (nothing recorded), CONNECTION_LOST.
   */
  async addFilter(
    ctx: SessionContext,
    spec: FilterSpec,
    handle: HandleRecord | undefined,
    notifyKey: number,
  ): Promise<void> {
    await this.ensureServer(ctx);
    const server = this.#server;
    if (server === undefined) throw this.#closedError();
    // Taken before the call, so that concurrent registrations get distinct wire keys.
    const wireKey = this.#nextWireKey;
    this.#nextWireKey = (this.#nextWireKey + 1) >>> 0 || 1;
    const record: FilterRecord = { wireKey, notifyKey, spec, handle, stateSequence: 0 };
    if (onServer(spec)) {
      const r = await register(ctx, server.handle, record, 'add');
      this.#checkOpen();
      record.stateSequence = r.stateSequence;
      if (r.objectId !== '') record.spec = withObjectId(record.spec, r.objectId);
    }
    this.#filters.push(record);
    this.#byWireKey.set(record.wireKey, record);
    this.#primaryKey ??= notifyKey;
    if (onServer(spec)) this.#startReader();
  }

  async #create(ctx: SessionContext): Promise<void> {
    const [info, created] = await Promise.all([
      ctx.conn.call('getServerInfo', {}, { timeoutMs: ctx.callTimeoutMs }),
      ctx.conn.call(this.#createMethod(), {}, { timeoutMs: ctx.callTimeoutMs }),
    ]);
    const handle = stringField(
      this.#createMethod(),
      expectOk(this.#createMethod(), created),
      'handle',
    );
    if (this.closed) {
      await closeQuietly(ctx.conn, handle);
      throw this.#closedError();
    }
    this.#lastRevision = numberField(info, 'revision', ctx.conn.welcome.revision);
    this.#atLast = 0;
    this.#complete = true;
    this.#setServer({ conn: ctx.conn, handle, batchMax: ctx.batchMax });
  }

  #createMethod(): 'createNotify' | 'createNotifyV2' {
    return this.version === 1 ? 'createNotify' : 'createNotifyV2';
  }

  // ----- reconnect -----------------------------------------------------------------------------

  /**
   * Re-creates the port on a new session (§7.3 steps 4–5). With resume on, the same cluster and
   * a known revision it calls `resumeNotify` — the server refills the port from the store with
   * exactly what was missed, and nothing is posted. Otherwise, or when the history is
   * compacted, it creates a new port, re-registers every filter (per-object v1 filters through
   * ApiReAddNotify* with their last state sequence), posts CLUSTER_RECONNECT(_V2) and, for v1
   * per-object filters, reads the ReAdd catch-up with ApiGetNotify to learn exact sequences.
   *
   * @throws ClusnotifyError CONNECTION_LOST, or a failure creating the port (the reconnect
   * attempt then moves to the next candidate).
   */
  async restore(ctx: SessionContext): Promise<void> {
    if (this.closed) return;
    this.#setServer(undefined);
    if (this.#lastRevision === undefined) {
      // Never reached a server: nothing can have been missed.
      await this.#create(ctx);
      return;
    }
    if (this.#options.resume && ctx.sameCluster && (await this.#resume(ctx))) return;
    await this.#rebuild(ctx);
  }

  async #resume(
    ctx: Pick<SessionContext, 'conn' | 'batchMax' | 'callTimeoutMs'>,
    partial = false,
  ): Promise<boolean> {
    const last = this.#lastRevision ?? 0;
    const filters: WireFilter[] = [];
    for (const f of this.#filters) {
      if (!onServer(f.spec)) continue;
      const w = wireFilter(f);
      if (w === undefined) return false;
      filters.push(w);
    }
    // A commit whose indications may not all have arrived is replayed whole; the ones already
    // received are skipped as they come in again (filters replay in registration order, D6).
    const afterRevision = this.#complete || last === 0 ? last : last - 1;
    const r = await ctx.conn.call(
      'resumeNotify',
      partial
        ? { version: this.version, filters, afterRevision, partial }
        : { version: this.version, filters, afterRevision },
      { timeoutMs: ctx.callTimeoutMs },
    );
    if (r.type !== 'ok') return false;
    const handle = stringField('resumeNotify', r, 'handle');
    const lostThrough = (r as { lostThrough?: unknown }).lostThrough;
    if (this.closed) {
      await closeQuietly(ctx.conn, handle);
      return true;
    }
    this.#skip = afterRevision === last ? undefined : { revision: last, count: this.#atLast };
    // The revision partly received is among those gone: nothing of it comes again, and the
    // lost-events indication standing for it must not be taken for a repeat.
    if (partial && typeof lostThrough === 'number' && lostThrough >= last) this.#skip = undefined;
    this.#setServer({ conn: ctx.conn, handle, batchMax: ctx.batchMax });
    this.#startReader();
    return true;
  }

  async #rebuild(ctx: SessionContext): Promise<void> {
    const [info, created] = await Promise.all([
      ctx.conn.call('getServerInfo', {}, { timeoutMs: ctx.callTimeoutMs }),
      ctx.conn.call(this.#createMethod(), {}, { timeoutMs: ctx.callTimeoutMs }),
    ]);
    const handle = stringField(
      this.#createMethod(),
      expectOk(this.#createMethod(), created),
      'handle',
    );
    const kept: FilterRecord[] = [];
    for (const f of this.#filters) {
      if (!onServer(f.spec)) {
        kept.push(f);
        continue;
      }
      try {
        await register(ctx, handle, f, 'rebuild');
        kept.push(f);
      } catch (e) {
        if (isConnectionLost(e)) throw e;
        // The object is gone (or the filter is no longer accepted): the filter is dropped;
        // CLUSTER_RECONNECT below tells the application to re-read what it watches (D25).
        this.#byWireKey.delete(f.wireKey);
      }
    }
    this.#filters.splice(0, this.#filters.length, ...kept);
    if (this.closed) {
      await closeQuietly(ctx.conn, handle);
      return;
    }
    this.#lastRevision = numberField(info, 'revision', ctx.conn.welcome.revision);
    this.#atLast = 0;
    this.#complete = true;
    this.#skip = undefined;
    this.queue.pushControl(this.#clientIndication('reconnect'));
    if (this.version === 1 && this.#filters.some((f) => f.spec.kind === 'object')) {
      await this.#drainExact(ctx, handle);
    }
    this.#setServer({ conn: ctx.conn, handle, batchMax: ctx.batchMax });
    this.#startReader();
  }

  /**
   * Reads what the new v1 port already holds with ApiGetNotify (timeout 0), which reports
   * state sequences, so that the ReAdd catch-up indications set each filter's sequence
   * exactly (D23).
   */
  async #drainExact(ctx: SessionContext, handle: string): Promise<void> {
    for (;;) {
      const r = await ctx.conn.call(
        'getNotify',
        { hNotify: handle, timeoutMs: 0 },
        { timeoutMs: ctx.callTimeoutMs, waiting: true },
      );
      if (r.type !== 'ok') return;
      // A malformed result drops the connection (D39); the set-up on it then fails with
      // CONNECTION_LOST and the client moves to the next attempt.
      if (this.#checked(ctx.conn, handle, [r], 'getNotify result', 'r') === undefined) return;
      this.#acceptV1([r as unknown as WireNotificationV1], Number.POSITIVE_INFINITY, true);
    }
  }

  /** Keeps the reader from starting while filters are registered (for {@link PortCore.rewind}). */
  holdReader(): void {
    this.#readerHeld = true;
  }

  /**
   * Moves the port back in time: re-creates it on the server from the history after `since`
   * (`resumeNotify` with every registered filter), closes the port the filters were registered
   * on, and starts the reader. Every indication of the commits after `since` arrives, then live
   * ones, and later reconnects resume from there as usual. False, with nothing changed but the
   * reader held, when the server no longer holds that history.
   *
   * @throws ClusnotifyError CONNECTION_LOST, or the server's failure.
   */
  async rewind(ctx: SessionContext, since: number): Promise<boolean> {
    this.#checkOpen();
    const old = this.#server;
    const before = {
      lastRevision: this.#lastRevision,
      atLast: this.#atLast,
      complete: this.#complete,
    };
    this.#lastRevision = since;
    this.#atLast = 0;
    this.#complete = true;
    this.#skip = undefined;
    this.#readerHeld = false;
    if (!(await this.#resume(ctx))) {
      this.#readerHeld = true;
      this.#lastRevision = before.lastRevision;
      this.#atLast = before.atLast;
      this.#complete = before.complete;
      return false;
    }
    if (old !== undefined && old.conn === ctx.conn && old !== this.#server)
      await closeQuietly(old.conn, old.handle);
    return true;
  }

  // ----- client-generated indications (§7.3, §7.4) -------------------------------------------

  /** Posts CLUSTER_STATE / CLUSTER_STATE_V2: every reconnect candidate failed (§7.3 step 1). */
  postClusterState(): void {
    if (!this.closed) this.queue.pushControl(this.#clientIndication('state'));
  }

  /**
   * Posts HANDLE_CLOSE / the type's HANDLE_CLOSE_V2 if a filter of this port was registered
   * with `h` (§7.4): name = the object's name, '' for keys; the notify key of the first such
   * filter.
   */
  postHandleClose(h: HandleRecord): void {
    if (this.closed) return;
    const f = this.#filters.find((x) => x.handle === h);
    if (f === undefined) return;
    const name = h.kind === 'key' ? '' : h.name;
    const revision = this.#lastRevision ?? 0;
    if (this.version === 1) {
      this.queue.pushControl({
        version: 1,
        notifyKey: f.notifyKey,
        filter: ClusterChange.HANDLE_CLOSE,
        name,
        stateSequence: 0,
        revision,
        lost: undefined,
      });
      return;
    }
    const objectType = objectTypeOf(h.kind);
    this.queue.pushControl({
      version: 2,
      notifyKey: f.notifyKey,
      filterAndType: {
        objectType,
        filterFlags: HandleCloseV2[objectType as ClusterObjectType] ?? 0,
      },
      objectId: h.kind === 'key' ? '' : h.id,
      parentId: '',
      name,
      type: '',
      buffer: EMPTY,
      revision,
      lost: undefined,
    });
  }

  #clientIndication(what: 'state' | 'reconnect'): Indication {
    const cluster = this.#options.cluster();
    const notifyKey = this.#primaryKey ?? 0;
    const revision = this.#lastRevision ?? 0;
    if (this.version === 1) {
      return {
        version: 1,
        notifyKey,
        filter: what === 'state' ? ClusterChange.CLUSTER_STATE : ClusterChange.CLUSTER_RECONNECT,
        name: cluster.name,
        stateSequence: 0,
        revision,
        lost: undefined,
      };
    }
    return {
      version: 2,
      notifyKey,
      filterAndType: {
        objectType: ClusterObjectType.CLUSTER,
        filterFlags:
          what === 'state' ? ClusterChangeClusterV2.STATE : ClusterChangeClusterV2.RECONNECT,
      },
      objectId: cluster.id,
      parentId: '',
      name: cluster.name,
      type: '',
      buffer: EMPTY,
      revision,
      lost: undefined,
    };
  }

  #lostIndication(run: LostRun): Indication {
    const lost = {
      count: run.count,
      firstRevision: run.firstRevision,
      lastRevision: run.lastRevision,
    };
    if (this.version === 1) {
      return {
        version: 1,
        notifyKey: run.notifyKey,
        filter: ClusterChange.CLUSTER_RECONNECT,
        name: this.#options.cluster().name,
        stateSequence: 0,
        revision: run.lastRevision,
        lost,
      };
    }
    return {
      version: 2,
      notifyKey: run.notifyKey,
      filterAndType: {
        objectType: ClusterObjectType.CLUSTER,
        filterFlags: ClusterChangeClusterV2.LOST_NOTIFICATIONS,
      },
      objectId: '',
      parentId: '',
      name: '',
      type: '',
      buffer: EMPTY,
      revision: run.lastRevision,
      lost,
    };
  }

  // ----- the reader loop (§7.2 step 4) -------------------------------------------------------

  #setServer(s: ServerPort | undefined): void {
    this.#server = s;
    if (s !== undefined || this.closed) this.#ready.open();
    else this.#ready.reset();
  }

  #startReader(): void {
    if (this.#reader !== undefined || this.closed || this.#readerHeld) return;
    // Not awaited until close(): #read must never reject (see there), or it would be an
    // unhandled rejection, which ends a Node process.
    this.#reader = this.#read();
  }

  /**
   * The reader loop. Never rejects, and keep it so: every wait in it that can reject is caught
   * where it happens (calls, the resume of a refill) and ends as a lost server port that the
   * next session restores; the other waits only resolve (`Latch.wait`, `#openFeed`,
   * `#readOnce`, `#stream`, `closeQuietly`); and nothing it runs — nor the stream's sink, which
   * runs in the connection's frame handling — throws on what the server sends, because a batch
   * is checked before any of it is used (D39: a bad one becomes a protocol violation, which
   * reports and drops the connection without throwing).
   */
  async #read(): Promise<void> {
    /** The stream of the current server port, when it is streamed. */
    let feed: Stream | undefined;
    while (!this.closed) {
      const s = this.#server;
      if (s === undefined) {
        await this.#ready.wait();
        continue;
      }
      if (!this.#options.stream || !s.conn.welcome.streams) {
        await this.#readOnce(s);
        continue;
      }
      if (feed?.server !== s) {
        feed?.feed.close();
        feed = await this.#openFeed(s);
        continue;
      }
      await this.#stream(feed);
    }
    feed?.feed.close();
  }

  /**
   * Delivers the batches of the stream `feed` as they arrive, each within the connection's
   * handling of its frame (see {@link PortFeed}), and resolves when the reader loop has to look
   * again: the connection is lost or the port is closing (the server port is then dropped), the
   * server port changed, a batch ended or broke the stream, or a refill ran (once it is done).
   */
  async #stream(feed: Stream): Promise<void> {
    // Resolved with a refill's promise, this one follows it: the loop waits for the refill.
    await new Promise<void>((resolve) => {
      const signal = this.#stop.signal;
      let ended = false;
      const end = (after?: Promise<void>): void => {
        if (ended) return;
        ended = true;
        feed.feed.unsink();
        signal.removeEventListener('abort', lost);
        resolve(after);
      };
      const lost = (): void => {
        if (this.#server === feed.server) this.#setServer(undefined);
        end();
      };
      if (signal.aborted) {
        lost();
        return;
      }
      signal.addEventListener('abort', lost, { once: true });
      feed.feed.sink((b) => {
        const r = this.#take(feed, b);
        if (r !== undefined) end(r === STREAM_ENDS ? undefined : r);
      }, lost);
    });
  }

  /**
   * Takes batch `b` of the stream `feed`: checks it against the window and the port's version,
   * gives credit back and delivers it. Undefined when the stream goes on; `STREAM_ENDS` when
   * the reader loop has to look again; the refill's promise when the batch started one.
   */
  #take(feed: Stream, b: FeedBatch): Promise<void> | typeof STREAM_ENDS | undefined {
    const s = feed.server;
    if (this.#server !== s || this.closed) return STREAM_ENDS;
    if (feed.unacked + b.n.length > this.#options.streamWindow) {
      this.#overrun(s, b.n.length, feed.unacked);
      return STREAM_ENDS;
    }
    if (b.buffers !== undefined && this.version !== 2) {
      // Binary frames carry version-2 batches only (D53): a protocol violation, as in #checked.
      s.conn.protocolViolation(`binary notify frame for the version-1 port ${s.handle}`);
      if (this.#server === s) this.#setServer(undefined);
      return STREAM_ENDS;
    }
    // A binary frame was checked whole as it was read, its payloads decoded on the way.
    const batch =
      b.buffers === undefined
        ? this.#checked(s.conn, s.handle, b.n, 'notify frame', 'n')
        : { list: b.n, buffers: b.buffers };
    if (batch === undefined) return STREAM_ENDS;
    if (b.end !== undefined) {
      // The server port was unblocked or closed under a live connection.
      this.#setServer(undefined);
      return STREAM_ENDS;
    }
    feed.unacked += b.n.length;
    // Credit goes back in halves of the window: few acks, and the server never runs dry
    // while the client keeps up.
    if (feed.unacked >= this.#options.streamWindow / 2) {
      s.conn.ack(s.handle, feed.unacked);
      feed.unacked = 0;
    }
    // A drained port has sent everything of the batch's last revision.
    return this.#deliver(s, batch, b.drained ? Number.POSITIVE_INFINITY : b.n.length);
  }

  /**
   * The server sent `count` indications of the streamed port `s` while `unacked` were not
   * acknowledged, more than the window allows (docs/protocol.md "Streams"): a protocol
   * violation, treated as a malformed frame (decisions D39, D41). None of the frame is taken;
   * the connection is dropped and the port resumes from the last indication taken. The check
   * is sound despite acks in flight: the server may count an ack only once it arrived, so what
   * it may have sent is never more than what the client has not yet acknowledged plus credit.
   */
  #overrun(s: ServerPort, count: number, unacked: number): void {
    const window = this.#options.streamWindow;
    s.conn.protocolViolation(
      `notify frame of port ${s.handle}: n holds ${count} indications, over the ` +
        `${window - unacked} the stream window of ${window} leaves (${unacked} unacknowledged)`,
    );
    if (this.#server === s) this.#setServer(undefined);
  }

  /** Starts streaming the server port `s`; undefined (and `s` dropped) when that fails. */
  async #openFeed(s: ServerPort): Promise<Stream | undefined> {
    const feed = s.conn.openFeed(s.handle);
    let r: CallResult;
    try {
      const welcome = s.conn.welcome;
      const encoding =
        this.version === 2 ? askEncoding(this.#options.encoding, welcome) : undefined;
      // Binary frames with repeat entries where the server has them (D60): the reader takes both.
      const repeat = encoding !== undefined && welcome.binaryRepeat ? true : undefined;
      r = await s.conn.call(
        'streamNotify',
        { hNotify: s.handle, window: this.#options.streamWindow, encoding, repeat },
        { signal: this.#stop.signal },
      );
    } catch {
      r = { type: 'lost', status: 0 };
    }
    if (r.type === 'ok') return { server: s, feed, unacked: 0 };
    feed.close();
    // The port is gone from this session (or the connection is): restore it on the next one.
    if (this.#server === s) this.#setServer(undefined);
    return undefined;
  }

  /** One get on the server port `s` (servers that do not stream). */
  async #readOnce(s: ServerPort): Promise<void> {
    let r: CallResult;
    try {
      r = await s.conn.call(
        this.version === 1 ? 'getNotifyAsync' : 'getNotifyV2',
        { hNotify: s.handle, max: s.batchMax },
        { waiting: true, signal: this.#stop.signal },
      );
    } catch {
      // The connection went away (or the port is closing): the client restores the port on
      // the next session and opens the latch again.
      if (this.#server === s) this.#setServer(undefined);
      return;
    }
    if (this.#server !== s || this.closed) return;
    switch (r.type) {
      case 'ok': {
        const batch = this.#checked(
          s.conn,
          s.handle,
          r.notifications,
          'get result',
          'notifications',
        );
        if (batch !== undefined) await this.#deliver(s, batch, s.batchMax);
        return;
      }
      case 'timeout':
        return;
      default:
        // interrupted / unblocked / a failure: the server port is gone under a live
        // connection. Wait for the next session to restore it.
        this.#setServer(undefined);
    }
  }

  /**
   * `list` as a checked batch, if it is a batch of well-formed indications of this port's
   * version (for version 2 with every payload decoded, once). If not, the server broke the
   * protocol (decisions D39): the connection is dropped as lost (reporting MALFORMED_FRAME),
   * none of the batch is taken (undefined), and the port waits for the next session, which
   * resumes it from the last revision taken — so nothing already queued is lost, and the
   * batch's well-formed indications come again.
   */
  #checked(
    conn: Connection,
    handle: string,
    list: unknown,
    what: string,
    name: string,
  ): CheckedBatch | undefined {
    let bad: string | undefined;
    let buffers: Uint8Array[] | undefined;
    if (!Array.isArray(list)) bad = `${name} is not an array`;
    else if (this.version === 1) bad = checkNotificationsV1(list, name);
    else {
      buffers = [];
      bad = checkNotificationsV2(list, name, buffers);
    }
    if (bad === undefined) return { list: list as unknown[], buffers: buffers ?? NO_BUFFERS };
    conn.protocolViolation(`${what} of port ${handle}: ${bad}`);
    if (this.#server?.conn === conn) this.#setServer(undefined);
    return undefined;
  }

  /**
   * Puts a batch from the server port `s` on the local queue; `max` is the batch size at which
   * the port may still hold more of the last revision. A lost-events entry with resume on
   * refills the port instead (see {@link PortCore.#refill}): then, and only then, it returns
   * the refill's promise.
   */
  #deliver(s: ServerPort, batch: CheckedBatch, max: number): Promise<void> | undefined {
    const { list } = batch;
    // A lost run that starts no later than the last refill did is passed on as it came (see
    // `#refilledAt`).
    const lostAt = this.#options.resume
      ? list.findIndex((w) => {
          const lost = (w as { lost?: { firstRevision?: unknown } }).lost;
          return (
            lost !== undefined &&
            !(typeof lost.firstRevision === 'number' && lost.firstRevision <= this.#refilledAt)
          );
        })
      : -1;
    if (lostAt >= 0) return this.#refillOrAccept(s, batch, lostAt, max);
    this.#accept(batch, max);
    return undefined;
  }

  /** {@link PortCore.#deliver} of a batch whose entry `lostAt` starts a lost run. */
  async #refillOrAccept(
    s: ServerPort,
    batch: CheckedBatch,
    lostAt: number,
    max: number,
  ): Promise<void> {
    const { list, buffers } = batch;
    const before = { list: list.slice(0, lostAt), buffers: buffers.slice(0, lostAt) };
    if (await this.#refill(s, before, list[lostAt] as WireNotificationV1)) return;
    this.#accept(batch, max);
  }

  #accept(batch: CheckedBatch, max: number): void {
    if (this.version === 1) this.#acceptV1(batch.list as WireNotificationV1[], max, false);
    else this.#acceptV2(batch.list as WireNotificationV2[], batch.buffers, max);
  }

  /**
   * The server's port overflowed (decisions D1): instead of passing the lost-events indication
   * on, refill the port exactly from the store's history — take what came before the lost run,
   * resume the port from just before it (a revision whose indications were only partly received
   * is replayed whole, the received ones skipped), and close the overflowed server port. What
   * followed the lost-events entry in this batch comes again from the resumed port. When part
   * of that history is gone the refill still happens (D43): the resumed port starts with one
   * lost-events indication for the revisions gone, then the rest. False when the refill fails:
   * the caller then delivers the lost-events indication as it came.
   */
  async #refill(s: ServerPort, before: CheckedBatch, marker: WireNotificationV1): Promise<boolean> {
    const lost = marker.lost;
    if (lost === undefined) return false;
    this.#refilledAt = lost.firstRevision;
    this.#accept(before, Infinity);
    // Everything of revisions before the lost run was queued before it; of its first revision,
    // only what came before the entry.
    this.#complete = (this.#lastRevision ?? 0) !== lost.firstRevision;
    let resumed: boolean;
    try {
      resumed = await this.#resume(
        { conn: s.conn, batchMax: s.batchMax, callTimeoutMs: REFILL_TIMEOUT_MS },
        true,
      );
    } catch {
      resumed = false;
    }
    if (resumed) await closeQuietly(s.conn, s.handle);
    return resumed;
  }

  /** Tracks revisions for resume and applies the post-resume skip; false: drop it. */
  #received(revision: number): boolean {
    const skip = this.#skip;
    if (skip !== undefined) {
      if (revision === skip.revision && skip.count > 0) {
        skip.count--;
        return false;
      }
      if (revision > skip.revision || skip.count === 0) this.#skip = undefined;
    }
    const last = this.#lastRevision ?? 0;
    if (revision === last) this.#atLast++;
    else if (revision > last) {
      this.#lastRevision = revision;
      this.#atLast = 1;
    }
    return true;
  }

  #acceptV1(list: readonly WireNotificationV1[], max: number, exact: boolean): void {
    for (const w of list) {
      const revision = w.revision;
      if (!this.#received(revision)) continue;
      const f = this.#byWireKey.get(w.notifyKey);
      const filter = w.filter >>> 0;
      let stateSequence = 0;
      if (f !== undefined && f.spec.kind === 'object') {
        if (exact && typeof w.stateSequence === 'number') f.stateSequence = w.stateSequence;
        else if (filter === OBJECT_KINDS[f.spec.objectKind].stateBit)
          f.stateSequence = (f.stateSequence + 1) >>> 0;
        stateSequence = f.stateSequence;
      }
      const notifyKey = f?.notifyKey ?? w.notifyKey;
      const ind: IndicationV1 = {
        version: 1,
        notifyKey,
        filter,
        name: w.name,
        stateSequence,
        revision,
        lost: undefined,
      };
      this.queue.push(ind, revision, notifyKey);
    }
    this.#complete = list.length < max;
  }

  /** `buffers[i]` is entry i's payload, decoded by the check (see {@link PortCore.#checked}). */
  #acceptV2(
    list: readonly WireNotificationV2[],
    buffers: readonly Uint8Array[],
    max: number,
  ): void {
    for (let i = 0; i < list.length; i++) {
      const w = list[i] as WireNotificationV2;
      if (!this.#received(w.revision)) continue;
      const notifyKey = this.#byWireKey.get(w.notifyKey)?.notifyKey ?? w.notifyKey;
      this.queue.push(fromWireNotification(w, notifyKey, buffers[i]), w.revision, notifyKey);
    }
    this.#complete = list.length < max;
  }

  // ----- close ---------------------------------------------------------------------------------

  /**
   * Closes the port (ApiUnblockGetNotifyCall's effect plus ApiCloseNotify, §7.2 step 5):
   * parked local reads resolve `closed`, the queue is discarded, the server port is closed
   * and the reader loop ends. Idempotent; resolves when all of that is done.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.queue.close();
      this.#ready.open();
      const s = this.#server;
      this.#server = undefined;
      this.#stop.abort(new ClusnotifyError('PORT_NOT_FOUND', 'the port was closed'));
      if (s !== undefined && !s.conn.closed) await closeQuietly(s.conn, s.handle);
      await this.#reader;
      await this.#options.onClosed(this);
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.closed) throw this.#closedError();
  }

  #closedError(): ClusnotifyError {
    return new ClusnotifyError('PORT_NOT_FOUND', 'the notification port was closed');
  }
}

/** Whether the filter has bits the server must see (a mask of only client bits has none). */
function onServer(spec: FilterSpec): boolean {
  return spec.kind === 'v2' ? spec.filterFlags !== 0 : spec.filter !== 0;
}

/** The resume form of a filter (by object id / key path); undefined if it has none. */
function wireFilter(f: FilterRecord): WireFilter | undefined {
  const s = f.spec;
  const notifyKey = f.wireKey;
  switch (s.kind) {
    case 'cluster':
      return { kind: 'cluster', filter: s.filter, notifyKey };
    case 'object':
      if (s.objectId === '') return undefined;
      return {
        kind: 'object',
        objectType: OBJECT_KINDS[s.objectKind].objectType,
        objectId: s.objectId,
        filter: s.filter,
        notifyKey,
      };
    case 'key':
      return {
        kind: 'key',
        keyPath: s.keyPath,
        filter: s.filter,
        watchSubtree: s.watchSubtree,
        notifyKey,
      };
    case 'v2': {
      const base = {
        kind: 'v2',
        objectType: s.objectType,
        filterFlags: s.filterFlags,
        notifyKey,
      } as const;
      const t = s.target;
      if (t === undefined) return base;
      switch (t.kind) {
        case 'object':
          return t.objectId === '' ? undefined : { ...base, target: t.objectId };
        case 'key':
          return t.keyPath === '' ? base : { ...base, target: t.keyPath };
        case 'restype':
          return { ...base, target: t.name };
      }
    }
  }
}

/** The spec with the object id filled in (for filters first given by name). */
function withObjectId(spec: FilterSpec, objectId: string): FilterSpec {
  if (spec.kind === 'object' && spec.objectId === '') return { ...spec, objectId };
  if (spec.kind === 'v2' && spec.target?.kind === 'object' && spec.target.objectId === '')
    return { ...spec, target: { ...spec.target, objectId } };
  return spec;
}

/** What a registration learnt: the state sequence an Add reported, the id of the object. */
interface Registered {
  readonly stateSequence: number;
  /** '' when the filter names no object or the server did not report the id. */
  readonly objectId: string;
}

/**
 * Registers `f` on the server port `hNotify` of `ctx`'s session: the Add method of its kind,
 * or for a rebuild of a per-object v1 filter the ReAdd method with its last state sequence
 * (§7.3 step 4).
 */
async function register(
  ctx: SessionContext,
  hNotify: string,
  f: FilterRecord,
  mode: 'add' | 'rebuild',
): Promise<Registered> {
  const none: Registered = { stateSequence: f.stateSequence, objectId: '' };
  const s = f.spec;
  const call = async (
    method: Parameters<Connection['call']>[0],
    params: object,
  ): Promise<CallResult> =>
    expectOk(method, await ctx.conn.call(method, params, { timeoutMs: ctx.callTimeoutMs }));
  const notifyKey = f.wireKey;
  switch (s.kind) {
    case 'cluster':
      await call('addNotifyCluster', {
        hNotify,
        hCluster: ctx.clusterHandle,
        filter: s.filter,
        notifyKey,
      });
      return none;
    case 'object': {
      const k = OBJECT_KINDS[s.objectKind];
      const lease = await ctx.leaseHandle(f.handle, {
        kind: 'object',
        objectKind: s.objectKind,
        objectId: s.objectId,
        name: s.name,
      });
      try {
        if (mode === 'rebuild') {
          await call(k.reAdd, {
            hNotify,
            hObject: lease.handle,
            filter: s.filter,
            notifyKey,
            stateSequence: f.stateSequence,
          });
          return { stateSequence: f.stateSequence, objectId: lease.id };
        }
        const r = await call(k.add, {
          hNotify,
          hObject: lease.handle,
          filter: s.filter,
          notifyKey,
        });
        return { stateSequence: numberField(r, 'stateSequence', 0), objectId: lease.id };
      } finally {
        await lease.release();
      }
    }
    case 'key': {
      const lease = await ctx.leaseHandle(f.handle, { kind: 'key', keyPath: s.keyPath });
      try {
        await call('addNotifyKey', {
          hNotify,
          hKey: lease.handle,
          notifyKey,
          filter: s.filter,
          watchSubTree: s.watchSubtree,
        });
        return none;
      } finally {
        await lease.release();
      }
    }
    case 'v2': {
      const t = s.target;
      const filter = { objectType: s.objectType, filterFlags: s.filterFlags };
      if (t === undefined) {
        await call('addNotifyV2', {
          hNotify,
          hObject: ctx.clusterHandle,
          filter,
          notifyKey,
          version: 2,
          isTargetedAtObject: false,
        });
        return none;
      }
      if (t.kind === 'restype') {
        await call('addNotifyResourceTypeV2', {
          hNotify,
          filterFlags: s.filterFlags,
          notifyKey,
          resTypeName: t.name,
          version: 2,
        });
        return none;
      }
      const lease = await ctx.leaseHandle(f.handle, t);
      try {
        await call('addNotifyV2', {
          hNotify,
          hObject: lease.handle,
          filter,
          notifyKey,
          version: 2,
          isTargetedAtObject: true,
        });
        return { stateSequence: 0, objectId: lease.id };
      } finally {
        await lease.release();
      }
    }
  }
}

/** ApiCloseNotify, ignoring every failure (the port is being forgotten either way). */
async function closeQuietly(conn: Connection, hNotify: string): Promise<void> {
  try {
    await conn.call('closeNotify', { hNotify }, { timeoutMs: 5000 });
  } catch {
    // The session is gone, and the port with it (§3.1.6).
  }
}

/**
 * How a streamed version-2 port's batches travel (the client's `streamEncoding` option):
 * grouped binary frames (D55), binary frames (D53) or JSON text.
 */
export type StreamEncoding = 'grouped' | 'binary' | 'json';

/**
 * The `encoding` a stream asks for: `wanted`, or the next one down that the server offers;
 * undefined for JSON (a server without binary frames refuses the field).
 */
function askEncoding(wanted: StreamEncoding, welcome: Welcome): 'grouped' | 'binary' | undefined {
  if (wanted === 'grouped' && welcome.groupedNotify) return 'grouped';
  if (wanted !== 'json' && welcome.binaryNotify) return 'binary';
  return undefined;
}
