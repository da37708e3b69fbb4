/**
 * Store benchmark: durable commits per second on the SQLite store (a file in a temp dir, WAL,
 * synchronous = FULL) with many concurrent committers, so that group commit batches them, and
 * the same workload on the memory store. Each commit is 1 put (a resource document) and 1
 * change record of about 120 bytes of JSON. Prints a markdown table against the target of
 * 50,000 durable changes per second; each figure is the median of N runs.
 *
 * Run: `npm run bench:store`. Options: `--commits N` (default 200,000), `--inflight N`
 * (committers, default 1,000), `--sequential N` (commits of the one-committer SQLite row,
 * default 2,000), `--runs N` (default 3), `--rows sqlite,sequential,memory` (which rows to
 * run; `etcd` and `etcd-sequential` start a one-member etcd on loopback and commit to it, each
 * run under a fresh key prefix — `npm run bench:etcd`), `--json`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  createMemoryStore,
  openEtcdStore,
  openSqliteStore,
  startLocalEtcd,
} from '@clusnotify/store';
import type { CommitInput, LocalEtcd, StateStore } from '@clusnotify/store';

const { values: args } = parseArgs({
  options: {
    commits: { type: 'string', default: '200000' },
    inflight: { type: 'string', default: '1000' },
    sequential: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    rows: { type: 'string', default: 'sqlite,sequential,memory' },
    json: { type: 'boolean', default: false },
  },
});
const COMMITS = Number(args.commits);
const INFLIGHT = Number(args.inflight);
const SEQUENTIAL = Number(args.sequential);
const RUNS = Number(args.runs);
/** Durable change records per second the embedded store should sustain. */
const TARGET_CHANGES_PER_S = 50_000;

// A fixed pool of distinct commits, built before any clock starts and cycled.
const POOL = 10_000;
const resources = Array.from(
  { length: 4_000 },
  (_, i) => `res-${i.toString(16).padStart(8, '0')}-4c63-11cf-bff6-08002be23f2f`,
);
const pool: CommitInput[] = Array.from({ length: POOL }, (_, i) => {
  const id = resources[i % resources.length] ?? '';
  const state = i % 5;
  const node = `node-${(i % 16).toString().padStart(2, '0')}`;
  return {
    puts: [{ kind: 'resource', id, value: { name: `Resource ${i % 4_000}`, state, owner: node } }],
    deletes: [],
    changes: [{ type: 'resource-state', id, state, node, seq: i, at: 1_763_700_000_000 + i }],
  };
});
const changeBytes = Buffer.byteLength(JSON.stringify(pool[0]?.changes[0]));

interface RunResult {
  readonly seconds: number;
  readonly latenciesMs: Float64Array;
}

/** `commits` commits from `inflight` concurrent committers; returns wall time and latencies. */
async function drive(store: StateStore, commits: number, inflight: number): Promise<RunResult> {
  const latenciesMs = new Float64Array(commits);
  let next = 0;
  const committer = async (): Promise<void> => {
    while (next < commits) {
      const n = next++;
      const started = performance.now();
      await store.commit(pool[n % POOL] as CommitInput);
      latenciesMs[n] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inflight, commits) }, committer));
  const seconds = (performance.now() - started) / 1_000;
  if ((await store.revision()) !== commits) throw new Error('the store lost commits');
  return { seconds, latenciesMs };
}

interface Row {
  readonly store: string;
  readonly inflight: number;
  readonly commits: number;
  readonly commitsPerS: number;
  readonly changesPerS: number;
  readonly ratio: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly runs: number[];
}

const quantile = (xs: Float64Array, q: number): number => {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

async function measure(
  label: string,
  open: () => Promise<{ store: StateStore; cleanup: () => Promise<void> }>,
  commits: number,
  inflight: number,
): Promise<Row> {
  const results: RunResult[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { store, cleanup } = await open();
    try {
      results.push(await drive(store, commits, inflight));
    } finally {
      await store.close();
      await cleanup();
    }
  }
  // The run with the median wall time gives every figure of the row.
  const mid = [...results].sort((a, b) => a.seconds - b.seconds)[Math.floor(results.length / 2)];
  if (mid === undefined) throw new Error('no runs');
  const commitsPerS = commits / mid.seconds;
  return {
    store: label,
    inflight,
    commits,
    commitsPerS,
    changesPerS: commitsPerS, // one change record per commit
    ratio: commitsPerS / TARGET_CHANGES_PER_S,
    p50Ms: quantile(mid.latenciesMs, 0.5),
    p99Ms: quantile(mid.latenciesMs, 0.99),
    runs: results.map((r) => Math.round(commits / r.seconds)),
  };
}

const sqlite = async (): Promise<{ store: StateStore; cleanup: () => Promise<void> }> => {
  const dir = await mkdtemp(join(tmpdir(), 'clusnotify-store-bench-'));
  return {
    store: await openSqliteStore({ path: join(dir, 'state.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};
const memory = (): Promise<{ store: StateStore; cleanup: () => Promise<void> }> =>
  Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() });

const wanted = new Set(args.rows.split(','));
let etcd: LocalEtcd | undefined;
let etcdRuns = 0;
const etcdStore = async (): Promise<{ store: StateStore; cleanup: () => Promise<void> }> => {
  etcd ??= await startLocalEtcd();
  const store = await openEtcdStore({ hosts: etcd.urls, prefix: `/bench-${++etcdRuns}/` });
  return { store, cleanup: () => Promise.resolve() };
};
const rows: Row[] = [];
try {
  if (wanted.has('sqlite'))
    rows.push(await measure('SQLite (file, WAL, synchronous = FULL)', sqlite, COMMITS, INFLIGHT));
  if (wanted.has('sequential'))
    rows.push(await measure('SQLite, one committer (no batching)', sqlite, SEQUENTIAL, 1));
  if (wanted.has('memory')) rows.push(await measure('memory', memory, COMMITS, INFLIGHT));
  if (wanted.has('etcd'))
    rows.push(await measure('etcd (1 member, loopback)', etcdStore, COMMITS, INFLIGHT));
  if (wanted.has('etcd-sequential'))
    rows.push(await measure('etcd, one committer (no batching)', etcdStore, SEQUENTIAL, 1));
} finally {
  await etcd?.stop();
}

if (args.json) {
  console.log(JSON.stringify({ rows, changeBytes, runs: RUNS }, null, 2));
} else {
  const int = (n: number): string => Math.round(n).toLocaleString('en-US');
  const table = [
    [
      'store',
      'committers',
      'commits',
      'commits / s',
      'change records / s',
      'ratio to 50,000 changes / s',
      'p50 latency ms',
      'p99 latency ms',
    ],
    ...rows.map((r) => [
      r.store,
      int(r.inflight),
      int(r.commits),
      int(r.commitsPerS),
      int(r.changesPerS),
      `${r.ratio.toFixed(2)}×`,
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
    ]),
  ];
  const widths =
    table[0]?.map((_, c) => Math.max(...table.map((row) => row[c]?.length ?? 0))) ?? [];
  const line = (row: string[]): string =>
    `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join(' | ')} |`;
  console.log(
    `Store benchmark: 1 put + 1 change record (${changeBytes} bytes of JSON) per commit; median of ${RUNS} runs.`,
  );
  console.log(
    `Machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${process.platform}.\n`,
  );
  console.log(line(table[0] ?? []));
  console.log(
    `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
  );
  for (const row of table.slice(1)) console.log(line(row));
  console.log(
    `\ncommits / s of each run: ${rows.map((r) => `${r.store}: ${r.runs.join(', ')}`).join('; ')}`,
  );
}
