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

  /** Record `i` of the packing tests: JSON-like text that differs from record to record. */
  const packRecord = (i: number): [string, string] => [
    `{"revision":${i},"puts":[{"id":"${(i * 7919) % 1000}"}],`,
    `"changes":[{"type":"resource-state","name":"Disk ${i % 13}","note":"ü€ ${i}","state":${i % 5}}]}`,
  ];

  test('packs the sealed chunks beyond packAbove, and every record reads back exactly', async () => {
    const log = new ByteLog({ chunkBytes: 16 * 1024, packAbove: 48 * 1024 });
    let raw = 0;
    for (let i = 0; i < 4000; i++) {
      const [a, b] = packRecord(i);
      log.append(a, b);
      raw += Buffer.byteLength(a) + Buffer.byteLength(b);
    }
    await log.packed();
    // ~480 kB in 16 kB chunks: all but the newest ~48 kB packed.
    assert.ok(log.packedChunks >= 20, `${log.packedChunks} chunks packed`);
    assert.ok(log.bytes < raw / 2, `${log.bytes} of ${raw} bytes`);
    assert.ok(log.chunkBytes < raw / 2, `${log.chunkBytes} bytes of chunks`);
    assert.equal(log.readable(0), false);
    assert.equal(log.readable(log.length - 1), true);
    await log.unpack(0);
    assert.equal(log.readable(0), true);
    for (let i = 0; i < 4000; i++) {
      const [a, b] = packRecord(i);
      assert.equal(log.firstBytes(i).toString(), a);
      assert.equal(log.second(i), b);
    }
  });

  test('a byte budget counts packed chunks at their packed size', async () => {
    const plain = new ByteLog({ chunkBytes: 16 * 1024 });
    const packing = new ByteLog({ chunkBytes: 16 * 1024, packAbove: 32 * 1024 });
    for (let i = 0; i < 4000; i++) {
      plain.append(...packRecord(i));
      packing.append(...packRecord(i));
    }
    await packing.packed();
    const budget = 128 * 1024;
    plain.dropToBytes(budget, 1);
    packing.dropToBytes(budget, 1);
    assert.ok(plain.bytes <= budget && packing.bytes <= budget);
    // The same budget holds several times the history once it is packed.
    assert.ok(packing.length > 2 * plain.length, `${packing.length} vs ${plain.length} records`);
    const first = 4000 - packing.length;
    assert.equal(packing.firstBytes(0).toString(), packRecord(first)[0]);
    // Forgetting everything leaves no fraction of a packed chunk counted.
    packing.dropFirst(packing.length);
    assert.equal(packing.bytes, 0);
  });

  test('records stay exact when chunks are forgotten while they are being packed', async () => {
    const log = new ByteLog({ chunkBytes: 16 * 1024, packAbove: 0 });
    for (let i = 0; i < 200; i++) log.append(...packRecord(i));
    // The first chunk is sealed and on the thread pool now; forget it and write more chunks.
    log.dropFirst(log.length);
    for (let i = 200; i < 1200; i++) log.append(...packRecord(i));
    await log.packed();
    for (let i = 1200; i < 2400; i++) log.append(...packRecord(i));
    await log.packed();
    assert.equal(log.length, 2200);
    for (let k = 0; k < log.length; k++) {
      const [a, b] = packRecord(200 + k);
      assert.equal(log.firstBytes(k).toString(), a);
      assert.equal(log.second(k), b);
    }
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

  test('past half of retainBytes the history is packed: the bound holds more of it, read back exactly', async () => {
    // 16 MiB of memory for ~25 MiB of commit JSON: without packing a third would be forgotten.
    await using store = createMemoryStore({ retainBytes: 16 * 1024 * 1024 });
    const N = 5000;
    const value = (i: number) => ({
      i,
      text: `${i}:`.padEnd(5000, String.fromCharCode(97 + (i % 26))),
    });
    for (let i = 1; i <= N; i++) {
      await store.commit({
        puts: [{ kind: 'doc', id: String(i % 9), value: value(i) }],
        deletes: [],
        changes: [{ i }],
      });
      // Let the thread pool pack as the history grows, as it does under a live server.
      if (i % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await store.oldestRevision(), 1);
    // Every page of readSince, packed chunks included, in order and complete.
    let after = 0;
    while (after < N) {
      const r = await store.readSince(after, 700);
      assert.equal(r.type, 'commits');
      if (r.type !== 'commits') return;
      assert.ok(r.commits.length > 0);
      for (const c of r.commits) {
        assert.equal(c.revision, ++after);
        assert.deepEqual(c.changes, [{ i: after }]);
        assert.deepEqual(c.puts, [{ kind: 'doc', id: String(after % 9), value: value(after) }]);
      }
    }
    // A follower from the start reads the same.
    let seen = 0;
    const stop = new AbortController();
    for await (const c of store.follow(0, { signal: stop.signal })) {
      assert.deepEqual(c.changes, [{ i: ++seen }]);
      if (seen === N) stop.abort();
    }
    assert.equal(seen, N);
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
