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
  commitEvents,
  defaultClusterCommands,
  documentWrites,
  allDocuments,
  emptyClusterState,
  stateFromDocuments,
} from '@clusnotify/core';
import type { Change, ClusterState, Command, EngineOptions } from '@clusnotify/core';
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
  readonly engine?: Omit<EngineOptions, 'clusterName'>;
  /**
   * What to do when the store is empty: create the default cluster (true, the default), an
   * empty cluster (false), or run the given commands.
   */
  readonly bootstrap?: boolean | ((newId: () => string) => Command[]);
  /** Name of a cluster created on an empty store (default 'CLUSTER1'). */
  readonly clusterName?: string;
  /** Source of new object GUIDs (default crypto.randomUUID). */
  readonly newId?: () => string;
}

/** A command that was committed. */
export interface Executed {
  readonly type: 'ok';
  readonly status: 0;
  /** The revision it was committed under (the current revision when it changed nothing). */
  readonly revision: number;
  readonly changes: readonly Change[];
}

/** Catch-up keeps a resumed port at most this full of history (below the default bound). */
const CATCH_UP_HIGH_WATER = 2048;
/** Commits read from the store per catch-up step. */
const CATCH_UP_CHUNK = 512;

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
  );
  if (loaded === undefined) {
    // The first commit holds the cluster document itself, so that a restart finds it.
    const first = await service.commitDocuments(allDocuments(service.state));
    if (first.type === 'error') throw new Error(`cannot initialise the store: ${first.message}`);
    const b = options.bootstrap ?? true;
    const commands = b === true ? defaultClusterCommands(newId) : b === false ? [] : b(newId);
    for (const c of commands) {
      const r = await service.execute(c);
      if (r.type === 'error')
        throw new Error(`bootstrap command ${c.type} failed: ${r.code} ${r.message}`);
    }
  }
  return service;
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
  private readonly sessions = new Set<Session>();
  private closed = false;

  /** @internal use {@link startClusterService} */
  constructor(
    readonly store: StateStore,
    state: ClusterState,
    revision: number,
    engineOptions: Omit<EngineOptions, 'clusterName'>,
    readonly newId: () => string,
  ) {
    this.state = state;
    this.pending = state;
    this.revision = revision;
    this.issued = revision;
    this.engine = new NotificationEngine({ ...engineOptions, clusterName: state.cluster.name });
  }

  /**
   * Opens a session with the given access level (§3.1.4: Read or All). `client` names the
   * program on the other end (the hello frame's `client`), for `listSessions`.
   */
  openSession(access: AccessLevel, client = ''): Session {
    const s = new Session(this, access, () => this.sessions.delete(s), client);
    this.sessions.add(s);
    return s;
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
   * in call order; commits are pipelined (group commit) and published in revision order.
   * Fails with the model's coded error (state unchanged), or STORE_UNAVAILABLE when the store
   * refused the commit (nothing of it is visible).
   */
  async execute(command: Command): Promise<Executed | Failure> {
    if (this.closed) return failure('SERVICE_CLOSING', 'the service is shutting down');
    const r = apply(this.pending, command);
    if (r.type === 'error') return r;
    if (r.changes.length === 0 && r.touched.length === 0) {
      return { type: 'ok', status: 0, revision: this.issued, changes: [] };
    }
    const { puts, deletes } = documentWrites(r.state, r.touched);
    const expect = this.issued;
    this.pending = r.state;
    this.issued = expect + 1;
    const entry: InFlight = {
      revision: expect + 1,
      state: r.state,
      changes: r.changes,
      settled: false,
      error: undefined,
    };
    this.inflight.push(entry);
    try {
      const c = await this.store.commit(
        { puts: puts as StoredObject[], deletes, changes: r.changes as unknown as JsonValue[] },
        { expectRevision: expect },
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
    if (entry.error !== undefined) {
      const e = entry.error;
      const why =
        e instanceof StoreError
          ? `${e.code} ${e.message}`
          : e instanceof Error
            ? e.message
            : 'unknown error';
      return failure('STORE_UNAVAILABLE', `the commit was refused: ${why}`);
    }
    return { type: 'ok', status: 0, revision: entry.revision, changes: r.changes };
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
      this.engine.publish(commitEvents(e.changes, e.revision));
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
        await new Promise((resolve) => setTimeout(resolve, 1));
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
    while (this.inflight.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }
}
