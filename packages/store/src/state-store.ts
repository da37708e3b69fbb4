/**
 * The durable-state contract every store adapter (memory, embedded SQLite, later etcd) keeps.
 *
 * The store knows nothing of the cluster model: it keeps JSON documents addressed by
 * (kind, id) and an append-only log of commits. A commit writes some documents, deletes some,
 * and records the model's change records, all atomically under the next revision
 * (ARCHITECTURE.md, "How a change flows", step 3). Revisions start at 1 and increase by one per
 * commit; the empty store is at revision 0.
 */

/** A JSON value as stored. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Address of a stored document. */
export interface ObjectKey {
  /** Document family, e.g. 'node', 'resource', 'registry-key'. Non-empty, no NUL. */
  readonly kind: string;
  /** Identity within the family. Non-empty, no NUL. */
  readonly id: string;
}

/** A stored document. */
export interface StoredObject extends ObjectKey {
  readonly value: JsonValue;
}

/** What one commit writes. */
export interface CommitInput {
  /** Documents to create or replace. */
  readonly puts: readonly StoredObject[];
  /** Documents to remove (removing a missing one is not an error). */
  readonly deletes: readonly ObjectKey[];
  /** The model's change records for this commit, in order. Opaque to the store. */
  readonly changes: readonly JsonValue[];
}

/** A committed entry of the log. */
export interface Commit extends CommitInput {
  readonly revision: number;
}

/** Every current document, as of `revision`. */
export interface Snapshot {
  readonly revision: number;
  readonly objects: readonly StoredObject[];
}

/** Result of {@link StateStore.readSince}. */
export type ReadSinceResult =
  | { readonly type: 'commits'; readonly commits: readonly Commit[] }
  /** Some commits after the asked revision were compacted away; history starts at `oldestRevision`. */
  | { readonly type: 'compacted'; readonly oldestRevision: number };

/** Options of {@link StateStore.commit}. */
export interface CommitOptions {
  /**
   * Commit only if the store is still at this revision (compare-and-commit); otherwise the
   * promise rejects with a `StoreError` of code `STORE_CONFLICT` and nothing is written.
   */
  readonly expectRevision?: number;
}

/** Options of {@link StateStore.follow}. */
export interface FollowOptions {
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
}

/** A durable, revisioned document store with a change log. */
export interface StateStore {
  /** 'memory', 'sqlite' or 'etcd'. */
  readonly kind: string;

  /** The revision of the last commit (0 when nothing was ever committed). */
  revision(): Promise<number>;

  /**
   * Writes `input` atomically under the next revision and resolves with the commit once it is
   * durable (for SQLite: synced to disk). Concurrent calls are batched into one transaction
   * (group commit) but each still gets its own revision, in call order. Rejects with a
   * `StoreError`: `STORE_CONFLICT` (expectRevision did not hold), `STORE_INVALID` (malformed
   * input: empty kind/id, a value that is not JSON), `STORE_CLOSED`, `STORE_UNAVAILABLE`
   * (the backing store failed); on any rejection nothing of that commit is written.
   */
  commit(input: CommitInput, options?: CommitOptions): Promise<Commit>;

  /** Every current document and the revision it reflects, read consistently. */
  snapshot(): Promise<Snapshot>;

  /** One document, or undefined. */
  get(key: ObjectKey): Promise<StoredObject | undefined>;

  /**
   * The commits with revision > `after`, oldest first, at most `limit` (default 10,000); an
   * empty list when `after` is the current revision. `compacted` when any commit in
   * (`after`, current] is no longer held.
   */
  readSince(after: number, limit?: number): Promise<ReadSinceResult>;

  /**
   * Every commit with revision > `after` as an async iterable: the history first, then new
   * commits as they are made, in revision order, until `signal` aborts or the store closes.
   * Throws `StoreError` `STORE_COMPACTED` if history after `after` is gone.
   */
  follow(after: number, options?: FollowOptions): AsyncIterable<Commit>;

  /** Forgets the log up to and including `revision` (documents are kept). */
  compact(revision: number): Promise<void>;

  /** The oldest revision still in the log (current revision + 1 when the log is empty). */
  oldestRevision(): Promise<number>;

  /** Finishes pending commits, then releases the store; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

/** Error codes of the store layer. */
export type StoreErrorCode =
  'STORE_CONFLICT' | 'STORE_INVALID' | 'STORE_CLOSED' | 'STORE_UNAVAILABLE' | 'STORE_COMPACTED';

/** The one error class of the store layer; branch on `code`. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
