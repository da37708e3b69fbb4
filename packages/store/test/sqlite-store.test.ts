import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, StoreError, openSqliteStore } from '@clusnotify/store';
import type { Commit, StoreErrorCode } from '@clusnotify/store';
import { doc, input, rejectsWith, runContractSuite, sorted } from './contract.js';

const root = await mkdtemp(join(tmpdir(), 'clusnotify-sqlite-test-'));
after(() => rm(root, { recursive: true, force: true }));
let stores = 0;
/** A path for a new database file in its own directory, removed when the tests end. */
const freshPath = (): string => join(root, `store-${++stores}`, 'state.db');

runContractSuite('SqliteStore (file, WAL, synchronous = FULL)', (options) =>
  openSqliteStore({ path: freshPath(), ...options }),
);

async function rejectsOpen(promise: Promise<unknown>, code: StoreErrorCode, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('SqliteStore', () => {
  test('openSqliteStore creates the file and its directory', async () => {
    const path = join(root, 'created', 'deeper', 'state.db');
    const store = await openSqliteStore({ path });
    assert.ok(store instanceof SqliteStore);
    assert.equal(store.kind, 'sqlite');
    assert.equal(store.path, path);
    await store.close();
    assert.ok((await readdir(join(root, 'created', 'deeper'))).includes('state.db'));
  });

  test('a reopened file holds every committed document, commit and the revision, and continues the sequence', async () => {
    const path = freshPath();
    const first = await openSqliteStore({ path });
    const made: Commit[] = [];
    for (let n = 1; n <= 20; n++)
      made.push(
        await first.commit(
          input({
            puts: [doc('counter', 'c', n), doc('item', `i${n % 4}`, { n })],
            deletes: n % 5 === 0 ? [{ kind: 'item', id: `i${(n + 1) % 4}` }] : [],
            changes: [{ type: 'count', n }],
          }),
        ),
      );
    made.push(...(await Promise.all([1, 2, 3].map(() => first.commit(input({ changes: ['b'] }))))));
    const snapshot = await first.snapshot();
    await first.close();

    const again = await openSqliteStore({ path });
    assert.equal(await again.revision(), 23);
    assert.equal(await again.oldestRevision(), 1);
    const reread = await again.snapshot();
    assert.equal(reread.revision, 23);
    assert.deepEqual(sorted(reread.objects), sorted(snapshot.objects));
    assert.deepEqual(await again.readSince(0), { type: 'commits', commits: made });
    assert.equal((await again.commit(input({ changes: ['after restart'] }))).revision, 24);
    await again.close();
  });

  test('revisions continue after a restart even when the whole log was compacted', async () => {
    const path = freshPath();
    const first = await openSqliteStore({ path });
    for (let n = 1; n <= 7; n++) await first.commit(input({ puts: [doc('counter', 'c', n)] }));
    await first.compact(7);
    await first.close();

    const again = await openSqliteStore({ path });
    assert.equal(await again.revision(), 7);
    assert.equal(await again.oldestRevision(), 8);
    assert.deepEqual(await again.readSince(6), { type: 'compacted', oldestRevision: 8 });
    assert.deepEqual(await again.get({ kind: 'counter', id: 'c' }), doc('counter', 'c', 7));
    assert.equal((await again.commit(input({}))).revision, 8);
    await again.close();
  });

  test('retention applied by commits survives a restart', async () => {
    const path = freshPath();
    const first = await openSqliteStore({ path, retainCommits: 5 });
    await Promise.all(Array.from({ length: 12 }, () => first.commit(input({ changes: [1] }))));
    assert.equal(await first.oldestRevision(), 8);
    await first.close();
    const again = await openSqliteStore({ path, retainCommits: 5 });
    assert.equal(await again.oldestRevision(), 8);
    await again.close();
  });

  test('a second store on the same file is refused with STORE_UNAVAILABLE while the first is open', async () => {
    const path = freshPath();
    const first = await openSqliteStore({ path });
    await first.commit(input({ changes: ['x'] }));
    await rejectsOpen(openSqliteStore({ path }), 'STORE_UNAVAILABLE', /locked/);
    await first.close();
    // Also when the first store has only read the file so far.
    const reader = await openSqliteStore({ path });
    await rejectsOpen(openSqliteStore({ path }), 'STORE_UNAVAILABLE', /locked/);
    assert.equal(await reader.revision(), 1);
    await reader.close();
    const second = await openSqliteStore({ path });
    assert.equal(await second.revision(), 1);
    await second.close();
  });

  test('a file that is not a store is refused with STORE_UNAVAILABLE', async () => {
    const path = join(root, 'not-a-database.db');
    await writeFile(path, 'this is not SQLite '.repeat(100));
    await rejectsOpen(openSqliteStore({ path }), 'STORE_UNAVAILABLE', /not a database/);
  });

  test('bad options are refused with STORE_INVALID', async () => {
    await rejectsOpen(openSqliteStore({ path: '' }), 'STORE_INVALID', /path/);
    await rejectsOpen(
      openSqliteStore({ path: freshPath(), retainCommits: 0 }),
      'STORE_INVALID',
      /retainCommits/,
    );
  });

  test("':memory:' gives a working, private store", async () => {
    const a = await openSqliteStore({ path: ':memory:' });
    const b = await openSqliteStore({ path: ':memory:' });
    await a.commit(input({ puts: [doc('k', 'a', 1)] }));
    assert.equal(await b.revision(), 0);
    assert.deepEqual(await a.get({ kind: 'k', id: 'a' }), doc('k', 'a', 1));
    await Promise.all([a.close(), b.close()]);
  });

  test('a commit still queued when close is called is written before the file is released', async () => {
    const path = freshPath();
    const store = await openSqliteStore({ path });
    const pending = Array.from({ length: 30 }, (_, n) =>
      store.commit(input({ puts: [doc('n', `${n}`, n)] })),
    );
    await store.close();
    assert.deepEqual(
      (await Promise.all(pending)).map((c) => c.revision),
      Array.from({ length: 30 }, (_, n) => n + 1),
    );
    const again = await openSqliteStore({ path });
    assert.equal((await again.snapshot()).objects.length, 30);
    await again.close();
    await rejectsWith(store.revision(), 'STORE_CLOSED');
  });
});
