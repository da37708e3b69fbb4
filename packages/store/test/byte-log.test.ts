import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BYTE_LOG_CHUNK_BYTES, ByteLog, StoreError, createMemoryStore } from '@clusnotify/store';

describe('ByteLog', () => {
  test('gives back each record as written, multi-byte text included', () => {
    const log = new ByteLog();
    const records: [string, string][] = [
      ['', ''],
      ['{"a":1,', '"b":[2]}'],
      ['ü€𝄞', '\u{1F600} end'],
      ['x'.repeat(5000), ''],
    ];
    for (const [a, b] of records) log.append(a, b);
    assert.equal(log.length, records.length);
    records.forEach(([a, b], i) => {
      assert.equal(log.firstBytes(i).toString(), a);
      assert.equal(log.second(i), b);
    });
  });

  test('forgets the oldest records and releases the chunks nobody needs', () => {
    const log = new ByteLog();
    const text = 'y'.repeat(100_000);
    for (let i = 0; i < 200; i++) log.append(`${i}:`, text);
    // 200 records of ~100 kB span several chunks.
    assert.ok(log.chunkBytes >= 4 * BYTE_LOG_CHUNK_BYTES);
    log.dropFirst(190);
    assert.equal(log.length, 10);
    assert.equal(log.firstBytes(0).toString(), '190:');
    assert.equal(log.second(9), text);
    assert.ok(log.chunkBytes <= 2 * BYTE_LOG_CHUNK_BYTES, `${log.chunkBytes} bytes held`);
    log.dropFirst(1_000);
    assert.equal(log.length, 0);
    assert.ok(log.chunkBytes <= BYTE_LOG_CHUNK_BYTES);
    log.append('after', 'drop');
    assert.equal(log.firstBytes(0).toString() + log.second(0), 'afterdrop');
  });

  test('a record larger than a chunk gets a chunk of its own, sized to it', () => {
    const log = new ByteLog();
    log.append('small', '');
    const big = 'é'.repeat(BYTE_LOG_CHUNK_BYTES); // 2 bytes each in UTF-8
    log.append('', big);
    assert.equal(log.second(1), big);
    assert.equal(log.firstBytes(0).toString(), 'small');
    assert.equal(log.chunkBytes, 3 * BYTE_LOG_CHUNK_BYTES);
  });

  test('the index grows and compacts as records come and go', () => {
    const log = new ByteLog();
    for (let i = 0; i < 10_000; i++) {
      log.append(String(i), '');
      if (i % 3 === 0) log.dropFirst(1);
    }
    assert.equal(log.length, 10_000 - 3_334);
    assert.equal(log.firstBytes(0).toString(), '3334');
    assert.equal(log.firstBytes(log.length - 1).toString(), '9999');
  });

  test('counts the bytes it holds and forgets the oldest down to a byte budget', () => {
    const log = new ByteLog();
    for (let i = 0; i < 10; i++) log.append('ab', 'é'.repeat(4)); // 2 + 8 bytes each
    assert.equal(log.bytes, 100);
    assert.equal(log.dropToBytes(35, 1), 7);
    assert.equal(log.bytes, 30);
    assert.equal(log.length, 3);
    // The newest `keep` records stay whatever their size.
    assert.equal(log.dropToBytes(0, 1), 2);
    assert.equal(log.length, 1);
    assert.equal(log.bytes, 10);
  });

  test('the bytes of a first string are a copy, not a view of the chunk', () => {
    const log = new ByteLog();
    log.append('kept', 'x');
    const bytes = log.firstBytes(0);
    assert.ok(bytes.buffer.byteLength < BYTE_LOG_CHUNK_BYTES);
    bytes[0] = 0x4b;
    assert.equal(log.firstBytes(0).toString(), 'kept');
  });

  test('records written into a reused or prepared chunk read back exactly, not what it held before', async () => {
    const log = new ByteLog();
    const record = (i: number): [string, string] => [
      `${i}:`,
      String.fromCharCode(97 + (i % 26)).repeat(90_000),
    ];
    /** Every held record is `record(first + k)`. */
    const check = (first: number): void => {
      for (let k = 0; k < log.length; k++) {
        const [a, b] = record(first + k);
        assert.equal(log.firstBytes(k).toString(), a);
        assert.equal(log.second(k), b);
      }
    };
    // Fill several chunks, let the thread pool prepare a spare, then forget all but the newest:
    // the released chunks hold old bytes, and the next chunks are a released one or the spare.
    for (let i = 0; i < 150; i++) log.append(...record(i));
    await new Promise((resolve) => setTimeout(resolve, 50));
    log.dropFirst(149);
    for (let i = 150; i < 400; i++) log.append(...record(i));
    assert.equal(log.length, 251);
    check(149);
    log.dropFirst(51);
    for (let i = 400; i < 600; i++) log.append(...record(i));
    check(200);
  });

  test('a record that is not held is a RangeError', () => {
    const log = new ByteLog();
    log.append('a', 'b');
    for (const i of [-1, 1, 0.5]) assert.throws(() => log.firstBytes(i), RangeError);
  });
});

describe('MemoryStore history', () => {
  test('retainBytes bounds the history by size; the newest commit always stays', async () => {
    await using store = createMemoryStore({ retainBytes: 10_000 });
    const commit = (i: number, size: number) =>
      store.commit({
        puts: [{ kind: 'doc', id: 'a', value: 'x'.repeat(size) }],
        deletes: [],
        changes: [i],
      });
    for (let i = 1; i <= 100; i++) await commit(i, 900);
    const oldest = await store.oldestRevision();
    // About 950 bytes a commit: ten fit in 10,000 bytes.
    assert.ok(oldest >= 90 && oldest <= 92, `oldest ${oldest}`);
    const r = await store.readSince(oldest - 1, 100);
    assert.equal(r.type, 'commits');
    if (r.type === 'commits') assert.deepEqual(r.commits.at(-1)?.changes, [100]);
    assert.deepEqual(await store.readSince(0), { type: 'compacted', oldestRevision: oldest });
    await commit(101, 50_000);
    assert.equal(await store.oldestRevision(), 101);
  });

  test('a retainBytes that is not a positive integer is refused with STORE_INVALID', () => {
    for (const retainBytes of [0, -5, 2.5])
      assert.throws(
        () => createMemoryStore({ retainBytes }),
        (e: unknown) =>
          e instanceof StoreError && e.code === 'STORE_INVALID' && /retainBytes/.test(e.message),
      );
  });

  test('commits spanning many chunks read back exactly, and retention releases them', async () => {
    await using store = createMemoryStore({ retainCommits: 50 });
    const value = { text: 'ü'.repeat(200_000) };
    for (let i = 1; i <= 120; i++)
      await store.commit({
        puts: [{ kind: 'doc', id: String(i % 7), value: { ...value, i } }],
        deletes: [],
        changes: [{ i, note: '€' }],
      });
    assert.equal(await store.oldestRevision(), 71);
    const r = await store.readSince(70, 100);
    assert.equal(r.type, 'commits');
    if (r.type !== 'commits') return;
    assert.equal(r.commits.length, 50);
    r.commits.forEach((c, k) => {
      assert.equal(c.revision, 71 + k);
      assert.deepEqual(c.changes, [{ i: 71 + k, note: '€' }]);
      assert.deepEqual(c.puts, [
        { kind: 'doc', id: String((71 + k) % 7), value: { ...value, i: 71 + k } },
      ]);
    });
  });
});
