import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore, openEtcdStore, startLocalEtcd } from '@clusnotify/store';
import type { Commit, LocalEtcd, StateStore } from '@clusnotify/store';
import { doc, input, rejectsWith, runContractSuite } from './contract.js';

let etcd: LocalEtcd;
before(async () => {
  etcd = await startLocalEtcd();
});
after(() => etcd.stop());
let stores = 0;
/** Every store gets its own prefix in the one etcd: a fresh, empty store each time. */
const freshPrefix = (): string => `/test-${process.pid}-${++stores}/`;

runContractSuite('EtcdStore (etcd v3 on loopback)', (options) =>
  openEtcdStore({ hosts: etcd.urls, prefix: freshPrefix(), ...options }),
);

/** Follows `store` from `after` until it has `count` commits. */
async function collect(store: StateStore, after: number, count: number): Promise<Commit[]> {
  const seen: Commit[] = [];
  for await (const commit of store.follow(after, { signal: AbortSignal.timeout(20_000) })) {
    seen.push(commit);
    if (seen.length === count) break;
  }
  return seen;
}

describe('EtcdStore shared by several daemons', () => {
  test('openEtcdStore gives an etcd store at the revision the prefix holds', async () => {
    const prefix = freshPrefix();
    const first = await openEtcdStore({ hosts: etcd.urls.join(','), prefix });
    assert.ok(first instanceof EtcdStore);
    assert.equal(first.kind, 'etcd');
    await first.commit(input({ puts: [doc('k', 'a', 1)] }));
    await first.commit(input({ puts: [doc('k', 'a', 2)] }));
    await first.close();
    const again = await openEtcdStore({ hosts: etcd.urls, prefix });
    assert.equal(await again.revision(), 2);
    assert.deepEqual(await again.get({ kind: 'k', id: 'a' }), doc('k', 'a', 2));
    assert.equal((await again.commit(input({}))).revision, 3);
    await again.close();
  });

  test('two stores committing against the same revision never both win', async () => {
    const prefix = freshPrefix();
    const a = await openEtcdStore({ hosts: etcd.urls, prefix });
    const b = await openEtcdStore({ hosts: etcd.urls, prefix });
    try {
      for (let round = 0; round < 20; round++) {
        const expectRevision = round;
        const results = await Promise.allSettled([
          a.commit(input({ puts: [doc('race', 'winner', 'a')], changes: ['a'] }), {
            expectRevision,
          }),
          b.commit(input({ puts: [doc('race', 'winner', 'b')], changes: ['b'] }), {
            expectRevision,
          }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}: exactly one wins`);
        const lost = results.find((r) => r.status === 'rejected');
        assert.ok(lost?.status === 'rejected');
        assert.equal((lost.reason as { code?: unknown }).code, 'STORE_CONFLICT');
        // Both stores now know the new head (the loser learned it from its failed transaction).
        const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
        assert.equal(winner?.revision, round + 1);
        const other = winner?.changes[0] === 'a' ? b : a;
        await collect(other, round, 1);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('commits from several stores get consecutive revisions and every store follows them in the same order', async () => {
    const prefix = freshPrefix();
    const writers = await Promise.all(
      [1, 2, 3].map(() => openEtcdStore({ hosts: etcd.urls, prefix })),
    );
    try {
      const followed = writers.map((w) => collect(w, 0, 300));
      const made = await Promise.all(
        writers.flatMap((w, i) =>
          Array.from({ length: 100 }, (_, n) =>
            w.commit(input({ puts: [doc('n', `${i}-${n % 7}`, n)], changes: [`${i}:${n}`] })),
          ),
        ),
      );
      assert.deepEqual(
        made.map((c) => c.revision).sort((x, y) => x - y),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      const [first, ...rest] = await Promise.all(followed);
      assert.deepEqual(
        first?.map((c) => c.revision),
        Array.from({ length: 300 }, (_, i) => i + 1),
      );
      for (const other of rest) assert.deepEqual(other, first);
      // Each writer's own commits keep their call order.
      for (const i of [0, 1, 2]) {
        const mine: string[] = (first ?? [])
          .map((c) => c.changes[0] as string)
          .filter((c) => c.startsWith(`${i}:`));
        assert.deepEqual(
          mine,
          Array.from({ length: 100 }, (_, n) => `${i}:${n}`),
        );
      }
      const snapshots = await Promise.all(writers.map((w) => w.snapshot()));
      for (const s of snapshots) assert.deepEqual(s, snapshots[0]);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  test('an etcd that does not answer at open is STORE_UNAVAILABLE, naming the URL', async () => {
    const started = Date.now();
    await rejectsWith(
      openEtcdStore({ hosts: 'http://127.0.0.1:9', connectTimeoutMs: 1_000 }),
      'STORE_UNAVAILABLE',
      /cannot reach etcd at http:\/\/127\.0\.0\.1:9/,
    );
    assert.ok(Date.now() - started < 10_000);
  });

  test('bad options are refused with STORE_INVALID', async () => {
    await rejectsWith(openEtcdStore({ hosts: 'localhost:2379' }), 'STORE_INVALID', /hosts/);
    await rejectsWith(openEtcdStore({ hosts: [] }), 'STORE_INVALID', /hosts/);
    await rejectsWith(openEtcdStore({ hosts: 'http://127.0.0.1:' }), 'STORE_INVALID', /hosts/);
    await rejectsWith(openEtcdStore({ hosts: etcd.urls, prefix: '' }), 'STORE_INVALID', /prefix/);
  });

  test('a transaction bigger than etcd allows is split, learning the limit', async () => {
    const small = await startLocalEtcd({ maxTxnOps: 128 });
    const store = await openEtcdStore({ hosts: small.urls, maxTxnOps: 10_000 });
    try {
      const made = await Promise.all(
        Array.from({ length: 500 }, (_, n) =>
          store.commit(input({ puts: [doc('n', `${n}`, n)], changes: [n] })),
        ),
      );
      assert.deepEqual(
        made.map((c) => c.revision),
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
      assert.equal((await store.snapshot()).objects.length, 500);
    } finally {
      await store.close();
      await small.stop();
    }
  });
});
