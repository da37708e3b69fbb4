/**
 * The object verbs: `clusnotify node|group|resource|network|netinterface|restype|key …`.
 * Reads come from `getClusterState`; changes go through `execute(command)` (docs/events.md)
 * and print `ok (revision N)` once they are durable.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Client, ClusterCommand } from '@clusnotify/client';
import { ClusnotifyError } from '@clusnotify/protocol';
import { clusterView, str } from './cluster-view.js';
import type { CliKind, ClusterView } from './cluster-view.js';
import { addConnectionOptions, withClient } from './connection.js';
import type { ConnectionOptions } from './connection.js';
import { listTable, showText, table } from './object-view.js';
import { withProgress } from './progress.js';
import { UsageError } from './usage-error.js';

type Opts = ConnectionOptions & { readonly json?: boolean };

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

async function mutate(o: ConnectionOptions, command: ClusterCommand): Promise<void> {
  await withClient(o, async (client) => {
    const r = await withProgress(command.type, () => client.execute(command));
    out(`ok (revision ${r.revision})`);
  });
}

function view(client: Client): Promise<ClusterView> {
  return withProgress('reading cluster state', () => client.getClusterState()).then(clusterView);
}

/** A subcommand of `parent` with the connection options. */
function sub(parent: Command, spec: string, description: string): Command {
  return addConnectionOptions(parent.command(spec).description(description));
}

function addList(parent: Command, kind: CliKind): void {
  sub(parent, 'list', `list the ${kind}s`)
    .option('--json', 'print the objects as JSON')
    .action(async (o: Opts) => {
      await withClient(o, async (client) => {
        const v = await view(client);
        out(o.json === true ? JSON.stringify(v.list(kind), null, 2) : listTable(v, kind));
      });
    });
}

function addShow(parent: Command, kind: CliKind): void {
  sub(parent, 'show <name>', `show one ${kind}`)
    .option('--json', 'print the object as JSON')
    .action(async (name: string, o: Opts) => {
      await withClient(o, async (client) => {
        const v = await view(client);
        const obj = v.find(kind, name);
        out(o.json === true ? JSON.stringify(obj, null, 2) : showText(v, kind, obj));
      });
    });
}

/** A verb that runs one command on a named object. */
function addVerb(
  parent: Command,
  verb: string,
  description: string,
  command: (name: string) => ClusterCommand,
): void {
  sub(parent, `${verb} <name>`, description).action(async (name: string, o: ConnectionOptions) => {
    await mutate(o, command(name));
  });
}

/** `Prop=value` pairs as a property update; integers become DWORDs, the rest strings. */
export function parseProperties(pairs: readonly string[]): Record<string, string | number> {
  if (pairs.length === 0) throw new UsageError('give at least one <Prop>=<value>');
  const props: Record<string, string | number> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`properties are <Prop>=<value>, got ${JSON.stringify(p)}`);
    const value = p.slice(i + 1);
    props[p.slice(0, i)] =
      /^\d+$/.test(value) && Number(value) <= 0xffffffff ? Number(value) : value;
  }
  return props;
}

function addSet(parent: Command, commandType: string, field: string): void {
  sub(
    parent,
    'set <name> <props...>',
    'set properties: <Prop>=<value> … (integers become DWORDs)',
  ).action(async (name: string, pairs: string[], o: ConnectionOptions) => {
    await mutate(o, { type: commandType, [field]: name, properties: parseProperties(pairs) });
  });
}

/** Registry value types `key set --type` accepts (RegistryValueType). */
const VALUE_TYPES = { sz: 1, dword: 4, multi_sz: 7 } as const;

/** Adds every object verb to `program`. */
export function addObjectCommands(program: Command): void {
  const node = program.command('node').description('cluster nodes');
  addList(node, 'node');
  addShow(node, 'node');
  for (const verb of ['pause', 'resume', 'down', 'up', 'delete'] as const)
    addVerb(node, verb, `${verb} a node`, (name) => ({ type: `node.${verb}`, node: name }));
  addSet(node, 'node.set-properties', 'node');

  const group = program.command('group').description('groups');
  addList(group, 'group');
  addShow(group, 'group');
  sub(group, 'create <name>', 'create a group')
    .option('--node <node>', 'owner node (default: the best up node)')
    .action(async (name: string, o: ConnectionOptions & { node?: string }) => {
      await mutate(o, {
        type: 'group.create',
        id: randomUUID(),
        name,
        ...(o.node === undefined ? {} : { node: o.node }),
      });
    });
  for (const verb of ['delete', 'online', 'offline'] as const)
    addVerb(group, verb, `${verb === 'delete' ? 'delete' : `bring ${verb}`} a group`, (name) => ({
      type: `group.${verb}`,
      group: name,
    }));
  sub(group, 'move <name>', 'move a group to --node, or to the best other node')
    .option('--node <node>', 'target node')
    .action(async (name: string, o: ConnectionOptions & { node?: string }) => {
      await mutate(o, {
        type: 'group.move',
        group: name,
        ...(o.node === undefined ? {} : { node: o.node }),
      });
    });
  addSet(group, 'group.set-properties', 'group');

  const resource = program.command('resource').description('resources');
  addList(resource, 'resource');
  addShow(resource, 'resource');
  sub(resource, 'create <name>', 'create a resource')
    .requiredOption('--group <group>', 'its group')
    .requiredOption('--type <type>', 'its resource type')
    .action(async (name: string, o: ConnectionOptions & { group: string; type: string }) => {
      await mutate(o, {
        type: 'resource.create',
        id: randomUUID(),
        name,
        group: o.group,
        resourceType: o.type,
      });
    });
  for (const verb of ['delete', 'online', 'offline', 'fail'] as const)
    addVerb(resource, verb, `${verb} a resource`, (name) => ({
      type: `resource.${verb}`,
      resource: name,
    }));
  sub(resource, 'move <name>', 'move a resource to another group')
    .requiredOption('--group <group>', 'target group')
    .action(async (name: string, o: ConnectionOptions & { group: string }) => {
      await mutate(o, { type: 'resource.move', resource: name, group: o.group });
    });
  addSet(resource, 'resource.set-properties', 'resource');

  const network = program.command('network').description('cluster networks');
  addList(network, 'network');
  addShow(network, 'network');
  addSet(network, 'network.set-properties', 'network');

  const netif = program.command('netinterface').description('network interfaces');
  addList(netif, 'netinterface');
  addShow(netif, 'netinterface');
  addSet(netif, 'netif.set-properties', 'netInterface');

  const restype = program.command('restype').description('resource types');
  addList(restype, 'restype');
  addShow(restype, 'restype');
  sub(restype, 'create <name>', 'create a resource type')
    .requiredOption('--dll <dll>', 'its DLL name')
    .action(async (name: string, o: ConnectionOptions & { dll: string }) => {
      await mutate(o, { type: 'restype.create', name, dllName: o.dll });
    });
  addVerb(restype, 'delete', 'delete a resource type', (name) => ({
    type: 'restype.delete',
    name,
  }));
  addSet(restype, 'restype.set-properties', 'name');

  const key = program.command('key').description('the cluster database');
  sub(key, 'show <path>', 'show a key: its values and subkeys ("" is the root)')
    .option('--json', 'print the key as JSON')
    .action(async (path: string, o: Opts) => {
      await withClient(o, async (client) => {
        const v = await view(client);
        const lower = path.toLowerCase();
        const k = v.keys.find((x) => str(x, 'path').toLowerCase() === lower);
        if (k === undefined)
          throw new ClusnotifyError('KEY_NOT_FOUND', `key ${JSON.stringify(path)} not found`);
        if (o.json === true) {
          out(JSON.stringify(k, null, 2));
          return;
        }
        const values = Object.entries(
          (k.values ?? {}) as Record<string, { type: number; data: unknown }>,
        );
        const prefix = lower === '' ? '' : `${lower}\\`;
        const subkeys = v.keys
          .map((x) => str(x, 'path'))
          .filter(
            (p) =>
              p.toLowerCase().startsWith(prefix) &&
              p !== '' &&
              !p.slice(prefix.length).includes('\\'),
          );
        out(`key ${JSON.stringify(str(k, 'path'))}`);
        if (values.length > 0)
          out(
            table(
              ['VALUE', 'TYPE', 'DATA'],
              values.map(([n, val]) => [n, String(val.type), JSON.stringify(val.data)]),
            ),
          );
        for (const s of subkeys) out(`subkey ${JSON.stringify(s)}`);
      });
    });
  addVerb(key, 'create', 'create a key (path relative to the root)', (path) => ({
    type: 'key.create',
    path,
  }));
  addVerb(key, 'delete', 'delete a key and its subkeys', (path) => ({ type: 'key.delete', path }));
  sub(key, 'set <path> <name> <value>', 'set a value')
    .option('--type <type>', 'sz, dword or multi_sz (comma-separated)', 'sz')
    .action(
      async (
        path: string,
        name: string,
        value: string,
        o: ConnectionOptions & { type: string },
      ) => {
        if (!Object.hasOwn(VALUE_TYPES, o.type))
          throw new UsageError(
            `--type must be sz, dword or multi_sz, got ${JSON.stringify(o.type)}`,
          );
        const type = VALUE_TYPES[o.type as keyof typeof VALUE_TYPES];
        let data: string | number | string[] = value;
        if (type === VALUE_TYPES.dword) {
          data = Number(value);
          if (!/^\d+$/.test(value) || data > 0xffffffff)
            throw new UsageError(
              `a dword value is an integer from 0 to 4294967295, got ${JSON.stringify(value)}`,
            );
        } else if (type === VALUE_TYPES.multi_sz) data = value.split(',');
        await mutate(o, { type: 'value.set', path, name, value: { type, data } });
      },
    );
}
