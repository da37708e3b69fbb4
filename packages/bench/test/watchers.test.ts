import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePayload, parsePayload } from '@clusnotify/bench';
import { startServer } from '@clusnotify/bench/servers';
import { openWatchConnection, openWatcher, openWriter } from '@clusnotify/bench/systems';

test("bench:peers' watchers on clusnotify: two sharing one connection and one on its own each get every write in order; closing the shared connection ends its watchers only", async () => {
  const server = await startServer('clusnotify');
  try {
    const writer = await openWriter(server.endpoint);
    const got: number[][] = [[], [], []];
    const into = (i: number) => (text: string) => {
      const p = parsePayload(text);
      if (p !== undefined) got[i]?.push(p.seq);
    };
    const shared = await openWatchConnection(server.endpoint, () => undefined);
    await shared.watch(into(0));
    await shared.watch(into(1));
    const alone = await openWatcher(server.endpoint, into(2), () => undefined);
    const until = async (done: () => boolean): Promise<void> => {
      for (let t = 0; !done(); t += 20) {
        assert.ok(t < 10_000, `watchers got ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    for (let seq = 1; seq <= 5; seq++) await writer.write(makePayload(seq, 0));
    await until(() => got.every((g) => g.length >= 5));
    for (const g of got) assert.deepEqual(g, [1, 2, 3, 4, 5]);
    await shared.close();
    await writer.write(makePayload(6, 0));
    await until(() => (got[2]?.length ?? 0) >= 6);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      got.map((g) => g.length),
      [5, 5, 6],
      'the closed connection delivers no more',
    );
    await alone.close();
    await writer.close();
  } finally {
    await server.stop();
  }
});

test("bench:peers' node-relay floor: every watcher gets every write in order, each write is answered, a second watcher on one connection is refused, and a closed watcher gets no more", async () => {
  const server = await startServer('node-relay');
  try {
    const writer = await openWriter(server.endpoint);
    const got: number[][] = [[], []];
    const into = (i: number) => (text: string) => {
      const p = parsePayload(text);
      if (p !== undefined) got[i]?.push(p.seq);
    };
    const first = await openWatchConnection(server.endpoint, () => undefined);
    await first.watch(into(0));
    await assert.rejects(first.watch(into(0)), /one watcher/);
    const second = await openWatcher(server.endpoint, into(1), () => undefined);
    const until = async (done: () => boolean): Promise<void> => {
      for (let t = 0; !done(); t += 20) {
        assert.ok(t < 10_000, `watchers got ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Written in one turn: the writer sends them as one message, the relay answers each.
    await Promise.all([1, 2, 3, 4, 5].map((seq) => writer.write(makePayload(seq, 0))));
    await until(() => got.every((g) => g.length >= 5));
    for (const g of got) assert.deepEqual(g, [1, 2, 3, 4, 5]);
    await first.close();
    await writer.write(makePayload(6, 0));
    await until(() => (got[1]?.length ?? 0) >= 6);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      got.map((g) => g.length),
      [5, 6],
      'the closed watcher gets no more',
    );
    await second.close();
    await writer.close();
  } finally {
    await server.stop();
  }
});
