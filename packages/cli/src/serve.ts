/**
 * `clusnotify serve`: a one-node cluster on the embedded SQLite store (or, with `--etcd`, one
 * daemon of a cluster of daemons sharing an etcd store, running the node `--node-name`), served
 * over WebSocket (docs/protocol.md) with /healthz and /metrics and the web dashboard at /; the
 * default cluster on first start; a full token created and printed once; the demo workload with
 * --demo; graceful stop on SIGTERM/SIGINT.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { destination, pino } from 'pino';
import { createMemoryStore, openEtcdStore, openSqliteStore } from '@clusnotify/store';
import type { EtcdStore, StateStore } from '@clusnotify/store';
import {
  openTokenFile,
  startClusterService,
  startDemo,
  startMembership,
  startIdleCollector,
  startWsServer,
} from '@clusnotify/server';
import type { Membership } from '@clusnotify/server';

/** Options of {@link serve} (the command's flags). */
export interface ServeOptions {
  readonly data: string;
  readonly host: string;
  readonly port: number;
  readonly demo: boolean;
  readonly demoRate: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly logLevel: string;
  readonly maxSessions?: number;
  /** Connections from one IP address at most (default: no limit). */
  readonly maxConnectionsPerIp?: number;
  readonly maxQueued?: number;
  /** 'sqlite' (durable, the default) or 'memory' (benchmarks, throwaway clusters). */
  readonly store: 'sqlite' | 'memory';
  /**
   * Commits of history kept for resume (`resumeNotify`, `watch --since`). Default: 1,000,000
   * on SQLite (on disk), 100,000 in memory (the history is process memory there).
   */
  readonly retainCommits?: number;
  /** Memory store: MiB of history kept at most (default 256). */
  readonly retainMib?: number;
  /** Serve the web dashboard at / (default true; needs the built `@clusnotify/web`). */
  readonly dashboard?: boolean;
  /** etcd client URLs: join the cluster of daemons sharing this etcd (overrides `store`). */
  readonly etcd?: readonly string[];
  /** With `etcd`: the cluster node this daemon runs. */
  readonly nodeName?: string;
  /** With `etcd`: the cluster's key prefix (default '/clusnotify/'). */
  readonly etcdPrefix?: string;
  /** With `etcd`: lease time to live in seconds (default 3). */
  readonly leaseTtl?: number;
}

/**
 * The directory of the dashboard's build (`@clusnotify/web`'s dist/site), or undefined when
 * the package is not installed or not built. Only its path is used: the CLI does not import it.
 */
export function dashboardDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@clusnotify/web/package.json');
    const dir = join(dirname(pkg), 'dist', 'site');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the server until SIGTERM or SIGINT; resolves when it has stopped. */
export async function serve(o: ServeOptions): Promise<void> {
  const log = pino({ level: o.logLevel, base: { service: 'clusnotify' } }, destination(2));
  const dir = resolve(o.data);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let etcdStore: EtcdStore | undefined;
  let store: StateStore;
  if (o.etcd !== undefined) {
    etcdStore = await openEtcdStore({
      hosts: o.etcd,
      ...(o.etcdPrefix === undefined ? {} : { prefix: o.etcdPrefix }),
      ...(o.retainCommits === undefined ? {} : { retainCommits: o.retainCommits }),
    });
    store = etcdStore;
  } else
    store =
      o.store === 'memory'
        ? createMemoryStore({
            ...(o.retainCommits === undefined ? {} : { retainCommits: o.retainCommits }),
            ...(o.retainMib === undefined ? {} : { retainBytes: o.retainMib * 1024 * 1024 }),
          })
        : await openSqliteStore({
            path: join(dir, 'cluster.db'),
            ...(o.retainCommits === undefined ? {} : { retainCommits: o.retainCommits }),
          });
  const fresh = (await store.revision()) === 0;
  const service = await startClusterService({
    store,
    ...(o.maxQueued === undefined ? {} : { engine: { maxQueuedPerPort: o.maxQueued } }),
    ...(etcdStore === undefined
      ? {}
      : {
          shared: true,
          onFollowError: (error: unknown) => {
            log.warn({ error: String(error) }, 'following the etcd store failed; reloading');
          },
        }),
  });
  let membership: Membership | undefined;
  if (etcdStore !== undefined && o.nodeName !== undefined) {
    try {
      membership = await startMembership({
        service,
        store: etcdStore,
        nodeName: o.nodeName,
        ...(o.leaseTtl === undefined ? {} : { ttlSeconds: o.leaseTtl }),
        onEvent: (event) => log.info(event, 'membership'),
      });
    } catch (error) {
      await service.close();
      await store.close();
      throw error;
    }
  }
  const tokens = openTokenFile(join(dir, 'tokens.json'));
  let firstToken: string | undefined;
  if (tokens.list().length === 0) firstToken = tokens.create('full');
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new Error('--tls-cert and --tls-key go together');
  const webDir = o.dashboard === false ? undefined : dashboardDir();
  if (o.dashboard !== false && webDir === undefined)
    log.warn('the dashboard is not built (npm run build); / is not served');
  const server = await startWsServer({
    service,
    tokens,
    host: o.host,
    port: o.port,
    logger: log,
    ...(webDir === undefined ? {} : { staticDir: webDir }),
    ...(o.tlsCert !== undefined && o.tlsKey !== undefined
      ? { tls: { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) } }
      : {}),
    limits: {
      ...(o.maxSessions === undefined ? {} : { maxSessions: o.maxSessions }),
      ...(o.maxConnectionsPerIp === undefined
        ? {}
        : { maxConnectionsPerAddress: o.maxConnectionsPerIp }),
    },
  });
  // Gives the young generation back when idle (D50) and compacts the old one once quiet (D57);
  // needs node --expose-gc, as the bin runs.
  const idle = startIdleCollector({
    onCompaction: (c) =>
      log.debug(
        {
          beforeMiB: +(c.beforeBytes / 2 ** 20).toFixed(1),
          afterMiB: +(c.afterBytes / 2 ** 20).toFixed(1),
          ms: +c.ms.toFixed(1),
        },
        'old generation compacted',
      ),
  });
  if (idle === undefined)
    log.debug('node runs without --expose-gc: an idle server keeps its young generation (D50)');
  const demo = o.demo
    ? startDemo(service, {
        rate: o.demoRate,
        onError: (c, m) => log.debug({ command: c.type, error: m }, 'demo command refused'),
      })
    : undefined;

  // Signal handlers go in before the banner is printed: whoever reads the banner may signal at once.
  const stopped = new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolveStop();
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });

  const out = process.stdout;
  out.write(`clusnotify serving cluster ${service.state.cluster.name} at ${server.url}\n`);
  if (etcdStore !== undefined)
    out.write(
      `  node: ${o.nodeName ?? ''}, etcd: ${(o.etcd ?? []).join(',')} prefix ${etcdStore.prefix} (${fresh ? 'new cluster created' : `revision ${service.revision}`}); tokens in ${dir}\n`,
    );
  else
    out.write(
      `  data: ${dir} (${o.store === 'memory' ? 'memory store: nothing is kept' : fresh ? 'new cluster created' : `revision ${service.revision}`})\n`,
    );
  if (firstToken !== undefined) {
    out.write(
      `  full-access token (shown once; make more with \`clusnotify token create\`):\n    ${firstToken}\n`,
    );
  }
  if (demo) out.write(`  demo workload: ${o.demoRate} commands/s\n`);
  const httpBase = server.url.replace(/^ws/, 'http').replace(/\/v1$/, '');
  if (webDir !== undefined) out.write(`  dashboard: ${httpBase}/\n`);
  // The banner's last line: tools that read the banner wait for this one.
  out.write(`  health: ${httpBase}/healthz, metrics: /metrics\n`);

  await stopped;
  idle?.stop();
  demo?.stop();
  await server.close();
  await membership?.close();
  await service.close();
  await store.close();
  log.info('stopped');
}
