import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { startIdleCollector } from '@clusnotify/server';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A stand-in for the event loop's utilisation that reports `busy()` at each look, with a wait
 * for `n` more looks of the collector (each interval reads the utilisation twice).
 */
function standInLoop(busy: () => number): {
  utilization: (last?: EventLoopUtilization) => EventLoopUtilization;
  looks: (n: number) => Promise<void>;
  readonly ticks: number;
} {
  let ticks = 0;
  return {
    utilization: (last?: EventLoopUtilization): EventLoopUtilization => {
      ticks++;
      return { idle: 0, active: 0, utilization: last === undefined ? 0 : busy() };
    },
    looks: async (n: number): Promise<void> => {
      const until = ticks + 2 * n;
      while (ticks < until) await sleep(5);
    },
    get ticks() {
      return ticks;
    },
  };
}

test('an idle process with a grown young generation collects it; a busy or small one does not (D50)', async () => {
  let busy = 0.01;
  let young = 32 * 1024 * 1024;
  let collected = 0;
  const loop = standInLoop(() => busy);
  const { looks } = loop;
  const c = startIdleCollector({
    intervalMs: 10,
    collect: () => {
      collected++;
      young = 1024 * 1024; // V8 gave the space back
    },
    youngBytes: () => young,
    utilization: loop.utilization,
  });
  assert.ok(c !== undefined);
  try {
    await looks(3);
    assert.equal(collected, 1, 'collected once, then the space was small');
    assert.equal(c.collections, 1);
    busy = 0.5;
    young = 32 * 1024 * 1024;
    await looks(3);
    assert.equal(collected, 1, 'not while the event loop is busy');
    busy = 0.01;
    await looks(3);
    assert.equal(collected, 2, 'again once idle');
  } finally {
    c.stop();
  }
  const stoppedAt = loop.ticks;
  young = 32 * 1024 * 1024;
  await sleep(50);
  assert.equal(loop.ticks, stoppedAt, 'no look after stop');
  assert.equal(collected, 2);
});

test('a quiet process compacts its old generation once after start and once after each growth; a busy, merely idle or unchanged one does not (D57)', async () => {
  const MiB = 1024 * 1024;
  let busy = 0.02;
  let old = 40 * MiB;
  let compacted = 0;
  let collected = 0;
  const told: [number, number][] = [];
  const loop = standInLoop(() => busy);
  const { looks } = loop;
  const c = startIdleCollector({
    intervalMs: 10,
    collect: () => {
      collected++;
    },
    youngBytes: () => 0,
    compact: () => {
      compacted++;
      old = 42 * MiB; // what the burst left live, compacted
    },
    oldBytes: () => old,
    onCompaction: (x) => told.push([x.beforeBytes / MiB, x.afterBytes / MiB]),
    utilization: loop.utilization,
  });
  assert.ok(c !== undefined);
  try {
    await looks(4);
    assert.equal(compacted, 0, 'not while a trickle of work goes on (idle, not quiet)');
    busy = 0.001;
    await looks(4);
    assert.equal(compacted, 1, 'what starting up left, compacted at the first quiet stretch');
    old = 40 * MiB;
    await looks(4);
    assert.equal(compacted, 1, 'the old generation has not grown since');
    // A burst: 40 -> 60 MiB, while busy.
    busy = 0.5;
    old = 60 * MiB;
    await looks(4);
    assert.equal(compacted, 1, 'not while busy');
    // Idle (under 5 %) but not quiet (1 % and more): a trickle of work.
    busy = 0.02;
    await looks(4);
    assert.equal(compacted, 1, 'not while a trickle of work goes on');
    busy = 0.001;
    await looks(2);
    assert.equal(compacted, 1, 'not before three quiet looks in a row');
    await looks(2);
    assert.equal(compacted, 2, 'compacted once quiet');
    assert.equal(c.compactions, 2);
    await looks(4);
    assert.equal(compacted, 2, 'once: growth counts from the compacted size');
    // Less than an eighth more: no compaction.
    old = 46 * MiB;
    await looks(4);
    assert.equal(compacted, 2, 'grown by less than an eighth');
    // V8 shrank it itself; growth counts from the least size seen.
    old = 30 * MiB;
    await looks(1);
    old = 36 * MiB;
    await looks(4);
    assert.equal(compacted, 3, 'grown by a fifth since V8 shrank it');
    assert.equal(collected, 0, 'the young generation was small all along');
    assert.deepEqual(
      told,
      [
        [40, 42],
        [60, 42],
        [36, 42],
      ],
      'each compaction told with the sizes before and after (MiB)',
    );
  } finally {
    c.stop();
  }
});

test('without an exposed collector nothing starts', () => {
  assert.equal(
    typeof (globalThis as { gc?: unknown }).gc,
    'undefined',
    'tests run without --expose-gc',
  );
  assert.equal(startIdleCollector(), undefined);
});

test('in node with --expose-gc, an old generation left a third full by a burst is compacted once quiet (D57)', () => {
  const entry = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { startIdleCollector } = await import(${JSON.stringify(entry)});
    const old = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
    const c = startIdleCollector({ intervalMs: 100 });
    // Objects that live long enough to be promoted, then two in three of them dropped.
    let keep = [];
    for (let i = 0; i < 300000; i++) keep.push({ a: i, b: 'x' + i, c: [i] });
    gc();
    gc();
    keep = keep.filter((_, i) => i % 3 === 0);
    gc();
    const before = old();
    const t0 = Date.now();
    while (c.compactions === 0 && Date.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 100));
    c.stop();
    const after = old();
    console.log(JSON.stringify({ kept: keep.length, before: [before.space_size, before.space_used_size],
      after: [after.space_size, after.space_used_size], compactions: c.compactions }));
  `;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const r = JSON.parse(out) as {
    kept: number;
    before: [number, number];
    after: [number, number];
    compactions: number;
  };
  assert.equal(r.kept, 100000);
  assert.equal(r.compactions, 1, JSON.stringify(r));
  const [sizeBefore, usedBefore] = r.before;
  const [sizeAfter, usedAfter] = r.after;
  assert.ok(
    sizeBefore > 1.5 * usedBefore,
    `the burst left the pages fragmented: ${JSON.stringify(r)}`,
  );
  assert.ok(sizeAfter < 1.25 * usedAfter, `compacted: ${JSON.stringify(r)}`);
  assert.ok(sizeAfter < 0.75 * sizeBefore, `pages given back: ${JSON.stringify(r)}`);
});

test('in node with --expose-gc, the young generation grown by a burst is given back once idle', () => {
  const entry = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { startIdleCollector } = await import(${JSON.stringify(entry)});
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size;
    let keep = [];
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 20000; j++) keep.push({ a: j, b: 'x' + j });
      if (keep.length > 200000) keep = keep.slice(100000);
    }
    keep = null;
    const grown = young();
    const c = startIdleCollector({ intervalMs: 100 });
    const t0 = Date.now();
    while (young() > 4 * 1024 * 1024 && Date.now() - t0 < 15000) await new Promise((r) => setTimeout(r, 100));
    c.stop();
    console.log(JSON.stringify({ grown, after: young(), collections: c.collections }));
  `;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const r = JSON.parse(out) as { grown: number; after: number; collections: number };
  assert.ok(r.grown > 8 * 1024 * 1024, `the burst grew the young generation: ${JSON.stringify(r)}`);
  assert.ok(r.after <= 4 * 1024 * 1024, `given back: ${JSON.stringify(r)}`);
  assert.ok(r.collections >= 1);
});
