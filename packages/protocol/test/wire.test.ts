/**
 * The wire form of version-2 indications (docs/protocol.md §3, §5): what the client rebuilds
 * from a `notify` frame entry is the indication the server sent, field for field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromWireNotification, toWireNotification } from '@clusnotify/protocol';
import {
  WireMethods,
  batchMessage,
  checkClientFrame,
  parseClientFrame,
  wellFormedCall,
  wellFormedExecute,
} from '../src/wire.js';
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

test('a call frame checked by hand is one the schema accepts, unchanged; every call the schema accepts passes by hand', () => {
  const anything = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
  );
  const frame = fc.record(
    {
      t: fc.oneof(fc.constant('call'), fc.constant('hello'), fc.constant('ack'), fc.string()),
      id: fc.oneof(
        fc.integer({ min: 0, max: 1000 }),
        fc.constant(Number.MAX_SAFE_INTEGER),
        fc.constant(Number.MAX_SAFE_INTEGER + 1),
        fc.integer({ min: -5, max: -1 }),
        fc.double(),
        anything,
      ),
      m: fc.oneof(fc.string({ maxLength: 70 }), anything),
      p: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), anything, { maxKeys: 4 }), anything),
      extra: anything,
    },
    { requiredKeys: ['t'] },
  );
  fc.assert(
    fc.property(frame, (f) => {
      const json: unknown = JSON.parse(JSON.stringify(f));
      const quick = wellFormedCall(json);
      const checked = checkClientFrame(json);
      if (quick !== undefined) {
        assert.ok(!('malformed' in checked), JSON.stringify(checked));
        assert.deepEqual(quick, checked);
      } else if (!('malformed' in checked)) assert.notEqual(checked.t, 'call', JSON.stringify(f));
    }),
    { numRuns: 5000 },
  );
  const call = { t: 'call', id: 7, m: 'execute', p: { command: { type: 'node.pause' } } };
  assert.equal(wellFormedCall(call), call, 'the frame itself, not a copy');
});

test("execute's parameters checked by hand are ones the schema accepts, unchanged; every parameters the schema accepts pass by hand", () => {
  const anything = fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
  );
  const command = fc.oneof(
    fc.record(
      {
        type: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('x'.repeat(64)), anything),
        resource: fc.string({ maxLength: 8 }),
        properties: fc.dictionary(fc.string({ maxLength: 4 }), anything, { maxKeys: 2 }),
      },
      { requiredKeys: [] },
    ),
    anything,
  );
  const params = fc.oneof(
    fc.record(
      { command, changes: fc.oneof(fc.boolean(), anything), extra: anything },
      { requiredKeys: [] },
    ),
    anything,
  );
  fc.assert(
    fc.property(params, (p) => {
      const json: unknown = JSON.parse(JSON.stringify(p) ?? 'null');
      const quick = wellFormedExecute(json);
      const checked = WireMethods.execute.safeParse(json);
      if (quick !== undefined) {
        assert.ok(checked.success, JSON.stringify(json));
        assert.deepEqual(quick, checked.data);
      } else assert.ok(!checked.success, JSON.stringify(json));
    }),
    { numRuns: 5000 },
  );
  const p = { command: { type: 'node.pause', node: 'NODE1' }, changes: true };
  assert.equal(wellFormedExecute(p), p, 'the parameters themselves, not a copy');
});

test('a batch message (D54) parses to its frames when every item is a frame other than hello, and is malformed otherwise', () => {
  const call = { t: 'call', id: 1, m: 'openCluster' };
  const item = fc.oneof(
    fc.constant(call),
    fc.constant({ t: 'call', id: 2, m: 'execute', p: { command: { type: 'node.pause' } } }),
    fc.constant({ t: 'cancel', id: 3 }),
    fc.constant({ t: 'ack', h: 'a1b2', n: 5 }),
    fc.constant({ t: 'hello', v: 1, token: 'x' }),
    fc.constant({ t: 'call', id: -1, m: 'openCluster' }),
    fc.constant({ t: 'ack', h: 'a1b2', n: 0 }),
    fc.constant([call]),
    fc.constant('call'),
    fc.constant(null),
  );
  fc.assert(
    fc.property(fc.array(item, { maxLength: 6 }), (items) => {
      const parsed = parseClientFrame(JSON.stringify(items));
      const alone = items.map((i) => parseClientFrame(JSON.stringify(i)));
      const good =
        items.length > 0 &&
        alone.every((f) => !('malformed' in f) && f.t !== 'hello' && f.t !== 'batch');
      if (!good) {
        assert.ok('malformed' in parsed, JSON.stringify(items));
        return;
      }
      assert.ok(!('malformed' in parsed) && parsed.t === 'batch', JSON.stringify(parsed));
      assert.deepEqual(parsed.frames, alone);
      // batchMessage writes what parseClientFrame reads: a lone frame alone, several as a batch.
      const sent = parseClientFrame(batchMessage(items.map((i) => JSON.stringify(i))));
      if (items.length === 1) assert.deepEqual(sent, alone[0]);
      else assert.deepEqual(sent, parsed);
    }),
    { numRuns: 2000 },
  );
  const bad = parseClientFrame(JSON.stringify([call, { t: 'hello', v: 1, token: 'x' }]));
  assert.deepEqual(bad, { malformed: 'batch item 1: hello travels alone, not in a batch' });
  assert.deepEqual(parseClientFrame('[]'), {
    malformed: 'an empty batch (a batch holds at least one frame)',
  });
});
