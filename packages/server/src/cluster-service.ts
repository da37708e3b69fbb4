/**
 * The cluster service: the cluster model, the durable store and the notification engine put
 * together (ARCHITECTURE.md "How a change flows"). A command is applied to the model, its
 * documents and change records are committed to the store under the next revision, and once
 * durable its indications are published to the ports, in revision order. Sessions
 * ({@link Session}) own handles and ports and carry the access level.
 */
import { randomUUID } from 'node:crypto';
import {
  NotificationEngine,
  apply,
  applyDocuments,
  commitEvents,
  defaultClusterCommands,
  documentWrites,
  allDocuments,
  emptyClusterState,
  stateFromDocuments,
  ObjectRefSet,
} from '@clusnotify/core';
import type { Change, ClusterState, Command, EngineOptions, ObjectRef } from '@clusnotify/core';
import { failure } from '@clusnotify/protocol';
import type { Failure } from '@clusnotify/protocol';
import { StoreError } from '@clusnotify/store';
import type { JsonValue, StateStore, StoredObject } from '@clusnotify/store';
import { Session } from './session.js';
import type { AccessLevel } from './session.js';

/** Options of {@link startClusterService}. */
export interface ClusterServiceOptions {
  /** The durable store; the caller opens and closes it. */
  readonly store: StateStore;
  /** Notification engine options (queue bound, limits, clock). */
  readonly engine?: Omit<EngineOptions, 'clusterName' | 'onTake'>;
  /**
   * What to do when the store is empty: create the default cluster (true, the default), an
   * empty cluster (false), or run the given commands.
   */
  readonly bootstrap?: boolean | ((newId: () => string) => Command[]);
  /** Name of a cluster created on an empty store (default 'CLUSTER1'). */
  readonly clusterName?: string;
  /** Source of new object GUIDs (default crypto.randomUUID). */
  readonly newId?: () => string;
  /**
   * The store is shared with other daemons (etcd): the service follows the store's log and
   * publishes every commit from it, its own and the others', in revision order, and commits
   * the commands waiting together as one commit guarded on the revision it has applied
   * (decisions D33). Default false: the service is the store's only writer.
   */
  readonly shared?: boolean;
  /** Called when following a shared store fails (it is restarted from a snapshot). */
  readonly onFollowError?: (error: unknown) => void;
}

/** The distinct references of `refs`, first occurrence first. */
function uniqueRefs(refs: readonly ObjectRef[]): readonly ObjectRef[] {
  const set = new ObjectRefSet();
  for (const r of refs) set.add(r);
  return set.values();
}

/** A command that was committed. */
export interface Executed {
  readonly type: 'ok';
  readonly status: 0;
  /** The revision it was committed under (the current revision when it changed nothing). */
  readonly revision: number;
  readonly changes: readonly Change[];
}

/**
 * Catch-up keeps a resumed port at most this full of history (below the default bound). Each
 * take wakes it, so the port is refilled while the reader works; what is queued is what the
 * young generation must hold (8,192 measured slower: the queue outlived collections).
 */
const CATCH_UP_HIGH_WATER = 2048;
/**
 * A catch-up waiting for room looks again after this long even when no take woke it (a port
 * closed or unblocked meanwhile).
 */
const CATCH_UP_RECHECK_MS = 50;
/** Commits read from the store per catch-up step (512 measured slower, for the same reason). */
const CATCH_UP_CHUNK = 64;
/** Commands a shared-store service puts in one commit at most. */
const SHARED_BATCH_COMMANDS = 256;
/** How often a command is re-applied after another daemon's commit got in first. */
const SHARED_MAX_ATTEMPTS = 50;

/** A command waiting for the shared-store writer. */
interface Waiting {
  readonly command: Command;
  readonly resolve: (result: Executed | Failure) => void;
  attempts: number;
}

interface InFlight {
  readonly revision: number;
  readonly state: ClusterState;
  readonly changes: readonly Change[];
  settled: boolean;
  error: unknown;
}

/**
 * Starts the service on `store`: loads the cluster from the store's snapshot, or creates it
 * when the store is empty (one commit per bootstrap command).
 */
export async function startClusterService(options: ClusterServiceOptions): Promise<ClusterService> {
  const { store } = options;
  const newId = options.newId ?? randomUUID;
  const snap = await store.snapshot();
  const loaded = stateFromDocuments(snap.objects);
  const service = new ClusterService(
    store,
    loaded ?? emptyClusterState({ id: newId(), name: options.clusterName ?? 'CLUSTER1' }),
    snap.revision,
    options.engine ?? {},
    newId,
    options.shared === true ? (options.onFollowError ?? (() => undefined)) : undefined,
  );
  if (loaded === undefined) {
    // The first commit holds the cluster document itself, so that a restart finds it.
    const first = await service.commitDocuments(allDocuments(service.state));
    if (first.type === 'error' && options.shared === true) {
      // Another daemon created the cluster first: take its state from the log.
      await service.close();
      return startClusterService({ ...options, bootstrap: false });
    }
    if (first.type === 'error') throw new Error(`cannot initialise the store: ${first.message}`);
    const b = options.bootstrap ?? true;
    const commands = b === true ? defaultClusterCommands(newId) : b === false ? [] : b(newId);
    service.startFollowing();
    for (const c of commands) {
      const r = await service.execute(c);
      if (r.type === 'error')
        throw new Error(`bootstrap command ${c.type} failed: ${r.code} ${r.message}`);
    }
  }
  service.startFollowing();
  return service;
}

/** STORE_UNAVAILABLE for a commit the store refused with `e`. */
function refused(e: unknown): Failure {
  const why =
    e instanceof StoreError
      ? `${e.code} ${e.message}`
      : e instanceof Error
        ? e.message
        : 'unknown error';
  return failure('STORE_UNAVAILABLE', `the commit was refused: ${why}`);
}

/**
 * The commands applied in one event-loop turn, committed together as one revision at the end
 * of the turn (as the shared-store writer does): pipelined commands cost one store commit,
 * one serialisation of each document they touch and one publish.
 */
class Batch {
  readonly touched = new ObjectRefSet();
  readonly changes: Change[] = [];
  error: unknown = undefined;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor(
    readonly revision: number,
    public state: ClusterState,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }

  add(state: ClusterState, touched: readonly ObjectRef[], changes: readonly Change[]): void {
    this.state = state;
    for (const t of touched) this.touched.add(t);
    for (const c of changes) this.changes.push(c);
  }

  finish(error: unknown): void {
    this.error = error;
    this.#resolve();
  }
}

/** The running service. Create it with {@link startClusterService}. */
export class ClusterService {
  /** The notification engine every session's ports live in. */
  readonly engine: NotificationEngine;
  /** The state as of the last durable commit. */
  state: ClusterState;
  /** The revision of the last durable commit. */
  revision: number;
  private pending: ClusterState;
  private issued: number;
  private readonly inflight: InFlight[] = [];
  /** The batch commands join until the end of the turn (undefined when none is open). */
  private open: Batch | undefined;
  /** Batches made and not yet settled (`close` waits for them). */
  private batches = 0;
  private readonly sessions = new Set<Session>();
  private closed = false;
  /** Shared store: the follower's end, commands waiting for the writer, revision waiters. */
  private readonly shared: ((error: unknown) => void) | undefined;
  private following: AbortController | undefined;
  private followDone: Promise<void> | undefined;
  private waiting: Waiting[] = [];
  private writer: Promise<void> | undefined;
  private revisionWaiters: { revision: number; wake: () => void }[] = [];
  /** Catch-ups waiting for their port to have room, by port handle. */
  private readonly catchUpWaiters = new Map<string, () => void>();

  /** @internal use {@link startClusterService} */
  constructor(
    readonly store: StateStore,
    state: ClusterState,
    revision: number,
    engineOptions: Omit<EngineOptions, 'clusterName' | 'onTake'>,
    readonly newId: () => string,
    shared?: (error: unknown) => void,
  ) {
    this.shared = shared;
    this.state = state;
    this.pending = state;
    this.revision = revision;
    this.issued = revision;
    this.engine = new NotificationEngine({
      ...engineOptions,
      clusterName: state.cluster.name,
      // A take makes room in a port: a catch-up waiting for room on it goes on.
      onTake: (handle) => {
        this.tookFrom(handle);
      },
    });
  }

  /**
   * Opens a session with the given access level (§3.1.4: Read or All). `client` names the
   * program on the other end (the hello frame's `client`), for `listSessions`.
   */
  openSession(access: AccessLevel, client = ''): Session {
    const s = new Session(this, access, client);
    this.sessions.add(s);
    return s;
  }

  /**
   * Called by a session as it ends. A method rather than a callback handed to each session,
   * so that an open session costs no closure (docs/benchmarks.md, "server memory per idle watcher").
   * @internal
   */
  sessionClosed(s: Session): void {
    this.sessions.delete(s);
  }

  /** The sessions open now, oldest first (for `listSessions`). */
  openSessions(): readonly Session[] {
    return [...this.sessions];
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Applies a command, commits it durably and publishes its indications. Commands are applied
   * in call order; the commands applied in one event-loop turn are committed together, as one
   * revision, at the end of the turn (D45); commits are pipelined and published in revision
   * order.
   * Fails with the model's coded error (state unchanged), or STORE_UNAVAILABLE when the store
   * refused the commit (nothing of it is visible).
   */
  async execute(command: Command): Promise<Executed | Failure> {
    if (this.closed) return failure('SERVICE_CLOSING', 'the service is shutting down');
    if (this.following !== undefined) return this.executeShared(command);
    const r = apply(this.pending, command);
    if (r.type === 'error') return r;
    if (r.changes.length === 0 && r.touched.length === 0) {
      return { type: 'ok', status: 0, revision: this.issued, changes: [] };
    }
    this.pending = r.state;
    // Commands applied in the same event-loop turn share one commit (see `Batch`), up to half
    // a port's bound in change records, so that a resume can replay any commit whole.
    let b = this.open;
    if (
      b === undefined ||
      b.changes.length + r.changes.length > Math.floor(this.engine.maxQueuedPerPort / 2)
    ) {
      this.issued += 1;
      const next = new Batch(this.issued, r.state);
      this.open = next;
      this.batches++;
      setImmediate(() => {
        void this.commitBatch(next);
      });
      b = next;
    }
    b.add(r.state, r.touched, r.changes);
    // Only the change records wait for the commit: holding `r` would keep this command's own
    // state version alive (and copied by each young-generation collection) until it lands.
    const changes = r.changes;
    await b.done;
    if (b.error !== undefined) return refused(b.error);
    return { type: 'ok', status: 0, revision: b.revision, changes };
  }

  /** Commits the commands of batch `b` as one commit and publishes it (see {@link execute}). */
  private async commitBatch(b: Batch): Promise<void> {
    if (this.open === b) this.open = undefined;
    const { puts, deletes } = documentWrites(b.state, b.touched.values());
    const entry: InFlight = {
      revision: b.revision,
      state: b.state,
      changes: b.changes,
      settled: false,
      error: undefined,
    };
    this.inflight.push(entry);
    try {
      const c = await this.store.commit(
        { puts: puts as StoredObject[], deletes, changes: b.changes as unknown as JsonValue[] },
        { expectRevision: b.revision - 1 },
      );
      if (c.revision !== entry.revision)
        entry.error = new Error(
          `store committed revision ${c.revision}, expected ${entry.revision}`,
        );
    } catch (e) {
      entry.error = e;
    }
    entry.settled = true;
    this.settle();
    this.batches--;
    b.finish(entry.error);
  }

  /**
   * Shared store: follows the store's log from the loaded revision and publishes every commit
   * from it. Idempotent; a no-op for a service that is its store's only writer.
   * @internal called by {@link startClusterService}
   */
  startFollowing(): void {
    if (this.shared === undefined || this.following !== undefined || this.closed) return;
    const controller = new AbortController();
    this.following = controller;
    this.followDone = (async () => {
      while (!controller.signal.aborted) {
        try {
          for await (const c of this.store.follow(this.revision, { signal: controller.signal })) {
            this.state = applyDocuments(this.state, c.puts, c.deletes);
            this.pending = this.state;
            this.revision = c.revision;
            this.issued = c.revision;
            if (this.engine.clusterName !== this.state.cluster.name)
              this.engine.setClusterName(this.state.cluster.name);
            this.publish(c.changes as unknown as Change[], c.revision);
            this.wakeRevisionWaiters();
          }
          return;
        } catch (error) {
          if (controller.signal.aborted) return;
          this.shared?.(error);
          // History this daemon needs is gone (or the store failed): start again from the
          // documents. Ports miss what lies in between; a client resuming gets `compacted`.
          await new Promise((resolve) => setTimeout(resolve, 200));
          try {
            const snap = await this.store.snapshot();
            const loaded = stateFromDocuments(snap.objects);
            if (loaded !== undefined && snap.revision > this.revision) {
              this.state = loaded;
              this.pending = loaded;
              this.revision = snap.revision;
              this.issued = snap.revision;
              this.wakeRevisionWaiters();
            }
          } catch {
            // Still unavailable: try again.
          }
        }
      }
    })();
  }

  /** Publishes the events of a commit, of the versions some port could take. */
  private publish(changes: readonly Change[], revision: number): void {
    const engine = this.engine;
    engine.publish(commitEvents(changes, revision, engine.listening), revision);
  }

  private wakeRevisionWaiters(): void {
    if (this.revisionWaiters.length === 0) return;
    const ready = this.revisionWaiters.filter((w) => w.revision <= this.revision);
    if (ready.length === 0) return;
    this.revisionWaiters = this.revisionWaiters.filter((w) => w.revision > this.revision);
    for (const w of ready) w.wake();
  }

  /**
   * Resolves once `revision` is published here (at once for a service that is its store's
   * only writer), or after `timeoutMs`; never rejects.
   */
  waitForRevision(revision: number, timeoutMs: number): Promise<void> {
    if (this.shared === undefined) return Promise.resolve();
    return this.publishedUpTo(revision, timeoutMs);
  }

  /** Resolves once the follower has published `revision` (or after `timeoutMs`). */
  private publishedUpTo(revision: number, timeoutMs: number): Promise<void> {
    if (this.revision >= revision || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.revisionWaiters = this.revisionWaiters.filter((w) => w !== waiter);
        resolve();
      }, timeoutMs);
      const waiter = {
        revision,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.revisionWaiters.push(waiter);
    });
  }

  private executeShared(command: Command): Promise<Executed | Failure> {
    return new Promise((resolve) => {
      this.waiting.push({ command, resolve, attempts: 0 });
      this.startWriter();
    });
  }

  private startWriter(): void {
    if (this.writer !== undefined) return;
    this.writer = this.writeShared().finally(() => {
      this.writer = undefined;
      // Commands that arrived after the loop saw an empty queue, but before this ran.
      if (this.waiting.length > 0) this.startWriter();
    });
  }

  /**
   * The shared-store writer: applies the waiting commands in order to the state as of the
   * last revision the follower published and commits all their writes and change records as
   * one commit that expects exactly that revision. Because the state is exactly the log up to
   * the expected revision, the guard can only hold when nothing else was committed in
   * between; when another daemon got in first (STORE_CONFLICT), the writer waits for the
   * follower to publish that commit and applies the commands again on the new state.
   */
  private async writeShared(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.slice(0, SHARED_BATCH_COMMANDS);
      this.waiting = this.waiting.slice(batch.length);
      const base = this.revision;
      let state = this.state;
      const touched: ObjectRef[] = [];
      const changes: Change[] = [];
      const writing: { entry: Waiting; changes: readonly Change[] }[] = [];
      for (const entry of batch) {
        if (this.closed) {
          entry.resolve(failure('SERVICE_CLOSING', 'the service is shutting down'));
          continue;
        }
        const r = apply(state, entry.command);
        if (r.type === 'error') {
          entry.resolve(r);
          continue;
        }
        if (r.changes.length === 0 && r.touched.length === 0) {
          entry.resolve({ type: 'ok', status: 0, revision: base, changes: [] });
          continue;
        }
        state = r.state;
        touched.push(...r.touched);
        changes.push(...r.changes);
        writing.push({ entry, changes: r.changes });
      }
      if (writing.length === 0) continue;
      const { puts, deletes } = documentWrites(state, uniqueRefs(touched));
      try {
        const c = await this.store.commit(
          { puts: puts as StoredObject[], deletes, changes: changes as unknown as JsonValue[] },
          { expectRevision: base },
        );
        await this.publishedUpTo(c.revision, 10_000);
        for (const w of writing)
          w.entry.resolve({ type: 'ok', status: 0, revision: c.revision, changes: w.changes });
      } catch (e) {
        if (e instanceof StoreError && e.code === 'STORE_CONFLICT') {
          const retry = writing.filter((w) => ++w.entry.attempts < SHARED_MAX_ATTEMPTS);
          for (const w of writing)
            if (!retry.includes(w))
              w.entry.resolve(
                failure('STORE_UNAVAILABLE', 'the commit lost to other daemons too many times'),
              );
          this.waiting = [...retry.map((w) => w.entry), ...this.waiting];
          // Wait for the commit that got in first, then apply again on top of it.
          await this.publishedUpTo(base + 1, 1_000);
          continue;
        }
        for (const w of writing) w.entry.resolve(refused(e));
      }
    }
  }

  /** Publishes settled commits in revision order; a refused commit rolls the model back to the last durable state. */
  private settle(): void {
    while (this.inflight.length > 0 && (this.inflight[0] as InFlight).settled) {
      const e = this.inflight.shift() as InFlight;
      if (e.error !== undefined) {
        // Everything applied after the last durable commit is void; later in-flight commits
        // fail on their expected revision.
        this.pending = this.state;
        this.issued = this.revision;
        continue;
      }
      this.state = e.state;
      this.revision = e.revision;
      if (this.engine.clusterName !== e.state.cluster.name)
        this.engine.setClusterName(e.state.cluster.name);
      this.publish(e.changes, e.revision);
    }
  }

  /**
   * Streams history into a port held out of live publishes (see Session.resumeNotify): reads
   * the commits after `after` in chunks, replays them into the port while it has room, and
   * releases the port to live publishes — synchronously, with no await in between — once it has
   * replayed up to the published revision. Returns 'compacted' if history is gone, 'closed' if
   * the port went away first.
   */
  async catchUp(handle: string, after: number): Promise<'live' | 'compacted' | 'closed'> {
    const engine = this.engine;
    let cursor = after;
    /** Commits' worth of room left in the port; undefined once the port is gone. */
    const room = (): number | undefined => {
      const info = engine.portInfo(handle);
      // A chunk may overshoot the mark (one commit can give many indications).
      if (info.type !== 'ok') return undefined;
      const mark = Math.min(CATCH_UP_HIGH_WATER, Math.floor(info.info.maxQueued / 2));
      return Math.max(0, mark - info.info.queued);
    };
    // The first chunk is read before the caller's result goes out, so a compacted history is
    // reported at once; the rest streams in the background.
    const step = async (): Promise<'live' | 'compacted' | 'closed' | 'more'> => {
      for (;;) {
        if (cursor >= this.revision) {
          engine.holdLive(handle, false);
          return 'live';
        }
        const space = room();
        if (space === undefined) return 'closed';
        if (space === 0) return 'more';
        const r = await this.store.readSince(cursor, Math.min(CATCH_UP_CHUNK, Math.max(1, space)));
        if (r.type === 'compacted') return 'compacted';
        const published = this.revision;
        // Commit by commit, so that the port goes past its mark by one commit at most (one
        // commit can give many indications) and never overflows while catching up.
        for (const c of r.commits) {
          if (c.revision > published) break;
          const events = commitEvents(c.changes as unknown as Change[], c.revision);
          if (engine.replay(handle, events).type === 'error') return 'closed';
          cursor = c.revision;
          if (room() === 0) break;
        }
        if (r.commits.length === 0) cursor = Math.max(cursor, published);
      }
    };
    const first = await step();
    if (first !== 'more') return first;
    void (async () => {
      for (;;) {
        await this.roomOn(handle);
        const s = await step();
        if (s !== 'more') {
          if (s === 'compacted') {
            // The history went while the port caught up: a lost-events indication stands in
            // for what is missing, and the port goes live from the published revision.
            engine.markLost(handle, cursor + 1, this.revision);
            engine.holdLive(handle, false);
          }
          return;
        }
      }
    })();
    return 'live';
  }

  /**
   * Resolves when a reader took from port `handle` (see `tookFrom`), or
   * after `CATCH_UP_RECHECK_MS`.
   */
  private roomOn(handle: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.catchUpWaiters.get(handle) === done) this.catchUpWaiters.delete(handle);
        resolve();
      };
      const timer = setTimeout(done, CATCH_UP_RECHECK_MS);
      this.catchUpWaiters.set(handle, done);
    });
  }

  /**
   * A reader took indications from port `handle` (the engine's `onTake`): a catch-up waiting for
   * room on it goes on, after this turn's I/O, so the taken batch goes out before the refill is
   * made.
   */
  private tookFrom(handle: string): void {
    const waiter = this.catchUpWaiters.get(handle);
    if (waiter === undefined) return;
    this.catchUpWaiters.delete(handle);
    setImmediate(waiter);
  }

  /** Commits documents without a command (the first commit of a new store). */
  async commitDocuments(
    docs: readonly { kind: string; id: string; value: unknown }[],
  ): Promise<Executed | Failure> {
    try {
      const c = await this.store.commit(
        { puts: docs as StoredObject[], deletes: [], changes: [] },
        { expectRevision: this.issued },
      );
      this.revision = c.revision;
      this.issued = c.revision;
      return { type: 'ok', status: 0, revision: c.revision, changes: [] };
    } catch (e) {
      return failure('STORE_UNAVAILABLE', e instanceof Error ? e.message : 'unknown error');
    }
  }

  /**
   * Stops taking commands, closes every session (their ports are closed like ApiCloseNotify,
   * §3.1.6) and waits for commits in flight. The store stays open (its owner closes it).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.sessions]) s.close();
    while (this.inflight.length > 0 || this.batches > 0)
      await new Promise((resolve) => setImmediate(resolve));
    await this.writer;
    this.following?.abort();
    await this.followDone;
    for (const w of this.revisionWaiters) w.wake();
    this.revisionWaiters = [];
  }
}
