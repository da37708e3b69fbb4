/**
 * The model's writes copy objects field by field (src/model/copy.ts): every object a command
 * rewrites keeps exactly the fields an object of its kind has when it is created, with the
 * values it had except those the command changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterNetworkState as NS, ClusterNetInterfaceState as IS } from '@clusnotify/protocol';
import { defaultClusterCommands } from '@clusnotify/core';
import type { ClusterState, Command } from '@clusnotify/core';
import { empty, guids, run } from './model-helpers.js';

/** Per kind, the distinct field lists (sorted, comma-joined) of its objects. */
function fieldsOf(state: ClusterState): Record<string, Set<string>> {
  const kinds = {
    node: state.nodes,
    group: state.groups,
    resource: state.resources,
    network: state.networks,
    netInterface: state.netInterfaces,
  };
  const out: Record<string, Set<string>> = {};
  for (const [kind, map] of Object.entries(kinds)) {
    out[kind] = new Set([...map.values()].map((o) => Object.keys(o).sort().join(',')));
  }
  return out;
}

test('every write keeps the fields an object has at creation, and only the changed values differ', () => {
  const bootstrap = defaultClusterCommands(guids());
  // The objects as their create commands made them (nothing brought online, so no write since).
  const createOnly = bootstrap.filter((c) => c.type !== 'group.online' && c.type !== 'quorum.set');
  const atCreation = fieldsOf(run(empty(), createOnly).state);
  for (const [kind, shapes] of Object.entries(atCreation))
    assert.equal(shapes.size, 1, `${kind}: created objects differ in their fields`);
  const created = run(empty(), bootstrap).state;
  assert.deepEqual(fieldsOf(created), atCreation);

  const netif = [...created.netInterfaces.values()][0];
  const network = [...created.networks.values()][0];
  assert.ok(netif !== undefined && network !== undefined);
  const props = { properties: { Note: 'x' } };
  const commands: Command[] = [
    { type: 'node.rename', node: 'NODE3', name: 'NODE3B' },
    { type: 'node.set-properties', node: 'NODE3B', ...props },
    { type: 'node.pause', node: 'NODE1' },
    { type: 'node.resume', node: 'NODE1' },
    { type: 'group.rename', group: 'SQL Group', name: 'SQL' },
    { type: 'group.set-preferred-owners', group: 'SQL', nodes: ['NODE1'] },
    { type: 'group.set-properties', group: 'SQL', scope: 'private', ...props },
    { type: 'group.move', group: 'SQL', node: 'NODE3B' },
    { type: 'resource.rename', resource: 'FS Disk', name: 'FS Disk 2' },
    { type: 'resource.set-properties', resource: 'FS Disk 2', ...props },
    { type: 'resource.set-possible-owners', resource: 'FS Disk 2', nodes: ['NODE1', 'NODE3B'] },
    { type: 'resource.offline', resource: 'File Server' },
    { type: 'resource.set-dependencies', resource: 'File Server', dependencies: ['FS Disk 2'] },
    { type: 'resource.fail', resource: 'Cluster Name' },
    { type: 'resource.move', resource: 'Witness Disk', group: 'File Server Group' },
    { type: 'restype.rename', name: 'File Server', newName: 'SMB Server' },
    { type: 'node.down', node: 'NODE2' },
    { type: 'network.rename', network: network.id, name: 'Net B' },
    { type: 'network.set-properties', network: network.id, ...props },
    { type: 'network.set-state', network: network.id, state: NS.PARTITIONED },
    { type: 'netif.rename', netInterface: netif.id, name: 'Interface B' },
    { type: 'netif.set-properties', netInterface: netif.id, ...props },
    { type: 'netif.set-state', netInterface: netif.id, state: IS.UNREACHABLE },
  ];
  const after = run(created, commands).state;
  assert.deepEqual(fieldsOf(after), atCreation);

  // Spot checks that the copies carry the old values along with the new ones.
  const fs = [...after.resources.values()].find((r) => r.name === 'FS Disk 2');
  const before = [...created.resources.values()].find((r) => r.name === 'FS Disk');
  assert.ok(fs !== undefined && before !== undefined);
  assert.deepEqual(
    { ...fs, name: before.name, common: before.common, possibleOwners: before.possibleOwners },
    before,
  );
  const sql = after.groups.find((g) => g.name === 'SQL');
  assert.equal(sql?.private.Note, 'x');
  assert.equal(sql.groupType, created.groups.find((g) => g.name === 'SQL Group')?.groupType);
  assert.equal(after.netInterfaces.get(netif.id)?.networkId, netif.networkId);
  assert.equal(after.netInterfaces.get(netif.id)?.state, IS.UNREACHABLE);
});
