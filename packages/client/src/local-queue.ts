/**
 * The client-side queue of one port (§7.1 of the reference, [MS-CMRP] §3.2.1): a bounded FIFO
 * ring holding what the reader loop fetched from the server and what the client generates
 * itself (CLUSTER_STATE, CLUSTER_RECONNECT, HANDLE_CLOSE), with parked local reads.
 *
 * Overflow follows the server's policy (decisions D1): once `maxQueued` entries wait, newer
 * indications are dropped and counted into one lost-events entry at the tail; the reader
 * finds it where the gap is. Client-generated indications are never dropped (there are few
 * of them, and they are the ones that say the session changed).
 */
import { ClusnotifyError } from '@clusnotify/protocol';
import { checkTimeout, reasonOf, rethrowLater, startTimer } from './host.js';
import type { AbortSignalLike } from './host.js';

/** A run of indications the local queue dropped. */
export interface LostRun {
  /** Indications dropped in this run. */
  count: number;
  /** Store revision of the first dropped indication. */
  readonly firstRevision: number;
  /** Store revision of the last dropped indication. */
  lastRevision: number;
  /** Notify key of the first dropped indication. */
  readonly notifyKey: number;
}

/** Outcome of a local read: an entry, or why there is none. */
export type QueueRead<T> =
  | { readonly type: 'item'; readonly item: T }
  | { readonly type: 'timeout' }
  | { readonly type: 'closed' };

/** Options of {@link LocalQueue}. */
export interface LocalQueueOptions<T> {
  /** Most indications held (the lost-events entry and client-generated ones come on top). */
  readonly maxQueued: number;
  /** Builds the lost-events indication for a run when a reader reaches it. */
  readonly lostEntry: (run: LostRun) => T;
}

type Entry<T> = { readonly item: T; readonly counted: boolean } | { readonly lost: LostRun };

interface Waiter<T> {
  readonly resolve: (r: QueueRead<T>) => void;
}

const INITIAL_CAPACITY = 16;
/** A drained ring larger than this is released, so that an idle port holds little memory. */
const SHRINK_ABOVE = 1024;

/** A bounded FIFO ring with parked readers. */
export class LocalQueue<T> {
  readonly #max: number;
  readonly #lostEntry: (run: LostRun) => T;
  #ring: (Entry<T> | undefined)[] = new Array<Entry<T> | undefined>(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;
  /** Counted (droppable) entries in the ring. */
  #counted = 0;
  #waiters: Waiter<T>[] = [];
  #closed = false;
  /** The listener every entry goes to as it arrives (see {@link listen}); none: entries wait. */
  #listener: ((item: T) => void) | undefined = undefined;
  #dropped = 0;
  #lostRuns = 0;

  constructor(options: LocalQueueOptions<T>) {
    this.#max = options.maxQueued;
    this.#lostEntry = options.lostEntry;
  }

  /** Entries waiting (indications, lost-events entries, client-generated indications). */
  get size(): number {
    return this.#length;
  }

  /** Indications dropped because the queue was full, since it was created. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Lost-events entries created. */
  get lostRuns(): number {
    return this.#lostRuns;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues an indication that came from the server; drops it into the tail's lost-events run
   * when `maxQueued` indications already wait. Returns whether it was queued.
   */
  push(item: T, revision: number, notifyKey: number): boolean {
    if (this.#closed) return false;
    if (this.#handOver(item)) return true;
    if (this.#counted >= this.#max) {
      const tail = this.#length === 0 ? undefined : this.#at(this.#length - 1);
      if (tail !== undefined && 'lost' in tail) {
        tail.lost.count++;
        tail.lost.lastRevision = revision;
      } else {
        this.#append({
          lost: { count: 1, firstRevision: revision, lastRevision: revision, notifyKey },
        });
        this.#lostRuns++;
      }
      this.#dropped++;
      return false;
    }
    this.#append({ item, counted: true });
    this.#counted++;
    return true;
  }

  /** Queues a client-generated indication; never dropped. */
  pushControl(item: T): void {
    if (this.#closed) return;
    if (this.#handOver(item)) return;
    this.#append({ item, counted: false });
  }

  /** Takes the oldest entry without waiting. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const e = this.#ring[this.#head] as Entry<T>;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#ring.length;
    this.#length--;
    if (this.#length === 0 && this.#ring.length > SHRINK_ABOVE) {
      this.#ring = new Array<Entry<T> | undefined>(INITIAL_CAPACITY);
      this.#head = 0;
    }
    if ('lost' in e) return this.#lostEntry(e.lost);
    if (e.counted) this.#counted--;
    return e.item;
  }

  /**
   * The oldest entry; waits up to `timeoutMs` (default: without limit) while the queue is
   * empty. Resolves `timeout` when the time passes (at once for `timeoutMs: 0` on an empty
   * queue) and `closed` when the queue is or gets closed.
   *
   * @throws rejects with `signal.reason` when the signal aborts; ClusnotifyError
   * INVALID_TIMEOUT for a bad timeout.
   */
  next(options: { timeoutMs?: number; signal?: AbortSignalLike } = {}): Promise<QueueRead<T>> {
    const { timeoutMs, signal } = options;
    checkTimeout(timeoutMs, 'next');
    if (this.#listener !== undefined) return Promise.reject(listeningError());
    if (signal?.aborted === true) return Promise.reject(reasonOf(signal));
    if (this.#closed) return Promise.resolve({ type: 'closed' });
    const item = this.shift();
    if (item !== undefined) return Promise.resolve({ type: 'item', item });
    if (timeoutMs === 0) return Promise.resolve({ type: 'timeout' });
    return new Promise<QueueRead<T>>((resolve, reject) => {
      const finish = (r: QueueRead<T> | { readonly abort: Error }): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i < 0) return;
        this.#waiters.splice(i, 1);
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        if ('abort' in r) reject(r.abort);
        else resolve(r);
      };
      const waiter: Waiter<T> = { resolve: finish };
      const onAbort = (): void => {
        finish({ abort: reasonOf(signal) });
      };
      const timer =
        timeoutMs === undefined || timeoutMs === Infinity
          ? undefined
          : startTimer(() => {
              finish({ type: 'timeout' });
            }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /**
   * Hands every entry to `listener`, in order: first those waiting, then each as it arrives,
   * within the push that brings it (no promise, no parked read per entry). Until the returned
   * function is called, or the queue closes, `next` rejects: one consumer at a time. An entry
   * the listener gets is taken; a listener that throws gets the next entry all the same, and
   * its error is thrown again from a microtask (an uncaught exception, as from an event
   * listener), so that the connection's other ports go on.
   *
   * @throws ClusnotifyError INVALID_ARGUMENT when `listener` is not a function; INVALID_STATE
   * when a read is parked or a listener listens already.
   */
  listen(listener: (item: T) => void): () => void {
    if (typeof listener !== 'function')
      throw new ClusnotifyError(
        'INVALID_ARGUMENT',
        `listen takes a function (got ${listener === null ? 'null' : typeof listener})`,
      );
    if (this.#listener !== undefined || this.#waiters.length > 0) throw listeningError();
    const stop = (): void => {
      if (this.#listener === listener) this.#listener = undefined;
    };
    if (this.#closed) return stop;
    this.#listener = listener;
    while (this.#listener === listener) {
      const item = this.shift();
      if (item === undefined) break;
      this.#deliver(listener, item);
    }
    return stop;
  }

  /** Closes the queue: parked reads resolve `closed`, entries are discarded. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener = undefined;
    this.#ring = [];
    this.#length = 0;
    this.#counted = 0;
    // Each waiter removes itself from the list as it resolves.
    for (const w of [...this.#waiters]) w.resolve({ type: 'closed' });
  }

  // ----- ring ---------------------------------------------------------------------------------

  /** Hands `item` to the listener or the oldest parked read, if any (the queue is then empty). */
  #handOver(item: T): boolean {
    const l = this.#listener;
    if (l !== undefined) {
      // Entries still waiting: `listen` is handing them out, and this one goes after them.
      if (this.#length > 0) return false;
      this.#deliver(l, item);
      return true;
    }
    const w = this.#waiters[0];
    if (w === undefined) return false;
    w.resolve({ type: 'item', item });
    return true;
  }

  #deliver(listener: (item: T) => void, item: T): void {
    try {
      listener(item);
    } catch (e) {
      rethrowLater(e);
    }
  }

  #at(i: number): Entry<T> | undefined {
    return this.#ring[(this.#head + i) % this.#ring.length];
  }

  #append(e: Entry<T>): void {
    if (this.#length === this.#ring.length) {
      const bigger = new Array<Entry<T> | undefined>(this.#ring.length * 2);
      for (let i = 0; i < this.#length; i++) bigger[i] = this.#at(i);
      this.#ring = bigger;
      this.#head = 0;
    }
    this.#ring[(this.#head + this.#length) % this.#ring.length] = e;
    this.#length++;
  }
}

function listeningError(): ClusnotifyError {
  return new ClusnotifyError(
    'INVALID_STATE',
    'the port already has a consumer (a listener or a parked read); one at a time',
  );
}
