import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterChange, ClusterObjectType } from '@clusnotify/protocol';
import { NotificationEngine } from '@clusnotify/core';
import type { PortReader, TakeResult } from '@clusnotify/core';
import { assertFailure, assertOk, drainV1, ev1, openPort, setup } from './helpers.js';

const { GROUP_STATE, GROUP_ADDED, RESOURCE_STATE } = ClusterChange;

describe('port table (§3.1.4.2.56 ApiCreateNotify, §3.1.4.2.136 ApiCreateNotifyV2)', () => {
  test('handles are opaque 128-bit random strings, distinct per port', () => {
    const { engine } = setup();
    const handles = new Set<string>();
    for (let i = 0; i < 200; i++) handles.add(openPort(engine, i % 2 === 0 ? 1 : 2));
    assert.equal(handles.size, 200);
    for (const h of handles) assert.match(h, /^[0-9a-f]{32}$/);
  });

  test('a port of version 3 is refused with INVALID_VERSION', () => {
    const { engine } = setup();
    assertFailure(engine.createPort(3 as 1), 0x57, 'INVALID_VERSION');
  });

  test('the port limit gives PORT_LIMIT (ERROR_NOT_ENOUGH_MEMORY) and a closed port frees its place', () => {
    const { engine } = setup({ maxPorts: 2 });
    const a = openPort(engine, 1);
    openPort(engine, 2);
    assertFailure(engine.createPort(1), 0x8, 'PORT_LIMIT');
    assertOk(engine.close(a));
    openPort(engine, 1);
  });

  test('listening names the versions of the open ports; a published revision counts without events', () => {
    const { engine } = setup();
    assert.equal(engine.listening, 0);
    const a = openPort(engine, 1);
    assert.equal(engine.listening, 1);
    const b = openPort(engine, 2);
    const c = openPort(engine, 2);
    assert.equal(engine.listening, 3);
    assertOk(engine.close(a));
    assert.equal(engine.listening, 2);
    assertOk(engine.unblock(b));
    assertOk(engine.close(b));
    assert.equal(engine.listening, 2, 'one version-2 port is still open');
    assertOk(engine.close(c));
    assertFailure(engine.close(c), 0x6, 'PORT_NOT_FOUND');
    assert.equal(engine.listening, 0);
    engine.publish([], 9);
    assert.equal(engine.lastRevision, 9);
    engine.publish([], 5);
    assert.equal(engine.lastRevision, 9, 'never backwards');
  });

  test('nothing is queued before the first filter is registered (§3.1.1.8)', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    engine.publish([ev1(GROUP_ADDED, 'g1', 'Group1')]);
    assert.deepEqual(drainV1(engine, h), []);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_ADDED, notifyKey: 1 }));
    engine.publish([ev1(GROUP_ADDED, 'g2', 'Group2')]);
    assert.deepEqual(
      drainV1(engine, h).map((i) => i.name),
      ['Group2'],
    );
  });

  test('an unknown handle gives PORT_NOT_FOUND (ERROR_INVALID_HANDLE) on every call', async () => {
    const { engine } = setup();
    const bogus = '0'.repeat(32);
    assertFailure(
      engine.addClusterFilter(bogus, { filter: GROUP_STATE, notifyKey: 1 }),
      6,
      'PORT_NOT_FOUND',
    );
    assertFailure(await engine.next(bogus, { timeoutMs: 0 }), 6, 'PORT_NOT_FOUND');
    assertFailure(await engine.take(bogus), 6, 'PORT_NOT_FOUND');
    assertFailure(engine.unblock(bogus), 6, 'PORT_NOT_FOUND');
    assertFailure(engine.close(bogus), 6, 'PORT_NOT_FOUND');
    assertFailure(engine.close(42 as unknown as string), 6, 'PORT_NOT_FOUND');
  });

  test('a v1 method on a v2 port, and a v2 method on a v1 port, give WRONG_PORT_VERSION (0x6)', () => {
    const { engine } = setup();
    const p1 = openPort(engine, 1);
    const p2 = openPort(engine, 2);
    assertFailure(
      engine.addClusterFilter(p2, { filter: GROUP_STATE, notifyKey: 1 }),
      6,
      'WRONG_PORT_VERSION',
    );
    assertFailure(
      engine.addFilterV2(p1, {
        objectType: ClusterObjectType.GROUP,
        filterFlags: 0x8,
        notifyKey: 1,
      }),
      6,
      'WRONG_PORT_VERSION',
    );
  });
});

describe('blocking reads (§3.1.4.2.66 ApiGetNotify, §2.4 GetNotify timer)', () => {
  test('a parked read completes when an indication arrives', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    const pending = engine.next(h);
    engine.publish([ev1(GROUP_STATE, 'g1', 'Group1', { stateSequence: 3 })]);
    const r = await pending;
    assert.equal(r.type, 'indication');
    if (r.type !== 'indication') return;
    assert.deepEqual(r.indication, {
      version: 1,
      notifyKey: 7,
      filter: GROUP_STATE,
      name: 'Group1',
      stateSequence: 3,
      revision: r.indication.revision,
      lost: undefined,
    });
  });

  test('a read with a timeout completes with WAIT_TIMEOUT (0x102) when the clock passes it', async () => {
    const { engine, clock } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    const pending = engine.next(h, { timeoutMs: 500 });
    clock.advance(499);
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false);
    clock.advance(1);
    assert.deepEqual(await pending, { type: 'timeout', status: 0x102 });
    assert.equal(clock.pendingTimers, 0);
  });

  test('timeoutMs 0 on an empty queue answers WAIT_TIMEOUT at once', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assert.deepEqual(await engine.next(h, { timeoutMs: 0 }), { type: 'timeout', status: 0x102 });
  });

  test('a NaN or negative timeout gives INVALID_TIMEOUT and leaves the queue as it was', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    engine.publish([ev1(GROUP_STATE, 'g1', 'Group1')]);
    assertFailure(await engine.next(h, { timeoutMs: Number.NaN }), 0x57, 'INVALID_TIMEOUT');
    assertFailure(await engine.next(h, { timeoutMs: -1 }), 0x57, 'INVALID_TIMEOUT');
    assertFailure(await engine.take(h, { max: 0 }), 0x57, 'INVALID_ARGUMENT');
    assert.equal(drainV1(engine, h).length, 1);
  });

  test('an aborted read rejects with the signal reason and loses nothing', async () => {
    const { engine, clock } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    const ac = new AbortController();
    const pending = engine.next(h, { timeoutMs: 1000, signal: ac.signal });
    const reason = new Error('stop');
    ac.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(clock.pendingTimers, 0);
    engine.publish([ev1(GROUP_STATE, 'g1', 'Group1')]);
    assert.equal(drainV1(engine, h).length, 1);
    await assert.rejects(engine.next(h, { signal: ac.signal }), (e) => e === reason);
  });

  test('several parked readers are served first-come first-served', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    const a = engine.next(h);
    const b = engine.next(h);
    engine.publish([ev1(GROUP_STATE, 'g1', 'first')]);
    engine.publish([ev1(GROUP_STATE, 'g1', 'second')]);
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(ra.type === 'indication' && ra.indication.name, 'first');
    assert.equal(rb.type === 'indication' && rb.indication.name, 'second');
  });

  test('take returns the queued indications in order, at most max, at least one', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    engine.publish(['a', 'b', 'c', 'd', 'e'].map((n) => ev1(GROUP_STATE, 'g1', n)));
    const r = await engine.take(h, { max: 3 });
    assert.equal(r.type, 'indications');
    if (r.type !== 'indications') return;
    assert.deepEqual(
      r.indications.map((i) => i.name),
      ['a', 'b', 'c'],
    );
    const rest = await engine.take(h);
    assert.deepEqual(rest.type === 'indications' && rest.indications.map((i) => i.name), [
      'd',
      'e',
    ]);
  });

  test('a parked take completes after the publish that fed it, with everything that publish queued', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: RESOURCE_STATE, notifyKey: 1 }));
    const pending = engine.take(h);
    engine.publish(Array.from({ length: 10 }, (_, i) => ev1(RESOURCE_STATE, 'r1', `s${i}`)));
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'later')]);
    const r = await pending;
    assert.deepEqual(r.type === 'indications' && r.indications.map((i) => i.name), [
      's0',
      's1',
      's2',
      's3',
      's4',
      's5',
      's6',
      's7',
      's8',
      's9',
    ]);
    assert.deepEqual(
      drainV1(engine, h).map((i) => i.name),
      ['later'],
    );
  });
});

describe('unblock and close (§3.1.4.2.107 ApiUnblockGetNotifyCall, §3.1.4.2.57 ApiCloseNotify)', () => {
  test('unblock completes every parked read with ERROR_INVALID_FUNCTION, later reads get ERROR_NO_MORE_ITEMS', async () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    const a = engine.next(h);
    const b = engine.take(h, { timeoutMs: 10_000 });
    assertOk(engine.unblock(h));
    assert.deepEqual(await a, { type: 'interrupted', status: 1 });
    assert.deepEqual(await b, { type: 'interrupted', status: 1 });
    assert.deepEqual(await engine.next(h), { type: 'unblocked', status: 0x103 });
    assert.deepEqual(engine.takeNow(h), { type: 'unblocked', status: 0x103 });
    assertOk(engine.unblock(h));
    assertFailure(
      engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 1 }),
      0x103,
      'PORT_UNBLOCKED',
    );
    engine.publish([ev1(GROUP_STATE, 'g1', 'Group1')]);
    assert.equal(engine.stats().queued, 0);
    assertOk(engine.close(h));
  });

  test('close completes parked reads with ERROR_INVALID_FUNCTION, discards the queue and invalidates the handle', async () => {
    const { engine, clock } = setup();
    const h = openPort(engine, 1);
    const other = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    assertOk(engine.addClusterFilter(other, { filter: GROUP_STATE, notifyKey: 8 }));
    const parked = engine.next(other, { timeoutMs: 100 });
    engine.publish([ev1(GROUP_STATE, 'g1', 'Group1'), ev1(GROUP_STATE, 'g1', 'Group1')]);
    // `other` got its indication; `h` has two queued.
    assert.equal((await parked).type, 'indication');
    const waiting = engine.next(h, { timeoutMs: 0 });
    assert.equal((await waiting).type, 'indication');
    const parked2 = engine.take(h, { timeoutMs: 1000 });
    assert.equal((await parked2).type, 'indications');
    const parked3 = engine.next(h, { timeoutMs: 1000 });
    assertOk(engine.close(h));
    assert.deepEqual(await parked3, { type: 'interrupted', status: 1 });
    assert.equal(clock.pendingTimers, 0);
    assertFailure(await engine.next(h), 6, 'PORT_NOT_FOUND');
    assertFailure(engine.close(h), 6, 'PORT_NOT_FOUND');
    assert.equal(engine.stats().ports, 1);
    assert.equal(engine.stats().filters, 1);
  });

  test('closing a port with a backlog releases it from the engine counters', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 7 }));
    engine.publish([ev1(GROUP_STATE, 'g1', 'a'), ev1(GROUP_STATE, 'g1', 'b')]);
    assert.equal(engine.stats().queued, 2);
    assertOk(engine.close(h));
    assert.deepEqual(
      { ...engine.stats(), lastRevision: 0 },
      { ports: 0, filters: 0, queued: 0, queuedTotal: 2, dropped: 0, taken: 0, lastRevision: 0 },
    );
  });

  test('filters of closed ports stop matching and are compacted out of the index', () => {
    const { engine } = setup();
    const keep = openPort(engine, 1);
    assertOk(engine.addClusterFilter(keep, { filter: GROUP_STATE, notifyKey: 1 }));
    for (let i = 0; i < 100; i++) {
      const h = openPort(engine, 1);
      assertOk(engine.addClusterFilter(h, { filter: GROUP_STATE, notifyKey: 2 }));
      assertOk(
        engine.addObjectFilter(h, {
          objectType: ClusterObjectType.GROUP,
          objectId: 'g1',
          filter: GROUP_STATE,
          notifyKey: 3,
        }),
      );
      assertOk(engine.close(h));
    }
    assert.equal(engine.publish([ev1(GROUP_STATE, 'g1', 'Group1')]), 1);
    assert.equal(drainV1(engine, keep).length, 1);
  });
});

test('the default clock and random source of the host are used when none is given', async () => {
  const engine = new NotificationEngine();
  const r = engine.createPort(1);
  assert.equal(r.type, 'ok');
  if (r.type !== 'ok') return;
  const t0 = Date.now();
  assert.deepEqual(await engine.next(r.handle, { timeoutMs: 20 }), {
    type: 'timeout',
    status: 0x102,
  });
  assert.ok(Date.now() - t0 >= 15);
  assertOk(engine.close(r.handle));
});

test('invalid engine options are refused at construction', () => {
  assert.throws(() => new NotificationEngine({ maxQueuedPerPort: 0 }), RangeError);
  assert.throws(() => new NotificationEngine({ maxPorts: 1.5 }), RangeError);
});

describe('stream readers (takeOrPark, for a transport that streams a port)', () => {
  /** A reader that records what it was completed with. */
  function reader(max: number): PortReader & { results: TakeResult[] } {
    const results: TakeResult[] = [];
    return { max, results, complete: (r) => results.push(r) };
  }
  const names = (r: TakeResult | undefined): string[] =>
    r?.type === 'indications' ? r.indications.map((i) => (i as { name: string }).name) : [];

  test('takeOrPark takes what is queued at once, at most max, without parking', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: RESOURCE_STATE, notifyKey: 1 }));
    engine.publish([1, 2, 3].map((i) => ev1(RESOURCE_STATE, 'r1', `s${i}`)));
    const rd = reader(2);
    assert.deepEqual(names(engine.takeOrPark(h, rd)), ['s1', 's2']);
    assert.deepEqual(names(engine.takeOrPark(h, rd)), ['s3']);
    assert.deepEqual(rd.results, []);
    const info = engine.portInfo(h);
    assert.ok(info.type === 'ok' && info.info.parked === 0);
  });

  test('onTake hears of every take that moved indications, however the reader took them', async () => {
    const took: string[] = [];
    const { engine } = setup({ onTake: (h) => took.push(h) });
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: RESOURCE_STATE, notifyKey: 1 }));
    assert.deepEqual(names(engine.takeOrPark(h, reader(4)) ?? undefined), []);
    assert.deepEqual(took, [], 'parking takes nothing');
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'a')]);
    assert.deepEqual(took, [h], 'the parked read completed by the publish');
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'b'), ev1(RESOURCE_STATE, 'r1', 'c')]);
    assert.deepEqual(names(engine.takeNow(h, 1)), ['b']);
    assert.equal((await engine.take(h, { timeoutMs: 0 })).type, 'indications');
    assert.deepEqual(took, [h, h, h], 'takeNow and take');
    assert.equal((await engine.take(h, { timeoutMs: 0 })).type, 'timeout');
    assert.deepEqual(names(engine.takeNow(h, 5)), []);
    assert.deepEqual(took, [h, h, h], 'takes of an empty port are not reported');
  });

  test('on an empty port the reader parks, and the next publish completes it once with what it queued', () => {
    const { engine, clock } = setup();
    const h = openPort(engine, 2);
    const p1 = openPort(engine, 1);
    assertOk(engine.addClusterFilter(p1, { filter: RESOURCE_STATE, notifyKey: 1 }));
    const rd = reader(10);
    assert.equal(engine.takeOrPark(p1, rd), undefined);
    const info = engine.portInfo(p1);
    assert.ok(info.type === 'ok' && info.info.parked === 1, 'counted as a parked read');
    assert.equal(clock.pendingTimers, 0, 'no timer');
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'a'), ev1(RESOURCE_STATE, 'r1', 'b')]);
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'c')]);
    assert.equal(rd.results.length, 1, 'completed once, synchronously, by the first publish');
    assert.deepEqual(names(rd.results[0]), ['a', 'b']);
    assert.deepEqual(names(engine.takeOrPark(p1, rd)), ['c']);
    assertOk(engine.close(h));
  });

  test('unblock and close complete a parked reader with interrupted; unblocked and unknown ports answer at once', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    const rd = reader(4);
    assert.equal(engine.takeOrPark(h, rd), undefined);
    assertOk(engine.unblock(h));
    assert.deepEqual(rd.results, [{ type: 'interrupted', status: 1 }]);
    assert.deepEqual(engine.takeOrPark(h, rd), { type: 'unblocked', status: 0x103 });
    const other = openPort(engine, 1);
    const rd2 = reader(4);
    assert.equal(engine.takeOrPark(other, rd2), undefined);
    assertOk(engine.close(other));
    assert.deepEqual(rd2.results, [{ type: 'interrupted', status: 1 }]);
    assertFailure(engine.takeOrPark(other, rd2) as TakeResult, 6, 'PORT_NOT_FOUND');
  });

  test('an unparked reader is not completed by later publishes, and its indications stay queued', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: RESOURCE_STATE, notifyKey: 1 }));
    const rd = reader(4);
    assert.equal(engine.takeOrPark(h, rd), undefined);
    engine.unparkReader(h, rd);
    engine.unparkReader(h, rd); // not parked: nothing happens
    engine.publish([ev1(RESOURCE_STATE, 'r1', 'x')]);
    assert.deepEqual(rd.results, []);
    assert.deepEqual(
      drainV1(engine, h).map((i) => i.name),
      ['x'],
    );
  });
});
