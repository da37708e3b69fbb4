/**
 * The cluster model: apply(state, command) → { state, changes } (functional core), against
 * the reference (§2.3 state sequences, §3.1 CLUSTER_CHANGE, §9 state values, §13 items 1 and
 * 4) and docs/decisions.md D9, D15–D19, D22.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterGroupState as GS,
  ClusterNetInterfaceState as IS,
  ClusterNetworkState as NS,
  ClusterNodeState as ND,
  ClusterResourceState as RS,
} from '@clusnotify/protocol';
import type { ErrorCode } from '@clusnotify/protocol';
import {
  COMMAND_CHANGES,
  DEFAULT_CLUSTER,
  DEFAULT_KEY_SECURITY,
  GROUP_TYPE_UNKNOWN,
  RegistryValueType,
  RestartAction,
  allDocuments,
  apply,
  applyDocuments,
  defaultClusterCommands,
  emptyClusterState,
  documentWrites,
  stateFromDocuments,
} from '@clusnotify/core';
import type { Change, ClusterState, Command, ModelDocument } from '@clusnotify/core';
import {
  bootstrapped,
  empty,
  groupSteps,
  guids,
  named,
  ok,
  refused,
  resourceSteps,
  run,
  snapshot,
  types,
} from './model-helpers.js';

/**
 * Three nodes on one network (with interfaces), resource types Disk and IP, and an empty
 * group G on N1 with preferred owners N1, N2, N3.
 */
function small(): {
  state: ClusterState;
  newId: () => string;
  id: { n1: string; n2: string; n3: string; net: string; g: string };
} {
  const newId = guids();
  const id = { n1: newId(), n2: newId(), n3: newId(), net: newId(), g: newId() };
  const { state } = run(empty(), [
    { type: 'node.create', id: id.n1, name: 'N1' },
    { type: 'node.create', id: id.n2, name: 'N2' },
    { type: 'node.create', id: id.n3, name: 'N3' },
    { type: 'network.create', id: id.net, name: 'Net' },
    { type: 'netif.create', id: newId(), node: 'N1', network: 'Net' },
    { type: 'netif.create', id: newId(), node: 'N2', network: 'Net' },
    { type: 'netif.create', id: newId(), node: 'N3', network: 'Net' },
    { type: 'restype.create', name: 'Disk', dllName: 'disk.dll' },
    { type: 'restype.create', name: 'IP', dllName: 'ip.dll' },
    { type: 'group.create', id: id.g, name: 'G', node: 'N1', preferredOwners: ['N1', 'N2', 'N3'] },
  ]);
  return { state, newId, id };
}

/** `small()` plus resources A, B (depends on A) and C (depends on B) in G. */
function chain(): ReturnType<typeof small> & { r: { a: string; b: string; c: string } } {
  const base = small();
  const r = { a: base.newId(), b: base.newId(), c: base.newId() };
  const { state } = run(base.state, [
    { type: 'resource.create', id: r.a, name: 'A', resourceType: 'Disk', group: 'G' },
    {
      type: 'resource.create',
      id: r.b,
      name: 'B',
      resourceType: 'IP',
      group: 'G',
      dependencies: ['A'],
    },
    {
      type: 'resource.create',
      id: r.c,
      name: 'C',
      resourceType: 'IP',
      group: 'G',
      dependencies: ['B'],
    },
  ]);
  return { ...base, state, r };
}

const resourceState = (s: ClusterState, name: string): number => named(s.resources, name).state;
const groupState = (s: ClusterState, name: string): number => named(s.groups, name).state;
const ownerOf = (s: ClusterState, group: string): string =>
  (s.nodes.get(named(s.groups, group).ownerNodeId) as { name: string }).name;

describe('creating, renaming and deleting objects (§3.1.1.1, §3.1 *_ADDED/*_DELETED, D16, D22)', () => {
  test('node.create adds an Up node with state sequence 0 and reports node-added', () => {
    const id = guids()();
    const r = ok(empty(), { type: 'node.create', id, name: 'N1' });
    assert.deepEqual(r.changes, [
      { type: 'node-added', id, name: 'N1', state: ND.UP, stateSequence: 0 },
    ]);
    assert.deepEqual(r.state.nodes.get(id), {
      id,
      name: 'N1',
      state: ND.UP,
      stateSequence: 0,
      common: {},
      private: {},
    });
    assert.deepEqual(r.touched, [{ kind: 'node', id }]);
  });

  test('node.rename reports node-properties with the new Name, keeps id and sequence, and frees the old name', () => {
    const { state, id, newId } = small();
    const r = ok(state, { type: 'node.rename', node: 'N2', name: 'Node2' });
    assert.deepEqual(r.changes, [
      {
        type: 'node-properties',
        id: id.n2,
        name: 'Node2',
        scope: 'common',
        changed: { Name: 'Node2' },
        removed: [],
        stateSequence: 0,
      },
    ]);
    assert.equal(r.state.nodes.get(id.n2)?.name, 'Node2');
    ok(r.state, { type: 'node.create', id: newId(), name: 'n2' });
    refused(r.state, { type: 'node.pause', node: 'N2' }, 'NODE_NOT_FOUND');
    assert.equal(ok(state, { type: 'node.rename', node: 'N2', name: 'N2' }).changes.length, 0);
  });

  test('node.delete removes its interfaces and drops it from preferred and possible owners, each reported (D22)', () => {
    const { state, id, newId } = small();
    const r1 = newId();
    const s = run(state, [
      { type: 'group.set-preferred-owners', group: 'G', nodes: ['N3', 'N1'] },
      {
        type: 'resource.create',
        id: r1,
        name: 'R',
        resourceType: 'Disk',
        group: 'G',
        possibleOwners: ['N3', 'N1'],
      },
    ]).state;
    const netif3 = named(s.netInterfaces, 'N3 - Net');
    const r = ok(s, { type: 'node.delete', node: 'N3' });
    assert.deepEqual(r.changes, [
      { type: 'netif-deleted', id: netif3.id, name: 'N3 - Net', nodeId: id.n3, stateSequence: 0 },
      {
        type: 'group-preferred-owners',
        id: id.g,
        name: 'G',
        ownerNodeId: id.n1,
        owners: [id.n1],
        stateSequence: 0,
      },
      {
        type: 'resource-possible-owners',
        id: r1,
        name: 'R',
        typeName: 'Disk',
        groupId: id.g,
        owners: [id.n1],
        stateSequence: 0,
      },
      { type: 'node-deleted', id: id.n3, name: 'N3', state: ND.UP, stateSequence: 0 },
    ]);
    assert.equal(r.state.nodes.has(id.n3), false);
    assert.equal(r.state.netInterfaces.has(netif3.id), false);
    assert.equal(r.state.names.node.has('n3'), false);
    assert.equal(r.state.names.netInterface.has('n3 - net'), false);
    refused(r.state, { type: 'node.pause', node: id.n3 }, 'NODE_NOT_FOUND');
  });

  test('node.delete of the last interface of a network keeps the network', () => {
    const newId = guids();
    const { state } = run(empty(), [
      { type: 'node.create', id: newId(), name: 'N1' },
      { type: 'network.create', id: newId(), name: 'Net' },
      { type: 'netif.create', id: newId(), node: 'N1', network: 'Net' },
    ]);
    const r = ok(state, { type: 'node.delete', node: 'N1' });
    assert.deepEqual(types(r.changes), ['netif-deleted', 'node-deleted']);
    assert.equal(r.state.networks.size, 1);
  });

  test('group.create puts an Offline group with sequence 0 and group type 0x270F on its node, reported with the node (§3.1.4.2.43)', () => {
    const { state, id, newId } = small();
    const g2 = newId();
    const r = ok(state, { type: 'group.create', id: g2, name: 'G2', node: 'N2' });
    assert.deepEqual(r.changes, [
      {
        type: 'group-added',
        id: g2,
        name: 'G2',
        ownerNodeId: id.n2,
        ownerNodeName: 'N2',
        groupType: GROUP_TYPE_UNKNOWN,
        stateSequence: 0,
      },
    ]);
    assert.equal(GROUP_TYPE_UNKNOWN, 0x270f);
    assert.deepEqual(r.state.groups.get(g2), {
      id: g2,
      name: 'G2',
      ownerNodeId: id.n2,
      state: GS.OFFLINE,
      stateSequence: 0,
      preferredOwners: [],
      groupType: GROUP_TYPE_UNKNOWN,
      common: {},
      private: {},
    });
    const typed = ok(state, { type: 'group.create', id: newId(), name: 'G3', groupType: 100 });
    assert.equal((typed.changes[0] as { groupType: number }).groupType, 100);
  });

  test('group.create without a node takes the first up preferred owner, else the up node with fewest groups', () => {
    const { state, newId } = small();
    let s = ok(state, { type: 'node.pause', node: 'N3' }).state;
    s = ok(s, {
      type: 'group.create',
      id: newId(),
      name: 'P',
      preferredOwners: ['N3', 'N2'],
    }).state;
    assert.equal(ownerOf(s, 'P'), 'N2');
    // N1 hosts G, N2 hosts P, N3 is paused: a tie between N1 and N2 goes by name.
    s = ok(s, { type: 'group.create', id: newId(), name: 'Q' }).state;
    assert.equal(ownerOf(s, 'Q'), 'N1');
    s = ok(s, { type: 'group.create', id: newId(), name: 'R' }).state;
    assert.equal(ownerOf(s, 'R'), 'N2');
    s = run(s, [
      { type: 'node.down', node: 'N1' },
      { type: 'node.down', node: 'N2' },
    ]).state;
    refused(s, { type: 'group.create', id: newId(), name: 'S' }, 'HOST_NODE_NOT_AVAILABLE');
    refused(
      s,
      { type: 'group.create', id: newId(), name: 'S', node: 'N1' },
      'HOST_NODE_NOT_AVAILABLE',
    );
  });

  test('group.delete of an empty group reports group-deleted with its node; group.rename reports group-properties', () => {
    const { state, id } = small();
    const renamed = ok(state, { type: 'group.rename', group: 'G', name: 'Gx' });
    assert.deepEqual(renamed.changes, [
      {
        type: 'group-properties',
        id: id.g,
        name: 'Gx',
        ownerNodeId: id.n1,
        scope: 'common',
        changed: { Name: 'Gx' },
        removed: [],
        stateSequence: 0,
      },
    ]);
    const r = ok(renamed.state, { type: 'group.delete', group: 'gx' });
    assert.deepEqual(r.changes, [
      {
        type: 'group-deleted',
        id: id.g,
        name: 'Gx',
        ownerNodeId: id.n1,
        ownerNodeName: 'N1',
        stateSequence: 0,
      },
    ]);
    assert.equal(r.state.groups.size, 0);
    assert.equal(r.state.names.group.size, 0);
  });

  test('resource.create adds an Offline resource with sequence 0 and re-derives its group (§3.1.4.2.10)', () => {
    const { state, id, newId } = small();
    const a = newId();
    const r = ok(state, {
      type: 'resource.create',
      id: a,
      name: 'A',
      resourceType: 'disk',
      group: 'G',
      properties: { RestartThreshold: 2, Label: 'x' },
    });
    assert.deepEqual(r.changes, [
      {
        type: 'resource-added',
        id: a,
        name: 'A',
        typeName: 'Disk',
        groupId: id.g,
        groupName: 'G',
        ownerNodeId: id.n1,
        groupStateSequence: 0,
        stateSequence: 0,
      },
    ]);
    assert.deepEqual(r.state.resources.get(a), {
      id: a,
      name: 'A',
      typeName: 'Disk',
      groupId: id.g,
      state: RS.OFFLINE,
      stateSequence: 0,
      dependencies: [],
      possibleOwners: [],
      restartCount: 0,
      common: { RestartThreshold: 2, Label: 'x' },
      private: {},
    });
    // Into an online group: the group becomes PartialOnline, reported after the resource.
    const online = ok(r.state, { type: 'group.online', group: 'G' }).state;
    const b = ok(online, {
      type: 'resource.create',
      id: newId(),
      name: 'B',
      resourceType: 'IP',
      group: 'G',
    });
    assert.deepEqual(types(b.changes), ['resource-added', 'group-state']);
    assert.deepEqual(groupSteps(b.changes), [['G', GS.PARTIAL_ONLINE]]);
    assert.equal((b.changes[0] as { groupStateSequence: number }).groupStateSequence, 2);
  });

  test('resource.delete reports resource-deleted with its group and re-derives the group; resource.rename reports resource-properties', () => {
    const { state, id, newId } = small();
    const a = newId();
    const s = run(state, [
      { type: 'resource.create', id: a, name: 'A', resourceType: 'Disk', group: 'G' },
      { type: 'resource.create', id: newId(), name: 'B', resourceType: 'Disk', group: 'G' },
      { type: 'resource.online', resource: 'B' },
    ]).state;
    const renamed = ok(s, { type: 'resource.rename', resource: 'A', name: 'Ax' });
    assert.deepEqual(renamed.changes, [
      {
        type: 'resource-properties',
        id: a,
        name: 'Ax',
        typeName: 'Disk',
        groupId: id.g,
        scope: 'common',
        changed: { Name: 'Ax' },
        removed: [],
        stateSequence: 0,
      },
    ]);
    const g = named(s.groups, 'G');
    assert.equal(g.state, GS.PARTIAL_ONLINE);
    const r = ok(renamed.state, { type: 'resource.delete', resource: 'ax' });
    assert.deepEqual(r.changes, [
      {
        type: 'resource-deleted',
        id: a,
        name: 'Ax',
        typeName: 'Disk',
        groupId: id.g,
        groupName: 'G',
        ownerNodeId: id.n1,
        groupStateSequence: g.stateSequence,
        stateSequence: 0,
      },
      {
        type: 'group-state',
        id: id.g,
        name: 'G',
        ownerNodeId: id.n1,
        from: GS.PARTIAL_ONLINE,
        to: GS.ONLINE,
        stateSequence: g.stateSequence + 1,
      },
    ]);
    assert.equal(r.state.names.resource.has('ax'), false);
  });

  test('resource types are created, changed and deleted by name; a type in use cannot be deleted', () => {
    const { state, newId } = small();
    const r = run(state, [
      { type: 'restype.create', name: 'Share', dllName: 'share.dll' },
      { type: 'restype.set-properties', name: 'share', properties: { Timeout: 30 } },
      { type: 'restype.set-properties', name: 'SHARE', scope: 'private', properties: { X: 'y' } },
      { type: 'restype.set-properties', name: 'Share', properties: { Timeout: null } },
      { type: 'restype.delete', name: 'share' },
    ]);
    assert.deepEqual(r.changes, [
      { type: 'restype-added', name: 'Share' },
      {
        type: 'restype-properties',
        name: 'Share',
        scope: 'common',
        changed: { Timeout: 30 },
        removed: [],
      },
      {
        type: 'restype-properties',
        name: 'Share',
        scope: 'private',
        changed: { X: 'y' },
        removed: [],
      },
      {
        type: 'restype-properties',
        name: 'Share',
        scope: 'common',
        changed: {},
        removed: ['Timeout'],
      },
      { type: 'restype-deleted', name: 'Share' },
    ]);
    assert.equal(r.state.resourceTypes.has('share'), false);
    const used = ok(state, {
      type: 'resource.create',
      id: newId(),
      name: 'A',
      resourceType: 'IP',
      group: 'G',
    }).state;
    refused(used, { type: 'restype.delete', name: 'IP' }, 'RESOURCE_TYPE_IN_USE');
    refused(state, { type: 'restype.delete', name: 'Nope' }, 'RESOURCE_TYPE_NOT_FOUND');
  });

  test('networks are created Up, renamed and deleted; a network with interfaces cannot be deleted', () => {
    const { state, id, newId } = small();
    const n2 = newId();
    const r = run(state, [
      { type: 'network.create', id: n2, name: 'Net2' },
      { type: 'network.rename', network: 'net2', name: 'Backbone' },
      { type: 'network.delete', network: n2 },
    ]);
    assert.deepEqual(r.changes, [
      { type: 'network-added', id: n2, name: 'Net2', stateSequence: 0 },
      {
        type: 'network-properties',
        id: n2,
        name: 'Backbone',
        scope: 'common',
        changed: { Name: 'Backbone' },
        removed: [],
        stateSequence: 0,
      },
      { type: 'network-deleted', id: n2, name: 'Backbone', stateSequence: 0 },
    ]);
    assert.equal(state.networks.get(id.net)?.state, NS.UP);
    refused(state, { type: 'network.delete', network: 'Net' }, 'NETWORK_HAS_INTERFACES');
  });

  test('network interfaces are created per node and network (default name "<node> - <network>") and deleted, each reported with its node', () => {
    const { state, id, newId } = small();
    const net2 = newId();
    const i1 = newId();
    const r = run(state, [
      { type: 'network.create', id: net2, name: 'Net2' },
      { type: 'netif.create', id: i1, node: 'N1', network: 'Net2' },
      { type: 'netif.create', id: newId(), node: 'N2', network: 'Net2', name: 'second' },
      { type: 'netif.delete', netInterface: 'N1 - Net2' },
    ]);
    assert.deepEqual(r.changes.slice(1, 2), [
      {
        type: 'netif-added',
        id: i1,
        name: 'N1 - Net2',
        nodeId: id.n1,
        nodeName: 'N1',
        networkId: net2,
        stateSequence: 0,
      },
    ]);
    assert.deepEqual(types(r.changes), [
      'network-added',
      'netif-added',
      'netif-added',
      'netif-deleted',
    ]);
    assert.deepEqual(r.changes[3], {
      type: 'netif-deleted',
      id: i1,
      name: 'N1 - Net2',
      nodeId: id.n1,
      stateSequence: 0,
    });
    assert.equal(named(r.state.netInterfaces, 'second').state, IS.UP);
    refused(
      state,
      { type: 'netif.create', id: newId(), node: 'N1', network: 'Net' },
      'NAME_EXISTS',
    );
    // An interface created on a down node is Unavailable, and the network follows.
    const down = ok(r.state, { type: 'node.down', node: 'N3' }).state;
    const made = ok(down, { type: 'netif.create', id: newId(), node: 'N3', network: 'Net2' });
    assert.equal(named(made.state.netInterfaces, 'N3 - Net2').state, IS.UNAVAILABLE);
    assert.deepEqual(types(made.changes), ['netif-added', 'network-state']);
    assert.equal(made.state.networks.get(net2)?.state, NS.PARTITIONED);
  });

  test('the cluster is renamed and its properties set, each reported (§3.1 CLUSTER_PROPERTY)', () => {
    const r = run(empty(), [
      { type: 'cluster.rename', name: 'PROD' },
      { type: 'cluster.set-properties', properties: { Description: 'd', Level: -1 } },
      { type: 'cluster.set-properties', scope: 'private', properties: { Secret: ['a'] } },
    ]);
    assert.deepEqual(r.changes, [
      { type: 'cluster-renamed', name: 'PROD', previousName: 'CLUSTER1' },
      {
        type: 'cluster-properties',
        clusterName: 'PROD',
        scope: 'common',
        changed: { Description: 'd', Level: -1 },
        removed: [],
      },
      {
        type: 'cluster-properties',
        clusterName: 'PROD',
        scope: 'private',
        changed: { Secret: ['a'] },
        removed: [],
      },
    ]);
    assert.deepEqual(r.state.cluster.private, { Secret: ['a'] });
    assert.equal(ok(r.state, { type: 'cluster.rename', name: 'PROD' }).changes.length, 0);
    const same = ok(r.state, { type: 'cluster.set-properties', properties: { Description: 'd' } });
    assert.equal(same.changes.length, 0, 'setting a property to its value changes nothing');
  });

  test('set-properties reports only the properties that changed and those removed, in the given scope', () => {
    const { state, id } = small();
    const r = run(state, [
      { type: 'node.set-properties', node: 'N1', properties: { A: 1, B: 'b' } },
      { type: 'node.set-properties', node: 'N1', properties: { A: 1, B: 'c', Gone: null } },
      { type: 'node.set-properties', node: 'N1', properties: { A: null } },
      { type: 'group.set-properties', group: 'G', scope: 'private', properties: { P: ['x', 'y'] } },
      { type: 'network.set-properties', network: 'Net', properties: { Role: 3 } },
      { type: 'netif.set-properties', netInterface: 'N1 - Net', properties: { Adapter: 'eth0' } },
    ]);
    assert.deepEqual(
      r.changes.map((c) => ('changed' in c ? [c.type, c.scope, c.changed, c.removed] : [])),
      [
        ['node-properties', 'common', { A: 1, B: 'b' }, []],
        ['node-properties', 'common', { B: 'c' }, []],
        ['node-properties', 'common', {}, ['A']],
        ['group-properties', 'private', { P: ['x', 'y'] }, []],
        ['network-properties', 'common', { Role: 3 }, []],
        ['netif-properties', 'common', { Adapter: 'eth0' }, []],
      ],
    );
    assert.deepEqual(r.state.nodes.get(id.n1)?.common, { B: 'c' });
    assert.deepEqual(r.state.groups.get(id.g)?.private, { P: ['x', 'y'] });
  });
});

describe('names and lookups (D22)', () => {
  test('names are unique per kind without regard to case: NAME_EXISTS, ERROR_OBJECT_ALREADY_EXISTS 0x1392', () => {
    const { state, newId } = small();
    const s = run(state, [
      { type: 'resource.create', id: newId(), name: 'Res', resourceType: 'IP', group: 'G' },
      { type: 'network.create', id: newId(), name: 'Net2' },
    ]).state;
    const dup: Command[] = [
      { type: 'node.create', id: newId(), name: 'n1' },
      { type: 'group.create', id: newId(), name: 'g' },
      { type: 'resource.create', id: newId(), name: 'RES', resourceType: 'IP', group: 'G' },
      { type: 'network.create', id: newId(), name: 'NET' },
      { type: 'restype.create', name: 'disk', dllName: 'x.dll' },
      { type: 'netif.create', id: newId(), node: 'N1', network: 'Net2', name: 'n2 - net' },
      { type: 'node.rename', node: 'N1', name: 'n2' },
      { type: 'group.rename', group: 'G', name: 'g' },
      { type: 'network.rename', network: 'Net', name: 'Net' },
    ];
    // Renaming an object to a case variant of its own name is allowed (last two).
    for (const c of dup.slice(0, 7)) refused(s, c, 'NAME_EXISTS', 0x1392);
    for (const c of dup.slice(7)) ok(s, c);
    const g2 = ok(s, { type: 'group.create', id: newId(), name: 'G2' }).state;
    refused(g2, { type: 'group.rename', group: 'G2', name: 'G' }, 'NAME_EXISTS', 0x1392);
    refused(g2, { type: 'resource.rename', resource: 'Res', name: 'res ' }, 'INVALID_NAME');
  });

  test('objects of different kinds may share a name', () => {
    const { state, newId } = small();
    const r = run(state, [
      { type: 'group.create', id: newId(), name: 'N1' },
      { type: 'resource.create', id: newId(), name: 'N1', resourceType: 'IP', group: 'N1' },
      { type: 'network.create', id: newId(), name: 'N1' },
      { type: 'restype.create', name: 'N1', dllName: 'n.dll' },
    ]);
    for (const kind of ['node', 'group', 'resource', 'network'] as const) {
      assert.ok(r.state.names[kind].has('n1'), kind);
    }
    assert.ok(r.state.resourceTypes.has('n1'));
    ok(r.state, { type: 'resource.online', resource: 'N1' });
  });

  test('objects are found by id in any case or by name in any case', () => {
    const newId = guids(0xabcdef);
    const id = newId();
    const upper = id.toUpperCase();
    assert.notEqual(upper, id);
    const s = ok(empty(), { type: 'node.create', id: upper, name: 'Node-One' }).state;
    assert.deepEqual([...s.nodes.keys()], [id], 'ids are stored lower-case');
    for (const ref of [id, upper, 'Node-One', 'NODE-ONE', 'node-one']) {
      const r = ok(s, { type: 'node.pause', node: ref });
      assert.equal(r.state.nodes.get(id)?.state, ND.PAUSED, ref);
    }
    refused(s, { type: 'node.create', id, name: 'Other' }, 'ID_EXISTS');
    refused(s, { type: 'node.pause', node: 'Node' }, 'NODE_NOT_FOUND');
    // A name may look like a GUID: an object's id wins over another's name, and a GUID-shaped
    // name that is no id still finds its object.
    const other = newId();
    const lone = newId();
    const lookalikes = run(s, [
      { type: 'node.create', id: other, name: upper },
      { type: 'node.create', id: newId(), name: lone.toUpperCase() },
    ]).state;
    assert.equal(
      ok(lookalikes, { type: 'node.pause', node: upper }).state.nodes.get(id)?.state,
      ND.PAUSED,
    );
    assert.equal(
      ok(lookalikes, { type: 'node.pause', node: upper }).state.nodes.get(other)?.state,
      ND.UP,
    );
    const byGuidName = ok(lookalikes, { type: 'node.pause', node: lone });
    assert.equal(
      [...byGuidName.state.nodes.values()].find((n) => n.name === lone.toUpperCase())?.state,
      ND.PAUSED,
    );
    // Dependencies are looked up the same way.
    const rid = newId().toUpperCase();
    const t = run(s, [
      { type: 'restype.create', name: 'T', dllName: 't.dll' },
      { type: 'group.create', id: newId(), name: 'G' },
      { type: 'resource.create', id: rid, name: 'A', resourceType: 'T', group: 'G' },
      {
        type: 'resource.create',
        id: newId(),
        name: 'B',
        resourceType: 'T',
        group: 'G',
        dependencies: [rid],
      },
    ]).state;
    assert.deepEqual(named(t.resources, 'B').dependencies, [rid.toLowerCase()]);
  });

  test('a rename that only changes case is reported and frees nothing else', () => {
    const { state, id } = small();
    const r = ok(state, { type: 'node.rename', node: 'N1', name: 'n1' });
    assert.deepEqual(types(r.changes), ['node-properties']);
    assert.equal(r.state.names.node.get('n1'), id.n1);
    assert.equal(r.state.names.node.size, 3);
  });

  test('names must be 1 to 255 printable characters without surrounding spaces (INVALID_NAME)', () => {
    const { state, newId } = small();
    for (const name of ['', ' x', 'x ', 'a\u0000b', 'tab\there', 'x'.repeat(256), 5, undefined]) {
      refused(state, { type: 'node.create', id: newId(), name }, 'INVALID_NAME');
    }
    ok(state, { type: 'node.create', id: newId(), name: 'x'.repeat(255) });
    ok(state, { type: 'node.create', id: newId(), name: 'Ünïcödé node 😀' });
  });
});

describe('resource states and group state (§9.2, §9.3, D18)', () => {
  test('resource.online walks Offline → OnlinePending → Online, each step one record, and the group passes through Pending', () => {
    const { state, id, newId } = small();
    const a = newId();
    const s = ok(state, {
      type: 'resource.create',
      id: a,
      name: 'A',
      resourceType: 'Disk',
      group: 'G',
    }).state;
    const r = ok(s, { type: 'resource.online', resource: 'A' });
    const base = { id: a, name: 'A', typeName: 'Disk', groupId: id.g };
    const g = { id: id.g, name: 'G', ownerNodeId: id.n1 };
    assert.deepEqual(r.changes, [
      {
        type: 'resource-state',
        ...base,
        from: RS.OFFLINE,
        to: RS.ONLINE_PENDING,
        stateSequence: 1,
      },
      { type: 'group-state', ...g, from: GS.OFFLINE, to: GS.PENDING, stateSequence: 1 },
      { type: 'resource-state', ...base, from: RS.ONLINE_PENDING, to: RS.ONLINE, stateSequence: 2 },
      { type: 'group-state', ...g, from: GS.PENDING, to: GS.ONLINE, stateSequence: 2 },
    ]);
    const off = ok(r.state, { type: 'resource.offline', resource: 'A' });
    assert.deepEqual(off.changes, [
      {
        type: 'resource-state',
        ...base,
        from: RS.ONLINE,
        to: RS.OFFLINE_PENDING,
        stateSequence: 3,
      },
      { type: 'group-state', ...g, from: GS.ONLINE, to: GS.PENDING, stateSequence: 3 },
      {
        type: 'resource-state',
        ...base,
        from: RS.OFFLINE_PENDING,
        to: RS.OFFLINE,
        stateSequence: 4,
      },
      { type: 'group-state', ...g, from: GS.PENDING, to: GS.OFFLINE, stateSequence: 4 },
    ]);
  });

  test('a failed resource goes offline in one step', () => {
    const { state, newId } = small();
    const s = run(state, [
      {
        type: 'resource.create',
        id: newId(),
        name: 'A',
        resourceType: 'Disk',
        group: 'G',
        properties: { RestartAction: RestartAction.DONT_RESTART },
      },
      { type: 'resource.online', resource: 'A' },
      { type: 'resource.fail', resource: 'A' },
    ]).state;
    assert.equal(resourceState(s, 'A'), RS.FAILED);
    const r = ok(s, { type: 'resource.offline', resource: 'A' });
    assert.deepEqual(resourceSteps(r.changes), [['A', RS.FAILED, RS.OFFLINE]]);
    assert.deepEqual(groupSteps(r.changes), [['G', GS.OFFLINE]]);
  });

  test('group state follows §9.2: empty Offline, all offline Offline, some online PartialOnline, all online Online, any failed Failed', () => {
    const { state, newId } = small();
    assert.equal(groupState(state, 'G'), GS.OFFLINE, 'an empty group is Offline');
    let s = run(state, [
      {
        type: 'resource.create',
        id: newId(),
        name: 'A',
        resourceType: 'Disk',
        group: 'G',
        properties: { RestartAction: 0 },
      },
      { type: 'resource.create', id: newId(), name: 'B', resourceType: 'Disk', group: 'G' },
    ]).state;
    assert.equal(groupState(s, 'G'), GS.OFFLINE);
    s = ok(s, { type: 'resource.online', resource: 'A' }).state;
    assert.equal(groupState(s, 'G'), GS.PARTIAL_ONLINE);
    s = ok(s, { type: 'resource.online', resource: 'B' }).state;
    assert.equal(groupState(s, 'G'), GS.ONLINE);
    s = ok(s, { type: 'resource.fail', resource: 'A' }).state;
    assert.equal(groupState(s, 'G'), GS.FAILED, 'a failed resource fails the group');
    s = ok(s, { type: 'resource.offline', resource: 'B' }).state;
    assert.equal(groupState(s, 'G'), GS.FAILED, 'failed wins over offline');
    s = ok(s, { type: 'resource.offline', resource: 'A' }).state;
    assert.equal(groupState(s, 'G'), GS.OFFLINE);
  });

  test('group.online and group.offline walk every resource; doing what is already done changes nothing', () => {
    const { state, newId } = small();
    const s = run(state, [
      { type: 'resource.create', id: newId(), name: 'A', resourceType: 'Disk', group: 'G' },
      { type: 'resource.create', id: newId(), name: 'B', resourceType: 'Disk', group: 'G' },
    ]).state;
    const on = ok(s, { type: 'group.online', group: 'G' });
    assert.deepEqual(resourceSteps(on.changes), [
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
      ['B', RS.OFFLINE, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
    assert.deepEqual(groupSteps(on.changes), [
      ['G', GS.PENDING],
      ['G', GS.PARTIAL_ONLINE],
      ['G', GS.PENDING],
      ['G', GS.ONLINE],
    ]);
    assert.equal(ok(on.state, { type: 'group.online', group: 'G' }).changes.length, 0);
    assert.equal(ok(on.state, { type: 'resource.online', resource: 'A' }).changes.length, 0);
    const off = ok(on.state, { type: 'group.offline', group: 'G' });
    assert.equal(groupState(off.state, 'G'), GS.OFFLINE);
    assert.equal(resourceSteps(off.changes).length, 4);
    assert.equal(ok(off.state, { type: 'group.offline', group: 'G' }).changes.length, 0);
    assert.equal(ok(s, { type: 'group.online', group: 'g' }).changes.length, 8);
  });

  test('resources come online only on an up or paused host: HOST_NODE_NOT_AVAILABLE 0x138D otherwise', () => {
    const { state, newId } = small();
    const s = ok(state, {
      type: 'resource.create',
      id: newId(),
      name: 'A',
      resourceType: 'Disk',
      group: 'G',
    }).state;
    const paused = ok(s, { type: 'node.pause', node: 'N1' }).state;
    ok(paused, { type: 'resource.online', resource: 'A' });
    // Group G fails over when N1 goes down; a group created on N3 stays there when N3 goes down with no preferred owner up.
    const newG = newId();
    const t = run(s, [
      { type: 'group.create', id: newG, name: 'H', node: 'N3', preferredOwners: ['N3'] },
      {
        type: 'resource.create',
        id: newId(),
        name: 'B',
        resourceType: 'Disk',
        group: 'H',
        possibleOwners: ['N3'],
      },
      { type: 'node.down', node: 'N3' },
    ]).state;
    assert.equal(ownerOf(t, 'H'), 'N3');
    refused(t, { type: 'resource.online', resource: 'B' }, 'HOST_NODE_NOT_AVAILABLE', 0x138d);
    refused(t, { type: 'group.online', group: 'H' }, 'HOST_NODE_NOT_AVAILABLE', 0x138d);
  });
});

describe('dependencies (D18, §3.1 RESOURCE_PROPERTY)', () => {
  test('online brings the dependencies up first', () => {
    const { state } = chain();
    const r = ok(state, { type: 'resource.online', resource: 'C' });
    assert.deepEqual(resourceSteps(r.changes), [
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
      ['B', RS.OFFLINE, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
      ['C', RS.OFFLINE, RS.ONLINE_PENDING],
      ['C', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
  });

  test('offline takes the dependents down first', () => {
    const { state } = chain();
    const s = ok(state, { type: 'group.online', group: 'G' }).state;
    const r = ok(s, { type: 'resource.offline', resource: 'A' });
    assert.deepEqual(resourceSteps(r.changes), [
      ['C', RS.ONLINE, RS.OFFLINE_PENDING],
      ['C', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['B', RS.ONLINE, RS.OFFLINE_PENDING],
      ['B', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['A', RS.ONLINE, RS.OFFLINE_PENDING],
      ['A', RS.OFFLINE_PENDING, RS.OFFLINE],
    ]);
    const g = ok(s, { type: 'group.offline', group: 'G' });
    assert.deepEqual(
      resourceSteps(g.changes).map(([n]) => n),
      ['C', 'C', 'B', 'B', 'A', 'A'],
    );
  });

  test('a dependency on itself, across groups or closing a cycle is DEPENDENCY_NOT_ALLOWED; on a missing resource DEPENDENCY_NOT_FOUND', () => {
    const { state, newId } = chain();
    const s = run(state, [
      { type: 'group.create', id: newId(), name: 'H', node: 'N2' },
      { type: 'resource.create', id: newId(), name: 'X', resourceType: 'IP', group: 'H' },
    ]).state;
    const bad = 'DEPENDENCY_NOT_ALLOWED';
    refused(
      s,
      { type: 'resource.set-dependencies', resource: 'A', dependencies: ['A'] },
      bad,
      0x13cd,
    );
    refused(s, { type: 'resource.set-dependencies', resource: 'A', dependencies: ['C'] }, bad);
    refused(s, { type: 'resource.set-dependencies', resource: 'A', dependencies: ['B'] }, bad);
    refused(s, { type: 'resource.set-dependencies', resource: 'A', dependencies: ['X'] }, bad);
    refused(
      s,
      {
        type: 'resource.create',
        id: newId(),
        name: 'Y',
        resourceType: 'IP',
        group: 'G',
        dependencies: ['X'],
      },
      bad,
    );
    refused(
      s,
      { type: 'resource.set-dependencies', resource: 'A', dependencies: ['Nope'] },
      'DEPENDENCY_NOT_FOUND',
      0x138a,
    );
    refused(
      s,
      {
        type: 'resource.create',
        id: newId(),
        name: 'Y',
        resourceType: 'IP',
        group: 'G',
        dependencies: ['Y'],
      },
      'DEPENDENCY_NOT_FOUND',
    );
    refused(
      s,
      { type: 'resource.set-dependencies', resource: 'A', dependencies: 'B' },
      'INVALID_COMMAND',
    );
    refused(
      s,
      { type: 'resource.set-dependencies', resource: 'A', dependencies: [7] },
      'INVALID_COMMAND',
    );
    // A diamond is not a cycle.
    ok(s, { type: 'resource.set-dependencies', resource: 'C', dependencies: ['A', 'B'] });
  });

  test('set-dependencies reports the new expression and the dependents of every resource whose dependents changed (D16)', () => {
    const { state, r } = chain();
    const res = ok(state, {
      type: 'resource.set-dependencies',
      resource: 'C',
      dependencies: ['A', 'a'],
    });
    const c = state.resources.get(r.c) as { groupId: string };
    const common = { typeName: 'IP', groupId: c.groupId, stateSequence: 0 };
    assert.deepEqual(res.changes, [
      {
        type: 'resource-dependencies',
        id: r.c,
        name: 'C',
        ...common,
        dependencies: [r.a],
        expression: '[A]',
      },
      { type: 'resource-dependents', id: r.b, name: 'B', ...common, dependents: [] },
      {
        type: 'resource-dependents',
        id: r.a,
        name: 'A',
        ...common,
        typeName: 'Disk',
        dependents: [r.b, r.c],
      },
    ]);
    assert.equal(
      ok(res.state, { type: 'resource.set-dependencies', resource: 'C', dependencies: [r.a] })
        .changes.length,
      0,
    );
    const two = ok(res.state, {
      type: 'resource.set-dependencies',
      resource: 'C',
      dependencies: ['B', 'A'],
    });
    assert.equal((two.changes[0] as { expression: string }).expression, '[B] and [A]');
    assert.deepEqual(types(two.changes), ['resource-dependencies', 'resource-dependents']);
  });

  test("a resource created with dependencies reports them and its providers' dependents; deleting it reports them again", () => {
    const { state, newId, r } = chain();
    const d = newId();
    const made = ok(state, {
      type: 'resource.create',
      id: d,
      name: 'D',
      resourceType: 'IP',
      group: 'G',
      dependencies: ['C'],
    });
    assert.deepEqual(types(made.changes), [
      'resource-added',
      'resource-dependencies',
      'resource-dependents',
    ]);
    assert.deepEqual((made.changes[2] as { dependents: readonly string[] }).dependents, [d]);
    const gone = ok(made.state, { type: 'resource.delete', resource: 'D' });
    assert.deepEqual(types(gone.changes), ['resource-deleted', 'resource-dependents']);
    assert.deepEqual(gone.changes[1], {
      type: 'resource-dependents',
      id: r.c,
      name: 'C',
      typeName: 'IP',
      groupId: named(state.groups, 'G').id,
      dependents: [],
      stateSequence: 0,
    });
  });

  test('a resource others depend on cannot be deleted: DEPENDENT_RESOURCE_EXISTS', () => {
    const { state } = chain();
    refused(state, { type: 'resource.delete', resource: 'A' }, 'DEPENDENT_RESOURCE_EXISTS', 0x1389);
    const s = run(state, [
      { type: 'resource.delete', resource: 'C' },
      { type: 'resource.delete', resource: 'B' },
      { type: 'resource.delete', resource: 'A' },
    ]).state;
    assert.equal(s.resources.size, 0);
  });
});

describe('restart policy (D18: RestartAction, RestartThreshold)', () => {
  /** `chain()` online, with B's restart properties set. */
  function online(props: Record<string, number> = {}): ReturnType<typeof chain> {
    const base = chain();
    const { state } = run(base.state, [
      ...(Object.keys(props).length > 0
        ? [{ type: 'resource.set-properties', resource: 'B', properties: props } as Command]
        : []),
      { type: 'group.online', group: 'G' },
    ]);
    return { ...base, state };
  }

  test('by default a failure restarts the resource once on its node, its dependents taken offline and brought back', () => {
    const { state } = online();
    const r = ok(state, { type: 'resource.fail', resource: 'B' });
    assert.deepEqual(resourceSteps(r.changes), [
      ['C', RS.ONLINE, RS.OFFLINE_PENDING],
      ['C', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['B', RS.ONLINE, RS.FAILED],
      ['B', RS.FAILED, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
      ['C', RS.OFFLINE, RS.ONLINE_PENDING],
      ['C', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
    assert.deepEqual(groupSteps(r.changes), [
      ['G', GS.PENDING],
      ['G', GS.PARTIAL_ONLINE],
      ['G', GS.FAILED],
      ['G', GS.PENDING],
      ['G', GS.PARTIAL_ONLINE],
      ['G', GS.PENDING],
      ['G', GS.ONLINE],
    ]);
    assert.equal(ownerOf(r.state, 'G'), 'N1');
    assert.equal(named(r.state.resources, 'B').restartCount, 1);
    assert.equal(types(r.changes).includes('group-owner'), false);
  });

  test('a second failure past RestartThreshold with RestartAction 2 fails the group over to the next preferred up node', () => {
    const { state, id } = online();
    const once = ok(state, { type: 'resource.fail', resource: 'B' }).state;
    const r = ok(once, { type: 'resource.fail', resource: 'B' });
    const owner = r.changes.find((c) => c.type === 'group-owner');
    assert.deepEqual(owner, {
      type: 'group-owner',
      id: id.g,
      name: 'G',
      from: id.n1,
      fromName: 'N1',
      to: id.n2,
      toName: 'N2',
      stateSequence: (owner as { stateSequence: number }).stateSequence,
    });
    assert.equal(ownerOf(r.state, 'G'), 'N2');
    for (const name of ['A', 'B', 'C']) {
      assert.equal(resourceState(r.state, name), RS.ONLINE, name);
      assert.equal(named(r.state.resources, name).restartCount, 0, 'a failover resets the count');
    }
    assert.equal(groupState(r.state, 'G'), GS.ONLINE);
    // Everything after the owner change brings resources up through OnlinePending, in dependency order.
    const after = resourceSteps(r.changes.slice(r.changes.indexOf(owner)));
    assert.deepEqual(after, [
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
      ['B', RS.OFFLINE, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
      ['C', RS.OFFLINE, RS.ONLINE_PENDING],
      ['C', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
  });

  test('with RestartAction 2 and no other up node the resource stays failed', () => {
    const { state } = online({ RestartThreshold: 0 });
    const s = run(state, [
      { type: 'node.pause', node: 'N2' },
      { type: 'node.down', node: 'N3' },
    ]).state;
    const r = ok(s, { type: 'resource.fail', resource: 'B' });
    assert.equal(resourceState(r.state, 'B'), RS.FAILED);
    assert.equal(groupState(r.state, 'G'), GS.FAILED);
    assert.equal(ownerOf(r.state, 'G'), 'N1');
  });

  test('RestartAction 0 never restarts: the resource and its group stay Failed', () => {
    const { state } = online({ RestartAction: RestartAction.DONT_RESTART });
    const r = ok(state, { type: 'resource.fail', resource: 'B' });
    assert.equal(resourceState(r.state, 'B'), RS.FAILED);
    assert.equal(resourceState(r.state, 'C'), RS.OFFLINE);
    assert.equal(resourceState(r.state, 'A'), RS.ONLINE);
    assert.equal(groupState(r.state, 'G'), GS.FAILED);
    assert.equal(ownerOf(r.state, 'G'), 'N1');
  });

  test('RestartAction 1 restarts up to RestartThreshold times and then stays failed, never failing over', () => {
    const { state } = online({
      RestartAction: RestartAction.RESTART_NO_NOTIFY,
      RestartThreshold: 3,
    });
    let s = state;
    for (let i = 1; i <= 3; i++) {
      s = ok(s, { type: 'resource.fail', resource: 'B' }).state;
      assert.equal(resourceState(s, 'B'), RS.ONLINE, `restart ${i}`);
      assert.equal(named(s.resources, 'B').restartCount, i);
    }
    const r = ok(s, { type: 'resource.fail', resource: 'B' });
    assert.equal(resourceState(r.state, 'B'), RS.FAILED);
    assert.equal(groupState(r.state, 'G'), GS.FAILED);
    assert.equal(ownerOf(r.state, 'G'), 'N1');
    assert.equal(types(r.changes).includes('group-owner'), false);
  });

  test('bringing a resource online by command, alone or with its group, resets its restart count', () => {
    const { state } = online();
    const failedOnce = ok(state, { type: 'resource.fail', resource: 'B' }).state;
    for (const again of [
      [
        { type: 'resource.offline', resource: 'B' },
        { type: 'resource.online', resource: 'B' },
      ],
      [
        { type: 'group.offline', group: 'G' },
        { type: 'group.online', group: 'G' },
      ],
    ] as Command[][]) {
      const s = run(failedOnce, again).state;
      assert.equal(named(s.resources, 'B').restartCount, 0, again[1]?.type);
      const r = ok(s, { type: 'resource.fail', resource: 'B' });
      assert.equal(ownerOf(r.state, 'G'), 'N1', 'the next failure restarts again');
    }
  });

  test('only an online resource can fail: INVALID_STATE', () => {
    const { state } = chain();
    refused(state, { type: 'resource.fail', resource: 'A' }, 'INVALID_STATE', 0x139f);
  });
});

describe('nodes: pause, resume, down, up (§9.1, D19)', () => {
  test('pause and resume change the node state with one record each; a paused node is not paused again', () => {
    const { state, id } = small();
    const p = ok(state, { type: 'node.pause', node: 'N2' });
    assert.deepEqual(p.changes, [
      { type: 'node-state', id: id.n2, name: 'N2', from: ND.UP, to: ND.PAUSED, stateSequence: 1 },
    ]);
    refused(p.state, { type: 'node.pause', node: 'N2' }, 'NODE_PAUSED', 0x13ce);
    const r = ok(p.state, { type: 'node.resume', node: 'N2' });
    assert.deepEqual(r.changes, [
      { type: 'node-state', id: id.n2, name: 'N2', from: ND.PAUSED, to: ND.UP, stateSequence: 2 },
    ]);
    refused(r.state, { type: 'node.resume', node: 'N2' }, 'NODE_NOT_PAUSED', 0x13c2);
    const down = ok(r.state, { type: 'node.down', node: 'N2' }).state;
    refused(down, { type: 'node.pause', node: 'N2' }, 'HOST_NODE_NOT_AVAILABLE');
  });

  test('a node going down fails its groups over by preferred owners; resources pass OnlinePending and end Online on the new node', () => {
    const { state, id } = chain();
    const s = ok(state, { type: 'group.online', group: 'G' }).state;
    const r = ok(s, { type: 'node.down', node: 'N1' });
    assert.deepEqual(types(r.changes).slice(0, 3), ['node-state', 'netif-state', 'network-state']);
    assert.deepEqual(r.changes[0], {
      type: 'node-state',
      id: id.n1,
      name: 'N1',
      from: ND.UP,
      to: ND.DOWN,
      stateSequence: 1,
    });
    const steps = resourceSteps(r.changes);
    // The old node is gone: resources drop to Offline at once, dependents first …
    assert.deepEqual(steps.slice(0, 3), [
      ['C', RS.ONLINE, RS.OFFLINE],
      ['B', RS.ONLINE, RS.OFFLINE],
      ['A', RS.ONLINE, RS.OFFLINE],
    ]);
    // … then come up on N2 through OnlinePending, dependencies first.
    assert.deepEqual(steps.slice(3), [
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
      ['B', RS.OFFLINE, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
      ['C', RS.OFFLINE, RS.ONLINE_PENDING],
      ['C', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
    const owner = types(r.changes).indexOf('group-owner');
    assert.ok(owner > types(r.changes).lastIndexOf('network-state'));
    assert.deepEqual(
      resourceSteps(r.changes.slice(0, owner)).map(([, , to]) => to),
      [RS.OFFLINE, RS.OFFLINE, RS.OFFLINE],
    );
    assert.equal(ownerOf(r.state, 'G'), 'N2');
    assert.equal(groupState(r.state, 'G'), GS.ONLINE);
    assert.equal(named(r.state.netInterfaces, 'N1 - Net').state, IS.UNAVAILABLE);
    assert.equal(r.state.networks.get(id.net)?.state, NS.PARTITIONED);
    assert.equal(ok(r.state, { type: 'node.down', node: 'N1' }).changes.length, 0);
  });

  test('a paused node receives no failed-over group; with no up node the resources go Offline and the group stays', () => {
    const { state, id } = chain();
    let s = run(state, [
      { type: 'group.online', group: 'G' },
      { type: 'node.pause', node: 'N2' },
    ]).state;
    s = ok(s, { type: 'node.down', node: 'N1' }).state;
    assert.equal(ownerOf(s, 'G'), 'N3', 'N2 is paused, so the next preferred owner');
    const r = ok(s, { type: 'node.down', node: 'N3' });
    assert.equal(types(r.changes).includes('group-owner'), false);
    assert.equal(ownerOf(r.state, 'G'), 'N3');
    for (const name of ['A', 'B', 'C']) assert.equal(resourceState(r.state, name), RS.OFFLINE);
    assert.equal(groupState(r.state, 'G'), GS.OFFLINE);
    // N1 and N3 down, N2 paused: one interface Up of three.
    assert.equal(r.state.networks.get(id.net)?.state, NS.PARTITIONED);
    const all = ok(r.state, { type: 'node.down', node: 'N2' }).state;
    assert.equal(all.networks.get(id.net)?.state, NS.DOWN, 'no interface up: the network is Down');
  });

  test('a node coming up passes through Joining, its interfaces come back Up and the network follows', () => {
    const { state, id } = small();
    const down = ok(state, { type: 'node.down', node: 'N2' }).state;
    assert.equal(down.networks.get(id.net)?.state, NS.PARTITIONED);
    const netif = named(down.netInterfaces, 'N2 - Net');
    const r = ok(down, { type: 'node.up', node: 'N2' });
    assert.deepEqual(r.changes, [
      {
        type: 'node-state',
        id: id.n2,
        name: 'N2',
        from: ND.DOWN,
        to: ND.JOINING,
        stateSequence: 2,
      },
      { type: 'node-state', id: id.n2, name: 'N2', from: ND.JOINING, to: ND.UP, stateSequence: 3 },
      {
        type: 'netif-state',
        id: netif.id,
        name: 'N2 - Net',
        nodeId: id.n2,
        from: IS.UNAVAILABLE,
        to: IS.UP,
        stateSequence: 2,
      },
      {
        type: 'network-state',
        id: id.net,
        name: 'Net',
        from: NS.PARTITIONED,
        to: NS.UP,
        stateSequence: 2,
      },
    ]);
    assert.equal(ok(r.state, { type: 'node.up', node: 'N2' }).changes.length, 0);
  });

  test('a node that owns groups cannot be deleted: NODE_OWNS_GROUPS, ERROR_DIR_NOT_EMPTY 0x91', () => {
    const { state } = small();
    refused(state, { type: 'node.delete', node: 'N1' }, 'NODE_OWNS_GROUPS', 0x91);
    ok(state, { type: 'node.delete', node: 'N2' });
  });

  test('interface and network states can be set; the network then follows its interfaces', () => {
    const { state, id } = small();
    const r = ok(state, {
      type: 'netif.set-state',
      netInterface: 'N3 - Net',
      state: IS.UNREACHABLE,
    });
    assert.deepEqual(types(r.changes), ['netif-state', 'network-state']);
    assert.equal(r.state.networks.get(id.net)?.state, NS.PARTITIONED);
    const n = ok(r.state, { type: 'network.set-state', network: 'Net', state: NS.UNAVAILABLE });
    assert.deepEqual(types(n.changes), ['network-state']);
    assert.equal(
      ok(n.state, { type: 'network.set-state', network: 'Net', state: NS.UNAVAILABLE }).changes
        .length,
      0,
    );
    refused(state, { type: 'network.set-state', network: 'Net', state: 7 }, 'INVALID_PROPERTY');
    refused(
      state,
      { type: 'netif.set-state', netInterface: 'N1 - Net', state: 'up' },
      'INVALID_PROPERTY',
    );
  });
});

describe('moving groups (§3.1.1.1.4, D18)', () => {
  test('a move to a named node takes the resources offline through OfflinePending and back online there', () => {
    const { state, id } = chain();
    const s = ok(state, { type: 'group.online', group: 'G' }).state;
    const r = ok(s, { type: 'group.move', group: 'G', node: 'N3' });
    const owner = r.changes.find((c) => c.type === 'group-owner');
    assert.deepEqual(owner && [owner.from, owner.to, owner.fromName, owner.toName], [
      id.n1,
      id.n3,
      'N1',
      'N3',
    ]);
    assert.deepEqual(resourceSteps(r.changes), [
      ['C', RS.ONLINE, RS.OFFLINE_PENDING],
      ['C', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['B', RS.ONLINE, RS.OFFLINE_PENDING],
      ['B', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['A', RS.ONLINE, RS.OFFLINE_PENDING],
      ['A', RS.OFFLINE_PENDING, RS.OFFLINE],
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
      ['B', RS.OFFLINE, RS.ONLINE_PENDING],
      ['B', RS.ONLINE_PENDING, RS.ONLINE],
      ['C', RS.OFFLINE, RS.ONLINE_PENDING],
      ['C', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
    assert.equal(ownerOf(r.state, 'G'), 'N3');
    assert.equal(ok(r.state, { type: 'group.move', group: 'G', node: 'N3' }).changes.length, 0);
  });

  test('an offline group moves with one group-owner record', () => {
    const { state, id } = chain();
    const r = ok(state, { type: 'group.move', group: 'G', node: id.n2 });
    assert.deepEqual(types(r.changes), ['group-owner']);
  });

  test('a move without a node goes to the first other up preferred owner', () => {
    const { state } = small();
    let s = ok(state, { type: 'group.move', group: 'G' }).state;
    assert.equal(ownerOf(s, 'G'), 'N2');
    s = ok(s, { type: 'group.move', group: 'G' }).state;
    assert.equal(ownerOf(s, 'G'), 'N1');
    s = run(s, [
      { type: 'group.set-preferred-owners', group: 'G', nodes: [] },
      { type: 'group.move', group: 'G' },
    ]).state;
    assert.equal(ownerOf(s, 'G'), 'N2', 'no preferred owners: the least loaded, then by name');
  });

  test('a move to a down node is HOST_NODE_NOT_AVAILABLE 0x138D; to a paused node NODE_PAUSED 0x13CE', () => {
    const { state } = small();
    const s = run(state, [
      { type: 'node.down', node: 'N2' },
      { type: 'node.pause', node: 'N3' },
    ]).state;
    refused(s, { type: 'group.move', group: 'G', node: 'N2' }, 'HOST_NODE_NOT_AVAILABLE', 0x138d);
    refused(s, { type: 'group.move', group: 'G', node: 'N3' }, 'NODE_PAUSED', 0x13ce);
    refused(s, { type: 'group.move', group: 'G' }, 'HOST_NODE_NOT_AVAILABLE', 0x138d);
    refused(s, { type: 'group.move', group: 'G', node: 'N9' }, 'NODE_NOT_FOUND', 0x13b2);
  });

  test('a move respects the possible owners of every resource in the group', () => {
    const { state, newId } = small();
    const s = ok(state, {
      type: 'resource.create',
      id: newId(),
      name: 'A',
      resourceType: 'Disk',
      group: 'G',
      possibleOwners: ['N1', 'N3'],
    }).state;
    refused(s, { type: 'group.move', group: 'G', node: 'N2' }, 'HOST_NODE_NOT_AVAILABLE');
    const best = ok(s, { type: 'group.move', group: 'G' }).state;
    assert.equal(ownerOf(best, 'G'), 'N3', 'N2 is preferred but not a possible owner');
    const only = ok(s, {
      type: 'resource.set-possible-owners',
      resource: 'A',
      nodes: ['N1'],
    }).state;
    refused(only, { type: 'group.move', group: 'G' }, 'HOST_NODE_NOT_AVAILABLE');
  });

  test('preferred owners and possible owners are reported when they change', () => {
    const { state, id, newId } = small();
    const a = newId();
    const r = run(state, [
      { type: 'group.set-preferred-owners', group: 'G', nodes: ['N3', 'n3', id.n1] },
      { type: 'group.set-preferred-owners', group: 'G', nodes: ['N3', 'N1'] },
      { type: 'resource.create', id: a, name: 'A', resourceType: 'Disk', group: 'G' },
      { type: 'resource.set-possible-owners', resource: 'A', nodes: ['N2'] },
    ]);
    assert.deepEqual(types(r.changes), [
      'group-preferred-owners',
      'resource-added',
      'resource-possible-owners',
    ]);
    assert.deepEqual((r.changes[0] as { owners: readonly string[] }).owners, [id.n3, id.n1]);
    assert.deepEqual((r.changes[2] as { owners: readonly string[] }).owners, [id.n2]);
    refused(
      state,
      { type: 'group.set-preferred-owners', group: 'G', nodes: 'N1' },
      'INVALID_COMMAND',
    );
  });
});

describe('moving a resource to another group (§3.1.4.2.26)', () => {
  test('the move bumps the resource sequence by one and reports resource-group with both groups', () => {
    const { state, id, newId } = small();
    const h = newId();
    const a = newId();
    const s = run(state, [
      { type: 'group.create', id: h, name: 'H', node: 'N1' },
      { type: 'resource.create', id: a, name: 'A', resourceType: 'Disk', group: 'G' },
    ]).state;
    const r = ok(s, { type: 'resource.move', resource: 'A', group: 'H' });
    assert.deepEqual(r.changes, [
      {
        type: 'resource-group',
        id: a,
        name: 'A',
        typeName: 'Disk',
        fromGroupId: id.g,
        fromGroupName: 'G',
        fromOwnerNodeId: id.n1,
        toGroupId: h,
        toGroupName: 'H',
        toOwnerNodeId: id.n1,
        fromGroupStateSequence: 0,
        toGroupStateSequence: 0,
        stateSequence: 1,
      },
    ]);
    assert.equal(r.state.resources.get(a)?.groupId, h);
    assert.equal(
      ok(r.state, { type: 'resource.move', resource: 'A', group: 'H' }).changes.length,
      0,
    );
  });

  test('an online resource moving to a group on another node goes offline and comes back online there; the groups re-derive', () => {
    const { state, newId } = small();
    const s = run(state, [
      { type: 'group.create', id: newId(), name: 'H', node: 'N2' },
      { type: 'resource.create', id: newId(), name: 'A', resourceType: 'Disk', group: 'G' },
      { type: 'resource.online', resource: 'A' },
    ]).state;
    const r = ok(s, { type: 'resource.move', resource: 'A', group: 'H' });
    const moved = r.changes.findIndex((c) => c.type === 'resource-group');
    assert.deepEqual(resourceSteps(r.changes.slice(0, moved)), [
      ['A', RS.ONLINE, RS.OFFLINE_PENDING],
      ['A', RS.OFFLINE_PENDING, RS.OFFLINE],
    ]);
    assert.deepEqual(resourceSteps(r.changes.slice(moved)), [
      ['A', RS.OFFLINE, RS.ONLINE_PENDING],
      ['A', RS.ONLINE_PENDING, RS.ONLINE],
    ]);
    const rec = r.changes[moved] as { stateSequence: number };
    assert.equal(rec.stateSequence, named(s.resources, 'A').stateSequence + 3);
    assert.equal(groupState(r.state, 'G'), GS.OFFLINE);
    assert.equal(groupState(r.state, 'H'), GS.ONLINE);
  });

  test('an online resource moving within a node stays online; the groups re-derive', () => {
    const { state, newId } = small();
    const s = run(state, [
      { type: 'group.create', id: newId(), name: 'H', node: 'N1' },
      { type: 'resource.create', id: newId(), name: 'A', resourceType: 'Disk', group: 'G' },
      { type: 'resource.online', resource: 'A' },
    ]).state;
    const r = ok(s, { type: 'resource.move', resource: 'A', group: 'H' });
    assert.deepEqual(types(r.changes), ['resource-group', 'group-state', 'group-state']);
    assert.deepEqual(groupSteps(r.changes), [
      ['G', GS.OFFLINE],
      ['H', GS.ONLINE],
    ]);
  });

  test('a resource with dependencies or dependents cannot move alone: DEPENDENCY_NOT_ALLOWED', () => {
    const { state, newId } = chain();
    const s = ok(state, { type: 'group.create', id: newId(), name: 'H' }).state;
    for (const name of ['A', 'B', 'C']) {
      refused(s, { type: 'resource.move', resource: name, group: 'H' }, 'DEPENDENCY_NOT_ALLOWED');
    }
  });
});

describe('state sequences (§2.3, §13 item 4, D15)', () => {
  /** Every state and group-move record bumps its object's sequence by exactly one; others keep it. */
  function checkSequences(
    before: ClusterState,
    changes: readonly Change[],
    after: ClusterState,
  ): number {
    const seq = new Map<string, number>();
    const current = (kind: string, id: string, s: ClusterState): number | undefined => {
      const maps: Record<string, { get(id: string): { stateSequence: number } | undefined }> = {
        node: s.nodes,
        group: s.groups,
        resource: s.resources,
        network: s.networks,
        netif: s.netInterfaces,
      };
      return maps[kind]?.get(id)?.stateSequence;
    };
    let bumps = 0;
    for (const c of changes) {
      if (!('stateSequence' in c) || !('id' in c)) continue;
      const kind = c.type.split('-')[0] as string;
      const key = `${kind}:${c.id}`;
      const prev = seq.get(key) ?? current(kind, c.id, before);
      const bump =
        'from' in c && 'to' in c && typeof c.from === 'number'
          ? 1
          : c.type === 'resource-group'
            ? 1
            : 0;
      if (c.type.endsWith('-added')) assert.equal(c.stateSequence, 0, `${c.type} starts at 0`);
      else assert.equal(c.stateSequence, (prev as number) + bump, `${c.type} ${c.id}`);
      bumps += bump;
      seq.set(key, c.stateSequence);
    }
    for (const [key, n] of seq) {
      const [kind, id] = key.split(':') as [string, string];
      const now = current(kind, id, after);
      if (now !== undefined) assert.equal(now, n, `${key} ends at its last reported sequence`);
    }
    return bumps;
  }

  test('sequences start at 0 and bump by exactly one per state change for nodes, groups, resources, networks and interfaces', () => {
    const { state, newId } = bootstrapped();
    for (const m of [
      state.nodes,
      state.groups,
      state.resources,
      state.networks,
      state.netInterfaces,
    ]) {
      for (const o of m.values()) assert.ok(o.stateSequence >= 0);
    }
    const commands: Command[] = [
      { type: 'node.pause', node: 'NODE3' },
      { type: 'node.resume', node: 'NODE3' },
      { type: 'resource.fail', resource: 'SQL Disk' },
      { type: 'resource.fail', resource: 'SQL Disk' },
      { type: 'node.down', node: 'NODE1' },
      { type: 'node.up', node: 'NODE1' },
      { type: 'group.move', group: 'Cluster Group', node: 'NODE1' },
      { type: 'group.create', id: newId(), name: 'Empty' },
      {
        type: 'resource.create',
        id: newId(),
        name: 'Loose',
        resourceType: 'IP Address',
        group: 'Empty',
      },
      { type: 'resource.online', resource: 'Loose' },
      { type: 'resource.move', resource: 'Loose', group: 'SQL Group' },
      { type: 'resource.set-properties', resource: 'Loose', properties: { X: 1 } },
      { type: 'group.rename', group: 'Empty', name: 'Empty2' },
      { type: 'netif.set-state', netInterface: 'NODE2 - Cluster Network 1', state: IS.FAILED },
      { type: 'network.set-state', network: 'Cluster Network 1', state: NS.UP },
      { type: 'node.down', node: 'NODE2' },
      { type: 'node.down', node: 'NODE3' },
      { type: 'node.up', node: 'NODE2' },
    ];
    let s = state;
    let bumps = 0;
    for (const c of commands) {
      const r = ok(s, c);
      bumps += checkSequences(s, r.changes, r.state);
      s = r.state;
    }
    assert.ok(bumps > 100, `only ${bumps} state changes`);
  });

  test('property changes, renames and owner lists do not bump a sequence', () => {
    const { state, id } = small();
    const r = run(state, [
      { type: 'node.set-properties', node: 'N1', properties: { A: 1 } },
      { type: 'group.rename', group: 'G', name: 'G2' },
      { type: 'group.set-preferred-owners', group: 'G2', nodes: ['N2'] },
    ]);
    assert.equal(r.state.nodes.get(id.n1)?.stateSequence, 0);
    assert.equal(r.state.groups.get(id.g)?.stateSequence, 0);
    for (const c of r.changes) assert.equal((c as { stateSequence: number }).stateSequence, 0);
  });

  test('a sequence wraps at 2^32 (DWORD)', () => {
    const { state, id } = small();
    const n = state.nodes.get(id.n1);
    assert.ok(n !== undefined);
    const high: ClusterState = {
      ...state,
      nodes: state.nodes.set(id.n1, { ...n, stateSequence: 0xffffffff }),
    };
    const r = ok(high, { type: 'node.pause', node: 'N1' });
    assert.equal((r.changes[0] as { stateSequence: number }).stateSequence, 0);
  });
});

describe('quorum (§3.1 QUORUM_STATE, §4.6 QUORUM_STATE_V2, D16)', () => {
  test('quorum.set reports quorum-state with the resource state; setting it again changes nothing', () => {
    const { state, newId } = small();
    const a = newId();
    const s = run(state, [
      { type: 'resource.create', id: a, name: 'Disk', resourceType: 'Disk', group: 'G' },
      { type: 'resource.online', resource: 'Disk' },
    ]).state;
    const r = ok(s, { type: 'quorum.set', resource: 'disk' });
    assert.deepEqual(r.changes, [
      {
        type: 'quorum-state',
        clusterName: 'CLUSTER1',
        resourceId: a,
        name: 'Disk',
        state: RS.ONLINE,
      },
    ]);
    assert.equal(r.state.cluster.quorumResourceId, a);
    assert.deepEqual(r.touched, [{ kind: 'cluster', id: state.cluster.id }]);
    assert.equal(ok(r.state, { type: 'quorum.set', resource: a }).changes.length, 0);
  });

  test('every state change of the quorum resource is followed by quorum-state', () => {
    const { state, newId } = small();
    const s = run(state, [
      { type: 'resource.create', id: newId(), name: 'Disk', resourceType: 'Disk', group: 'G' },
      { type: 'resource.create', id: newId(), name: 'Other', resourceType: 'Disk', group: 'G' },
      { type: 'quorum.set', resource: 'Disk' },
    ]).state;
    const r = ok(s, { type: 'group.online', group: 'G' });
    const rows = r.changes
      .filter(
        (c) => c.type === 'quorum-state' || (c.type === 'resource-state' && c.name === 'Disk'),
      )
      .map((c) => [c.type, c.type === 'quorum-state' ? c.state : (c as { to: number }).to]);
    assert.deepEqual(rows, [
      ['resource-state', RS.ONLINE_PENDING],
      ['quorum-state', RS.ONLINE_PENDING],
      ['resource-state', RS.ONLINE],
      ['quorum-state', RS.ONLINE],
    ]);
    const i = r.changes.findIndex((c) => c.type === 'quorum-state');
    assert.equal(
      types(r.changes)[i - 2],
      'resource-state',
      'after the resource step and its group step',
    );
  });

  test('the quorum resource cannot be deleted: QUORUM_RESOURCE', () => {
    const { state } = bootstrapped();
    const s = ok(state, { type: 'group.offline', group: 'Cluster Group' }).state;
    refused(s, { type: 'resource.delete', resource: 'Witness Disk' }, 'QUORUM_RESOURCE', 0x139c);
  });
});

describe('the cluster database (§6.4, D9)', () => {
  test("key.create creates every missing ancestor, each reported, with its parent's security", () => {
    const s = ok(empty(), { type: 'key.set-security', path: '', security: 'O:BA' }).state;
    const r = ok(s, { type: 'key.create', path: 'A\\B\\C' });
    assert.deepEqual(r.changes, [
      { type: 'key-created', path: 'A' },
      { type: 'key-created', path: 'A\\B' },
      { type: 'key-created', path: 'A\\B\\C' },
    ]);
    assert.deepEqual(r.state.registry.get('a\\b\\c'), {
      path: 'A\\B\\C',
      values: {},
      security: 'O:BA',
    });
    const more = ok(r.state, { type: 'key.create', path: 'a\\b\\D' });
    assert.deepEqual(
      more.changes,
      [{ type: 'key-created', path: 'A\\B\\D' }],
      'existing keys keep their case',
    );
    assert.equal(ok(more.state, { type: 'key.create', path: 'A\\b' }).changes.length, 0);
    assert.equal(ok(more.state, { type: 'key.create', path: '' }).changes.length, 0);
    assert.equal(empty().registry.get('')?.security, DEFAULT_KEY_SECURITY);
  });

  test('key.delete deletes the key and its subtree, deepest keys first, each reported', () => {
    const s = run(empty(), [
      { type: 'key.create', path: 'A\\B\\C' },
      { type: 'key.create', path: 'A\\B2' },
      { type: 'key.create', path: 'A\\B\\D' },
      { type: 'key.create', path: 'AB' },
    ]).state;
    const r = ok(s, { type: 'key.delete', path: 'a' });
    assert.deepEqual(r.changes, [
      { type: 'key-deleted', path: 'A\\B\\C' },
      { type: 'key-deleted', path: 'A\\B\\D' },
      { type: 'key-deleted', path: 'A\\B' },
      { type: 'key-deleted', path: 'A\\B2' },
      { type: 'key-deleted', path: 'A' },
    ]);
    assert.deepEqual([...r.state.registry.keys()].sort(), ['', 'ab']);
    assert.equal(r.touched.length, 5);
  });

  test('values are set and deleted, each reported with the key path and value name', () => {
    const s = ok(empty(), { type: 'key.create', path: 'K' }).state;
    const r = run(s, [
      {
        type: 'value.set',
        path: 'k',
        name: 'Text',
        value: { type: RegistryValueType.SZ, data: 'x' },
      },
      {
        type: 'value.set',
        path: 'K',
        name: '',
        value: { type: RegistryValueType.DWORD, data: 0xffffffff },
      },
      {
        type: 'value.set',
        path: 'K',
        name: 'Q',
        value: { type: RegistryValueType.QWORD, data: '18446744073709551615' },
      },
      {
        type: 'value.set',
        path: 'K',
        name: 'M',
        value: { type: RegistryValueType.MULTI_SZ, data: ['a', 'b'] },
      },
      {
        type: 'value.set',
        path: 'K',
        name: 'B',
        value: { type: RegistryValueType.BINARY, data: 'AAEC' },
      },
      {
        type: 'value.set',
        path: 'K',
        name: 'E',
        value: { type: RegistryValueType.EXPAND_SZ, data: '%x%' },
      },
      { type: 'value.delete', path: 'K', name: 'Text' },
    ]);
    assert.deepEqual(r.changes, [
      { type: 'value-set', path: 'K', name: 'Text' },
      { type: 'value-set', path: 'K', name: '' },
      { type: 'value-set', path: 'K', name: 'Q' },
      { type: 'value-set', path: 'K', name: 'M' },
      { type: 'value-set', path: 'K', name: 'B' },
      { type: 'value-set', path: 'K', name: 'E' },
      { type: 'value-deleted', path: 'K', name: 'Text' },
    ]);
    assert.deepEqual(Object.keys(r.state.registry.get('k')?.values ?? {}).sort(), [
      '',
      'B',
      'E',
      'M',
      'Q',
    ]);
    refused(r.state, { type: 'value.delete', path: 'K', name: 'Text' }, 'VALUE_NOT_FOUND', 0x2);
  });

  test('key.set-security reports key-security', () => {
    const s = ok(empty(), { type: 'key.create', path: 'K' }).state;
    const r = ok(s, { type: 'key.set-security', path: 'K', security: 'O:SYG:SY' });
    assert.deepEqual(r.changes, [{ type: 'key-security', path: 'K' }]);
    assert.equal(r.state.registry.get('k')?.security, 'O:SYG:SY');
  });

  test('bad paths are INVALID_KEY_PATH; the root cannot be deleted; a missing key is KEY_NOT_FOUND', () => {
    const s = ok(empty(), { type: 'key.create', path: 'K' }).state;
    for (const path of ['\\K', 'K\\', 'K\\\\L', '\\', 'a\u0001b', 'x'.repeat(256), 5, null]) {
      refused(s, { type: 'key.create', path }, 'INVALID_KEY_PATH', 0x57);
      refused(
        s,
        { type: 'value.set', path, name: 'v', value: { type: 1, data: 'x' } },
        'INVALID_KEY_PATH',
      );
    }
    refused(s, { type: 'key.delete', path: '' }, 'INVALID_KEY_PATH');
    refused(s, { type: 'key.delete', path: 'L' }, 'KEY_NOT_FOUND', 0x2);
    refused(s, { type: 'key.set-security', path: 'K\\L', security: 'O:BA' }, 'KEY_NOT_FOUND');
    refused(
      s,
      { type: 'value.set', path: 'L', name: 'v', value: { type: 1, data: 'x' } },
      'KEY_NOT_FOUND',
    );
  });
});

describe('bad input is refused with its code and status and changes nothing (STYLE "Errors and bad input")', () => {
  const { state, newId } = bootstrapped();
  const fresh = (): string => newId();
  const cases: [string, unknown, ErrorCode][] = [
    // unknown ids and names
    ['an unknown node name', { type: 'node.rename', node: 'NODE9', name: 'x' }, 'NODE_NOT_FOUND'],
    ['an unknown node id', { type: 'node.pause', node: fresh() }, 'NODE_NOT_FOUND'],
    ['an unknown group', { type: 'group.online', group: 'Nope' }, 'GROUP_NOT_FOUND'],
    ['an unknown resource', { type: 'resource.online', resource: 'Nope' }, 'RESOURCE_NOT_FOUND'],
    ['an unknown quorum resource', { type: 'quorum.set', resource: 'Nope' }, 'RESOURCE_NOT_FOUND'],
    [
      'an unknown resource type',
      { type: 'resource.create', id: fresh(), name: 'X', resourceType: 'Nope', group: 'SQL Group' },
      'RESOURCE_TYPE_NOT_FOUND',
    ],
    [
      'an unknown network',
      { type: 'network.rename', network: 'Nope', name: 'x' },
      'NETWORK_NOT_FOUND',
    ],
    [
      'an unknown interface',
      { type: 'netif.set-state', netInterface: 'Nope', state: 3 },
      'NETINTERFACE_NOT_FOUND',
    ],
    [
      'an unknown target group',
      { type: 'resource.move', resource: 'SQL Disk', group: 'Nope' },
      'GROUP_NOT_FOUND',
    ],
    [
      'an unknown preferred owner',
      { type: 'group.set-preferred-owners', group: 'SQL Group', nodes: ['NODE1', 'NODE9'] },
      'NODE_NOT_FOUND',
    ],
    [
      'an unknown possible owner',
      {
        type: 'resource.create',
        id: fresh(),
        name: 'X',
        resourceType: 'IP Address',
        group: 'SQL Group',
        possibleOwners: ['NODE9'],
      },
      'NODE_NOT_FOUND',
    ],
    ['an empty reference', { type: 'node.pause', node: '' }, 'INVALID_COMMAND'],
    ['a reference that is not a string', { type: 'group.offline', group: 7 }, 'INVALID_COMMAND'],
    ['a missing reference', { type: 'resource.offline' }, 'INVALID_COMMAND'],
    // duplicates
    ['a duplicate node name', { type: 'node.create', id: fresh(), name: 'node1' }, 'NAME_EXISTS'],
    [
      'a duplicate group name',
      { type: 'group.create', id: fresh(), name: 'sql group' },
      'NAME_EXISTS',
    ],
    [
      'a duplicate resource name',
      { type: 'resource.rename', resource: 'SQL Disk', name: 'WITNESS DISK' },
      'NAME_EXISTS',
    ],
    [
      'a duplicate network name',
      { type: 'network.create', id: fresh(), name: 'cluster network 1' },
      'NAME_EXISTS',
    ],
    [
      'a duplicate resource type',
      { type: 'restype.create', name: 'physical disk', dllName: 'x.dll' },
      'NAME_EXISTS',
    ],
    [
      'a duplicate id',
      { type: 'node.create', id: state.nodes.keySeq().first(), name: 'NODE9' },
      'ID_EXISTS',
    ],
    // deletions that would orphan something
    [
      'deleting a node that owns groups',
      { type: 'node.delete', node: 'NODE1' },
      'NODE_OWNS_GROUPS',
    ],
    [
      'deleting a group with resources',
      { type: 'group.delete', group: 'SQL Group' },
      'GROUP_NOT_EMPTY',
    ],
    [
      'deleting an online resource',
      { type: 'resource.delete', resource: 'SQL Server' },
      'RESOURCE_ONLINE',
    ],
    [
      'deleting the quorum resource',
      { type: 'resource.delete', resource: 'Witness Disk' },
      'QUORUM_RESOURCE',
    ],
    [
      'deleting a resource type in use',
      { type: 'restype.delete', name: 'Physical Disk' },
      'RESOURCE_TYPE_IN_USE',
    ],
    [
      'deleting a network with interfaces',
      { type: 'network.delete', network: 'Cluster Network 1' },
      'NETWORK_HAS_INTERFACES',
    ],
    ['deleting the root key', { type: 'key.delete', path: '' }, 'INVALID_KEY_PATH'],
    // property values
    [
      'a boolean property',
      { type: 'group.set-properties', group: 'SQL Group', properties: { X: true } },
      'INVALID_PROPERTY',
    ],
    [
      'an object property',
      { type: 'node.set-properties', node: 'NODE1', properties: { X: { a: 1 } } },
      'INVALID_PROPERTY',
    ],
    [
      'a list of numbers',
      { type: 'network.set-properties', network: 'Cluster Network 1', properties: { X: [1] } },
      'INVALID_PROPERTY',
    ],
    [
      'a list with an empty string',
      { type: 'cluster.set-properties', properties: { X: ['a', ''] } },
      'INVALID_PROPERTY',
    ],
    [
      'a number above 32 bits',
      { type: 'resource.set-properties', resource: 'SQL Disk', properties: { X: 2 ** 32 } },
      'INVALID_PROPERTY',
    ],
    [
      'a number below -2^31',
      { type: 'resource.set-properties', resource: 'SQL Disk', properties: { X: -(2 ** 31) - 1 } },
      'INVALID_PROPERTY',
    ],
    [
      'a fraction',
      { type: 'restype.set-properties', name: 'IP Address', properties: { X: 1.5 } },
      'INVALID_PROPERTY',
    ],
    [
      'NaN',
      {
        type: 'netif.set-properties',
        netInterface: 'NODE1 - Cluster Network 1',
        properties: { X: NaN },
      },
      'INVALID_PROPERTY',
    ],
    [
      'RestartAction 3',
      { type: 'resource.set-properties', resource: 'SQL Disk', properties: { RestartAction: 3 } },
      'INVALID_PROPERTY',
    ],
    [
      'RestartAction -1',
      { type: 'resource.set-properties', resource: 'SQL Disk', properties: { RestartAction: -1 } },
      'INVALID_PROPERTY',
    ],
    [
      'RestartAction as text',
      { type: 'resource.set-properties', resource: 'SQL Disk', properties: { RestartAction: '2' } },
      'INVALID_PROPERTY',
    ],
    [
      'RestartThreshold -1',
      {
        type: 'resource.set-properties',
        resource: 'SQL Disk',
        properties: { RestartThreshold: -1 },
      },
      'INVALID_PROPERTY',
    ],
    [
      'RestartAction 3 at creation',
      {
        type: 'resource.create',
        id: fresh(),
        name: 'X',
        resourceType: 'IP Address',
        group: 'SQL Group',
        properties: { RestartAction: 3 },
      },
      'INVALID_PROPERTY',
    ],
    [
      'Name through cluster.set-properties',
      { type: 'cluster.set-properties', properties: { Name: 'x' } },
      'INVALID_PROPERTY',
    ],
    [
      'Name through node.set-properties',
      { type: 'node.set-properties', node: 'NODE1', properties: { Name: 'x' } },
      'INVALID_PROPERTY',
    ],
    [
      'Name through group.set-properties',
      { type: 'group.set-properties', group: 'SQL Group', properties: { Name: 'x' } },
      'INVALID_PROPERTY',
    ],
    [
      'Name through resource.set-properties',
      {
        type: 'resource.set-properties',
        resource: 'SQL Disk',
        scope: 'private',
        properties: { Name: 'x' },
      },
      'INVALID_PROPERTY',
    ],
    [
      'Name removed through set-properties',
      { type: 'network.set-properties', network: 'Cluster Network 1', properties: { Name: null } },
      'INVALID_PROPERTY',
    ],
    [
      'Name at creation',
      {
        type: 'resource.create',
        id: fresh(),
        name: 'X',
        resourceType: 'IP Address',
        group: 'SQL Group',
        properties: { Name: 'y' },
      },
      'INVALID_PROPERTY',
    ],
    [
      'a __proto__ property',
      {
        type: 'node.set-properties',
        node: 'NODE1',
        properties: JSON.parse('{"__proto__": ["x"]}') as unknown,
      },
      'INVALID_PROPERTY',
    ],
    [
      'an empty property name',
      { type: 'node.set-properties', node: 'NODE1', properties: { '': 1 } },
      'INVALID_PROPERTY',
    ],
    [
      'a group type out of range',
      { type: 'group.create', id: fresh(), name: 'X', groupType: -1 },
      'INVALID_PROPERTY',
    ],
    [
      'an undefined network state',
      { type: 'network.set-state', network: 'Cluster Network 1', state: 9 },
      'INVALID_PROPERTY',
    ],
    [
      'an unknown scope',
      { type: 'node.set-properties', node: 'NODE1', scope: 'public', properties: { X: 1 } },
      'INVALID_COMMAND',
    ],
    [
      'properties that are not an object',
      { type: 'node.set-properties', node: 'NODE1', properties: null },
      'INVALID_COMMAND',
    ],
    [
      'properties that are a list',
      { type: 'group.set-properties', group: 'SQL Group', properties: [1] },
      'INVALID_COMMAND',
    ],
    [
      'creation properties that are a list',
      {
        type: 'resource.create',
        id: fresh(),
        name: 'X',
        resourceType: 'IP Address',
        group: 'SQL Group',
        properties: [1, 2],
      },
      'INVALID_COMMAND',
    ],
    [
      'preferred owners that are not a list',
      { type: 'group.create', id: fresh(), name: 'X', preferredOwners: 'NODE1' },
      'INVALID_COMMAND',
    ],
    [
      'possible owners that are not a list',
      {
        type: 'resource.create',
        id: fresh(),
        name: 'X',
        resourceType: 'IP Address',
        group: 'SQL Group',
        possibleOwners: 'NODE1',
      },
      'INVALID_COMMAND',
    ],
    [
      'possible owners that are not a list (set)',
      { type: 'resource.set-possible-owners', resource: 'SQL Disk', nodes: 'NODE1' },
      'INVALID_COMMAND',
    ],
    // ids
    [
      'an id that is not a GUID',
      { type: 'node.create', id: 'node-4', name: 'NODE4' },
      'INVALID_ID',
    ],
    ['a GUID in braces', { type: 'group.create', id: `{${fresh()}}`, name: 'X' }, 'INVALID_ID'],
    ['a numeric id', { type: 'network.create', id: 42, name: 'X' }, 'INVALID_ID'],
    [
      'a missing id',
      { type: 'resource.create', name: 'X', resourceType: 'IP Address', group: 'SQL Group' },
      'INVALID_ID',
    ],
    [
      'an id that is an object whose toString is not a function',
      { type: 'node.create', id: JSON.parse('{"toString": 1}') as unknown, name: 'X' },
      'INVALID_ID',
    ],
    [
      'a group id that is such an object',
      { type: 'group.create', id: JSON.parse('{"toString": 1}') as unknown, name: 'X' },
      'INVALID_ID',
    ],
    [
      'a network state that is such an object',
      {
        type: 'network.set-state',
        network: 'Cluster Network 1',
        state: JSON.parse('{"toString": 1}') as unknown,
      },
      'INVALID_PROPERTY',
    ],
    [
      'a registry value type that is such an object',
      {
        type: 'value.set',
        path: 'Parameters',
        name: 'v',
        value: { type: JSON.parse('{"toString": 1}') as unknown, data: 1 },
      },
      'INVALID_PROPERTY',
    ],
    [
      'a short GUID',
      {
        type: 'netif.create',
        id: '00000000-0000-4000-8000-00000000001',
        node: 'NODE1',
        network: 'Cluster Network 1',
      },
      'INVALID_ID',
    ],
    // commands
    ['an unknown command type', { type: 'node.explode', node: 'NODE1' }, 'INVALID_COMMAND'],
    ['a command without type', { node: 'NODE1' }, 'INVALID_COMMAND'],
    ['a numeric type', { type: 7 }, 'INVALID_COMMAND'],
    ['null', null, 'INVALID_COMMAND'],
    ['a string', 'node.create', 'INVALID_COMMAND'],
    ['an array', [], 'INVALID_COMMAND'],
    // registry values
    [
      'a value without type',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { data: 'x' } },
      'INVALID_PROPERTY',
    ],
    [
      'a null value',
      { type: 'value.set', path: 'Parameters', name: 'v', value: null },
      'INVALID_PROPERTY',
    ],
    [
      'an unknown value type',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 99, data: 'x' } },
      'INVALID_PROPERTY',
    ],
    [
      'an SZ that is a number',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 1, data: 5 } },
      'INVALID_PROPERTY',
    ],
    [
      'a negative DWORD',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 4, data: -1 } },
      'INVALID_PROPERTY',
    ],
    [
      'a DWORD above 32 bits',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 4, data: 2 ** 32 } },
      'INVALID_PROPERTY',
    ],
    [
      'a DWORD as text',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 4, data: '1' } },
      'INVALID_PROPERTY',
    ],
    [
      'a QWORD above 64 bits',
      {
        type: 'value.set',
        path: 'Parameters',
        name: 'v',
        value: { type: 11, data: '18446744073709551616' },
      },
      'INVALID_PROPERTY',
    ],
    [
      'a negative QWORD',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 11, data: '-1' } },
      'INVALID_PROPERTY',
    ],
    [
      'a MULTI_SZ with an empty string',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 7, data: ['a', ''] } },
      'INVALID_PROPERTY',
    ],
    [
      'a MULTI_SZ that is a string',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 7, data: 'a' } },
      'INVALID_PROPERTY',
    ],
    [
      'BINARY that is not base64',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 3, data: '!!!!' } },
      'INVALID_PROPERTY',
    ],
    [
      'BINARY of a bad length',
      { type: 'value.set', path: 'Parameters', name: 'v', value: { type: 3, data: 'AAE' } },
      'INVALID_PROPERTY',
    ],
    [
      'a value name that is not a string',
      { type: 'value.set', path: 'Parameters', name: 5, value: { type: 1, data: 'x' } },
      'INVALID_COMMAND',
    ],
    [
      'an empty security descriptor',
      { type: 'key.set-security', path: 'Parameters', security: '' },
      'INVALID_PROPERTY',
    ],
    [
      'a key path with an empty segment',
      { type: 'key.create', path: 'Parameters\\\\X' },
      'INVALID_KEY_PATH',
    ],
    [
      'a key path with a leading backslash',
      { type: 'key.create', path: '\\Parameters' },
      'INVALID_KEY_PATH',
    ],
    [
      'a key path with a trailing backslash',
      { type: 'key.delete', path: 'Parameters\\' },
      'INVALID_KEY_PATH',
    ],
    // states
    [
      'resuming a node that is not paused',
      { type: 'node.resume', node: 'NODE1' },
      'NODE_NOT_PAUSED',
    ],
  ];

  for (const [what, command, code] of cases) {
    test(`${what} is refused with ${code} and the next good command still works`, () => {
      refused(state, command, code);
      const next = ok(state, { type: 'cluster.set-properties', properties: { Probe: what } });
      assert.equal(next.changes.length, 1);
    });
  }

  test('the statuses named by the reference are the MS-CMRP values', () => {
    refused(state, { type: 'node.create', id: fresh(), name: 'Node2' }, 'NAME_EXISTS', 0x1392);
    refused(state, { type: 'group.delete', group: 'SQL Group' }, 'GROUP_NOT_EMPTY', 0x91);
    refused(state, { type: 'resource.delete', resource: 'SQL Server' }, 'RESOURCE_ONLINE', 0x139b);
    refused(state, { type: 'node.delete', node: 'NODE1' }, 'NODE_OWNS_GROUPS', 0x91);
    refused(state, { type: 'node.create', id: 'x', name: 'y' }, 'INVALID_ID', 0x57);
    refused(state, { type: 'nope' }, 'INVALID_COMMAND', 0x57);
    refused(
      state,
      { type: 'cluster.set-properties', properties: { Name: 'x' } },
      'INVALID_PROPERTY',
      0x57,
    );
  });

  test('apply never throws on malformed input and never changes the state it was given', () => {
    const before = snapshot(state);
    const shapes: unknown[] = [
      undefined,
      0,
      true,
      {},
      { type: 'resource.create' },
      { type: 'group.create', id: fresh() },
    ];
    for (const c of Object.keys(COMMAND_CHANGES))
      shapes.push({ type: c }, { type: c, id: fresh(), name: {} });
    for (const shape of shapes) {
      const r = apply(state, shape as Command);
      assert.equal(r.type, 'error', JSON.stringify(shape));
    }
    assert.equal(snapshot(state), before);
  });
});

describe('the default cluster (bootstrap)', () => {
  test('defaultClusterCommands applies cleanly: every group Online on its first preferred node, Witness Disk the quorum', () => {
    const newId = guids();
    const commands = defaultClusterCommands(newId);
    let s = empty();
    for (const c of commands) {
      const r = apply(s, c);
      assert.equal(r.type, 'ok', `${c.type}: ${JSON.stringify(r)}`);
      if (r.type === 'ok') {
        for (const ch of r.changes)
          assert.ok(COMMAND_CHANGES[c.type].includes(ch.type), `${c.type} → ${ch.type}`);
        s = r.state;
      }
    }
    assert.deepEqual(
      [...s.nodes.values()].map((n) => [n.name, n.state]),
      DEFAULT_CLUSTER.nodes.map((n) => [n, ND.UP]),
    );
    assert.deepEqual(
      [...s.groups.values()].map((g) => g.name).sort(),
      [...DEFAULT_CLUSTER.groups].sort(),
    );
    for (const g of s.groups.values()) {
      assert.equal(g.state, GS.ONLINE, g.name);
      assert.equal(g.ownerNodeId, g.preferredOwners[0], `${g.name} is on its first preferred node`);
    }
    for (const r of s.resources.values()) assert.equal(r.state, RS.ONLINE, r.name);
    assert.equal(s.resources.get(s.cluster.quorumResourceId)?.name, 'Witness Disk');
    assert.equal(named(s.networks, DEFAULT_CLUSTER.network).state, NS.UP);
    assert.equal(s.netInterfaces.size, 3);
    assert.ok(s.registry.has('parameters\\settings'));
    assert.ok(s.registry.has('applications\\inventory'));
    assert.deepEqual(s.registry.get('parameters\\settings')?.values, {
      HeartbeatMs: { type: RegistryValueType.DWORD, data: 1000 },
    });
    assert.equal(named(s.resources, 'SQL Server').dependencies.length, 2);
  });
});

describe('persistence (documents of the store)', () => {
  test('replaying documentWrites of every apply onto a map rebuilds the state with stateFromDocuments', () => {
    const newId = guids();
    const store = new Map<string, ModelDocument>();
    const put = (d: ModelDocument): void => {
      store.set(`${d.kind}/${d.id}`, JSON.parse(JSON.stringify(d)) as ModelDocument);
    };
    let s = empty();
    for (const d of allDocuments(s)) put(d);
    const commands: Command[] = [
      ...defaultClusterCommands(newId),
      { type: 'node.down', node: 'NODE2' },
      { type: 'key.delete', path: 'Parameters' },
      { type: 'resource.fail', resource: 'FS Disk' },
      { type: 'group.offline', group: 'SQL Group' },
      { type: 'resource.delete', resource: 'SQL Server' },
      { type: 'restype.create', name: 'Gone', dllName: 'g.dll' },
      { type: 'restype.delete', name: 'Gone' },
    ];
    for (const c of commands) {
      const r = ok(s, c);
      const { puts, deletes } = documentWrites(r.state, r.touched);
      for (const d of puts) put(d);
      for (const d of deletes) store.delete(`${d.kind}/${d.id}`);
      s = r.state;
    }
    const rebuilt = stateFromDocuments(store.values());
    assert.ok(rebuilt !== undefined);
    assert.equal(snapshot(rebuilt), snapshot(s));
    for (const kind of ['node', 'group', 'resource', 'network', 'netInterface'] as const) {
      assert.deepEqual([...rebuilt.names[kind]].sort(), [...s.names[kind]].sort(), kind);
    }
    // The rebuilt state works like the original.
    const a = ok(s, { type: 'group.move', group: 'File Server Group', node: 'NODE1' });
    const b = ok(rebuilt, { type: 'group.move', group: 'File Server Group', node: 'NODE1' });
    assert.deepEqual(b.changes, a.changes);
    assert.equal(stateFromDocuments([]), undefined);
  });

  test('a state that applyDocuments changed is applied to as its documents say, not as the state it came from', () => {
    // A state from apply carries its group and dependency indices; a follower's copy with other
    // resources must not use them.
    const { state: s } = bootstrapped();
    const disk = named(s.resources, 'SQL Disk');
    const fsGroup = named(s.groups, 'File Server Group');
    const moved = applyDocuments(
      s,
      [
        {
          kind: 'resource',
          id: disk.id,
          value: { ...disk, groupId: fsGroup.id, dependencies: [] },
        },
      ],
      [],
    );
    const r = ok(moved, { type: 'group.offline', group: 'File Server Group' });
    assert.ok(
      r.changes.some((c) => c.type === 'resource-state' && c.id === disk.id),
      'the moved resource goes offline with its new group',
    );
    const sqlServer = named(s.resources, 'SQL Server');
    const freed = applyDocuments(
      s,
      [{ kind: 'resource', id: sqlServer.id, value: { ...sqlServer, dependencies: [] } }],
      [],
    );
    const off = ok(freed, { type: 'resource.offline', resource: 'SQL Disk' });
    assert.ok(
      !off.changes.some((c) => c.type === 'resource-state' && c.id === sqlServer.id),
      'a dependency the documents dropped takes no dependent offline',
    );
    const before = ok(s, { type: 'resource.offline', resource: 'SQL Disk' });
    assert.ok(before.changes.some((c) => c.type === 'resource-state' && c.id === sqlServer.id));
  });
});

describe('placement rules added after review (D18, D19)', () => {
  test('a group cannot be created on a paused node (NODE_PAUSED) nor on a down one (HOST_NODE_NOT_AVAILABLE)', () => {
    let s = emptyClusterState({ id: '30000000-0000-4000-8000-000000000000', name: 'C' });
    for (const c of [
      { type: 'node.create', id: '30000000-0000-4000-8000-000000000001', name: 'N1' },
      { type: 'node.create', id: '30000000-0000-4000-8000-000000000002', name: 'N2' },
      { type: 'node.pause', node: 'N1' },
      { type: 'node.down', node: 'N2' },
    ] as const) {
      const r = apply(s, c);
      assert.equal(r.type, 'ok');
      if (r.type === 'ok') s = r.state;
    }
    const paused = apply(s, {
      type: 'group.create',
      id: '30000000-0000-4000-8000-000000000003',
      name: 'G',
      node: 'N1',
    });
    assert.deepEqual(
      [paused.type, paused.status, (paused as { code?: string }).code],
      ['error', 0x13ce, 'NODE_PAUSED'],
    );
    const down = apply(s, {
      type: 'group.create',
      id: '30000000-0000-4000-8000-000000000003',
      name: 'G',
      node: 'N2',
    });
    assert.deepEqual(
      [down.type, down.status, (down as { code?: string }).code],
      ['error', 0x138d, 'HOST_NODE_NOT_AVAILABLE'],
    );
  });

  test('a resource cannot move to a group whose node is not among its possible owners', () => {
    let s = emptyClusterState({ id: '31000000-0000-4000-8000-000000000000', name: 'C' });
    for (const c of [
      { type: 'node.create', id: '31000000-0000-4000-8000-000000000001', name: 'N1' },
      { type: 'node.create', id: '31000000-0000-4000-8000-000000000002', name: 'N2' },
      { type: 'restype.create', name: 'T', dllName: 't.dll' },
      { type: 'group.create', id: '31000000-0000-4000-8000-000000000003', name: 'G1', node: 'N1' },
      { type: 'group.create', id: '31000000-0000-4000-8000-000000000004', name: 'G2', node: 'N2' },
      {
        type: 'resource.create',
        id: '31000000-0000-4000-8000-000000000005',
        name: 'R',
        resourceType: 'T',
        group: 'G1',
        possibleOwners: ['N1'],
      },
    ] as const) {
      const r = apply(s, c);
      assert.equal(r.type, 'ok', JSON.stringify(r));
      if (r.type === 'ok') s = r.state;
    }
    const r = apply(s, { type: 'resource.move', resource: 'R', group: 'G2' });
    assert.deepEqual(
      [r.type, r.status, (r as { code?: string }).code],
      ['error', 0x138d, 'HOST_NODE_NOT_AVAILABLE'],
    );
  });
});

describe('renames of network interfaces and resource types', () => {
  test('netif.rename renames the interface, keeps its id and reports netif-properties { Name }', () => {
    let s = emptyClusterState({ id: '32000000-0000-4000-8000-000000000000', name: 'C' });
    for (const c of defaultClusterCommands(
      (
        (n) => () =>
          `32000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`
      )(0),
    )) {
      const r = apply(s, c);
      assert.equal(r.type, 'ok', JSON.stringify(r));
      if (r.type === 'ok') s = r.state;
    }
    const before = [...s.netInterfaces.values()].find(
      (i) => i.name === 'NODE1 - Cluster Network 1',
    );
    const r = apply(s, {
      type: 'netif.rename',
      netInterface: 'node1 - cluster network 1',
      name: 'NODE1 - Heartbeat',
    });
    assert.equal(r.type, 'ok');
    if (r.type !== 'ok' || before === undefined) return;
    assert.equal(r.state.netInterfaces.get(before.id)?.name, 'NODE1 - Heartbeat');
    assert.deepEqual(
      r.changes.map((c) => c.type),
      ['netif-properties'],
    );
    const dup = apply(r.state, {
      type: 'netif.rename',
      netInterface: 'NODE1 - Heartbeat',
      name: 'node2 - cluster network 1',
    });
    assert.deepEqual([dup.type, (dup as { code?: string }).code], ['error', 'NAME_EXISTS']);
  });

  test('restype.rename renames the type and every resource of the type follows', () => {
    let s = emptyClusterState({ id: '33000000-0000-4000-8000-000000000000', name: 'C' });
    for (const c of defaultClusterCommands(
      (
        (n) => () =>
          `33000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`
      )(0),
    )) {
      const r = apply(s, c);
      if (r.type === 'ok') s = r.state;
    }
    const r = apply(s, { type: 'restype.rename', name: 'physical disk', newName: 'Cluster Disk' });
    assert.equal(r.type, 'ok', JSON.stringify(r));
    if (r.type !== 'ok') return;
    assert.equal(r.state.resourceTypes.has('physical disk'), false);
    assert.equal(r.state.resourceTypes.get('cluster disk')?.name, 'Cluster Disk');
    const disks = [...r.state.resources.values()].filter((x) => x.name.endsWith('Disk'));
    assert.ok(disks.length === 3 && disks.every((x) => x.typeName === 'Cluster Disk'));
    assert.deepEqual(
      r.changes.map((c) => c.type),
      ['restype-properties'],
    );
    const clash = apply(r.state, {
      type: 'restype.rename',
      name: 'Cluster Disk',
      newName: 'ip address',
    });
    assert.deepEqual([clash.type, (clash as { code?: string }).code], ['error', 'NAME_EXISTS']);
  });
});
