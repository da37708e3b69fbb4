/**
 * Network benchmark (issue "Network server, typed client …", §5): a real `clusnotify serve` in
 * its own process, protocol peers over loopback WebSocket. Figures, each the median of `--runs`
 * runs:
 *  1. delivery to one client whose port matches every change, live on the memory store with one
 *     writer committing as fast as it can;
 *  2. delivery of a long committed history through resume (replay);
 *  3. live on SQLite with 1 and 100 clients: changes committed/s and indications delivered/s;
 *  4. latency change → client with 100 clients at 200 and 1,000 changes/s (p50/p99/p99.9);
 *  5. server RSS per idle port with 10,000 ports over 100 connections.
 *
 * Run: `npm run bench:wire`. Options: `--runs N` (3), `--seconds N` (4, per live run),
 * `--history N` (commands committed before the replay run, 1000000), `--json`. The server runs
 * with the node flags of the `clusnotify` bin's shebang. Readers stream their ports
 * (`streamNotify`) in binary frames as the client library does (`WIRE_BENCH_ENCODING=json` for
 * JSON text); `WIRE_BENCH_READ=poll` makes them use gets. For profiling:
 * `WIRE_BENCH_ONLY=live|sqlite100|replay|latency|idle` runs one figure, `WIRE_BENCH_REPLAY_SIGNAL` (for example SIGUSR2) is sent to the server as the replay starts, `WIRE_BENCH_INFLIGHT` the live runs' calls in flight (256), `WIRE_BENCH_RATE` sets the latency run's
 * rate, `WIRE_BENCH_NODE_ARGS` adds node flags to the server (`--cpu-prof …`), and
 * `WIRE_BENCH_BIN_NODE_ARGS` replaces the bin's node flags, `WIRE_BENCH_SERVE_ARGS` adds `clusnotify serve` options (`--retain-commits 1000`), and
 * `WIRE_BENCH_DEBUG=1` prints the slowest revisions of a latency run, `WIRE_BENCH_DUMP=FILE` writes
 * its samples (`[revision, reader, sent, received]`) to FILE.RATE (the last run's), `WIRE_BENCH_READER_THREADS=N` puts its
 * readers in N threads.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ClusterObjectType as T, V2_FAMILIES } from '@clusnotify/protocol';
import {
  clockMs,
  EVERY_OBJECT_TYPE,
  Peer,
  openReaders,
  read,
  READ_MODE,
  RevisionTimes,
} from './wire-peer.js';
import type { ReaderThreadData, ReaderThreadReport } from './wire-readers.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    history: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const HISTORY = Number(args.history);
const MAIN = fileURLToPath(new URL('../../../cli/dist/src/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../../cli/bin/clusnotify.js', import.meta.url));
/**
 * The node flags the `clusnotify` bin runs with (its shebang), so the server runs as users run
 * it; `WIRE_BENCH_BIN_NODE_ARGS` stands in for them (A/B checks of a flag).
 */
const SERVE_NODE_ARGS = (
  process.env.WIRE_BENCH_BIN_NODE_ARGS ??
  /^#!\/usr\/bin\/env -S node(.*)$/m.exec(readFileSync(BIN, 'utf8'))?.[1] ??
  ''
)
  .split(' ')
  .filter(Boolean);

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
  readonly dir: string;
  rssKiB(): number;
  /** CPU time (user + system) the server process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

async function startServer(
  store: 'memory' | 'sqlite',
  extra: string[] = [],
  nodeArgs: string[] = SERVE_NODE_ARGS,
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'clusnotify-wire-'));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.WIRE_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ...nodeArgs,
      MAIN,
      'serve',
      '--data',
      dir,
      '--port',
      '0',
      '--store',
      store,
      '--log-level',
      'error',
      '--max-queued',
      '100000',
      '--max-sessions',
      '10000',
      ...extra,
      ...(process.env.WIRE_BENCH_SERVE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (/cn_f_\S+/.test(out)) resolve();
    });
    child.once('exit', (c) => reject(new Error(`serve exited ${String(c)}`)));
  });
  return {
    child,
    dir,
    url: /at (ws:\/\/\S+)/.exec(out)?.[1] ?? '',
    token: /(cn_f_\S+)/.exec(out)?.[1] ?? '',
    rssKiB() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(child.pid)}/status`, 'utf8'));
      return Number(m?.[1] ?? NaN);
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/PID/stat: utime and stime in clock ticks (100 per second).
      const stat = readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TOGGLES = ['SQL Disk', 'SQL IP Address', 'FS Disk', 'FS IP Address', 'Cluster IP Address'];

/**
 * Calls the live runs' writer keeps in flight (`WIRE_BENCH_INFLIGHT`, default 256; the server
 * allows 1,024 per connection). Until session 6 it was 64: the writer then waited on its own
 * answers part of the time and the server sat idle 13 % of a live run (docs/benchmarks.md).
 */
const LIVE_INFLIGHT = Number(process.env.WIRE_BENCH_INFLIGHT ?? 256);

/** One writer: toggles resources, `inflight` commands at a time, for `seconds` or `count` commands. */
async function write(
  peer: Peer,
  opts: {
    seconds?: number;
    count?: number;
    inflight: number;
    rate?: number;
    sent?: RevisionTimes;
    /** Called with each committed revision. */
    committed?: (revision: number) => void;
  },
): Promise<{ commands: number; seconds: number }> {
  const online = new Map<string, boolean>(TOGGLES.map((n) => [n, true]));
  let issued = 0;
  let next = 0;
  const t0 = performance.now();
  const end = opts.seconds === undefined ? Infinity : t0 + opts.seconds * 1000;
  const limit = opts.count ?? Infinity;
  const one = async (): Promise<void> => {
    while (performance.now() < end && issued < limit) {
      const i = issued++;
      if (opts.rate !== undefined) {
        const due = t0 + (i * 1000) / opts.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const name = TOGGLES[next++ % TOGGLES.length] as string;
      const on = online.get(name) === true;
      online.set(name, !on);
      const started = clockMs();
      const r = await peer.call('execute', {
        command: { type: on ? 'resource.offline' : 'resource.online', resource: name },
      });
      if (r.type !== 'ok') throw new Error(JSON.stringify(r));
      opts.sent?.setFirst(r.revision as number, started);
      opts.committed?.(r.revision as number);
    }
  };
  await Promise.all(Array.from({ length: opts.inflight }, one));
  return { commands: issued, seconds: (performance.now() - t0) / 1000 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ----- 1. live delivery, memory store, one writer flat out -----------------------------------
async function liveOne(
  store: 'memory' | 'sqlite',
  clients: number,
): Promise<{
  changesPerSec: number;
  deliveredPerSec: number;
  lagMax: number;
  drainMs: number;
  serverCpuUsPerChange: number;
}> {
  const srv = await startServer(store);
  try {
    const writer = await Peer.open(srv.url, srv.token);
    const open = await openReaders(srv.url, srv.token, clients, false);
    const { readers } = open;
    // Client lag: how many commits the slowest reader is behind the writer, sampled every 50 ms.
    let committed = (await writer.call('getServerInfo')).revision as number;
    for (const r of readers) r.last = Math.max(r.last, committed);
    let lagMax = 0;
    const sampler = setInterval(() => {
      for (const r of readers) lagMax = Math.max(lagMax, committed - r.last);
    }, 50);
    const cpu0 = srv.cpuMs();
    const w = await write(writer, {
      seconds: SECONDS,
      inflight: LIVE_INFLIGHT,
      committed: (rev) => (committed = Math.max(committed, rev)),
    });
    const cpu1 = srv.cpuMs();
    clearInterval(sampler);
    // Drain: from the writer's last commit until every reader has it.
    const stopped = performance.now();
    while (readers.some((r) => r.last < committed) && performance.now() - stopped < 30_000)
      await settle(2);
    const drainMs = performance.now() - stopped;
    await settle(100);
    await open.close();
    const delivered = readers.reduce((a, r) => a + r.count, 0);
    writer.close();
    return {
      changesPerSec: w.commands / w.seconds,
      // Over the writer's time plus the drain: every indication delivered, over the time it took.
      deliveredPerSec: delivered / (w.seconds + drainMs / 1000),
      lagMax,
      drainMs,
      serverCpuUsPerChange: ((cpu1 - cpu0) * 1000) / w.commands,
    };
  } finally {
    await srv.stop();
  }
}

// ----- 2. replay through resume -------------------------------------------------------------
async function replay(): Promise<{ indications: number; perSec: number }> {
  // The server keeps the whole history (a memory store keeps 256 MiB of it by default; a
  // million of these commits take about 2.6 GB).
  const srv = await startServer('memory', [
    '--retain-commits',
    String(HISTORY + 10_000),
    '--retain-mib',
    String(Math.ceil((HISTORY * 4096) / 1024 / 1024) + 64),
  ]);
  try {
    const writer = await Peer.open(srv.url, srv.token);
    const info0 = await writer.call('getServerInfo');
    const from = info0.revision as number;
    await write(writer, { count: HISTORY, inflight: 256 });
    const end = (await writer.call('getServerInfo')).revision as number;
    const reader = await Peer.open(srv.url, srv.token);
    const filters = EVERY_OBJECT_TYPE.flatMap((t) => {
      const fam = V2_FAMILIES[t as keyof typeof V2_FAMILIES];
      return fam === undefined
        ? []
        : [
            {
              kind: 'v2',
              objectType: t,
              filterFlags: (fam.all & ~fam.clientOnly) >>> 0,
              notifyKey: t,
            },
          ];
    });
    // For profiling the replay alone: the server process gets this signal as the replay starts.
    const mark = process.env.WIRE_BENCH_REPLAY_SIGNAL;
    if (mark !== undefined) srv.child.kill(mark as NodeJS.Signals);
    const t0 = performance.now();
    const r = await reader.call('resumeNotify', { version: 2, filters, afterRevision: from });
    if (r.type !== 'ok') throw new Error(JSON.stringify(r));
    let count = 0;
    let last = 0;
    if (READ_MODE === 'stream') {
      // As the client library reads a resumed port: streamed under credit.
      const rd = read(reader, r.handle as string, false);
      await rd.done;
      for (let idle = 0; rd.last < end;) {
        const seen = rd.count;
        await new Promise((resolve) => setTimeout(resolve, 5));
        idle = rd.count === seen ? idle + 5 : 0;
        if (idle > 2000) throw new Error(`replay stalled at revision ${rd.last}`);
      }
      count = rd.count;
      rd.stop();
    } else
      while (last < end) {
        const res = await reader.call('getNotifyV2', {
          hNotify: r.handle,
          max: 4096,
          timeoutMs: 2000,
        });
        if (res.type !== 'ok')
          throw new Error(`replay stalled at revision ${last}: ${JSON.stringify(res)}`);
        const list = res.notifications as { revision: number }[];
        count += list.length;
        last = list.at(-1)?.revision ?? last;
      }
    const seconds = (performance.now() - t0) / 1000;
    writer.close();
    reader.close();
    return { indications: count, perSec: count / seconds };
  } finally {
    await srv.stop();
  }
}

// ----- 4. latency with 100 clients at a fixed rate -----------------------------------------------

/**
 * Threads the latency run's readers work in (`WIRE_BENCH_READER_THREADS`, default 0: all in the
 * bench's own event loop). One event loop handles its clients' frames one after another, so the
 * last reader's figure carries the other readers' work; threads take that out, but on this
 * 2-core machine they also compete with the server (docs/benchmarks.md, session 6: better at
 * 200 changes/s, worse at 1,000), so the figures are taken without.
 */
const READER_THREADS = Number(process.env.WIRE_BENCH_READER_THREADS ?? 0);

/** The latency run's readers; `stop` ends them and gives each one's [revision, first arrival]. */
interface LatencyReaders {
  stop(): Promise<(readonly [number, number])[][]>;
}

async function openLatencyReaders(
  srv: Server,
  count: number,
  threads: number,
): Promise<LatencyReaders> {
  if (threads === 0) {
    const open = await openReaders(srv.url, srv.token, count, true);
    return {
      async stop() {
        await open.close();
        return open.readers.map((r) => [...r.firstSeen.entries()]);
      },
    };
  }
  const workers = Array.from({ length: threads }, (_, i) => {
    const data: ReaderThreadData = {
      url: srv.url,
      token: srv.token,
      count: Math.floor(count / threads) + (i < count % threads ? 1 : 0),
    };
    return new Worker(new URL('./wire-readers.js', import.meta.url), { workerData: data });
  });
  const next = (w: Worker): Promise<unknown> =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  await Promise.all(workers.map(next));
  return {
    async stop() {
      const reports = await Promise.all(
        workers.map((w) => {
          const report = next(w);
          w.postMessage({ type: 'stop' });
          return report as Promise<ReaderThreadReport>;
        }),
      );
      await Promise.all(workers.map((w) => w.terminate()));
      return reports.flatMap((r) =>
        r.readers.map((x) =>
          Array.from(x.revisions, (rev, k) => [rev, x.times[k] ?? NaN] as const),
        ),
      );
    },
  };
}
/** Unmeasured changes before a latency run's measured seconds, and their rate (per second). */
const WARMUP_CHANGES = 3000;
const WARMUP_RATE = 1000;

async function latency(rate: number): Promise<{
  p50: number;
  p99: number;
  p999: number;
  samples: number;
  serverCpuUsPerChange: number;
  clientsCpuUsPerChange: number;
}> {
  const srv = await startServer('memory');
  try {
    const writer = await Peer.open(srv.url, srv.token);
    const readers = await openLatencyReaders(srv, 100, READER_THREADS);
    await settle(200);
    // Changes first, not measured: the first changes through a fresh server run code not yet
    // optimised (10–20 ms each), which is start-up, not delivery latency. As many for every
    // rate: V8 optimises by call counts, so one second at 200 changes/s left optimisations and
    // their stalls (~3 ms, all 100 readers late) in the measured seconds.
    await write(writer, { count: WARMUP_CHANGES, inflight: 16, rate: WARMUP_RATE });
    await settle(200);
    const sent = new RevisionTimes();
    const cpu0 = srv.cpuMs();
    const own0 = process.cpuUsage();
    const w = await write(writer, { count: Math.round(rate * SECONDS), inflight: 16, rate, sent });
    await settle(300);
    const cpu1 = srv.cpuMs();
    const own = process.cpuUsage(own0);
    const arrivals = await readers.stop();
    const lat: number[] = [];
    for (const seen of arrivals) {
      for (const [rev, at] of seen) {
        const s = sent.get(rev);
        if (s !== undefined) lat.push(at - s);
      }
    }
    lat.sort((a, b) => a - b);
    if (process.env.WIRE_BENCH_DUMP !== undefined) {
      const rows: number[][] = [];
      arrivals.forEach((seen, i) => {
        for (const [rev, at] of seen) {
          const s = sent.get(rev);
          if (s !== undefined) rows.push([rev, i, s, at]);
        }
      });
      writeFileSync(`${process.env.WIRE_BENCH_DUMP}.${rate}`, JSON.stringify(rows));
    }
    if (process.env.WIRE_BENCH_DEBUG !== undefined) {
      let t0 = 0;
      for (const [, at] of sent.entries()) {
        t0 = at;
        break;
      }
      const slow = new Map<number, number>();
      for (const seen of arrivals)
        for (const [rev, at] of seen) {
          const s = sent.get(rev);
          if (s !== undefined && at - s > 8) slow.set(rev, Math.max(slow.get(rev) ?? 0, at - s));
        }
      for (const [rev, ms] of [...slow].sort((a, b) => a[0] - b[0]))
        console.log(
          `rev ${rev} sent +${((sent.get(rev) ?? 0) - t0).toFixed(1)} ms worst ${ms.toFixed(1)} ms`,
        );
    }
    writer.close();
    return {
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      p999: pct(lat, 99.9),
      samples: lat.length,
      serverCpuUsPerChange: ((cpu1 - cpu0) * 1000) / w.commands,
      // This process: the writer and the 100 clients (their threads included).
      clientsCpuUsPerChange: (own.user + own.system) / w.commands,
    };
  } finally {
    await srv.stop();
  }
}

/** The lowest of `srv`'s RSS readings (KiB), one a second over `seconds`. */
async function lowestRss(srv: Server, seconds: number): Promise<number> {
  let low = srv.rssKiB();
  for (let i = 0; i < seconds; i++) {
    await settle(1000);
    low = Math.min(low, srv.rssKiB());
  }
  return low;
}

// ----- 5. memory per idle port ----------------------------------------------------------------------
async function idlePorts(nodeArgs: string[] = SERVE_NODE_ARGS): Promise<number> {
  const srv = await startServer('memory', [], nodeArgs);
  try {
    const peers: Peer[] = [];
    // 100 connections first, so the figure is ports, not connections.
    for (let i = 0; i < 100; i++) peers.push(await Peer.open(srv.url, srv.token));
    // The lowest reading over 15 s of idle, as for `after`: one reading taken while garbage of
    // the 100 handshakes was still held made the figure swing by 2 KB per port, and an idle
    // server gives back its young generation over several seconds (D50).
    const before = await lowestRss(srv, 15);
    await Promise.all(
      peers.map(async (p, i) => {
        const hc = (await p.call('openCluster')).handle as string;
        for (let k = 0; k < 100; k++) {
          const port = (await p.call('createNotifyV2')).handle as string;
          await p.call('addNotifyV2', {
            hNotify: port,
            hObject: hc,
            filter: { objectType: T.RESOURCE, filterFlags: 0x4 },
            notifyKey: i * 100 + k,
            version: 2,
            isTargetedAtObject: false,
          });
        }
      }),
    );
    // Let the server go idle long enough for V8's memory reducer to give back the garbage of the
    // 20,000 calls that made the ports, so the figure is what the ports keep.
    const after = await lowestRss(srv, 15);
    for (const p of peers) p.close();
    return ((after - before) * 1024) / 10_000;
  } finally {
    await srv.stop();
  }
}

const results: Record<string, number[]> = {};
const add = (k: string, v: number): void => {
  (results[k] ??= []).push(v);
};

/** 1,300 change records shaped like the live run's, with fixed text (see {@link machineUs}). */
const REFERENCE_RECORDS = Array.from({ length: 1300 }, (_, i) => ({
  type: 'resource-state',
  id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  name: 'SQL Server',
  typeName: 'Generic Service',
  groupId: '00000000-0000-4000-9000-000000000001',
  from: 2,
  to: 130,
  stateSequence: i,
}));

/**
 * A reading of this machine's speed just before a run: µs for one JSON.stringify of
 * {@link REFERENCE_RECORDS} (~270 KB), the fastest of 40. This machine's speed drifts by a third
 * within an hour, and the server's figures drift with it; the reference shows in which phase a
 * run was (lower is faster).
 */
function machineUs(): number {
  let best = Infinity;
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    JSON.stringify(REFERENCE_RECORDS);
    best = Math.min(best, (performance.now() - t0) * 1000);
  }
  return best;
}
const MACHINE = 'machine reference before the run: one fixed JSON.stringify, µs (lower is faster)';
const only = process.env.WIRE_BENCH_ONLY;
function addIdle(asServed: number, defaults: number): void {
  add(
    `server RSS per idle port (10,000 ports, 100 connections; node ${SERVE_NODE_ARGS.join(' ')} as the bin runs it): bytes`,
    asServed,
  );
  add('server RSS per idle port, node with default flags: bytes', defaults);
}
for (let run = 0; run < RUNS; run++) {
  if (only === 'idle') {
    addIdle(await idlePorts(), await idlePorts([]));
    continue;
  }
  if (only === 'live') {
    add(MACHINE, machineUs());
    const m = await liveOne('memory', 1);
    add('live memory, 1 client: indications delivered/s', m.deliveredPerSec);
    add('live memory, 1 client: changes committed/s', m.changesPerSec);
    add('live memory, 1 client: server CPU µs per change', m.serverCpuUsPerChange);
    add('live memory, 1 client: client lag, max commits behind the writer', m.lagMax);
    add('live memory, 1 client: drain after the writer stops, ms', m.drainMs);
    continue;
  }
  if (only === 'sqlite100') {
    const m = await liveOne('sqlite', 100);
    add('live SQLite, 100 clients: changes committed/s', m.changesPerSec);
    add('live SQLite, 100 clients: indications delivered/s (all clients)', m.deliveredPerSec);
    add('live SQLite, 100 clients: server CPU µs per change', m.serverCpuUsPerChange);
    continue;
  }
  if (only === 'replay') {
    const r = await replay();
    add(
      `replay through resume (${r.indications.toLocaleString('en-US')} indications): indications/s`,
      r.perSec,
    );
    continue;
  }
  if (only === 'latency') {
    const rate = Number(process.env.WIRE_BENCH_RATE ?? 1000);
    const l = await latency(rate);
    add(`latency, 100 clients at ${rate} changes/s: p50 ms`, l.p50);
    add(`latency, 100 clients at ${rate} changes/s: p99 ms`, l.p99);
    add(`latency, 100 clients at ${rate} changes/s: p99.9 ms`, l.p999);
    add('latency run: server CPU µs per change (100 clients)', l.serverCpuUsPerChange);
    add('latency run: clients CPU µs per change (writer and 100 clients)', l.clientsCpuUsPerChange);
    continue;
  }
  add(MACHINE, machineUs());
  const m = await liveOne('memory', 1);
  add('live memory, 1 client: indications delivered/s', m.deliveredPerSec);
  add('live memory, 1 client: changes committed/s', m.changesPerSec);
  add('live memory, 1 client: client lag, max commits behind the writer', m.lagMax);
  add('live memory, 1 client: server CPU µs per change', m.serverCpuUsPerChange);
  const r = await replay();
  add(
    `replay through resume (${r.indications.toLocaleString('en-US')} indications): indications/s`,
    r.perSec,
  );
  const s1 = await liveOne('sqlite', 1);
  add('live SQLite, 1 client: changes committed/s', s1.changesPerSec);
  add('live SQLite, 1 client: indications delivered/s', s1.deliveredPerSec);
  add('live SQLite, 1 client: client lag, max commits behind the writer', s1.lagMax);
  add('live SQLite, 1 client: drain after the writer stops, ms', s1.drainMs);
  const s100 = await liveOne('sqlite', 100);
  add('live SQLite, 100 clients: changes committed/s', s100.changesPerSec);
  add('live SQLite, 100 clients: indications delivered/s (all clients)', s100.deliveredPerSec);
  add('live SQLite, 100 clients: client lag, max commits behind the writer', s100.lagMax);
  add('live SQLite, 100 clients: drain after the writer stops, ms', s100.drainMs);
  for (const rate of [200, 1000]) {
    const l = await latency(rate);
    add(`latency, 100 clients at ${rate} changes/s: p50 ms`, l.p50);
    add(`latency, 100 clients at ${rate} changes/s: p99 ms`, l.p99);
    add(`latency, 100 clients at ${rate} changes/s: p99.9 ms`, l.p999);
  }
  addIdle(await idlePorts(), await idlePorts([]));
}

const rows = Object.entries(results).map(([figure, xs]) => ({
  figure,
  value: median(xs),
  runs: xs,
}));
if (args.json)
  console.log(JSON.stringify({ runs: RUNS, seconds: SECONDS, history: HISTORY, rows }, null, 2));
else {
  console.log(
    `wire bench: clusnotify serve in its own process, loopback WebSocket, median of ${RUNS} runs, ${SECONDS} s per live run, node ${process.version}`,
  );
  console.log('');
  console.log('| figure | median | runs |');
  console.log('| --- | ---: | --- |');
  const f = (x: number): string =>
    x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);
  for (const r of rows)
    console.log(`| ${r.figure} | ${f(r.value)} | ${r.runs.map(f).join(', ')} |`);
}
