/**
 * The wire benchmark's live workload in process: the same five resources toggled online and
 * offline by one writer with 256 `execute` calls in flight, and one version-2 port registered
 * for every object type and flag, read with gets of up to 4,096 — but through the
 * `ClusterService` and `Session` directly, with no WebSocket and no second process. It measures
 * the service's own path (model, store commit, events, ports) with less noise than the wire run:
 * one process, no loopback, no scheduling between a server and a bench process on two cores.
 *
 * Prints commands/s, indications read/s and the process's CPU time per command (user + system,
 * every thread: the collector's helpers too), each the median of the runs.
 *
 * Run: `npm run bench:service-live`. Options: `--seconds N` (default 5), `--runs N` (default 5),
 * `--inflight N` (default 256), `--store memory|sqlite` (default memory), `--json`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ClusterObjectType as T, V2_FAMILIES } from '@clusnotify/protocol';
import type { StateStore } from '@clusnotify/store';
import { startClusterService } from '@clusnotify/server';
import { onFreshStore } from './bench-store.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    inflight: { type: 'string', default: '256' },
    store: { type: 'string', default: 'memory' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);
const INFLIGHT = Number(args.inflight);
if (args.store !== 'memory' && args.store !== 'sqlite')
  throw new Error(`--store must be memory or sqlite (got ${args.store})`);
const STORE = args.store;

/** The wire benchmark's toggled resources (`wire.bench.ts`), all in the default cluster. */
const TOGGLES = ['SQL Disk', 'SQL IP Address', 'FS Disk', 'FS IP Address', 'Cluster IP Address'];

interface Result {
  commandsPerSec: number;
  indicationsPerSec: number;
  cpuUsPerCommand: number;
}

async function run(store: StateStore): Promise<Result> {
  const service = await startClusterService({ store });
  const admin = service.openSession('full');
  const reader = service.openSession('read');
  const hCluster = (reader.openCluster() as { handle: string }).handle;
  const port = (reader.createNotifyV2() as { handle: string }).handle;
  for (const t of Object.values(T)) {
    const family = V2_FAMILIES[t];
    if (family === undefined) continue;
    const filter = { objectType: t, filterFlags: (family.all & ~family.clientOnly) >>> 0 };
    const r = reader.addNotifyV2(port, hCluster, filter, t, 2, false);
    if (r.type !== 'ok') throw new Error(`addNotifyV2(${t}): ${r.message}`);
  }
  let read = 0;
  let stop = false;
  const reading = (async () => {
    while (!stop) {
      const r = await reader.getNotifyV2(port, { max: 4096, timeoutMs: 100 });
      if (r.type === 'ok') read += r.notifications.length;
    }
  })();
  // As the wire benchmark's writer: each call toggles the next resource, as it was last asked.
  const online = new Map(TOGGLES.map((n) => [n, true]));
  let next = 0;
  let done = 0;
  const write = async (seconds: number): Promise<void> => {
    const end = performance.now() + seconds * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        const resource = TOGGLES[next++ % TOGGLES.length] as string;
        const on = online.get(resource) === true;
        online.set(resource, !on);
        const r = await admin.execute({
          type: on ? 'resource.offline' : 'resource.online',
          resource,
        });
        if (r.type !== 'ok') throw new Error(`execute: ${r.message}`);
        done++;
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, lane));
  };
  // One second not counted: the first commands run code V8 has not optimised yet.
  await write(1);
  done = 0;
  read = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await write(SECONDS);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const commands = done;
  const indications = read;
  stop = true;
  await reading;
  await service.close();
  return {
    commandsPerSec: commands / seconds,
    indicationsPerSec: indications / seconds,
    cpuUsPerCommand: (cpu.user + cpu.system) / commands,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

const results: Result[] = [];
for (let i = 0; i < RUNS; i++) results.push(await onFreshStore(STORE, run));

const rows = (['commandsPerSec', 'indicationsPerSec', 'cpuUsPerCommand'] as const).map((k) => ({
  figure: k,
  median: median(results.map((r) => r[k])),
  runs: results.map((r) => r[k]),
}));
if (args.json) {
  console.log(
    JSON.stringify({ store: STORE, seconds: SECONDS, inflight: INFLIGHT, rows }, null, 2),
  );
} else {
  const f = (x: number, k: string): string =>
    k === 'cpuUsPerCommand'
      ? x.toFixed(2)
      : Math.round(x).toLocaleString('en-US', { maximumFractionDigits: 0 });
  const label: Record<string, string> = {
    commandsPerSec: 'commands/s',
    indicationsPerSec: 'indications read/s',
    cpuUsPerCommand: 'CPU µs per command (process, all threads)',
  };
  console.log(
    `service live bench: ${STORE} store, ${INFLIGHT} in flight, ${SECONDS} s per run, median of ${RUNS} runs, node ${process.version}`,
  );
  console.log('');
  console.log('| figure | median | runs |');
  console.log('| --- | ---: | --- |');
  for (const r of rows)
    console.log(
      `| ${label[r.figure]} | ${f(r.median, r.figure)} | ${r.runs.map((x) => f(x, r.figure)).join(', ')} |`,
    );
}
