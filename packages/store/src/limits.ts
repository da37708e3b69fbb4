/**
 * Every bound of the store layer, in one place. Each is enforced by both adapters.
 */

/** Largest document a commit may put: 1 MiB of UTF-8 JSON (the serialised `value`). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** Largest commit: 16 MiB of UTF-8 JSON (puts, deletes and change records together). */
export const MAX_COMMIT_BYTES = 16 * 1024 * 1024;

/** Commits kept in the log by default before the oldest are forgotten (documents are kept). */
export const DEFAULT_RETAIN_COMMITS = 1_000_000;

/**
 * History a memory store keeps by default, in bytes of commit JSON (UTF-8, outside the JS heap):
 * a bound on its memory whatever the commits' size. The commit count bound applies too.
 */
export const DEFAULT_MEMORY_RETAIN_BYTES = 256 * 1024 * 1024;

/** Commits returned by `readSince` when no limit is given. */
export const DEFAULT_READ_LIMIT = 10_000;

/**
 * Live commits a follower holds before it falls back to reading the log. A follower that does
 * not keep up stops buffering and reads the log page by page instead, so a slow consumer costs
 * at most this many commits of memory (and, past the log's retention, gets `STORE_COMPACTED`).
 */
export const FOLLOW_BUFFER_COMMITS = 10_000;

/** Commits one SQLite transaction writes at most; further queued commits go to the next one. */
export const MAX_BATCH_COMMITS = 10_000;
