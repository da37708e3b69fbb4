/**
 * Micro-benchmark of the payload codecs (§3.1.4.2.138, PROPERTY_LIST §2.2.3.10) on the sizes
 * the fan-out path sees: the PROPERTY_LIST of one common property holding the peers
 * benchmark's 120-character payload (the server encodes one per property change; a client
 * decodes it), and a NUL-terminated UTF-16 object id of 36 characters (OWNER_NODE_V2 and the
 * other id payloads).
 *
 * Prints nanoseconds per call, the median of the runs.
 *
 * Run: `npm run build && node packages/protocol/dist/bench/payload.bench.js`. Options:
 * `--calls N` (1,000,000 per run), `--runs N` (5).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  decodePropertyList,
  decodeUtf16z,
  encodePropertyList,
  encodeUtf16z,
} from '../src/payload.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
  },
});
const CALLS = Number(args.calls);
const RUNS = Number(args.runs);

/** The peers benchmark's payload shape: a counter and a time, padded to 120 characters. */
const payload = (i: number): string => {
  const head = `#${1_000_000 + (i % 1000)}:${98_765_432_101 + i}:`;
  return head + 'x'.repeat(120 - head.length);
};
const ID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

/** Keeps results alive so the calls are not optimised away. */
let sink = 0;

/** Median nanoseconds per call of `f` over the runs. */
function measure(f: (i: number) => number): number {
  const ns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) sink += f(i);
    ns.push(((performance.now() - t0) * 1e6) / CALLS);
  }
  ns.sort((a, b) => a - b);
  return ns[Math.floor(ns.length / 2)] as number;
}

const payloads = Array.from({ length: 1000 }, (_, i) => payload(i));
const lists = Array.from({ length: 1000 }, (_, i) =>
  encodePropertyList({ BenchPayload: payload(i) }),
);
const ids = Array.from({ length: 1000 }, () => encodeUtf16z(ID));

const rows: [string, number][] = [
  [
    'encodePropertyList, one 120-character SZ',
    measure((i) => encodePropertyList({ BenchPayload: payloads[i % 1000] as string }).length),
  ],
  [
    'decodePropertyList, one 120-character SZ',
    measure(
      (i) => (decodePropertyList(lists[i % 1000] as Uint8Array).BenchPayload as string).length,
    ),
  ],
  ['encodeUtf16z, 36 characters', measure(() => encodeUtf16z(ID).length)],
  ['decodeUtf16z, 36 characters', measure((i) => decodeUtf16z(ids[i % 1000] as Uint8Array).length)],
];

console.log(
  `payload codecs: ${CALLS.toLocaleString('en-US')} calls per run, median of ${RUNS} runs`,
);
for (const [name, ns] of rows) console.log(`  ${name.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns`);
if (sink === 0) console.log('(no output)');
