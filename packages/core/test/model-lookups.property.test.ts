/**
 * The model's relation lookups — the resources of a group, the groups a node owns, the
 * resources that depend on a resource — answer the same as a scan of the whole cluster would,
 * in name order, however the cluster got where it is: resources created, deleted, moved
 * between groups and given new dependencies, groups created, deleted and moved between nodes
 * (failover, §3.1.1.1.4), states loaded from the store.
 *
 * Two ways in through the public API: a state whose maps are re-instanced (same contents, same
 * iteration order, nothing the model remembered about the old instances) must get exactly the
 * result the live state gets; and the lists the records carry (`resource-dependents`, D18) and
 * the order of the steps they report must be those of a scan of the state's maps, by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Map as IMap } from 'immutable';
import { ClusterResourceState as RS } from '@clusnotify/protocol';
import { allDocuments, apply, stateFromDocuments } from '@clusnotify/core';
import type { Change, ClusterState, Command } from '@clusnotify/core';
import { bootstrapped, empty, guids, named, ok, run } from './model-helpers.js';

/** Two GUIDs with the same immutable.js hash: a map keeps them in one collision bucket. */
const TWIN_IDS = [
  '76670828-9cbc-4614-8041-7156f569c6ab',
  'db51eea6-d3da-4be7-a2ac-ef890d493518',
] as const;

/** The same state with every object map re-instanced: equal contents and iteration order. */
function cold(s: ClusterState): ClusterState {
  const again = <V>(m: IMap<string, V>): IMap<string, V> => m.asMutable().asImmutable();
  return { ...s, nodes: again(s.nodes), groups: again(s.groups), resources: again(s.resources) };
}

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);

/** Ids of the resources that depend on `id`, found by a scan of the resources map, by name. */
function scannedDependents(s: ClusterState, id: string): string[] {
  return [...s.resources.values()]
    .filter((r) => r.dependencies.includes(id))
    .sort(byName)
    .map((r) => r.id);
}

/** Ids of the groups `nodeId` owns, found by a scan of the groups map, by name. */
function scannedGroupsOn(s: ClusterState, nodeId: string): string[] {
  return [...s.groups.values()]
    .filter((g) => g.ownerNodeId === nodeId)
    .sort(byName)
    .map((g) => g.id);
}

/** Each `resource-dependents` record lists the dependents as a scan of the state finds them. */
function assertDependentsScanned(s: ClusterState, changes: readonly Change[]): void {
  for (const c of changes)
    if (c.type === 'resource-dependents')
      assert.deepEqual(c.dependents, scannedDependents(s, c.id));
}

/**
 * The bootstrapped cluster plus 8 groups of 3 resources (b depends on a) and a group whose two
 * resources with hash-twin ids both depend on a third: 12 groups, 28 resources, so the maps are
 * hash tries; or, `small`, two nodes, two groups and five resources (insertion-ordered maps).
 */
function start(small: boolean): ClusterState {
  const commands: Command[] = [];
  let s: ClusterState;
  let newId: () => string;
  const resource = (name: string, group: string, dependencies: string[], id = newId()): void => {
    commands.push({
      type: 'resource.create',
      id,
      name,
      resourceType: 'Generic Service',
      group,
      dependencies,
    });
  };
  if (small) {
    newId = guids(0x100);
    s = run(empty(), [
      { type: 'node.create', id: newId(), name: 'NODE1' },
      { type: 'node.create', id: newId(), name: 'NODE2' },
      { type: 'restype.create', name: 'Generic Service', dllName: 'clusres.dll' },
      { type: 'group.create', id: newId(), name: 'G1', node: 'NODE1' },
      { type: 'group.create', id: newId(), name: 'G2', node: 'NODE1' },
    ]).state;
    resource('R1a', 'G1', []);
    // Created in the reverse of their hash order: a list map's order is not a trie's.
    resource('R1b', 'G1', ['R1a'], '00000000-0000-4000-8000-0000000001f0');
    resource('R1c', 'G1', ['R1a'], '00000000-0000-4000-8000-0000000001e0');
    resource('R1d', 'G1', ['R1a'], '00000000-0000-4000-8000-0000000001d0');
    resource('R2a', 'G2', []);
    return run(s, commands).state;
  }
  ({ state: s, newId } = bootstrapped());
  const nodes = ['NODE1', 'NODE2', 'NODE3'];
  for (let g = 1; g <= 8; g++) {
    commands.push({ type: 'group.create', id: newId(), name: `G${g}`, node: nodes[g % 3] });
    resource(`R${g}a`, `G${g}`, []);
    resource(`R${g}b`, `G${g}`, [`R${g}a`]);
    resource(`R${g}c`, `G${g}`, []);
  }
  commands.push({ type: 'group.create', id: newId(), name: 'Twins', node: 'NODE1' });
  resource('Base', 'Twins', []);
  resource('Twin1', 'Twins', ['Base'], TWIN_IDS[0]);
  resource('Twin2', 'Twins', ['Base'], TWIN_IDS[1]);
  return run(s, commands).state;
}

const NODES = ['NODE1', 'NODE2', 'NODE3', 'NODE9'];
const GROUPS = ['Cluster Group', 'SQL Group', 'G1', 'G2', 'G3', 'G7', 'Twins', 'New1', 'New2'];
const RESOURCES = [
  ...['SQL Disk', 'SQL Server', 'SQL Network Name', 'Cluster Name', 'Base', 'Twin1', 'Twin2'],
  ...['R1a', 'R1b', 'R1c', 'R2a', 'R2b', 'R3a', 'R3c', 'R7b', 'N1', 'N2', 'N3'],
];
const node = fc.constantFrom(...NODES);
const group = fc.constantFrom(...GROUPS);
const resource = fc.constantFrom(...RESOURCES);
const guid = fc
  .integer({ min: 0x200, max: 0x240 })
  .map((n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);

/** Commands that change what the lookups answer, and commands that ask them. */
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constantFrom('resource.online', 'resource.offline'), resource }),
  fc.record({ type: fc.constant('resource.fail'), resource }),
  fc.record({ type: fc.constant('resource.move'), resource, group }),
  fc.record({
    type: fc.constant('resource.set-dependencies'),
    resource,
    dependencies: fc.subarray(RESOURCES, { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('resource.delete'), resource }),
  fc.record({
    type: fc.constant('resource.create'),
    id: guid,
    name: fc.constantFrom('N1', 'N2', 'N3'),
    resourceType: fc.constant('Generic Service'),
    group,
    dependencies: fc.subarray(RESOURCES, { maxLength: 2 }),
  }),
  fc.record({ type: fc.constantFrom('group.online', 'group.offline', 'group.delete'), group }),
  fc.record({ type: fc.constant('group.move'), group, node: fc.option(node, { nil: undefined }) }),
  fc.record({
    type: fc.constant('group.create'),
    id: guid,
    name: fc.constantFrom('New1', 'New2'),
    node: fc.option(node, { nil: undefined }),
  }),
  fc.record({ type: fc.constantFrom('node.down', 'node.up', 'node.up', 'node.delete'), node }),
  fc.record({ type: fc.constant('node.create'), id: guid, name: fc.constant('NODE9') }),
);

for (const small of [false, true]) {
  const what = small ? 'insertion-ordered (small) maps' : 'hash-trie maps';
  test(`after any command sequence on ${what}, lookups answer as a fresh scan would`, () => {
    const initial = start(small);
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 40 }), (commands) => {
        let live = initial;
        for (const c of commands) {
          const warm = apply(live, c);
          assert.deepEqual(warm, apply(cold(live), c), JSON.stringify(c));
          if (warm.type !== 'ok') continue;
          assertDependentsScanned(warm.state, warm.changes);
          live = warm.state;
        }
        // Loaded from the store: the lookups are built from the loaded maps alone.
        const loaded = stateFromDocuments(allDocuments(live)) as ClusterState;
        for (const c of commands.slice(0, 8)) {
          const r = apply(loaded, c);
          if (r.type === 'ok') assertDependentsScanned(r.state, r.changes);
        }
      }),
      { numRuns: small ? 150 : 300 },
    );
  });
}

test('a resource with hash-twin dependents takes them offline by name', () => {
  let s = start(false);
  const base = named(s.resources, 'Base');
  s = ok(s, { type: 'resource.online', resource: 'Twin1' }).state;
  s = ok(s, { type: 'resource.online', resource: 'Twin2' }).state;
  const r = ok(s, { type: 'resource.offline', resource: 'Base' });
  const offline = r.changes.flatMap((c) =>
    c.type === 'resource-state' && c.to === RS.OFFLINE ? [c.id] : [],
  );
  assert.deepEqual(offline, [...scannedDependents(s, base.id), base.id]);
});

test('a dependency added to a hash twin lists both twins by name', () => {
  const s = start(false);
  const other = ok(s, {
    type: 'resource.create',
    id: '00000000-0000-4000-8000-0000000002ff',
    name: 'Other',
    resourceType: 'Generic Service',
    group: 'Twins',
  }).state;
  for (const twin of TWIN_IDS) {
    const r = ok(other, { type: 'resource.set-dependencies', resource: twin, dependencies: [] });
    assertDependentsScanned(r.state, r.changes);
    const again = ok(r.state, {
      type: 'resource.set-dependencies',
      resource: twin,
      dependencies: ['Base', 'Other'],
    });
    assertDependentsScanned(again.state, again.changes);
  }
});

test('a node going down fails its groups over by name', () => {
  const s = start(false);
  const node1 = named(s.nodes, 'NODE1');
  const r = ok(s, { type: 'node.down', node: 'NODE1' });
  const moved = r.changes.flatMap((c) => (c.type === 'group-owner' ? [c.id] : []));
  assert.ok(moved.length >= 3);
  assert.deepEqual(moved, scannedGroupsOn(s, node1.id));
});

test('a group emptied by moving its resources out can be deleted; its node can then go', () => {
  let s = start(false);
  s = ok(s, {
    type: 'node.create',
    id: '00000000-0000-4000-8000-0000000003ff',
    name: 'NODE4',
  }).state;
  s = ok(s, {
    type: 'group.create',
    id: '00000000-0000-4000-8000-0000000003fe',
    name: 'Tmp',
  }).state;
  const tmp = named(s.groups, 'Tmp');
  s = ok(s, { type: 'group.move', group: 'Tmp', node: 'NODE4' }).state;
  s = ok(s, { type: 'resource.move', resource: 'R1c', group: 'Tmp' }).state;
  assert.equal(apply(s, { type: 'group.delete', group: 'Tmp' }).type, 'error');
  assert.equal(apply(s, { type: 'node.delete', node: 'NODE4' }).type, 'error');
  s = ok(s, { type: 'resource.move', resource: 'R1c', group: 'G1' }).state;
  s = ok(s, { type: 'group.delete', group: 'Tmp' }).state;
  assert.equal(s.groups.has(tmp.id), false);
  s = ok(s, { type: 'node.delete', node: 'NODE4' }).state;
  assert.equal(s.nodes.size, 3);
});

test('a stored resource that lists a dependency twice is one dependent of it', () => {
  const s = start(false);
  const base = named(s.resources, 'Base');
  const twin1 = named(s.resources, 'Twin1');
  const twin2 = named(s.resources, 'Twin2');
  assert.ok(twin1.dependencies.includes(base.id) && twin2.dependencies.includes(base.id));
  // A document edited by hand: the model itself keeps dependency lists unique.
  const docs = allDocuments(s).map((d) =>
    d.kind === 'resource' && d.id === twin1.id
      ? { ...d, value: { ...(d.value as object), dependencies: [base.id, base.id] } }
      : d,
  );
  const loaded = stateFromDocuments(docs);
  assert.ok(loaded !== undefined);
  // Twin2 stops depending on Base: Base's dependents record lists what is left.
  const r = ok(loaded, { type: 'resource.set-dependencies', resource: twin2.id, dependencies: [] });
  const record = r.changes.find((c) => c.type === 'resource-dependents' && c.id === base.id);
  assert.ok(record?.type === 'resource-dependents', JSON.stringify(r.changes));
  assert.deepEqual(record.dependents, [twin1.id]);
});
