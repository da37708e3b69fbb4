/**
 * `clusnotify status`: the cluster at a glance — name and revision, nodes with their state,
 * each node's groups with their state, resources with their state, and the server's figures.
 */
import type { Client } from '@clusnotify/client';
import { clusterView, stateName, str } from './cluster-view.js';
import { withProgress } from './progress.js';

/** Options of {@link status}. */
export interface StatusOptions {
  /** Print `{ cluster, server }`: the raw snapshot and server info, as JSON. */
  readonly json?: boolean;
}

/** Prints the status of the cluster `client` is connected to. */
export async function status(client: Client, o: StatusOptions): Promise<void> {
  const [snapshot, info] = await withProgress('reading cluster state', () =>
    Promise.all([client.getClusterState(), client.getServerInfo()]),
  );
  const out = process.stdout;
  if (o.json === true) {
    out.write(`${JSON.stringify({ cluster: snapshot, server: info }, null, 2)}\n`);
    return;
  }
  const v = clusterView(snapshot);
  const lines: string[] = [];
  lines.push(
    `cluster ${str(v.cluster ?? {}, 'name') || client.clusterName}  revision ${v.revision}`,
  );
  lines.push('', 'nodes');
  const groups = v.list('group');
  for (const n of v.list('node')) {
    lines.push(`  ${str(n, 'name').padEnd(24)} ${stateName('node', n)}`);
    for (const g of groups.filter((x) => x.ownerNodeId === n.id))
      lines.push(`    group ${JSON.stringify(str(g, 'name')).padEnd(24)} ${stateName('group', g)}`);
  }
  const orphans = groups.filter((g) => !v.list('node').some((n) => n.id === g.ownerNodeId));
  for (const g of orphans)
    lines.push(`  (no owner) group ${JSON.stringify(str(g, 'name'))} ${stateName('group', g)}`);
  lines.push('', 'resources');
  for (const r of v.list('resource'))
    lines.push(
      `  ${str(r, 'name').padEnd(28)} ${stateName('resource', r).padEnd(28)} group ${JSON.stringify(v.nameOf('group', r.groupId))}`,
    );
  lines.push(
    '',
    `server  sessions ${info.sessions}  ports ${info.ports}  queued ${info.queued}  delivered ${info.delivered}  dropped ${info.dropped}`,
  );
  out.write(`${lines.join('\n')}\n`);
}
