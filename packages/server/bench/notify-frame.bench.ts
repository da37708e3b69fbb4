/**
 * Micro-benchmark of the server's notify-frame encoder on the fan-out path (docs/protocol.md
 * "Streams"), two workloads, each commit framed for every streamed port, each port's copy
 * differing only in its notify key:
 *
 * - states, JSON frames: each commit brings a resource online — its OnlinePending and Online
 *   states and its group's Pending and Online states, all of one revision;
 * - a busy resource, binary frames: each commit holds 64 changes of one common property of one
 *   resource, their PROPERTY_LIST payloads (120 characters) alike but for a counter in the
 *   middle, as the peers benchmark's writer makes them.
 *
 * Prints nanoseconds per frame and how many events were serialised and how many copied from
 * bytes serialised before.
 *
 * Run: `npm run build && node packages/server/dist/bench/notify-frame.bench.js`. Options:
 * `--ports N` (100), `--commits N` (5000 of states, a tenth of that of the busy resource),
 * `--runs N` (5; medians).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodePropertyList } from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';
import { NotifyFrameEncoder } from '../src/notify-frame.js';

const { values: args } = parseArgs({
  options: {
    ports: { type: 'string', default: '100' },
    commits: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '5' },
  },
});
const PORTS = Number(args.ports);
const COMMITS = Number(args.commits);
const RUNS = Number(args.runs);

/** A state change event of one commit, as the engine hands it to every port (one payload object). */
const state = (
  objectType: number,
  id: string,
  parentId: string,
  name: string,
  type: string,
  value: number,
  revision: number,
): Omit<IndicationV2, 'notifyKey'> => ({
  version: 2,
  filterAndType: Object.freeze({ objectType, filterFlags: 2 }),
  objectId: id,
  parentId,
  name,
  type,
  buffer: new Uint8Array([value, 0, 0, 0]),
  revision,
  lost: undefined,
});

/** The events of commit `c` of the states workload. */
function states(c: number): Omit<IndicationV2, 'notifyKey'>[] {
  const r = c % 5;
  const resource = `3f2504e0-4f89-11d3-9a0c-0305e82c330${r}`;
  const group = `9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6${r}`;
  return [
    state(3, resource, group, `Disk ${r}`, 'Physical Disk', 129, 1000 + c),
    state(2, group, '', `Group ${r}`, '', 2, 1000 + c),
    state(3, resource, group, `Disk ${r}`, 'Physical Disk', 2, 1000 + c),
    state(2, group, '', `Group ${r}`, '', 0, 1000 + c),
  ];
}

const BUSY_FILTER = Object.freeze({ objectType: 3, filterFlags: 0x40 });
/** The events of commit `c` of the busy-resource workload. */
function busy(c: number): Omit<IndicationV2, 'notifyKey'>[] {
  return Array.from({ length: 64 }, (_, k) => ({
    version: 2,
    filterAndType: BUSY_FILTER,
    objectId: '3f2504e0-4f89-11d3-9a0c-0305e82c3300',
    parentId: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb60',
    name: 'FS Disk',
    type: 'Physical Disk',
    buffer: encodePropertyList({
      BenchPayload: `${String(c * 64 + k).padStart(12, '0')} ${'x'.repeat(107)}`,
    }),
    revision: 1000 + c,
    lost: undefined,
  }));
}

/**
 * Port `p`'s indication of `e`, made with an object literal as the engine makes them
 * (`materializeV2` in @clusnotify/core). Not with a spread: V8 reads the fields of an object
 * from `{ ...e, notifyKey }` ~20x slower (measured 65 ns against 3 ns a field read), which
 * made this benchmark show the encoder 10x slower than it is.
 */
const indication = (e: Omit<IndicationV2, 'notifyKey'>, p: number): IndicationV2 => ({
  version: 2,
  notifyKey: p,
  filterAndType: e.filterAndType,
  objectId: e.objectId,
  parentId: e.parentId,
  name: e.name,
  type: e.type,
  buffer: e.buffer,
  revision: e.revision,
  lost: undefined,
});

function run(
  events: (c: number) => Omit<IndicationV2, 'notifyKey'>[],
  commits: number,
  binary: boolean,
): { nsPerFrame: number; written: number; copied: number } {
  const encoder = new NotifyFrameEncoder(binary);
  let ms = 0;
  let bytes = 0;
  for (let c = 0; c < commits; c++) {
    const list = events(c);
    const lists = Array.from({ length: PORTS }, (_, p) => list.map((e) => indication(e, p)));
    const t0 = performance.now();
    for (let p = 0; p < PORTS; p++) {
      const l = lists[p] ?? [];
      const frame = binary
        ? encoder.binaryFrameV2(`port-${p}`, l, true)
        : encoder.frameV2(`port-${p}`, l, true);
      bytes += frame?.length ?? 0;
    }
    ms += performance.now() - t0;
  }
  if (bytes === 0) throw new Error('no frames');
  return { nsPerFrame: (ms * 1e6) / (commits * PORTS), ...encoder.counts };
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
console.log(
  `notify-frame encoder: ${PORTS} ports, median of ${RUNS} runs, node ${process.version}`,
);
for (const [name, events, commits, binary] of [
  ['states, 4 events a commit, JSON', states, COMMITS, false],
  ['busy resource, 64 events a commit, binary', busy, Math.ceil(COMMITS / 10), true],
] as const) {
  const results = Array.from({ length: RUNS }, () => run(events, commits, binary));
  const ns = results.map((r) => r.nsPerFrame);
  const last = results.at(-1);
  console.log(`  ${name}, ${commits} commits:`);
  console.log(
    `    ns per frame: ${median(ns).toFixed(0)} (runs ${ns.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `    events serialised: ${last?.written ?? 0}, copied: ${last?.copied ?? 0} (one run)`,
  );
}
