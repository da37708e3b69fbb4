/**
 * @clusnotify/store — the durable-state contract ({@link StateStore}) and its adapters: an
 * in-memory store for tests, the embedded SQLite store (WAL, synchronous = FULL, group
 * commit) and the etcd v3 store that several daemons share. Documents addressed by (kind, id) and a revisioned, compactable commit log.
 */
export type {
  Commit,
  CommitInput,
  CommitOptions,
  FollowOptions,
  JsonValue,
  ObjectKey,
  ReadSinceResult,
  Snapshot,
  StateStore,
  StoreErrorCode,
  StoredObject,
} from './state-store.js';
export { StoreError } from './state-store.js';
export { MemoryStore, createMemoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export { BYTE_LOG_CHUNK_BYTES, ByteLog } from './byte-log.js';
export type { ByteLogOptions } from './byte-log.js';
export { SqliteStore, openSqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { EtcdStore, openEtcdStore } from './etcd-store.js';
export type { EtcdStoreOptions } from './etcd-store.js';
export { startLocalEtcd } from './local-etcd.js';
export type { LocalEtcd, LocalEtcdMember, LocalEtcdOptions } from './local-etcd.js';
export {
  DEFAULT_MEMORY_RETAIN_BYTES,
  DEFAULT_READ_LIMIT,
  DEFAULT_RETAIN_COMMITS,
  FOLLOW_BUFFER_COMMITS,
  MAX_BATCH_COMMITS,
  MAX_COMMIT_BYTES,
  MAX_DOCUMENT_BYTES,
} from './limits.js';
