import { StoreError } from './state-store.js';
import type {
  Commit,
  CommitInput,
  CommitOptions,
  FollowOptions,
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
  lazyCommitFrom,
  lazyDocument,
  prepareCommit,
} from './prepare-commit.js';
import { ByteLog } from './byte-log.js';
import {
  DEFAULT_MEMORY_RETAIN_BYTES,
  DEFAULT_READ_LIMIT,
  DEFAULT_RETAIN_COMMITS,
} from './limits.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Commits the log keeps; older ones are forgotten as new ones arrive (documents are kept).
   * A positive integer; default `DEFAULT_RETAIN_COMMITS`.
   */
  readonly retainCommits?: number;
  /**
   * Bytes of memory the history takes at most; the oldest commits are forgotten beyond it, the
   * newest always kept. The newest half of it is UTF-8 JSON as committed; older history is
   * packed with Brotli (decision D52), at its packed size. A positive integer; default
   * `DEFAULT_MEMORY_RETAIN_BYTES` (256 MiB).
   */
  readonly retainBytes?: number;
}

/** A promise of what `body` returns (a value or a promise), or of its exception as a rejection. */
function settle<T>(body: () => T | Promise<T>): Promise<T> {
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
 * from their JSON on first use. The log holds each commit as UTF-8 JSON outside the JS heap (a
 * {@link ByteLog}), so a long history costs the garbage collector nothing; a reader's parsed
 * copy is the reader's, and goes when the reader drops it. Past half of `retainBytes` the
 * older history is packed, so the bound holds several times more of it (decision D52).
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
  readonly #retainBytes: number;
  #closed = false;
  #revision = 0;
  readonly #documents = new Map<string, StoredObject>();
  /**
   * The log: record 0 is the oldest commit held, the last one is `#revision`. Each record is a
   * commit's JSON split where its change records start, so readers of the log (resume, the
   * follower) parse only those.
   */
  #log: ByteLog;

  /** See {@link createMemoryStore}. Throws `STORE_INVALID` for a bad option. */
  constructor(options: MemoryStoreOptions = {}) {
    this.#retain = checkCountOption('retainCommits', options.retainCommits, DEFAULT_RETAIN_COMMITS);
    this.#retainBytes = checkCountOption(
      'retainBytes',
      options.retainBytes,
      DEFAULT_MEMORY_RETAIN_BYTES,
    );
    this.#log = new ByteLog({ packAbove: Math.floor(this.#retainBytes / 2) });
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw closedError(this.kind, what);
  }

  /**
   * Up to `limit` commits after `after`. A page ends before a packed chunk of the log that is not
   * unpacked at hand; when the first commit lies in one, it is unpacked on the thread pool first.
   */
  #readLog(after: number, limit: number): ReadSinceResult | Promise<ReadSinceResult> {
    const page = this.#readPage(after, limit, false);
    if (page !== undefined) return page;
    const log = this.#log;
    return log.unpack(after + 1 - this.#oldest()).then(
      () => {
        this.#assertOpen('readSince');
        return this.#readPage(after, limit, true) as ReadSinceResult;
      },
      (cause: unknown) => {
        throw new StoreError(
          'STORE_UNAVAILABLE',
          `the history after revision ${after} could not be unpacked: ${cause instanceof Error ? cause.message : String(cause)}`,
          { cause },
        );
      },
    );
  }

  /**
   * {@link MemoryStore.#readLog} without waiting: undefined when the first commit needs
   * unpacking, unless `unpackFirst` (then it is unpacked on the spot if it has to be).
   */
  #readPage(after: number, limit: number, unpackFirst: boolean): ReadSinceResult | undefined {
    const oldest = this.#oldest();
    if (after > this.#revision)
      invalid(`readSince(after) is ${after}, beyond the current revision ${this.#revision}`);
    if (after === this.#revision) return { type: 'commits', commits: [] };
    if (after + 1 < oldest) return { type: 'compacted', oldestRevision: oldest };
    const start = after + 1 - oldest;
    if (!unpackFirst && !this.#log.readable(start)) return undefined;
    const count = Math.min(limit, this.#revision - after);
    const commits: Commit[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0 && !this.#log.readable(start + i)) break;
      // Taken now, as the record may be forgotten before the reader looks at the commit: the
      // change records decoded (every reader of history wants them), the documents as bytes.
      const head = this.#log.firstBytes(start + i);
      const tail = this.#log.second(start + i);
      commits.push(
        lazyCommitFrom(
          after + 1 + i,
          () => head.toString('utf8') + tail,
          () => tail.slice(0, -1),
        ),
      );
    }
    return { type: 'commits', commits };
  }

  #oldest(): number {
    return this.#revision - this.#log.length + 1;
  }

  /** Forgets the log up to and including `revision`. */
  #forget(revision: number): void {
    this.#log.dropFirst(revision - this.#oldest() + 1);
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
      const { body, changesAt } = prepared;
      const commit = lazyCommit(this.#revision + 1, body, changesAt);
      for (const key of prepared.deletes) this.#documents.delete(`${key.kind}\0${key.id}`);
      for (const put of prepared.puts)
        this.#documents.set(`${put.kind}\0${put.id}`, lazyDocument(put.kind, put.id, put.json));
      this.#log.append(body.slice(0, changesAt), body.slice(changesAt));
      this.#revision = commit.revision;
      this.#forget(this.#revision - this.#retain);
      this.#log.dropToBytes(this.#retainBytes, 1);
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
      this.#log = new ByteLog();
    }
    return Promise.resolve();
  }

  /** Calls {@link MemoryStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A new, empty {@link MemoryStore} at revision 0. Throws `STORE_INVALID` when `retainCommits` or
 * `retainBytes` is not a positive integer.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
