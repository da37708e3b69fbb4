import {
  ClusterChange,
  ClusterChangeClusterV2,
  ClusterChangeFamily,
  ClusterObjectType,
} from '@clusnotify/protocol';
import type { Indication, IndicationV1, IndicationV2 } from '@clusnotify/protocol';
import type { AbortSignalLike } from './abort.js';
import type { ChangeEvent, ChangeEventV1, ChangeEventV2 } from './change-event.js';
import { EMPTY_BUFFER } from './change-event.js';
import type { Clock, TimerToken } from './clock.js';
import type { Filter } from './filter.js';
import { KEY_SEPARATOR } from './match-index.js';

/** Lifecycle of a port: open → unblocked → closed, or open → closed. */
export type PortState = 'open' | 'unblocked' | 'closed';

/** What {@link NotifyPort.push} did with an indication. */
export const PushResult = {
  /** The port no longer accepts indications (unblocked or closed). */
  REFUSED: 0,
  /** Appended to the queue. */
  QUEUED: 1,
  /** Queue full: dropped, and a new lost-events entry was appended for it. */
  DROPPED_NEW_RUN: 2,
  /** Queue full: dropped and counted into the lost-events entry at the tail. */
  DROPPED: 3,
} as const;
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

/** Why a parked reader woke up. */
export type WakeReason = 'data' | 'timeout' | 'interrupted';

/**
 * A run of indications that did not fit in the queue; it holds one queue slot and is read as
 * the lost-events indication (v1 CLUSTER_RECONNECT, v2 LOST_NOTIFICATIONS_V2).
 */
class LostRun {
  count = 1;
  constructor(
    readonly firstRevision: number,
    public lastRevision: number,
    /** Key of the filter whose indication was the first one dropped (docs/decisions.md). */
    readonly notifyKey: number,
  ) {}
}

interface Waiter {
  settle(reason: WakeReason): void;
}

/** Counters of one port, for metrics and tests. */
export interface PortCounters {
  /** Indications appended to the queue since the port was created. */
  queuedTotal: number;
  /** Indications that did not fit and were folded into lost-events indications. */
  dropped: number;
  /** Lost-events indications created. */
  lostRuns: number;
  /** Indications handed to readers (including lost-events indications). */
  taken: number;
}

const INITIAL_CAPACITY = 4;

/**
 * One notification port: a bounded FIFO of indications plus its parked readers (§3.1.1.8).
 *
 * The queue holds (event, filter) pairs in a ring; the indication object is made only when a
 * reader takes it, so a queued indication costs two slots and the event is shared by every
 * port it matched. When `maxQueued` entries are waiting, further indications are not queued:
 * they are counted into one lost-events entry at the tail, which is delivered in their place
 * (docs/decisions.md, "Queue bound and overflow").
 */
export class NotifyPort {
  state: PortState = 'open';
  readonly filters: Filter[] = [];
  readonly counters: PortCounters = { queuedTotal: 0, dropped: 0, lostRuns: 0, taken: 0 };

  private slots: unknown[] | undefined;
  private capacity = 0;
  private head = 0;
  private size = 0;
  private waiters: Waiter[] | undefined;

  constructor(
    readonly handle: string,
    readonly version: 1 | 2,
    private readonly maxQueued: number,
  ) {}

  /** Entries waiting in the queue (a lost-events entry counts as one). */
  get queued(): number {
    return this.size;
  }

  /** Readers parked on this port. */
  get parked(): number {
    return this.waiters?.length ?? 0;
  }

  /** Appends the indication for (`event`, `filter`), or counts it as lost when the queue is full. */
  push(event: ChangeEvent, filter: Filter): PushResult {
    if (this.state !== 'open') return PushResult.REFUSED;
    if (this.size >= this.maxQueued) return this.drop(event.revision, filter.notifyKey);
    this.append(event, filter);
    this.counters.queuedTotal++;
    return PushResult.QUEUED;
  }

  private append(a: unknown, b: unknown): void {
    if (this.size === this.capacity) this.grow();
    const slots = this.slots as unknown[];
    let tail = this.head + this.size;
    if (tail >= this.capacity) tail -= this.capacity;
    slots[tail * 2] = a;
    slots[tail * 2 + 1] = b;
    this.size++;
    const waiters = this.waiters;
    if (waiters !== undefined && waiters.length > 0) (waiters.shift() as Waiter).settle('data');
  }

  private drop(revision: number, notifyKey: number): PushResult {
    this.counters.dropped++;
    if (this.size > 0) {
      let tail = this.head + this.size - 1;
      if (tail >= this.capacity) tail -= this.capacity;
      const last = (this.slots as unknown[])[tail * 2];
      if (last instanceof LostRun) {
        last.count++;
        last.lastRevision = revision;
        return PushResult.DROPPED;
      }
    }
    this.counters.lostRuns++;
    this.append(new LostRun(revision, revision, notifyKey), undefined);
    return PushResult.DROPPED_NEW_RUN;
  }

  private grow(): void {
    // The bound is maxQueued entries plus one lost-events entry.
    const next = Math.min(Math.max(INITIAL_CAPACITY, this.capacity * 2), this.maxQueued + 1);
    const slots = new Array<unknown>(next * 2);
    const old = this.slots;
    if (old !== undefined) {
      for (let i = 0; i < this.size; i++) {
        let from = this.head + i;
        if (from >= this.capacity) from -= this.capacity;
        slots[i * 2] = old[from * 2];
        slots[i * 2 + 1] = old[from * 2 + 1];
      }
    }
    this.slots = slots;
    this.capacity = next;
    this.head = 0;
  }

  /**
   * Moves up to `max` indications from the head of the queue into `out`, in order.
   * Returns how many were moved.
   */
  takeInto(out: Indication[], max: number, clusterName: string): number {
    const slots = this.slots;
    if (slots === undefined) return 0;
    let n = 0;
    while (n < max && this.size > 0) {
      const i = this.head * 2;
      const a = slots[i];
      const b = slots[i + 1];
      slots[i] = undefined;
      slots[i + 1] = undefined;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.size--;
      out.push(
        a instanceof LostRun
          ? this.lostIndication(a, clusterName)
          : materialize(a as ChangeEvent, b as Filter),
      );
      n++;
    }
    if (this.size === 0) {
      // Release a large ring once drained; a busy port grows it again as needed.
      if (this.capacity > 64) {
        this.slots = undefined;
        this.capacity = 0;
      }
      this.head = 0;
    }
    this.counters.taken += n;
    return n;
  }

  private lostIndication(run: LostRun, clusterName: string): Indication {
    const lost = {
      count: run.count,
      firstRevision: run.firstRevision,
      lastRevision: run.lastRevision,
    };
    if (this.version === 1) {
      return {
        version: 1,
        notifyKey: run.notifyKey,
        filter: ClusterChange.CLUSTER_RECONNECT,
        name: clusterName,
        stateSequence: 0,
        revision: run.lastRevision,
        lost,
      } satisfies IndicationV1;
    }
    return {
      version: 2,
      notifyKey: run.notifyKey,
      filterAndType: {
        objectType: ClusterObjectType.CLUSTER,
        filterFlags: ClusterChangeClusterV2.LOST_NOTIFICATIONS,
      },
      objectId: '',
      parentId: '',
      name: '',
      type: '',
      buffer: EMPTY_BUFFER,
      revision: run.lastRevision,
      lost,
    } satisfies IndicationV2;
  }

  /** Empties the queue; returns how many entries were discarded. */
  discard(): number {
    const n = this.size;
    this.slots = undefined;
    this.capacity = 0;
    this.head = 0;
    this.size = 0;
    return n;
  }

  /**
   * Waits until an indication is appended, the timeout passes, or the port is unblocked or
   * closed. Rejects with `signal.reason` if `signal` aborts first.
   */
  park(clock: Clock, timeoutMs: number, signal: AbortSignalLike | undefined): Promise<WakeReason> {
    return new Promise<WakeReason>((resolve, reject) => {
      let timer: TimerToken;
      let hasTimer = false;
      const waiters = (this.waiters ??= []);
      const cleanup = (): void => {
        if (hasTimer) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const unlink = (): void => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        settle(reason) {
          cleanup();
          resolve(reason);
        },
      };
      const onAbort = (): void => {
        unlink();
        cleanup();
        // A wait rejects with whatever the caller's signal carries (AbortSignal discipline).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal?.reason);
      };
      if (timeoutMs !== Infinity) {
        hasTimer = true;
        timer = clock.setTimeout(() => {
          unlink();
          cleanup();
          resolve('timeout');
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  /** Completes every parked reader with `interrupted` (§3.1.4.2.107, §3.1.4.2.57). */
  interruptAll(): void {
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const w of waiters) w.settle('interrupted');
  }
}

/** Builds the indication a reader sees for one queued (event, filter) pair. */
function materialize(event: ChangeEvent, filter: Filter): Indication {
  return event.version === 1 ? materializeV1(event, filter) : materializeV2(event, filter);
}

function materializeV1(ev: ChangeEventV1, f: Filter): IndicationV1 {
  return {
    version: 1,
    notifyKey: f.notifyKey,
    filter: ev.change,
    name:
      (ev.change & ClusterChangeFamily.REGISTRY) !== 0
        ? relativeKeyPath(ev.keyPath, f.keyPath)
        : ev.name,
    stateSequence: ev.stateSequence,
    revision: ev.revision,
    lost: undefined,
  };
}

function materializeV2(ev: ChangeEventV2, f: Filter): IndicationV2 {
  return {
    version: 2,
    notifyKey: f.notifyKey,
    filterAndType: { objectType: ev.objectType, filterFlags: ev.flag },
    objectId: ev.objectId,
    parentId: ev.parentId,
    name:
      ev.objectType === ClusterObjectType.REGISTRY
        ? relativeKeyPath(ev.keyPath, f.keyPath)
        : ev.name,
    type: ev.type,
    buffer: ev.buffer,
    revision: ev.revision,
    lost: undefined,
  };
}

/**
 * The path of `keyPath` relative to the watched key `watched` (both from the root). The
 * reported name of a registry event is relative to the key the filter watches (§6.4 of the
 * reference; GetClusterNotify "relative name").
 */
export function relativeKeyPath(keyPath: string, watched: string): string {
  if (watched === '') return keyPath;
  if (keyPath.length === watched.length) return '';
  return keyPath.slice(watched.length + KEY_SEPARATOR.length);
}
