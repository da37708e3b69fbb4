// Micro-benchmark of the client's hot path for streamed ports (build first): parse `notify`
// frames of typical version-2 indications, check them (when @clusnotify/protocol has the
// checks) and turn each entry into an indication, as the client does for every frame.
//
//   node scripts/bench-notify-frames.mjs [entries per frame, default 256] [runs, default 30]
import * as protocol from '@clusnotify/protocol';

const { fromWireNotification, parseServerFrame, toWireNotification } = protocol;
const checkV2 = protocol.checkNotificationsV2;
const ENTRIES = 100_000;
const perFrame = Number(process.argv[2] ?? 256);
const runs = Number(process.argv[3] ?? 30);

// A resource state change: a GUID, its group's GUID, a name, a type and a DWORD payload.
const frames = [];
for (let i = 0; i < ENTRIES; i += perFrame) {
  const n = [];
  for (let j = i; j < Math.min(ENTRIES, i + perFrame); j++) {
    n.push(
      toWireNotification({
        version: 2,
        notifyKey: 7,
        filterAndType: { objectType: 3, filterFlags: 0x8 },
        objectId: `3f2504e0-4f89-11d3-9a0c-${String(j).padStart(12, '0')}`,
        parentId: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
        name: `Resource ${j % 500}`,
        type: 'Generic Service',
        buffer: new Uint8Array([j & 255, 0, 0, 0]),
        revision: 1000 + j,
        lost: undefined,
      }),
    );
  }
  frames.push(JSON.stringify({ t: 'notify', h: 'port-1', n, drained: true }));
}

/**
 * One pass over every frame; `check` adds the entry checks. Returns a checksum. Checked, the
 * payloads are decoded by the check and handed on, as the client does (a build whose check
 * does not decode leaves `buffers` empty, and fromWireNotification decodes).
 */
function pass(check) {
  let sum = 0;
  for (const text of frames) {
    const f = parseServerFrame(text);
    if (f === undefined || f.t !== 'notify') throw new Error('not a notify frame');
    if (!check) {
      for (const w of f.n) sum += fromWireNotification(w, 1).buffer.length;
      continue;
    }
    const buffers = [];
    if (checkV2(f.n, 'n', buffers) !== undefined) throw new Error('malformed');
    for (let i = 0; i < f.n.length; i++)
      sum += fromWireNotification(f.n[i], 1, buffers[i]).buffer.length;
  }
  return sum;
}

/** Only the entry checks, on already parsed frames. */
const parsed = frames.map((t) => JSON.parse(t).n);
function checksOnly() {
  let bad = 0;
  for (const n of parsed) if (checkV2(n) !== undefined) bad++;
  return bad;
}

/** Milliseconds of one call of `fn`. */
function time(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (ms) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)];
const fmt = (ms) =>
  `${ms.toFixed(1)} ms per ${ENTRIES} (${((ms * 1e3) / ENTRIES).toFixed(3)} us each)`;
const checks = typeof checkV2 === 'function';

for (let w = 0; w < 5; w++) {
  pass(false);
  if (checks) pass(true);
}
// Interleaved, so that a busy machine slows both alike.
const base = [];
const checked = [];
const alone = [];
for (let r = 0; r < runs; r++) {
  base.push(time(() => pass(false)));
  if (!checks) continue;
  checked.push(time(() => pass(true)));
  alone.push(time(checksOnly));
}
console.log(`frames of ${perFrame}, median of ${runs} interleaved runs`);
console.log(`parse + fromWireNotification:         ${fmt(median(base))}`);
if (checks) {
  console.log(`parse + check + fromWireNotification: ${fmt(median(checked))}`);
  console.log(`checks alone:                         ${fmt(median(alone))}`);
  const d = (median(checked) - median(base)) / median(base);
  console.log(`difference:                           ${(d * 100).toFixed(1)} %`);
}
