/**
 * From change records to change events: each record becomes its version-1 indications
 * (CLUSTER_CHANGE bits, §2.2.2.7) and version-2 indications (object type, flag, payload per the
 * §3.1.4.2.138 table). docs/events.md is this mapping as a table (decisions D16).
 */
import {
  ClusterChange as C,
  ClusterChangeClusterV2 as CV2,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeNetInterfaceV2 as IV2,
  ClusterChangeNetworkV2 as NetV2,
  ClusterChangeNodeV2 as NodeV2,
  ClusterChangeQuorumV2 as QV2,
  ClusterChangeRegistryV2 as RegV2,
  ClusterChangeResourceTypeV2 as RTV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
  encodeDword,
  encodeMultiSz,
  encodePropertyList,
  encodeUtf16z,
} from '@clusnotify/protocol';
import type { ChangeEvent, ChangeEventV1, ChangeEventV2 } from '../change-event.js';
import { EMPTY_BUFFER } from '../change-event.js';
import type { Change } from './change.js';

/** Bit of a version-1 event in a mask of event versions (see {@link commitEvents}). */
export const EVENTS_V1 = 1;
/** Bit of a version-2 event in a mask of event versions. */
export const EVENTS_V2 = 2;
const EVENTS_ALL = EVENTS_V1 | EVENTS_V2;

function v1(
  m: number,
  revision: number,
  change: number,
  objectId: string,
  name: string,
  stateSequence: number,
): ChangeEventV1 | undefined {
  if ((m & EVENTS_V1) === 0) return undefined;
  return { version: 1, revision, change, objectId, name, stateSequence, keyPath: '' };
}

function v2(
  m: number,
  revision: number,
  objectType: number,
  flag: number,
  targetId: string,
  fields: {
    objectId?: string;
    parentId?: string;
    name?: string;
    type?: string;
    buffer?: Uint8Array;
  },
  keyPath = '',
): ChangeEventV2 | undefined {
  if ((m & EVENTS_V2) === 0) return undefined;
  return {
    version: 2,
    revision,
    objectType,
    flag,
    targetId,
    objectId: fields.objectId ?? '',
    parentId: fields.parentId ?? '',
    name: fields.name ?? '',
    type: fields.type ?? '',
    buffer: fields.buffer ?? EMPTY_BUFFER,
    keyPath,
  };
}

function reg1(
  m: number,
  revision: number,
  change: number,
  keyPath: string,
): ChangeEventV1 | undefined {
  if ((m & EVENTS_V1) === 0) return undefined;
  return { version: 1, revision, change, objectId: '', name: '', stateSequence: 0, keyPath };
}
function reg2(
  m: number,
  revision: number,
  flag: number,
  keyPath: string,
  valueName: string,
): ChangeEventV2 | undefined {
  return v2(m, revision, T.REGISTRY, flag, '', { objectId: valueName }, keyPath);
}

/**
 * The change events of one change record at `revision`, version-1 events first. Pure and
 * deterministic: every node computes the same events from the same log.
 */
export function changeEvents(c: Change, revision: number): ChangeEvent[] {
  return eventsOf(c, revision, EVENTS_ALL) as ChangeEvent[];
}

/** {@link changeEvents} of the versions in mask `m`; undefined where a version is left out. */
function eventsOf(c: Change, r: number, m: number): (ChangeEvent | undefined)[] {
  switch (c.type) {
    case 'cluster-renamed':
      return [
        v1(m, r, C.CLUSTER_PROPERTY, '', c.name, 0),
        v2(m, r, T.CLUSTER, CV2.RENAME, '', { name: c.name }),
      ];
    case 'cluster-properties':
      return [
        v1(m, r, C.CLUSTER_PROPERTY, '', c.clusterName, 0),
        v2(m, r, T.CLUSTER, c.scope === 'common' ? CV2.COMMON_PROPERTY : CV2.PRIVATE_PROPERTY, '', {
          buffer: encodePropertyList(c.changed),
        }),
      ];
    case 'quorum-state':
      return [
        v1(m, r, C.QUORUM_STATE, '', c.name, 0),
        v2(m, r, T.QUORUM, QV2.STATE, '', {
          objectId: c.resourceId,
          name: c.name,
          buffer: encodeDword(c.state),
        }),
      ];
    case 'node-added':
      return [
        v1(m, r, C.NODE_ADDED, c.id, c.name, c.stateSequence),
        v2(m, r, T.CLUSTER, CV2.NODE_ADDED, '', {
          objectId: c.id,
          name: c.name,
          buffer: encodeDword(c.state),
        }),
      ];
    case 'node-deleted':
      return [
        v1(m, r, C.NODE_DELETED, c.id, c.name, c.stateSequence),
        v2(m, r, T.NODE, NodeV2.DELETED, c.id, {
          objectId: c.id,
          name: c.name,
          buffer: encodeDword(c.state),
        }),
      ];
    case 'node-state':
      return [
        v1(m, r, C.NODE_STATE, c.id, c.name, c.stateSequence),
        v2(m, r, T.NODE, NodeV2.STATE, c.id, {
          objectId: c.id,
          name: c.name,
          buffer: encodeDword(c.to),
        }),
      ];
    case 'node-properties':
      return [
        v1(m, r, C.NODE_PROPERTY, c.id, c.name, c.stateSequence),
        v2(
          m,
          r,
          T.NODE,
          c.scope === 'common' ? NodeV2.COMMON_PROPERTY : NodeV2.PRIVATE_PROPERTY,
          c.id,
          {
            objectId: c.id,
            name: c.name,
            buffer: encodePropertyList(c.changed),
          },
        ),
      ];
    case 'group-added':
      return [
        v1(m, r, C.GROUP_ADDED, c.id, c.name, c.stateSequence),
        v2(m, r, T.CLUSTER, CV2.GROUP_ADDED, '', {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
          buffer: encodeDword(c.groupType),
        }),
        v2(m, r, T.NODE, NodeV2.GROUP_GAINED, c.ownerNodeId, {
          objectId: c.ownerNodeId,
          name: c.ownerNodeName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'group-deleted':
      return [
        v1(m, r, C.GROUP_DELETED, c.id, c.name, c.stateSequence),
        v2(m, r, T.GROUP, GV2.DELETED, c.id, {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
        }),
        v2(m, r, T.NODE, NodeV2.GROUP_LOST, c.ownerNodeId, {
          objectId: c.ownerNodeId,
          name: c.ownerNodeName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'group-state':
      return [
        v1(m, r, C.GROUP_STATE, c.id, c.name, c.stateSequence),
        v2(m, r, T.GROUP, GV2.STATE, c.id, {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
          buffer: encodeDword(c.to),
        }),
      ];
    case 'group-owner':
      return [
        v1(m, r, C.GROUP_PROPERTY, c.id, c.name, c.stateSequence),
        v2(m, r, T.GROUP, GV2.OWNER_NODE, c.id, {
          objectId: c.id,
          parentId: c.to,
          name: c.name,
          buffer: encodeUtf16z(c.to),
        }),
        v2(m, r, T.NODE, NodeV2.GROUP_LOST, c.from, {
          objectId: c.from,
          name: c.fromName,
          buffer: encodeUtf16z(c.id),
        }),
        v2(m, r, T.NODE, NodeV2.GROUP_GAINED, c.to, {
          objectId: c.to,
          name: c.toName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'group-preferred-owners':
      return [
        v1(m, r, C.GROUP_PROPERTY, c.id, c.name, c.stateSequence),
        v2(m, r, T.GROUP, GV2.PREFERRED_OWNERS, c.id, {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
          buffer: encodeMultiSz(c.owners),
        }),
      ];
    case 'group-properties':
      return [
        v1(m, r, C.GROUP_PROPERTY, c.id, c.name, c.stateSequence),
        v2(m, r, T.GROUP, c.scope === 'common' ? GV2.COMMON_PROPERTY : GV2.PRIVATE_PROPERTY, c.id, {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
          buffer: encodePropertyList(c.changed),
        }),
      ];
    case 'resource-added':
      return [
        v1(m, r, C.RESOURCE_ADDED, c.id, c.name, c.stateSequence),
        v1(m, r, C.GROUP_PROPERTY, c.groupId, c.groupName, c.groupStateSequence),
        v2(m, r, T.GROUP, GV2.RESOURCE_ADDED, c.groupId, {
          objectId: c.id,
          parentId: c.ownerNodeId,
          name: c.name,
          buffer: encodeUtf16z(c.groupId),
        }),
        v2(m, r, T.GROUP, GV2.RESOURCE_GAINED, c.groupId, {
          objectId: c.groupId,
          parentId: c.ownerNodeId,
          name: c.groupName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'resource-deleted':
      return [
        v1(m, r, C.RESOURCE_DELETED, c.id, c.name, c.stateSequence),
        v1(m, r, C.GROUP_PROPERTY, c.groupId, c.groupName, c.groupStateSequence),
        v2(m, r, T.RESOURCE, ResV2.DELETED, c.id, {
          objectId: c.id,
          parentId: c.groupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeUtf16z(c.groupId),
        }),
        v2(m, r, T.GROUP, GV2.RESOURCE_LOST, c.groupId, {
          objectId: c.groupId,
          parentId: c.ownerNodeId,
          name: c.groupName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'resource-state':
      return [
        v1(m, r, C.RESOURCE_STATE, c.id, c.name, c.stateSequence),
        v2(m, r, T.RESOURCE, ResV2.STATE, c.id, {
          objectId: c.id,
          parentId: c.groupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeDword(c.to),
        }),
      ];
    case 'resource-group':
      return [
        v1(m, r, C.RESOURCE_PROPERTY, c.id, c.name, c.stateSequence),
        v1(m, r, C.GROUP_PROPERTY, c.fromGroupId, c.fromGroupName, c.fromGroupStateSequence),
        v1(m, r, C.GROUP_PROPERTY, c.toGroupId, c.toGroupName, c.toGroupStateSequence),
        v2(m, r, T.RESOURCE, ResV2.OWNER_GROUP, c.id, {
          objectId: c.id,
          parentId: c.toGroupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeUtf16z(c.toGroupId),
        }),
        v2(m, r, T.GROUP, GV2.RESOURCE_LOST, c.fromGroupId, {
          objectId: c.fromGroupId,
          parentId: c.fromOwnerNodeId,
          name: c.fromGroupName,
          buffer: encodeUtf16z(c.id),
        }),
        v2(m, r, T.GROUP, GV2.RESOURCE_GAINED, c.toGroupId, {
          objectId: c.toGroupId,
          parentId: c.toOwnerNodeId,
          name: c.toGroupName,
          buffer: encodeUtf16z(c.id),
        }),
      ];
    case 'resource-properties':
      return [
        v1(m, r, C.RESOURCE_PROPERTY, c.id, c.name, c.stateSequence),
        c.scope === 'common'
          ? v2(m, r, T.RESOURCE, ResV2.COMMON_PROPERTY, c.id, {
              objectId: c.id,
              parentId: c.groupId,
              name: c.name,
              type: c.typeName,
              buffer: encodePropertyList(c.changed),
            })
          : v2(m, r, T.RESOURCE, ResV2.PRIVATE_PROPERTY, c.id, {
              objectId: c.id,
              parentId: c.groupId,
              name: c.name,
              type: c.typeName,
            }),
      ];
    case 'resource-dependencies':
      return [
        v1(m, r, C.RESOURCE_PROPERTY, c.id, c.name, c.stateSequence),
        v2(m, r, T.RESOURCE, ResV2.DEPENDENCIES, c.id, {
          objectId: c.id,
          parentId: c.groupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeUtf16z(c.expression),
        }),
      ];
    case 'resource-dependents':
      return [
        v2(m, r, T.RESOURCE, ResV2.DEPENDENTS, c.id, {
          objectId: c.id,
          parentId: c.groupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeMultiSz(c.dependents),
        }),
      ];
    case 'resource-possible-owners':
      return [
        v1(m, r, C.RESOURCE_PROPERTY, c.id, c.name, c.stateSequence),
        v2(m, r, T.RESOURCE, ResV2.POSSIBLE_OWNERS, c.id, {
          objectId: c.id,
          parentId: c.groupId,
          name: c.name,
          type: c.typeName,
          buffer: encodeMultiSz(c.owners),
        }),
      ];
    case 'restype-added':
      return [
        v1(m, r, C.RESOURCE_TYPE_ADDED, '', c.name, 0),
        v2(m, r, T.CLUSTER, CV2.RESOURCE_TYPE_ADDED, '', { name: c.name }),
      ];
    case 'restype-deleted':
      return [
        v1(m, r, C.RESOURCE_TYPE_DELETED, '', c.name, 0),
        v2(m, r, T.RESOURCE_TYPE, RTV2.DELETED, c.name, { name: c.name }),
      ];
    case 'restype-properties':
      return [
        v1(m, r, C.RESOURCE_TYPE_PROPERTY, '', c.name, 0),
        c.scope === 'common'
          ? v2(m, r, T.RESOURCE_TYPE, RTV2.COMMON_PROPERTY, c.name, {
              name: c.name,
              buffer: encodePropertyList(c.changed),
            })
          : v2(m, r, T.RESOURCE_TYPE, RTV2.PRIVATE_PROPERTY, c.name, { name: c.name }),
      ];
    case 'network-added':
      return [
        v1(m, r, C.NETWORK_ADDED, c.id, c.name, c.stateSequence),
        v2(m, r, T.CLUSTER, CV2.NETWORK_ADDED, '', { objectId: c.id, name: c.name }),
      ];
    case 'network-deleted':
      return [
        v1(m, r, C.NETWORK_DELETED, c.id, c.name, c.stateSequence),
        v2(m, r, T.NETWORK, NetV2.DELETED, c.id, { objectId: c.id, name: c.name }),
      ];
    case 'network-state':
      return [
        v1(m, r, C.NETWORK_STATE, c.id, c.name, c.stateSequence),
        v2(m, r, T.NETWORK, NetV2.STATE, c.id, {
          objectId: c.id,
          name: c.name,
          buffer: encodeDword(c.to),
        }),
      ];
    case 'network-properties':
      return [
        v1(m, r, C.NETWORK_PROPERTY, c.id, c.name, c.stateSequence),
        v2(
          m,
          r,
          T.NETWORK,
          c.scope === 'common' ? NetV2.COMMON_PROPERTY : NetV2.PRIVATE_PROPERTY,
          c.id,
          { objectId: c.id, name: c.name, buffer: encodePropertyList(c.changed) },
        ),
      ];
    case 'netif-added':
      return [
        v1(m, r, C.NETINTERFACE_ADDED, c.id, c.name, c.stateSequence),
        v2(m, r, T.NODE, NodeV2.NETINTERFACE_ADDED, c.nodeId, {
          objectId: c.id,
          name: c.name,
          buffer: encodeUtf16z(c.nodeId),
        }),
      ];
    case 'netif-deleted':
      return [
        v1(m, r, C.NETINTERFACE_DELETED, c.id, c.name, c.stateSequence),
        v2(m, r, T.NETWORK_INTERFACE, IV2.DELETED, c.id, {
          objectId: c.id,
          parentId: c.nodeId,
          name: c.name,
        }),
      ];
    case 'netif-state':
      return [
        v1(m, r, C.NETINTERFACE_STATE, c.id, c.name, c.stateSequence),
        v2(m, r, T.NETWORK_INTERFACE, IV2.STATE, c.id, {
          objectId: c.id,
          parentId: c.nodeId,
          name: c.name,
          buffer: encodeDword(c.to),
        }),
      ];
    case 'netif-properties':
      return [
        v1(m, r, C.NETINTERFACE_PROPERTY, c.id, c.name, c.stateSequence),
        v2(
          m,
          r,
          T.NETWORK_INTERFACE,
          c.scope === 'common' ? IV2.COMMON_PROPERTY : IV2.PRIVATE_PROPERTY,
          c.id,
          {
            objectId: c.id,
            parentId: c.nodeId,
            name: c.name,
            buffer: encodePropertyList(c.changed),
          },
        ),
      ];
    case 'key-created':
    case 'key-deleted':
      return [reg1(m, r, C.REGISTRY_NAME, c.path), reg2(m, r, RegV2.NAME, c.path, '')];
    case 'value-set':
    case 'value-deleted':
      return [reg1(m, r, C.REGISTRY_VALUE, c.path), reg2(m, r, RegV2.VALUE, c.path, c.name)];
    case 'key-security':
      return [reg1(m, r, C.REGISTRY_ATTRIBUTES, c.path), reg2(m, r, RegV2.ATTRIBUTES, c.path, '')];
  }
}

/**
 * The events of all records of one commit, in order; with `versions` (a mask of
 * {@link EVENTS_V1} and {@link EVENTS_V2}) only those of the versions in it, so that no event
 * is made that no port could take (the notification engine's `listening`).
 */
export function commitEvents(
  changes: readonly Change[],
  revision: number,
  versions: number = EVENTS_ALL,
): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  if ((versions & EVENTS_ALL) === 0) return out;
  for (const c of changes)
    for (const e of eventsOf(c, revision, versions)) if (e !== undefined) out.push(e);
  return out;
}
