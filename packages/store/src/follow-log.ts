import { StoreError } from './state-store.js';
import type { Commit, ReadSinceResult } from './state-store.js';
import { checkRevisionArgument, invalid } from './prepare-commit.js';
import { FOLLOW_BUFFER_COMMITS } from './limits.js';

/** Commits read from the log per page while a follower catches up. */
const PAGE_COMMITS = 1_000;

/** What a follower hears from its store. */
interface FollowListener {
  /** A commit is durable and applied; called in revision order, right after it is. */
  commit(commit: Commit): void;
  /** The store closed. */
  end(): void;
}

/** The follower registry of a store: it publishes commits, its followers listen. */
export class FollowerHub {
  readonly #listeners = new Set<FollowListener>();

  /** Registers `listener`; returns the function that removes it. */
  subscribe(listener: FollowListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every follower about `commit` (call in revision order, once it is visible). */
  publish(commit: Commit): void {
    for (const listener of this.#listeners) listener.commit(commit);
  }

  /** Ends every follower. */
  close(): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener.end();
  }
}

/** What {@link followLog} needs from a store; every method but `readLog` is synchronous. */
export interface FollowSource {
  readonly hub: FollowerHub;
  /** Throws STORE_CLOSED when the store is closing or closed. */
  assertOpen(what: string): void;
  /** The revision of the last commit published to the hub. */
  currentRevision(): number;
  /** As {@link StateStore.readSince}; synchronous for the local stores, a promise for etcd. */
  readLog(after: number, limit: number): ReadSinceResult | Promise<ReadSinceResult>;
}

/**
 * The iteration behind `StateStore.follow`: every commit with revision > `after`, the history
 * from the log and then live commits, with neither gap nor duplicate however commits race with
 * the start. A follower remembers the revision it last yielded; live commits are taken
 * straight from the hub when they continue that sequence, anything else is read back from the
 * log, which is the single source of order.
 *
 * Ends (done) when `signal` aborts or the store closes; throws `STORE_COMPACTED` when history
 * it still needs is gone, `STORE_INVALID` for a bad `after` (including one beyond the current
 * revision), `STORE_CLOSED` when iteration starts on a closed store. Breaking out of the loop,
 * aborting or closing removes its listeners.
 */
export async function* followLog(
  source: FollowSource,
  after: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Commit, void, undefined> {
  checkRevisionArgument('follow(after)', after);
  source.assertOpen('follow');
  if (after > source.currentRevision())
    invalid(`follow(after) is ${after}, beyond the current revision ${source.currentRevision()}`);
  if (signal?.aborted) return;

  // Commits ready to yield, in revision order, buffer[head] first.
  let buffer: (Commit | undefined)[] = [];
  let head = 0;
  let cursor = after; // the revision last yielded
  let ended = false;
  let aborted = false;
  let wake: (() => void) | undefined;
  const lastKnown = (): number =>
    head < buffer.length ? (buffer[buffer.length - 1] as Commit).revision : cursor;
  const rouse = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const listener: FollowListener = {
    commit(commit) {
      if (commit.revision === lastKnown() + 1 && buffer.length - head < FOLLOW_BUFFER_COMMITS)
        buffer.push(commit);
      rouse();
    },
    end() {
      ended = true;
      rouse();
    },
  };
  const unsubscribe = source.hub.subscribe(listener);
  const onAbort = (): void => {
    aborted = true;
    listener.end();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (ended) return;
      if (head < buffer.length) {
        const commit = buffer[head] as Commit;
        buffer[head++] = undefined;
        if (head === buffer.length) {
          buffer = [];
          head = 0;
        }
        cursor = commit.revision;
        yield commit;
        continue;
      }
      if (source.currentRevision() > cursor) {
        // Live commits heard while an asynchronous read is out are dropped with the buffer
        // below; the log, the single source of order, hands them back on the next read.
        const page = await source.readLog(cursor, PAGE_COMMITS);
        if (page.type === 'compacted')
          throw new StoreError(
            'STORE_COMPACTED',
            `follow needs the commits after revision ${cursor}, but the log now starts at ${page.oldestRevision}`,
          );
        buffer = [...page.commits];
        head = 0;
        if (ended && !aborted) {
          // The store closed while the read was out: what it returned is still history.
          for (const commit of page.commits) yield commit;
          return;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
