import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import type { IKeyValue, IOptions, IRequestOp, ITxnResponse, Watcher } from 'etcd3';
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
  parseCommit,
  parseValue,
  prepareCommit,
} from './prepare-commit.js';
import type { PreparedCommit } from './prepare-commit.js';
import { DEFAULT_READ_LIMIT, DEFAULT_RETAIN_COMMITS, FOLLOW_BUFFER_COMMITS } from './limits.js';

/** Options of {@link openEtcdStore}. */
export interface EtcdStoreOptions {
  /** etcd client URLs (`http://host:2379`); one string may hold several, comma-separated. */
  readonly hosts: string | readonly string[];
  /**
   * Key prefix of this cluster's data in etcd (default `/clusnotify/`): several clusters may
   * share one etcd under different prefixes.
   */
  readonly prefix?: string;
  /** As for the other stores: commits the log keeps (default `DEFAULT_RETAIN_COMMITS`). */
  readonly retainCommits?: number;
  /** How long opening waits for etcd before it gives up (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Deadline of each etcd request (default 5,000 ms). */
  readonly callTimeoutMs?: number;
  /**
   * Operations a group-commit transaction starts out with at most (default 4,096). etcd
   * refuses more than its `--max-txn-ops` (etcd's default: 128); the store then halves its
   * figure and retries, so a smaller etcd setting costs one refused request, not an error.
   */
  readonly maxTxnOps?: number;
  /** Bytes of keys and values a transaction starts out with at most (default 8 MiB); learned down like `maxTxnOps`. */
  readonly maxTxnBytes?: number;
}

/** A commit() call waiting for its transaction. */
interface PendingCommit {
  readonly prepared: PreparedCommit;
  readonly resolve: (commit: Commit) => void;
  readonly reject: (error: StoreError) => void;
}

/** A written commit waiting to be published before its caller hears of it. */
interface WrittenCommit {
  readonly revision: number;
  readonly pending: PendingCommit;
  /** The entry followers were given, when this store published it itself. */
  commit?: Commit;
}

/** The store's head in etcd: the commit number and the etcd revision that last wrote it. */
interface Head {
  readonly revision: number;
  readonly modRevision: string;
  readonly batch: string;
}

type Lifecycle = 'open' | 'closing' | 'closed';

/**
 * Commits published last that the store keeps in memory, so that followers and `readSince`
 * near the head are answered without a round trip to etcd.
 */
const RECENT_COMMITS = FOLLOW_BUFFER_COMMITS;

/** An etcd client URL: scheme, host name or address (IPv6 in brackets), optional port. */
const ETCD_URL = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[^/\s:[\]]+)(:\d{1,5})?\/?$/;

/** Digits of a log key's commit number: keys sort as numbers. */
const LOG_DIGITS = 16;

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/**
 * Watch reconnect delays: 100 ms doubling to at most 1 s (the client's default grows to 30 s,
 * which would keep a daemon deaf that long after etcd comes back).
 */
function watchBackoff(duration = 100): WatchBackoff {
  return { duration, next: () => watchBackoff(Math.min(duration * 2, 1_000)) };
}

/** Waits for `promise` to settle, at most `ms`; never rejects. */
async function settleWithin(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise?.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

function unavailable(what: string, cause: unknown): StoreError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('STORE_UNAVAILABLE', `${what}: etcd failed: ${detail}`, { cause });
}

/** The key right after every key that starts with `prefix` (etcd's range end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function headFrom(kv: IKeyValue | undefined): Head {
  if (kv === undefined) return { revision: 0, modRevision: '0', batch: '' };
  const meta = JSON.parse(kv.value.toString('utf8')) as { revision: number; batch: string };
  return { revision: meta.revision, modRevision: kv.mod_revision, batch: meta.batch };
}

function isTooManyOps(error: unknown): boolean {
  return error instanceof Error && /too many operations/i.test(error.message);
}

function isTooLarge(error: unknown): boolean {
  return (
    error instanceof Error &&
    /request is too large|larger than max|RESOURCE_EXHAUSTED|message length/i.test(error.message)
  );
}

/**
 * A {@link StateStore} in etcd v3, shared by every daemon of a cluster (ARCHITECTURE.md, "How a
 * change flows", step 3: one txn guarded by compare-on-revision).
 *
 * Keys under the prefix P: `P meta` holds `{ revision, batch }`, the commit number of the last
 * commit and the id of the transaction that wrote it; `P log/NNNNNNNNNNNNNNNN` is commit N
 * (the JSON of `{ puts, deletes, changes }`); `P doc/KIND\0ID` is a document. Revisions are
 * these commit numbers, consecutive from 1 — not etcd's revision, which other keys (leases,
 * other prefixes) also move.
 *
 * **Commits** are etcd transactions guarded on the etcd revision that last wrote `P meta`, so
 * two daemons committing at once never both win: the loser's transaction changes nothing, its
 * failure branch reads the new head, and its commits are decided again against it (a commit
 * with `expectRevision` that no longer holds is rejected with `STORE_CONFLICT`, the others take
 * the next numbers). **Group commit**: commits queued while a transaction is out go together in
 * the next one (documents that several of them write are written once, with the last value),
 * within `maxTxnOps` and `maxTxnBytes`.
 *
 * **Log and followers.** The store publishes every commit — its own and other daemons' — to its
 * followers in commit order: its own when its transaction succeeds, the others' from a watch
 * on `P log/` started at the etcd revision it opened at; a gap (a watch that restarted, etcd's
 * own compaction) is filled by reading the log keys. A commit resolves after its followers
 * heard of it. `compact` and `retainCommits` delete log
 * keys: "history gone" (`compacted`, `STORE_COMPACTED`) is the absence of those keys, whatever
 * etcd's own MVCC compaction does.
 *
 * **When etcd fails** a commit rejects with `STORE_UNAVAILABLE`. When etcd accepted the
 * transaction but the answer was lost, the store asks etcd whether its transaction is the head
 * and resolves if so; if etcd cannot tell, the commit is reported unavailable although it may
 * later show up in the log, which followers then deliver like any other commit.
 *
 * Open one with {@link openEtcdStore}.
 */
export class EtcdStore implements StateStore {
  /** Always `'etcd'`. */
  readonly kind = 'etcd';
  /** The etcd client, for the daemon's liveness keys (leases) beside the store's keys. */
  readonly client: Etcd3;
  /** The key prefix of this cluster. */
  readonly prefix: string;
  readonly #metaKey: Buffer;
  readonly #logPrefix: Buffer;
  readonly #logEnd: Buffer;
  readonly #docPrefix: Buffer;
  readonly #docEnd: Buffer;
  readonly #retain: number;
  #maxOps: number;
  #maxBytes: number;
  #state: Lifecycle = 'open';
  #closing: Promise<void> | undefined;
  #head: Head;
  /** The last commit number published to followers. */
  #published: number;
  /** A lower bound of the oldest log key (for retention trimming). */
  #oldestHint: number;
  #pending: PendingCommit[] = [];
  #writing: Promise<void> | undefined;
  #written: WrittenCommit[] = [];
  #watcher: Watcher | undefined;
  #catchingUp: Promise<void> | undefined;
  #catchUpAgain = false;
  readonly #hub = new FollowerHub();
  readonly #source: FollowSource = {
    hub: this.#hub,
    assertOpen: (what) => {
      this.#assertOpen(what);
    },
    currentRevision: () => this.#published,
    readLog: (after, limit) =>
      this.#fromRecent(after, limit) ?? this.#tracked(this.#readLog('readSince', after, limit)),
  };
  /** The newest published commits, oldest first: `#recent[#recentHead]` onwards. */
  #recent: (Commit | undefined)[] = [];
  #recentHead = 0;
  /** Followers' reads in flight: close lets them finish before it closes the client. */
  readonly #reads = new Set<Promise<unknown>>();

  private constructor(
    client: Etcd3,
    prefix: string,
    head: Head,
    oldest: number,
    o: Required<Omit<EtcdStoreOptions, 'hosts' | 'prefix' | 'connectTimeoutMs' | 'callTimeoutMs'>>,
  ) {
    this.client = client;
    this.prefix = prefix;
    this.#metaKey = Buffer.from(`${prefix}meta`);
    this.#logPrefix = Buffer.from(`${prefix}log/`);
    this.#logEnd = prefixEnd(this.#logPrefix);
    this.#docPrefix = Buffer.from(`${prefix}doc/`);
    this.#docEnd = prefixEnd(this.#docPrefix);
    this.#retain = o.retainCommits;
    this.#maxOps = o.maxTxnOps;
    this.#maxBytes = o.maxTxnBytes;
    this.#head = head;
    this.#published = head.revision;
    this.#oldestHint = oldest;
  }

  /** See {@link openEtcdStore}. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    if (typeof options !== 'object' || (options as unknown) === null)
      invalid('openEtcdStore(options) needs an object { hosts, prefix?, … }');
    const hosts = (
      typeof options.hosts === 'string' ? options.hosts.split(',') : [...options.hosts]
    )
      .map((h) => h.trim())
      .filter((h) => h.length > 0);
    if (hosts.length === 0 || hosts.some((h) => !ETCD_URL.test(h)))
      invalid(
        `openEtcdStore(options).hosts must be etcd client URLs such as http://127.0.0.1:2379 (got ${JSON.stringify(options.hosts)})`,
      );
    const prefix = options.prefix ?? '/clusnotify/';
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.includes('\0'))
      invalid('openEtcdStore(options).prefix must be a non-empty string without NUL');
    const retainCommits = checkCountOption(
      'openEtcdStore(options).retainCommits',
      options.retainCommits,
      DEFAULT_RETAIN_COMMITS,
    );
    const connectTimeoutMs = checkCountOption(
      'openEtcdStore(options).connectTimeoutMs',
      options.connectTimeoutMs,
      5_000,
    );
    const callTimeoutMs = checkCountOption(
      'openEtcdStore(options).callTimeoutMs',
      options.callTimeoutMs,
      5_000,
    );
    const maxTxnOps = checkCountOption(
      'openEtcdStore(options).maxTxnOps',
      options.maxTxnOps,
      4_096,
    );
    const maxTxnBytes = checkCountOption(
      'openEtcdStore(options).maxTxnBytes',
      options.maxTxnBytes,
      8 * 1024 * 1024,
    );
    const client = new Etcd3({
      hosts,
      dialTimeout: connectTimeoutMs,
      grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
      faultHandling: { watchBackoff: watchBackoff() },
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: Date.now() + callTimeoutMs },
    });
    const metaKey = Buffer.from(`${prefix}meta`);
    const logPrefix = Buffer.from(`${prefix}log/`);
    let store: EtcdStore;
    try {
      const r = await client.kv.txn(
        {
          success: [
            { request_range: { key: metaKey } },
            { request_range: { key: logPrefix, range_end: prefixEnd(logPrefix), limit: 1 } },
          ],
        },
        { deadline: Date.now() + connectTimeoutMs },
      );
      const head = headFrom(r.responses[0]?.response_range.kvs[0]);
      const first = r.responses[1]?.response_range.kvs[0];
      const oldest =
        first === undefined
          ? head.revision + 1
          : Number(first.key.subarray(logPrefix.length).toString());
      store = new EtcdStore(client, prefix, head, oldest, {
        retainCommits,
        maxTxnOps,
        maxTxnBytes,
      });
      await store.#watch(BigInt(r.header.revision) + 1n);
    } catch (error) {
      client.close();
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `openEtcdStore: cannot reach etcd at ${hosts.join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return store;
  }

  #logKey(revision: number): Buffer {
    return Buffer.from(`${this.prefix}log/${String(revision).padStart(LOG_DIGITS, '0')}`);
  }

  #docKey(kind: string, id: string): Buffer {
    return Buffer.from(`${this.prefix}doc/${kind}\0${id}`);
  }

  #logNumber(key: Buffer): number {
    return Number(key.subarray(this.#logPrefix.length).toString('latin1'));
  }

  async #watch(from: bigint): Promise<void> {
    // The log itself: other daemons' commits arrive with their bodies, no read needed. This
    // daemon's own come back too and are skipped before they are parsed.
    const watcher = await this.client
      .watch()
      .prefix(this.#logPrefix)
      .only('put')
      .startRevision(String(from))
      .create();
    watcher.on('put', (kv) => {
      this.#heard(kv);
    });
    // The client re-establishes a broken watch from where it was; whatever it cannot (etcd
    // compacted past it) is read from the log.
    watcher.on('error', () => {
      this.#catchUp();
    });
    watcher.on('connected', () => {
      this.#catchUp();
    });
    this.#watcher = watcher;
  }

  /** A log key was written (by any daemon). */
  #heard(kv: IKeyValue): void {
    if (this.#state === 'closed') return;
    const revision = this.#logNumber(kv.key);
    if (revision <= this.#published) return;
    if (revision === this.#published + 1 && this.#catchingUp === undefined) {
      this.#publish(parseCommit(revision, kv.value.toString('utf8')));
      this.#settleWritten();
    } else this.#catchUp();
  }

  #publish(commit: Commit): void {
    this.#published = commit.revision;
    this.#recent.push(commit);
    if (this.#recent.length - this.#recentHead > RECENT_COMMITS)
      this.#recent[this.#recentHead++] = undefined;
    if (this.#recentHead > RECENT_COMMITS) {
      this.#recent = this.#recent.slice(this.#recentHead);
      this.#recentHead = 0;
    }
    if (commit.revision >= this.#oldestHint + this.#retain)
      this.#oldestHint = commit.revision - this.#retain + 1;
    this.#hub.publish(commit);
  }

  /**
   * The commits after `after` from memory, when memory holds all of them up to the published
   * revision and none is older than what retention or compaction here has forgotten.
   */
  #fromRecent(after: number, limit: number): ReadSinceResult | undefined {
    if (after === this.#published) return { type: 'commits', commits: [] };
    const held = this.#recent.length - this.#recentHead;
    const oldest = this.#published - held + 1;
    if (held === 0 || after > this.#published || after + 1 < Math.max(oldest, this.#oldestHint))
      return undefined;
    const start = this.#recentHead + (after + 1 - oldest);
    const count = Math.min(limit, this.#published - after);
    return { type: 'commits', commits: this.#recent.slice(start, start + count) as Commit[] };
  }

  /** Resolves written commits that followers have heard of, in order. */
  #settleWritten(): void {
    let i = 0;
    while (
      i < this.#written.length &&
      (this.#written[i] as WrittenCommit).revision <= this.#published
    )
      i++;
    if (i === 0) return;
    const done = this.#written.slice(0, i);
    this.#written = this.#written.slice(i);
    for (const w of done)
      w.pending.resolve(w.commit ?? parseCommit(w.revision, w.pending.prepared.body));
  }

  /** Reads the log after the published revision until it has published everything there is. */
  #catchUp(): void {
    if (this.#catchingUp !== undefined) {
      this.#catchUpAgain = true;
      return;
    }
    this.#catchingUp = (async () => {
      try {
        do {
          this.#catchUpAgain = false;
          for (;;) {
            if (this.#state === 'closed') return;
            const r = await this.client.kv.range({
              key: this.#logKey(this.#published + 1),
              range_end: this.#logEnd,
              limit: 1_000,
            });
            for (const kv of r.kvs) {
              const revision = this.#logNumber(kv.key);
              if (revision <= this.#published) continue;
              // A gap means retention deleted commits nobody here had published: they are
              // gone, and followers that still need them get STORE_COMPACTED from the log.
              this.#publish(parseCommit(revision, kv.value.toString('utf8')));
            }
            this.#settleWritten();
            if (!r.more) break;
          }
        } while (this.#catchUpAgain);
      } catch {
        // etcd is away: the watch's reconnect calls back here once it is back.
        setTimeout(() => {
          if (this.#state !== 'closed' && (this.#written.length > 0 || this.#catchUpAgain))
            this.#catchUp();
        }, 200).unref();
      } finally {
        this.#catchingUp = undefined;
      }
    })();
  }

  /** Waits until followers have heard of `revision`. */
  async #publishedUpTo(revision: number): Promise<void> {
    while (this.#published < revision) {
      this.#catchUp();
      await (this.#catchingUp ?? Promise.resolve());
      if (this.#published < revision) await new Promise((resolve) => setTimeout(resolve, 5));
      this.#assertOpen('snapshot');
    }
  }

  #tracked<T>(read: Promise<T>): Promise<T> {
    this.#reads.add(read);
    const done = (): void => {
      this.#reads.delete(read);
    };
    read.then(done, done);
    return read;
  }

  #assertOpen(what: string): void {
    if (this.#state !== 'open') throw closedError(this.kind, what);
  }

  async #txn(what: string, success: IRequestOp[]): Promise<ITxnResponse> {
    try {
      return await this.client.kv.txn({ success });
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  async #readLog(what: string, after: number, limit: number): Promise<ReadSinceResult> {
    const r = await this.#txn(what, [
      { request_range: { key: this.#metaKey } },
      { request_range: { key: this.#logKey(after + 1), range_end: this.#logEnd, limit } },
      {
        request_range: { key: this.#logPrefix, range_end: this.#logEnd, limit: 1, keys_only: true },
      },
    ]);
    const current = headFrom(r.responses[0]?.response_range.kvs[0]).revision;
    if (after > current)
      invalid(`readSince(after) is ${after}, beyond the current revision ${current}`);
    if (after === current) return { type: 'commits', commits: [] };
    const first = r.responses[2]?.response_range.kvs[0];
    const oldest = first === undefined ? current + 1 : this.#logNumber(first.key);
    if (after + 1 < oldest) return { type: 'compacted', oldestRevision: oldest };
    const kvs = r.responses[1]?.response_range.kvs ?? [];
    return {
      type: 'commits',
      commits: kvs.map((kv) => parseCommit(this.#logNumber(kv.key), kv.value.toString('utf8'))),
    };
  }

  /** See {@link StateStore.revision}: the last commit this store's followers have heard of. */
  revision(): Promise<number> {
    return new Promise((resolve) => {
      this.#assertOpen('revision');
      resolve(this.#published);
    });
  }

  /**
   * See {@link StateStore.commit} and the class comment. Rejects with `STORE_INVALID` before
   * queueing, `STORE_CONFLICT`, `STORE_UNAVAILABLE` or `STORE_CLOSED`.
   */
  commit(input: CommitInput, options?: CommitOptions): Promise<Commit> {
    return new Promise<Commit>((resolve, reject) => {
      this.#assertOpen('commit');
      const prepared = prepareCommit(input, options);
      this.#pending.push({ prepared, resolve, reject });
      this.#kick();
    });
  }

  /** Starts a transaction unless one is out; its end starts the next. */
  #kick(): void {
    if (this.#writing !== undefined || this.#pending.length === 0) return;
    this.#writing = (async () => {
      // One turn of the event loop gathers the commits made together.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        while (this.#pending.length > 0) await this.#writeBatch();
      } finally {
        this.#writing = undefined;
      }
    })();
  }

  /** Takes the next batch from the queue and writes it in one transaction. */
  async #writeBatch(): Promise<void> {
    // Other daemons' commits (heard on the watch, or expected by a caller that heard of them)
    // moved the head past the one this store last wrote or read: read it before deciding
    // expectations against it, or every expectation would look stale.
    const firstExpected = this.#pending[0]?.prepared.expectRevision ?? -1;
    if (this.#published > this.#head.revision || firstExpected > this.#head.revision) {
      try {
        const now = headFrom((await this.client.kv.range({ key: this.#metaKey })).kvs[0]);
        if (BigInt(now.modRevision) > BigInt(this.#head.modRevision)) this.#head = now;
      } catch {
        // etcd is away: the transaction below fails and says so.
      }
    }
    const head = this.#head;
    const batchId = randomUUID();
    const accepted: PendingCommit[] = [];
    const documents = new Map<string, IRequestOp>();
    let ops = 2; // meta, retention
    let bytes = 0;
    let revision = head.revision;
    let taken = 0;
    for (const entry of this.#pending) {
      const { prepared } = entry;
      const expected = prepared.expectRevision;
      if (taken > 0) {
        const moreOps = 1 + prepared.puts.length + prepared.deletes.length;
        const moreBytes = 2 * prepared.body.length + 64;
        if (ops + moreOps > this.#maxOps || bytes + moreBytes > this.#maxBytes) break;
      }
      taken++;
      if (expected !== undefined && expected !== revision) {
        entry.reject(
          new StoreError(
            'STORE_CONFLICT',
            `commit expected revision ${expected}, but the store is at ${revision}`,
          ),
        );
        continue;
      }
      revision++;
      accepted.push(entry);
      ops++;
      bytes += prepared.body.length + 64;
      for (const key of prepared.deletes) {
        const k = `${key.kind}\0${key.id}`;
        if (!documents.has(k)) ops++;
        documents.set(k, { request_delete_range: { key: this.#docKey(key.kind, key.id) } });
      }
      for (const put of prepared.puts) {
        const k = `${put.kind}\0${put.id}`;
        if (!documents.has(k)) ops++;
        bytes += put.json.length + k.length;
        documents.set(k, {
          request_put: { key: this.#docKey(put.kind, put.id), value: Buffer.from(put.json) },
        });
      }
    }
    const batch = this.#pending.slice(0, taken);
    this.#pending = this.#pending.slice(taken);
    if (accepted.length === 0) return;

    const first = head.revision + 1;
    // Commits that retention would delete at once are not written at all.
    const trimUpTo = revision - this.#retain;
    const success: IRequestOp[] = [];
    for (const [i, entry] of accepted.entries()) {
      const n = first + i;
      if (n > trimUpTo)
        success.push({
          request_put: { key: this.#logKey(n), value: Buffer.from(entry.prepared.body) },
        });
    }
    success.push(...documents.values());
    success.push({
      request_put: {
        key: this.#metaKey,
        value: Buffer.from(JSON.stringify({ revision, batch: batchId })),
      },
    });
    if (trimUpTo >= this.#oldestHint)
      success.push({
        request_delete_range: {
          key: this.#logPrefix,
          range_end: this.#logKey(Math.min(trimUpTo, head.revision) + 1),
        },
      });

    let outcome: 'written' | 'lost' | 'retry';
    try {
      const r = await this.client.kv.txn({
        compare: [
          { key: this.#metaKey, target: 'Mod', result: 'Equal', mod_revision: head.modRevision },
        ],
        success,
        // A loser reads the new head and the commits that beat it in the same round trip.
        failure: [
          { request_range: { key: this.#metaKey } },
          {
            request_range: {
              key: this.#logKey(head.revision + 1),
              range_end: this.#logEnd,
              limit: 1_000,
            },
          },
        ],
      });
      if (r.succeeded) {
        this.#head = { revision, modRevision: r.header.revision, batch: batchId };
        outcome = 'written';
      } else {
        const now = headFrom(r.responses[0]?.response_range.kvs[0]);
        this.#head = now;
        outcome = now.batch === batchId ? 'written' : 'retry';
        // Publish them now rather than when the watch brings them: whoever retries on top of
        // them (the service re-applies its commands) need not wait for the watch.
        if (this.#catchingUp === undefined)
          for (const kv of r.responses[1]?.response_range.kvs ?? []) {
            const n = this.#logNumber(kv.key);
            if (n !== this.#published + 1) continue;
            this.#publish(parseCommit(n, kv.value.toString('utf8')));
          }
        this.#settleWritten();
      }
    } catch (error) {
      if (isTooManyOps(error) && success.length > 2) {
        this.#maxOps = Math.max(4, Math.floor(Math.min(this.#maxOps, success.length) / 2));
        outcome = 'retry';
      } else if (isTooLarge(error) && accepted.length > 1) {
        this.#maxBytes = Math.max(64 * 1024, Math.floor(Math.min(this.#maxBytes, bytes) / 2));
        outcome = 'retry';
      } else if (isTooLarge(error) || isTooManyOps(error)) {
        for (const entry of accepted)
          entry.reject(
            new StoreError(
              'STORE_INVALID',
              `commit: etcd refused the transaction (${error instanceof Error ? error.message : String(error)}); raise etcd's --max-request-bytes / --max-txn-ops`,
              { cause: error },
            ),
          );
        return;
      } else {
        // The answer was lost: etcd may or may not have applied the transaction.
        try {
          const r = await this.client.kv.range({ key: this.#metaKey });
          const now = headFrom(r.kvs[0]);
          this.#head = now;
          outcome = now.batch === batchId ? 'written' : 'retry';
          if (outcome === 'retry' && now.revision < revision) outcome = 'lost';
        } catch {
          outcome = 'lost';
        }
        if (outcome === 'lost' || outcome === 'retry') {
          for (const entry of accepted) entry.reject(unavailable('commit', error));
          return;
        }
      }
    }
    if (outcome === 'retry') {
      // Nothing was written: decide the batch again against the new head, first in line.
      const rejected = new Set(batch.filter((e) => !accepted.includes(e)));
      this.#pending = [...batch.filter((e) => !rejected.has(e)), ...this.#pending];
      return;
    }
    if (trimUpTo >= this.#oldestHint) this.#oldestHint = trimUpTo + 1;
    const written = accepted.map((entry, i): WrittenCommit => ({
      revision: first + i,
      pending: entry,
    }));
    this.#written.push(...written);
    if (this.#published === head.revision && this.#catchingUp === undefined) {
      for (const w of written) {
        w.commit = parseCommit(w.revision, w.pending.prepared.body);
        this.#publish(w.commit);
      }
    }
    this.#settleWritten();
    if (this.#written.length > 0) this.#catchUp();
  }

  /** See {@link StateStore.snapshot}: one consistent etcd read. Documents in no particular order. */
  async snapshot(): Promise<Snapshot> {
    this.#assertOpen('snapshot');
    const r = await this.#txn('snapshot', [
      { request_range: { key: this.#metaKey } },
      { request_range: { key: this.#docPrefix, range_end: this.#docEnd } },
    ]);
    const revision = headFrom(r.responses[0]?.response_range.kvs[0]).revision;
    const objects: StoredObject[] = [];
    for (const kv of r.responses[1]?.response_range.kvs ?? []) {
      const address = kv.key.subarray(this.#docPrefix.length).toString('utf8');
      const nul = address.indexOf('\0');
      objects.push(
        Object.freeze({
          kind: address.slice(0, nul),
          id: address.slice(nul + 1),
          value: parseValue(kv.value.toString('utf8')),
        }),
      );
    }
    // Whoever loads this snapshot follows from its revision: make sure that is published.
    await this.#publishedUpTo(revision);
    return { revision, objects };
  }

  /** See {@link StateStore.get}. Rejects with `STORE_INVALID` for a malformed key. */
  async get(key: ObjectKey): Promise<StoredObject | undefined> {
    this.#assertOpen('get');
    const { kind, id } = checkKey(key, 'get(key)');
    let kvs: IKeyValue[];
    try {
      kvs = (await this.client.kv.range({ key: this.#docKey(kind, id) })).kvs;
    } catch (error) {
      throw unavailable('get', error);
    }
    const kv = kvs[0];
    return kv === undefined
      ? undefined
      : Object.freeze({ kind, id, value: parseValue(kv.value.toString('utf8')) });
  }

  /** See {@link StateStore.readSince}. */
  async readSince(after: number, limit?: number): Promise<ReadSinceResult> {
    this.#assertOpen('readSince');
    checkRevisionArgument('readSince(after)', after);
    const count = checkCountOption('readSince(limit)', limit, DEFAULT_READ_LIMIT);
    return this.#fromRecent(after, count) ?? this.#readLog('readSince', after, count);
  }

  /**
   * See {@link StateStore.follow}: every commit of the cluster, whichever daemon made it, in
   * commit order; `after` may not lie beyond {@link EtcdStore.revision}.
   */
  follow(after: number, options?: FollowOptions): AsyncIterable<Commit> {
    return followLog(this.#source, after, options?.signal);
  }

  /** See {@link StateStore.compact}: deletes the log keys up to `revision`. */
  async compact(revision: number): Promise<void> {
    this.#assertOpen('compact');
    checkRevisionArgument('compact(revision)', revision);
    const r = await this.#txn('compact', [{ request_range: { key: this.#metaKey } }]);
    const current = headFrom(r.responses[0]?.response_range.kvs[0]).revision;
    if (revision > current)
      invalid(`compact(revision) is ${revision}, beyond the current revision ${current}`);
    await this.#txn('compact', [
      { request_delete_range: { key: this.#logPrefix, range_end: this.#logKey(revision + 1) } },
    ]);
    this.#oldestHint = Math.max(this.#oldestHint, revision + 1);
  }

  /** See {@link StateStore.oldestRevision}. */
  async oldestRevision(): Promise<number> {
    this.#assertOpen('oldestRevision');
    const r = await this.#txn('oldestRevision', [
      { request_range: { key: this.#metaKey } },
      {
        request_range: { key: this.#logPrefix, range_end: this.#logEnd, limit: 1, keys_only: true },
      },
    ]);
    const first = r.responses[1]?.response_range.kvs[0];
    return first === undefined
      ? headFrom(r.responses[0]?.response_range.kvs[0]).revision + 1
      : this.#logNumber(first.key);
  }

  /**
   * See {@link StateStore.close}: writes the commits already queued (each settles, written or
   * not), ends every follower, stops the watch and closes the etcd client. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      while (this.#writing !== undefined || this.#pending.length > 0) {
        this.#kick();
        await this.#writing;
      }
      // Written commits wait for their publication; give the watch a moment, then read.
      if (this.#written.length > 0) {
        this.#catchUp();
        await this.#catchingUp;
      }
      for (const w of this.#written)
        w.pending.resolve(parseCommit(w.revision, w.pending.prepared.body));
      this.#written = [];
      this.#state = 'closed';
      this.#hub.close();
      await Promise.allSettled([...this.#reads]);
      // Cancelling waits for etcd's answer; when etcd is away, closing the client ends it.
      await settleWithin(this.#watcher?.cancel(), 1_000);
      this.client.close();
    })();
    return this.#closing;
  }

  /** Calls {@link EtcdStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects to etcd and opens the store under `options.prefix` at its current revision
 * (an empty prefix is a new store at revision 0). Rejects with `STORE_INVALID` for bad options
 * and `STORE_UNAVAILABLE` when etcd does not answer within `connectTimeoutMs`.
 */
export function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  return EtcdStore.open(options);
}
