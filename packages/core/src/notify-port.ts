import {
  ClusterChange,
  ClusterChangeClusterV2,
  ClusterChangeFamily,
  ClusterObjectType,
} from '@clusnotify/protocol';
import type {
  Indication,
  IndicationV1,
  IndicationV2,
  NotifyFilterAndType,
} from '@clusnotify/protocol';
import type { AbortSignalLike } from './abort.js';
import type { ChangeEvent, ChangeEventV1, ChangeEventV2 } from './change-event.js';
import { EMPTY_BUFFER } from './change-event.js';
import type { Clock, TimerToken } from './clock.js';
import type { Filter } from './filter.js';
import { KEY_SEPARATOR } from './match-index.js';
import { countOf, firstOf, forEachOf, itemsOf, withItem, withoutItem } from './one-or-more.js';
import type { OneOrMore } from './one-or-more.js';

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

/** How a wait ended without data (§3.1.4.2.66 error table, §6.7 of the reference). */
export type WaitEnd =
  /** The timeout passed with nothing queued: WAIT_TIMEOUT. */
  | { readonly type: 'timeout'; readonly status: 0x102 }
  /** The call was parked when the port was unblocked or closed: ERROR_INVALID_FUNCTION. */
  | { readonly type: 'interrupted'; readonly status: 0x1 }
  /** The port had been unblocked before the call: ERROR_NO_MORE_ITEMS. */
  | { readonly type: 'unblocked'; readonly status: 0x103 };

export const TIMEOUT: WaitEnd = Object.freeze({ type: 'timeout', status: 0x102 });
export const INTERRUPTED: WaitEnd = Object.freeze({ type: 'interrupted', status: 0x1 });
export const UNBLOCKED: WaitEnd = Object.freeze({ type: 'unblocked', status: 0x103 });

/**
 * A run of indications that did not fit in the queue; it holds one queue slot and is read as
 * the lost-events indication (v1 CLUSTER_RECONNECT, v2 LOST_NOTIFICATIONS_V2).
 */
class LostRun {
  constructor(
    readonly firstRevision: number,
    public lastRevision: number,
    /** Key of the filter whose indication was the first one dropped (docs/decisions.md). */
    readonly notifyKey: number,
    /** Indications dropped in the run; 0 when unknown (history that could not be read). */
    public count = 1,
  ) {}
}

/**
 * A read parked on a port: a {@link Waiter} (a get, settled through a promise) or a
 * transport's stream reader (see {@link NotificationEngine.takeOrPark}). The port completes it
 * once, with the result of taking up to `max` indications or with `interrupted`, and has
 * removed it from its list by then.
 */
export interface ParkedRead {
  /** Most indications this read takes. */
  readonly max: number;
  /** A single-indication read (next) rather than a batch (take); leave out for a batch. */
  readonly single?: boolean;
  complete(result: unknown): void;
}

/**
 * One parked read. It completes with the indications it takes (when the engine flushes wakes
 * after a publish), or with a {@link WaitOutcome}, or rejects with its signal's reason. A class
 * rather than closures, so parking allocates one object and one promise.
 */
export class Waiter implements ParkedRead {
  resolve!: (result: unknown) => void;
  reject!: (reason: unknown) => void;
  private timer: TimerToken = undefined;
  private hasTimer = false;
  private onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly port: NotifyPort,
    /** Most indications this read takes. */
    readonly max: number,
    /** A single-indication read (next) rather than a batch (take). */
    readonly single: boolean,
    private readonly clock: Clock,
    private readonly signal: AbortSignalLike | undefined,
  ) {}

  /** Arms the timeout and the abort listener. */
  arm(timeoutMs: number): void {
    if (timeoutMs !== Infinity) {
      this.hasTimer = true;
      this.timer = this.clock.setTimeout(() => {
        this.hasTimer = false;
        this.port.unpark(this);
        this.complete(TIMEOUT);
      }, timeoutMs);
    }
    const signal = this.signal;
    if (signal !== undefined) {
      this.onAbort = () => {
        this.port.unpark(this);
        this.disarm();
        this.reject(signal.reason);
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Completes the read; the caller has already removed it from the port. */
  complete(result: unknown): void {
    this.disarm();
    this.resolve(result);
  }

  private disarm(): void {
    if (this.hasTimer) {
      this.hasTimer = false;
      this.clock.clearTimeout(this.timer);
    }
    if (this.onAbort !== undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
  }
}

/**
 * What every port of one engine shares: the queue bound and the engine's lists. One object per
 * engine, so a port holds one pointer for them (an idle server holds thousands of ports).
 */
export interface PortShared {
  /** Most entries a port queues before it counts the rest as lost (see {@link NotifyPort}). */
  readonly maxQueued: number;
  /** The engine's list of ports with new indications, when it keeps one. */
  readonly ready: NotifyPort[] | undefined;
  /** The engine's list of ports whose parked reads can now complete. */
  readonly wakes: NotifyPort[];
}

/** {@link NotifyPort} flag: held out of live publishes. */
const HELD_LIVE = 1;
/** {@link NotifyPort} flag: in the engine's ready list. */
const LISTED_READY = 2;
/** {@link NotifyPort} flag: in the engine's wake list. */
const LISTED_WAKE = 4;

/**
 * One notification port: a bounded FIFO of indications plus its parked reads (§3.1.1.8).
 *
 * The queue holds (event, filter) pairs in a ring; the indication object is made only when a
 * reader takes it, so a queued indication costs two slots and the event is shared by every
 * port it matched. When `maxQueued` entries are waiting, further indications are not queued:
 * they are counted into one lost-events entry at the tail, which is delivered in their place
 * (docs/decisions.md, "Queue bound and overflow").
 *
 * Appending to a port with parked reads lists it once in the engine's wake list; the engine
 * completes the reads after the publish, each with a batch taken from the head.
 */
export class NotifyPort {
  state: PortState = 'open';
  /**
   * Filters in registration order: the one filter itself (most ports hold one; an idle server
   * holds thousands of such ports, and the array cost ~56 B each), an array from the second on.
   */
  private filterSet: OneOrMore<Filter> | undefined = undefined;
  /** Indications appended since the port was created. */
  queuedTotal = 0;
  /** Indications that did not fit and were folded into lost-events indications. */
  dropped = 0;
  /** Lost-events indications created. */
  lostRuns = 0;
  /** Indications handed to readers (lost-events indications included). */
  taken = 0;

  private slots: unknown[] | undefined = undefined;
  private capacity = 0;
  private head = 0;
  private size = 0;
  /**
   * Parked reads, oldest first: the one read itself (most ports have one: a streamed port's
   * stream, parked while the port is empty), an array from the second on.
   */
  private waiters: OneOrMore<ParkedRead> | undefined = undefined;
  /** {@link HELD_LIVE}, {@link LISTED_READY}, {@link LISTED_WAKE}: one field, not three. */
  private flags = 0;

  constructor(
    readonly handle: string,
    readonly version: 1 | 2,
    /** What every port of the engine shares (one pointer per port, not three fields). */
    private readonly shared: PortShared,
  ) {}

  /** True while the port is held out of live publishes (resume catching up). */
  get heldLive(): boolean {
    return (this.flags & HELD_LIVE) !== 0;
  }

  set heldLive(held: boolean) {
    this.flags = held ? this.flags | HELD_LIVE : this.flags & ~HELD_LIVE;
  }

  /** Entries waiting in the queue (a lost-events entry counts as one). */
  get queued(): number {
    return this.size;
  }

  /** Reads parked on this port. */
  get parked(): number {
    return countOf(this.waiters);
  }

  get filterCount(): number {
    return countOf(this.filterSet);
  }

  /** The filters in registration order (for a one-filter port, a new array of it). */
  get filters(): readonly Filter[] {
    return itemsOf(this.filterSet);
  }

  /** The first filter registered, if any. */
  get firstFilter(): Filter | undefined {
    return firstOf(this.filterSet);
  }

  addFilter(f: Filter): void {
    this.filterSet = withItem(this.filterSet, f);
  }

  /** Called by the engine when it hands this port out of the ready list. */
  clearReady(): void {
    this.flags &= ~LISTED_READY;
  }

  /** Appends the indication for (`event`, `filter`), or counts it as lost when the queue is full. */
  push(event: ChangeEvent, filter: Filter, replaying = false): PushResult {
    if (this.state !== 'open' || ((this.flags & HELD_LIVE) !== 0 && !replaying))
      return PushResult.REFUSED;
    if (this.size >= this.shared.maxQueued) return this.drop(event.revision, filter.notifyKey);
    this.append(event, filter);
    this.queuedTotal++;
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
    const flags = this.flags;
    const ready = this.shared.ready;
    if (ready !== undefined && (flags & LISTED_READY) === 0) {
      this.flags |= LISTED_READY;
      ready.push(this);
    }
    if (this.waiters !== undefined && (flags & LISTED_WAKE) === 0) {
      this.flags |= LISTED_WAKE;
      this.shared.wakes.push(this);
    }
  }

  /**
   * Stands a lost-events entry in for the revisions `firstRevision`…`lastRevision`, whose
   * indications cannot be delivered (the history went while a resumed port caught up). Extends
   * a lost-events entry already at the tail; `count` is 0 there, as the number is unknown. The
   * entry may be the one beyond the bound, as for an overflow. False on a closed port.
   */
  markLost(firstRevision: number, lastRevision: number): boolean {
    if (this.state === 'closed') return false;
    if (this.size > 0) {
      let tail = this.head + this.size - 1;
      if (tail >= this.capacity) tail -= this.capacity;
      const last = (this.slots as unknown[])[tail * 2];
      if (last instanceof LostRun) {
        last.lastRevision = Math.max(last.lastRevision, lastRevision);
        return false;
      }
    }
    this.lostRuns++;
    this.append(
      new LostRun(firstRevision, lastRevision, this.firstFilter?.notifyKey ?? 0, 0),
      undefined,
    );
    return true;
  }

  private drop(revision: number, notifyKey: number): PushResult {
    this.dropped++;
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
    this.lostRuns++;
    this.append(new LostRun(revision, revision, notifyKey), undefined);
    return PushResult.DROPPED_NEW_RUN;
  }

  private grow(): void {
    // The bound is maxQueued entries plus one lost-events entry.
    const next = Math.min(Math.max(4, this.capacity * 2), this.shared.maxQueued + 1);
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
    this.taken += n;
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
      filterAndType: filterAndType(
        ClusterObjectType.CLUSTER,
        ClusterChangeClusterV2.LOST_NOTIFICATIONS,
      ),
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

  /** Parks a read; it completes through the engine's wake flush, a timeout, an interrupt or its signal. */
  park(
    max: number,
    single: boolean,
    clock: Clock,
    timeoutMs: number,
    signal: AbortSignalLike | undefined,
  ): Promise<unknown> {
    const waiter = new Waiter(this, max, single, clock, signal);
    const promise = new Promise<unknown>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    waiter.arm(timeoutMs);
    this.parkRead(waiter);
    return promise;
  }

  /** Parks a read that completes through its own `complete` (no timeout, no signal). */
  parkRead(read: ParkedRead): void {
    this.waiters = withItem(this.waiters, read);
  }

  /** Removes a read that gave up (timeout, abort, or a stream that ended). */
  unpark(waiter: ParkedRead): void {
    this.waiters = withoutItem(this.waiters, waiter);
  }

  /**
   * Completes parked reads from the head of the queue, oldest read first, while both remain.
   * `take` builds each read's result from up to its `max` indications.
   * Called by the engine after a publish, so that a read gets everything the publish queued.
   */
  wake(take: (port: NotifyPort, max: number, single: boolean) => unknown): void {
    this.flags &= ~LISTED_WAKE;
    while (this.waiters !== undefined && this.size > 0 && this.state === 'open') {
      const w = firstOf(this.waiters) as ParkedRead;
      this.waiters = withoutItem(this.waiters, w);
      w.complete(take(this, w.max, w.single === true));
    }
  }

  /** Completes every parked read with `interrupted` (§3.1.4.2.107, §3.1.4.2.57). */
  interruptAll(): void {
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    forEachOf(waiters, (w) => w.complete(INTERRUPTED));
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

/** Frozen (object type, flag) pairs, made once each: delivered indications share them. */
const filterAndTypes: (NotifyFilterAndType | undefined)[] = [];
function filterAndType(objectType: number, flag: number): NotifyFilterAndType {
  const slot = objectType * 32 + (31 - Math.clz32(flag));
  let v = filterAndTypes[slot];
  if (v === undefined || v.objectType !== objectType || v.filterFlags !== flag) {
    v = Object.freeze({ objectType, filterFlags: flag });
    filterAndTypes[slot] = v;
  }
  return v;
}

function materializeV2(ev: ChangeEventV2, f: Filter): IndicationV2 {
  return {
    version: 2,
    notifyKey: f.notifyKey,
    filterAndType: filterAndType(ev.objectType, ev.flag),
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
