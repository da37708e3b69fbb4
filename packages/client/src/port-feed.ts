/**
 * The client end of a streamed port (docs/protocol.md "Streams"): the `notify` frames the server
 * pushes for one port handle, queued in arrival order until the port's reader takes them.
 */
import type { ClusnotifyError, NotifyFrame } from '@clusnotify/protocol';
import { reasonOf } from './host.js';
import type { AbortSignalLike } from './host.js';

/**
 * One pushed batch: what a get would have returned, and whether the server port was drained.
 * From a binary frame (D53) it comes checked, with each entry's payload in `buffers`.
 */
export type FeedBatch = Pick<NotifyFrame, 'n' | 'drained' | 'end'> & {
  readonly buffers?: readonly Uint8Array[];
};

/**
 * Batches of one streamed port. The queue is bounded by the stream window: the server sends at
 * most `window` indications the client has not acknowledged, so at most `window` batches wait.
 * The port's reader holds the server to that as it takes batches (decisions D41).
 */
export class PortFeed {
  readonly handle: string;
  #batches: FeedBatch[] = [];
  #head = 0;
  #failed: ClusnotifyError | undefined;
  #waiter: { resolve: (b: FeedBatch) => void; reject: (e: ClusnotifyError) => void } | undefined;
  readonly #detach: () => void;

  /** @internal made by `Connection.openFeed` */
  constructor(handle: string, detach: () => void) {
    this.handle = handle;
    this.#detach = detach;
  }

  /** A frame for this port arrived. */
  push(batch: FeedBatch): void {
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w.resolve(batch);
      return;
    }
    this.#batches.push(batch);
  }

  /** The connection went away: the waiting and every later `next()` reject with `error`. */
  fail(error: ClusnotifyError): void {
    this.#failed ??= error;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(error);
  }

  /**
   * The oldest batch not yet taken; waits for one. Rejects with the connection's loss error,
   * or with `signal.reason` when it aborts. One caller at a time.
   */
  next(signal?: AbortSignalLike): Promise<FeedBatch> {
    if (this.#head < this.#batches.length) {
      const b = this.#batches[this.#head++] as FeedBatch;
      if (this.#head === this.#batches.length) {
        this.#batches = [];
        this.#head = 0;
      }
      return Promise.resolve(b);
    }
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (signal?.aborted === true) return Promise.reject(reasonOf(signal));
    return new Promise<FeedBatch>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiter?.reject !== rejectOnce) return;
        this.#waiter = undefined;
        reject(reasonOf(signal));
      };
      const rejectOnce = (e: ClusnotifyError): void => {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      this.#waiter = {
        resolve: (b) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(b);
        },
        reject: rejectOnce,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops routing frames to this feed (frames for the handle are dropped from then on). */
  close(): void {
    this.#detach();
  }
}
