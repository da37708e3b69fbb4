/**
 * The client end of a streamed port (docs/protocol.md "Streams"): the `notify` frames the server
 * pushes for one port handle, queued in arrival order until the port's reader takes them.
 */
import type { ClusnotifyError, NotifyFrame } from '@clusnotify/protocol';

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
 *
 * The reader takes batches through a sink ({@link PortFeed.sink}): each batch goes to it within
 * the push that brings it, down the stack. Nothing of a batch is stored in an object that
 * outlives it, and nothing per batch waits on a promise: in a process reading many connections
 * a promise (or a suspended function) that waited from one frame to the next outlived
 * young-generation collections, and the batch it was then resolved with was promoted with it.
 */
export class PortFeed {
  readonly handle: string;
  /** Batches that arrived while no sink took them; `#head` is the oldest not yet taken. */
  #batches: (FeedBatch | undefined)[] = [];
  #head = 0;
  #failed: ClusnotifyError | undefined;
  #sink: ((batch: FeedBatch) => void) | undefined;
  #onFail: ((error: ClusnotifyError) => void) | undefined;
  readonly #detach: () => void;

  /** @internal made by `Connection.openFeed` */
  constructor(handle: string, detach: () => void) {
    this.handle = handle;
    this.#detach = detach;
  }

  /** A frame for this port arrived. */
  push(batch: FeedBatch): void {
    const sink = this.#sink;
    if (sink !== undefined && this.#head === this.#batches.length) sink(batch);
    else this.#batches.push(batch);
  }

  /** The connection went away: the sink's `onFail` (now or when one is set) gets `error`. */
  fail(error: ClusnotifyError): void {
    this.#failed ??= error;
    const onFail = this.#onFail;
    this.unsink();
    onFail?.(error);
  }

  /**
   * Hands every batch to `sink`, in order: first those waiting, then each within the push that
   * brings it, until {@link unsink} (which `sink` may call itself, the rest then waits) or the
   * feed fails, when `onFail` gets the connection's loss error — after the batches that arrived
   * before the loss, as a failed feed's sink gets them first. One sink at a time; a new one
   * replaces the last.
   */
  sink(sink: (batch: FeedBatch) => void, onFail: (error: ClusnotifyError) => void): void {
    this.#sink = sink;
    this.#onFail = onFail;
    while (this.#sink === sink && this.#head < this.#batches.length) {
      const b = this.#batches[this.#head] as FeedBatch;
      this.#batches[this.#head++] = undefined;
      if (this.#head === this.#batches.length) {
        this.#batches = [];
        this.#head = 0;
      }
      sink(b);
    }
    if (this.#sink === sink && this.#failed !== undefined) {
      this.unsink();
      onFail(this.#failed);
    }
  }

  /** Batches wait in the feed again until the next {@link sink}. */
  unsink(): void {
    this.#sink = undefined;
    this.#onFail = undefined;
  }

  /** Stops routing frames to this feed (frames for the handle are dropped from then on). */
  close(): void {
    this.unsink();
    this.#detach();
  }
}
