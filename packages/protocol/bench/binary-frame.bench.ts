/**
 * Micro-benchmark of the client's binary notify-frame reader (docs/protocol.md §5, D53) on the
 * frames a watcher with a connection of its own reads under load: kind 1, 45 entries of one
 * resource's common-property changes (the same ids, name and type in every entry, each with its
 * own 120-character PROPERTY_LIST payload), read through a Node.js Buffer as the client gets
 * them from `ws`.
 *
 * Prints nanoseconds per entry, the median of the runs, for the frames written whole and with
 * repeat entries (D60: every entry after the first leaves out the resource's fields).
 *
 * Run: `npm run build && node packages/protocol/dist/bench/binary-frame.bench.js`. Options:
 * `--frames N` (20,000 per run), `--runs N` (5).
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodeBinaryNotifyFrame, parseBinaryNotifyMessage } from '../src/binary-frame.js';
import type { BinaryNotifyEntry } from '../src/binary-frame.js';
import { encodePropertyList } from '../src/payload.js';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '5' },
  },
});
const FRAMES = Number(args.frames);
const RUNS = Number(args.runs);
const ENTRIES = 45;

/** 64 distinct frames, read in turn, written whole or with repeat entries. */
const framesOf = (repeat: boolean): Buffer[] =>
  Array.from({ length: 64 }, (_, f) => {
    const entries: BinaryNotifyEntry[] = Array.from({ length: ENTRIES }, (_, i) => {
      const head = `#${f * 100 + i}:98765432101:`;
      return {
        notifyKey: 1,
        filterAndType: { objectType: 4, filterFlags: 1 },
        objectId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
        parentId: '3f2504e0-4f89-11d3-9a0c-0305e82c3302',
        name: 'FS Disk',
        type: 'Physical Disk',
        buffer: encodePropertyList({ BenchPayload: head + 'x'.repeat(120 - head.length) }),
        revision: f * 100 + i,
      };
    });
    return Buffer.from(encodeBinaryNotifyFrame('7f3e0a1c-port-1', entries, true, repeat));
  });

let sink = 0;
for (const repeat of [false, true]) {
  const frames = framesOf(repeat);
  const ns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let k = 0; k < FRAMES; k++) {
      const m = parseBinaryNotifyMessage(frames[k % frames.length] as Buffer);
      if ('malformed' in m) throw new Error(m.malformed);
      sink += (m[0] as { n: readonly unknown[] }).n.length;
    }
    ns.push(((performance.now() - t0) * 1e6) / (FRAMES * ENTRIES));
  }
  ns.sort((a, b) => a - b);
  console.log(
    `binary notify frames (kind 1, ${ENTRIES} entries of one resource${repeat ? ', repeat entries' : ''}, ${(frames[0] as Buffer).length.toLocaleString('en-US')} bytes): ${(ns[Math.floor(RUNS / 2)] as number).toFixed(0)} ns per entry, median of ${RUNS} runs of ${FRAMES.toLocaleString('en-US')} frames`,
  );
}
if (sink === 0) console.log('(nothing read)');
