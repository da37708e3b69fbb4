import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterChange as C,
  ClusterChangeClusterV2,
  ClusterChangeGroupV2,
  ClusterChangeNodeV2,
  ClusterChangeRegistryV2,
  ClusterChangeResourceV2,
  ClusterObjectType as T,
  ClusnotifyError,
} from '@clusnotify/protocol';
import { norm, oracleV1, oracleV2, quiet, startCluster, take } from './helpers.js';

const V2_FILTERS = [
  {
    objectType: T.RESOURCE,
    filterFlags: ClusterChangeResourceV2.ALL & ~ClusterChangeResourceV2.HANDLE_CLOSE,
  },
  {
    objectType: T.GROUP,
    filterFlags: ClusterChangeGroupV2.ALL & ~ClusterChangeGroupV2.HANDLE_CLOSE,
  },
  { objectType: T.NODE, filterFlags: ClusterChangeNodeV2.ALL & ~ClusterChangeNodeV2.HANDLE_CLOSE },
  { objectType: T.CLUSTER, filterFlags: ClusterChangeClusterV2.ALL & ~0xb },
  {
    objectType: T.REGISTRY,
    filterFlags: ClusterChangeRegistryV2.ALL & ~ClusterChangeRegistryV2.HANDLE_CLOSE,
  },
];

test('one client mutates through execute; the other receives exactly the v1 and v2 indications, in order', async () => {
  const c = await startCluster();
  try {
    const admin = await c.client();
    const watcher = await c.client({ token: c.read });
    const v1 = await watcher.openPort({
      version: 1,
      filters: [
        { kind: 'cluster', filter: C.ALL, notifyKey: 1 },
        {
          kind: 'object',
          objectType: T.RESOURCE,
          name: 'SQL Server',
          filter: C.RESOURCE_STATE,
          notifyKey: 2,
        },
      ],
    });
    const v2 = await watcher.openPort({
      version: 2,
      filters: V2_FILTERS.map((f, i) => ({ kind: 'v2' as const, ...f, notifyKey: 10 + i })),
    });
    const o1 = oracleV1(c.service, (s, p, hCluster) => {
      assert.equal(
        s.addNotifyCluster(
          p,
          hCluster,
          (C.ALL & ~C.CLUSTER_STATE & ~C.CLUSTER_RECONNECT & ~C.HANDLE_CLOSE) >>> 0,
          1,
        ).type,
        'ok',
      );
      const r = s.openResource('SQL Server');
      assert.ok(r.type === 'ok');
      assert.equal(s.addNotifyResource(p, r.handle, C.RESOURCE_STATE, 2).type, 'ok');
    });
    const o2 = oracleV2(c.service, (s, p, hCluster) => {
      V2_FILTERS.forEach((f, i) => {
        assert.equal(s.addNotifyV2(p, hCluster, f, 10 + i, 2, false).type, 'ok');
      });
    });

    await admin.offlineResource('SQL Server');
    await admin.onlineResource('SQL Server');
    await admin.moveGroup('SQL Group', 'NODE3');
    await admin.pauseNode('NODE1');
    await admin.resumeNode('NODE1');
    await admin.failResource('FS Disk');
    await admin.execute({
      type: 'value.set',
      path: 'Parameters',
      name: 'Owner',
      value: { type: 1, data: 'ops' },
    });
    await admin.execute({
      type: 'group.create',
      id: '0f0f0f0f-0000-4000-8000-000000000001',
      name: 'Batch',
    });
    await admin.execute({ type: 'cluster.rename', name: 'PRODCLUSTER' });

    const e1 = await o1.drain();
    const e2 = await o2.drain();
    assert.ok(e1.length > 20 && e2.length > 20, `${e1.length} ${e2.length}`);
    const g1 = await take(v1, e1.length);
    const g2 = await take(v2, e2.length);
    // State sequences: exact for the per-object filter (key 2); cluster-wide filters carry none.
    assert.deepEqual(
      g1.map((i) => norm(i, i.notifyKey === 2)),
      e1.map((i) => norm(i, i.notifyKey === 2)),
    );
    assert.deepEqual(
      g2.map((i) => norm(i)),
      e2.map((i) => norm(i)),
    );
    await quiet(v1, 50);
    await quiet(v2, 50);
    assert.equal(watcher.clusterName, 'CLUSTER1', 'the name of the welcome until the next session');
    const rev = g1.at(-1)?.revision ?? 0;
    assert.equal(v1.lastRevision, rev);
    assert.equal(v2.lastRevision, rev);

    // A read token cannot mutate.
    await assert.rejects(watcher.offlineResource('SQL Server'), (e: unknown) => {
      assert.ok(e instanceof ClusnotifyError);
      assert.equal(e.code, 'ACCESS_DENIED');
      return true;
    });
    const info = await admin.getServerInfo();
    assert.equal(info.revision, c.service.revision);
    assert.ok(info.sessions >= 2);
    const state = await admin.getClusterState();
    assert.equal(state.revision, c.service.revision);
    await v1.close();
    await v2.close();
  } finally {
    await c.close();
  }
});
