/**
 * Service benchmark (issue "Cluster object model, durable store, and the Api* methods", §4):
 * command → model → durable commit → indication read, in one process, with 1,000 ports, on the
 * memory and the SQLite store. Prints commands/s, change records/s, indications/s read, and the
 * latency from issuing a command to its first indication at a reader (p50/p99/p99.9).
 *
 * Run: `npm run bench:service`. Options: `--commands N` (default 20000), `--inflight N`
 * (default 64), `--ports N` (default 1000), `--runs N` (default 3; medians), `--json`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  ClusterChange as C,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { Command } from '@clusnotify/core';
import type { StateStore } from '@clusnotify/store';
import { startClusterService } from '@clusnotify/server';
import type { Session } from '@clusnotify/server';
import { onFreshStore } from './bench-store.js';

const { values: args } = parseArgs({
  options: {
    commands: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '64' },
    ports: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const COMMANDS = Number(args.commands);
const INFLIGHT = Number(args.inflight);
const PORTS = Number(args.ports);
const RUNS = Number(args.runs);
const GROUPS = 20;
const RESOURCES_PER_GROUP = 10;

let seed = 0x1234567;
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

interface Result {
  commandsPerSec: number;
  changesPerSec: number;
  indicationsPerSec: number;
  p50: number;
  p99: number;
  p999: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function run(store: StateStore): Promise<Result> {
  seed = 0x1234567;
  let n = 0;
  const newId = (): string => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
  const service = await startClusterService({ store, newId });
  const admin = service.openSession('full');
  // A bigger cluster than the default: GROUPS groups of RESOURCES_PER_GROUP resources, online.
  const resources: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const group = `Bench Group ${g}`;
    const setup: Command[] = [{ type: 'group.create', id: newId(), name: group }];
    for (let r = 0; r < RESOURCES_PER_GROUP; r++) {
      const name = `Bench Resource ${g}.${r}`;
      resources.push(name);
      setup.push({
        type: 'resource.create',
        id: newId(),
        name,
        resourceType: 'Generic Service',
        group,
      });
    }
    setup.push({ type: 'group.online', group });
    for (const c of setup) {
      const r = await admin.execute(c);
      if (r.type !== 'ok') throw new Error(`${c.type}: ${r.message}`);
    }
  }

  // Ports: 10 sessions; per port one filter: 10 % whole-type v2 RESOURCE state, 10 % v1
  // cluster-wide RESOURCE_STATE|GROUP_STATE, 80 % per-object (v1 resource, v2 group).
  const sessions: Session[] = Array.from({ length: 10 }, () => service.openSession('read'));
  const firstSeen = new Map<number, number>();
  let indications = 0;
  let stop = false;
  const readers: Promise<void>[] = [];
  for (let i = 0; i < PORTS; i++) {
    const s = sessions[i % sessions.length] as Session;
    const hCluster = (s.openCluster() as { handle: string }).handle;
    const kind = i % 10;
    const v2 = kind === 0 || kind >= 6;
    const p = (v2 ? s.createNotifyV2() : s.createNotify()) as { handle: string };
    if (kind === 0)
      s.addNotifyV2(
        p.handle,
        hCluster,
        { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
        i,
        2,
        false,
      );
    else if (kind === 1)
      s.addNotifyCluster(p.handle, hCluster, C.RESOURCE_STATE | C.GROUP_STATE, i);
    else if (!v2) {
      const h = (s.openResource(resources[rand(resources.length)] as string) as { handle: string })
        .handle;
      s.addNotifyResource(p.handle, h, C.RESOURCE_STATE, i);
    } else {
      const h = (s.openGroup(`Bench Group ${rand(GROUPS)}`) as { handle: string }).handle;
      s.addNotifyV2(p.handle, h, { objectType: T.GROUP, filterFlags: GV2.STATE }, i, 2, true);
    }
    readers.push(
      (async () => {
        while (!stop) {
          const r = v2 ? await s.getNotifyV2(p.handle) : await s.getNotifyAsync(p.handle);
          if (r.type !== 'ok') return;
          const now = performance.now();
          indications += r.notifications.length;
          for (const x of r.notifications)
            if (!firstSeen.has(x.revision)) firstSeen.set(x.revision, now);
        }
      })(),
    );
  }

  // The load: COMMANDS toggles of random resources, INFLIGHT at a time.
  const issued = new Map<number, number>();
  let changes = 0;
  let next = 0;
  /** Whether each resource was last asked to be online (all start online). */
  const wanted = new Map<string, boolean>();
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < COMMANDS) {
      next++;
      const name = resources[rand(resources.length)] as string;
      // As last asked, not as committed: with calls in flight the committed state lags, and a
      // toggle read from it may repeat one already on its way (a command that changes nothing:
      // 5 % of them at the defaults, most of them with 256 in flight and one port).
      const online = wanted.get(name) !== false;
      wanted.set(name, !online);
      const start = performance.now();
      const r = await admin.execute({
        type: online ? 'resource.offline' : 'resource.online',
        resource: name,
      });
      if (r.type !== 'ok') throw new Error(r.message);
      issued.set(r.revision, start);
      changes += r.changes.length;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  await new Promise((resolve) => setImmediate(resolve));
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  for (const s of sessions) s.close();
  await Promise.all(readers);
  await service.close();
  const lat: number[] = [];
  for (const [rev, start] of issued) {
    const seen = firstSeen.get(rev);
    if (seen !== undefined) lat.push(seen - start);
  }
  lat.sort((a, b) => a - b);
  return {
    commandsPerSec: COMMANDS / seconds,
    changesPerSec: changes / seconds,
    indicationsPerSec: indications / seconds,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    p999: pct(lat, 99.9),
  };
}

function median(results: Result[], key: keyof Result): number {
  const v = results.map((r) => r[key]).sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)] as number;
}

const rows: { store: string; r: Result }[] = [];
for (const kind of ['memory', 'sqlite'] as const) {
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await onFreshStore(kind, run));
  const keys = [
    'commandsPerSec',
    'changesPerSec',
    'indicationsPerSec',
    'p50',
    'p99',
    'p999',
  ] as const;
  rows.push({
    store: kind,
    r: Object.fromEntries(keys.map((k) => [k, median(results, k)])) as unknown as Result,
  });
}

if (args.json)
  console.log(
    JSON.stringify(
      { commands: COMMANDS, inflight: INFLIGHT, ports: PORTS, runs: RUNS, rows },
      null,
      2,
    ),
  );
else {
  console.log(
    `service bench: ${COMMANDS} commands, ${INFLIGHT} in flight, ${PORTS} ports, median of ${RUNS} runs, node ${process.version}`,
  );
  console.log('');
  console.log(
    '| store | commands/s | change records/s | indications read/s | latency p50 (ms) | p99 (ms) | p99.9 (ms) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const f = (x: number): string => Math.round(x).toLocaleString('en-US');
  for (const { store, r } of rows) {
    console.log(
      `| ${store} | ${f(r.commandsPerSec)} | ${f(r.changesPerSec)} | ${f(r.indicationsPerSec)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p999.toFixed(2)} |`,
    );
  }
}
