import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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
  parseCommit,
  parseValue,
  prepareCommit,
} from './prepare-commit.js';
import type { PreparedCommit } from './prepare-commit.js';
import { DEFAULT_READ_LIMIT, DEFAULT_RETAIN_COMMITS, MAX_BATCH_COMMITS } from './limits.js';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file; created, with its directory, when missing. `':memory:'` gives a
   * private in-memory database (tests only: not durable).
   */
  readonly path: string;
  /**
   * Commits the log keeps; older ones are deleted in the transaction that goes past the
   * bound (documents are kept). A positive integer; default `DEFAULT_RETAIN_COMMITS`.
   */
  readonly retainCommits?: number;
}

/** The on-disk layout this code writes (`PRAGMA user_version`). */
const SCHEMA_VERSION = 1;

const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('revision', 0);
  CREATE TABLE documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, id)
  ) WITHOUT ROWID;
  CREATE TABLE commits (revision INTEGER PRIMARY KEY, body TEXT NOT NULL);
  PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** A commit() call waiting for its transaction. */
interface PendingCommit {
  readonly prepared: PreparedCommit;
  readonly resolve: (commit: Commit) => void;
  readonly reject: (error: StoreError) => void;
}

type Lifecycle = 'open' | 'closing' | 'closed';

function unavailable(what: string, cause: unknown): StoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('STORE_UNAVAILABLE', `${what}: SQLite failed: ${detail}`, { cause });
}

/**
 * The embedded durable {@link StateStore}: one SQLite database in WAL mode with
 * `synchronous = FULL`, so a commit is on disk when its promise resolves (ARCHITECTURE.md,
 * "How a change flows", step 3: one SQLite transaction).
 *
 * Tables: `documents(kind, id, value)` holds the current documents as JSON; `commits(revision,
 * body)` is the log, body the JSON of `{ puts, deletes, changes }`; `meta('revision')` is the
 * current revision, so revisions continue after a restart even when the log is empty.
 *
 * **Group commit.** `commit()` validates at once (a malformed input rejects before anything is
 * queued), then queues; the queue is written on the next turn of the event loop (setImmediate)
 * in one transaction of at most `MAX_BATCH_COMMITS` commits, each under its own
 * consecutive revision in call order, with one fsync for the lot. A commit whose
 * `expectRevision` does not hold against the commits before it is rejected with
 * `STORE_CONFLICT` and the rest of the batch still commits. If the transaction fails, every
 * commit in it rejects with `STORE_UNAVAILABLE` and nothing of them is written.
 *
 * Commits waiting for the next transaction are not bounded here: each is a caller's pending
 * promise, so the caller bounds them by how many commits it keeps in flight.
 *
 * better-sqlite3 is synchronous: reads and the transaction (with its fsync) run on the calling
 * thread. The file is opened with `locking_mode = EXCLUSIVE` before WAL is entered (no shared
 * memory; the lock is held from open to close), so a second store on the same file, in this
 * process or another, is refused with `STORE_UNAVAILABLE`.
 *
 * Open one with {@link openSqliteStore}.
 */
export class SqliteStore implements StateStore {
  /** Always `'sqlite'`. */
  readonly kind = 'sqlite';
  /** The database file, as given to {@link openSqliteStore}. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #retain: number;
  #state: Lifecycle = 'open';
  #closing: Promise<void> | undefined;
  #revision: number;
  /** Oldest revision in the log; `#revision + 1` when the log is empty. */
  #oldest: number;
  #pending: PendingCommit[] = [];
  #flushTimer: NodeJS.Immediate | undefined;
  readonly #hub = new FollowerHub();
  readonly #source: FollowSource = {
    hub: this.#hub,
    assertOpen: (what) => {
      this.#assertOpen(what);
    },
    currentRevision: () => this.#revision,
    readLog: (after, limit) => this.#readLog(after, limit),
  };

  readonly #getDocument: Database.Statement<[string, string], string>;
  readonly #allDocuments: Database.Statement<[], [string, string, string]>;
  readonly #readCommits: Database.Statement<[number, number], [number, string]>;
  readonly #deleteCommitsUpTo: Database.Statement<[number]>;
  readonly #writeBatch: (batch: readonly PendingCommit[], first: number, trimUpTo: number) => void;

  private constructor(db: Database.Database, path: string, retain: number) {
    this.#db = db;
    this.path = path;
    this.#retain = retain;
    const revision = db.prepare<[], number>("SELECT value FROM meta WHERE key = 'revision'");
    this.#revision = revision.pluck().get() ?? 0;
    const range = db
      .prepare<[], [number | null, number | null]>(
        'SELECT min(revision), max(revision) FROM commits',
      )
      .raw()
      .get();
    const [min, max] = range ?? [null, null];
    if (max !== null && max > this.#revision)
      throw new Error(
        `the log holds revision ${max} but meta says the store is at ${this.#revision}`,
      );
    this.#oldest = min ?? this.#revision + 1;

    this.#getDocument = db
      .prepare<[string, string], string>('SELECT value FROM documents WHERE kind = ? AND id = ?')
      .pluck();
    this.#allDocuments = db
      .prepare<[], [string, string, string]>('SELECT kind, id, value FROM documents')
      .raw();
    this.#readCommits = db
      .prepare<[number, number], [number, string]>(
        'SELECT revision, body FROM commits WHERE revision > ? ORDER BY revision LIMIT ?',
      )
      .raw();
    this.#deleteCommitsUpTo = db.prepare<[number]>('DELETE FROM commits WHERE revision <= ?');
    const insertCommit = db.prepare<[number, string]>(
      'INSERT INTO commits (revision, body) VALUES (?, ?)',
    );
    const putDocument = db.prepare<[string, string, string]>(
      'INSERT INTO documents (kind, id, value) VALUES (?, ?, ?) ' +
        'ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value',
    );
    const deleteDocument = db.prepare<[string, string]>(
      'DELETE FROM documents WHERE kind = ? AND id = ?',
    );
    const setRevision = db.prepare<[number]>("UPDATE meta SET value = ? WHERE key = 'revision'");
    const deleteCommitsUpTo = this.#deleteCommitsUpTo;
    this.#writeBatch = db.transaction(
      (batch: readonly PendingCommit[], first: number, trimUpTo: number) => {
        let revision = first;
        for (const { prepared } of batch) {
          insertCommit.run(revision, prepared.body);
          for (const key of prepared.deletes) deleteDocument.run(key.kind, key.id);
          for (const put of prepared.puts) putDocument.run(put.kind, put.id, put.json);
          revision++;
        }
        setRevision.run(revision - 1);
        if (trimUpTo > 0) deleteCommitsUpTo.run(trimUpTo);
      },
    );
  }

  /** See {@link openSqliteStore}. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    if (typeof options !== 'object' || options === null)
      invalid('openSqliteStore(options) needs an object { path, retainCommits? }');
    const { path } = options;
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0'))
      invalid('openSqliteStore(options).path must be a non-empty file path');
    const retain = checkCountOption(
      'openSqliteStore(options).retainCommits',
      options.retainCommits,
      DEFAULT_RETAIN_COMMITS,
    );
    const what = `openSqliteStore(${JSON.stringify(path)})`;
    if (path !== ':memory:') {
      try {
        await mkdir(dirname(path), { recursive: true });
      } catch (error) {
        throw unavailable(what, error);
      }
    }
    let db: Database.Database | undefined;
    try {
      // timeout 0: a file locked by another store fails now instead of after 5 s.
      db = new Database(path, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (path !== ':memory:' && mode !== 'wal')
        throw new Error(`journal_mode WAL was refused (got ${String(mode)})`);
      db.pragma('synchronous = FULL');
      const version = db.pragma('user_version', { simple: true });
      if (version === 0) db.transaction(() => db?.exec(SCHEMA)).immediate();
      else if (version !== SCHEMA_VERSION)
        throw new Error(
          `the file has schema version ${String(version)}; this code reads ${SCHEMA_VERSION}`,
        );
      return new SqliteStore(db, path, retain);
    } catch (error) {
      db?.close();
      throw unavailable(what, error);
    }
  }

  #assertOpen(what: string): void {
    if (this.#state !== 'open') throw closedError(this.kind, what);
  }

  /** Runs a synchronous read on an open store; SQLite errors become `STORE_UNAVAILABLE`. */
  #read<T>(what: string, body: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      this.#assertOpen(what);
      try {
        resolve(body());
      } catch (error) {
        throw error instanceof StoreError ? error : unavailable(what, error);
      }
    });
  }

  #readLog(after: number, limit: number): ReadSinceResult {
    if (after > this.#revision)
      invalid(`readSince(after) is ${after}, beyond the current revision ${this.#revision}`);
    if (after === this.#revision) return { type: 'commits', commits: [] };
    if (after + 1 < this.#oldest) return { type: 'compacted', oldestRevision: this.#oldest };
    let rows: [number, string][];
    try {
      rows = this.#readCommits.all(after, limit);
    } catch (error) {
      throw unavailable('readSince', error);
    }
    return {
      type: 'commits',
      commits: rows.map(([revision, body]) => parseCommit(revision, body)),
    };
  }

  /** See {@link StateStore.revision}. */
  revision(): Promise<number> {
    return this.#read('revision', () => this.#revision);
  }

  /**
   * See {@link StateStore.commit} and the group commit above. Rejects with `STORE_INVALID`
   * before queueing (see `MAX_DOCUMENT_BYTES`, `MAX_COMMIT_BYTES`),
   * `STORE_CONFLICT`, `STORE_UNAVAILABLE` or `STORE_CLOSED`.
   */
  commit(input: CommitInput, options?: CommitOptions): Promise<Commit> {
    // A throw in the executor rejects: a malformed input is refused before it is queued.
    return new Promise<Commit>((resolve, reject) => {
      this.#assertOpen('commit');
      const prepared = prepareCommit(input, options);
      this.#pending.push({ prepared, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /** Writes the queue on the next turn of the event loop, gathering this turn's commits. */
  #scheduleFlush(): void {
    this.#flushTimer ??= setImmediate(() => {
      this.#flushTimer = undefined;
      this.#flush();
    });
  }

  /** Writes up to `MAX_BATCH_COMMITS` pending commits in one transaction. */
  #flush(): void {
    const queued = this.#pending;
    const batch = queued.length > MAX_BATCH_COMMITS ? queued.slice(0, MAX_BATCH_COMMITS) : queued;
    this.#pending = batch === queued ? [] : queued.slice(MAX_BATCH_COMMITS);
    if (this.#pending.length > 0) this.#scheduleFlush();

    // Decide conflicts in call order against the revisions the earlier commits will take.
    const accepted: PendingCommit[] = [];
    const conflicts = new Map<PendingCommit, StoreError>();
    let revision = this.#revision;
    for (const entry of batch) {
      const expected = entry.prepared.expectRevision;
      if (expected !== undefined && expected !== revision)
        conflicts.set(
          entry,
          new StoreError(
            'STORE_CONFLICT',
            `commit expected revision ${expected}, but the store is at ${revision}`,
          ),
        );
      else {
        accepted.push(entry);
        revision++;
      }
    }

    let failure: StoreError | undefined;
    let oldest = this.#oldest;
    if (accepted.length > 0) {
      if (revision - oldest + 1 > this.#retain) oldest = revision - this.#retain + 1;
      try {
        this.#writeBatch(accepted, this.#revision + 1, oldest === this.#oldest ? 0 : oldest - 1);
      } catch (error) {
        failure = unavailable('commit', error);
      }
    }
    let next = this.#revision + 1;
    if (failure === undefined) {
      this.#revision = revision;
      this.#oldest = oldest;
    }
    // Settle in call order; followers hear of each commit before its committer does.
    for (const entry of batch) {
      const conflict = conflicts.get(entry);
      if (conflict !== undefined) entry.reject(conflict);
      else if (failure !== undefined) entry.reject(failure);
      else {
        const commit = lazyCommit(next++, entry.prepared.body, entry.prepared.changesAt);
        this.#hub.publish(commit);
        entry.resolve(commit);
      }
    }
  }

  /** See {@link StateStore.snapshot}. Documents in no particular order. */
  snapshot(): Promise<Snapshot> {
    return this.#read('snapshot', () => {
      const objects: StoredObject[] = [];
      for (const [kind, id, value] of this.#allDocuments.iterate())
        objects.push(Object.freeze({ kind, id, value: parseValue(value) }));
      return { revision: this.#revision, objects };
    });
  }

  /** See {@link StateStore.get}. Rejects with `STORE_INVALID` for a malformed key. */
  get(key: ObjectKey): Promise<StoredObject | undefined> {
    return this.#read('get', () => {
      const { kind, id } = checkKey(key, 'get(key)');
      const value = this.#getDocument.get(kind, id);
      return value === undefined
        ? undefined
        : Object.freeze({ kind, id, value: parseValue(value) });
    });
  }

  /**
   * See {@link StateStore.readSince}. Rejects with `STORE_INVALID` when `after` is not a
   * revision or lies beyond the current one, or `limit` is not a positive integer.
   */
  readSince(after: number, limit?: number): Promise<ReadSinceResult> {
    return this.#read('readSince', () => {
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
    return this.#read('compact', () => {
      checkRevisionArgument('compact(revision)', revision);
      if (revision > this.#revision)
        invalid(`compact(revision) is ${revision}, beyond the current revision ${this.#revision}`);
      if (revision < this.#oldest) return;
      this.#deleteCommitsUpTo.run(revision);
      this.#oldest = revision + 1;
    });
  }

  /** See {@link StateStore.oldestRevision}. */
  oldestRevision(): Promise<number> {
    return this.#read('oldestRevision', () => this.#oldest);
  }

  /**
   * See {@link StateStore.close}: writes the commits already queued, ends every follower and
   * closes the database. Idempotent; every call returns the same promise. Rejects with
   * `STORE_UNAVAILABLE` if SQLite fails to close (the store is closed anyway).
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve, reject) => {
      this.#state = 'closing';
      if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
      this.#flushTimer = undefined;
      while (this.#pending.length > 0) this.#flush();
      if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
      this.#flushTimer = undefined;
      this.#state = 'closed';
      this.#hub.close();
      try {
        this.#db.close();
        resolve();
      } catch (error) {
        reject(unavailable('close', error));
      }
    });
    return this.#closing;
  }

  /** Calls {@link SqliteStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens (creating when missing) the SQLite store at `options.path` and resumes at its stored
 * revision. Rejects with `STORE_INVALID` for bad options, `STORE_UNAVAILABLE` when the file
 * cannot be opened, is not a store of this schema, or is held by another open store.
 */
export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}
