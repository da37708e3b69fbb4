/**
 * `npm run bench:floor`: server memory per idle connection, from a bare Node server up to a
 * clusnotify watcher, so the `idle bytes/watcher` figure of `bench:peers` can be read against
 * what Node itself costs. Each server runs with the node flags of the `clusnotify` bin; the
 * figure is its `VmRSS` with `--connections` idle connections (3,000: with 1,000 or fewer the
 * heap's growth steps swing it by kilobytes) minus before, divided by
 * their number (the lowest reading over `--settle-seconds`, 12, before and after):
 *
 *  - `net`: a bare TCP server holding its sockets;
 *  - `ws`: an HTTP server with `ws` on it, set up as clusnotify's (no per-message deflate);
 *  - `clusnotify session`: `clusnotify serve` (memory store), each client connected (hello done);
 *  - `clusnotify watcher`: as `bench:peers` watches: a session and a streamed version-2 port.
 *
 * Options: `--runs N` (3, the figure is the median), `--connections N` (3000),
 * `--settle-seconds N` (12).
 */
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { connect as clusnotifyConnect } from '@clusnotify/client';
import { installCleanup, stopAll } from './processes.js';
import { lowestRssKiB, startFloorServer, startServer } from './servers.js';
import { median } from './stats.js';
import { openWatcher } from './systems.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    connections: { type: 'string', default: '3000' },
    'settle-seconds': { type: 'string', default: '12' },
  },
});
const RUNS = Number(args.runs);
const CONNECTIONS = Number(args.connections);
/** How long each reading settles: an idle server gives back its young generation over seconds (D50). */
const SETTLE_MS = Number(args['settle-seconds']) * 1000;

type Kind = 'net' | 'ws' | 'clusnotify session' | 'clusnotify watcher';
const KINDS: readonly Kind[] = ['net', 'ws', 'clusnotify session', 'clusnotify watcher'];

/** Opens `CONNECTIONS` idle connections of `kind`; returns their closer. */
async function openIdle(
  kind: Kind,
  target: { port?: number; url?: string; token?: string },
): Promise<() => Promise<void>> {
  const closers: (() => Promise<void>)[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    if (kind === 'net') {
      const s: Socket = await new Promise((resolve, reject) => {
        const c = netConnect(target.port ?? 0, '127.0.0.1', () => resolve(c));
        c.once('error', reject);
      });
      closers.push(async () => {
        s.destroy();
        await Promise.resolve();
      });
    } else if (kind === 'ws') {
      const ws = new WebSocket(`ws://127.0.0.1:${target.port ?? 0}`, { perMessageDeflate: false });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      closers.push(async () => {
        ws.terminate();
        await Promise.resolve();
      });
    } else if (kind === 'clusnotify session') {
      const c = await clusnotifyConnect(target.url ?? '', {
        token: target.token ?? '',
        clientName: 'bench-floor',
      });
      closers.push(() => c.close());
    } else {
      const w = await openWatcher(
        { system: 'clusnotify', url: target.url ?? '', token: target.token ?? '' },
        () => undefined,
        () => undefined,
      );
      closers.push(() => w.close());
    }
  }
  return async () => {
    await Promise.all(closers.map((c) => c()));
  };
}

async function measure(kind: Kind): Promise<number> {
  const srv =
    kind === 'net' || kind === 'ws'
      ? await startFloorServer(kind)
      : await startServer('clusnotify');
  try {
    const before = await lowestRssKiB(srv.pid, SETTLE_MS);
    const close = await openIdle(kind, 'endpoint' in srv ? srv.endpoint : { port: srv.port });
    const after = await lowestRssKiB(srv.pid, SETTLE_MS);
    await close();
    return ((after - before) * 1024) / CONNECTIONS;
  } finally {
    await srv.stop();
  }
}

installCleanup();
try {
  const figures = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++)
    for (const kind of KINDS) {
      const b = await measure(kind);
      figures.get(kind)?.push(b);
      process.stderr.write(`run ${run + 1}: ${kind}: ${Math.round(b)} B per connection\n`);
    }
  console.log(
    `server RSS per idle connection, ${CONNECTIONS.toLocaleString('en-US')} connections, median of ${RUNS} runs, node ${process.version}`,
  );
  console.log('');
  console.log('| server | bytes per connection | runs |');
  console.log('| --- | ---: | --- |');
  for (const [kind, xs] of figures)
    console.log(
      `| ${kind} | ${Math.round(median(xs)).toLocaleString('en-US')} | ${xs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} |`,
    );
} finally {
  await stopAll();
}
