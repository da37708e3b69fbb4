/**
 * The commands that build the default cluster `clusnotify serve` creates on first start: three
 * nodes on one network with their interfaces, resource types, a core group holding the quorum
 * (witness) resource, two application groups, and a few cluster-database keys.
 */
import type { Command } from './command.js';
import { RegistryValueType } from './types.js';

/** Names of the default cluster, for docs and tests. */
export const DEFAULT_CLUSTER = {
  nodes: ['NODE1', 'NODE2', 'NODE3'],
  network: 'Cluster Network 1',
  groups: ['Cluster Group', 'SQL Group', 'File Server Group'],
} as const;

/**
 * The commands, in order. `newId` supplies a fresh GUID per created object (the server passes
 * crypto.randomUUID; tests pass a counter).
 */
export function defaultClusterCommands(newId: () => string): Command[] {
  const cmds: Command[] = [];
  const [n1, n2, n3] = DEFAULT_CLUSTER.nodes;
  for (const name of DEFAULT_CLUSTER.nodes) cmds.push({ type: 'node.create', id: newId(), name });
  cmds.push({ type: 'network.create', id: newId(), name: DEFAULT_CLUSTER.network });
  for (const node of DEFAULT_CLUSTER.nodes) {
    cmds.push({ type: 'netif.create', id: newId(), node, network: DEFAULT_CLUSTER.network });
  }
  for (const [name, dllName] of [
    ['Physical Disk', 'clusres.dll'],
    ['IP Address', 'clusres.dll'],
    ['Network Name', 'clusres.dll'],
    ['Generic Service', 'clusres.dll'],
    ['File Server', 'clusres2.dll'],
  ] as const) {
    cmds.push({ type: 'restype.create', name, dllName });
  }
  const group = (
    name: string,
    node: string,
    preferred: string[],
    resources: [string, string, string[]][],
  ): void => {
    cmds.push({ type: 'group.create', id: newId(), name, node, preferredOwners: preferred });
    for (const [res, type, deps] of resources) {
      cmds.push({
        type: 'resource.create',
        id: newId(),
        name: res,
        resourceType: type,
        group: name,
        dependencies: deps,
      });
    }
    cmds.push({ type: 'group.online', group: name });
  };
  group(
    'Cluster Group',
    n1,
    [n1, n2, n3],
    [
      ['Cluster IP Address', 'IP Address', []],
      ['Cluster Name', 'Network Name', ['Cluster IP Address']],
      ['Witness Disk', 'Physical Disk', []],
    ],
  );
  cmds.push({ type: 'quorum.set', resource: 'Witness Disk' });
  group(
    'SQL Group',
    n2,
    [n2, n3, n1],
    [
      ['SQL Disk', 'Physical Disk', []],
      ['SQL IP Address', 'IP Address', []],
      ['SQL Network Name', 'Network Name', ['SQL IP Address']],
      ['SQL Server', 'Generic Service', ['SQL Disk', 'SQL Network Name']],
    ],
  );
  group(
    'File Server Group',
    n3,
    [n3, n1, n2],
    [
      ['FS Disk', 'Physical Disk', []],
      ['FS IP Address', 'IP Address', []],
      ['FS Network Name', 'Network Name', ['FS IP Address']],
      ['File Server', 'File Server', ['FS Disk', 'FS Network Name']],
    ],
  );
  cmds.push({ type: 'key.create', path: 'Parameters\\Settings' });
  cmds.push({
    type: 'value.set',
    path: 'Parameters',
    name: 'Description',
    value: { type: RegistryValueType.SZ, data: 'clusnotify default cluster' },
  });
  cmds.push({
    type: 'value.set',
    path: 'Parameters\\Settings',
    name: 'HeartbeatMs',
    value: { type: RegistryValueType.DWORD, data: 1000 },
  });
  cmds.push({ type: 'key.create', path: 'Applications\\Inventory' });
  return cmds;
}
