/**
 * The idiomatic port: one FIFO of indications with two views, `for await (const i of port)`
 * and `port.next({ timeoutMs, signal })`. Behind it is the same client-side port as the
 * Win32-shaped layer's (local queue, reader loop, reconnect, §7.1–7.3).
 */
import type { Indication } from '@clusnotify/protocol';
import type { ReadOptions } from './client.js';
import type { PortCore } from './notify-port.js';

/**
 * What an idiomatic port watches. Names and paths are resolved by the port; notify keys are
 * the application's own (any integer 0 … 2^53 - 1) and come back on every indication.
 *
 * - `cluster` (v1): every object of the classes the CLUSTER_CHANGE bits name
 *   (ApiAddNotifyCluster; registry bits watch the root, REGISTRY_SUBTREE the whole database).
 * - `object` (v1): one node, group, resource, network or network interface by name
 *   (ApiAddNotify<Kind>); `objectType` is a `ClusterObjectType`.
 * - `key` (v1): one cluster-database key by path relative to the root (ApiAddNotifyKey); only
 *   the registry bits of `filter` count; `watchSubtree` (or REGISTRY_SUBTREE) widens it.
 * - `v2` (v2): `objectType` / `filterFlags` for every object of the type, or with `name` for
 *   one object (a key path for REGISTRY, a resource type name for RESOURCE_TYPE).
 */
export type PortFilter =
  | { readonly kind: 'cluster'; readonly filter: number; readonly notifyKey: number }
  | {
      readonly kind: 'object';
      readonly objectType: number;
      readonly name: string;
      readonly filter: number;
      readonly notifyKey: number;
    }
  | {
      readonly kind: 'key';
      readonly path: string;
      readonly filter: number;
      readonly watchSubtree?: boolean;
      readonly notifyKey: number;
    }
  | {
      readonly kind: 'v2';
      readonly objectType: number;
      readonly filterFlags: number;
      readonly notifyKey: number;
      readonly name?: string;
    };

/** Outcome of {@link ClientPort.next}. */
export type PortRead =
  | { readonly type: 'indication'; readonly indication: Indication }
  | { readonly type: 'timeout' }
  | { readonly type: 'closed' };

let makePort: (core: PortCore) => ClientPort;

/**
 * A notification port as an async iterable of indications (`version` 1: `IndicationV1`, 2:
 * `IndicationV2`; discriminate on `indication.version`). Besides the server's indications it
 * yields the client's own: CLUSTER_STATE(_V2) when every server is unreachable, and after a
 * reconnect that had to rebuild the port CLUSTER_RECONNECT(_V2) (§7.3); a lost-events
 * indication when a queue overflowed (D1, D24). One consumer at a time.
 *
 * Leaving a `for await` loop early does not close the port; `close()` (or `await using`) does.
 */
export class ClientPort implements AsyncIterable<Indication> {
  readonly #core: PortCore;

  static {
    makePort = (core) => new ClientPort(core);
  }

  private constructor(core: PortCore) {
    this.#core = core;
  }

  /** 1 or 2. */
  get version(): 1 | 2 {
    return this.#core.version;
  }

  /** Whether the port was closed. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /** Entries waiting in the local queue. */
  get queued(): number {
    return this.#core.queue.size;
  }

  /** Indications the local queue dropped because it was full (D24). */
  get dropped(): number {
    return this.#core.queue.dropped;
  }

  /** Store revision of the newest indication received from the server. */
  get lastRevision(): number | undefined {
    return this.#core.lastRevision;
  }

  /**
   * The next indication; waits up to `timeoutMs` (default: without limit; 0: not at all).
   * Resolves `timeout` when the time passes and `closed` when the port is or gets closed.
   *
   * @throws ClusnotifyError INVALID_TIMEOUT for a bad timeout; rejects with `signal.reason`
   * when the signal aborts.
   */
  async next(options: ReadOptions = {}): Promise<PortRead> {
    const r = await this.#core.queue.next(options);
    return r.type === 'item' ? { type: 'indication', indication: r.item } : r;
  }

  /**
   * Calls `listener` with each indication, in order: first those already waiting, then each as
   * it arrives, from the client's own handling of the frame that brings it, with no promise per
   * indication (the other way to read a port, for a consumer that needs no `await` between
   * indications). Returns the function that stops it; closing the port stops it too. While it
   * listens, `next` and iteration reject with INVALID_STATE (one consumer at a time). A
   * listener that throws is given the next indication all the same; its error is thrown again
   * from a microtask, an uncaught exception as from an event listener. It reads the same local
   * queue as `next` (reference §7.1; D56).
   *
   * @throws ClusnotifyError INVALID_ARGUMENT when `listener` is not a function; INVALID_STATE
   * when a read is waiting or a listener listens already.
   */
  listen(listener: (indication: Indication) => void): () => void {
    return this.#core.queue.listen(listener);
  }

  /** Iterates until the port is closed. */
  [Symbol.asyncIterator](): AsyncIterator<Indication> {
    const queue = this.#core.queue;
    return {
      next: async (): Promise<IteratorResult<Indication>> => {
        // An indication already waiting is handed out at once: a loop that drains a batch
        // pays one settled promise per indication, not a parked read and its result object.
        // (A closed queue is empty, so `shift` finds nothing there and `next` says closed.)
        const item = queue.shift();
        if (item !== undefined) return { done: false, value: item };
        const r = await queue.next();
        return r.type === 'item'
          ? { done: false, value: r.item }
          : { done: true, value: undefined };
      },
    };
  }

  /**
   * Closes the port (ApiCloseNotify on the server); parked reads answer `closed` and an
   * iteration ends. Idempotent; resolves when the server port is closed and the reader has
   * stopped.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** Same as {@link close}: `await using port = await client.openPort(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Wraps a port core (internal). */
export function clientPort(core: PortCore): ClientPort {
  return makePort(core);
}
