/**
 * Property test of the cluster model: random sequences of commands, valid and invalid, on the
 * bootstrapped cluster. After every command the invariants of the model hold (§9.2 group state,
 * §2.3 / D15 state sequences, D18 dependencies, D22 names), a refused command changes nothing,
 * only the change records docs/events.md lists appear, and the store documents written so far
 * rebuild exactly the state (ARCHITECTURE.md: a node rebuilds its state from a snapshot).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ClusterGroupState as GS,
  ClusterNetInterfaceState as IS,
  ClusterNetworkState as NS,
  ClusterNodeState as ND,
  ClusterResourceState as RS,
  ERROR_CATALOGUE,
} from '@clusnotify/protocol';
import {
  COMMAND_CHANGES,
  allDocuments,
  apply,
  documentWrites,
  stateFromDocuments,
  applyDocuments,
} from '@clusnotify/core';
import type { Change, ClusterState, Command, CommandType, ModelDocument } from '@clusnotify/core';
import { bootstrapped, snapshot } from './model-helpers.js';

// ----- pools of references: existing names, case variants and unknown ones ---------------

const NODES = ['NODE1', 'NODE2', 'NODE3', 'NODE4', 'node2', 'Nope'];
const GROUPS = ['Cluster Group', 'SQL Group', 'File Server Group', 'G1', 'G2', 'sql group', 'Nope'];
const RESOURCES = [
  'Cluster IP Address',
  'Cluster Name',
  'Witness Disk',
  'SQL Disk',
  'SQL IP Address',
  'SQL Network Name',
  'SQL Server',
  'FS Disk',
  'FS IP Address',
  'FS Network Name',
  'File Server',
  'R1',
  'R2',
  'R3',
  'Nope',
];
const TYPES = ['Physical Disk', 'IP Address', 'Network Name', 'Generic Service', 'T1'];
const NETWORKS = ['Cluster Network 1', 'Net2', 'Nope'];
const NETIFS = NODES.slice(0, 4).flatMap((n) => NETWORKS.slice(0, 2).map((w) => `${n} - ${w}`));
const KEYS = [
  '',
  'Parameters',
  'Parameters\\Settings',
  'parameters\\settings\\Deep',
  'Applications',
  'A',
  'A\\B\\C',
  'Bad\\\\Path',
  '\\Lead',
  'Trail\\',
];
const COMMAND_TYPES = Object.keys(COMMAND_CHANGES) as CommandType[];

const node = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('NODE1', 'NODE2', 'NODE3') },
  { weight: 1, arbitrary: fc.constantFrom(...NODES) },
);
const group = fc.constantFrom(...GROUPS);
const resource = fc.constantFrom(...RESOURCES);
const key = fc.constantFrom(...KEYS);
/** GUIDs from a small range, so that some collide with existing ids (ID_EXISTS). */
const guid = fc
  .integer({ min: 1, max: 0x60 })
  .map((n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
const name = (pool: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, fc.constantFrom('', ' x', 'X'));
const propertyValue = fc.oneof(
  fc.integer({ min: -3, max: 5 }),
  fc.constantFrom('a', 'b', ['x'], [], null, 2 ** 32, 1.5, true),
);
const props = fc.dictionary(fc.constantFrom('A', 'B', 'Name', 'RestartAction'), propertyValue, {
  maxKeys: 2,
  noNullPrototype: true,
});
const scope = fc.constantFrom(undefined, 'common', 'private', 'public');

/**
 * JSON a peer can send that breaks naive code: `String(x)` throws on the first two, and
 * assigning the third to a property map would replace its prototype.
 */
const poison = fc.constantFrom(
  ...['{"toString": 1}', '{"valueOf": {}, "toString": null}', '{"__proto__": {"x": 1}}'].map(
    (j) => JSON.parse(j) as unknown,
  ),
);
const wire = fc.oneof(fc.jsonValue({ maxDepth: 2 }), poison);

/** A command: mostly well formed against the pools, some with wrong values, some garbage. */
const commandArb: fc.Arbitrary<unknown> = fc.oneof(
  // failures, restarts, failover
  { weight: 8, arbitrary: fc.record({ type: fc.constant('resource.fail'), resource }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constantFrom('resource.online', 'resource.offline'),
      resource,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('resource.set-properties'),
      resource,
      properties: fc.oneof(
        fc.record({ RestartAction: fc.integer({ min: -1, max: 3 }) }),
        fc.record({ RestartThreshold: fc.integer({ min: -1, max: 3 }) }),
        props,
      ),
      scope,
    }),
  },
  // nodes
  {
    weight: 10,
    arbitrary: fc.record({
      type: fc.constantFrom('node.down', 'node.up', 'node.up', 'node.pause', 'node.resume'),
      node,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('node.create'), id: guid, name: name(NODES) }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('node.delete'), node }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('node.rename'), node, name: name(NODES) }),
  },
  // groups
  {
    weight: 4,
    arbitrary: fc.record(
      { type: fc.constantFrom('group.online', 'group.offline', 'group.move'), group, node },
      { requiredKeys: ['type', 'group'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        type: fc.constant('group.create'),
        id: guid,
        name: name(GROUPS),
        node,
        preferredOwners: fc.subarray(NODES, { maxLength: 3 }),
      },
      { requiredKeys: ['type', 'id', 'name'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom('group.delete'),
      group,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('group.rename'), group, name: name(GROUPS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('group.set-preferred-owners'),
      group,
      nodes: fc.subarray(NODES, { maxLength: 3 }),
    }),
  },
  // resources
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.constant('resource.create'),
        id: guid,
        name: name(RESOURCES),
        resourceType: fc.constantFrom(...TYPES),
        group,
        dependencies: fc.subarray(RESOURCES, { maxLength: 2 }),
        possibleOwners: fc.subarray(NODES, { maxLength: 2 }),
        properties: fc.record(
          { RestartAction: fc.integer({ min: 0, max: 3 }), RestartThreshold: fc.nat(2) },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['type', 'id', 'name', 'resourceType', 'group'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('resource.delete'), resource }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('resource.rename'),
      resource,
      name: name(RESOURCES),
    }),
  },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('resource.move'), resource, group }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('resource.set-dependencies'),
      resource,
      dependencies: fc.subarray(RESOURCES, { maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('resource.set-possible-owners'),
      resource,
      nodes: fc.subarray(NODES, { maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('quorum.set'), resource }) },
  // resource types, networks, interfaces
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('restype.create'),
      name: name(TYPES),
      dllName: fc.constantFrom('x.dll', ''),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('restype.delete'), name: name(TYPES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('network.create'), id: guid, name: name(NETWORKS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('network.delete'), network: name(NETWORKS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('network.set-state'),
      network: name(NETWORKS),
      state: fc.constantFrom(NS.UP, NS.DOWN, NS.PARTITIONED, NS.UNAVAILABLE, 9),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('netif.create'),
      id: guid,
      node,
      network: name(NETWORKS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('netif.delete'),
      netInterface: fc.constantFrom(...NETIFS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('netif.set-state'),
      netInterface: fc.constantFrom(...NETIFS),
      state: fc.constantFrom(IS.UP, IS.FAILED, IS.UNREACHABLE, IS.UNAVAILABLE, 7),
    }),
  },
  // properties of the other kinds, the cluster
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom(
        'node.set-properties',
        'group.set-properties',
        'network.set-properties',
        'netif.set-properties',
        'restype.set-properties',
        'cluster.set-properties',
      ),
      node,
      group,
      network: name(NETWORKS),
      netInterface: fc.constantFrom(...NETIFS),
      name: fc.constantFrom(...TYPES),
      properties: props,
      scope,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('cluster.rename'), name: name(['C1', 'C2']) }),
  },
  // the cluster database
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constantFrom('key.create', 'key.delete'),
      path: key,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('value.set'),
      path: key,
      name: fc.constantFrom('', 'V', 'W'),
      value: fc.oneof(
        fc.record({ type: fc.constant(1), data: fc.constantFrom('x', 5) }),
        fc.record({ type: fc.constant(4), data: fc.integer({ min: -1, max: 2 }) }),
        fc.record({ type: fc.constant(7), data: fc.constantFrom(['a'], ['a', ''], 'a') }),
        fc.record({ type: fc.constantFrom(3, 11, 99), data: fc.constantFrom('AAEC', '1', '-1') }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('value.delete'),
      path: key,
      name: fc.constantFrom('V', 'W', 'Description'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('key.set-security'),
      path: key,
      security: fc.constantFrom('O:BA', ''),
    }),
  },
  // garbage from the wire: a known or unknown type with arbitrary JSON in its fields
  {
    weight: 2,
    arbitrary: fc.oneof(
      wire,
      fc.record(
        {
          type: fc.oneof(fc.constantFrom(...COMMAND_TYPES), fc.jsonValue({ maxDepth: 0 })),
          id: wire,
          name: wire,
          node: wire,
          group: wire,
          resource: wire,
          state: wire,
          path: wire,
          value: wire,
          properties: wire,
          nodes: wire,
          dependencies: wire,
          scope: wire,
        },
        { requiredKeys: ['type'] },
      ),
    ),
  },
);

// ----- invariants --------------------------------------------------------------------------

/** §9.2, written from the table: the group state its resource states imply. */
function derivedGroupState(states: readonly number[]): number {
  if (states.length === 0) return GS.OFFLINE;
  if (states.includes(RS.FAILED)) return GS.FAILED;
  if (states.some((s) => s === RS.ONLINE_PENDING || s === RS.OFFLINE_PENDING)) return GS.PENDING;
  if (states.every((s) => s === RS.ONLINE)) return GS.ONLINE;
  if (states.every((s) => s === RS.OFFLINE)) return GS.OFFLINE;
  return GS.PARTIAL_ONLINE;
}

function checkInvariants(s: ClusterState): void {
  for (const g of s.groups.values()) {
    const states = [...s.resources.values()].filter((r) => r.groupId === g.id).map((r) => r.state);
    assert.equal(g.state, derivedGroupState(states), `group ${g.name} state`);
    assert.ok(s.nodes.has(g.ownerNodeId), `group ${g.name} owner exists`);
    for (const p of g.preferredOwners) assert.ok(s.nodes.has(p), `preferred owner of ${g.name}`);
  }
  for (const r of s.resources.values()) {
    const g = s.groups.get(r.groupId);
    assert.ok(g !== undefined, `resource ${r.name} group exists`);
    assert.ok(s.resourceTypes.has(r.typeName.toLowerCase()), `type of ${r.name} exists`);
    assert.ok(
      r.state === RS.ONLINE || r.state === RS.OFFLINE || r.state === RS.FAILED,
      `no pending state outlives a command (${r.name}: ${r.state})`,
    );
    if (r.state === RS.ONLINE) {
      const host = s.nodes.get(g.ownerNodeId)?.state;
      assert.ok(host === ND.UP || host === ND.PAUSED, `${r.name} is online on a running node`);
    }
    for (const p of r.possibleOwners) assert.ok(s.nodes.has(p), `possible owner of ${r.name}`);
    for (const d of r.dependencies) {
      assert.notEqual(d, r.id, `${r.name} does not depend on itself`);
      assert.equal(s.resources.get(d)?.groupId, r.groupId, `${r.name} depends within its group`);
    }
  }
  // Dependencies are acyclic: a depth-first search finds no back edge.
  const mark = new Map<string, 'open' | 'done'>();
  const visit = (id: string): void => {
    const m = mark.get(id);
    assert.notEqual(m, 'open', `dependency cycle through ${id}`);
    if (m === 'done') return;
    mark.set(id, 'open');
    for (const d of s.resources.get(id)?.dependencies ?? []) visit(d);
    mark.set(id, 'done');
  };
  for (const id of s.resources.keys()) visit(id);
  // The names index is exactly the objects' lower-case names.
  const kinds = [
    ['node', s.nodes],
    ['group', s.groups],
    ['resource', s.resources],
    ['network', s.networks],
    ['netInterface', s.netInterfaces],
  ] as const;
  for (const [kind, map] of kinds) {
    const index = s.names[kind];
    assert.equal(index.size, map.size, `${kind} names index size`);
    for (const o of map.values()) assert.equal(index.get(o.name.toLowerCase()), o.id, o.name);
  }
  for (const i of s.netInterfaces.values()) {
    assert.ok(s.nodes.has(i.nodeId) && s.networks.has(i.networkId), `interface ${i.name}`);
  }
  if (s.cluster.quorumResourceId !== '') assert.ok(s.resources.has(s.cluster.quorumResourceId));
  for (const [k, v] of s.registry) {
    assert.equal(k, v.path.toLowerCase());
    if (k !== '') {
      const cut = k.lastIndexOf('\\');
      assert.ok(s.registry.has(cut < 0 ? '' : k.slice(0, cut)), `parent of ${v.path}`);
    }
  }
}

/** Sequences never decrease; each state record (and a group move) bumps by exactly one. */
function checkSequences(
  before: ClusterState,
  changes: readonly Change[],
  after: ClusterState,
): void {
  interface Sequenced {
    get(id: string): { readonly stateSequence: number } | undefined;
    keys(): Iterable<string>;
  }
  const maps = (s: ClusterState): Record<string, Sequenced> => ({
    node: s.nodes,
    group: s.groups,
    resource: s.resources,
    network: s.networks,
    netif: s.netInterfaces,
  });
  const b = maps(before);
  const a = maps(after);
  const last = new Map<string, number>();
  for (const c of changes) {
    if (!('stateSequence' in c) || !('id' in c)) continue;
    const kind = c.type.split('-')[0] as string;
    const k = `${kind}:${c.id}`;
    const prev = last.get(k) ?? b[kind]?.get(c.id)?.stateSequence ?? 0;
    const isState = 'from' in c && typeof c.from === 'number';
    const bump = isState || c.type === 'resource-group' ? 1 : 0;
    if (isState) seen.stateChanges++;
    if (c.type.endsWith('-added')) assert.equal(c.stateSequence, 0);
    else assert.equal(c.stateSequence, prev + bump, `${c.type} of ${c.id}`);
    last.set(k, c.stateSequence);
  }
  for (const [kind, map] of Object.entries(b)) {
    const now = a[kind];
    for (const id of map.keys()) {
      const old = map.get(id)?.stateSequence ?? 0;
      const cur = now?.get(id)?.stateSequence;
      if (cur !== undefined) assert.ok(cur >= old, `${kind} ${id} sequence never decreases`);
      const reported = last.get(`${kind}:${id}`);
      if (cur !== undefined && reported !== undefined) assert.equal(cur, reported);
      if (cur !== undefined && reported === undefined)
        assert.equal(cur, old, `${kind} ${id} changed silently`);
    }
  }
}

// ----- the run -----------------------------------------------------------------------------

/** What the runs exercised, so that a degenerate generator fails the test. */
const seen = {
  applied: 0,
  refused: 0,
  refusalCodes: new Set<string>(),
  failovers: 0,
  restarts: 0,
  nodeDowns: 0,
  nodeUps: 0,
  groupMoves: 0,
  resourceMoves: 0,
  stateChanges: 0,
  dependencyRefusals: 0,
  quorumStates: 0,
  registryChanges: 0,
};

function note(command: unknown, changes: readonly Change[]): void {
  const type = (command as { type?: unknown }).type;
  for (const c of changes) {
    switch (c.type) {
      case 'group-owner':
        if (type === 'resource.fail' || type === 'node.down') seen.failovers++;
        else seen.groupMoves++;
        break;
      case 'resource-state':
        if (c.from === RS.FAILED && c.to === RS.ONLINE_PENDING && type === 'resource.fail')
          seen.restarts++;
        break;
      case 'node-state':
        if (c.to === ND.DOWN) seen.nodeDowns++;
        if (c.from === ND.JOINING && c.to === ND.UP) seen.nodeUps++;
        break;
      case 'resource-group':
        seen.resourceMoves++;
        break;
      case 'quorum-state':
        seen.quorumStates++;
        break;
      case 'key-created':
      case 'key-deleted':
      case 'value-set':
      case 'value-deleted':
      case 'key-security':
        seen.registryChanges++;
        break;
      case 'cluster-renamed':
      case 'cluster-properties':
      case 'node-added':
      case 'node-deleted':
      case 'node-properties':
      case 'group-added':
      case 'group-deleted':
      case 'group-state':
      case 'group-preferred-owners':
      case 'group-properties':
      case 'resource-added':
      case 'resource-deleted':
      case 'resource-properties':
      case 'resource-dependencies':
      case 'resource-dependents':
      case 'resource-possible-owners':
      case 'restype-added':
      case 'restype-deleted':
      case 'restype-properties':
      case 'network-added':
      case 'network-deleted':
      case 'network-state':
      case 'network-properties':
      case 'netif-added':
      case 'netif-deleted':
      case 'netif-state':
      case 'netif-properties':
        break;
    }
  }
}

function runCommands(commands: readonly unknown[]): void {
  let state = bootstrapped().state;
  // What a daemon sharing the store holds: the same writes applied one commit at a time.
  let follower = state;
  const store = new Map<string, ModelDocument>();
  const put = (d: ModelDocument): void => {
    store.set(`${d.kind}/${d.id}`, JSON.parse(JSON.stringify(d)) as ModelDocument);
  };
  for (const d of allDocuments(state)) put(d);
  checkInvariants(state);
  for (const command of commands) {
    const before = snapshot(state);
    const r = apply(state, command as Command);
    if (r.type === 'error') {
      seen.refused++;
      seen.refusalCodes.add(r.code);
      if (r.code === 'DEPENDENCY_NOT_ALLOWED' || r.code === 'DEPENDENCY_NOT_FOUND')
        seen.dependencyRefusals++;
      assert.equal(r.status, ERROR_CATALOGUE[r.code].status);
      assert.equal(snapshot(state), before, `refused ${JSON.stringify(command)} changed the state`);
      continue;
    }
    const type = (command as { type: CommandType }).type;
    assert.ok(COMMAND_TYPES.includes(type), `accepted ${JSON.stringify(command)}`);
    seen.applied++;
    for (const c of r.changes) {
      assert.ok(COMMAND_CHANGES[type].includes(c.type), `${type} produced ${c.type}`);
    }
    note(command, r.changes);
    checkSequences(state, r.changes, r.state);
    checkInvariants(r.state);
    const { puts, deletes } = documentWrites(r.state, r.touched);
    for (const d of puts) put(d);
    for (const d of deletes) store.delete(`${d.kind}/${d.id}`);
    state = r.state;
    const rebuilt = stateFromDocuments(store.values());
    assert.ok(rebuilt !== undefined);
    assert.equal(snapshot(rebuilt), snapshot(state), `the store diverged after ${type}`);
    follower = applyDocuments(
      follower,
      puts.map((d) => JSON.parse(JSON.stringify(d)) as ModelDocument),
      deletes,
    );
    assert.equal(snapshot(follower), snapshot(state), `applyDocuments diverged after ${type}`);
    for (const kind of ['node', 'group', 'resource', 'network', 'netInterface'] as const)
      assert.deepEqual(
        [...follower.names[kind]].sort(),
        [...state.names[kind]].sort(),
        `${kind} names after ${type}`,
      );
  }
}

test('random commands on the bootstrapped cluster keep every model invariant; refusals change nothing; the store rebuilds the state', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 20, maxLength: 80 }), (commands) => {
      runCommands(commands);
    }),
    { numRuns: 500 },
  );
  const floor = {
    applied: 4000,
    refused: 6000,
    refusalCodes: 25,
    failovers: 300,
    restarts: 600,
    nodeDowns: 250,
    nodeUps: 60,
    groupMoves: 60,
    resourceMoves: 20,
    stateChanges: 20000,
    dependencyRefusals: 300,
    quorumStates: 700,
    registryChanges: 250,
  };
  const counts: Record<string, number> = {
    ...seen,
    refusalCodes: seen.refusalCodes.size,
  };
  for (const [what, n] of Object.entries(floor)) {
    assert.ok(
      (counts[what] ?? 0) >= n,
      `the runs exercised ${what} only ${counts[what]} times: ${JSON.stringify(counts)}`,
    );
  }
});
