import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, median } from '@clusnotify/bench';

describe('median', () => {
  test('is the middle value of an odd count, whatever the order', () => {
    assert.equal(median([5, 1, 3]), 3);
  });
  test('is the lower middle value of an even count', () => {
    assert.equal(median([4, 1, 3, 2]), 2);
  });
  test('ignores NaN and is NaN for no values', () => {
    assert.equal(median([NaN, 7]), 7);
    assert.ok(Number.isNaN(median([])));
  });
});

describe('Histogram', () => {
  test('percentiles are within 2.2 % of the exact sample', () => {
    const h = new Histogram();
    const xs = Array.from({ length: 10_000 }, (_, i) => 1 + i * 3.7);
    for (const x of xs) h.record(x);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = xs[Math.ceil((xs.length * p) / 100) - 1] as number;
      const got = h.percentile(p);
      assert.ok(Math.abs(got - exact) / exact < 0.022, `p${p}: ${got} vs ${exact}`);
    }
  });
  test('never reports more than the largest sample', () => {
    const h = new Histogram();
    h.record(1000);
    assert.equal(h.percentile(100), 1000);
    assert.equal(h.percentile(50), 1000);
  });
  test('puts values at or below 1 in the first bucket and is NaN when empty', () => {
    const h = new Histogram();
    assert.ok(Number.isNaN(h.percentile(50)));
    h.record(0);
    h.record(0.5);
    assert.equal(h.total, 2);
    assert.ok(h.percentile(99) <= 1);
  });
  test('merging equals recording everything in one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 1; i <= 500; i++) {
      (i % 2 === 0 ? a : b).record(i * 11);
      all.record(i * 11);
    }
    a.merge(b);
    assert.equal(a.total, all.total);
    assert.equal(a.max, all.max);
    for (const p of [1, 50, 99]) assert.equal(a.percentile(p), all.percentile(p));
  });
  test('survives a trip through JSON', () => {
    const h = new Histogram();
    for (let i = 1; i < 100; i++) h.record(i * i);
    const back = Histogram.fromJSON(
      JSON.parse(JSON.stringify(h)) as { counts: number[]; max: number },
    );
    assert.equal(back.total, h.total);
    assert.equal(back.percentile(99), h.percentile(99));
  });
});
