/**
 * From change records to change events (reference §3.1 version-1 bits, §3.3 version-2 flags,
 * §4.6 payload table, §6.4–§6.5 names; docs/decisions.md D9, D11, D16, D17), and end to end:
 * model → commitEvents → NotificationEngine → indications.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ClusterChange as C,
  ClusterChangeClusterV2 as CV2,
  ClusterChangeFamily,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeNetInterfaceV2 as IV2,
  ClusterChangeNetworkV2 as NetV2,
  ClusterChangeNodeV2 as NodeV2,
  ClusterChangeQuorumV2 as QV2,
  ClusterChangeRegistryV2 as RegV2,
  ClusterChangeResourceTypeV2 as RTV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterGroupState as GS,
  ClusterNodeState as ND,
  ClusterObjectType as T,
  ClusterResourceState as RS,
  V2_FAMILIES,
  clusterChangeSpecName,
  decodeDword,
  decodeMultiSz,
  decodePropertyList,
  decodeUtf16z,
  v2FlagSpecName,
} from '@clusnotify/protocol';
import type { IndicationV1, IndicationV2, PropertyValue } from '@clusnotify/protocol';
import {
  ManualClock,
  NotificationEngine,
  EVENTS_V1,
  EVENTS_V2,
  changeEvents,
  commitEvents,
  renderEventsTable,
} from '@clusnotify/core';
import type { Change, ChangeEvent, ChangeType, ClusterState, Command } from '@clusnotify/core';
import { empty, guids, named, ok, run } from './model-helpers.js';

const id = guids(0x100);
const NODE = id();
const NODE2 = id();
const GROUP = id();
const GROUP2 = id();
const RES = id();
const RES2 = id();
const RES3 = id();
const NET = id();
const NETIF = id();
const REV = 42;

type Payload =
  | { readonly empty: true }
  | { readonly dword: number }
  | { readonly utf16: string }
  | { readonly multiSz: readonly string[] }
  | { readonly props: Readonly<Record<string, PropertyValue>> };

interface V1 {
  readonly change: number;
  readonly objectId: string;
  readonly name: string;
  readonly stateSequence: number;
  readonly keyPath?: string;
}
interface V2 {
  readonly objectType: number;
  readonly flag: number;
  readonly targetId: string;
  readonly objectId: string;
  readonly parentId: string;
  readonly name: string;
  readonly type: string;
  readonly payload: Payload;
  readonly keyPath?: string;
}

const EMPTY: Payload = { empty: true };

/** The §4.6 table, per change record: one sample record and the events it must give. */
const TABLE: Record<ChangeType, { record: Change; v1: V1[]; v2: V2[] }> = {
  'cluster-renamed': {
    record: { type: 'cluster-renamed', name: 'PROD', previousName: 'TEST' },
    v1: [{ change: C.CLUSTER_PROPERTY, objectId: '', name: 'PROD', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.RENAME,
        targetId: '',
        objectId: '',
        parentId: '',
        name: 'PROD',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'cluster-properties': {
    record: {
      type: 'cluster-properties',
      clusterName: 'PROD',
      scope: 'common',
      changed: { Description: 'd', Level: -3, Owners: ['a', 'b'], Count: 7 },
      removed: ['Old'],
    },
    v1: [{ change: C.CLUSTER_PROPERTY, objectId: '', name: 'PROD', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.COMMON_PROPERTY,
        targetId: '',
        objectId: '',
        parentId: '',
        name: '',
        type: '',
        payload: { props: { Description: 'd', Level: -3, Owners: ['a', 'b'], Count: 7 } },
      },
    ],
  },
  'quorum-state': {
    record: {
      type: 'quorum-state',
      clusterName: 'PROD',
      resourceId: RES,
      name: 'Witness',
      state: RS.ONLINE,
    },
    v1: [{ change: C.QUORUM_STATE, objectId: '', name: 'Witness', stateSequence: 0 }],
    v2: [
      {
        objectType: T.QUORUM,
        flag: QV2.STATE,
        targetId: '',
        objectId: RES,
        parentId: '',
        name: 'Witness',
        type: '',
        payload: { dword: RS.ONLINE },
      },
    ],
  },
  'node-added': {
    record: { type: 'node-added', id: NODE, name: 'N1', state: ND.UP, stateSequence: 0 },
    v1: [{ change: C.NODE_ADDED, objectId: NODE, name: 'N1', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.NODE_ADDED,
        targetId: '',
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { dword: ND.UP },
      },
    ],
  },
  'node-deleted': {
    record: { type: 'node-deleted', id: NODE, name: 'N1', state: ND.DOWN, stateSequence: 5 },
    v1: [{ change: C.NODE_DELETED, objectId: NODE, name: 'N1', stateSequence: 5 }],
    v2: [
      {
        objectType: T.NODE,
        flag: NodeV2.DELETED,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { dword: ND.DOWN },
      },
    ],
  },
  'node-state': {
    record: {
      type: 'node-state',
      id: NODE,
      name: 'N1',
      from: ND.UP,
      to: ND.PAUSED,
      stateSequence: 6,
    },
    v1: [{ change: C.NODE_STATE, objectId: NODE, name: 'N1', stateSequence: 6 }],
    v2: [
      {
        objectType: T.NODE,
        flag: NodeV2.STATE,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { dword: ND.PAUSED },
      },
    ],
  },
  'node-properties': {
    record: {
      type: 'node-properties',
      id: NODE,
      name: 'N1',
      scope: 'private',
      changed: { Weight: 3 },
      removed: [],
      stateSequence: 6,
    },
    v1: [{ change: C.NODE_PROPERTY, objectId: NODE, name: 'N1', stateSequence: 6 }],
    v2: [
      {
        objectType: T.NODE,
        flag: NodeV2.PRIVATE_PROPERTY,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { props: { Weight: 3 } },
      },
    ],
  },
  'group-added': {
    record: {
      type: 'group-added',
      id: GROUP,
      name: 'G',
      ownerNodeId: NODE,
      ownerNodeName: 'N1',
      groupType: 0x270f,
      stateSequence: 0,
    },
    v1: [{ change: C.GROUP_ADDED, objectId: GROUP, name: 'G', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.GROUP_ADDED,
        targetId: '',
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { dword: 0x270f },
      },
      {
        objectType: T.NODE,
        flag: NodeV2.GROUP_GAINED,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { utf16: GROUP },
      },
    ],
  },
  'group-deleted': {
    record: {
      type: 'group-deleted',
      id: GROUP,
      name: 'G',
      ownerNodeId: NODE,
      ownerNodeName: 'N1',
      stateSequence: 4,
    },
    v1: [{ change: C.GROUP_DELETED, objectId: GROUP, name: 'G', stateSequence: 4 }],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.DELETED,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: EMPTY,
      },
      {
        objectType: T.NODE,
        flag: NodeV2.GROUP_LOST,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { utf16: GROUP },
      },
    ],
  },
  'group-state': {
    record: {
      type: 'group-state',
      id: GROUP,
      name: 'G',
      ownerNodeId: NODE,
      from: GS.OFFLINE,
      to: GS.PENDING,
      stateSequence: 9,
    },
    v1: [{ change: C.GROUP_STATE, objectId: GROUP, name: 'G', stateSequence: 9 }],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.STATE,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { dword: GS.PENDING },
      },
    ],
  },
  'group-owner': {
    record: {
      type: 'group-owner',
      id: GROUP,
      name: 'G',
      from: NODE,
      fromName: 'N1',
      to: NODE2,
      toName: 'N2',
      stateSequence: 9,
    },
    v1: [{ change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G', stateSequence: 9 }],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.OWNER_NODE,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE2,
        name: 'G',
        type: '',
        payload: { utf16: NODE2 },
      },
      {
        objectType: T.NODE,
        flag: NodeV2.GROUP_LOST,
        targetId: NODE,
        objectId: NODE,
        parentId: '',
        name: 'N1',
        type: '',
        payload: { utf16: GROUP },
      },
      {
        objectType: T.NODE,
        flag: NodeV2.GROUP_GAINED,
        targetId: NODE2,
        objectId: NODE2,
        parentId: '',
        name: 'N2',
        type: '',
        payload: { utf16: GROUP },
      },
    ],
  },
  'group-preferred-owners': {
    record: {
      type: 'group-preferred-owners',
      id: GROUP,
      name: 'G',
      ownerNodeId: NODE,
      owners: [NODE2, NODE],
      stateSequence: 9,
    },
    v1: [{ change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G', stateSequence: 9 }],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.PREFERRED_OWNERS,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { multiSz: [NODE2, NODE] },
      },
    ],
  },
  'group-properties': {
    record: {
      type: 'group-properties',
      id: GROUP,
      name: 'G2',
      ownerNodeId: NODE,
      scope: 'common',
      changed: { Name: 'G2' },
      removed: [],
      stateSequence: 9,
    },
    v1: [{ change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G2', stateSequence: 9 }],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.COMMON_PROPERTY,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G2',
        type: '',
        payload: { props: { Name: 'G2' } },
      },
    ],
  },
  'resource-added': {
    record: {
      type: 'resource-added',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      groupName: 'G',
      ownerNodeId: NODE,
      groupStateSequence: 9,
      stateSequence: 0,
    },
    v1: [
      { change: C.RESOURCE_ADDED, objectId: RES, name: 'R', stateSequence: 0 },
      { change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G', stateSequence: 9 },
    ],
    v2: [
      {
        objectType: T.GROUP,
        flag: GV2.RESOURCE_ADDED,
        targetId: GROUP,
        objectId: RES,
        parentId: NODE,
        name: 'R',
        type: '',
        payload: { utf16: GROUP },
      },
      {
        objectType: T.GROUP,
        flag: GV2.RESOURCE_GAINED,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { utf16: RES },
      },
    ],
  },
  'resource-deleted': {
    record: {
      type: 'resource-deleted',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      groupName: 'G',
      ownerNodeId: NODE,
      groupStateSequence: 9,
      stateSequence: 4,
    },
    v1: [
      { change: C.RESOURCE_DELETED, objectId: RES, name: 'R', stateSequence: 4 },
      { change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G', stateSequence: 9 },
    ],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.DELETED,
        targetId: RES,
        objectId: RES,
        parentId: GROUP,
        name: 'R',
        type: 'Physical Disk',
        payload: { utf16: GROUP },
      },
      {
        objectType: T.GROUP,
        flag: GV2.RESOURCE_LOST,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { utf16: RES },
      },
    ],
  },
  'resource-state': {
    record: {
      type: 'resource-state',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      from: RS.OFFLINE,
      to: RS.ONLINE_PENDING,
      stateSequence: 3,
    },
    v1: [{ change: C.RESOURCE_STATE, objectId: RES, name: 'R', stateSequence: 3 }],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.STATE,
        targetId: RES,
        objectId: RES,
        parentId: GROUP,
        name: 'R',
        type: 'Physical Disk',
        payload: { dword: RS.ONLINE_PENDING },
      },
    ],
  },
  'resource-group': {
    record: {
      type: 'resource-group',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      fromGroupId: GROUP,
      fromGroupName: 'G',
      fromOwnerNodeId: NODE,
      toGroupId: GROUP2,
      toGroupName: 'H',
      toOwnerNodeId: NODE2,
      fromGroupStateSequence: 8,
      toGroupStateSequence: 2,
      stateSequence: 4,
    },
    v1: [
      { change: C.RESOURCE_PROPERTY, objectId: RES, name: 'R', stateSequence: 4 },
      { change: C.GROUP_PROPERTY, objectId: GROUP, name: 'G', stateSequence: 8 },
      { change: C.GROUP_PROPERTY, objectId: GROUP2, name: 'H', stateSequence: 2 },
    ],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.OWNER_GROUP,
        targetId: RES,
        objectId: RES,
        parentId: GROUP2,
        name: 'R',
        type: 'Physical Disk',
        payload: { utf16: GROUP2 },
      },
      {
        objectType: T.GROUP,
        flag: GV2.RESOURCE_LOST,
        targetId: GROUP,
        objectId: GROUP,
        parentId: NODE,
        name: 'G',
        type: '',
        payload: { utf16: RES },
      },
      {
        objectType: T.GROUP,
        flag: GV2.RESOURCE_GAINED,
        targetId: GROUP2,
        objectId: GROUP2,
        parentId: NODE2,
        name: 'H',
        type: '',
        payload: { utf16: RES },
      },
    ],
  },
  'resource-properties': {
    record: {
      type: 'resource-properties',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      scope: 'common',
      changed: { RestartAction: 1, RestartThreshold: 3 },
      removed: [],
      stateSequence: 4,
    },
    v1: [{ change: C.RESOURCE_PROPERTY, objectId: RES, name: 'R', stateSequence: 4 }],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.COMMON_PROPERTY,
        targetId: RES,
        objectId: RES,
        parentId: GROUP,
        name: 'R',
        type: 'Physical Disk',
        payload: { props: { RestartAction: 1, RestartThreshold: 3 } },
      },
    ],
  },
  'resource-dependencies': {
    record: {
      type: 'resource-dependencies',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      dependencies: [RES2, RES3],
      expression: '[R2] and [R3]',
      stateSequence: 4,
    },
    v1: [{ change: C.RESOURCE_PROPERTY, objectId: RES, name: 'R', stateSequence: 4 }],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.DEPENDENCIES,
        targetId: RES,
        objectId: RES,
        parentId: GROUP,
        name: 'R',
        type: 'Physical Disk',
        payload: { utf16: '[R2] and [R3]' },
      },
    ],
  },
  'resource-dependents': {
    record: {
      type: 'resource-dependents',
      id: RES2,
      name: 'R2',
      typeName: 'IP Address',
      groupId: GROUP,
      dependents: [RES, RES3],
      stateSequence: 1,
    },
    v1: [],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.DEPENDENTS,
        targetId: RES2,
        objectId: RES2,
        parentId: GROUP,
        name: 'R2',
        type: 'IP Address',
        payload: { multiSz: [RES, RES3] },
      },
    ],
  },
  'resource-possible-owners': {
    record: {
      type: 'resource-possible-owners',
      id: RES,
      name: 'R',
      typeName: 'Physical Disk',
      groupId: GROUP,
      owners: [],
      stateSequence: 4,
    },
    v1: [{ change: C.RESOURCE_PROPERTY, objectId: RES, name: 'R', stateSequence: 4 }],
    v2: [
      {
        objectType: T.RESOURCE,
        flag: ResV2.POSSIBLE_OWNERS,
        targetId: RES,
        objectId: RES,
        parentId: GROUP,
        name: 'R',
        type: 'Physical Disk',
        payload: { multiSz: [] },
      },
    ],
  },
  'restype-added': {
    record: { type: 'restype-added', name: 'Physical Disk' },
    v1: [{ change: C.RESOURCE_TYPE_ADDED, objectId: '', name: 'Physical Disk', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.RESOURCE_TYPE_ADDED,
        targetId: '',
        objectId: '',
        parentId: '',
        name: 'Physical Disk',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'restype-deleted': {
    record: { type: 'restype-deleted', name: 'Physical Disk' },
    v1: [
      { change: C.RESOURCE_TYPE_DELETED, objectId: '', name: 'Physical Disk', stateSequence: 0 },
    ],
    v2: [
      {
        objectType: T.RESOURCE_TYPE,
        flag: RTV2.DELETED,
        targetId: 'Physical Disk',
        objectId: '',
        parentId: '',
        name: 'Physical Disk',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'restype-properties': {
    record: {
      type: 'restype-properties',
      name: 'Physical Disk',
      scope: 'private',
      changed: { Secret: 'x' },
      removed: [],
    },
    v1: [
      { change: C.RESOURCE_TYPE_PROPERTY, objectId: '', name: 'Physical Disk', stateSequence: 0 },
    ],
    v2: [
      {
        objectType: T.RESOURCE_TYPE,
        flag: RTV2.PRIVATE_PROPERTY,
        targetId: 'Physical Disk',
        objectId: '',
        parentId: '',
        name: 'Physical Disk',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'network-added': {
    record: { type: 'network-added', id: NET, name: 'Net', stateSequence: 0 },
    v1: [{ change: C.NETWORK_ADDED, objectId: NET, name: 'Net', stateSequence: 0 }],
    v2: [
      {
        objectType: T.CLUSTER,
        flag: CV2.NETWORK_ADDED,
        targetId: '',
        objectId: NET,
        parentId: '',
        name: 'Net',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'network-deleted': {
    record: { type: 'network-deleted', id: NET, name: 'Net', stateSequence: 3 },
    v1: [{ change: C.NETWORK_DELETED, objectId: NET, name: 'Net', stateSequence: 3 }],
    v2: [
      {
        objectType: T.NETWORK,
        flag: NetV2.DELETED,
        targetId: NET,
        objectId: NET,
        parentId: '',
        name: 'Net',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'network-state': {
    record: { type: 'network-state', id: NET, name: 'Net', from: 3, to: 2, stateSequence: 3 },
    v1: [{ change: C.NETWORK_STATE, objectId: NET, name: 'Net', stateSequence: 3 }],
    v2: [
      {
        objectType: T.NETWORK,
        flag: NetV2.STATE,
        targetId: NET,
        objectId: NET,
        parentId: '',
        name: 'Net',
        type: '',
        payload: { dword: 2 },
      },
    ],
  },
  'network-properties': {
    record: {
      type: 'network-properties',
      id: NET,
      name: 'Net',
      scope: 'common',
      changed: { Role: 1 },
      removed: [],
      stateSequence: 3,
    },
    v1: [{ change: C.NETWORK_PROPERTY, objectId: NET, name: 'Net', stateSequence: 3 }],
    v2: [
      {
        objectType: T.NETWORK,
        flag: NetV2.COMMON_PROPERTY,
        targetId: NET,
        objectId: NET,
        parentId: '',
        name: 'Net',
        type: '',
        payload: { props: { Role: 1 } },
      },
    ],
  },
  'netif-added': {
    record: {
      type: 'netif-added',
      id: NETIF,
      name: 'N1 - Net',
      nodeId: NODE,
      nodeName: 'N1',
      networkId: NET,
      stateSequence: 0,
    },
    v1: [{ change: C.NETINTERFACE_ADDED, objectId: NETIF, name: 'N1 - Net', stateSequence: 0 }],
    v2: [
      {
        objectType: T.NODE,
        flag: NodeV2.NETINTERFACE_ADDED,
        targetId: NODE,
        objectId: NETIF,
        parentId: '',
        name: 'N1 - Net',
        type: '',
        payload: { utf16: NODE },
      },
    ],
  },
  'netif-deleted': {
    record: { type: 'netif-deleted', id: NETIF, name: 'N1 - Net', nodeId: NODE, stateSequence: 2 },
    v1: [{ change: C.NETINTERFACE_DELETED, objectId: NETIF, name: 'N1 - Net', stateSequence: 2 }],
    v2: [
      {
        objectType: T.NETWORK_INTERFACE,
        flag: IV2.DELETED,
        targetId: NETIF,
        objectId: NETIF,
        parentId: NODE,
        name: 'N1 - Net',
        type: '',
        payload: EMPTY,
      },
    ],
  },
  'netif-state': {
    record: {
      type: 'netif-state',
      id: NETIF,
      name: 'N1 - Net',
      nodeId: NODE,
      from: 3,
      to: 2,
      stateSequence: 2,
    },
    v1: [{ change: C.NETINTERFACE_STATE, objectId: NETIF, name: 'N1 - Net', stateSequence: 2 }],
    v2: [
      {
        objectType: T.NETWORK_INTERFACE,
        flag: IV2.STATE,
        targetId: NETIF,
        objectId: NETIF,
        parentId: NODE,
        name: 'N1 - Net',
        type: '',
        payload: { dword: 2 },
      },
    ],
  },
  'netif-properties': {
    record: {
      type: 'netif-properties',
      id: NETIF,
      name: 'N1 - Net',
      nodeId: NODE,
      scope: 'private',
      changed: { Adapter: 'eth0' },
      removed: ['Old'],
      stateSequence: 2,
    },
    v1: [{ change: C.NETINTERFACE_PROPERTY, objectId: NETIF, name: 'N1 - Net', stateSequence: 2 }],
    v2: [
      {
        objectType: T.NETWORK_INTERFACE,
        flag: IV2.PRIVATE_PROPERTY,
        targetId: NETIF,
        objectId: NETIF,
        parentId: NODE,
        name: 'N1 - Net',
        type: '',
        payload: { props: { Adapter: 'eth0' } },
      },
    ],
  },
  'key-created': {
    record: { type: 'key-created', path: 'A\\B' },
    v1: [{ change: C.REGISTRY_NAME, objectId: '', name: '', stateSequence: 0, keyPath: 'A\\B' }],
    v2: [
      {
        objectType: T.REGISTRY,
        flag: RegV2.NAME,
        targetId: '',
        objectId: '',
        parentId: '',
        name: '',
        type: '',
        payload: EMPTY,
        keyPath: 'A\\B',
      },
    ],
  },
  'key-deleted': {
    record: { type: 'key-deleted', path: 'A\\B' },
    v1: [{ change: C.REGISTRY_NAME, objectId: '', name: '', stateSequence: 0, keyPath: 'A\\B' }],
    v2: [
      {
        objectType: T.REGISTRY,
        flag: RegV2.NAME,
        targetId: '',
        objectId: '',
        parentId: '',
        name: '',
        type: '',
        payload: EMPTY,
        keyPath: 'A\\B',
      },
    ],
  },
  'value-set': {
    record: { type: 'value-set', path: 'A', name: 'V' },
    v1: [{ change: C.REGISTRY_VALUE, objectId: '', name: '', stateSequence: 0, keyPath: 'A' }],
    v2: [
      {
        objectType: T.REGISTRY,
        flag: RegV2.VALUE,
        targetId: '',
        objectId: 'V',
        parentId: '',
        name: '',
        type: '',
        payload: EMPTY,
        keyPath: 'A',
      },
    ],
  },
  'value-deleted': {
    record: { type: 'value-deleted', path: '', name: 'V' },
    v1: [{ change: C.REGISTRY_VALUE, objectId: '', name: '', stateSequence: 0, keyPath: '' }],
    v2: [
      {
        objectType: T.REGISTRY,
        flag: RegV2.VALUE,
        targetId: '',
        objectId: 'V',
        parentId: '',
        name: '',
        type: '',
        payload: EMPTY,
        keyPath: '',
      },
    ],
  },
  'key-security': {
    record: { type: 'key-security', path: 'A' },
    v1: [{ change: C.REGISTRY_ATTRIBUTES, objectId: '', name: '', stateSequence: 0, keyPath: 'A' }],
    v2: [
      {
        objectType: T.REGISTRY,
        flag: RegV2.ATTRIBUTES,
        targetId: '',
        objectId: '',
        parentId: '',
        name: '',
        type: '',
        payload: EMPTY,
        keyPath: 'A',
      },
    ],
  },
};

/** The payload of `buffer` decoded the way `want` says it is encoded. */
function decoded(want: Payload, buffer: Uint8Array): Payload {
  if ('empty' in want) {
    assert.equal(buffer.length, 0, 'an empty payload');
    return want;
  }
  if ('dword' in want) return { dword: decodeDword(buffer) };
  if ('utf16' in want) return { utf16: decodeUtf16z(buffer) };
  if ('multiSz' in want) return { multiSz: decodeMultiSz(buffer) };
  return { props: decodePropertyList(buffer) };
}

/** A property-change record with its scope replaced. */
function withScope(c: Change, scope: 'common' | 'private'): Change {
  if (!('scope' in c)) throw new Error(`${c.type} has no scope`);
  return { ...c, scope };
}

const bitName = (e: ChangeEvent): string =>
  e.version === 1
    ? (clusterChangeSpecName(e.change) ?? '?')
    : (v2FlagSpecName(e.objectType, e.flag) ?? '?');

describe('change records → version-1 bits and version-2 payloads (§3.1, §4.6, D16, D17)', () => {
  for (const [type, { record, v1, v2 }] of Object.entries(TABLE)) {
    const events = changeEvents(record, REV);
    const names = events.map(bitName).join(', ');
    test(`${type} raises ${names} as the §4.6 table prescribes`, () => {
      assert.equal(record.type, type);
      const got1 = events.filter((e) => e.version === 1);
      const got2 = events.filter((e) => e.version === 2);
      assert.deepEqual(
        events.map((e) => e.version),
        [...v1.map(() => 1), ...v2.map(() => 2)],
        'version-1 events come first',
      );
      assert.deepEqual(
        got1.map((e) => ({ ...e })),
        v1.map((w) => ({ version: 1, revision: REV, keyPath: '', ...w })),
      );
      assert.equal(got2.length, v2.length);
      got2.forEach((e, i) => {
        const w = v2[i] as V2;
        const { payload, ...fields } = w;
        assert.deepEqual(
          {
            objectType: e.objectType,
            flag: e.flag,
            targetId: e.targetId,
            objectId: e.objectId,
            parentId: e.parentId,
            name: e.name,
            type: e.type,
            keyPath: e.keyPath,
            revision: e.revision,
          },
          { keyPath: '', revision: REV, ...fields },
          `v2 event ${i} (${bitName(e)})`,
        );
        assert.deepEqual(decoded(payload, e.buffer), payload, `payload of ${bitName(e)}`);
      });
    });
  }

  test('every event carries one defined, server-side bit of its family (§3.1, §3.3, §6.1 item 5)', () => {
    for (const { record } of Object.values(TABLE)) {
      for (const e of changeEvents(record, REV)) {
        if (e.version === 1) {
          assert.ok(clusterChangeSpecName(e.change) !== undefined, record.type);
          assert.equal(e.change & ClusterChangeFamily.CLIENT_ONLY, 0, record.type);
          assert.notEqual(e.change, C.REGISTRY_SUBTREE);
        } else {
          const family = V2_FAMILIES[e.objectType as keyof typeof V2_FAMILIES];
          assert.ok(family !== undefined, record.type);
          assert.ok(v2FlagSpecName(e.objectType, e.flag) !== undefined, record.type);
          assert.equal(e.flag & (family.clientOnly | family.modifier), 0, record.type);
        }
      }
    }
  });

  test('property changes in the private scope raise *_PRIVATE_PROPERTY_V2; resources and resource types send no payload there (§4.6 ⚠️)', () => {
    const common = changeEvents(withScope(TABLE['node-properties'].record, 'common'), 1);
    assert.equal((common[1] as { flag: number }).flag, NodeV2.COMMON_PROPERTY);
    const res = changeEvents(withScope(TABLE['resource-properties'].record, 'private'), 1);
    assert.equal((res[1] as { flag: number }).flag, ResV2.PRIVATE_PROPERTY);
    assert.equal((res[1] as { buffer: Uint8Array }).buffer.length, 0);
    const rt = changeEvents(withScope(TABLE['restype-properties'].record, 'common'), 1);
    assert.equal((rt[1] as { flag: number }).flag, RTV2.COMMON_PROPERTY);
    assert.deepEqual(decodePropertyList((rt[1] as { buffer: Uint8Array }).buffer), { Secret: 'x' });
  });

  test('commitEvents concatenates the events of every record of a commit, in order, at the commit revision', () => {
    const records = [TABLE['node-state'].record, TABLE['key-created'].record];
    const events = commitEvents(records, 7);
    assert.deepEqual(events, [
      ...changeEvents(records[0] as Change, 7),
      ...changeEvents(records[1] as Change, 7),
    ]);
    assert.ok(events.every((e) => e.revision === 7));
    assert.deepEqual(commitEvents([], 7), []);
  });

  test('commitEvents with a mask of versions makes exactly the events of those versions, in order', () => {
    const records = Object.values(TABLE).map((t) => t.record);
    const all = commitEvents(records, 7);
    assert.deepEqual(commitEvents(records, 7, EVENTS_V1 | EVENTS_V2), all);
    assert.deepEqual(
      commitEvents(records, 7, EVENTS_V1),
      all.filter((e) => e.version === 1),
    );
    assert.deepEqual(
      commitEvents(records, 7, EVENTS_V2),
      all.filter((e) => e.version === 2),
    );
    assert.deepEqual(commitEvents(records, 7, 0), []);
    assert.ok(all.some((e) => e.version === 1) && all.some((e) => e.version === 2));
  });

  test('the events of real commands decode as the table says (empty strings, never null; D11)', () => {
    const newId = guids();
    const { changes } = run(empty(), [
      { type: 'node.create', id: newId(), name: 'N1' },
      { type: 'group.create', id: newId(), name: 'G' },
      { type: 'restype.create', name: 'Disk', dllName: 'd.dll' },
      { type: 'resource.create', id: newId(), name: 'R', resourceType: 'Disk', group: 'G' },
      { type: 'group.online', group: 'G' },
      { type: 'key.create', path: 'K' },
    ]);
    for (const e of commitEvents(changes, 1)) {
      if (e.version === 2) {
        for (const s of [e.objectId, e.parentId, e.name, e.type, e.targetId, e.keyPath]) {
          assert.equal(typeof s, 'string');
        }
        assert.ok(e.buffer instanceof Uint8Array);
      } else {
        assert.equal(typeof e.name, 'string');
      }
    }
  });
});

describe('docs/events.md', () => {
  test('docs/events.md is the rendering of the event mapping (run npm run docs:events after a change)', () => {
    const page = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');
    assert.equal(page, renderEventsTable());
  });

  test('the rendered table has one row per change record and per command type', () => {
    const page = renderEventsTable();
    for (const type of Object.keys(TABLE)) assert.ok(page.includes(`| \`${type}\` |`), type);
    assert.ok(
      page.includes(
        '| `resource.fail` | `resource-state`, `group-state`, `quorum-state`, `group-owner` |',
      ),
    );
    assert.ok(page.includes('`CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2`: target `groupId`'));
  });
});

describe('end to end: model → commitEvents → NotificationEngine (§3.1.4.2.58–66, §3.1.4.2.137–138)', () => {
  /** Nodes N1, N2; group Web (was G) on N1 with resource R online; keys Parameters\Settings and Other. */
  function setup(): { state: ClusterState; n1: string; n2: string; g: string; r2: string } {
    const newId = guids();
    const n1 = newId();
    const n2 = newId();
    const g = newId();
    const { state } = run(empty(), [
      { type: 'node.create', id: n1, name: 'N1' },
      { type: 'node.create', id: n2, name: 'N2' },
      { type: 'restype.create', name: 'Disk', dllName: 'd.dll' },
      { type: 'group.create', id: g, name: 'G', node: 'N1', preferredOwners: ['N1', 'N2'] },
      { type: 'resource.create', id: newId(), name: 'R', resourceType: 'Disk', group: 'G' },
      { type: 'group.online', group: 'G' },
      { type: 'key.create', path: 'Parameters\\Settings' },
    ]);
    return { state, n1, n2, g, r2: newId() };
  }

  test('v1 cluster, per-object and key filters and v2 filters receive what the commits raise, with current names and relative key paths', () => {
    const { state, n1, n2, g, r2 } = setup();
    const engine = new NotificationEngine({ clock: new ManualClock(), clusterName: 'CLUSTER1' });
    const p1 = engine.createPort(1);
    const p2 = engine.createPort(2);
    assert.ok(p1.type === 'ok' && p2.type === 'ok');
    const h1 = p1.handle;
    const h2 = p2.handle;
    const added = [
      engine.addClusterFilter(h1, {
        filter: C.RESOURCE_ADDED | C.GROUP_ADDED | C.CLUSTER_PROPERTY,
        notifyKey: 1,
      }),
      engine.addObjectFilter(h1, {
        objectType: T.GROUP,
        objectId: g,
        filter: C.GROUP_STATE | C.GROUP_PROPERTY,
        notifyKey: 2,
      }),
      engine.addKeyFilter(h1, {
        keyPath: 'Parameters',
        filter: C.REGISTRY_NAME | C.REGISTRY_VALUE,
        watchSubtree: true,
        notifyKey: 3,
      }),
      engine.addFilterV2(h2, {
        objectType: T.GROUP,
        filterFlags:
          GV2.STATE |
          GV2.OWNER_NODE |
          GV2.RESOURCE_ADDED |
          GV2.RESOURCE_GAINED |
          GV2.COMMON_PROPERTY,
        notifyKey: 10,
        target: g,
      }),
      engine.addFilterV2(h2, {
        objectType: T.NODE,
        filterFlags: NodeV2.GROUP_GAINED | NodeV2.GROUP_LOST,
        notifyKey: 11,
      }),
      engine.addFilterV2(h2, {
        objectType: T.REGISTRY,
        filterFlags: RegV2.NAME | RegV2.VALUE | RegV2.SUBTREE,
        notifyKey: 12,
        target: 'Parameters',
      }),
    ];
    for (const a of added) assert.equal(a.status, 0, JSON.stringify(a));

    const commands: Command[] = [
      { type: 'group.rename', group: 'G', name: 'Web' },
      { type: 'group.move', group: 'Web', node: 'N2' },
      {
        type: 'value.set',
        path: 'Parameters\\Settings',
        name: 'X',
        value: { type: 4, data: 1 },
      },
      { type: 'key.create', path: 'parameters\\settings\\Deep' },
      { type: 'key.create', path: 'Other' },
      { type: 'resource.create', id: r2, name: 'R2', resourceType: 'Disk', group: 'Web' },
    ];
    let s = state;
    commands.forEach((c, i) => {
      const r = ok(s, c);
      engine.publish(commitEvents(r.changes, i + 1));
      s = r.state;
    });
    const seq0 = named(state.groups, 'G').stateSequence;
    assert.equal(seq0, 2);

    const t1 = engine.takeNow(h1, 1000);
    assert.equal(t1.type, 'indications');
    const got1 = (t1.type === 'indications' ? t1.indications : []) as IndicationV1[];
    assert.deepEqual(
      got1.map((i) => [
        i.revision,
        i.notifyKey,
        clusterChangeSpecName(i.filter),
        i.name,
        i.stateSequence,
      ]),
      [
        [1, 2, 'CLUSTER_CHANGE_GROUP_PROPERTY', 'Web', 2],
        [2, 2, 'CLUSTER_CHANGE_GROUP_STATE', 'Web', 3],
        [2, 2, 'CLUSTER_CHANGE_GROUP_STATE', 'Web', 4],
        [2, 2, 'CLUSTER_CHANGE_GROUP_PROPERTY', 'Web', 4],
        [2, 2, 'CLUSTER_CHANGE_GROUP_STATE', 'Web', 5],
        [2, 2, 'CLUSTER_CHANGE_GROUP_STATE', 'Web', 6],
        [3, 3, 'CLUSTER_CHANGE_REGISTRY_VALUE', 'Settings', 0],
        [4, 3, 'CLUSTER_CHANGE_REGISTRY_NAME', 'Settings\\Deep', 0],
        [6, 1, 'CLUSTER_CHANGE_RESOURCE_ADDED', 'R2', 0],
        [6, 2, 'CLUSTER_CHANGE_GROUP_PROPERTY', 'Web', 6],
        [6, 2, 'CLUSTER_CHANGE_GROUP_STATE', 'Web', 7],
      ],
    );
    assert.equal(
      named(s.groups, 'Web').stateSequence,
      7,
      'the last indication carries the current sequence',
    );

    const t2 = engine.takeNow(h2, 1000);
    const got2 = (t2.type === 'indications' ? t2.indications : []) as IndicationV2[];
    const row = (i: IndicationV2): unknown[] => {
      const flag = v2FlagSpecName(i.filterAndType.objectType, i.filterAndType.filterFlags);
      const b = i.buffer;
      const payload =
        b.length === 0
          ? ''
          : b.length === 4
            ? decodeDword(b)
            : flag?.includes('COMMON_PROPERTY')
              ? decodePropertyList(b)
              : decodeUtf16z(b);
      return [i.revision, i.notifyKey, flag, i.objectId, i.parentId, i.name, payload];
    };
    assert.deepEqual(got2.map(row), [
      [1, 10, 'CLUSTER_CHANGE_GROUP_COMMON_PROPERTY_V2', g, n1, 'Web', { Name: 'Web' }],
      [2, 10, 'CLUSTER_CHANGE_GROUP_STATE_V2', g, n1, 'Web', GS.PENDING],
      [2, 10, 'CLUSTER_CHANGE_GROUP_STATE_V2', g, n1, 'Web', GS.OFFLINE],
      [2, 10, 'CLUSTER_CHANGE_GROUP_OWNER_NODE_V2', g, n2, 'Web', n2],
      [2, 11, 'CLUSTER_CHANGE_NODE_GROUP_LOST_V2', n1, '', 'N1', g],
      [2, 11, 'CLUSTER_CHANGE_NODE_GROUP_GAINED_V2', n2, '', 'N2', g],
      [2, 10, 'CLUSTER_CHANGE_GROUP_STATE_V2', g, n2, 'Web', GS.PENDING],
      [2, 10, 'CLUSTER_CHANGE_GROUP_STATE_V2', g, n2, 'Web', GS.ONLINE],
      [3, 12, 'CLUSTER_CHANGE_REGISTRY_VALUE_V2', 'X', '', 'Settings', ''],
      [4, 12, 'CLUSTER_CHANGE_REGISTRY_NAME_V2', '', '', 'Settings\\Deep', ''],
      [6, 10, 'CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2', r2, n2, 'R2', g],
      [6, 10, 'CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2', g, n2, 'Web', r2],
      [6, 10, 'CLUSTER_CHANGE_GROUP_STATE_V2', g, n2, 'Web', GS.PARTIAL_ONLINE],
    ]);
  });

  test("a new group that reuses a deleted group's name does not match the old per-object filter (D4)", () => {
    const newId = guids(0x900);
    const { state, n1 } = setup();
    const fresh = newId();
    const engine = new NotificationEngine({ clock: new ManualClock(), clusterName: 'CLUSTER1' });
    const p = engine.createPort(1);
    assert.ok(p.type === 'ok');
    const gid = named(state.groups, 'G').id;
    engine.addObjectFilter(p.handle, {
      objectType: T.GROUP,
      objectId: gid,
      filter: C.GROUP_DELETED | C.GROUP_ADDED | C.GROUP_PROPERTY,
      notifyKey: 5,
    });
    let s = state;
    let rev = 0;
    for (const c of [
      { type: 'group.offline', group: 'G' },
      { type: 'resource.delete', resource: 'R' },
      { type: 'group.delete', group: 'G' },
      { type: 'group.create', id: fresh, name: 'G', node: n1 },
      { type: 'group.rename', group: 'G', name: 'G2' },
    ] as Command[]) {
      const r = ok(s, c);
      engine.publish(commitEvents(r.changes, ++rev));
      s = r.state;
    }
    const t = engine.takeNow(p.handle, 100);
    const got = (t.type === 'indications' ? t.indications : []) as IndicationV1[];
    assert.deepEqual(
      got.map((i) => [i.revision, clusterChangeSpecName(i.filter), i.name]),
      [
        [2, 'CLUSTER_CHANGE_GROUP_PROPERTY', 'G'],
        [3, 'CLUSTER_CHANGE_GROUP_DELETED', 'G'],
      ],
    );
  });
});
