/**
 * The wire form of version-2 indications (docs/protocol.md §3, §5): what the client rebuilds
 * from a `notify` frame entry is the indication the server sent, field for field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromWireNotification, toWireNotification } from '@clusnotify/protocol';
import type { IndicationV2, WireNotificationV2 } from '@clusnotify/protocol';

// Spread into plain objects: fast-check may make null-prototype records, a frame's JSON does not.
const indication: fc.Arbitrary<IndicationV2> = fc
  .record({
    version: fc.constant(2 as const),
    notifyKey: fc.nat({ max: 0xffffffff }),
    filterAndType: fc.record({ objectType: fc.nat({ max: 12 }), filterFlags: fc.nat() }),
    objectId: fc.string({ maxLength: 8 }),
    parentId: fc.string({ maxLength: 8 }),
    name: fc.string({ maxLength: 12 }),
    type: fc.string({ maxLength: 8 }),
    buffer: fc.uint8Array({ maxLength: 64 }),
    revision: fc.nat(),
    lost: fc.option(
      fc
        .record({ count: fc.nat(), firstRevision: fc.nat(), lastRevision: fc.nat() })
        .map((l) => ({ ...l })),
      { nil: undefined, freq: 8 },
    ),
  })
  .map((i) => ({ ...i, filterAndType: { ...i.filterAndType } }));

test('fromWireNotification rebuilds the indication a frame entry came from', () => {
  fc.assert(
    fc.property(indication, (i) => {
      const back = fromWireNotification(
        JSON.parse(JSON.stringify(toWireNotification(i))) as WireNotificationV2,
      );
      assert.deepEqual(back, i);
      // The same fields in the same order as every other indication the client makes.
      assert.deepEqual(Object.keys(back), Object.keys(i));
    }),
    { numRuns: 1000 },
  );
});

test('fromWireNotification puts the given notify key in place of the wire one', () => {
  const w: WireNotificationV2 = {
    notifyKey: 7,
    filterAndType: { objectType: 3, filterFlags: 2 },
    objectId: 'r-1',
    parentId: 'g-1',
    name: 'FS Disk',
    type: 'Physical Disk',
    buffer: 'AQID',
    revision: 12,
  };
  assert.equal(fromWireNotification(w).notifyKey, 7);
  const i = fromWireNotification(w, 99);
  assert.equal(i.notifyKey, 99);
  assert.deepEqual(i.buffer, new Uint8Array([1, 2, 3]));
  assert.equal(i.lost, undefined);
  // Unchecked, an undecodable buffer becomes empty (the client checks first and refuses it, D39).
  assert.deepEqual(fromWireNotification({ ...w, buffer: 'AQI' }, 99).buffer, new Uint8Array(0));
});
