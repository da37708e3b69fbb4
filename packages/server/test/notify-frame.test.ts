/**
 * The `notify` frame encoder (docs/protocol.md "Streams"): its frames carry the UTF-8 of the frame
 * `JSON.stringify` would write, whatever the indications, including events that share a payload
 * object, registry names that differ per filter, and lost-events entries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  encodeBinaryNotifyFrame,
  encodePropertyList,
  encodeBinaryNotifyGroup,
  parseBinaryNotifyFrame,
  parseBinaryNotifyMessage,
  toWireNotification,
  utf8Exact,
} from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';
import { NotifyFrameEncoder, websocketTextFrame } from '../src/notify-frame.js';

const reference = (h: string, list: readonly IndicationV2[], drained: boolean): string =>
  JSON.stringify({ t: 'notify', h, n: list.map(toWireNotification), drained });

/** The payload of one unmasked, final WebSocket text frame (RFC 6455 §5.2); checks the header. */
function payloadOf(frame: Buffer): string {
  return bytesOf(frame, 0x81).toString('utf8');
}

/** The payload bytes of one unmasked, final WebSocket frame whose first byte is `first`. */
function bytesOf(frame: Buffer, first: number): Buffer {
  assert.equal(frame[0], first, 'FIN and the opcode');
  const len7 = (frame[1] as number) & 0x7f;
  assert.equal((frame[1] as number) & 0x80, 0, 'not masked');
  const [length, at] =
    len7 < 126
      ? [len7, 2]
      : len7 === 126
        ? [frame.readUInt16BE(2), 4]
        : [Number(frame.readBigUInt64BE(2)), 10];
  if (len7 === 126) assert.ok(length >= 126, 'the shortest length form');
  if (len7 === 127) assert.ok(length >= 0x10000, 'the shortest length form');
  assert.equal(frame.length, at + length, 'the header gives the payload length');
  return frame.subarray(at);
}

const EMPTY = new Uint8Array(0);
const payloads = [EMPTY, new Uint8Array([1, 0, 0, 0]), new Uint8Array([0xff, 0x10, 0x80])];

// Small domains, so that entries sharing a payload often agree on all fields but one: a cache
// that skipped any field's check would be caught. Names also come fully random, for escaping.
const indication = fc.record({
  notifyKey: fc.nat({ max: 0xffffffff }),
  objectType: fc.constantFrom(4, 7),
  filterFlags: fc.constantFrom(1, 4, 0x80000000),
  objectId: fc.constantFrom('', 'ÿ"\\\n'),
  parentId: fc.constantFrom('', 'p-1'),
  // 'x\ud800': a lone surrogate, which JSON escapes and a binary frame cannot carry.
  name: fc.oneof(
    fc.constantFrom('SQL Disk', 'a\\b', 'x\ud800'),
    fc.string({ unit: 'binary', maxLength: 12 }),
  ),
  type: fc.constantFrom('', 'Physical Disk'),
  payload: fc.nat({ max: payloads.length - 1 }),
  revision: fc.nat({ max: 2 }),
  lost: fc.option(fc.record({ count: fc.nat(), firstRevision: fc.nat(), lastRevision: fc.nat() }), {
    freq: 8,
  }),
});

type Raw = typeof indication extends fc.Arbitrary<infer T> ? T : never;

/**
 * The indication of a generated entry. Payload objects are shared between entries on purpose:
 * the same event reaching several filters, and different events that happen to share one.
 */
function toIndication(r: Raw): IndicationV2 {
  return {
    version: 2,
    notifyKey: r.notifyKey,
    filterAndType: { objectType: r.objectType, filterFlags: r.filterFlags },
    objectId: r.objectId,
    parentId: r.parentId,
    name: r.name,
    type: r.type,
    buffer: payloads[r.payload] as Uint8Array,
    revision: r.revision,
    lost: r.lost ?? undefined,
  };
}

/** A port's batch: up to 24 indications, a handle and the drained flag. */
const batch = [
  fc.array(indication, { maxLength: 24 }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
] as const;

test('frameV2 and resultV2 write exactly the frames JSON.stringify would, cache or not', () => {
  const encoder = new NotifyFrameEncoder();
  fc.assert(
    fc.property(...batch, (raw, h, drained) => {
      const list = raw.map(toIndication);
      assert.equal(payloadOf(encoder.frameV2(h, list, drained)), reference(h, list, drained));
      const id = raw.length * 7919;
      assert.equal(
        payloadOf(encoder.resultV2(id, list)),
        JSON.stringify({
          t: 'result',
          id,
          r: { type: 'ok', status: 0, notifications: list.map(toWireNotification) },
        }),
      );
    }),
    { numRuns: 3000 },
  );
});

test('binaryFrameV2 writes exactly the bytes of encodeBinaryNotifyFrame, cache or not, with repeat entries or not (D60), or nothing for text UTF-8 cannot carry', () => {
  const encoder = new NotifyFrameEncoder(true);
  let inexact = 0;
  let repeats = 0;
  fc.assert(
    fc.property(...batch, fc.boolean(), fc.array(fc.boolean()), (raw, h, drained, repeat, same) => {
      // Runs of one object's entries (what repeat entries are for): an entry may take the
      // object of the one before it, keeping its own key, payload, revision and lost counts.
      const list = raw.map(toIndication).map((i, k, all) => {
        const p = all[k - 1];
        return same[k] === true && p !== undefined
          ? {
              ...i,
              filterAndType: p.filterAndType,
              objectId: p.objectId,
              parentId: p.parentId,
              name: p.name,
              type: p.type,
            }
          : i;
      });
      const frame = encoder.binaryFrameV2(h, list, drained, false, repeat);
      if (list.some((i) => !utf8Exact(i.name))) {
        // A lone surrogate: this batch goes as JSON, and the cache keeps nothing of it.
        assert.equal(frame, undefined);
        inexact++;
        return;
      }
      assert.ok(frame !== undefined);
      const expected = encodeBinaryNotifyFrame(h, list, drained, repeat);
      assert.deepEqual(bytesOf(frame, 0x82), Buffer.from(expected));
      if (expected.length < encodeBinaryNotifyFrame(h, list, drained).length) repeats++;
    }),
    { numRuns: 3000 },
  );
  assert.ok(inexact > 0, 'some batches held a lone surrogate');
  assert.ok(repeats > 0, 'some batches held repeat entries');
  assert.throws(() => encoder.frameV2('h', [], true), /JSON frame from a binary encoder/);
  assert.throws(() => new NotifyFrameEncoder().binaryFrameV2('h', [], true), /JSON encoder/);
});

test('frames cut from a shared block only when asked, each its own bytes; large ones always apart', () => {
  const encoder = new NotifyFrameEncoder(true);
  const one = (size: number, revision: number): IndicationV2[] => [
    {
      version: 2,
      notifyKey: 5,
      filterAndType: { objectType: 4, filterFlags: 1 },
      objectId: 'r-1',
      parentId: 'g-1',
      name: 'FS Disk',
      type: 'Physical Disk',
      buffer: new Uint8Array(size).fill(revision & 0xff),
      revision,
      lost: undefined,
    },
  ];
  // Apart by default (frames above Node's pooled sizes, 4 KiB, are then buffers of their own).
  const a = encoder.binaryFrameV2('p', one(5000, 1), true) as Buffer;
  const b = encoder.binaryFrameV2('p', one(5000, 2), true) as Buffer;
  assert.notEqual(a.buffer, b.buffer);
  // Shared: enough frames to fill more than one block, each the reference bytes, none
  // overlapping another, and writing one changes no other.
  const frames: { frame: Buffer; list: IndicationV2[] }[] = [];
  for (let r = 1; r <= 300; r++) {
    const list = one(2000 + (r % 7), r);
    frames.push({ frame: encoder.binaryFrameV2('p', list, true, true) as Buffer, list });
  }
  const big = encoder.binaryFrameV2('p', one(70_000, 301), true, true) as Buffer;
  const blocks = new Set(frames.map((f) => f.frame.buffer));
  // ~630 KB of frames: three 256 KiB blocks.
  assert.equal(blocks.size, 3);
  for (const block of blocks) assert.equal(block.byteLength, 256 * 1024);
  assert.ok(!blocks.has(big.buffer), 'a frame above 64 KiB is a buffer of its own');
  for (let k = 1; k < frames.length; k++) {
    const prev = (frames[k - 1] as { frame: Buffer }).frame;
    const cur = (frames[k] as { frame: Buffer }).frame;
    if (prev.buffer === cur.buffer)
      assert.ok(cur.byteOffset >= prev.byteOffset + prev.length, 'pieces do not overlap');
  }
  (frames[0] as { frame: Buffer }).frame.fill(0);
  for (const { frame, list } of frames.slice(1))
    assert.deepEqual(bytesOf(frame, 0x82), Buffer.from(encodeBinaryNotifyFrame('p', list, true)));
  assert.deepEqual(
    bytesOf(big, 0x82),
    Buffer.from(encodeBinaryNotifyFrame('p', one(70_000, 301), true)),
  );
  // JSON frames and grouped frames take the same choice.
  const json = new NotifyFrameEncoder();
  const j1 = json.frameV2('p', one(10, 1), true, true);
  const j2 = json.frameV2('p', one(10, 2), true, true);
  assert.equal(j1.buffer, j2.buffer);
  assert.equal(j1.buffer.byteLength, 256 * 1024);
  const g = encoder.groupFrame(
    [
      { h: 'p', list: one(10, 1), drained: false },
      { h: 'q', list: one(10, 2), drained: true },
    ],
    true,
  ) as Buffer;
  assert.equal(g.buffer.byteLength, 256 * 1024);
});

test('a binary frame of any length is one WebSocket binary frame of the reference bytes', () => {
  const encoder = new NotifyFrameEncoder(true);
  for (const size of [0, 100, 70_000, 10]) {
    const list: IndicationV2[] = [
      {
        version: 2,
        notifyKey: 5,
        filterAndType: { objectType: 4, filterFlags: 4 },
        objectId: 'r-1',
        parentId: 'g-1',
        name: 'Dépôt ☃',
        type: 'Physical Disk',
        buffer: new Uint8Array(size).fill(7),
        revision: 3,
        lost: undefined,
      },
    ];
    const frame = encoder.binaryFrameV2('p', list, true);
    assert.ok(frame !== undefined);
    assert.deepEqual(bytesOf(frame, 0x82), Buffer.from(encodeBinaryNotifyFrame('p', list, true)));
  }
});

test('groupFrame holds exactly the batches the kind-1 frames would, cache or not, or nothing for text UTF-8 cannot carry (D55)', () => {
  const encoder = new NotifyFrameEncoder(true);
  let inexact = 0;
  let referred = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(...batch), { minLength: 1, maxLength: 6 }), (raw) => {
      const batches = raw.map(([r, h, drained]) => ({ h, list: r.map(toIndication), drained }));
      const frame = encoder.groupFrame(batches);
      if (batches.some((b) => b.list.some((i) => !utf8Exact(i.name)))) {
        assert.equal(frame, undefined);
        inexact++;
        return;
      }
      assert.ok(frame !== undefined);
      const got = parseBinaryNotifyMessage(bytesOf(frame, 0x82));
      assert.ok(!('malformed' in got), 'malformed' in got ? got.malformed : '');
      const expected = batches.map((b) => {
        const f = parseBinaryNotifyFrame(encodeBinaryNotifyFrame(b.h, b.list, b.drained));
        assert.ok(!('malformed' in f));
        return f;
      });
      assert.deepEqual(
        got.map((f) => ({ ...f, buffers: f.buffers.map((x) => [...x]) })),
        expected.map((f) => ({ ...f, buffers: f.buffers.map((x) => [...x]) })),
      );
      const entries = batches.reduce((n, b) => n + b.list.length, 0);
      const sizeAlone = batches.reduce(
        (n, b) => n + encodeBinaryNotifyFrame(b.h, b.list, b.drained).length + 4,
        0,
      );
      if (entries > 0 && frame.length < sizeAlone) referred++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(inexact > 0, 'some groups held a lone surrogate');
  assert.ok(referred > 20, `${referred} groups were smaller than their batches alone`);
  assert.throws(() => new NotifyFrameEncoder().groupFrame([]), /JSON encoder/);
});

test('a grouped frame writes an event reaching many ports once: the reference bytes (D55)', () => {
  const encoder = new NotifyFrameEncoder(true);
  const event = (revision: number, name: string): Omit<IndicationV2, 'notifyKey'> => ({
    version: 2,
    filterAndType: Object.freeze({ objectType: 4, filterFlags: 4 }),
    objectId: `r-${name}`,
    parentId: 'g-1',
    name,
    type: 'Physical Disk',
    buffer: new Uint8Array(120).fill(revision),
    revision,
    lost: undefined,
  });
  const events = [event(1, 'SQL Disk'), event(2, 'SQL Disk'), event(2, 'Dépôt ☃')];
  const batches = Array.from({ length: 50 }, (_, p) => ({
    h: `port-${p}`,
    list: events.map((e, k) => ({ ...e, notifyKey: p * 10 + k })),
    drained: p % 2 === 0,
  }));
  const frame = encoder.groupFrame(batches);
  assert.ok(frame !== undefined);
  const reference = Buffer.from(
    encodeBinaryNotifyGroup(batches.map((b) => ({ h: b.h, entries: b.list, drained: b.drained }))),
  );
  assert.deepEqual(bytesOf(frame, 0x82), reference);
  // Three events of ~170 bytes once, then 9 bytes per entry and the port's header.
  assert.ok(reference.length < 3 * 200 + 50 * (3 * 9 + 14), `${reference.length} bytes`);
  // The next frame copies the events' bytes from the cache: the same bytes again.
  const again = encoder.groupFrame(batches);
  assert.ok(again !== undefined);
  assert.deepEqual(bytesOf(again, 0x82), reference);
});

test('a grouped frame with a lost-events entry and more events than its table starts with reads back whole (D55)', () => {
  // The encoder's table of a frame's events grows past 512 events; the lost-events entry before
  // them takes an event number but has no place in the table.
  const encoder = new NotifyFrameEncoder(true);
  const event = (revision: number): IndicationV2 => ({
    version: 2,
    notifyKey: 1,
    filterAndType: Object.freeze({ objectType: 4, filterFlags: 4 }),
    objectId: 'r-1',
    parentId: 'g-1',
    name: 'SQL Disk',
    type: 'Physical Disk',
    buffer: new Uint8Array([revision & 0xff, revision >> 8]),
    revision,
    lost: undefined,
  });
  const lost: IndicationV2 = { ...event(1), lost: { count: 5, firstRevision: 1, lastRevision: 1 } };
  const events = Array.from({ length: 700 }, (_, k) => event(k + 2));
  const batches = [
    { h: 'p1', list: [lost, ...events], drained: false },
    { h: 'p2', list: events.map((e) => ({ ...e, notifyKey: 2 })), drained: true },
  ];
  const frame = encoder.groupFrame(batches);
  assert.ok(frame !== undefined);
  const got = parseBinaryNotifyMessage(bytesOf(frame, 0x82));
  assert.ok(!('malformed' in got), 'malformed' in got ? got.malformed : '');
  assert.deepEqual(
    got.map((b) => [b.h, b.n.length, b.n.at(-1)?.revision, b.n.at(-1)?.notifyKey]),
    [
      ['p1', 701, 701, 1],
      ['p2', 700, 701, 2],
    ],
  );
  assert.deepEqual(got[0]?.n[0]?.lost, { count: 5, firstRevision: 1, lastRevision: 1 });
  // The second port's entries all refer to the first port's events (74 bytes an event here).
  assert.ok(frame.length < 701 * 80 + 700 * 12, `${frame.length} bytes`);
});

test('an event reaching many ports is serialised once and differs only by notify key', () => {
  const encoder = new NotifyFrameEncoder();
  const event = {
    version: 2 as const,
    filterAndType: Object.freeze({ objectType: 4, filterFlags: 4 }),
    objectId: 'r-1',
    parentId: 'g-1',
    name: 'SQL Disk',
    type: 'Physical Disk',
    buffer: new Uint8Array([2, 0, 0, 0]),
    revision: 9,
    lost: undefined,
  };
  const a = payloadOf(encoder.frameV2('p1', [{ ...event, notifyKey: 1 }], true));
  const b = payloadOf(encoder.frameV2('p2', [{ ...event, notifyKey: 2 }], false));
  assert.equal(a, reference('p1', [{ ...event, notifyKey: 1 }], true));
  assert.equal(b, reference('p2', [{ ...event, notifyKey: 2 }], false));
  assert.equal(
    a.slice(a.indexOf(',"filterAndType"')),
    b.slice(b.indexOf(',"filterAndType"')).replace('false', 'true'),
  );
});

test('each frame is a whole WebSocket text frame of the same JSON, whatever its length', () => {
  const framed = new NotifyFrameEncoder();
  const event = (n: number, name: string): IndicationV2 => ({
    version: 2,
    notifyKey: n,
    filterAndType: { objectType: 4, filterFlags: 4 },
    objectId: `r-${n % 3}`,
    parentId: 'g-1',
    name,
    type: 'Physical Disk',
    buffer: payloads[n % payloads.length] as Uint8Array,
    revision: n % 5,
    lost: undefined,
  });
  // Payloads under 126 bytes, under 64 KiB and over it; events repeat, so cached bytes are
  // copied from earlier frames (whose headers differ in length).
  for (const count of [0, 1, 3, 40, 300, 700, 2, 300]) {
    const list = Array.from({ length: count }, (_, i) => event(i, i % 7 === 0 ? 'ü "x"' : 'Disk'));
    assert.equal(payloadOf(framed.frameV2('p1', list, true)), reference('p1', list, true));
    assert.equal(
      payloadOf(framed.resultV2(count, list)),
      JSON.stringify({
        t: 'result',
        id: count,
        r: { type: 'ok', status: 0, notifications: list.map(toWireNotification) },
      }),
    );
  }
  for (const text of ['', 'x'.repeat(125), 'é'.repeat(63), 'y'.repeat(126), 'z'.repeat(70_000)])
    assert.equal(payloadOf(websocketTextFrame(text)), text);
});

test('events that share a cache slot within one frame are each copied right in later frames', () => {
  const encoder = new NotifyFrameEncoder();
  // Same fields but parentId (of one length): one pair of slots, which three such events
  // overflow, so slots are rewritten within a frame and read back in the next ones.
  const event = (notifyKey: number, parentId: string): IndicationV2 => ({
    version: 2,
    notifyKey,
    filterAndType: { objectType: 4, filterFlags: 4 },
    objectId: 'r-1',
    parentId,
    name: 'Disk',
    type: 'Physical Disk',
    buffer: payloads[1] as Uint8Array,
    revision: 3,
    lost: undefined,
  });
  const parents = ['g-1', 'g-2', 'g-3'];
  // Short frames (2-byte header) and a middle one (4-byte header).
  const frames = [
    [event(1, 'g-1'), event(2, 'g-2'), event(3, 'g-3'), event(4, 'g-1'), event(5, 'g-2')],
    [event(4, 'g-1')],
    [event(5, 'g-3'), event(6, 'g-2'), event(7, 'g-1'), event(8, 'g-3')],
    Array.from({ length: 20 }, (_, i) => event(i, parents[i % 3] as string)),
    [event(9, 'g-2')],
    [event(10, 'g-1'), event(11, 'g-3')],
  ];
  for (const list of frames)
    assert.equal(payloadOf(encoder.frameV2('p', list, true)), reference('p', list, true));
});

test('the states one resource passes through in one commit are each serialised once for every port', () => {
  const encoder = new NotifyFrameEncoder();
  const state = (value: number): IndicationV2 => ({
    version: 2,
    notifyKey: 0,
    filterAndType: { objectType: 4, filterFlags: 2 },
    objectId: 'r-1',
    parentId: 'g-1',
    name: 'SQL Disk',
    type: 'Physical Disk',
    buffer: new Uint8Array([value, 0, 0, 0]),
    revision: 7,
    lost: undefined,
  });
  // OnlinePending then Online (§3.1.4.2.13 resource states), both in revision 7.
  const events = [state(129), state(2)];
  for (let port = 0; port < 50; port++) {
    const list = events.map((e) => ({ ...e, notifyKey: port }));
    const h = `p${port}`;
    assert.equal(payloadOf(encoder.frameV2(h, list, true)), reference(h, list, true));
  }
  assert.deepEqual(encoder.counts, { written: 2, copied: 98 });
});

test('the changes of one commit that differ only inside their payloads are each serialised once for every port', () => {
  // A busy resource: one commit (revision 9) holds 64 property changes of it, their payloads
  // made as the server makes them, of equal length and alike but for a counter in the middle.
  const encoder = new NotifyFrameEncoder(true);
  const events = Array.from({ length: 64 }, (_, k): IndicationV2 => {
    const buffer = encodePropertyList({
      BenchPayload: `${'a'.repeat(50)}${String(k).padStart(3, '0')}${'z'.repeat(60)}`,
    });
    return {
      version: 2,
      notifyKey: 0,
      filterAndType: { objectType: 4, filterFlags: 0x40 },
      objectId: 'r-1',
      parentId: 'g-1',
      name: 'FS Disk',
      type: 'Physical Disk',
      buffer,
      revision: 9,
      lost: undefined,
    };
  });
  for (let port = 0; port < 20; port++) {
    const list = events.map((e) => ({ ...e, notifyKey: port }));
    const frame = encoder.binaryFrameV2(`p${port}`, list, true);
    assert.ok(frame !== undefined);
    assert.deepEqual(
      bytesOf(frame, 0x82),
      Buffer.from(encodeBinaryNotifyFrame(`p${port}`, list, true)),
    );
  }
  assert.deepEqual(encoder.counts, { written: 64, copied: 64 * 19 });
});

test('commit after commit of 64 changes of one busy resource, hardly an event is serialised twice', () => {
  // As the peers benchmark's writer makes them: 120-character payloads alike but for a counter,
  // 64 to a commit, so a commit's payloads fill more than one payload block and some lie at the
  // same offset in two blocks. A two-way cache serialised ~4x the events here (137,214 of 3.2 M
  // in the notify-frame benchmark); the four-way one ~1.1x.
  const encoder = new NotifyFrameEncoder(true);
  const COMMITS = 40;
  const PORTS = 20;
  for (let c = 0; c < COMMITS; c++) {
    const buffers = Array.from({ length: 64 }, (_, k) =>
      encodePropertyList({
        BenchPayload: `${String(c * 64 + k).padStart(12, '0')} ${'x'.repeat(107)}`,
      }),
    );
    for (let port = 0; port < PORTS; port++) {
      const list = buffers.map((buffer): IndicationV2 => ({
        version: 2,
        notifyKey: port,
        filterAndType: { objectType: 3, filterFlags: 0x40 },
        objectId: 'r-1',
        parentId: 'g-1',
        name: 'FS Disk',
        type: 'Physical Disk',
        buffer,
        revision: 100 + c,
        lost: undefined,
      }));
      const frame = encoder.binaryFrameV2(`p${port}`, list, true);
      assert.ok(frame !== undefined);
      if (port === PORTS - 1 && c === COMMITS - 1)
        assert.deepEqual(
          bytesOf(frame, 0x82),
          Buffer.from(encodeBinaryNotifyFrame(`p${port}`, list, true)),
        );
    }
  }
  const { written, copied } = encoder.counts;
  assert.equal(written + copied, COMMITS * PORTS * 64);
  assert.ok(written <= COMMITS * 64 * 1.25, `${written} serialised`);
});

test('cached events stay exact as their bytes are overwritten lap after lap, and a huge event is written each time', () => {
  const encoder = new NotifyFrameEncoder();
  const event = (revision: number, name: string): IndicationV2 => ({
    version: 2,
    notifyKey: 1,
    filterAndType: { objectType: 4, filterFlags: 4 },
    objectId: 'r-1',
    parentId: 'g-1',
    name,
    type: 'Physical Disk',
    buffer: payloads[1] as Uint8Array,
    revision,
    lost: undefined,
  });
  // Events of ~1 KB, each sent to two ports; 3,000 distinct ones are several laps of the
  // cache's bytes. Every tenth frame also repeats an event from long ago, whose slot may still
  // hold its fields while its bytes were overwritten.
  const pad = 'n'.repeat(1000);
  for (let r = 0; r < 3000; r++) {
    const list = [event(r, pad)];
    if (r % 10 === 0 && r >= 700) list.push(event(r - 700, pad));
    assert.equal(payloadOf(encoder.frameV2('p1', list, true)), reference('p1', list, true));
    assert.equal(payloadOf(encoder.frameV2('p2', list, false)), reference('p2', list, false));
  }
  const huge = event(1, 'h'.repeat(200_000));
  for (const h of ['p1', 'p2', 'p3'])
    assert.equal(payloadOf(encoder.frameV2(h, [huge], true)), reference(h, [huge], true));
  const written = encoder.counts.written;
  encoder.frameV2('p4', [huge], true);
  assert.equal(encoder.counts.written, written + 1, 'too large to cache: serialised again');
});
