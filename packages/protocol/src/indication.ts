/**
 * Event indications as a reader receives them from a notification port.
 *
 * A port is version 1 (made by ApiCreateNotify) or version 2 (made by ApiCreateNotifyV2);
 * every indication it yields has the same `version`, which is the union's discriminant.
 * §3.1.1.8 Notification Ports lists what each version carries.
 */

/**
 * What a lost-events indication stands for: a run of indications that could not be queued
 * because the port's queue was full (§3.1.4.2.66: CLUSTER_CHANGE_CLUSTER_RECONNECT on v1
 * ports; §2.2.2.12: CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2 on v2 ports).
 *
 * Beyond the spec: the revisions let a reader re-fetch exactly the lost run from the store.
 */
export interface LostIndications {
  /** How many indications were dropped in this run. */
  readonly count: number;
  /** Store revision of the first dropped indication. */
  readonly firstRevision: number;
  /** Store revision of the last dropped indication. */
  readonly lastRevision: number;
}

/**
 * A version-1 event indication: the out-parameters of ApiGetNotify (§3.1.4.2.66).
 */
export interface IndicationV1 {
  readonly version: 1;
  /** The 32-bit context value of the filter that matched (`dwNotifyKey`). */
  readonly notifyKey: number;
  /** Exactly one CLUSTER_CHANGE bit (`dwFilter`, §2.2.2.7). */
  readonly filter: number;
  /**
   * Object name; for registry events the key path relative to the watched key (§6.4 of the
   * reference); for CLUSTER_RECONNECT the cluster name.
   */
  readonly name: string;
  /** The object's state sequence (`dwStateSequence`, §3.1.1.8); 0 for objects without state. */
  readonly stateSequence: number;
  /** Store revision of the change that produced it (beyond the spec; used for resume). */
  readonly revision: number;
  /** Set only on the lost-events indication (CLUSTER_RECONNECT raised by the server). */
  readonly lost: LostIndications | undefined;
}

/** NOTIFY_FILTER_AND_TYPE_RPC (§2.2.3.22): an object type and its flags. */
export interface NotifyFilterAndType {
  /** A CLUSTER_OBJECT_TYPE value (§2.2.2.11). */
  readonly objectType: number;
  /**
   * Flags of the enumeration that belongs to `objectType`. In a registration several may be
   * ORed; in a delivered indication exactly one is set.
   */
  readonly filterFlags: number;
}

/**
 * A version-2 event indication: one NOTIFICATION_RPC (§2.2.3.24) of ApiGetNotifyV2
 * (§3.1.4.2.138). Payload and strings follow the per-event table of §3.1.4.2.138.
 */
export interface IndicationV2 {
  readonly version: 2;
  /** The context value of the filter that matched (`dwNotifyKey`). */
  readonly notifyKey: number;
  readonly filterAndType: NotifyFilterAndType;
  /** `ObjectId`; empty string when the payload table says none. */
  readonly objectId: string;
  /** `ParentId`; empty string when none. */
  readonly parentId: string;
  /** `Name`; for registry events the key path relative to the watched key. */
  readonly name: string;
  /** `Type`; the object-type string (for example a resource type name) or empty. */
  readonly type: string;
  /**
   * `buffer`; the event payload (may be empty). Shared between readers: do not mutate. The
   * client hands it out as a view into the bytes it received (D53), which may hold other
   * indications too: `buffer.slice()` keeps a payload apart from them.
   */
  readonly buffer: Uint8Array;
  /** Store revision of the change that produced it (beyond the spec; used for resume). */
  readonly revision: number;
  /** Set only on the lost-events indication (LOST_NOTIFICATIONS_V2 raised by the server). */
  readonly lost: LostIndications | undefined;
}

/** Either kind of indication; discriminate on `version`. */
export type Indication = IndicationV1 | IndicationV2;
