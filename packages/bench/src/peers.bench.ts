/**
 * `npm run bench:peers` (issue #7): the same notification workload on clusnotify, etcd watch,
 * Redis pub/sub and NATS core, on loopback, through each system's maintained Node client. One
 * writer, 1 / 100 / 1,000 watchers whose filter matches every write, 120-byte payloads
 * (systems.ts says what "write" and "watch" are on each). Per system and run, on a fresh server:
 *
 *  1. memory per idle watcher: server VmRSS with N idle watchers minus before, ÷ N (each the
 *     lowest reading over 10 s); N is the largest set (1,000) with a connection per watcher and
 *     10,000 on a server of their own when watchers share connections (`--idle-watchers N`);
 *  2. for 1, 100 and 1,000 watchers: delivered events/s with the writer flat out (64 writes in
 *     flight), then write→delivery latency p50/p99/p99.9 at a fixed moderate rate;
 *  3. slow consumer (a fresh server): one healthy and one stalled watcher (its process stopped
 *     with SIGSTOP, so it reads nothing from its socket), the writer flat out for 15 s: server
 *     memory, the healthy watcher's p99, and what the stalled one gets after SIGCONT.
 *
 * Each figure is the median of `--runs` runs. Writes a Markdown report, JSON and an SVG chart.
 * Options: `--runs N` (3), `--seconds N` (3, per flat-out and latency phase), `--slow-seconds N`
 * (15), `--systems a,b` (clusnotify,clusnotify-sqlite,etcd,redis,nats), `--watchers 1,100,1000`,
 * `--quick` (1 run, 2 s phases, 5 s stall), `--out DIR` (bench-results), `--chart FILE`,
 * `--report FILE` (no run: the report again from an earlier run's peers.json),
 * `--server-node-args "…"` (Node.js options for clusnotify's server process),
 * `--connections per-watcher|per-worker` (per-watcher: each watcher on its own connection, the
 * default; per-worker: the watchers of one worker process share connections, 250 on each (one
 * per worker at 1,000 watchers), where the system can deliver to each of them on it, see
 * SHARES_CONNECTIONS; the slow-consumer phase, one watcher per process either way, runs only
 * per-watcher), `--idle-watchers N` (see 1).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCleanup, stopAll } from './processes.js';
import { makePayload } from './payload.js';
import {
  cpuSeconds,
  ensureInstalled,
  lowestRssKiB,
  serverVersion,
  startServer,
} from './servers.js';
import type { RunningServer } from './servers.js';
import { median } from './stats.js';
import { barChartSvg, formatShort } from './svg-chart.js';
import {
  KNOWN_SYSTEMS,
  SHARES_CONNECTIONS,
  SYSTEMS,
  SYSTEM_LABELS,
  openWriter,
} from './systems.js';
import type { Sharing, SystemName, Writer } from './systems.js';
import { WatcherPool } from './watcher-pool.js';
import type { PoolReport } from './watcher-pool.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    'slow-seconds': { type: 'string' },
    systems: { type: 'string', default: SYSTEMS.join(',') },
    watchers: { type: 'string', default: '1,100,1000' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results' },
    chart: { type: 'string' },
    report: { type: 'string' },
    'server-node-args': { type: 'string', default: '' },
    connections: { type: 'string', default: 'per-watcher' },
    'idle-watchers': { type: 'string' },
  },
});
if (args.connections !== 'per-watcher' && args.connections !== 'per-worker')
  throw new Error(`--connections: ${args.connections} (per-watcher or per-worker)`);
const SHARING: Sharing = args.connections;
const QUICK = args.quick;
const RUNS = Number(args.runs ?? (QUICK ? 1 : 3));
const SECONDS = Number(args.seconds ?? (QUICK ? 2 : 3));
const SLOW_SECONDS = Number(args['slow-seconds'] ?? (QUICK ? 5 : 15));
const WATCHERS = args.watchers.split(',').map(Number);
/**
 * Idle watchers the memory figure is measured with. With a connection per watcher, the largest
 * set (1,000 connections). Sharing connections, 10,000 watchers on their own fresh server: at
 * 1,000 (four connections) the growth is about a megabyte, within what an idle server's RSS moves
 * by itself, so it read anything from 1,139 to 4,284 B per watcher from run to run. A system that
 * cannot share (Redis) is measured with the largest set on its own connections, as per watcher.
 */
const IDLE_WATCHERS = Number(
  args['idle-watchers'] ?? (SHARING === 'per-worker' ? 10_000 : Math.max(...WATCHERS)),
);
if (!Number.isSafeInteger(IDLE_WATCHERS) || IDLE_WATCHERS < 1)
  throw new Error(`--idle-watchers: ${String(args['idle-watchers'])} (a positive integer)`);
const idleWatchersOf = (system: SystemName): number =>
  SHARING === 'per-worker' && !SHARES_CONNECTIONS[system] ? Math.max(...WATCHERS) : IDLE_WATCHERS;
const systems = args.systems.split(',').map((s) => {
  if (!KNOWN_SYSTEMS.includes(s as SystemName))
    throw new Error(`--systems: unknown system ${s} (known: ${KNOWN_SYSTEMS.join(', ')})`);
  return s as SystemName;
});
const OUT = resolve(args.out);
/** Node.js options for clusnotify's server process (space-separated), e.g. V8 heap flags. */
const SERVER_NODE_ARGS = args['server-node-args'].split(' ').filter((a) => a !== '');
/** Writes in flight when the writer goes flat out (each waits for its acknowledgement). */
const INFLIGHT = 64;
/** Warm-up at the start of a flat-out phase, not counted (connections, JIT, caches). */
const WARMUP_S = 0.5;
/** Most worker processes for the watchers (each holds many connections). */
const MAX_WORKERS = 4;

/**
 * Writes/s of the latency phase: 1,000 for one watcher, else 10,000 deliveries/s in all (100
 * writes/s to 100 watchers, 10 to 1,000) — moderate for two cores that also run every client.
 */
const latencyRate = (watchers: number): number =>
  watchers <= 1 ? 1000 : Math.max(1, Math.round(10_000 / watchers));
const workersFor = (watchers: number): number =>
  Math.min(MAX_WORKERS, Math.max(1, Math.ceil(watchers / 50)));

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};

/** The writer's state: sequence numbers run on across the phases of one server. */
class Driver {
  seq = 0;
  constructor(readonly writer: Writer) {}

  /**
   * Writes for `seconds`: flat out with `INFLIGHT` writes in flight, or paced at `rate`/s.
   * Returns the sequence numbers written and the time taken.
   */
  async drive(
    seconds: number,
    rate?: number,
  ): Promise<{ firstSeq: number; lastSeq: number; writes: number; seconds: number }> {
    const firstSeq = this.seq + 1;
    const t0 = nowUs();
    const end = t0 + seconds * 1e6;
    let issued = 0;
    let slots = 0;
    let failed: Error | undefined;
    const lane = async (): Promise<void> => {
      while (failed === undefined) {
        if (rate !== undefined) {
          // Each lane takes its slot before it waits, so the lanes never share one.
          const due = t0 + (slots++ * 1e6) / rate;
          if (due >= end) return;
          const wait = (due - nowUs()) / 1000;
          if (wait > 0) await sleep(wait);
        } else if (nowUs() >= end) return;
        issued++;
        const seq = ++this.seq;
        try {
          await this.writer.write(makePayload(seq, nowUs()));
        } catch (e) {
          failed = e instanceof Error ? e : new Error(String(e));
        }
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, lane));
    if (failed !== undefined) throw failed;
    return { firstSeq, lastSeq: this.seq, writes: issued, seconds: (nowUs() - t0) / 1e6 };
  }
}

/**
 * Waits until `pool` has received `expected` payloads, or nothing arrived for `idleMs`, or
 * `capMs` passed. (Counts, not the last sequence number: with writes in flight a system may
 * commit them in another order than they were issued.) Returns the final report.
 */
async function drain(
  pool: WatcherPool,
  expected: number,
  idleMs: number,
  capMs: number,
): Promise<PoolReport> {
  const t0 = Date.now();
  const got = (r: PoolReport): number => (pool.tracked ? r.distinct : r.received);
  let last = await pool.report();
  let lastChange = Date.now();
  while (got(last) < expected && Date.now() - t0 < capMs && Date.now() - lastChange < idleMs) {
    await sleep(200);
    const r = await pool.report();
    if (r.received !== last.received) lastChange = Date.now();
    last = r;
  }
  return last;
}

/**
 * How long the idle readings settle, before and after the idle watchers connect: an idle
 * clusnotify server gives back the young generation its handshakes grew over several seconds
 * (D50); 2 and 3 s caught it before that.
 */
const IDLE_SETTLE_MS = 10_000;

type Figures = Record<string, number>;

/** Records the idle figure: RSS growth (KiB, lowest readings) per idle watcher. */
function idleFigure(
  fig: Figures,
  name: string,
  watchers: number,
  base: number,
  idle: number,
): void {
  const each = ((idle - base) * 1024) / watchers;
  fig['idle bytes/watcher'] = each;
  fig['idle watchers'] = watchers;
  log(`${name}: ${watchers} idle watchers: ${formatShort(each)} B each`);
}

/**
 * The idle figure with a set of its own ({@link IDLE_WATCHERS} not among the phases' sets), on a
 * fresh server that is stopped after it, so the phases that follow start from a clean heap too.
 */
async function idlePhase(system: SystemName, watchers: number, fig: Figures): Promise<void> {
  const server = await startServer(system, SERVER_NODE_ARGS);
  try {
    const base = await lowestRssKiB(server.pid, IDLE_SETTLE_MS);
    const pool = await WatcherPool.open(
      server.endpoint,
      watchers,
      workersFor(watchers),
      false,
      SHARING,
    );
    try {
      idleFigure(
        fig,
        SYSTEM_LABELS[system],
        watchers,
        base,
        await lowestRssKiB(server.pid, IDLE_SETTLE_MS),
      );
    } finally {
      await pool.close();
    }
  } finally {
    await server.stop();
  }
}

async function watcherPhases(
  server: RunningServer,
  driver: Driver,
  watchers: number,
  fig: Figures,
): Promise<void> {
  const name = SYSTEM_LABELS[server.endpoint.system];
  const ep = server.endpoint;
  const idle = idleWatchersOf(ep.system) === watchers;
  let idleBase = NaN;
  if (idle) idleBase = await lowestRssKiB(server.pid, IDLE_SETTLE_MS);
  const pool = await WatcherPool.open(ep, watchers, workersFor(watchers), false, SHARING);
  try {
    if (idle)
      idleFigure(fig, name, watchers, idleBase, await lowestRssKiB(server.pid, IDLE_SETTLE_MS));
    // Flat out.
    const t0 = nowUs();
    await pool.reset(t0 + WARMUP_S * 1e6, t0 + SECONDS * 1e6, driver.seq + 1);
    const cpu = (pids: number[]): number => pids.reduce((a, p) => a + cpuSeconds(p), 0);
    const cpu0 = [cpu([server.pid]), cpu(pool.pids), cpu([process.pid])];
    const w = await driver.drive(SECONDS);
    const cpu1 = [cpu([server.pid]), cpu(pool.pids), cpu([process.pid])];
    // Where the two cores went while the writer was flat out (100 % = one core).
    fig[`server CPU % @${watchers}`] = (100 * ((cpu1[0] ?? 0) - (cpu0[0] ?? 0))) / w.seconds;
    fig[`watchers CPU % @${watchers}`] = (100 * ((cpu1[1] ?? 0) - (cpu0[1] ?? 0))) / w.seconds;
    fig[`writer CPU % @${watchers}`] = (100 * ((cpu1[2] ?? 0) - (cpu0[2] ?? 0))) / w.seconds;
    const r = await drain(pool, w.writes * watchers, 3000, 20_000);
    const delivered = r.inWindow / (SECONDS - WARMUP_S);
    fig[`delivered/s @${watchers}`] = delivered;
    fig[`writes/s @${watchers}`] = w.writes / w.seconds;
    fig[`flat-out lost % @${watchers}`] =
      (100 * (w.writes * watchers - r.received)) / (w.writes * watchers);
    log(
      `${name}: ${watchers} watchers flat out: ${formatShort(w.writes / w.seconds)} writes/s, ` +
        `${formatShort(delivered)} delivered/s, ` +
        `${r.received}/${w.writes * watchers} received, p99 ${formatShort(r.histogram.percentile(99) / 1000)} ms; ` +
        `CPU % server ${formatShort(fig[`server CPU % @${watchers}`] ?? NaN)}, watchers ${formatShort(fig[`watchers CPU % @${watchers}`] ?? NaN)}, writer ${formatShort(fig[`writer CPU % @${watchers}`] ?? NaN)}`,
    );
    // Fixed moderate rate.
    const rate = latencyRate(watchers);
    await pool.reset(0, 0, driver.seq + 1);
    const l = await driver.drive(SECONDS, rate);
    const lr = await drain(pool, l.writes * watchers, 3000, 20_000);
    const [p50, p99, p999] = [50, 99, 99.9].map((p) => lr.histogram.percentile(p) / 1000) as [
      number,
      number,
      number,
    ];
    fig[`p50 ms @${watchers}`] = p50;
    fig[`p99 ms @${watchers}`] = p99;
    fig[`p99.9 ms @${watchers}`] = p999;
    fig[`latency lost @${watchers}`] = l.writes * watchers - lr.received;
    log(
      `${name}: ${watchers} watchers at ${rate} writes/s: p50 ${formatShort(p50)} ` +
        `p99 ${formatShort(p99)} p99.9 ${formatShort(p999)} ms, ` +
        `${lr.received}/${l.writes * watchers} received`,
    );
  } finally {
    await pool.close();
  }
}

async function slowConsumer(system: SystemName, fig: Figures): Promise<void> {
  const name = SYSTEM_LABELS[system];
  const server = await startServer(system, SERVER_NODE_ARGS);
  try {
    const driver = new Driver(await openWriter(server.endpoint));
    const healthy = await WatcherPool.open(server.endpoint, 1, 1, true);
    const stalled = await WatcherPool.open(server.endpoint, 1, 1, true);
    try {
      // Both reading: the healthy watcher's p99 with the writer flat out.
      await healthy.reset(0, 0, driver.seq + 1);
      await stalled.reset(0, 0, driver.seq + 1);
      const rss0 = server.rssKiB();
      let basePeak = rss0;
      let baseSampling = true;
      const baseSampler = (async () => {
        while (baseSampling) {
          basePeak = Math.max(basePeak, server.rssKiB());
          await sleep(200);
        }
      })();
      const b = await driver.drive(Math.min(3, SLOW_SECONDS));
      baseSampling = false;
      await baseSampler;
      // The same growth without a stalled watcher (what every write costs the server, e.g. a
      // store's history), per 100,000 writes, to compare with the stall's.
      fig['slow: server RSS MiB per 100k writes, both reading'] =
        ((basePeak - rss0) / 1024 / b.writes) * 1e5;
      const before = await drain(healthy, b.writes, 3000, 20_000);
      await drain(stalled, b.writes, 3000, 20_000);
      fig['slow: healthy p99 ms, both reading'] = before.histogram.percentile(99) / 1000;
      const rssBefore = await lowestRssKiB(server.pid, 1000);
      // One stalled.
      await healthy.reset(0, 0, driver.seq + 1);
      await stalled.reset(0, 0, driver.seq + 1);
      const pid = stalled.pids[0] ?? -1;
      process.kill(pid, 'SIGSTOP');
      let peak = rssBefore;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, server.rssKiB());
          await sleep(200);
        }
      })();
      const s = await driver.drive(SLOW_SECONDS);
      const during = await drain(healthy, s.writes, 3000, 20_000);
      sampling = false;
      await sampler;
      fig['slow: writes during stall'] = s.writes;
      fig['slow: writes/s'] = s.writes / s.seconds;
      fig['slow: healthy p99 ms, one stalled'] = during.histogram.percentile(99) / 1000;
      fig['slow: healthy lost'] = s.writes - during.distinct;
      fig['slow: server RSS before MiB'] = rssBefore / 1024;
      fig['slow: server RSS growth MiB'] = (peak - rssBefore) / 1024;
      fig['slow: server RSS MiB per 100k writes, one stalled'] =
        ((peak - rssBefore) / 1024 / s.writes) * 1e5;
      // Resume the stalled one: what does it get?
      const resumed = nowUs();
      process.kill(pid, 'SIGCONT');
      const after = await drain(stalled, s.writes, 3000, 60_000);
      fig['slow: stalled received %'] = (100 * after.distinct) / s.writes;
      fig['slow: stalled lost'] = s.writes - after.distinct;
      fig['slow: stalled disconnects'] = after.notes.disconnected;
      fig['slow: stalled lost-events indications'] = after.notes['lost-indication'];
      fig['slow: stalled catch-up s'] =
        after.lastReceiveUs > resumed ? (after.lastReceiveUs - resumed) / 1e6 : 0;
      log(
        `${name}: slow consumer: ${s.writes} writes in ${SLOW_SECONDS} s; server RSS +${formatShort(fig['slow: server RSS growth MiB'])} MiB; ` +
          `healthy p99 ${formatShort(fig['slow: healthy p99 ms, both reading'])} → ${formatShort(fig['slow: healthy p99 ms, one stalled'])} ms; ` +
          `stalled got ${after.distinct} of ${s.writes} (${after.notes.disconnected} disconnects, ${after.notes['lost-indication']} lost-events)`,
      );
    } finally {
      await Promise.all([healthy.close(), stalled.close()]);
      await driver.writer.close();
    }
  } finally {
    await server.stop();
  }
}

async function runSystem(system: SystemName): Promise<Figures> {
  const fig: Figures = {};
  const idle = idleWatchersOf(system);
  if (!WATCHERS.includes(idle)) await idlePhase(system, idle, fig);
  const server = await startServer(system, SERVER_NODE_ARGS);
  try {
    const driver = new Driver(await openWriter(server.endpoint));
    try {
      // The largest set first, on a fresh server, so the idle figure starts from a clean heap.
      for (const n of [...WATCHERS].sort((a, b) => b - a))
        await watcherPhases(server, driver, n, fig);
    } finally {
      await driver.writer.close();
    }
  } finally {
    await server.stop();
  }
  if (SHARING === 'per-watcher') await slowConsumer(system, fig);
  return fig;
}

// ----- report -------------------------------------------------------------------------------

type Results = Record<string, Record<string, number[]>>;

const fmt = (v: number | undefined): string => {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
};

interface Machine {
  readonly cpus: string;
  readonly ram: string;
  readonly node: string;
  readonly peers: string;
  readonly date: string;
}

function machine(): Machine {
  const peers = (['etcd', 'redis', 'nats'] as const)
    .filter((s) => systems.includes(s))
    .map((s) => `${SYSTEM_LABELS[s].split(' ')[0] ?? s} ${serverVersion(s)}`);
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    ram: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    peers: peers.join(', '),
    date: new Date().toISOString(),
  };
}

/** Whether any system has figure `k` (a per-worker run has no slow-consumer figures). */
function measured(results: Results, k: string): boolean {
  return systems.some((s) => Number.isFinite(median(results[s]?.[k] ?? [])));
}

function markdown(results: Results): string {
  const med = (s: string, k: string): number => median(results[s]?.[k] ?? []);
  const keys = [
    ...WATCHERS.map((n) => `delivered/s @${n}`),
    ...WATCHERS.map((n) => `writes/s @${n}`),
    ...WATCHERS.map((n) => `flat-out lost % @${n}`),
    ...WATCHERS.flatMap((n) => [`p50 ms @${n}`, `p99 ms @${n}`, `p99.9 ms @${n}`]),
    ...WATCHERS.flatMap((n) => [
      `server CPU % @${n}`,
      `watchers CPU % @${n}`,
      `writer CPU % @${n}`,
    ]),
    ...WATCHERS.map((n) => `latency lost @${n}`),
    'idle bytes/watcher',
    'idle watchers',
    'slow: writes/s',
    'slow: server RSS growth MiB',
    // (The 'both reading' growth per write stays in the JSON only: its 3 s start on a fresh
    // server, so for most systems it is warm-up, not a cost per write.)
    'slow: server RSS MiB per 100k writes, one stalled',
    'slow: healthy p99 ms, both reading',
    'slow: healthy p99 ms, one stalled',
    'slow: stalled received %',
    'slow: stalled lost',
    'slow: stalled disconnects',
    'slow: stalled lost-events indications',
    'slow: stalled catch-up s',
  ];
  const lines: string[] = [];
  lines.push(`| figure | ${systems.map((s) => SYSTEM_LABELS[s]).join(' | ')} |`);
  lines.push(`| --- | ${systems.map(() => '---:').join(' | ')} |`);
  for (const k of keys) {
    // Figures no system has (the slow consumer of a per-worker run) leave no empty row.
    if (!measured(results, k)) continue;
    lines.push(`| ${k} | ${systems.map((s) => fmt(med(s, k))).join(' | ')} |`);
  }
  lines.push('');
  // Ratios: clusnotify ÷ each peer; the last column says which way is better.
  const ratioKeys: [string, string][] = [
    ...WATCHERS.map((n): [string, string] => [`delivered/s @${n}`, 'higher']),
    ...WATCHERS.map((n): [string, string] => [`p99 ms @${n}`, 'lower']),
    ['idle bytes/watcher', 'lower'],
    ['slow: server RSS growth MiB', 'lower'],
    ['slow: healthy p99 ms, one stalled', 'lower'],
  ];
  const ours = systems.filter((s) => s.startsWith('clusnotify'));
  const peers = systems.filter((s) => !s.startsWith('clusnotify'));
  for (const o of ours) {
    lines.push(`Ratios, ${SYSTEM_LABELS[o]} ÷ each peer:`);
    lines.push('');
    lines.push(`| figure | ${peers.map((p) => SYSTEM_LABELS[p]).join(' | ')} | better when |`);
    lines.push(`| --- | ${peers.map(() => '---:').join(' | ')} | --- |`);
    for (const [k, better] of ratioKeys) {
      if (!measured(results, k)) continue;
      const cells = peers.map((p) => {
        const r = med(o, k) / med(p, k);
        return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—';
      });
      lines.push(`| ${k} | ${cells.join(' | ')} | ${better} |`);
    }
    lines.push('');
  }
  lines.push('Runs (every figure, each system):');
  lines.push('');
  for (const s of systems) {
    lines.push(`- ${SYSTEM_LABELS[s]}:`);
    for (const [k, xs] of Object.entries(results[s] ?? {}))
      lines.push(`  - ${k}: ${xs.map((x) => fmt(x)).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

/** How many idle watchers each system's memory figure had, e.g. "10,000 watchers; Redis 1,000". */
function idleLabel(results: Results): string {
  // Runs from before the separate idle set measured the largest set.
  const count = (s: string): number =>
    median(results[s]?.['idle watchers'] ?? []) || Math.max(...WATCHERS);
  const byCount = new Map<number, string[]>();
  for (const s of systems) byCount.set(count(s), [...(byCount.get(count(s)) ?? []), s]);
  const [most, ...others] = [...byCount].sort((a, b) => b[1].length - a[1].length);
  const n = (c: number): string => c.toLocaleString('en-US');
  return [
    `${n(most?.[0] ?? IDLE_WATCHERS)} watchers`,
    ...others.map(
      ([c, ss]) =>
        `${ss.map((s) => SYSTEM_LABELS[s as SystemName].split(' ')[0]).join(', ')} ${n(c)}`,
    ),
  ].join('; ');
}

function chart(results: Results, subtitle: string, slowSeconds: number): string {
  const med = (s: string, k: string): number => median(results[s]?.[k] ?? []);
  const groups = WATCHERS.map((n) => `${n.toLocaleString('en-US')} watcher${n === 1 ? '' : 's'}`);
  // A per-worker run has no slow-consumer phase.
  const slow = measured(results, 'slow: server RSS growth MiB');
  const series = (k: (n: number) => string): { name: string; values: number[] }[] =>
    systems.map((s) => ({ name: SYSTEM_LABELS[s], values: WATCHERS.map((n) => med(s, k(n))) }));
  return barChartSvg(
    [
      {
        title: 'Delivered events/s, writer flat out (all watchers together; higher is better)',
        unit: 'events/s',
        groups,
        series: series((n) => `delivered/s @${n}`),
        log: true,
      },
      {
        title: `Write→delivery p99 at a fixed rate (1,000 writes/s to 1 watcher, else 10,000 deliveries/s; lower is better)`,
        unit: 'ms',
        groups,
        series: series((n) => `p99 ms @${n}`),
        log: true,
      },
      {
        title: 'Server memory (lower is better)',
        unit: 'bytes / MiB',
        groups: [
          `bytes per idle watcher (${idleLabel(results)})`,
          ...(slow ? [`MiB RSS growth, slow consumer (${slowSeconds} s stall)`] : []),
        ],
        series: systems.map((s) => ({
          name: SYSTEM_LABELS[s],
          values: [
            med(s, 'idle bytes/watcher'),
            ...(slow ? [med(s, 'slow: server RSS growth MiB')] : []),
          ],
        })),
        log: true,
      },
    ],
    {
      title: 'clusnotify vs etcd watch, Redis pub/sub, NATS core (loopback, 120-byte payloads)',
      subtitle,
    },
  );
}

// ----- main ---------------------------------------------------------------------------------

interface Saved {
  readonly machine: Machine;
  /** Absent in runs from before the option: per-watcher. */
  readonly connections?: Sharing;
  readonly runs: number;
  readonly seconds: number;
  readonly slowSeconds: number;
  readonly elapsedS?: number;
  readonly results: Results;
}

/** Writes peers.md, peers.json, peers.svg (and `--chart`) and prints the Markdown. */
function writeReport(saved: Saved): void {
  const { machine: m, runs, seconds, slowSeconds, results } = saved;
  const sharing = saved.connections ?? 'per-watcher';
  const subtitle = `median of ${runs} run${runs === 1 ? '' : 's'}; ${m.cpus}, ${m.ram}; Node ${m.node}; ${m.peers}; ${m.date.slice(0, 10)}${sharing === 'per-worker' ? '; watchers share a connection per worker process' : ''}`;
  const md = [
    `bench:peers — ${subtitle}`,
    `phases: ${seconds} s flat out (${WARMUP_S} s warm-up not counted) and ${seconds} s at a fixed rate per watcher count; ${sharing === 'per-watcher' ? `stall ${slowSeconds} s` : 'no slow-consumer phase'}; ${INFLIGHT} writes in flight flat out`,
    `connections: ${sharing === 'per-watcher' ? 'one per watcher' : "a worker process's watchers share connections, 250 per connection (Redis: one per watcher)"}`,
    `idle memory measured with: ${idleLabel(results)}`,
    `whole command: ${saved.elapsedS === undefined ? '?' : Math.round(saved.elapsedS)} s`,
    '',
    markdown(results),
  ].join('\n');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'peers.md'), md);
  writeFileSync(join(OUT, 'peers.json'), JSON.stringify(saved, null, 2));
  const svg = chart(results, subtitle, slowSeconds);
  writeFileSync(join(OUT, 'peers.svg'), svg);
  if (args.chart !== undefined) writeFileSync(resolve(args.chart), svg);
  process.stdout.write(md);
  log(`wrote ${join(OUT, 'peers.md')}, peers.json, peers.svg`);
}

installCleanup();
const started = Date.now();
try {
  if (args.report !== undefined) {
    // Only the report again, from the JSON of an earlier run (same --systems and --watchers).
    writeReport(JSON.parse(readFileSync(resolve(args.report), 'utf8')) as Saved);
  } else {
    ensureInstalled(systems);
    const results: Results = {};
    for (let run = 1; run <= RUNS; run++) {
      for (const s of systems) {
        log(`run ${run}/${RUNS}: ${SYSTEM_LABELS[s]}`);
        const fig = await runSystem(s);
        const into = (results[s] ??= {});
        for (const [k, v] of Object.entries(fig)) (into[k] ??= []).push(v);
      }
    }
    writeReport({
      machine: machine(),
      runs: RUNS,
      seconds: SECONDS,
      slowSeconds: SLOW_SECONDS,
      connections: SHARING,
      elapsedS: (Date.now() - started) / 1000,
      results,
    });
  }
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
