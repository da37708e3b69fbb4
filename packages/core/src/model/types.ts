/**
 * The cluster object model: objects with state, the cluster state that holds them, the
 * commands that change it and the change records those commands produce
 * (MS-CMRP §3.1.1.1 Cluster objects; ARCHITECTURE.md "How a change flows", step 2).
 */
import type { Map as IMap } from 'immutable';
import type { PropertyMap, PropertyValue } from '@clusnotify/protocol';

export type { PropertyMap, PropertyValue };

/** Common and private properties of an object (§3.1.1.1: every object has both sets). */
export interface PropertySets {
  readonly common: PropertyMap;
  readonly private: PropertyMap;
}

/** The cluster itself. */
export interface ClusterInfo extends PropertySets {
  readonly id: string;
  readonly name: string;
  /** Id of the quorum resource, or '' when none is set. */
  readonly quorumResourceId: string;
}

/** A cluster node (§3.1.1.1.3). `state` is a ClusterNodeState value. */
export interface NodeObject extends PropertySets {
  readonly id: string;
  readonly name: string;
  readonly state: number;
  /** Bumped on every state change (docs/decisions.md D15). */
  readonly stateSequence: number;
}

/** A group (§3.1.1.1.4). `state` is derived from its resources (§3.1.4.2.46). */
export interface GroupObject extends PropertySets {
  readonly id: string;
  readonly name: string;
  /** Node that hosts the group. */
  readonly ownerNodeId: string;
  readonly state: number;
  readonly stateSequence: number;
  /** Node ids in order of preference for failover. */
  readonly preferredOwners: readonly string[];
  /** CLUSGROUP_TYPE; 0x270F (unknown) when not set. */
  readonly groupType: number;
}

/** A resource (§3.1.1.1.1). */
export interface ResourceObject extends PropertySets {
  readonly id: string;
  readonly name: string;
  readonly typeName: string;
  readonly groupId: string;
  /** A ClusterResourceState value. */
  readonly state: number;
  /** 0 at creation; bumped on every state change and group move (§3.1.4.2.10, .13, .26). */
  readonly stateSequence: number;
  /** Ids of resources (same group) this one depends on. */
  readonly dependencies: readonly string[];
  /** Node ids that may host it; empty means every node. */
  readonly possibleOwners: readonly string[];
  /** Restarts since it last came online by command or failover (restart policy). */
  readonly restartCount: number;
}

/** A resource type (§3.1.1.1.2); identified by its name. */
export interface ResourceTypeObject extends PropertySets {
  readonly name: string;
  readonly dllName: string;
  readonly possibleOwners: readonly string[];
}

/** A cluster network (§3.1.1.1.6). `state` is a ClusterNetworkState value. */
export interface NetworkObject extends PropertySets {
  readonly id: string;
  readonly name: string;
  readonly state: number;
  readonly stateSequence: number;
}

/** A network interface: one node's attachment to one network (§3.1.1.1.7). */
export interface NetInterfaceObject extends PropertySets {
  readonly id: string;
  readonly name: string;
  readonly nodeId: string;
  readonly networkId: string;
  /** A ClusterNetInterfaceState value (MS-CMRP numbering, docs/decisions.md D10). */
  readonly state: number;
  readonly stateSequence: number;
}

/** Registry value types clusnotify stores (winnt.h REG_* numbers). */
export const RegistryValueType = {
  SZ: 1,
  EXPAND_SZ: 2,
  BINARY: 3,
  DWORD: 4,
  MULTI_SZ: 7,
  QWORD: 11,
} as const;
export type RegistryValueType = (typeof RegistryValueType)[keyof typeof RegistryValueType];

/**
 * A registry value. `data`: SZ/EXPAND_SZ a string, DWORD a number, QWORD a decimal string,
 * MULTI_SZ a string list, BINARY a base64 string.
 */
export interface RegistryValue {
  readonly type: RegistryValueType;
  readonly data: string | number | readonly string[];
}

/** A key of the cluster database (§3.1.1.2). */
export interface RegistryKey {
  /** Path from the root as created (segments joined by '\'); '' is the root. */
  readonly path: string;
  readonly values: Readonly<Record<string, RegistryValue>>;
  /** Security descriptor (SDDL text). */
  readonly security: string;
}

/** Everything the model holds. Maps are persistent: an apply never changes the state it got. */
export interface ClusterState {
  readonly cluster: ClusterInfo;
  readonly nodes: IMap<string, NodeObject>;
  readonly groups: IMap<string, GroupObject>;
  readonly resources: IMap<string, ResourceObject>;
  /** Keyed by lower-case name. */
  readonly resourceTypes: IMap<string, ResourceTypeObject>;
  readonly networks: IMap<string, NetworkObject>;
  readonly netInterfaces: IMap<string, NetInterfaceObject>;
  /** Keyed by lower-case path. */
  readonly registry: IMap<string, RegistryKey>;
  /** Lower-case name → id, per kind, for lookups and uniqueness. */
  readonly names: {
    readonly node: IMap<string, string>;
    readonly group: IMap<string, string>;
    readonly resource: IMap<string, string>;
    readonly network: IMap<string, string>;
    readonly netInterface: IMap<string, string>;
  };
}

/** The object kinds the model stores; also the store's document kinds. */
export type ObjectKind =
  | 'cluster'
  | 'node'
  | 'group'
  | 'resource'
  | 'resource-type'
  | 'network'
  | 'net-interface'
  | 'registry-key';

/** Reference to one stored object (resource types by lower-case name, keys by lower-case path). */
export interface ObjectRef {
  readonly kind: ObjectKind;
  readonly id: string;
}
