/*
 * Version-1 notification bits: the `CLUSTER_CHANGE` enumeration and the family masks derived
 * from it.
 *
 * Reference: notification-ports.md §3.1, [MS-CMRP] §2.2.2.7
 */

/**
 * The 32 `CLUSTER_CHANGE` bits of [MS-CMRP] §2.2.2.7 (reference §3.1), with the
 * `CLUSTER_CHANGE_` prefix stripped, plus the SDK's `CLUSTER_CHANGE_ALL`.
 *
 * A filter is any OR of these bits; an indication returned by a server carries exactly one.
 * `REGISTRY_SUBTREE`, `CLUSTER_STATE` and `HANDLE_CLOSE` are never produced by a server, and
 * `CLUSTER_RECONNECT` only by a protocol-3.0 server to signal dropped indications (§6.1).
 */
export const ClusterChange = {
  /** A node changed state. */
  NODE_STATE: 0x00000001,
  /** A node was removed from the persistent cluster configuration. */
  NODE_DELETED: 0x00000002,
  /** A node was added to the persistent cluster configuration. */
  NODE_ADDED: 0x00000004,
  /** A node property changed. */
  NODE_PROPERTY: 0x00000008,
  /** A cluster-registry key was created or deleted. */
  REGISTRY_NAME: 0x00000010,
  /** The security descriptor of a cluster-registry key changed. */
  REGISTRY_ATTRIBUTES: 0x00000020,
  /** A value under a cluster-registry key was set or deleted. */
  REGISTRY_VALUE: 0x00000040,
  /** Scope modifier only: watch the whole subtree. Registered, never returned. */
  REGISTRY_SUBTREE: 0x00000080,
  /** A resource changed state. */
  RESOURCE_STATE: 0x00000100,
  /** A resource was removed. */
  RESOURCE_DELETED: 0x00000200,
  /** A resource was added. */
  RESOURCE_ADDED: 0x00000400,
  /** A resource property, its dependencies or its possible owners changed. */
  RESOURCE_PROPERTY: 0x00000800,
  /** A group changed state. */
  GROUP_STATE: 0x00001000,
  /** A group was removed. */
  GROUP_DELETED: 0x00002000,
  /** A group was added. */
  GROUP_ADDED: 0x00004000,
  /** A group property changed, or a resource moved into or out of the group. */
  GROUP_PROPERTY: 0x00008000,
  /** A resource type was removed. */
  RESOURCE_TYPE_DELETED: 0x00010000,
  /** A resource type was added. */
  RESOURCE_TYPE_ADDED: 0x00020000,
  /** A resource type property changed. */
  RESOURCE_TYPE_PROPERTY: 0x00040000,
  /**
   * Posted by the client after a successful reconnect; a protocol-3.0 server may also send it
   * when indications for the port were dropped.
   */
  CLUSTER_RECONNECT: 0x00080000,
  /** A cluster network changed state. */
  NETWORK_STATE: 0x00100000,
  /** A cluster network was removed. */
  NETWORK_DELETED: 0x00200000,
  /** A cluster network was added. */
  NETWORK_ADDED: 0x00400000,
  /** A cluster network property changed. */
  NETWORK_PROPERTY: 0x00800000,
  /** A network interface changed state. */
  NETINTERFACE_STATE: 0x01000000,
  /** A network interface was removed. */
  NETINTERFACE_DELETED: 0x02000000,
  /** A network interface was added. */
  NETINTERFACE_ADDED: 0x04000000,
  /** A network interface property changed. */
  NETINTERFACE_PROPERTY: 0x08000000,
  /** The quorum configuration changed. Not supported by protocol-2.0 servers. */
  QUORUM_STATE: 0x10000000,
  /** Client-generated only: every reconnect candidate failed, the cluster is unreachable. */
  CLUSTER_STATE: 0x20000000,
  /** A cluster property changed. */
  CLUSTER_PROPERTY: 0x40000000,
  /** Client-generated only: an object handle registered with the port was closed. */
  HANDLE_CLOSE: 0x80000000,
  /** Every bit (`CLUSTER_CHANGE_ALL`, SDK only). Accepted by Win32 APIs, never sent on the wire. */
  ALL: 0xffffffff,
} as const;

/** Any value of {@link ClusterChange} (a single bit, or `ALL`). §3.1, [MS-CMRP] §2.2.2.7. */
export type ClusterChange = (typeof ClusterChange)[keyof typeof ClusterChange];

/**
 * Masks grouping the {@link ClusterChange} bits by the object class they describe (reference
 * §3.1 "Derived masks"; the names are ours, the values follow from §2.2.2.7).
 *
 * `REGISTRY` holds only the returnable registry bits; `REGISTRY_SUBTREE` is the scope modifier.
 * `CLUSTER` is `QUORUM_STATE | CLUSTER_PROPERTY`, the cluster-wide events reachable only through
 * ApiAddNotifyCluster (§6.2). `CLIENT_ONLY` is `CLUSTER_RECONNECT | CLUSTER_STATE |
 * HANDLE_CLOSE`, the bits a client library synthesises itself (§3.1, §3.4).
 */
export const ClusterChangeFamily = {
  NODE: 0x0000000f,
  REGISTRY: 0x00000070,
  REGISTRY_SUBTREE: 0x00000080,
  RESOURCE: 0x00000f00,
  GROUP: 0x0000f000,
  RESOURCE_TYPE: 0x00070000,
  NETWORK: 0x00f00000,
  NET_INTERFACE: 0x0f000000,
  CLUSTER: 0x50000000,
  CLIENT_ONLY: 0xa0080000,
} as const;

/** Any value of {@link ClusterChangeFamily}. §3.1. */
export type ClusterChangeFamily = (typeof ClusterChangeFamily)[keyof typeof ClusterChangeFamily];

/**
 * Whether `value` is an unsigned 32-bit integer with exactly one bit set.
 *
 * Negative numbers are rejected: a DWORD read off the wire is never negative. A value produced
 * by a JS bitwise operator (which yields a signed 32-bit result, e.g. `1 << 31`) must be
 * normalised with `>>> 0` first.
 *
 * @param value - the candidate mask.
 * @returns `true` for 0x1, 0x2, … 0x80000000; `false` for 0, for several bits, and for
 * anything that is not an integer in [0, 0xFFFFFFFF].
 * @see §3.1 ("a single bit per returned indication"), [MS-CMRP] §2.2.2.7
 */
export function isSingleBit(value: number): boolean {
  if (!Number.isInteger(value) || value <= 0 || value > 0xffffffff) {
    return false;
  }
  // `value - 1` clears the lowest set bit and sets every bit below it; both operands fit in
  // 32 bits, so ToInt32 keeps their bit patterns intact.
  return (value & (value - 1)) === 0;
}

const CLUSTER_CHANGE_SPEC_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ClusterChange)
    .filter(([, bit]) => isSingleBit(bit))
    .map(([key, bit]) => [bit, `CLUSTER_CHANGE_${key}`]),
);

/**
 * The official `clusapi.h` / [MS-CMRP] spelling of one {@link ClusterChange} bit.
 *
 * @param bit - a single bit as an unsigned 32-bit value.
 * @returns e.g. `'CLUSTER_CHANGE_NODE_STATE'` for 0x00000001; `undefined` for 0, for a value
 * with several bits (including `ALL`), and for a negative or non-integer number.
 * @see §3.1, [MS-CMRP] §2.2.2.7
 */
export function clusterChangeSpecName(bit: number): string | undefined {
  return CLUSTER_CHANGE_SPEC_NAMES.get(bit);
}
