/**
 * Cluster benchmark (issue #5): changes committed per second and indications delivered per
 * second with 3 `clusnotify serve --etcd` daemons on one local etcd, against 1 daemon on the
 * same etcd, under the same offered load.
 *
 * Workload: a one-member etcd on loopback (started here, `--max-txn-ops 10000`); the default
 * cluster plus 30 "Generic Service" resources in "SQL Group", all online. 30 writer loops,
 * each owning one resource and toggling it offline/online with one `execute` at a time (each
 * command: 2 resource steps and the group steps they cause), spread evenly over the daemons'
 * writer connections; one reader connection per daemon with a version-2 port registered for
 * RESOURCE STATE and GROUP STATE, drained by the client's reader loop. Changes committed are
 * the change records in the etcd log between the start and the end of the measured window;
 * indications delivered are those all readers received in that window.
 *
 * Run: `npm run bench:etcd-cluster`. Options: `--seconds N` (measured window, default 10),
 * `--runs N` (default 3), `--daemons 3,1` (configurations), `--writers-on all|first` (spread the
 * writer loops over every daemon, or send them all to the first one), `--json`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ClusterChangeGroupV2 as GroupV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import { openEtcdStore, startLocalEtcd } from '@clusnotify/store';
import { connect } from '@clusnotify/client';
import type { Client } from '@clusnotify/client';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    daemons: { type: 'string', default: '3,1' },
    'writers-on': { type: 'string', default: 'all' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);
const LOOPS = 30;
const MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function daemon(
  etcd: readonly string[],
  prefix: string,
  dir: string,
  node: string,
): Promise<{ url: string; child: ChildProcess; out: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--etcd',
      etcd.join(','),
      '--etcd-prefix',
      prefix,
      '--node-name',
      node,
      '--data',
      dir,
      '--port',
      String(port),
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('health:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}`)));
  });
  return { url: `ws://127.0.0.1:${port}/v1`, child, out };
}

interface RunResult {
  readonly changesPerS: number;
  readonly commandsPerS: number;
  readonly indicationsPerS: number;
}

async function run(etcdUrls: readonly string[], daemons: number, n: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-cluster-bench-'));
  const prefix = `/bench-${daemons}-${n}-${process.pid}/`;
  const started: { url: string; child: ChildProcess; out: string }[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 1; i <= daemons; i++)
      started.push(await daemon(etcdUrls, prefix, dir, `NODE${i}`));
    const token = /(cn_f_\S+)/.exec(started[0]?.out ?? '')?.[1] ?? '';
    const writers = await Promise.all(started.map((d) => connect([d.url], { token })));
    const readers = await Promise.all(started.map((d) => connect([d.url], { token })));
    clients.push(...writers, ...readers);
    const admin = writers[0] as Client;
    const names = Array.from({ length: LOOPS }, (_, i) => `Bench Service ${i}`);
    for (const name of names) {
      await admin.execute({
        type: 'resource.create',
        id: randomUUID(),
        name,
        resourceType: 'Generic Service',
        group: 'SQL Group',
        dependencies: [],
      });
      await admin.execute({ type: 'resource.online', resource: name });
    }
    let delivered = 0;
    let counting = false;
    let reading = true;
    const ports = await Promise.all(
      readers.map((c) =>
        c.openPort({
          version: 2,
          filters: [
            { kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 },
            { kind: 'v2', objectType: T.GROUP, filterFlags: GroupV2.STATE, notifyKey: 2 },
          ],
        }),
      ),
    );
    const readLoops = ports.map(async (p) => {
      while (reading) {
        const r = await p.next({ timeoutMs: 200 });
        if (r.type === 'indication' && counting) delivered++;
      }
    });
    let writing = true;
    let commands = 0;
    const writeLoops = names.map(async (name, i) => {
      const client = writers[args['writers-on'] === 'first' ? 0 : i % writers.length] as Client;
      let online = true;
      while (writing) {
        try {
          await client.execute({
            type: online ? 'resource.offline' : 'resource.online',
            resource: name,
          });
          if (counting) commands++;
          online = !online;
        } catch {
          // A command another daemon's commit overtook too often; try the same one again.
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1_000)); // warm up
    const store = await openEtcdStore({ hosts: etcdUrls, prefix });
    const from = await store.revision();
    counting = true;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1_000));
    counting = false;
    const seconds = (performance.now() - t0) / 1_000;
    writing = false;
    await Promise.all(writeLoops);
    let changes = 0;
    const until = await store.revision();
    for (let after = from; after < until;) {
      const r = await store.readSince(after, 1_000);
      if (r.type !== 'commits' || r.commits.length === 0) break;
      for (const c of r.commits) {
        if (c.revision > until) break;
        changes += c.changes.length;
        after = c.revision;
      }
    }
    await store.close();
    reading = false;
    await Promise.all(readLoops);
    return {
      changesPerS: changes / seconds,
      commandsPerS: commands / seconds,
      indicationsPerS: delivered / seconds,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    for (const d of started) d.child.kill('SIGTERM');
    await Promise.all(
      started.map(
        (d) =>
          new Promise<void>((r) =>
            d.child.exitCode !== null ? r() : d.child.once('exit', () => r()),
          ),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const etcd = await startLocalEtcd();
const rows: { daemons: number; runs: RunResult[] }[] = [];
try {
  for (const d of args.daemons.split(',').map(Number)) {
    const runs: RunResult[] = [];
    for (let n = 0; n < RUNS; n++) runs.push(await run(etcd.urls, d, n));
    rows.push({ daemons: d, runs });
  }
} finally {
  await etcd.stop();
}

if (args.json) console.log(JSON.stringify({ seconds: SECONDS, rows }, null, 2));
else {
  const int = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log(
    `Cluster benchmark: ${LOOPS} writer loops, one reader per daemon, ${SECONDS} s per run, median of ${RUNS} runs.`,
  );
  console.log(
    `Machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${process.platform}.\n`,
  );
  console.log(
    '| daemons | changes committed/s | commands/s | indications delivered/s (all readers) | runs (changes/s) |',
  );
  console.log(
    '| ------: | ------------------: | ---------: | ------------------------------------: | ---------------- |',
  );
  for (const r of rows)
    console.log(
      `| ${r.daemons} | ${int(median(r.runs.map((x) => x.changesPerS)))} | ${int(median(r.runs.map((x) => x.commandsPerS)))} | ${int(median(r.runs.map((x) => x.indicationsPerS)))} | ${r.runs.map((x) => int(x.changesPerS)).join(', ')} |`,
    );
}
