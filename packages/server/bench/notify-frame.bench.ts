/**
 * Micro-benchmark of the server's notify-frame encoder on the fan-out path (docs/protocol.md
 * "Streams"): each commit brings a resource online — its OnlinePending and Online states and its
 * group's Pending and Online states, all of one revision — and is framed for every streamed port,
 * each port's copy differing only in its notify key. Prints nanoseconds per frame and how many
 * events were serialised and how many copied from bytes serialised before.
 *
 * Run: `npm run build && node packages/server/dist/bench/notify-frame.bench.js`. Options:
 * `--ports N` (100), `--commits N` (5000), `--runs N` (5; medians).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
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

function run(): { nsPerFrame: number; written: number; copied: number } {
  const encoder = new NotifyFrameEncoder();
  let ms = 0;
  let bytes = 0;
  for (let c = 0; c < COMMITS; c++) {
    const r = c % 5;
    const resource = `3f2504e0-4f89-11d3-9a0c-0305e82c330${r}`;
    const group = `9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6${r}`;
    const events = [
      state(3, resource, group, `Disk ${r}`, 'Physical Disk', 129, 1000 + c),
      state(2, group, '', `Group ${r}`, '', 2, 1000 + c),
      state(3, resource, group, `Disk ${r}`, 'Physical Disk', 2, 1000 + c),
      state(2, group, '', `Group ${r}`, '', 0, 1000 + c),
    ];
    const lists = Array.from({ length: PORTS }, (_, p) =>
      events.map((e): IndicationV2 => ({ ...e, notifyKey: p })),
    );
    const t0 = performance.now();
    for (let p = 0; p < PORTS; p++)
      bytes += encoder.frameV2(`port-${p}`, lists[p] ?? [], true).length;
    ms += performance.now() - t0;
  }
  if (bytes === 0) throw new Error('no frames');
  return { nsPerFrame: (ms * 1e6) / (COMMITS * PORTS), ...encoder.counts };
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const results = Array.from({ length: RUNS }, run);
const ns = results.map((r) => r.nsPerFrame);
const last = results.at(-1);
console.log(
  `notify-frame encoder: ${PORTS} ports, ${COMMITS} commits of 4 events, median of ${RUNS} runs, node ${process.version}`,
);
console.log(
  `  ns per frame: ${median(ns).toFixed(0)} (runs ${ns.map((x) => x.toFixed(0)).join(', ')})`,
);
console.log(`  events serialised: ${last?.written ?? 0}, copied: ${last?.copied ?? 0} (one run)`);
