/**
 * The one contract suite every StateStore adapter passes (ARCHITECTURE.md: "one contract test
 * suite runs on all three"). An adapter's test file calls {@link runContractSuite} with a
 * factory that opens a fresh, empty store.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MAX_COMMIT_BYTES, MAX_DOCUMENT_BYTES, StoreError } from '@clusnotify/store';
import type {
  Commit,
  CommitInput,
  CommitOptions,
  JsonValue,
  StateStore,
  StoreErrorCode,
  StoredObject,
} from '@clusnotify/store';

/** Opens a fresh, empty store. */
export type StoreFactory = (options?: { retainCommits?: number }) => Promise<StateStore>;

/** Runs `body` on a fresh store and closes it afterwards, whatever happens. */
export async function withStore(
  factory: StoreFactory,
  body: (store: StateStore) => Promise<void>,
  options?: { retainCommits?: number },
): Promise<void> {
  const store = await factory(options);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** A commit input with the given parts (each empty unless given). */
export function input(parts: Partial<CommitInput>): CommitInput {
  return { puts: parts.puts ?? [], deletes: parts.deletes ?? [], changes: parts.changes ?? [] };
}

/** A put of `value` at (kind, id). */
export function doc(kind: string, id: string, value: JsonValue): StoredObject {
  return { kind, id, value };
}

/** Asserts that `promise` rejects with a StoreError of `code` (and a message matching `message`). */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: StoreErrorCode,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

/** Documents sorted by (kind, id), for order-free comparison. */
export function sorted(objects: readonly StoredObject[]): StoredObject[] {
  return [...objects].sort((a, b) =>
    a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? -1 : 1,
  );
}

/** The whole observable state of a store: revision, documents, log, oldest revision. */
async function observe(store: StateStore): Promise<unknown> {
  const snapshot = await store.snapshot();
  return {
    revision: await store.revision(),
    snapshotRevision: snapshot.revision,
    objects: sorted(snapshot.objects),
    log: await store.readSince((await store.oldestRevision()) - 1),
    oldest: await store.oldestRevision(),
  };
}

/** Iterates `follow(after)` until it has `count` commits, then stops. */
async function take(store: StateStore, after: number, count: number): Promise<Commit[]> {
  const commits: Commit[] = [];
  if (count === 0) return commits;
  for await (const commit of store.follow(after)) {
    commits.push(commit);
    if (commits.length === count) break;
  }
  return commits;
}

/** The revision of the iterator's next commit, or -1 when it is done. */
async function nextRevision(iterator: AsyncIterator<Commit>): Promise<number> {
  const result = await iterator.next();
  return result.done === true ? -1 : result.value.revision;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const counter = (n: number): CommitInput =>
  input({ puts: [doc('counter', 'c', n)], changes: [{ type: 'count', n }] });

/** Runs the StateStore contract against the stores `factory` opens. */
export function runContractSuite(name: string, factory: StoreFactory): void {
  describe(`${name} keeps the StateStore contract`, () => {
    describe('revisions and commits', () => {
      test('a new store is at revision 0 with no documents and an empty log', () =>
        withStore(factory, async (store) => {
          assert.equal(await store.revision(), 0);
          assert.deepEqual(await store.snapshot(), { revision: 0, objects: [] });
          assert.deepEqual(await store.readSince(0), { type: 'commits', commits: [] });
          assert.equal(await store.oldestRevision(), 1);
        }));

      test('revisions start at 1 and increase by one per commit', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 5)) {
            const commit = await store.commit(counter(n));
            assert.equal(commit.revision, n);
            assert.equal(await store.revision(), n);
          }
        }));

      test('a commit resolves with what it wrote under its revision', () =>
        withStore(factory, async (store) => {
          const written = input({
            puts: [doc('node', 'n1', { name: 'Node1', state: 'up' })],
            deletes: [{ kind: 'node', id: 'gone' }],
            changes: [{ type: 'node-state', id: 'n1' }, 'second record', 3],
          });
          assert.deepEqual(await store.commit(written), { revision: 1, ...written });
        }));

      test('a commit applies its puts, deletes and change records together', () =>
        withStore(factory, async (store) => {
          await store.commit(
            input({
              puts: [doc('group', 'a', 1), doc('group', 'b', 2), doc('resource', 'a', 3)],
              changes: [{ added: ['a', 'b'] }],
            }),
          );
          await store.commit(
            input({
              puts: [doc('group', 'b', 20), doc('group', 'd', 4)],
              deletes: [
                { kind: 'group', id: 'a' },
                { kind: 'group', id: 'never-there' },
              ],
              changes: [{ removed: 'a' }, { changed: 'b' }, { added: 'd' }],
            }),
          );
          const snapshot = await store.snapshot();
          assert.equal(snapshot.revision, 2);
          assert.deepEqual(sorted(snapshot.objects), [
            doc('group', 'b', 20),
            doc('group', 'd', 4),
            doc('resource', 'a', 3),
          ]);
          const log = await store.readSince(0);
          assert.equal(log.type, 'commits');
          assert.deepEqual(
            log.commits.map((c) => c.changes),
            [[{ added: ['a', 'b'] }], [{ removed: 'a' }, { changed: 'b' }, { added: 'd' }]],
          );
        }));

      test('a commit with nothing in it still takes a revision', () =>
        withStore(factory, async (store) => {
          assert.equal((await store.commit(input({}))).revision, 1);
          assert.deepEqual(await store.readSince(0), {
            type: 'commits',
            commits: [{ revision: 1, puts: [], deletes: [], changes: [] }],
          });
        }));

      test('values round-trip exactly: nesting, Unicode, numbers, empty containers', () =>
        withStore(factory, async (store) => {
          const value: JsonValue = {
            text: 'héllo 🌍 \u2028 "quoted" \\ \n',
            numbers: [0, -1.5e300, 2 ** 53 - 1, 5e-324, 123.456],
            flags: [true, false, null],
            empty: { array: [], object: {} },
            deep: [[[[{ leaf: 'x' }]]]],
            'key with spaces': 1,
            '': 'empty key',
            ['__proto__']: 'an own key, not a prototype',
          };
          await store.commit(input({ puts: [doc('k', 'id 🌍 with spaces', value)] }));
          assert.deepEqual(await store.get({ kind: 'k', id: 'id 🌍 with spaces' }), {
            kind: 'k',
            id: 'id 🌍 with spaces',
            value: JSON.parse(JSON.stringify(value)) as JsonValue,
          });
        }));

      test('a later change to the committed input does not reach the store', () =>
        withStore(factory, async (store) => {
          const value = { list: [1, 2] };
          const changes: JsonValue[] = [{ n: 1 }];
          await store.commit(input({ puts: [doc('k', 'a', value)], changes }));
          value.list.push(3);
          changes.push('late');
          assert.deepEqual((await store.get({ kind: 'k', id: 'a' }))?.value, { list: [1, 2] });
          const log = await store.readSince(0);
          assert.equal(log.type, 'commits');
          assert.deepEqual(log.commits[0]?.changes, [{ n: 1 }]);
        }));

      test('commits and documents handed out share their getters (no closures per entry)', () =>
        withStore(factory, async (store) => {
          // A getter made per entry is held by an accessor pair V8 keeps in the old generation,
          // which kept each commit's JSON alive through young-generation collections.
          const first = await store.commit(input({ puts: [doc('k', 'a', 1)], changes: [1] }));
          const second = await store.commit(input({ puts: [doc('k', 'b', 2)], changes: [2] }));
          const log = await store.readSince(0);
          assert.equal(log.type, 'commits');
          const [a, b] = [
            await store.get({ kind: 'k', id: 'a' }),
            await store.get({ kind: 'k', id: 'b' }),
          ];
          const getter = (o: object | undefined, key: string): unknown =>
            o === undefined
              ? 'missing'
              : (Object.getOwnPropertyDescriptor(o, key) as { get?: unknown } | undefined)?.get;
          for (const key of ['puts', 'deletes', 'changes']) {
            assert.equal(getter(first, key), getter(second, key), `commit ${key}`);
            assert.equal(getter(log.commits[0], key), getter(log.commits[1], key), `log ${key}`);
          }
          assert.equal(getter(a, 'value'), getter(b, 'value'));
          // Still plain to every reader: the same properties as a parsed copy.
          assert.deepEqual(second, {
            revision: 2,
            puts: [doc('k', 'b', 2)],
            deletes: [],
            changes: [2],
          });
          assert.deepEqual(a, doc('k', 'a', 1));
          assert.equal(JSON.stringify(b), JSON.stringify(doc('k', 'b', 2)));
        }));

      test('get returns one document, or undefined when it is missing or deleted', () =>
        withStore(factory, async (store) => {
          await store.commit(input({ puts: [doc('node', 'n1', 'up'), doc('node', 'n2', 'down')] }));
          assert.deepEqual(await store.get({ kind: 'node', id: 'n1' }), doc('node', 'n1', 'up'));
          assert.equal(await store.get({ kind: 'node', id: 'n3' }), undefined);
          assert.equal(await store.get({ kind: 'group', id: 'n1' }), undefined);
          await store.commit(input({ deletes: [{ kind: 'node', id: 'n1' }] }));
          assert.equal(await store.get({ kind: 'node', id: 'n1' }), undefined);
          await rejectsWith(store.get({ kind: '', id: 'n1' }), 'STORE_INVALID', /get\(key\)\.kind/);
        }));

      test('a snapshot holds every document exactly as of its revision, even amid commits', () =>
        withStore(factory, async (store) => {
          // states[r] is the model's documents at revision r.
          const states: Map<string, JsonValue>[] = [new Map<string, JsonValue>()];
          const inputFor = (r: number): CommitInput =>
            input({
              puts: [doc('d', `p${r % 7}`, r), doc('d', `q${r % 3}`, { r })],
              deletes: [{ kind: 'd', id: `p${(r + 3) % 7}` }],
            });
          for (const r of range(1, 60)) {
            const next = new Map(states[r - 1]);
            const i = inputFor(r);
            for (const k of i.deletes) next.delete(k.id);
            for (const p of i.puts) next.set(p.id, p.value);
            states.push(next);
          }
          const snapshots: Promise<{ revision: number; objects: readonly StoredObject[] }>[] = [];
          const commits: Promise<Commit>[] = [];
          for (const r of range(1, 60)) {
            commits.push(store.commit(inputFor(r)));
            if (r % 6 === 0) {
              snapshots.push(store.snapshot());
              await nextTurn();
            }
          }
          await Promise.all(commits);
          snapshots.push(store.snapshot());
          for (const snapshot of await Promise.all(snapshots)) {
            const expected = [...(states[snapshot.revision] ?? new Map<string, JsonValue>())]
              .map(([id, value]) => doc('d', id, value))
              .sort((a, b) => (a.id < b.id ? -1 : 1));
            assert.deepEqual(sorted(snapshot.objects), expected, `at ${snapshot.revision}`);
          }
          assert.equal((await Promise.all(snapshots)).at(-1)?.revision, 60);
        }));
    });

    describe('readSince and compaction', () => {
      test('readSince pages through the log in order, at most limit commits at a time', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 10)) await store.commit(counter(n));
          const revisions = async (after: number, limit?: number): Promise<number[]> => {
            const result = await store.readSince(after, limit);
            assert.equal(result.type, 'commits');
            return result.commits.map((c) => c.revision);
          };
          assert.deepEqual(await revisions(0, 3), [1, 2, 3]);
          assert.deepEqual(await revisions(3, 3), [4, 5, 6]);
          assert.deepEqual(await revisions(9, 100), [10]);
          assert.deepEqual(await revisions(0), range(1, 10));
          const result = await store.readSince(4, 1);
          assert.equal(result.type, 'commits');
          assert.deepEqual(result.commits, [{ revision: 5, ...counter(5) }]);
        }));

      test('readSince is empty at the current revision and refuses a revision beyond it', () =>
        withStore(factory, async (store) => {
          assert.deepEqual(await store.readSince(0), { type: 'commits', commits: [] });
          await store.commit(counter(1));
          assert.deepEqual(await store.readSince(1), { type: 'commits', commits: [] });
          await rejectsWith(store.readSince(2), 'STORE_INVALID', /beyond the current revision 1/);
          for (const bad of [-1, 0.5, Number.NaN, Infinity, '0' as unknown as number])
            await rejectsWith(store.readSince(bad), 'STORE_INVALID', /readSince\(after\)/);
          for (const bad of [0, -3, 1.5])
            await rejectsWith(store.readSince(0, bad), 'STORE_INVALID', /readSince\(limit\)/);
        }));

      test('readSince reports compaction when a commit after the asked revision is gone', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 10)) await store.commit(counter(n));
          await store.compact(4);
          assert.equal(await store.oldestRevision(), 5);
          assert.deepEqual(await store.readSince(3), { type: 'compacted', oldestRevision: 5 });
          assert.deepEqual(await store.readSince(0), { type: 'compacted', oldestRevision: 5 });
          const rest = await store.readSince(4);
          assert.equal(rest.type, 'commits');
          assert.deepEqual(
            rest.commits.map((c) => c.revision),
            range(5, 10),
          );
          assert.deepEqual(await store.readSince(10), { type: 'commits', commits: [] });
        }));

      test('compact forgets the log but keeps every document', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 5))
            await store.commit(input({ puts: [doc('d', `d${n}`, n)], changes: [n] }));
          const before = await store.snapshot();
          await store.compact(5);
          assert.equal(await store.oldestRevision(), 6);
          assert.deepEqual(await store.readSince(5), { type: 'commits', commits: [] });
          assert.deepEqual(await store.readSince(4), { type: 'compacted', oldestRevision: 6 });
          assert.deepEqual(sorted((await store.snapshot()).objects), sorted(before.objects));
          assert.equal((await store.commit(counter(6))).revision, 6);
          assert.equal(await store.oldestRevision(), 6);
          const after = await store.readSince(5);
          assert.equal(after.type, 'commits');
          assert.deepEqual(
            after.commits.map((c) => c.revision),
            [6],
          );
        }));

      test('compacting below the oldest revision does nothing; beyond the current one is refused', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 4)) await store.commit(counter(n));
          await store.compact(2);
          await store.compact(1);
          await store.compact(0);
          assert.equal(await store.oldestRevision(), 3);
          await rejectsWith(store.compact(5), 'STORE_INVALID', /beyond the current revision 4/);
          await rejectsWith(store.compact(-1), 'STORE_INVALID', /compact\(revision\)/);
          assert.equal(await store.oldestRevision(), 3);
        }));

      test('retainCommits keeps only the newest commits in the log', () =>
        withStore(
          factory,
          async (store) => {
            for (const n of range(1, 10)) await store.commit(counter(n));
            assert.equal(await store.oldestRevision(), 8);
            const kept = await store.readSince(7);
            assert.equal(kept.type, 'commits');
            assert.deepEqual(
              kept.commits.map((c) => c.revision),
              [8, 9, 10],
            );
            assert.deepEqual(await store.readSince(6), { type: 'compacted', oldestRevision: 8 });
            assert.deepEqual(
              await store.get({ kind: 'counter', id: 'c' }),
              doc('counter', 'c', 10),
            );
            // Retention also holds when many commits land in one batch.
            await Promise.all(range(11, 30).map((n) => store.commit(counter(n))));
            assert.equal(await store.oldestRevision(), 28);
          },
          { retainCommits: 3 },
        ));
    });

    describe('follow', () => {
      test('follow yields the history, then live commits, in revision order', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 3)) await store.commit(counter(n));
          const followed = take(store, 1, 4);
          await nextTurn();
          await store.commit(counter(4));
          await store.commit(counter(5));
          const commits = await followed;
          assert.deepEqual(
            commits.map((c) => c.revision),
            [2, 3, 4, 5],
          );
          assert.deepEqual(commits[2], { revision: 4, ...counter(4) });
        }));

      test('follow from the current revision yields only new commits', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          const followed = take(store, 1, 2);
          await nextTurn();
          await Promise.all([store.commit(counter(2)), store.commit(counter(3))]);
          assert.deepEqual(
            (await followed).map((c) => c.revision),
            [2, 3],
          );
        }));

      test('follow misses nothing and repeats nothing when commits race with its start', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 5)) await store.commit(counter(n));
          const pending: Promise<Commit>[] = [];
          const followers: Promise<Commit[]>[] = [];
          // Followers start before, among and after commits that are still in flight.
          for (let round = 0; round < 6; round++) {
            followers.push(take(store, round, 125 - round));
            for (let i = 0; i < 20; i++) pending.push(store.commit(counter(0)));
            if (round % 2 === 1) await nextTurn();
          }
          await Promise.all(pending);
          const all = await Promise.all(followers);
          all.forEach((commits, round) => {
            assert.deepEqual(
              commits.map((c) => c.revision),
              range(round + 1, 125),
              `follower ${round}`,
            );
          });
        }));

      test('commits made while a follower is still reading a long history come after it, in order', () =>
        withStore(factory, async (store) => {
          await Promise.all(range(1, 2_500).map((n) => store.commit(counter(n))));
          const iterator = store.follow(0)[Symbol.asyncIterator]();
          const seen: number[] = [];
          for (let i = 0; i < 10; i++) seen.push(await nextRevision(iterator));
          await Promise.all(range(2_501, 2_510).map((n) => store.commit(counter(n))));
          while (seen.length < 2_510) seen.push(await nextRevision(iterator));
          assert.deepEqual(seen, range(1, 2_510));
          await iterator.return?.();
        }));

      test('a follower that falls far behind catches up from the log without gaps', () =>
        withStore(factory, async (store) => {
          const iterator = store.follow(0)[Symbol.asyncIterator]();
          const first = iterator.next();
          await store.commit(counter(1));
          const firstResult = await first;
          assert.equal(firstResult.done === true ? -1 : firstResult.value.revision, 1);
          // 12,000 commits while the follower does not read: more than one buffer's worth.
          const pending: Promise<Commit>[] = [];
          for (let n = 2; n <= 12_001; n++) pending.push(store.commit(counter(n)));
          await Promise.all(pending);
          for (let expected = 2; expected <= 12_001; expected++) {
            const revision = await nextRevision(iterator);
            if (revision !== expected)
              assert.fail(`expected revision ${expected}, got ${revision}`);
          }
          await iterator.return?.();
        }));

      test('aborting the signal ends a follow that is waiting for commits', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          const controller = new AbortController();
          const seen: number[] = [];
          const loop = (async () => {
            for await (const commit of store.follow(0, { signal: controller.signal }))
              seen.push(commit.revision);
          })();
          await store.commit(counter(2));
          await nextTurn();
          assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
          controller.abort(new Error('test is done'));
          await loop;
          assert.deepEqual(seen, [1, 2]);
          assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
          // The store is unaffected and a new follower works.
          await store.commit(counter(3));
          assert.deepEqual(
            (await take(store, 2, 1)).map((c) => c.revision),
            [3],
          );
        }));

      test('breaking out of a follow removes its abort listener', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          const controller = new AbortController();
          for await (const commit of store.follow(0, { signal: controller.signal })) {
            assert.equal(commit.revision, 1);
            break;
          }
          assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
        }));

      test('a follow whose signal is already aborted yields nothing', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          const seen: Commit[] = [];
          for await (const commit of store.follow(0, { signal: AbortSignal.abort() }))
            seen.push(commit);
          assert.deepEqual(seen, []);
        }));

      test('closing the store ends its followers', async () => {
        const store = await factory();
        await store.commit(counter(1));
        const seen: number[] = [];
        const loop = (async () => {
          for await (const commit of store.follow(0)) seen.push(commit.revision);
        })();
        await nextTurn();
        await store.close();
        await loop;
        assert.deepEqual(seen, [1]);
      });

      test('follow rejects with STORE_COMPACTED when the history it needs is gone', () =>
        withStore(factory, async (store) => {
          for (const n of range(1, 5)) await store.commit(counter(n));
          await store.compact(3);
          await rejectsWith(take(store, 1, 1), 'STORE_COMPACTED', /log now starts at 4/);
          assert.deepEqual(
            (await take(store, 3, 2)).map((c) => c.revision),
            [4, 5],
          );
        }));

      test('follow rejects a revision beyond the current one with STORE_INVALID', () =>
        withStore(factory, async (store) => {
          await rejectsWith(take(store, 1, 1), 'STORE_INVALID', /follow\(after\) is 1/);
          await rejectsWith(take(store, -1, 1), 'STORE_INVALID', /follow\(after\)/);
        }));
    });

    describe('conflicts and invalid input', () => {
      test('a commit whose expectRevision does not hold is rejected with STORE_CONFLICT and writes nothing', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          await store.commit(counter(2));
          const before = await observe(store);
          await rejectsWith(
            store.commit(input({ puts: [doc('x', 'y', 1)] }), { expectRevision: 1 }),
            'STORE_CONFLICT',
            /expected revision 1, but the store is at 2/,
          );
          await rejectsWith(store.commit(counter(9), { expectRevision: 3 }), 'STORE_CONFLICT');
          assert.deepEqual(await observe(store), before);
          assert.equal((await store.commit(counter(3), { expectRevision: 2 })).revision, 3);
        }));

      test('invalid inputs are rejected with STORE_INVALID, naming the argument, and change nothing', () =>
        withStore(factory, async (store) => {
          await store.commit(input({ puts: [doc('k', 'kept', 1)], changes: ['first'] }));
          const before = await observe(store);
          const cyclic: Record<string, unknown> = { a: 1 };
          cyclic['self'] = cyclic;
          const deep: unknown[] = [];
          let cursor = deep;
          for (let i = 0; i < 10_000; i++) {
            const inner: unknown[] = [];
            cursor.push(inner);
            cursor = inner;
          }
          const throwing = {
            get value(): never {
              throw new Error('no reading me');
            },
          };
          const sparse: unknown[] = [1];
          sparse[2] = 3;
          const ok = doc('k', 'new', 1);
          const cases: [string, unknown, unknown, RegExp][] = [
            ['not an object', 42, undefined, /commit input must be an object/],
            ['null', null, undefined, /commit input must be an object/],
            ['puts missing', { deletes: [], changes: [] }, undefined, /input\.puts must be/],
            ['deletes not an array', { puts: [], deletes: {}, changes: [] }, undefined, /deletes/],
            ['changes missing', { puts: [], deletes: [] }, undefined, /input\.changes must be/],
            [
              'a put that is not an object',
              input({ puts: [ok, 'x' as never] }),
              undefined,
              /puts\[1\]/,
            ],
            ['an empty kind', input({ puts: [ok, doc('', 'a', 1)] }), undefined, /puts\[1\]\.kind/],
            ['a NUL in an id', input({ puts: [doc('k', 'a\0b', 1)] }), undefined, /puts\[0\]\.id/],
            [
              'a number id',
              input({ puts: [{ kind: 'k', id: 7 as never, value: 1 }] }),
              undefined,
              /\.id/,
            ],
            [
              'a lone surrogate in a kind',
              input({ puts: [doc('k\uD800', 'a', 1)] }),
              undefined,
              /\.kind/,
            ],
            [
              'an empty delete id',
              input({ deletes: [{ kind: 'k', id: '' }] }),
              undefined,
              /deletes\[0\]\.id/,
            ],
            [
              'an undefined value',
              input({ puts: [{ kind: 'k', id: 'a' } as never] }),
              undefined,
              /puts\[0\]\.value is undefined/,
            ],
            [
              'undefined in an object',
              input({ puts: [doc('k', 'a', { x: undefined } as never)] }),
              undefined,
              /value\.x is undefined/,
            ],
            [
              'a function',
              input({ puts: [doc('k', 'a', { f: () => 1 } as never)] }),
              undefined,
              /value\.f is a function/,
            ],
            [
              'NaN',
              input({ puts: [doc('k', 'a', [1, Number.NaN] as never)] }),
              undefined,
              /value\[1\] is NaN/,
            ],
            [
              'Infinity in a change',
              input({ changes: [{ x: Infinity }] }),
              undefined,
              /changes\[0\]\.x is Infinity/,
            ],
            ['-Infinity', input({ changes: [-Infinity] }), undefined, /changes\[0\] is -Infinity/],
            ['a bigint', input({ changes: [1n as never] }), undefined, /changes\[0\] is a bigint/],
            ['a symbol', input({ changes: [Symbol('s') as never] }), undefined, /is a symbol/],
            [
              'a cycle',
              input({ puts: [doc('k', 'a', cyclic as never)] }),
              undefined,
              /value\.self contains itself/,
            ],
            [
              'a Date',
              input({ puts: [doc('k', 'a', new Date(0) as never)] }),
              undefined,
              /is a Date/,
            ],
            ['a Map', input({ changes: [new Map() as never] }), undefined, /is a Map/],
            [
              'a sparse array',
              input({ changes: [sparse as never] }),
              undefined,
              /changes\[0\]\[1\] is a hole/,
            ],
            [
              'nesting too deep',
              input({ changes: [deep as never] }),
              undefined,
              /nests deeper than/,
            ],
            [
              'the same document put twice',
              input({ puts: [ok, doc('k', 'new', 2)] }),
              undefined,
              /puts\[1\] \(k\/new\).*once/,
            ],
            [
              'a document put and deleted',
              input({ puts: [ok], deletes: [{ kind: 'k', id: 'new' }] }),
              undefined,
              /deletes\[0\]/,
            ],
            [
              'a getter that throws',
              input({ changes: [throwing] }),
              undefined,
              /could not be read: no reading me/,
            ],
            ['options not an object', input({ puts: [ok] }), 5, /commit options must be an object/],
            [
              'a negative expectRevision',
              input({ puts: [ok] }),
              { expectRevision: -1 },
              /expectRevision/,
            ],
            [
              'a fractional expectRevision',
              input({ puts: [ok] }),
              { expectRevision: 1.5 },
              /expectRevision/,
            ],
          ];
          const attempts = cases.map(([, bad, options]) =>
            store.commit(bad as CommitInput, options as CommitOptions),
          );
          for (const [i, [what, , , message]] of cases.entries()) {
            await assert.rejects(attempts[i] as Promise<Commit>, (error: unknown) => {
              assert.ok(error instanceof StoreError, what);
              assert.equal(error.code, 'STORE_INVALID', what);
              assert.match(error.message, message, what);
              return true;
            });
          }
          assert.deepEqual(await observe(store), before);
        }));

      test('a document over MAX_DOCUMENT_BYTES or a commit over MAX_COMMIT_BYTES is rejected', () =>
        withStore(factory, async (store) => {
          const before = await observe(store);
          // JSON of a string adds two quotes; 'é' is two bytes of UTF-8 but one UTF-16 unit.
          await rejectsWith(
            store.commit(input({ puts: [doc('k', 'big', 'x'.repeat(MAX_DOCUMENT_BYTES - 1))] })),
            'STORE_INVALID',
            /puts\[0\]\.value is 1048577 bytes/,
          );
          await rejectsWith(
            store.commit(input({ puts: [doc('k', 'big', 'é'.repeat(MAX_DOCUMENT_BYTES / 2))] })),
            'STORE_INVALID',
            /MAX_DOCUMENT_BYTES/,
          );
          const almost = 'x'.repeat(MAX_DOCUMENT_BYTES - 100);
          const puts = range(1, Math.ceil(MAX_COMMIT_BYTES / almost.length) + 1).map((n) =>
            doc('k', `part${n}`, almost),
          );
          await rejectsWith(store.commit(input({ puts })), 'STORE_INVALID', /MAX_COMMIT_BYTES/);
          await rejectsWith(
            store.commit(input({ changes: puts.map((p) => p.value) })),
            'STORE_INVALID',
            /MAX_COMMIT_BYTES/,
          );
          assert.deepEqual(await observe(store), before);
          const fits = await store.commit(
            input({ puts: [doc('k', 'big', 'x'.repeat(MAX_DOCUMENT_BYTES - 2))] }),
          );
          assert.equal(fits.revision, 1);
          assert.equal(
            (await store.get({ kind: 'k', id: 'big' }))?.value,
            'x'.repeat(MAX_DOCUMENT_BYTES - 2),
          );
        }));
    });

    describe('concurrency and lifecycle', () => {
      test('commits made in one tick get consecutive revisions in call order', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(0));
          const made = range(1, 50).map((n) =>
            store.commit(input({ puts: [doc('n', `${n}`, n)], changes: [n] })),
          );
          const commits = await Promise.all(made);
          assert.deepEqual(
            commits.map((c) => c.revision),
            range(2, 51),
          );
          assert.deepEqual(
            commits.map((c) => c.changes[0]),
            range(1, 50),
          );
          const log = await store.readSince(1, 100);
          assert.equal(log.type, 'commits');
          assert.deepEqual(
            log.commits.map((c) => c.changes[0]),
            range(1, 50),
          );
        }));

      test('in one tick, a commit whose expectRevision fails is rejected and the others still commit', () =>
        withStore(factory, async (store) => {
          await store.commit(counter(1));
          const results = await Promise.allSettled([
            store.commit(counter(2)), // takes 2
            store.commit(input({ puts: [doc('x', 'lost', 1)] }), { expectRevision: 1 }), // store is at 2
            store.commit(counter(3), { expectRevision: 2 }), // holds: takes 3
            store.commit(counter(4)), // takes 4
          ]);
          assert.deepEqual(
            results.map((r) => (r.status === 'fulfilled' ? r.value.revision : 'rejected')),
            [2, 'rejected', 3, 4],
          );
          const rejected = results[1];
          assert.ok(rejected?.status === 'rejected' && rejected.reason instanceof StoreError);
          assert.equal(rejected.reason.code, 'STORE_CONFLICT');
          assert.equal(await store.get({ kind: 'x', id: 'lost' }), undefined);
          assert.deepEqual(await store.get({ kind: 'counter', id: 'c' }), doc('counter', 'c', 4));
        }));

      test('close lets pending commits finish, then every call rejects with STORE_CLOSED', async () => {
        const store = await factory();
        const pending = store.commit(counter(1));
        const closing = store.close();
        await rejectsWith(store.commit(counter(2)), 'STORE_CLOSED');
        await closing;
        assert.equal((await pending).revision, 1);
        await store.close(); // idempotent
        const calls: [string, () => Promise<unknown>][] = [
          ['revision', () => store.revision()],
          ['commit', () => store.commit(counter(2))],
          ['snapshot', () => store.snapshot()],
          ['get', () => store.get({ kind: 'counter', id: 'c' })],
          ['readSince', () => store.readSince(0)],
          ['follow', () => take(store, 0, 1)],
          ['compact', () => store.compact(0)],
          ['oldestRevision', () => store.oldestRevision()],
        ];
        for (const [what, call] of calls)
          await rejectsWith(call(), 'STORE_CLOSED', new RegExp(`^${what}: `));
      });
    });
  });
}
