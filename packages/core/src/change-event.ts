/**
 * Change events: what the cluster model tells the engine happened, one record per
 * indication kind. The model turns one committed change into zero or more version-1 events
 * and zero or more version-2 events; the engine matches each against the filters of its own
 * version and queues one indication per matching filter (§3.1.1.8, §3.1.4.2.58).
 */

/**
 * A version-1 event: one CLUSTER_CHANGE bit about one object (§2.2.2.7).
 */
export interface ChangeEventV1 {
  readonly version: 1;
  /** Store revision of the commit this event belongs to. */
  readonly revision: number;
  /** Exactly one CLUSTER_CHANGE bit; never a client-only bit or REGISTRY_SUBTREE. */
  readonly change: number;
  /**
   * Identity matched by per-object filters (ApiAddNotifyNode etc.): the object's id. Empty for
   * cluster-level and resource-type events, and ignored for registry events.
   */
  readonly objectId: string;
  /** The object's current name (old name for *_DELETED); the cluster name for cluster events. */
  readonly name: string;
  /** The object's state sequence after the change; 0 for objects without state. */
  readonly stateSequence: number;
  /**
   * Registry events only: the path of the affected key from the root, segments joined by a
   * backslash, `''` for the root. The reported name is this path relative to each filter's
   * watched key. Empty for every other event.
   */
  readonly keyPath: string;
}

/**
 * A version-2 event: one flag of the V2 enumeration of `objectType`, with the
 * NOTIFICATION_DATA_RPC fields of the §3.1.4.2.138 payload table.
 */
export interface ChangeEventV2 {
  readonly version: 2;
  readonly revision: number;
  /** A CLUSTER_OBJECT_TYPE value. */
  readonly objectType: number;
  /** Exactly one flag of the enumeration of `objectType`. */
  readonly flag: number;
  /**
   * The object a targeted filter (isTargetedAtObject = TRUE) must name to match: the object's
   * id, the group's id for GROUP_RESOURCE_ADDED_V2, the resource type's name for resource-type
   * events, empty for objects addressed only as a whole. Ignored for registry events.
   */
  readonly targetId: string;
  readonly objectId: string;
  readonly parentId: string;
  /** Reported name; for registry events replaced by the path relative to the watched key. */
  readonly name: string;
  readonly type: string;
  readonly buffer: Uint8Array;
  /** Registry events only: as {@link ChangeEventV1.keyPath}. */
  readonly keyPath: string;
}

/** A change event of either version. */
export type ChangeEvent = ChangeEventV1 | ChangeEventV2;

/** A shared empty payload, so events without a buffer allocate nothing. */
export const EMPTY_BUFFER: Uint8Array = new Uint8Array(0);
