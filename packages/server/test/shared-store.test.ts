/**
 * Services sharing one etcd store (decisions D34): every service publishes every commit from the
 * log, commands that lose a race are applied again on the new state, and node.down issued by
 * several services at once takes effect once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterChangeGroupV2 as GV2,
  ClusterChangeNodeV2 as NV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';
import { allDocuments } from '@clusnotify/core';
import { openEtcdStore, startLocalEtcd } from '@clusnotify/store';
import type { EtcdStore, LocalEtcd } from '@clusnotify/store';
import { startClusterService } from '@clusnotify/server';
import type { ClusterService } from '@clusnotify/server';
import { ok } from './helpers.js';

let etcd: LocalEtcd;
before(async () => {
  etcd = await startLocalEtcd();
});
after(() => etcd.stop());
let prefixes = 0;

/** `count` services sharing a fresh prefix; the first creates the default cluster. */
async function cluster(count: number): Promise<{
  services: ClusterService[];
  close: () => Promise<void>;
}> {
  const prefix = `/shared-${process.pid}-${++prefixes}/`;
  const stores: EtcdStore[] = [];
  const services: ClusterService[] = [];
  for (let i = 0; i < count; i++) {
    const store = await openEtcdStore({ hosts: etcd.urls, prefix });
    stores.push(store);
    services.push(await startClusterService({ store, shared: true }));
  }
  return {
    services,
    async close() {
      for (const s of services) await s.close();
      for (const s of stores) await s.close();
    },
  };
}

/** A v2 port on `service` for node state and group owner changes, and its reader. */
function watch(service: ClusterService): () => Promise<IndicationV2[]> {
  const session = service.openSession('read');
  const hCluster = ok(session.openCluster()).handle;
  const port = ok(session.createNotifyV2()).handle;
  ok(
    session.addNotifyV2(
      port,
      hCluster,
      { objectType: T.NODE, filterFlags: NV2.STATE },
      1,
      2,
      false,
    ),
  );
  ok(
    session.addNotifyV2(
      port,
      hCluster,
      { objectType: T.GROUP, filterFlags: GV2.OWNER_NODE },
      2,
      2,
      false,
    ),
  );
  return async () => {
    const got: IndicationV2[] = [];
    for (;;) {
      const r = await session.getNotifyV2(port, { timeoutMs: 300 });
      if (r.type !== 'ok') return got;
      got.push(...r.notifications);
    }
  };
}

const sameState = (a: ClusterService, b: ClusterService): void => {
  const docs = (s: ClusterService): string[] =>
    allDocuments(s.state)
      .map((d) => JSON.stringify(d))
      .sort();
  assert.equal(a.revision, b.revision);
  assert.deepEqual(docs(a), docs(b));
};

describe('services sharing an etcd store', () => {
  test('a later service loads the cluster the first one created and follows its commits', async () => {
    const { services, close } = await cluster(2);
    try {
      const [a, b] = services as [ClusterService, ClusterService];
      const read = watch(b);
      const r = ok(await a.openSession('full').execute({ type: 'node.pause', node: 'NODE3' }));
      await b.waitForRevision(r.revision, 5_000);
      sameState(a, b);
      const got = await read();
      assert.deepEqual(
        got.map((n) => [n.name, n.filterAndType.filterFlags, n.revision]),
        [['NODE3', NV2.STATE, r.revision]],
      );
    } finally {
      await close();
    }
  });

  test('node.down from three services at once takes the node down and fails its group over once', async () => {
    const { services, close } = await cluster(3);
    try {
      const readers = services.map(watch);
      const results = await Promise.all(
        services.map((s) => s.openSession('full').execute({ type: 'node.down', node: 'NODE1' })),
      );
      const done = results.map(ok);
      assert.equal(done.filter((r) => r.changes.length > 0).length, 1, 'one commit changes it');
      const newest = Math.max(...done.map((r) => r.revision));
      for (const s of services) await s.waitForRevision(newest, 5_000);
      const seen = await Promise.all(readers.map((read) => read()));
      const summary = seen.map((got) =>
        got.map((n) => [n.revision, n.filterAndType.objectType, n.name]),
      );
      for (const s of summary) assert.deepEqual(s, summary[0]);
      const nodeDown = (summary[0] ?? []).filter((x) => x[1] === T.NODE && x[2] === 'NODE1');
      assert.equal(nodeDown.length, 1);
      const owner = (summary[0] ?? []).filter((x) => x[1] === T.GROUP && x[2] === 'Cluster Group');
      assert.equal(owner.length, 1);
      sameState(services[0] as ClusterService, services[1] as ClusterService);
      sameState(services[0] as ClusterService, services[2] as ClusterService);
    } finally {
      await close();
    }
  });

  test('commands racing on two services all land in one order, and a command the other made impossible fails with the model error', async () => {
    const { services, close } = await cluster(2);
    try {
      const [a, b] = services as [ClusterService, ClusterService];
      const sa = a.openSession('full');
      const sb = b.openSession('full');
      const moves = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? sa : sb).execute({
            type: 'group.move',
            group: i % 4 < 2 ? 'SQL Group' : 'File Server Group',
            node: ['NODE1', 'NODE2', 'NODE3'][i % 3] ?? 'NODE1',
          }),
        ),
      );
      for (const m of moves) ok(m);
      // b deletes a resource while a brings it online: whichever commits second is applied again
      // on top of the first and refused by the model (an online resource cannot be deleted; a
      // deleted one cannot go online).
      ok(await sa.execute({ type: 'resource.offline', resource: 'File Server' }));
      const [del, on] = await Promise.all([
        sb.execute({ type: 'resource.delete', resource: 'File Server' }),
        sa.execute({ type: 'resource.online', resource: 'File Server' }),
      ]);
      assert.equal(
        [del, on].filter((r) => r.type === 'ok').length,
        1,
        `${JSON.stringify(del)} ${JSON.stringify(on)}`,
      );
      const newest = Math.max(
        ...[...moves, del, on].map((r) => (r.type === 'ok' ? r.revision : 0)),
      );
      await a.waitForRevision(newest, 5_000);
      await b.waitForRevision(newest, 5_000);
      sameState(a, b);
    } finally {
      await close();
    }
  });
});
