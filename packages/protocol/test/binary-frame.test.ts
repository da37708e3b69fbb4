/**
 * Binary notify frames (docs/protocol.md §5, decisions D53) and grouped frames (D55): what the
 * reference encoders write the decoder reads back exactly, and anything else — a byte missing
 * or extra, a bad flag, a number outside the JSON form's rules, text that is not UTF-8, an
 * entry referring to an event the frame has not given — is malformed, never thrown.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BINARY_NOTIFY_GROUP,
  BINARY_NOTIFY_V2,
  BinaryFlag,
  encodeBinaryNotifyFrame,
  encodeBinaryNotifyGroup,
  parseBinaryNotifyFrame,
  parseBinaryNotifyMessage,
  sameObject,
} from '@clusnotify/protocol';
import type { BinaryNotifyEntry, BinaryNotifyFrame } from '@clusnotify/protocol';

/** Well-formed text (UTF-8 carries no lone surrogate), short and long, ASCII and not. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ minLength: 60, maxLength: 90 }),
  fc.constantFrom('FS Disk', '00000000-0000-4000-8000-000000000021', 'Dépôt ☃ 磁盘'),
);
const revision = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));
const entry: fc.Arbitrary<BinaryNotifyEntry> = fc.record({
  notifyKey: fc.nat({ max: 0xffffffff }),
  filterAndType: fc.record({
    objectType: fc.nat({ max: 0xffffffff }),
    filterFlags: fc.oneof(fc.integer(), fc.constant(2 ** 53 + 2), fc.constant(-1)),
  }),
  objectId: text,
  parentId: text,
  name: text,
  type: text,
  buffer: fc.uint8Array({ maxLength: 40 }),
  revision,
  lost: fc.option(fc.record({ count: revision, firstRevision: revision, lastRevision: revision }), {
    nil: undefined,
    freq: 6,
  }),
});
const batch = fc.record({
  h: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('n_0123456789abcdef')),
  entries: fc.array(entry, { maxLength: 12 }),
  drained: fc.boolean(),
});

function parsed(bytes: Uint8Array): BinaryNotifyFrame {
  const f = parseBinaryNotifyFrame(bytes);
  if ('malformed' in f) assert.fail(f.malformed);
  return f;
}

/** Checks that `f` is the batch the reference encoder was given. */
function assertSame(
  f: BinaryNotifyFrame,
  h: string,
  entries: BinaryNotifyEntry[],
  drained: boolean,
) {
  assert.equal(f.t, 'notify');
  assert.equal(f.h, h);
  assert.equal(f.drained, drained);
  assert.equal(f.n.length, entries.length);
  entries.forEach((e, i) => {
    const { buffer, lost, filterAndType, ...rest } = e;
    // fc.record makes objects without a prototype; the decoder's are plain.
    assert.deepEqual(f.n[i], {
      ...rest,
      filterAndType: { ...filterAndType },
      buffer: '',
      ...(lost === undefined ? {} : { lost: { ...lost } }),
    });
    assert.deepEqual([...(f.buffers[i] ?? [])], [...buffer]);
  });
}

test('a frame the reference encoder writes reads back as the same batch', () => {
  fc.assert(
    fc.property(batch, ({ h, entries, drained }) => {
      assertSame(parsed(encodeBinaryNotifyFrame(h, entries, drained)), h, entries, drained);
    }),
    { numRuns: 300 },
  );
});

test('a frame with a byte missing or a byte extra is malformed', () => {
  fc.assert(
    fc.property(batch, fc.nat(), fc.nat({ max: 255 }), ({ h, entries, drained }, cut, extra) => {
      const bytes = encodeBinaryNotifyFrame(h, entries, drained);
      const short = parseBinaryNotifyFrame(bytes.subarray(0, cut % bytes.length));
      assert.ok('malformed' in short, `prefix of ${cut % bytes.length} of ${bytes.length} bytes`);
      const long = new Uint8Array(bytes.length + 1);
      long.set(bytes);
      long[bytes.length] = extra;
      const more = parseBinaryNotifyFrame(long);
      assert.ok('malformed' in more);
      assert.match(more.malformed, /1 bytes after the last entry/);
    }),
    { numRuns: 200 },
  );
});

/** The entry the byte-patching tests start from. */
const SAMPLE: BinaryNotifyEntry = {
  notifyKey: 7,
  filterAndType: { objectType: 3, filterFlags: 4 },
  objectId: 'abc',
  parentId: '',
  name: 'FS Disk',
  type: '',
  buffer: new Uint8Array([1, 2]),
  revision: 9,
};

/** What `parse` says is malformed in `bytes` once `patch` has changed them. */
function malformedAfter(
  bytes: Uint8Array,
  patch: (b: Uint8Array, v: DataView) => void,
  parse: (b: Uint8Array) => object | { malformed: string },
): string {
  patch(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const f = parse(bytes);
  assert.ok('malformed' in f, 'expected a malformed frame');
  return f.malformed;
}

/** One entry's frame, with `patch` applied to its bytes before it is read. */
function patched(
  patch: (b: Uint8Array, v: DataView) => void,
  e: Partial<BinaryNotifyEntry> = {},
): string {
  const bytes = encodeBinaryNotifyFrame('h1', [{ ...SAMPLE, ...e }], true);
  return malformedAfter(bytes, patch, parseBinaryNotifyFrame);
}

// Offsets in the frame of `patched`: header 4, handle 2, count 4, then the entry at 10:
// notifyKey 10, flags 14, objectType 15, filterFlags 19, objectId length 27, its bytes 31,
// parentId length 34, name length 38, its bytes 42 … 48, type length 49, buffer length 53,
// buffer 57, revision 59.
test('each field outside its rules is named, with the byte where it is', () => {
  assert.match(
    patched((b) => (b[0] = 2)),
    /kind is 2, expected 1 \(at byte 0\)/,
  );
  assert.match(
    patched((b) => (b[1] = 3)),
    /flags are 3/,
  );
  assert.match(
    patched((b) => (b[14] = 2)),
    /n\[0\] flags are 2/,
  );
  assert.match(
    patched((_, v) => v.setFloat64(19, 1.5, true)),
    /n\[0\]\.filterAndType\.filterFlags is 1\.5, expected an integer \(at byte 19\)/,
  );
  assert.match(
    patched((_, v) => v.setFloat64(19, NaN, true)),
    /filterFlags is NaN/,
  );
  assert.match(
    patched((_, v) => v.setFloat64(59, -1, true)),
    /n\[0\]\.revision is -1/,
  );
  assert.match(
    patched((_, v) => v.setFloat64(59, 2 ** 53, true)),
    /n\[0\]\.revision is 9007199254740992/,
  );
  assert.match(
    patched((b) => (b[42] = 0xff)),
    /n\[0\]\.name is not well-formed UTF-8 \(at byte 42\)/,
  );
  assert.match(
    patched((_, v) => v.setUint32(53, 1000, true)),
    /n\[0\]\.buffer runs past the end/,
  );
  assert.match(
    patched((_, v) => v.setUint32(6, 0xffffffff, true)),
    /count is 4294967295, more entries/,
  );
  assert.match(
    patched((_, v) => v.setFloat64(15 + 8, 0.5, true), {
      lost: { count: 1, firstRevision: 2, lastRevision: 3 },
    }),
    /n\[0\]\.lost\.firstRevision is 0\.5/,
  );
});

/** Entries of a few objects only, so that runs of one object's entries (repeat entries) occur. */
const fewObjects = fc
  .tuple(
    fc.array(
      fc.record({
        filterAndType: fc.record({
          objectType: fc.nat({ max: 2 }),
          filterFlags: fc.nat({ max: 2 }),
        }),
        objectId: fc.constantFrom('a', 'b'),
        parentId: fc.constantFrom('', 'g'),
        name: fc.constantFrom('FS Disk', 'Dépôt'),
        type: fc.constantFrom('', 'Physical Disk'),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    fc.array(fc.tuple(fc.nat(), entry), { maxLength: 16 }),
  )
  .map(([objects, picks]) =>
    picks.map(([k, e]): BinaryNotifyEntry => ({ ...e, ...objects[k % objects.length] })),
  );

test('repeat entries (D60): an entry of the same object as the one before it leaves its fields out and reads back whole', () => {
  fc.assert(
    fc.property(fewObjects, fc.boolean(), (entries, drained) => {
      const plain = encodeBinaryNotifyFrame('h', entries, drained);
      const short = encodeBinaryNotifyFrame('h', entries, drained, true);
      assertSame(parsed(short), 'h', entries, drained);
      // Each repeat entry saves its objectType, filterFlags and strings with their lengths.
      let saved = 0;
      for (let i = 1; i < entries.length; i++) {
        const e = entries[i] as BinaryNotifyEntry;
        const p = entries[i - 1] as BinaryNotifyEntry;
        if (e.lost !== undefined || !sameObject(p, e)) continue;
        saved += 12 + 16;
        for (const t of [e.objectId, e.parentId, e.name, e.type]) saved += Buffer.byteLength(t);
      }
      assert.equal(plain.length - short.length, saved);
    }),
    { numRuns: 300 },
  );
  // A change in any one field of the object, or a lost-events entry, is written whole.
  const base = { ...SAMPLE, parentId: 'g', type: 't' };
  const changes: Partial<BinaryNotifyEntry>[] = [
    { filterAndType: { objectType: 4, filterFlags: 4 } },
    { filterAndType: { objectType: 3, filterFlags: 5 } },
    { objectId: 'abd' },
    { parentId: 'h' },
    { name: 'FS Disl' },
    { type: 'u' },
    { lost: { count: 1, firstRevision: 1, lastRevision: 1 } },
  ];
  for (const c of changes) {
    const entries = [base, { ...base, ...c }];
    assert.deepEqual(
      encodeBinaryNotifyFrame('h', entries, false, true),
      encodeBinaryNotifyFrame('h', entries, false),
      JSON.stringify(c),
    );
  }
  // As many repeat entries as the bytes allow: the count check takes the smallest entry.
  const many = Array.from({ length: 1000 }, () => ({ ...SAMPLE, buffer: new Uint8Array(0) }));
  assert.equal(parsed(encodeBinaryNotifyFrame('h', many, false, true)).n.length, 1000);
});

test('a repeat entry first in its batch, with the lost-events flag, or in a grouped frame is malformed', () => {
  const two = (): Uint8Array => encodeBinaryNotifyFrame('h1', [SAMPLE, SAMPLE], false, true);
  // Entry 0 is SAMPLE written whole (bytes 10 … 66, as in `patched`); entry 1 at 67: notifyKey,
  // flags 71, buffer length 72, buffer 76, revision 78.
  assert.equal(two()[71], BinaryFlag.REPEAT);
  assert.match(
    malformedAfter(two(), (b) => (b[14] = BinaryFlag.REPEAT), parseBinaryNotifyFrame),
    /n\[0\] repeats the entry before it, but is the first \(at byte 14\)/,
  );
  assert.match(
    malformedAfter(two(), (b) => (b[71] = BinaryFlag.REPEAT | 1), parseBinaryNotifyFrame),
    /n\[1\] flags are 5, expected 0, 1 or 4/,
  );
  assert.match(
    malformedAfter(two(), (_, v) => v.setUint32(72, 1000, true), parseBinaryNotifyFrame),
    /n\[1\]\.buffer runs past the end/,
  );
  assert.match(
    malformedAfter(two(), (_, v) => v.setFloat64(78, -1, true), parseBinaryNotifyFrame),
    /n\[1\]\.revision is -1/,
  );
  const group = encodeBinaryNotifyGroup([{ h: 'h1', entries: [SAMPLE], drained: false }]);
  assert.match(
    malformedAfter(group, (b) => (b[21] = BinaryFlag.REPEAT), parseBinaryNotifyMessage),
    /batches\[0\]\.n\[0\] flags are 4, expected 0 to 3/,
  );
});

test('a frame in a Node.js Buffer, inside a larger socket read, reads back as the same batch', () => {
  // The ws package hands the client Buffers that are views into one socket read; the decoder
  // cuts their ASCII text natively and everything else as for any bytes.
  fc.assert(
    fc.property(batch, fc.nat({ max: 9 }), ({ h, entries, drained }, offset) => {
      const bytes = encodeBinaryNotifyFrame(h, entries, drained);
      const read = Buffer.alloc(offset + bytes.length + 7, 0xc3);
      read.set(bytes, offset);
      assertSame(parsed(read.subarray(offset, offset + bytes.length)), h, entries, drained);
    }),
    { numRuns: 300 },
  );
});

test('non-ASCII and long text, and text repeated from entry to entry, read back exactly', () => {
  const e = (name: string, objectId: string): BinaryNotifyEntry => ({
    notifyKey: 1,
    filterAndType: { objectType: 1, filterFlags: 1 },
    objectId,
    parentId: objectId,
    name,
    type: 'Physical Disk',
    buffer: new Uint8Array(0),
    revision: 1,
  });
  const long = 'x'.repeat(200);
  const names = ['Dépôt', 'Dépôt', 'Depot', long, long, `${long}y`, '', '', '磁盘'];
  const f = parsed(
    encodeBinaryNotifyFrame(
      'h',
      names.map((n, i) => e(n, i % 2 === 0 ? 'a' : 'b')),
      false,
    ),
  );
  assert.deepEqual(
    f.n.map((w) => w.name),
    names,
  );
  assert.deepEqual(
    f.n.map((w) => w.objectId),
    names.map((_, i) => (i % 2 === 0 ? 'a' : 'b')),
  );
  assert.equal(BINARY_NOTIFY_V2, 1);
});

test('text of the same length as the entry before, differing in any one byte, reads as its own', () => {
  // The reader compares a field's bytes with the last ones four at a time, then the rest one
  // by one: a difference in every position of both parts, and in frames read one after another.
  const base = '3f2504e0-4f89-11d3-9a0c-0305e82c3301-7'; // 38 bytes: 9 words and 2 more
  const ids = [base, base];
  for (let j = 0; j < base.length; j++) ids.push(`${base.slice(0, j)}#${base.slice(j + 1)}`, base);
  const e = (objectId: string): BinaryNotifyEntry => ({
    notifyKey: 1,
    filterAndType: { objectType: 1, filterFlags: 1 },
    objectId,
    parentId: '',
    name: 'FS Disk',
    type: 'Physical Disk',
    buffer: new Uint8Array(0),
    revision: 1,
  });
  const one = parsed(encodeBinaryNotifyFrame('h', ids.map(e), false));
  assert.deepEqual(
    one.n.map((w) => w.objectId),
    ids,
  );
  for (const id of ids) {
    const f = parsed(Buffer.from(encodeBinaryNotifyFrame('h', [e(id)], false)));
    assert.equal(f.n[0]?.objectId, id);
  }
});

test('the reference encoder refuses text UTF-8 cannot carry', () => {
  assert.throws(
    () =>
      encodeBinaryNotifyFrame(
        'h',
        [
          {
            notifyKey: 1,
            filterAndType: { objectType: 1, filterFlags: 1 },
            objectId: '',
            parentId: '',
            name: 'a\ud800b',
            type: '',
            buffer: new Uint8Array(0),
            revision: 1,
          },
        ],
        true,
      ),
    /lone surrogate/,
  );
});

// ----- grouped frames (D55) ---------------------------------------------------------------------

function messageOf(bytes: Uint8Array): readonly BinaryNotifyFrame[] {
  const f = parseBinaryNotifyMessage(bytes);
  if ('malformed' in f) assert.fail(f.malformed);
  return f;
}

/** Batches whose entries often repeat an event of another batch, as one event reaching many ports. */
const group = fc
  .tuple(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.array(batch, { maxLength: 6 }))
  .chain(([events, batches]) =>
    fc.tuple(
      fc.constant(batches),
      fc.array(
        fc.array(fc.tuple(fc.nat({ max: events.length - 1 }), fc.nat({ max: 0xffffffff })), {
          maxLength: 5,
        }),
        {
          minLength: batches.length,
          maxLength: batches.length,
        },
      ),
      fc.constant(events),
    ),
  )
  .map(([batches, picks, events]) =>
    batches.map((b, j) => ({
      h: b.h,
      drained: b.drained,
      // Each batch: its own entries, then some of the shared events under its own notify keys.
      entries: [
        ...b.entries,
        ...(picks[j] ?? []).map(([k, notifyKey]) => ({
          ...(events[k] as BinaryNotifyEntry),
          notifyKey,
        })),
      ],
    })),
  );

test('a grouped frame reads back as its batches, each what its kind-1 frame holds', () => {
  let shared = 0;
  fc.assert(
    fc.property(group, (batches) => {
      const bytes = encodeBinaryNotifyGroup(batches);
      assert.equal(bytes[0], BINARY_NOTIFY_GROUP);
      const got = messageOf(bytes);
      assert.equal(got.length, batches.length);
      batches.forEach((b, j) => {
        assertSame(got[j] as BinaryNotifyFrame, b.h, [...b.entries], b.drained);
      });
      const alone = batches.reduce(
        (n, b) => n + encodeBinaryNotifyFrame(b.h, b.entries, b.drained).length,
        0,
      );
      if (bytes.length < alone) shared++;
    }),
    { numRuns: 500 },
  );
  assert.ok(shared > 50, `${shared} frames were smaller than their batches alone`);
});

test('parseBinaryNotifyMessage reads a kind-1 frame as its one batch', () => {
  fc.assert(
    fc.property(batch, ({ h, entries, drained }) => {
      const got = messageOf(encodeBinaryNotifyFrame(h, entries, drained));
      assert.equal(got.length, 1);
      assertSame(got[0] as BinaryNotifyFrame, h, entries, drained);
    }),
    { numRuns: 100 },
  );
});

test('a grouped frame with a byte missing or extra is malformed', () => {
  fc.assert(
    fc.property(group, fc.nat(), (batches, cut) => {
      const bytes = encodeBinaryNotifyGroup(batches);
      const short = parseBinaryNotifyMessage(bytes.subarray(0, cut % bytes.length));
      assert.ok('malformed' in short, `prefix of ${cut % bytes.length} of ${bytes.length} bytes`);
      const long = new Uint8Array(bytes.length + 1);
      long.set(bytes);
      const more = parseBinaryNotifyMessage(long);
      assert.ok('malformed' in more);
      assert.match(more.malformed, /1 bytes after the last entry/);
    }),
    { numRuns: 200 },
  );
});

/** A grouped frame of two ports that get one event, with `patch` applied to its bytes. */
function patchedGroup(patch: (b: Uint8Array, v: DataView) => void): string {
  const bytes = encodeBinaryNotifyGroup([
    { h: 'h1', entries: [SAMPLE], drained: true },
    { h: 'h2', entries: [{ ...SAMPLE, notifyKey: 8 }], drained: false },
  ]);
  return malformedAfter(bytes, patch, parseBinaryNotifyMessage);
}

// Offsets in `patchedGroup`'s frame: header 4, batch count 4; batch 0 at 8: flags 8, handle
// length 9, handle 11, count 13, entry at 17 (notifyKey 17, flags 21, event 22 … 73); batch 1
// at 74: flags 74, handle length 75, handle 77, count 79, entry at 83 (notifyKey 83, flags 87,
// event index 88).
test('each part of a grouped frame outside its rules is named, with the byte where it is', () => {
  assert.match(
    patchedGroup((b) => (b[0] = 3)),
    /kind is 3, expected 1 or 2 \(at byte 0\)/,
  );
  assert.match(
    patchedGroup((b) => (b[1] = 1)),
    /grouped frame header bytes 1-3 are not 0/,
  );
  assert.match(
    patchedGroup((_, v) => v.setUint32(4, 1000, true)),
    /batch count is 1000, more than the frame has bytes for/,
  );
  assert.match(
    patchedGroup((b) => (b[74] = 2)),
    /batches\[1\]\.flags are 2, expected 0 or 1 \(at byte 74\)/,
  );
  assert.match(
    patchedGroup((b) => (b[87] = 4)),
    /batches\[1\]\.n\[0\] flags are 4, expected 0 to 3/,
  );
  assert.match(
    patchedGroup((_, v) => v.setUint32(88, 1, true)),
    /batches\[1\]\.n\[0\]\.event is 1, the frame has 1 events before it \(at byte 88\)/,
  );
  // The first entry must carry its event: there is none before it to refer to.
  assert.match(
    patchedGroup((b) => (b[21] = 0)),
    /batches\[0\]\.n\[0\]\.event is/,
  );
  assert.match(
    patchedGroup((b) => (b[77] = 0xff)),
    /batches\[1\]\.the port handle is not well-formed UTF-8/,
  );
  assert.equal(BINARY_NOTIFY_GROUP, 2);
});

test('entries of one event in a grouped frame share its strings and payload view', () => {
  const e: BinaryNotifyEntry = {
    notifyKey: 1,
    filterAndType: { objectType: 4, filterFlags: 2 },
    objectId: 'r-1',
    parentId: 'g-1',
    name: 'Dépôt',
    type: 'Generic',
    buffer: new Uint8Array(120).fill(3),
    revision: 5,
  };
  const got = messageOf(
    encodeBinaryNotifyGroup(
      [1, 2, 3].map((k) => ({ h: `p${k}`, entries: [{ ...e, notifyKey: k }], drained: true })),
    ),
  );
  assert.deepEqual(
    got.map((f) => f.n[0]?.notifyKey),
    [1, 2, 3],
  );
  assert.equal(got[1]?.buffers[0], got[0]?.buffers[0]);
  assert.equal(got[2]?.n[0]?.filterAndType, got[0]?.n[0]?.filterAndType);
});
