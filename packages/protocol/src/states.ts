/*
 * Object state values carried by version-1 *_STATE semantics and by the DWORD payloads of
 * version-2 *_STATE_V2 / *_ADDED_V2 indications, with their official spellings.
 *
 * Reference: notification-ports.md §9 and §4.5
 */

/** Looks a value up in a table keyed by numbers, ignoring anything inherited. */
function lookup(table: Readonly<Record<number, string>>, value: number): string | undefined {
  return Object.hasOwn(table, value) ? table[value] : undefined;
}

/**
 * `CLUSTER_NODE_STATE` (reference §9.1, returned by ApiGetNodeState, [MS-CMRP] §3.1.4.2.69).
 */
export const ClusterNodeState = {
  UP: 0x00000000,
  DOWN: 0x00000001,
  PAUSED: 0x00000002,
  JOINING: 0x00000003,
  UNKNOWN: 0xffffffff,
} as const;

/** Any value of {@link ClusterNodeState}. §9.1. */
export type ClusterNodeState = (typeof ClusterNodeState)[keyof typeof ClusterNodeState];

const NODE_STATE_NAMES: Readonly<Record<ClusterNodeState, string>> = {
  [ClusterNodeState.UP]: 'ClusterNodeUp',
  [ClusterNodeState.DOWN]: 'ClusterNodeDown',
  [ClusterNodeState.PAUSED]: 'ClusterNodePaused',
  [ClusterNodeState.JOINING]: 'ClusterNodeJoining',
  [ClusterNodeState.UNKNOWN]: 'ClusterNodeStateUnknown',
};

/**
 * The official spelling of a node state.
 *
 * @returns e.g. `'ClusterNodeUp'` for 0, or `undefined` for an undefined value.
 * @see §9.1
 */
export function clusterNodeStateSpecName(state: number): string | undefined {
  return lookup(NODE_STATE_NAMES, state);
}

/**
 * `CLUSTER_GROUP_STATE` (reference §9.2, returned by ApiGetGroupState, [MS-CMRP] §3.1.4.2.46).
 * A group's state is derived from the states of its resources.
 */
export const ClusterGroupState = {
  /** Every top-level resource is online. */
  ONLINE: 0x00000000,
  /** Every resource is offline, or the group is empty. */
  OFFLINE: 0x00000001,
  /** At least one resource failed. */
  FAILED: 0x00000002,
  /** Some top-level resources are online; none is pending or failed. */
  PARTIAL_ONLINE: 0x00000003,
  /** Some resource is online- or offline-pending; none failed. */
  PENDING: 0x00000004,
  UNKNOWN: 0xffffffff,
} as const;

/** Any value of {@link ClusterGroupState}. §9.2. */
export type ClusterGroupState = (typeof ClusterGroupState)[keyof typeof ClusterGroupState];

const GROUP_STATE_NAMES: Readonly<Record<ClusterGroupState, string>> = {
  [ClusterGroupState.ONLINE]: 'ClusterGroupOnline',
  [ClusterGroupState.OFFLINE]: 'ClusterGroupOffline',
  [ClusterGroupState.FAILED]: 'ClusterGroupFailed',
  [ClusterGroupState.PARTIAL_ONLINE]: 'ClusterGroupPartialOnline',
  [ClusterGroupState.PENDING]: 'ClusterGroupPending',
  [ClusterGroupState.UNKNOWN]: 'ClusterGroupStateUnknown',
};

/**
 * The official spelling of a group state.
 *
 * @returns e.g. `'ClusterGroupPartialOnline'` for 3, or `undefined` for an undefined value.
 * @see §9.2
 */
export function clusterGroupStateSpecName(state: number): string | undefined {
  return lookup(GROUP_STATE_NAMES, state);
}

/**
 * `CLUSTER_RESOURCE_STATE` (reference §9.3, returned by ApiGetResourceState,
 * [MS-CMRP] §3.1.4.2.13). `INHERITED` and `PENDING` exist only in the SDK header; a server
 * should emit only the other values.
 */
export const ClusterResourceState = {
  /** SDK only. */
  INHERITED: 0x00000000,
  INITIALIZING: 0x00000001,
  ONLINE: 0x00000002,
  OFFLINE: 0x00000003,
  FAILED: 0x00000004,
  /** SDK only. */
  PENDING: 0x00000080,
  ONLINE_PENDING: 0x00000081,
  OFFLINE_PENDING: 0x00000082,
  UNKNOWN: 0xffffffff,
} as const;

/** Any value of {@link ClusterResourceState}. §9.3. */
export type ClusterResourceState = (typeof ClusterResourceState)[keyof typeof ClusterResourceState];

const RESOURCE_STATE_NAMES: Readonly<Record<ClusterResourceState, string>> = {
  [ClusterResourceState.INHERITED]: 'ClusterResourceInherited',
  [ClusterResourceState.INITIALIZING]: 'ClusterResourceInitializing',
  [ClusterResourceState.ONLINE]: 'ClusterResourceOnline',
  [ClusterResourceState.OFFLINE]: 'ClusterResourceOffline',
  [ClusterResourceState.FAILED]: 'ClusterResourceFailed',
  [ClusterResourceState.PENDING]: 'ClusterResourcePending',
  [ClusterResourceState.ONLINE_PENDING]: 'ClusterResourceOnlinePending',
  [ClusterResourceState.OFFLINE_PENDING]: 'ClusterResourceOfflinePending',
  [ClusterResourceState.UNKNOWN]: 'ClusterResourceStateUnknown',
};

/**
 * The official spelling of a resource state.
 *
 * @returns e.g. `'ClusterResourceOnlinePending'` for 0x81, or `undefined` for an undefined value.
 * @see §9.3
 */
export function clusterResourceStateSpecName(state: number): string | undefined {
  return lookup(RESOURCE_STATE_NAMES, state);
}

/**
 * `CLUSTER_NETWORK_STATE` (reference §9.4, returned by ApiGetNetworkState,
 * [MS-CMRP] §3.1.4.2.83).
 */
export const ClusterNetworkState = {
  UNAVAILABLE: 0x00000000,
  DOWN: 0x00000001,
  PARTITIONED: 0x00000002,
  UP: 0x00000003,
  UNKNOWN: 0xffffffff,
} as const;

/** Any value of {@link ClusterNetworkState}. §9.4. */
export type ClusterNetworkState = (typeof ClusterNetworkState)[keyof typeof ClusterNetworkState];

const NETWORK_STATE_NAMES: Readonly<Record<ClusterNetworkState, string>> = {
  [ClusterNetworkState.UNAVAILABLE]: 'ClusterNetworkUnavailable',
  [ClusterNetworkState.DOWN]: 'ClusterNetworkDown',
  [ClusterNetworkState.PARTITIONED]: 'ClusterNetworkPartitioned',
  [ClusterNetworkState.UP]: 'ClusterNetworkUp',
  [ClusterNetworkState.UNKNOWN]: 'ClusterNetworkStateUnknown',
};

/**
 * The official spelling of a network state.
 *
 * @returns e.g. `'ClusterNetworkPartitioned'` for 2, or `undefined` for an undefined value.
 * @see §9.4
 */
export function clusterNetworkStateSpecName(state: number): string | undefined {
  return lookup(NETWORK_STATE_NAMES, state);
}

/**
 * `CLUSTER_NETINTERFACE_STATE` as numbered by [MS-CMRP] §3.1.4.2.94 ApiGetNetInterfaceState
 * (and Samba's IDL). This is the numbering this project puts on the wire.
 *
 * The SDK header numbers the same states differently ({@link NetInterfaceStateSdkNumbering});
 * which one a real Windows server sends is unconfirmed (reference §9.5, §12 item 2). Convert
 * with {@link netInterfaceStateToSdk} / {@link netInterfaceStateFromSdk}.
 */
export const ClusterNetInterfaceState = {
  FAILED: 0x00000000,
  UNREACHABLE: 0x00000001,
  UNAVAILABLE: 0x00000002,
  UP: 0x00000003,
  UNKNOWN: 0xffffffff,
} as const;

/** Any value of {@link ClusterNetInterfaceState} (wire numbering). §9.5. */
export type ClusterNetInterfaceState =
  (typeof ClusterNetInterfaceState)[keyof typeof ClusterNetInterfaceState];

/**
 * `CLUSTER_NETINTERFACE_STATE` as numbered by `clusapi.h` / `msclus.h` (reference §9.5). The
 * SDK's `-1` for the unknown state is the DWORD 0xFFFFFFFF. Not the wire numbering; use it only
 * to talk to code written against the SDK values.
 */
export const NetInterfaceStateSdkNumbering = {
  UNAVAILABLE: 0x00000000,
  FAILED: 0x00000001,
  UNREACHABLE: 0x00000002,
  UP: 0x00000003,
  UNKNOWN: 0xffffffff,
} as const satisfies Record<keyof typeof ClusterNetInterfaceState, number>;

/** Any value of {@link NetInterfaceStateSdkNumbering}. §9.5. */
export type NetInterfaceStateSdkNumbering =
  (typeof NetInterfaceStateSdkNumbering)[keyof typeof NetInterfaceStateSdkNumbering];

// The single correspondence between the two numberings: a state is the same state in both when
// it has the same key. If the wire numbering is ever switched, only ClusterNetInterfaceState's
// values change and this stays correct.
const NET_INTERFACE_STATE_KEYS = Object.keys(
  ClusterNetInterfaceState,
) as (keyof typeof ClusterNetInterfaceState)[];

const NET_INTERFACE_STATE_TO_SDK: ReadonlyMap<number, NetInterfaceStateSdkNumbering> = new Map(
  NET_INTERFACE_STATE_KEYS.map((key) => [
    ClusterNetInterfaceState[key],
    NetInterfaceStateSdkNumbering[key],
  ]),
);

const NET_INTERFACE_STATE_FROM_SDK: ReadonlyMap<number, ClusterNetInterfaceState> = new Map(
  NET_INTERFACE_STATE_KEYS.map((key) => [
    NetInterfaceStateSdkNumbering[key],
    ClusterNetInterfaceState[key],
  ]),
);

const NET_INTERFACE_STATE_NAMES: Readonly<Record<keyof typeof ClusterNetInterfaceState, string>> = {
  FAILED: 'ClusterNetInterfaceFailed',
  UNREACHABLE: 'ClusterNetInterfaceUnreachable',
  UNAVAILABLE: 'ClusterNetInterfaceUnavailable',
  UP: 'ClusterNetInterfaceUp',
  UNKNOWN: 'ClusterNetInterfaceStateUnknown',
};

/**
 * Converts a network-interface state from the wire numbering to the SDK numbering.
 *
 * @param state - a {@link ClusterNetInterfaceState} value.
 * @returns the same state in {@link NetInterfaceStateSdkNumbering}; `undefined` only if `state`
 * is not a defined value (impossible when the argument is typed).
 * @see §9.5
 */
export function netInterfaceStateToSdk(
  state: ClusterNetInterfaceState,
): NetInterfaceStateSdkNumbering;
export function netInterfaceStateToSdk(state: number): NetInterfaceStateSdkNumbering | undefined;
export function netInterfaceStateToSdk(state: number): NetInterfaceStateSdkNumbering | undefined {
  return NET_INTERFACE_STATE_TO_SDK.get(state);
}

/**
 * Converts a network-interface state from the SDK numbering to the wire numbering.
 *
 * @param state - a {@link NetInterfaceStateSdkNumbering} value.
 * @returns the same state in {@link ClusterNetInterfaceState}; `undefined` only if `state` is not
 * a defined value (impossible when the argument is typed).
 * @see §9.5
 */
export function netInterfaceStateFromSdk(
  state: NetInterfaceStateSdkNumbering,
): ClusterNetInterfaceState;
export function netInterfaceStateFromSdk(state: number): ClusterNetInterfaceState | undefined;
export function netInterfaceStateFromSdk(state: number): ClusterNetInterfaceState | undefined {
  return NET_INTERFACE_STATE_FROM_SDK.get(state);
}

const NET_INTERFACE_STATE_WIRE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  NET_INTERFACE_STATE_KEYS.map((key) => [
    ClusterNetInterfaceState[key],
    NET_INTERFACE_STATE_NAMES[key],
  ]),
);

const NET_INTERFACE_STATE_SDK_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  NET_INTERFACE_STATE_KEYS.map((key) => [
    NetInterfaceStateSdkNumbering[key],
    NET_INTERFACE_STATE_NAMES[key],
  ]),
);

/**
 * The official spelling of a network-interface state in the wire numbering
 * ({@link ClusterNetInterfaceState}).
 *
 * @returns e.g. `'ClusterNetInterfaceFailed'` for 0, or `undefined` for an undefined value.
 * @see §9.5
 */
export function clusterNetInterfaceStateSpecName(state: number): string | undefined {
  return lookup(NET_INTERFACE_STATE_WIRE_NAMES, state);
}

/**
 * The official spelling of a network-interface state in the SDK numbering
 * ({@link NetInterfaceStateSdkNumbering}).
 *
 * @returns e.g. `'ClusterNetInterfaceUnavailable'` for 0, or `undefined` for an undefined value.
 * @see §9.5
 */
export function netInterfaceStateSdkNumberingSpecName(state: number): string | undefined {
  return lookup(NET_INTERFACE_STATE_SDK_NAMES, state);
}

/**
 * `VolumeState` of CLUSTER_SHARED_VOLUME_STATE_INFO(_EX) ([MS-CMRP] §2.2.3.29 / §2.2.3.32,
 * reference §4.5), carried by CLUSTER_CHANGE_SHARED_VOLUME_STATE_V2 payloads.
 */
export const SharedVolumeState = {
  UNAVAILABLE: 0x00000000,
  PAUSED: 0x00000001,
  ACTIVE: 0x00000002,
  ACTIVE_REDIRECTED: 0x00000003,
  ACTIVE_BLOCK_REDIRECTED: 0x00000004,
} as const;

/** Any value of {@link SharedVolumeState}. §4.5. */
export type SharedVolumeState = (typeof SharedVolumeState)[keyof typeof SharedVolumeState];

const SHARED_VOLUME_STATE_NAMES: Readonly<Record<SharedVolumeState, string>> = {
  [SharedVolumeState.UNAVAILABLE]: 'SharedVolumeStateUnavailable',
  [SharedVolumeState.PAUSED]: 'SharedVolumeStatePaused',
  [SharedVolumeState.ACTIVE]: 'SharedVolumeStateActive',
  [SharedVolumeState.ACTIVE_REDIRECTED]: 'SharedVolumeStateActiveRedirected',
  [SharedVolumeState.ACTIVE_BLOCK_REDIRECTED]: 'SharedVolumeStateActiveBlockRedirected',
};

/**
 * The official spelling of a shared-volume state.
 *
 * @returns e.g. `'SharedVolumeStateActiveRedirected'` for 3, or `undefined` for an undefined
 * value.
 * @see §4.5
 */
export function sharedVolumeStateSpecName(state: number): string | undefined {
  return lookup(SHARED_VOLUME_STATE_NAMES, state);
}
