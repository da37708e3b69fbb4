/**
 * Issue "Network server, typed client …" §4: a client that falls behind gets, with resume,
 * everything — when its server port overflows (decisions D1) the client refills it from the
 * store's history instead of passing the lost-events indication on (decisions D32).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterChange as C,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { commitEvents } from '@clusnotify/core';
import type { Change } from '@clusnotify/core';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import { connect } from '@clusnotify/client';
import { drainPort } from './helpers.js';

for (const [version, delivery] of [
  [1, 'stream'],
  [2, 'stream'],
  [1, 'poll'],
  [2, 'poll'],
] as const) {
  test(
    `a v${version} port (${delivery}) whose server queue overflows is refilled exactly from the store`,
    { timeout: 60_000 },
    async () => {
      const store = createMemoryStore();
      const service = await startClusterService({ store, engine: { maxQueuedPerPort: 64 } });
      const tokens = createTokenStore();
      const server = await startWsServer({ service, tokens, port: 0 });
      const client = await connect(server.url, { token: tokens.create('full'), delivery });
      try {
        const port = await client.openPort(
          version === 2
            ? {
                version,
                filters: [
                  { kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 },
                ],
              }
            : { version, filters: [{ kind: 'cluster', filter: C.RESOURCE_STATE, notifyKey: 1 }] },
        );
        const from = service.revision;
        // A burst published before the client can ask again: ~16 resource steps per move.
        const admin = service.openSession('full');
        const moves = Array.from({ length: 12 }, (_, i) =>
          admin.execute({
            type: 'group.move',
            group: 'SQL Group',
            node: i % 2 === 0 ? 'NODE1' : 'NODE2',
          }),
        );
        for (const r of await Promise.all(moves)) assert.equal(r.type, 'ok', JSON.stringify(r));
        assert.ok(service.engine.stats().dropped > 0, 'the server port overflowed');
        const end = service.revision;

        const expected: [number, string][] = [];
        const log = await store.readSince(from, 100_000);
        assert.equal(log.type, 'commits');
        if (log.type === 'commits') {
          for (const c of log.commits) {
            for (const e of commitEvents(c.changes as unknown as Change[], c.revision)) {
              if (
                version === 2 &&
                e.version === 2 &&
                e.objectType === T.RESOURCE &&
                e.flag === ResV2.STATE
              )
                expected.push([e.revision, e.name]);
              if (version === 1 && e.version === 1 && e.change === C.RESOURCE_STATE)
                expected.push([e.revision, e.name]);
            }
          }
        }
        const got: Indication[] = [];
        while (got.filter((i) => i.lost === undefined).length < expected.length) {
          const r = await port.next({ timeoutMs: 5000 });
          if (r.type !== 'indication') break;
          got.push(r.indication);
        }
        assert.equal((await port.next({ timeoutMs: 200 })).type, 'timeout', 'nothing more');
        assert.ok(
          got.every((i) => i.lost === undefined),
          'no lost-events indication reaches the application',
        );
        assert.deepEqual(
          got.map((i) => [i.revision, i.name]),
          expected,
        );
        assert.ok((got.at(-1)?.revision ?? 0) <= end);
        const gets = (await server.metrics.calls.get()).values
          .filter((v) => String(v.labels.method).startsWith('getNotify'))
          .reduce((a, v) => a + v.value, 0);
        if (delivery === 'stream') assert.equal(gets, 0, 'a streamed port needs no get call');
        else assert.ok(gets > 0);
        await port.close();
      } finally {
        await client.close();
        await server.close();
        await service.close();
      }
    },
  );
}

for (const delivery of ['stream', 'poll'] as const) {
  test(
    `a v2 port (${delivery}) whose overflow outlived part of the history gets one lost-events indication for what is gone and the rest exactly (D43)`,
    { timeout: 60_000 },
    async () => {
      // The store keeps the last 4 commits only.
      const store = createMemoryStore({ retainCommits: 4 });
      const service = await startClusterService({ store, engine: { maxQueuedPerPort: 64 } });
      const tokens = createTokenStore();
      const server = await startWsServer({ service, tokens, port: 0 });
      const client = await connect(server.url, { token: tokens.create('full'), delivery });
      try {
        const port = await client.openPort({
          version: 2,
          filters: [{ kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 }],
        });
        const from = service.revision;
        const admin = service.openSession('full');
        const expected: [number, string][] = [];
        const moves = Array.from({ length: 12 }, (_, i) =>
          admin.execute({
            type: 'group.move',
            group: 'SQL Group',
            node: i % 2 === 0 ? 'NODE1' : 'NODE2',
          }),
        );
        for (const r of await Promise.all(moves)) {
          assert.equal(r.type, 'ok', JSON.stringify(r));
          if (r.type !== 'ok') continue;
          for (const e of commitEvents(r.changes, r.revision))
            if (e.version === 2 && e.objectType === T.RESOURCE && e.flag === ResV2.STATE)
              expected.push([e.revision, e.name]);
        }
        assert.ok(service.engine.stats().dropped > 0, 'the server port overflowed');
        const oldest = await store.oldestRevision();
        assert.ok(oldest > from + 1, 'part of the burst is gone from the history');

        const got = await drainPort(port, 1000);
        const lostAt = got.findIndex((i) => i.lost !== undefined);
        assert.ok(lostAt > 0, 'what was queued before the overflow comes first');
        assert.equal(
          got.filter((i) => i.lost !== undefined).length,
          1,
          'one lost-events indication',
        );
        const lost = got[lostAt]?.lost;
        assert.equal(lost?.lastRevision, oldest - 1, 'it ends where the history starts');
        const before = got.slice(0, lostAt).map((i): [number, string] => [i.revision, i.name]);
        const after = got.slice(lostAt + 1).map((i): [number, string] => [i.revision, i.name]);
        assert.deepEqual(before, expected.slice(0, before.length), 'a prefix, in order');
        assert.ok((lost?.firstRevision ?? 0) <= (before.at(-1)?.[0] ?? 0) + 1, 'no silent gap');
        assert.deepEqual(
          after,
          expected.filter(([rev]) => rev >= oldest),
          'then every indication the history still holds, once, in order',
        );
        await port.close();
      } finally {
        await client.close();
        await server.close();
        await service.close();
      }
    },
  );
}

test(
  'one commit that gives a port more than its bound is refilled once, then its lost-events indication is passed on (D44)',
  { timeout: 30_000 },
  async () => {
    // 8 queued at most; a group move gives more resource state indications than that.
    const service = await startClusterService({
      store: createMemoryStore(),
      engine: { maxQueuedPerPort: 8 },
    });
    const tokens = createTokenStore();
    const server = await startWsServer({ service, tokens, port: 0 });
    const client = await connect(server.url, { token: tokens.create('full') });
    try {
      const port = await client.openPort({
        version: 2,
        filters: [{ kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 }],
      });
      const admin = service.openSession('full');
      const owner = service.state.groups.find((g) => g.name === 'SQL Group')?.ownerNodeId;
      const target = [...service.state.nodes.values()].find((n) => n.id !== owner)?.name;
      const r = await admin.execute({ type: 'group.move', group: 'SQL Group', node: target });
      assert.equal(r.type, 'ok', JSON.stringify(r));
      const got = await drainPort(port, 500);
      const lost = got.filter((i) => i.lost !== undefined);
      assert.equal(lost.length, 1, 'the loss is reported once');
      assert.equal(got.at(-1)?.lost !== undefined, true, 'after what the port held');
      const resumes = (await server.metrics.calls.get()).values
        .filter((v) => v.labels.method === 'resumeNotify')
        .reduce((a, v) => a + v.value, 0);
      assert.equal(resumes, 1, 'one refill, not a loop');
      await port.close();
    } finally {
      await client.close();
      await server.close();
      await service.close();
    }
  },
);
