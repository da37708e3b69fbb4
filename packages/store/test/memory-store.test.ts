import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, StoreError, createMemoryStore } from '@clusnotify/store';
import { runContractSuite } from './contract.js';

runContractSuite('MemoryStore', (options) => Promise.resolve(createMemoryStore(options)));

describe('MemoryStore', () => {
  test('createMemoryStore gives an open, empty memory store', async () => {
    const store = createMemoryStore();
    assert.ok(store instanceof MemoryStore);
    assert.equal(store.kind, 'memory');
    assert.equal(await store.revision(), 0);
    await store.close();
  });

  test('a retainCommits that is not a positive integer is refused with STORE_INVALID', () => {
    for (const retainCommits of [0, -1, 1.5, Number.NaN])
      assert.throws(
        () => createMemoryStore({ retainCommits }),
        (error: unknown) =>
          error instanceof StoreError &&
          error.code === 'STORE_INVALID' &&
          /retainCommits/.test(error.message),
      );
  });

  test('documents and commits handed out are frozen, so no reader can change the store', async () => {
    await using store = createMemoryStore();
    const commit = await store.commit({
      puts: [{ kind: 'k', id: 'a', value: { list: [1] } }],
      deletes: [],
      changes: [{ n: 1 }],
    });
    assert.ok(Object.isFrozen(commit) && Object.isFrozen(commit.puts[0]?.value));
    const got = await store.get({ kind: 'k', id: 'a' });
    assert.throws(() => {
      (got?.value as { list: number[] }).list.push(2);
    }, TypeError);
    assert.deepEqual((await store.get({ kind: 'k', id: 'a' }))?.value, { list: [1] });
  });
});
