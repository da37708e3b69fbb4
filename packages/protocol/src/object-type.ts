/*
 * The `CLUSTER_OBJECT_TYPE` enumeration that selects which version-2 change enumeration a
 * filter or indication uses.
 *
 * Reference: notification-ports.md §3.2, [MS-CMRP] §2.2.2.11
 */

/**
 * `CLUSTER_OBJECT_TYPE` values ([MS-CMRP] §2.2.2.11, reference §3.2), prefix
 * `CLUSTER_OBJECT_TYPE_` stripped.
 *
 * The union of [MS-CMRP] and the SDK header: `NONE` and `FAULTDOMAIN` exist only in
 * `clusapi.h`; `SPACEPORT`, `UPGRADE`, `SBL_DEVICE` and `CERT` only in [MS-CMRP]. No change
 * enumeration or payload is documented for `SBL_DEVICE`, `CERT`, `AFFINITYRULE` or
 * `FAULTDOMAIN`. `AFFINITYRULE` follows the enumeration's spelling (the prose writes
 * `AFFINITY_RULE`).
 */
export const ClusterObjectType = {
  /** SDK only. */
  NONE: 0x00000000,
  CLUSTER: 0x00000001,
  GROUP: 0x00000002,
  RESOURCE: 0x00000003,
  RESOURCE_TYPE: 0x00000004,
  NETWORK_INTERFACE: 0x00000005,
  NETWORK: 0x00000006,
  NODE: 0x00000007,
  REGISTRY: 0x00000008,
  QUORUM: 0x00000009,
  SHARED_VOLUME: 0x0000000a,
  /** [MS-CMRP] only. */
  SPACEPORT: 0x0000000b,
  /** [MS-CMRP] only. */
  UPGRADE: 0x0000000c,
  GROUPSET: 0x0000000d,
  /** [MS-CMRP] only; absent in Windows Server 2012 R2 and earlier. */
  SBL_DEVICE: 0x0000000e,
  /** [MS-CMRP] only; absent in Windows Server 2016 and earlier. */
  CERT: 0x0000000f,
  /** Absent in Windows 10 v1909 and earlier. */
  AFFINITYRULE: 0x00000010,
  /** SDK only. */
  FAULTDOMAIN: 0x00000011,
} as const;

/** Any value of {@link ClusterObjectType}. §3.2, [MS-CMRP] §2.2.2.11. */
export type ClusterObjectType = (typeof ClusterObjectType)[keyof typeof ClusterObjectType];

const OBJECT_TYPE_SPEC_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(ClusterObjectType).map(([key, value]) => [value, `CLUSTER_OBJECT_TYPE_${key}`]),
);

/**
 * The official spelling of a {@link ClusterObjectType} value.
 *
 * @param objectType - a `dwObjectType` value.
 * @returns e.g. `'CLUSTER_OBJECT_TYPE_GROUP'` for 0x2, or `undefined` for an undefined value.
 * @see §3.2, [MS-CMRP] §2.2.2.11
 */
export function clusterObjectTypeSpecName(objectType: number): string | undefined {
  return OBJECT_TYPE_SPEC_NAMES.get(objectType);
}
