/**
 * Engine benchmark (issue "Foundation", §4): 10,000 ports with mixed class, object and
 * registry filters, 1,000,000 changes, every port drained by a parked async reader as a
 * transport would. Prints indications delivered per second, ns per change, heap bytes per
 * idle port and per queued indication, each against its target.
 *
 * Run: `npm run bench` (node --expose-gc). Options: `--changes N`, `--ports N`, `--batch N`, `--readers poll|async|both`, `--runs N`
 * (each throughput figure is the median of N runs; default 3), `--json`.
 */
import {
  ClusterChange as C,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeNetworkV2 as NetV2,
  ClusterChangeNodeV2 as NodeV2,
  ClusterChangeRegistryV2 as RegV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import { EMPTY_BUFFER, NotificationEngine } from '@clusnotify/core';
import type { ChangeEvent, PortHandle } from '@clusnotify/core';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    changes: { type: 'string', default: '1000000' },
    ports: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '1000' },
    readers: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
/** Changes published per event-loop turn (a commit batch as the server would apply it). */
const BATCH = Number(args.batch);
const CHANGES = Number(args.changes);
const PORTS = Number(args.ports);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');

// A deterministic generator, so every run measures the same workload.
let seed = 0x2545f491;
function rand(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

// ----- the cluster the changes are about ----------------------------------------------------
const ids = (prefix: string, n: number): string[] =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}-${i.toString(16).padStart(8, '0')}-4c63-11cf-bff6-08002be23f2f`,
  );
const nodes = ids('node', 16);
const groups = ids('group', 500);
const resources = ids('res', 4000);
const networks = ids('net', 4);
const netifs = ids('netif', 64);
const names = new Map<string, string>();
for (const list of [nodes, groups, resources, networks, netifs])
  for (const id of list) names.set(id, `Name of ${id.slice(0, 12)}`);
const keys: string[] = [];
for (let a = 0; a < 20; a++) {
  keys.push(`Key${a}`);
  for (let b = 0; b < 10; b++) {
    keys.push(`Key${a}\\Sub${b}`);
    for (let c = 0; c < 9; c++) keys.push(`Key${a}\\Sub${b}\\Leaf${c}`);
  }
}
const pick = <X>(list: readonly X[]): X => list[rand(list.length)] as X;
const nameOf = (id: string): string => names.get(id) ?? id;
const stateBuf = new Uint8Array(4);

function v1(
  revision: number,
  change: number,
  objectId: string,
  name: string,
  stateSequence: number,
  keyPath: string,
): ChangeEvent {
  return { version: 1, revision, change, objectId, name, stateSequence, keyPath };
}
function v2(
  revision: number,
  objectType: number,
  flag: number,
  id: string,
  name: string,
  type: string,
  buffer: Uint8Array,
  keyPath: string,
): ChangeEvent {
  return {
    version: 2,
    revision,
    objectType,
    flag,
    targetId: keyPath === '' ? id : '',
    objectId: id,
    parentId: '',
    name,
    type,
    buffer,
    keyPath,
  };
}

/** One change as the model emits it: a v1 event and a v2 event. */
function change(revision: number): [ChangeEvent, ChangeEvent] {
  const r = rand(100);
  const seq = revision & 0xffff;
  if (r < 90) {
    const [list, bit1, type, flag2] =
      r < 70
        ? [resources, C.RESOURCE_STATE, T.RESOURCE, ResV2.STATE]
        : r < 80
          ? [groups, C.GROUP_STATE, T.GROUP, GV2.STATE]
          : r < 85
            ? [nodes, C.NODE_STATE, T.NODE, NodeV2.STATE]
            : [networks, C.NETWORK_STATE, T.NETWORK, NetV2.STATE];
    const id = pick(list);
    const name = nameOf(id);
    return [
      v1(revision, bit1, id, name, seq, ''),
      v2(revision, type, flag2, id, name, '', stateBuf, ''),
    ];
  }
  const keyPath = pick(keys);
  return [
    v1(revision, C.REGISTRY_VALUE, '', '', 0, keyPath),
    v2(revision, T.REGISTRY, RegV2.VALUE, 'Value', '', '', EMPTY_BUFFER, keyPath),
  ];
}

// ----- ports and filters --------------------------------------------------------------------
function must<R extends { type: string }>(r: R): R {
  if (r.type !== 'ok') throw new Error(JSON.stringify(r));
  return r;
}

/** Registers the i-th port's filter: ~0.4% class, ~80% object, ~20% registry (a quarter with subtree). */
function register(engine: NotificationEngine, i: number): PortHandle {
  seed = (Math.imul(i + 1, 0x9e3779b1) >>> 0) | 1; // the i-th port is the same in every run
  const version = i % 2 === 0 ? 1 : 2;
  const r = engine.createPort(version);
  if (r.type !== 'ok') throw new Error(r.message);
  const h = r.handle;
  const kind = i % 250 === 0 ? 'class' : i % 5 === 4 ? 'registry' : 'object';
  const notifyKey = i;
  if (kind === 'class') {
    if (version === 1)
      must(
        engine.addClusterFilter(h, {
          filter: pick([
            C.RESOURCE_STATE,
            C.GROUP_STATE | C.NODE_STATE,
            C.NETWORK_STATE,
            C.REGISTRY_VALUE | C.REGISTRY_SUBTREE,
          ]),
          notifyKey,
        }),
      );
    else
      must(
        engine.addFilterV2(h, {
          objectType: pick([T.RESOURCE, T.GROUP, T.NODE]),
          filterFlags: 0x1f,
          notifyKey,
        }),
      );
  } else if (kind === 'object') {
    const which = rand(10);
    const [type, id, bits1, flags2] =
      which < 7
        ? [
            T.RESOURCE,
            pick(resources),
            C.RESOURCE_STATE | C.RESOURCE_DELETED,
            ResV2.STATE | ResV2.DELETED,
          ]
        : which < 9
          ? [T.GROUP, pick(groups), C.GROUP_STATE | C.GROUP_PROPERTY, GV2.STATE | GV2.OWNER_NODE]
          : [T.NODE, pick(nodes), C.NODE_STATE, NodeV2.STATE];
    if (version === 1)
      must(engine.addObjectFilter(h, { objectType: type, objectId: id, filter: bits1, notifyKey }));
    else
      must(engine.addFilterV2(h, { objectType: type, filterFlags: flags2, notifyKey, target: id }));
  } else {
    const keyPath = pick(keys);
    const subtree = rand(4) === 0;
    if (version === 1)
      must(
        engine.addKeyFilter(h, {
          keyPath,
          filter: C.REGISTRY_VALUE | C.REGISTRY_NAME,
          watchSubtree: subtree,
          notifyKey,
        }),
      );
    else
      must(
        engine.addFilterV2(h, {
          objectType: T.REGISTRY,
          filterFlags: RegV2.VALUE | RegV2.NAME | (subtree ? RegV2.SUBTREE : 0),
          notifyKey,
          target: keyPath,
        }),
      );
  }
  return h;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ----- 1. throughput --------------------------------------------------------------------------
interface Throughput {
  delivered: number;
  seconds: number;
  publishNsPerChange: number;
  lost: number;
}

/** Distinct changes made before any clock starts; the runs cycle through them. */
const POOL = 100_000;

/**
 * The changes as batches of `BATCH`, made before any clock starts so that the figures are the
 * engine's, not the generator's: a pool of `POOL` distinct changes is cycled through until
 * `CHANGES` have been published (revisions repeat from one cycle to the next).
 */
function makeBatches(): ChangeEvent[][] {
  seed = 0x2545f491;
  const pool: ChangeEvent[][] = [];
  for (let rev = 1; rev <= Math.min(CHANGES, POOL);) {
    const end = Math.min(CHANGES, POOL, rev + BATCH - 1);
    const events: ChangeEvent[] = [];
    for (; rev <= end; rev++) events.push(...change(rev));
    pool.push(events);
  }
  const batches: ChangeEvent[][] = [];
  for (let published = 0, i = 0; published < CHANGES; i++) {
    const b = pool[i % pool.length] as ChangeEvent[];
    batches.push(b);
    published += b.length / 2;
  }
  return batches;
}

/**
 * Readers as a client library runs them: every port has an async reader parked in take();
 * each batch is published in one event-loop turn, then the readers run.
 */
async function throughputAsync(batches: ChangeEvent[][]): Promise<Throughput> {
  const engine = new NotificationEngine({ clusterName: 'BENCH' });
  const handles: PortHandle[] = [];
  for (let i = 0; i < PORTS; i++) handles.push(register(engine, i));
  let delivered = 0;
  let lost = 0;
  const readers = handles.map(async (h) => {
    for (;;) {
      const r = await engine.take(h, { max: 4096 });
      if (r.type !== 'indications') return;
      delivered += r.indications.length;
      for (const ind of r.indications) if (ind.lost !== undefined) lost++;
    }
  });
  await tick();
  let publishMs = 0;
  const t0 = performance.now();
  for (const events of batches) {
    const p0 = performance.now();
    engine.publish(events);
    publishMs += performance.now() - p0;
    await tick();
  }
  await tick();
  const seconds = (performance.now() - t0) / 1000;
  for (const h of handles) engine.close(h);
  await Promise.all(readers);
  return { delivered, seconds, publishNsPerChange: (publishMs * 1e6) / CHANGES, lost };
}

/**
 * Readers as a transport runs them: after each publish the ports that received indications
 * are drained with takeNow (engine option trackReady), no promise per port.
 */
function throughputPoll(batches: ChangeEvent[][]): Throughput {
  const engine = new NotificationEngine({ clusterName: 'BENCH', trackReady: true });
  const handles: PortHandle[] = [];
  for (let i = 0; i < PORTS; i++) handles.push(register(engine, i));
  let delivered = 0;
  let lost = 0;
  let publishMs = 0;
  const t0 = performance.now();
  for (const events of batches) {
    const p0 = performance.now();
    engine.publish(events);
    publishMs += performance.now() - p0;
    for (const h of engine.takeReadyPorts()) {
      const r = engine.takeNow(h, 4096);
      if (r.type !== 'indications') throw new Error(r.type);
      delivered += r.indications.length;
      for (const ind of r.indications) if (ind.lost !== undefined) lost++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const h of handles) engine.close(h);
  return { delivered, seconds, publishNsPerChange: (publishMs * 1e6) / CHANGES, lost };
}

// ----- 2. memory ------------------------------------------------------------------------------
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function idlePortBytes(): number {
  const engine = new NotificationEngine({ clusterName: 'BENCH' });
  const keep: PortHandle[] = [];
  const before = heap();
  for (let i = 0; i < PORTS; i++) keep.push(register(engine, i));
  const after = heap();
  if (keep.length !== PORTS || engine.stats().ports !== PORTS) throw new Error('ports lost');
  return (after - before) / PORTS;
}

/** Heap per queued indication: `fanout` ports share each event; events are counted in. */
function queuedBytes(fanout: number, perPort: number): number {
  const engine = new NotificationEngine({ clusterName: 'BENCH', maxQueuedPerPort: perPort });
  for (let i = 0; i < fanout; i++) {
    const r = engine.createPort(1);
    if (r.type !== 'ok') throw new Error(r.message);
    must(engine.addClusterFilter(r.handle, { filter: C.RESOURCE_STATE, notifyKey: i }));
  }
  const before = heap();
  for (let rev = 1; rev <= perPort; rev++) {
    const id = pick(resources);
    engine.publish([
      {
        version: 1,
        revision: rev,
        change: C.RESOURCE_STATE,
        objectId: id,
        name: nameOf(id),
        stateSequence: rev,
        keyPath: '',
      },
    ]);
  }
  const after = heap();
  const queued = engine.stats().queued;
  if (queued !== fanout * perPort) throw new Error(`queued ${queued}`);
  return (after - before) / queued;
}

// ----- report ---------------------------------------------------------------------------------
const RUNS = Number(args.runs);
const batches = makeBatches();

/** The run whose delivered-per-second figure is the median of `RUNS` runs. */
async function median(runOnce: () => Throughput | Promise<Throughput>): Promise<Throughput> {
  const all: Throughput[] = [];
  for (let i = 0; i < RUNS; i++) all.push(await runOnce());
  all.sort((a, b) => a.delivered / a.seconds - b.delivered / b.seconds);
  return all[Math.floor((all.length - 1) / 2)] as Throughput;
}
const poll = args.readers === 'async' ? undefined : await median(() => throughputPoll(batches));
const asyncRun = args.readers === 'poll' ? undefined : await median(() => throughputAsync(batches));
batches.length = 0;
const idle = idlePortBytes();
const queuedShared = queuedBytes(100, 4000);
const queuedAlone = queuedBytes(1, 400_000);

interface Row {
  figure: string;
  value: number;
  target?: number;
  better: 'higher' | 'lower';
}
const rows: Row[] = [];
for (const [label, tp] of [
  ['transport readers (trackReady + takeNow)', poll],
  ['async readers parked in take()', asyncRun],
] as const) {
  if (tp === undefined) continue;
  rows.push(
    {
      figure: `indications delivered / s, ${label}`,
      value: tp.delivered / tp.seconds,
      target: 2_000_000,
      better: 'higher',
    },
    {
      figure: `ns per change end to end, ${label}`,
      value: (tp.seconds * 1e9) / CHANGES,
      better: 'lower',
    },
    {
      figure: `ns per change in publish (match + enqueue), ${label}`,
      value: tp.publishNsPerChange,
      better: 'lower',
    },
  );
}
rows.push(
  { figure: 'heap bytes per idle port (one filter)', value: idle, target: 1024, better: 'lower' },
  {
    figure: 'heap bytes per queued indication (event shared by 100 ports)',
    value: queuedShared,
    target: 200,
    better: 'lower',
  },
  {
    figure: 'heap bytes per queued indication (event queued once, event counted)',
    value: queuedAlone,
    target: 200,
    better: 'lower',
  },
);

const run = poll ?? asyncRun;
if (args.json) {
  console.log(
    JSON.stringify(
      { changes: CHANGES, ports: PORTS, batch: BATCH, runs: RUNS, delivered: run?.delivered, rows },
      null,
      2,
    ),
  );
} else {
  console.log(
    `engine bench: ${PORTS} ports, ${CHANGES} changes (${2 * CHANGES} events), ${BATCH} changes per publish, median of ${RUNS} runs, node ${process.version}`,
  );
  if (run !== undefined)
    console.log(
      `delivered ${run.delivered} indications per run (${(run.delivered / CHANGES).toFixed(2)} per change; ${run.lost} lost-events indications)`,
    );
  if (poll !== undefined && asyncRun !== undefined && poll.delivered !== asyncRun.delivered)
    throw new Error('the two reader kinds delivered different counts');
  console.log('');
  console.log('| figure | value | target | ratio to target |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const v = r.value >= 1000 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(1);
    const t =
      r.target === undefined
        ? '—'
        : `${r.better === 'higher' ? '>=' : '<='} ${r.target.toLocaleString('en-US')}`;
    const ratio =
      r.target === undefined
        ? '—'
        : (r.better === 'higher' ? r.value / r.target : r.target / r.value).toFixed(2) + '×';
    console.log(`| ${r.figure} | ${v} | ${t} | ${ratio} |`);
  }
}
