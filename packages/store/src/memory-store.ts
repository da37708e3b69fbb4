import { StoreError } from './state-store.js';
import type {
  Commit,
  CommitInput,
  CommitOptions,
  FollowOptions,
  JsonValue,
  ObjectKey,
  ReadSinceResult,
  Snapshot,
  StateStore,
  StoredObject,
} from './state-store.js';
import { FollowerHub, followLog } from './follow-log.js';
import type { FollowSource } from './follow-log.js';
import {
  checkCountOption,
  checkKey,
  checkRevisionArgument,
  closedError,
  invalid,
  lazyCommit,
  lazyDocument,
  parseChanges,
  prepareCommit,
} from './prepare-commit.js';
import { DEFAULT_READ_LIMIT, DEFAULT_RETAIN_COMMITS } from './limits.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Commits the log keeps; older ones are forgotten as new ones arrive (documents are kept).
   * A positive integer; default `DEFAULT_RETAIN_COMMITS`.
   */
  readonly retainCommits?: number;
}

/** A settled promise from a synchronous body: its value, or its exception as a rejection. */
function settle<T>(body: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    resolve(body());
  });
}

/**
 * A {@link StateStore} in process memory, for tests and single-process tools: documents in a
 * map, the log in an array with the same retention rule as the durable adapters. Nothing
 * survives the process. Commits apply synchronously in call order, so every `commit()` of
 * one tick gets consecutive revisions; there is nothing to batch.
 *
 * Values handed out (commits, documents) are deep-frozen copies of what was committed, parsed
 * from their JSON on first use. The log holds each commit as its JSON string only: a reader's
 * parsed copy is the reader's, and goes when the reader drops it.
 * Create one with {@link createMemoryStore}.
 */
export class MemoryStore implements StateStore {
  /** Always `'memory'`. */
  readonly kind = 'memory';
  readonly #hub = new FollowerHub();
  readonly #source: FollowSource = {
    hub: this.#hub,
    assertOpen: (what) => {
      this.#assertOpen(what);
    },
    currentRevision: () => this.#revision,
    readLog: (after, limit) => this.#readLog(after, limit),
  };
  readonly #retain: number;
  #closed = false;
  #revision = 0;
  readonly #documents = new Map<string, StoredObject>();
  /**
   * The log: `#log[#head]` is the oldest commit held, the last entry is `#revision`. Each entry
   * is the commit's JSON only; readers get their own parsed copy, which goes when they drop it.
   */
  #log: (string | undefined)[] = [];
  /**
   * Each log entry's change records, parsed when committed: readers of the log (resume, the
   * follower) want only those, so they never parse the documents.
   */
  #changes: (readonly JsonValue[] | undefined)[] = [];
  #head = 0;

  /** See {@link createMemoryStore}. Throws `STORE_INVALID` for a bad option. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#retain = checkCountOption('retainCommits', options.retainCommits, DEFAULT_RETAIN_COMMITS);
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw closedError(this.kind, what);
  }

  #readLog(after: number, limit: number): ReadSinceResult {
    const oldest = this.#oldest();
    if (after > this.#revision)
      invalid(`readSince(after) is ${after}, beyond the current revision ${this.#revision}`);
    if (after === this.#revision) return { type: 'commits', commits: [] };
    if (after + 1 < oldest) return { type: 'compacted', oldestRevision: oldest };
    const start = this.#head + (after + 1 - oldest);
    const count = Math.min(limit, this.#revision - after);
    const commits: Commit[] = [];
    for (let i = 0; i < count; i++)
      commits.push(
        lazyCommit(
          after + 1 + i,
          this.#log[start + i] as string,
          undefined,
          this.#changes[start + i],
        ),
      );
    return { type: 'commits', commits };
  }

  #oldest(): number {
    return this.#revision - (this.#log.length - this.#head) + 1;
  }

  /** Forgets the log up to and including `revision`. */
  #forget(revision: number): void {
    let oldest = this.#oldest();
    while (oldest <= revision) {
      this.#changes[this.#head] = undefined;
      this.#log[this.#head++] = undefined;
      oldest++;
    }
    // Reclaim the forgotten prefix once it is most of the array (amortised O(1) per commit).
    if (this.#head > 1024 && this.#head * 2 > this.#log.length) {
      this.#log = this.#log.slice(this.#head);
      this.#changes = this.#changes.slice(this.#head);
      this.#head = 0;
    }
  }

  /** See {@link StateStore.revision}. */
  revision(): Promise<number> {
    return settle(() => {
      this.#assertOpen('revision');
      return this.#revision;
    });
  }

  /**
   * See {@link StateStore.commit}. Applies at once; rejects with `STORE_INVALID` (see
   * `MAX_DOCUMENT_BYTES`, `MAX_COMMIT_BYTES`), `STORE_CONFLICT` or `STORE_CLOSED`.
   */
  commit(input: CommitInput, options?: CommitOptions): Promise<Commit> {
    return settle(() => {
      this.#assertOpen('commit');
      const prepared = prepareCommit(input, options);
      if (prepared.expectRevision !== undefined && prepared.expectRevision !== this.#revision)
        throw new StoreError(
          'STORE_CONFLICT',
          `commit expected revision ${prepared.expectRevision}, but the store is at ${this.#revision}`,
        );
      const changes = parseChanges(prepared.body, prepared.changesAt);
      const commit = lazyCommit(this.#revision + 1, prepared.body, undefined, changes);
      for (const key of prepared.deletes) this.#documents.delete(`${key.kind}\0${key.id}`);
      for (const put of prepared.puts)
        this.#documents.set(`${put.kind}\0${put.id}`, lazyDocument(put.kind, put.id, put.json));
      this.#log.push(prepared.body);
      this.#changes.push(changes);
      this.#revision = commit.revision;
      this.#forget(this.#revision - this.#retain);
      this.#hub.publish(commit);
      return commit;
    });
  }

  /** See {@link StateStore.snapshot}. Documents in no particular order. */
  snapshot(): Promise<Snapshot> {
    return settle(() => {
      this.#assertOpen('snapshot');
      return { revision: this.#revision, objects: [...this.#documents.values()] };
    });
  }

  /** See {@link StateStore.get}. Rejects with `STORE_INVALID` for a malformed key. */
  get(key: ObjectKey): Promise<StoredObject | undefined> {
    return settle(() => {
      this.#assertOpen('get');
      const { kind, id } = checkKey(key, 'get(key)');
      return this.#documents.get(`${kind}\0${id}`);
    });
  }

  /**
   * See {@link StateStore.readSince}. Rejects with `STORE_INVALID` when `after` is not a
   * revision or lies beyond the current one, or `limit` is not a positive integer.
   */
  readSince(after: number, limit?: number): Promise<ReadSinceResult> {
    return settle(() => {
      this.#assertOpen('readSince');
      checkRevisionArgument('readSince(after)', after);
      return this.#readLog(after, checkCountOption('readSince(limit)', limit, DEFAULT_READ_LIMIT));
    });
  }

  /**
   * See {@link StateStore.follow}: history, then live commits, without gap or duplicate even
   * when commits race with the start. Ends when `options.signal` aborts, the loop breaks or the
   * store closes (listeners removed each time). The first `next()` rejects with `STORE_INVALID`
   * when `after` is not a revision or lies beyond the current one, `STORE_CLOSED` on a closed
   * store; any `next()` rejects with `STORE_COMPACTED` once commits it still needs are gone.
   * A follower buffers at most `FOLLOW_BUFFER_COMMITS` live commits, then reads the log.
   */
  follow(after: number, options?: FollowOptions): AsyncIterable<Commit> {
    return followLog(this.#source, after, options?.signal);
  }

  /**
   * See {@link StateStore.compact}. Compacting below the oldest held revision does nothing;
   * beyond the current revision rejects with `STORE_INVALID`.
   */
  compact(revision: number): Promise<void> {
    return settle(() => {
      this.#assertOpen('compact');
      checkRevisionArgument('compact(revision)', revision);
      if (revision > this.#revision)
        invalid(`compact(revision) is ${revision}, beyond the current revision ${this.#revision}`);
      this.#forget(revision);
    });
  }

  /** See {@link StateStore.oldestRevision}. */
  oldestRevision(): Promise<number> {
    return settle(() => {
      this.#assertOpen('oldestRevision');
      return this.#oldest();
    });
  }

  /** See {@link StateStore.close}. Idempotent; ends every follower and drops the data. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#hub.close();
      this.#documents.clear();
      this.#log = [];
      this.#changes = [];
      this.#head = 0;
    }
    return Promise.resolve();
  }

  /** Calls {@link MemoryStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A new, empty {@link MemoryStore} at revision 0. Throws `STORE_INVALID` when `retainCommits`
 * is not a positive integer.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
