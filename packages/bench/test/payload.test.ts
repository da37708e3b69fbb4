import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { PAYLOAD_BYTES, makePayload, parsePayload } from '@clusnotify/bench';

test('a payload is exactly 120 ASCII bytes', () => {
  const p = makePayload(123_456_789, 9_876_543_210_123);
  assert.equal(PAYLOAD_BYTES, 120);
  assert.equal(Buffer.byteLength(p, 'utf8'), 120);
  assert.match(p, /^[\x20-\x7e]+$/);
});

test('the sequence number and send time read back', () => {
  assert.deepEqual(parsePayload(makePayload(42, 1_000_000.4)), { seq: 42, sentUs: 1_000_000 });
});

test('they read back from text that holds the payload among other bytes', () => {
  // As in a clusnotify PROPERTY_LIST decoded as UTF-16: a header, then the string.
  const text = '\u0003\u0000BenchPayload\u0000' + makePayload(7, 55) + '\u0000';
  assert.deepEqual(parsePayload(text), { seq: 7, sentUs: 55 });
});

test('text without a payload reads as undefined', () => {
  assert.equal(parsePayload('start'), undefined);
  for (const t of ['#', '#1', '#1:', '#1:2', '#:2:', '#1::', '#a:2:', '1:2:'])
    assert.equal(parsePayload(t), undefined, t);
});

test('a # that starts no payload is passed over for a later one', () => {
  assert.deepEqual(parsePayload('#x #12: #3:4:'), { seq: 3, sentUs: 4 });
  assert.deepEqual(parsePayload(`##${makePayload(9, 10)}`), { seq: 9, sentUs: 10 });
});
