import {
  ClusterChange,
  ClusterChangeFamily,
  ClusterChangeRegistryV2,
  ClusterObjectType,
  V2_FAMILIES,
  failure,
} from '@clusnotify/protocol';
import type { Failure, Indication } from '@clusnotify/protocol';
import type { AbortSignalLike } from './abort.js';
import type { ChangeEvent, ChangeEventV1, ChangeEventV2 } from './change-event.js';
import type { Clock } from './clock.js';
import { hostClock } from './clock.js';
import { Filter, retireFilter } from './filter.js';
import type { FilterList, FilterScope } from './filter.js';
import { KEY_SEPARATOR, MatchIndex, bitIndex } from './match-index.js';
import { EVENTS_V1, EVENTS_V2 } from './model/events.js';
import { NotifyPort, PushResult, TIMEOUT, UNBLOCKED } from './notify-port.js';
import type { PortShared, PortState, WaitEnd } from './notify-port.js';

/** An opaque, unguessable notification port handle (128 random bits, hex). */
export type PortHandle = string;

/** Successful outcome of an engine call; `status` is ERROR_SUCCESS. */
export type Ok<T extends object = object> = { readonly type: 'ok'; readonly status: 0 } & T;

/** Outcome of an engine call: success, or a {@link Failure} with the protocol status. */
export type Outcome<T extends object = object> = Ok<T> | Failure;

export type { WaitEnd };

/** Result of {@link NotificationEngine.next}. */
export type NextResult =
  | { readonly type: 'indication'; readonly status: 0; readonly indication: Indication }
  | WaitEnd
  | Failure;

/** Result of {@link NotificationEngine.take}. */
export type TakeResult =
  | { readonly type: 'indications'; readonly status: 0; readonly indications: Indication[] }
  | WaitEnd
  | Failure;

/**
 * A transport's reader of a streamed port, parked by {@link NotificationEngine.takeOrPark}:
 * `complete` gets the {@link TakeResult} of the publish that queued for the port, or
 * `interrupted` when the port is unblocked or closed. Called synchronously, during a publish
 * or an unblock or close: defer any work that may call back into the engine.
 */
export interface PortReader {
  /** Most indications the parked take returns (read when it completes). */
  readonly max: number;
  complete(result: TakeResult): void;
}

/** Options of a read. */
export interface ReadOptions {
  /**
   * Longest wait in milliseconds when the queue is empty; 0 returns at once, `Infinity` or
   * leaving it out waits until data arrives or the port is unblocked or closed.
   */
  readonly timeoutMs?: number;
  /** Aborts the wait; the promise then rejects with `signal.reason`. */
  readonly signal?: AbortSignalLike;
}

/** Options of a batch read. */
export interface TakeOptions extends ReadOptions {
  /** Most indications to return at once (default 1024). */
  readonly max?: number;
}

/** A version-1 per-object filter (ApiAddNotifyNode/Group/Resource/Network/NetInterface). */
export interface ObjectFilterSpec {
  /** NODE, GROUP, RESOURCE, NETWORK or NETWORK_INTERFACE. */
  readonly objectType: number;
  readonly objectId: string;
  /** CLUSTER_CHANGE bits of the object's family. */
  readonly filter: number;
  readonly notifyKey: number;
}

/** A version-2 filter (ApiAddNotifyV2). */
export interface FilterSpecV2 {
  readonly objectType: number;
  /** Flags of the object type's V2 enumeration (REGISTRY may add SUBTREE). */
  readonly filterFlags: number;
  readonly notifyKey: number;
  /**
   * The single object the filter is targeted at (isTargetedAtObject = TRUE): its id, or for
   * REGISTRY the watched key path, or for RESOURCE_TYPE the type name. Leave out for every
   * object of the type (REGISTRY: the root key).
   */
  readonly target?: string;
}

/** Counters of one port. */
export interface PortCounters {
  /** Indications appended since the port was created. */
  readonly queuedTotal: number;
  /** Indications that did not fit and were folded into lost-events indications. */
  readonly dropped: number;
  /** Lost-events indications created. */
  readonly lostRuns: number;
  /** Indications handed to readers (lost-events indications included). */
  readonly taken: number;
}

/** Per-port figures. */
export interface PortInfo extends PortCounters {
  readonly version: 1 | 2;
  /** The port's queue bound (indications). */
  readonly maxQueued: number;
  readonly state: PortState;
  readonly queued: number;
  readonly filters: number;
  readonly parked: number;
}

/** Engine-wide figures. */
export interface EngineStats {
  readonly ports: number;
  readonly filters: number;
  readonly queued: number;
  readonly queuedTotal: number;
  readonly dropped: number;
  readonly taken: number;
  readonly lastRevision: number;
}

/** Construction options of {@link NotificationEngine}. */
export interface EngineOptions {
  /** Time source for read timeouts (default {@link hostClock}). */
  readonly clock?: Clock;
  /** Queue bound per port, in indications (default 4096; at least 1). */
  readonly maxQueuedPerPort?: number;
  /** Filters per port (default 4096). */
  readonly maxFiltersPerPort?: number;
  /** Open ports across the engine (default 1,000,000). */
  readonly maxPorts?: number;
  /** Name reported on server-generated CLUSTER_RECONNECT (default ''). */
  readonly clusterName?: string;
  /**
   * Keep a list of ports that received indications, for {@link NotificationEngine.takeReadyPorts}
   * (default false). A transport that drains ports after each publish sets it; readers that
   * park in next/take do not need it.
   */
  readonly trackReady?: boolean;
  /** Secure random source for handles (default `globalThis.crypto.getRandomValues`). */
  readonly randomBytes?: (length: number) => Uint8Array;
  /**
   * Called with a port's handle each time a reader took indications from it (a get, a parked
   * read completing, a transport's take), synchronously, during that take: defer any work that
   * may call back into the engine. The service uses it to refill a port catching up with history.
   */
  readonly onTake?: (handle: PortHandle) => void;
}

/** Default queue bound per port. */
export const DEFAULT_MAX_QUEUED = 4096;
/** Default filter bound per port. */
export const DEFAULT_MAX_FILTERS = 4096;
/** Default bound on open ports. */
export const DEFAULT_MAX_PORTS = 1_000_000;
const DEFAULT_TAKE_MAX = 1024;

/** Family mask and *_STATE bit of each object type that has version-1 per-object filters (§6.2). */
const V1_OBJECT_FAMILIES: ReadonlyMap<number, { family: number; stateBit: number }> = new Map([
  [
    ClusterObjectType.NODE,
    { family: ClusterChangeFamily.NODE, stateBit: ClusterChange.NODE_STATE },
  ],
  [
    ClusterObjectType.GROUP,
    { family: ClusterChangeFamily.GROUP, stateBit: ClusterChange.GROUP_STATE },
  ],
  [
    ClusterObjectType.RESOURCE,
    { family: ClusterChangeFamily.RESOURCE, stateBit: ClusterChange.RESOURCE_STATE },
  ],
  [
    ClusterObjectType.NETWORK,
    { family: ClusterChangeFamily.NETWORK, stateBit: ClusterChange.NETWORK_STATE },
  ],
  [
    ClusterObjectType.NETWORK_INTERFACE,
    { family: ClusterChangeFamily.NET_INTERFACE, stateBit: ClusterChange.NETINTERFACE_STATE },
  ],
]);

/** Object types a V2 filter may not target at one object: they are addressed with HCLUSTER (§3.1.4.2.137). */
const WHOLE_ONLY_V2: ReadonlySet<number> = new Set([
  ClusterObjectType.CLUSTER,
  ClusterObjectType.QUORUM,
  ClusterObjectType.SHARED_VOLUME,
  ClusterObjectType.SPACEPORT,
  ClusterObjectType.UPGRADE,
]);

const V1_SLOT_OBJECTS = 0;
const OK: Ok = Object.freeze({ type: 'ok', status: 0 });

/**
 * The notification-port engine: a table of version-1 and version-2 ports, their filters in
 * a match index, and their bounded FIFOs with parked readers (MS-CMRP §3.1.1.8, §3.1.4.2.56–
 * §3.1.4.2.66, §3.1.4.2.107, §3.1.4.2.136–§3.1.4.2.138, §3.1.4.2.143, §3.1.4.2.144).
 *
 * Pure: no I/O, time only through the injected {@link Clock}. Every call returns its outcome
 * as a value carrying the protocol status; nothing throws on bad input, and a rejected call
 * changes nothing.
 */
export class NotificationEngine {
  private readonly ports = new Map<string, NotifyPort>();
  /** Open ports of version 1 and of version 2, for {@link NotificationEngine.listening}. */
  private v1Ports = 0;
  private v2Ports = 0;
  private readonly v1 = new MatchIndex();
  private readonly v2 = new MatchIndex();
  private readonly clock: Clock;
  private readonly maxQueued: number;
  private readonly maxFilters: number;
  private readonly maxPorts: number;
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly onTake: ((handle: PortHandle) => void) | undefined;
  private readonly scratch: FilterList[] = [];
  private readonly ready: NotifyPort[] | undefined;
  private readonly wakes: NotifyPort[] = [];
  /** The bound and lists every port holds one pointer to. */
  private readonly portShared: PortShared;
  private readonly cursors: number[] = [];
  private nextFilterId = 1;
  private filterCount = 0;
  private queuedNow = 0;
  private queuedTotal = 0;
  private droppedTotal = 0;
  private takenTotal = 0;
  private lastRev = 0;
  private name: string;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? hostClock();
    this.maxQueued = positiveInt(options.maxQueuedPerPort, DEFAULT_MAX_QUEUED, 'maxQueuedPerPort');
    this.maxFilters = positiveInt(
      options.maxFiltersPerPort,
      DEFAULT_MAX_FILTERS,
      'maxFiltersPerPort',
    );
    this.maxPorts = positiveInt(options.maxPorts, DEFAULT_MAX_PORTS, 'maxPorts');
    this.randomBytes = options.randomBytes ?? hostRandomBytes();
    this.name = options.clusterName ?? '';
    this.ready = options.trackReady === true ? [] : undefined;
    this.portShared = { maxQueued: this.maxQueued, ready: this.ready, wakes: this.wakes };
    this.onTake = options.onTake;
  }

  /** The queue bound of every port, in indications. */
  get maxQueuedPerPort(): number {
    return this.maxQueued;
  }

  /** The cluster name reported on server-generated CLUSTER_RECONNECT indications. */
  get clusterName(): string {
    return this.name;
  }

  /** Sets the cluster name (after a cluster rename). */
  setClusterName(name: string): void {
    this.name = name;
  }

  /**
   * The versions of the events a port could take now: `EVENTS_V1` when a version-1 port is
   * open, `EVENTS_V2` when a version-2 port is. A version-1 port matches version-1 filters only
   * and a version-2 port version-2 filters only (§3.1.4.2.58, §3.1.4.2.137), so events of
   * another version would match nothing, and the model need not make them (`commitEvents`).
   */
  get listening(): number {
    return (this.v1Ports === 0 ? 0 : EVENTS_V1) | (this.v2Ports === 0 ? 0 : EVENTS_V2);
  }

  /** Highest revision published so far (0 before the first). */
  get lastRevision(): number {
    return this.lastRev;
  }

  // ---------------------------------------------------------------------------------------
  // Ports

  /**
   * Creates an empty port (ApiCreateNotify §3.1.4.2.56 for version 1, ApiCreateNotifyV2
   * §3.1.4.2.136 for version 2). Nothing is queued until its first filter is registered.
   * Fails with PORT_LIMIT (ERROR_NOT_ENOUGH_MEMORY) when `maxPorts` ports are open.
   */
  createPort(version: 1 | 2): Outcome<{ readonly handle: PortHandle }> {
    if (version !== 1 && version !== 2) {
      return failure('INVALID_VERSION', `version must be 1 or 2, got ${String(version)}`);
    }
    if (this.ports.size >= this.maxPorts) {
      return failure('PORT_LIMIT', `${this.maxPorts} notification ports are open`);
    }
    let handle: string;
    do handle = toHex(this.randomBytes(16));
    while (this.ports.has(handle));
    this.ports.set(handle, new NotifyPort(handle, version, this.portShared));
    if (version === 1) this.v1Ports++;
    else this.v2Ports++;
    return { type: 'ok', status: 0, handle };
  }

  /**
   * Completes every parked read on the port with `interrupted` (ERROR_INVALID_FUNCTION);
   * afterwards the port delivers nothing: reads answer `unblocked` (ERROR_NO_MORE_ITEMS), its
   * queue is discarded and it waits to be closed (ApiUnblockGetNotifyCall §3.1.4.2.107;
   * docs/decisions.md). Unblocking twice succeeds.
   */
  unblock(handle: PortHandle): Outcome {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    if (port.state === 'open') {
      port.state = 'unblocked';
      this.retireFilters(port);
      this.queuedNow -= port.discard();
    }
    port.interruptAll();
    return OK;
  }

  /**
   * Closes the port: completes every parked read with `interrupted`, discards undelivered
   * indications and invalidates the handle; later calls with it fail with PORT_NOT_FOUND
   * (ERROR_INVALID_HANDLE) (ApiCloseNotify §3.1.4.2.57).
   */
  close(handle: PortHandle): Outcome {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    this.ports.delete(handle);
    if (port.version === 1) this.v1Ports--;
    else this.v2Ports--;
    if (port.state === 'open') this.retireFilters(port);
    port.state = 'closed';
    this.queuedNow -= port.discard();
    port.interruptAll();
    return OK;
  }

  /** Indications queued on port `handle` now; 0 for an unknown handle. Allocates nothing. */
  queuedOn(handle: PortHandle): number {
    return this.lookup(handle)?.queued ?? 0;
  }

  /**
   * The engine's own string of port `handle` (undefined for an unknown handle). A transport that
   * keeps a port's handle keeps this one instead of the copy it parsed from a frame: one string a
   * port instead of two.
   */
  handleOf(handle: PortHandle): PortHandle | undefined {
    return this.lookup(handle)?.handle;
  }

  /** Figures of one port, or PORT_NOT_FOUND. */
  portInfo(handle: PortHandle): Outcome<{ readonly info: PortInfo }> {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    return {
      type: 'ok',
      status: 0,
      info: {
        queuedTotal: port.queuedTotal,
        dropped: port.dropped,
        lostRuns: port.lostRuns,
        taken: port.taken,
        version: port.version,
        maxQueued: this.maxQueued,
        state: port.state,
        queued: port.queued,
        filters: port.filterCount,
        parked: port.parked,
      },
    };
  }

  /** Engine-wide figures. */
  stats(): EngineStats {
    return {
      ports: this.ports.size,
      filters: this.filterCount,
      queued: this.queuedNow,
      queuedTotal: this.queuedTotal,
      dropped: this.droppedTotal,
      taken: this.takenTotal,
      lastRevision: this.lastRev,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Version-1 filters

  /**
   * Adds a cluster-wide filter to a version-1 port (ApiAddNotifyCluster §3.1.4.2.58): every
   * object of every class named by `filter`. Registry bits watch the root key; with
   * REGISTRY_SUBTREE the whole cluster database.
   *
   * Client-only bits (CLUSTER_STATE, CLUSTER_RECONNECT, HANDLE_CLOSE) are rejected with
   * CLIENT_ONLY_BITS (ERROR_INVALID_PARAMETER): the server never raises them, and the client
   * library strips them before it registers (docs/decisions.md).
   */
  addClusterFilter(handle: PortHandle, spec: { filter: number; notifyKey: number }): Outcome {
    const port = this.portFor(handle, 1);
    if (!(port instanceof NotifyPort)) return port;
    const bad =
      checkKey(spec.notifyKey) ??
      checkBits(spec.filter, 'filter') ??
      checkClientOnlyV1(spec.filter);
    if (bad !== undefined) return bad;
    const mask = spec.filter >>> 0;
    const registry = (mask & ClusterChangeFamily.REGISTRY) >>> 0;
    const classBits =
      (mask & ~(ClusterChangeFamily.REGISTRY | ClusterChangeFamily.REGISTRY_SUBTREE)) >>> 0;
    if (registry === 0 && classBits === 0) {
      return failure('EMPTY_FILTER', `filter 0x${hex(mask)} selects no event`);
    }
    const full = this.checkFilterRoom(port);
    if (full !== undefined) return full;
    const subtree = (mask & ClusterChangeFamily.REGISTRY_SUBTREE) !== 0;
    const f = this.newFilter(
      port,
      spec.notifyKey,
      (registry | classBits) >>> 0,
      '',
      'cluster',
      0,
      '',
      subtree,
    );
    if (classBits !== 0) this.v1.addClass(0, classBits, f);
    if (registry !== 0) this.v1.addKey('', subtree, f);
    return OK;
  }

  /**
   * Adds a per-object filter to a version-1 port (ApiAddNotifyNode §3.1.4.2.59, Group
   * §3.1.4.2.60, Resource §3.1.4.2.61, Network §3.1.4.2.90, NetInterface §3.1.4.2.99). The
   * filter matches the object by id, so it follows renames (docs/decisions.md). Bits outside
   * the object's family fail with FILTER_BITS_OUT_OF_FAMILY. The caller returns the object's
   * state sequence to its client.
   */
  addObjectFilter(handle: PortHandle, spec: ObjectFilterSpec): Outcome {
    const port = this.portFor(handle, 1);
    if (!(port instanceof NotifyPort)) return port;
    const bad = this.checkObjectSpec(port, spec);
    if (bad !== undefined) return bad;
    const f = this.newFilter(
      port,
      spec.notifyKey,
      spec.filter >>> 0,
      '',
      'object',
      0,
      spec.objectId,
    );
    this.v1.addObject(V1_SLOT_OBJECTS, spec.objectId, f);
    return OK;
  }

  /**
   * Re-registers a per-object filter after a reconnect (ApiReAddNotifyNode §3.1.4.2.63, Group
   * §3.1.4.2.64, Resource §3.1.4.2.65, Network §3.1.4.2.91, NetInterface §3.1.4.2.100): the
   * same registration as {@link addObjectFilter}, and if `stateSequence` differs from the
   * object's `current` sequence and the filter holds the family's *_STATE bit, one *_STATE
   * indication with the current name and sequence and this filter's key is queued at once.
   */
  reAddObjectFilter(
    handle: PortHandle,
    spec: ObjectFilterSpec & { readonly stateSequence: number },
    current: { readonly name: string; readonly stateSequence: number },
  ): Outcome {
    const port = this.portFor(handle, 1);
    if (!(port instanceof NotifyPort)) return port;
    const bad =
      this.checkObjectSpec(port, spec) ??
      checkUint32(spec.stateSequence, 'stateSequence') ??
      checkUint32(current.stateSequence, 'current.stateSequence');
    if (bad !== undefined) return bad;
    const mask = spec.filter >>> 0;
    const f = this.newFilter(port, spec.notifyKey, mask, '', 'object', 0, spec.objectId);
    this.v1.addObject(V1_SLOT_OBJECTS, spec.objectId, f);
    const stateBit = (V1_OBJECT_FAMILIES.get(spec.objectType) as { stateBit: number }).stateBit;
    if (spec.stateSequence >>> 0 !== current.stateSequence >>> 0 && (mask & stateBit) !== 0) {
      const event: ChangeEventV1 = {
        version: 1,
        revision: this.lastRev,
        change: stateBit,
        objectId: spec.objectId,
        name: current.name,
        stateSequence: current.stateSequence,
        keyPath: '',
      };
      this.account(port.push(event, f));
      this.flushWakes();
    }
    return OK;
  }

  /**
   * Adds a cluster-database key filter to a version-1 port (ApiAddNotifyKey §3.1.4.2.62): the
   * key itself (created/deleted, security, values) and its immediate subkeys' creation and
   * deletion; with `watchSubtree` every key below it. `filter` holds REGISTRY_NAME,
   * REGISTRY_ATTRIBUTES, REGISTRY_VALUE and optionally REGISTRY_SUBTREE (same as watchSubtree).
   */
  addKeyFilter(
    handle: PortHandle,
    spec: { keyPath: string; filter: number; watchSubtree: boolean; notifyKey: number },
  ): Outcome {
    const port = this.portFor(handle, 1);
    if (!(port instanceof NotifyPort)) return port;
    const allowed = ClusterChangeFamily.REGISTRY | ClusterChangeFamily.REGISTRY_SUBTREE;
    const bad =
      checkKey(spec.notifyKey) ??
      checkKeyPath(spec.keyPath) ??
      checkBits(spec.filter, 'filter') ??
      checkClientOnlyV1(spec.filter) ??
      checkFamily(spec.filter, allowed, 'a registry key filter');
    if (bad !== undefined) return bad;
    const mask = (spec.filter & ClusterChangeFamily.REGISTRY) >>> 0;
    if (mask === 0) return failure('EMPTY_FILTER', `filter 0x${hex(spec.filter)} selects no event`);
    const full = this.checkFilterRoom(port);
    if (full !== undefined) return full;
    const subtree = spec.watchSubtree || (spec.filter & ClusterChangeFamily.REGISTRY_SUBTREE) !== 0;
    const f = this.newFilter(port, spec.notifyKey, mask, spec.keyPath, 'key', 0, '', subtree);
    this.v1.addKey(spec.keyPath, subtree, f);
    return OK;
  }

  // ---------------------------------------------------------------------------------------
  // Version-2 filters

  /**
   * Adds a filter to a version-2 port (ApiAddNotifyV2 §3.1.4.2.137): one object type with one
   * or more of its flags, for every object of the type or for one `target`. Unknown object
   * types, flags outside the type's enumeration, client-only flags (RECONNECT, STATE,
   * HANDLE_CLOSE) and an empty set fail with ERROR_INVALID_PARAMETER.
   */
  addFilterV2(handle: PortHandle, spec: FilterSpecV2): Outcome {
    const port = this.portFor(handle, 2);
    if (!(port instanceof NotifyPort)) return port;
    const family = V2_FAMILIES[spec.objectType as keyof typeof V2_FAMILIES];
    if (family === undefined || !Number.isInteger(spec.objectType)) {
      return failure(
        'UNKNOWN_OBJECT_TYPE',
        `objectType ${String(spec.objectType)} has no V2 change enumeration`,
      );
    }
    const { target } = spec;
    const isRegistry = spec.objectType === ClusterObjectType.REGISTRY;
    const bad =
      checkKey(spec.notifyKey) ??
      checkFlagsV2(spec.filterFlags, family.all, family.clientOnly) ??
      (target === undefined
        ? undefined
        : WHOLE_ONLY_V2.has(spec.objectType)
          ? failure('TARGET_NOT_ALLOWED', `objectType ${spec.objectType} cannot target one object`)
          : isRegistry
            ? checkKeyPath(target)
            : checkObjectId(target));
    if (bad !== undefined) return bad;
    const mask = (spec.filterFlags & ~family.modifier) >>> 0;
    if (mask === 0) {
      return failure('EMPTY_FILTER', `filterFlags 0x${hex(spec.filterFlags)} selects no event`);
    }
    const full = this.checkFilterRoom(port);
    if (full !== undefined) return full;
    if (isRegistry) {
      const keyPath = target ?? '';
      const subtree = (spec.filterFlags & ClusterChangeRegistryV2.SUBTREE) !== 0;
      const f = this.newFilter(
        port,
        spec.notifyKey,
        mask,
        keyPath,
        'key2',
        spec.objectType,
        '',
        subtree,
      );
      this.v2.addKey(keyPath, subtree, f);
    } else if (target === undefined) {
      const f = this.newFilter(port, spec.notifyKey, mask, '', 'type2', spec.objectType);
      this.v2.addClass(spec.objectType * 32, mask, f);
    } else {
      const f = this.newFilter(port, spec.notifyKey, mask, '', 'object2', spec.objectType, target);
      this.v2.addObject(spec.objectType, target, f);
    }
    return OK;
  }

  /**
   * Adds a filter for one named resource type to a version-2 port (ApiAddNotifyResourceTypeV2
   * §3.1.4.2.144). Validation as {@link addFilterV2}.
   */
  addResourceTypeFilterV2(
    handle: PortHandle,
    spec: { resourceTypeName: string; filterFlags: number; notifyKey: number },
  ): Outcome {
    return this.addFilterV2(handle, {
      objectType: ClusterObjectType.RESOURCE_TYPE,
      filterFlags: spec.filterFlags,
      notifyKey: spec.notifyKey,
      target: spec.resourceTypeName,
    });
  }

  // ---------------------------------------------------------------------------------------
  // Changes

  /**
   * Queues one indication per matching filter for each event, in event order; the
   * indications one event produces on one port follow filter-registration order
   * (§3.1.4.2.58 "one indication per matching filter"; docs/decisions.md). Ports whose queue
   * is full get the lost-events indication instead. Events come from the cluster model and
   * are trusted. Returns how many indications were queued. `revision`, when given, is the
   * commit's: it counts as published even if it brought no event (see {@link listening}).
   */
  publish(events: readonly ChangeEvent[], revision = 0): number {
    if (revision > this.lastRev) this.lastRev = revision;
    let queued = 0;
    for (const ev of events) {
      if (ev.revision > this.lastRev) this.lastRev = ev.revision;
      queued += ev.version === 1 ? this.publishV1(ev) : this.publishV2(ev);
    }
    this.flushWakes();
    return queued;
  }

  private publishV1(ev: ChangeEventV1): number {
    const lists = this.scratch;
    lists.length = 0;
    if ((ev.change & ClusterChangeFamily.REGISTRY) !== 0) {
      this.v1.collectKey(ev.keyPath, ev.change === ClusterChange.REGISTRY_NAME, lists);
    } else {
      this.v1.collect(bitIndex(ev.change), V1_SLOT_OBJECTS, ev.objectId, lists);
    }
    return this.deliver(lists, ev.change, ev);
  }

  private publishV2(ev: ChangeEventV2): number {
    const lists = this.scratch;
    lists.length = 0;
    if (ev.objectType === ClusterObjectType.REGISTRY) {
      this.v2.collectKey(ev.keyPath, ev.flag === ClusterChangeRegistryV2.NAME, lists);
    } else {
      this.v2.collect(ev.objectType * 32 + bitIndex(ev.flag), ev.objectType, ev.targetId, lists);
    }
    return this.deliver(lists, ev.flag, ev);
  }

  /** Pushes `ev` to every live filter of `lists` whose mask holds `bit`, in filter-id order. */
  private deliver(lists: FilterList[], bit: number, ev: ChangeEvent): number {
    const before = this.queuedTotal;
    if (lists.length === 1) {
      for (const f of (lists[0] as FilterList).items) {
        if (f.live && (f.mask & bit) !== 0) this.account(f.port.push(ev, f));
      }
    } else if (lists.length > 1) {
      // k-way merge of id-sorted lists (k is small: class + object, or a key's ancestors).
      const cur = this.cursors;
      cur.length = lists.length;
      cur.fill(0);
      for (;;) {
        let best = -1;
        let bestId = Infinity;
        for (let i = 0; i < lists.length; i++) {
          const f = (lists[i] as FilterList).items[cur[i] as number];
          if (f !== undefined && f.id < bestId) {
            bestId = f.id;
            best = i;
          }
        }
        if (best < 0) break;
        const f = (lists[best] as FilterList).items[cur[best] as number] as Filter;
        cur[best] = (cur[best] as number) + 1;
        if (f.live && (f.mask & bit) !== 0) this.account(f.port.push(ev, f));
      }
    }
    return this.queuedTotal - before;
  }

  /** Updates the engine counters after one push. */
  private account(r: PushResult): void {
    switch (r) {
      case PushResult.QUEUED:
        this.queuedNow++;
        this.queuedTotal++;
        break;
      case PushResult.DROPPED_NEW_RUN:
        this.queuedNow++;
        this.droppedTotal++;
        break;
      case PushResult.DROPPED:
        this.droppedTotal++;
        break;
      case PushResult.REFUSED:
        break;
    }
  }

  /**
   * Holds a port out of (or back into) live publishes. While held, {@link publish} queues
   * nothing on it; {@link replay} still does. A resumed port is held while it catches up with
   * history and released, synchronously, once it has reached the published revision — so it
   * neither misses nor repeats a revision (docs/protocol.md "Resume").
   */
  holdLive(handle: PortHandle, hold: boolean): Outcome {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    port.heldLive = hold;
    return OK;
  }

  /**
   * Marks revisions `firstRevision`…`lastRevision` as lost on one port: a lost-events
   * indication (v1 CLUSTER_RECONNECT, v2 LOST_NOTIFICATIONS_V2, count 0: unknown) stands in for
   * whatever they held. For resume: the history went while the port caught up (D1: never a
   * silent gap).
   */
  markLost(handle: PortHandle, firstRevision: number, lastRevision: number): Outcome {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    if (port.markLost(firstRevision, lastRevision)) this.queuedNow++;
    this.flushWakes();
    return OK;
  }

  /**
   * Queues on one port the indications its own filters give for `events` — the matching rules
   * of {@link publish}, in event order, then filter-registration order. For resume: history the
   * port missed. Returns how many were queued.
   */
  replay(handle: PortHandle, events: readonly ChangeEvent[]): Outcome<{ readonly queued: number }> {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    const filters = port.filters;
    const before = this.queuedTotal;
    for (const ev of events) {
      if (ev.version !== port.version) continue;
      for (const f of filters)
        if (f.live && filterMatches(f, ev)) this.account(port.push(ev, f, true));
    }
    this.flushWakes();
    return { type: 'ok', status: 0, queued: this.queuedTotal - before };
  }

  // ---------------------------------------------------------------------------------------
  // Reading

  /**
   * Takes the oldest indication (ApiGetNotify §3.1.4.2.66 for v1 ports; one element of
   * ApiGetNotifyV2 §3.1.4.2.138 for v2 ports). Waits while the queue is empty, up to
   * `timeoutMs`. Outcomes are values: `indication`, `timeout` (0x102), `interrupted` (0x1,
   * unblocked or closed while parked), `unblocked` (0x103, called after unblock) or a failure
   * (PORT_NOT_FOUND 0x6, INVALID_TIMEOUT 0x57). Rejects only with `signal.reason`.
   */
  next(handle: PortHandle, options: ReadOptions = {}): Promise<NextResult> {
    return this.read(handle, options, 1, true) as Promise<NextResult>;
  }

  /**
   * Takes up to `max` of the oldest indications, at least one (ApiGetNotifyAsync §3.1.4.2.143,
   * ApiGetNotifyV2 §3.1.4.2.138). Waits like {@link next}; a parked take completes after the
   * publish that queued for it, with everything that publish queued (up to `max`).
   */
  take(handle: PortHandle, options: TakeOptions = {}): Promise<TakeResult> {
    const max = options.max ?? DEFAULT_TAKE_MAX;
    if (!Number.isInteger(max) || max < 1) {
      return Promise.resolve(
        failure('INVALID_ARGUMENT', `max must be an integer >= 1, got ${String(max)}`),
      );
    }
    return this.read(handle, options, max, false) as Promise<TakeResult>;
  }

  /**
   * A take for a transport that streams the port: returns what {@link take} would at once —
   * up to `reader.max` indications when any are queued, `unblocked`, or PORT_NOT_FOUND — and
   * otherwise parks `reader` and returns undefined; the reader then completes like a parked
   * take without timeout. No promise, timer or signal: an idle stream costs the engine one
   * slot in the port's list of parked reads.
   */
  takeOrPark(handle: PortHandle, reader: PortReader): TakeResult | undefined {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    if (!Number.isInteger(reader.max) || reader.max < 1) {
      return failure('INVALID_ARGUMENT', `max must be an integer >= 1, got ${String(reader.max)}`);
    }
    if (port.state !== 'open') return UNBLOCKED;
    if (port.queued > 0) return this.takeFrom(port, reader.max, false) as TakeResult;
    port.parkRead(reader);
    return undefined;
  }

  /** Removes a reader parked by {@link takeOrPark}; nothing happens when it is not parked. */
  unparkReader(handle: PortHandle, reader: PortReader): void {
    this.lookup(handle)?.unpark(reader);
  }

  private read(
    handle: PortHandle,
    options: ReadOptions,
    max: number,
    single: boolean,
  ): Promise<NextResult | TakeResult> {
    const port = this.lookup(handle);
    if (port === undefined) return Promise.resolve(portNotFound(handle));
    const timeoutMs = options.timeoutMs ?? Infinity;
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      return Promise.resolve(
        failure('INVALID_TIMEOUT', `timeoutMs must be a number >= 0, got ${String(timeoutMs)}`),
      );
    }
    const { signal } = options;
    // A wait rejects with whatever the caller's signal carries (AbortSignal discipline).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (port.state !== 'open') return Promise.resolve(UNBLOCKED);
    if (port.queued > 0) return Promise.resolve(this.takeFrom(port, max, single));
    if (timeoutMs === 0) return Promise.resolve(TIMEOUT);
    return port.park(max, single, this.clock, timeoutMs, signal) as Promise<
      NextResult | TakeResult
    >;
  }

  /** Completes the parked reads of every port a publish appended to. */
  private flushWakes(): void {
    const wakes = this.wakes;
    if (wakes.length === 0) return;
    for (let i = 0; i < wakes.length; i++) (wakes[i] as NotifyPort).wake(this.takeFromBound);
    wakes.length = 0;
  }

  private readonly takeFromBound = (port: NotifyPort, max: number, single: boolean): unknown =>
    this.takeFrom(port, max, single);

  private takeFrom(port: NotifyPort, max: number, single: boolean): NextResult | TakeResult {
    const r = this.takeNowFrom(port, max);
    return single
      ? { type: 'indication', status: 0, indication: r.indications[0] as Indication }
      : r;
  }

  /**
   * The handles of ports that received at least one indication since the previous call, each
   * once, in the order they first received one; ports closed or unblocked since are left out.
   * Empty unless the engine was made with `trackReady`. A transport calls it after
   * {@link publish} and drains each port with {@link takeNow}, with no promise per port.
   */
  takeReadyPorts(): PortHandle[] {
    const ready = this.ready;
    if (ready === undefined || ready.length === 0) return [];
    const out: PortHandle[] = [];
    for (const port of ready) {
      port.clearReady();
      if (port.state === 'open') out.push(port.handle);
    }
    ready.length = 0;
    return out;
  }

  /**
   * Takes up to `max` queued indications without waiting; an empty array when none are
   * queued. For transports that drain ports after a wake-up.
   */
  takeNow(handle: PortHandle, max = DEFAULT_TAKE_MAX): TakeResult {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    if (port.state !== 'open') return UNBLOCKED;
    if (!Number.isInteger(max) || max < 1) {
      return failure('INVALID_ARGUMENT', `max must be an integer >= 1, got ${String(max)}`);
    }
    return this.takeNowFrom(port, max);
  }

  private takeNowFrom(
    port: NotifyPort,
    max: number,
  ): { type: 'indications'; status: 0; indications: Indication[] } {
    const out: Indication[] = [];
    const n = port.takeInto(out, max, this.name);
    this.queuedNow -= n;
    this.takenTotal += n;
    if (n > 0 && this.onTake !== undefined) this.onTake(port.handle);
    return { type: 'indications', status: 0, indications: out };
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  private lookup(handle: PortHandle): NotifyPort | undefined {
    return typeof handle === 'string' ? this.ports.get(handle) : undefined;
  }

  /** The open port behind `handle` if it has `version`, else the failure to return. */
  private portFor(handle: PortHandle, version: 1 | 2): NotifyPort | Failure {
    const port = this.lookup(handle);
    if (port === undefined) return portNotFound(handle);
    if (port.version !== version) {
      return failure(
        'WRONG_PORT_VERSION',
        `port is version ${port.version}; this call needs a version-${version} port`,
      );
    }
    if (port.state !== 'open') {
      return failure('PORT_UNBLOCKED', 'port was unblocked and only waits to be closed');
    }
    return port;
  }

  private checkObjectSpec(port: NotifyPort, spec: ObjectFilterSpec): Failure | undefined {
    const fam = V1_OBJECT_FAMILIES.get(spec.objectType);
    if (fam === undefined) {
      return failure(
        'UNKNOWN_OBJECT_TYPE',
        `objectType ${String(spec.objectType)} has no version-1 object filters (node, group, resource, network, network interface)`,
      );
    }
    return (
      checkKey(spec.notifyKey) ??
      checkObjectId(spec.objectId) ??
      checkBits(spec.filter, 'filter') ??
      checkClientOnlyV1(spec.filter) ??
      checkFamily(spec.filter, fam.family, `a ${objectTypeWord(spec.objectType)} filter`) ??
      (spec.filter >>> 0 === 0
        ? failure('EMPTY_FILTER', 'filter 0x0 selects no event')
        : this.checkFilterRoom(port))
    );
  }

  private checkFilterRoom(port: NotifyPort): Failure | undefined {
    return port.filterCount >= this.maxFilters
      ? failure('FILTER_LIMIT', `port already holds ${this.maxFilters} filters`)
      : undefined;
  }

  private newFilter(
    port: NotifyPort,
    notifyKey: number,
    mask: number,
    keyPath: string,
    scope: FilterScope,
    objectType = 0,
    objectId = '',
    subtree = false,
  ): Filter {
    const f = new Filter(
      this.nextFilterId++,
      port,
      notifyKey >>> 0,
      mask,
      keyPath,
      scope,
      objectType,
      objectId,
      subtree,
    );
    port.addFilter(f);
    this.filterCount++;
    return f;
  }

  private retireFilters(port: NotifyPort): void {
    const filters = port.filters;
    for (const f of filters) retireFilter(f);
    this.filterCount -= filters.length;
  }
}

/** Whether one filter selects one event: the index's rules, for a single filter (replay). */
function filterMatches(f: Filter, ev: ChangeEvent): boolean {
  if (ev.version === 1) {
    if ((f.mask & ev.change) === 0) return false;
    if ((ev.change & ClusterChangeFamily.REGISTRY) !== 0) {
      return (
        (f.scope === 'cluster' || f.scope === 'key') &&
        keyMatches(ev.keyPath, f.keyPath, f.subtree, ev.change === ClusterChange.REGISTRY_NAME)
      );
    }
    return (
      f.scope === 'cluster' ||
      (f.scope === 'object' && ev.objectId !== '' && f.objectId === ev.objectId)
    );
  }
  if ((f.mask & ev.flag) === 0 || f.objectType !== ev.objectType) return false;
  if (ev.objectType === ClusterObjectType.REGISTRY) {
    return (
      f.scope === 'key2' &&
      keyMatches(ev.keyPath, f.keyPath, f.subtree, ev.flag === ClusterChangeRegistryV2.NAME)
    );
  }
  return (
    f.scope === 'type2' ||
    (f.scope === 'object2' && ev.targetId !== '' && f.objectId === ev.targetId)
  );
}

/** The registry scope rule of decisions D9 for one watched key. */
function keyMatches(path: string, watched: string, subtree: boolean, isName: boolean): boolean {
  if (path === watched) return true;
  if (subtree && (watched === '' || path.startsWith(watched + KEY_SEPARATOR))) return true;
  if (!isName || path === '') return false;
  const cut = path.lastIndexOf(KEY_SEPARATOR);
  return (cut < 0 ? '' : path.slice(0, cut)) === watched;
}

function portNotFound(handle: unknown): Failure {
  return failure(
    'PORT_NOT_FOUND',
    typeof handle === 'string'
      ? 'no open notification port has this handle'
      : `handle must be a string, got ${typeof handle}`,
  );
}

function hex(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function checkKey(key: number): Failure | undefined {
  return checkUint32(key, 'notifyKey', 'INVALID_NOTIFY_KEY');
}

function checkUint32(
  v: number,
  what: string,
  code: 'INVALID_NOTIFY_KEY' | 'INVALID_ARGUMENT' = 'INVALID_ARGUMENT',
): Failure | undefined {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff
    ? undefined
    : failure(code, `${what} must be an integer from 0 to 0xFFFFFFFF, got ${String(v)}`);
}

/** A 32-bit mask; negative int32 values (from `|` on bit 31) stand for the same 32 bits. */
function checkBits(bits: number, what: string): Failure | undefined {
  return Number.isInteger(bits) && bits >= -0x80000000 && bits <= 0xffffffff
    ? undefined
    : failure(
        'INVALID_ARGUMENT',
        `${what} must be a 32-bit CLUSTER_CHANGE mask, got ${String(bits)}`,
      );
}

function checkClientOnlyV1(bits: number): Failure | undefined {
  const bad = (bits & ClusterChangeFamily.CLIENT_ONLY) >>> 0;
  return bad === 0
    ? undefined
    : failure(
        'CLIENT_ONLY_BITS',
        `filter holds client-only bits 0x${hex(bad)} (CLUSTER_STATE, CLUSTER_RECONNECT, HANDLE_CLOSE)`,
      );
}

function checkFamily(bits: number, family: number, what: string): Failure | undefined {
  const bad = (bits & ~family) >>> 0;
  return bad === 0
    ? undefined
    : failure(
        'FILTER_BITS_OUT_OF_FAMILY',
        `bits 0x${hex(bad)} are outside ${what}'s family (allowed 0x${hex(family)})`,
      );
}

function checkFlagsV2(flags: number, all: number, clientOnly: number): Failure | undefined {
  if (!Number.isInteger(flags) || flags < -0x80000000) {
    return failure('INVALID_ARGUMENT', `filterFlags must be an integer mask, got ${String(flags)}`);
  }
  if (flags > 0xffffffff || (flags & ~all) >>> 0 !== 0) {
    return failure(
      'FILTER_BITS_OUT_OF_FAMILY',
      `filterFlags 0x${flags.toString(16).toUpperCase()} hold flags the object type does not define (allowed 0x${hex(all)})`,
    );
  }
  const bad = (flags & clientOnly) >>> 0;
  return bad === 0
    ? undefined
    : failure('CLIENT_ONLY_BITS', `filterFlags hold client-only flags 0x${hex(bad)}`);
}

function checkObjectId(id: string): Failure | undefined {
  return typeof id === 'string' && id !== ''
    ? undefined
    : failure(
        'INVALID_OBJECT_ID',
        `object id must be a non-empty string, got ${JSON.stringify(id)}`,
      );
}

/**
 * A key path is `''` (the root) or segments joined by single backslashes, none empty
 * (docs/decisions.md).
 */
function checkKeyPath(path: string): Failure | undefined {
  if (typeof path !== 'string') {
    return failure('INVALID_KEY_PATH', `key path must be a string, got ${typeof path}`);
  }
  if (path === '') return undefined;
  for (const seg of path.split(KEY_SEPARATOR)) {
    if (seg === '') {
      return failure('INVALID_KEY_PATH', `key path ${JSON.stringify(path)} has an empty segment`);
    }
  }
  return undefined;
}

function objectTypeWord(t: number): string {
  switch (t) {
    case ClusterObjectType.NODE:
      return 'node';
    case ClusterObjectType.GROUP:
      return 'group';
    case ClusterObjectType.RESOURCE:
      return 'resource';
    case ClusterObjectType.NETWORK:
      return 'network';
    default:
      return 'network interface';
  }
}

function positiveInt(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${what} must be an integer >= 1, got ${String(v)}`);
  }
  return v;
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/**
 * Lower-case hex of `bytes`, built as one flat string: concatenating pieces would leave a
 * cons-string tree behind every handle (measured: ~630 B per handle instead of ~90 B).
 */
function toHex(bytes: Uint8Array): string {
  const codes = new Array<number>(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    codes[2 * i] = HEX_CODES[b >> 4] as number;
    codes[2 * i + 1] = HEX_CODES[b & 15] as number;
  }
  return String.fromCharCode(...codes);
}

function hostRandomBytes(): (length: number) => Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (c === undefined) {
    throw new TypeError('no secure random source on this host; pass options.randomBytes');
  }
  return (length) => c.getRandomValues(new Uint8Array(length));
}
