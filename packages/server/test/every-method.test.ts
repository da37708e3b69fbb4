/**
 * Every method of the native protocol (docs/protocol.md §3), called over a real socket with
 * real handles, answers with the result its Session method gives — no method is unwired.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ClusterChange as C, ClusterObjectType as T, WireMethods } from '@clusnotify/protocol';
import type { NotifyFrame, ServerFrame, WireMethod } from '@clusnotify/protocol';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import { testIds } from './helpers.js';

type R = { type: string; status: number; code?: string } & Record<string, unknown>;

test('every protocol method is wired to its session method and answers over the socket', async () => {
  const service = await startClusterService({ store: createMemoryStore(), newId: testIds() });
  const tokens = createTokenStore();
  const server = await startWsServer({ service, tokens, port: 0 });
  const ws = new WebSocket(server.url);
  await new Promise((r) => ws.once('open', r));
  const results = new Map<number, (r: R) => void>();
  const pushed: NotifyFrame[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse((d as Buffer).toString('utf8')) as ServerFrame;
    if (f.t === 'result') results.get(f.id)?.(f.r as unknown as R);
    if (f.t === 'notify') pushed.push(f);
  });
  let id = 0;
  const called = new Set<WireMethod>();
  const call = (m: WireMethod, p: Record<string, unknown> = {}): Promise<R> => {
    called.add(m);
    const n = ++id;
    ws.send(JSON.stringify({ t: 'call', id: n, m, p }));
    return new Promise((resolve) => results.set(n, resolve));
  };
  const ok = async (m: WireMethod, p: Record<string, unknown> = {}): Promise<R> => {
    const r = await call(m, p);
    assert.equal(r.type, 'ok', `${m}: ${JSON.stringify(r)}`);
    return r;
  };
  try {
    const welcome = new Promise((r) => ws.once('message', r));
    ws.send(JSON.stringify({ t: 'hello', v: 1, token: tokens.create('full') }));
    await welcome;

    const hc = (await ok('openCluster')).handle;
    const hn = (await ok('openNode', { name: 'NODE3' })).handle;
    const hg = (await ok('openGroup', { name: 'SQL Group' })).handle;
    const hr = (await ok('openResource', { name: 'SQL Disk' })).handle;
    const hnet = (await ok('openNetwork', { name: 'Cluster Network 1' })).handle;
    const hif = (await ok('openNetInterface', { name: 'NODE1 - Cluster Network 1' })).handle;
    const root = (await ok('getRootKey', { hCluster: hc })).handle;
    const hk = (await ok('openKey', { hKey: root, subKey: 'Parameters' })).handle;

    const p1 = (await ok('createNotify')).handle;
    const p2 = (await ok('createNotifyV2')).handle;
    await ok('addNotifyCluster', {
      hNotify: p1,
      hCluster: hc,
      filter: C.GROUP_STATE,
      notifyKey: 1,
    });
    for (const [m, h, bit] of [
      ['addNotifyNode', hn, C.NODE_STATE],
      ['addNotifyGroup', hg, C.GROUP_STATE],
      ['addNotifyResource', hr, C.RESOURCE_STATE],
      ['addNotifyNetwork', hnet, C.NETWORK_STATE],
      ['addNotifyNetInterface', hif, C.NETINTERFACE_STATE],
    ] as const) {
      const r = await ok(m, { hNotify: p1, hObject: h, filter: bit, notifyKey: 2 });
      assert.equal(typeof r.stateSequence, 'number', m);
      await ok(`re${m.slice(0, 1).toUpperCase()}${m.slice(1)}` as WireMethod, {
        hNotify: p1,
        hObject: h,
        filter: bit,
        notifyKey: 3,
        stateSequence: r.stateSequence,
      });
    }
    await ok('addNotifyKey', {
      hNotify: p1,
      hKey: hk,
      notifyKey: 4,
      filter: C.REGISTRY_VALUE,
      watchSubTree: true,
    });
    await ok('addNotifyV2', {
      hNotify: p2,
      hObject: hc,
      filter: { objectType: T.RESOURCE, filterFlags: 0x4 },
      notifyKey: 5,
      version: 2,
      isTargetedAtObject: false,
    });
    await ok('addNotifyResourceTypeV2', {
      hNotify: p2,
      filterFlags: 0x2,
      notifyKey: 6,
      resTypeName: 'Physical Disk',
      version: 2,
    });

    // Mutations, each through its own method.
    const created = await ok('createGroup', { name: 'Wire Group' });
    const hr2 = (
      await ok('createResource', {
        hGroup: created.handle,
        name: 'Wire Resource',
        resourceType: 'Generic Service',
      })
    ).handle;
    await ok('onlineResource', { hResource: hr2 });
    await ok('offlineResource', { hResource: hr2 });
    await ok('onlineGroup', { hGroup: created.handle });
    await ok('failResource', { hResource: hr2 });
    await ok('offlineGroup', { hGroup: created.handle });
    await ok('moveGroup', { hGroup: created.handle });
    await ok('moveGroupToNode', { hGroup: created.handle, hNode: hn });
    await ok('changeResourceGroup', { hResource: hr2, hGroup: hg });
    await ok('changeResourceGroup', { hResource: hr2, hGroup: created.handle });
    await ok('deleteResource', { hResource: hr2 });
    await ok('deleteGroup', { hGroup: created.handle });
    await ok('pauseNode', { hNode: hn });
    await ok('resumeNode', { hNode: hn });
    const sub = await ok('createKey', { hKey: hk, subKey: 'Wire' });
    await ok('setValue', { hKey: sub.handle, name: 'V', value: { type: 4, data: 7 } });
    await ok('deleteValue', { hKey: sub.handle, name: 'V' });
    await ok('setKeySecurity', { hKey: sub.handle, security: 'O:BAG:BAD:(A;;KA;;;BA)' });
    await ok('closeKey', { handle: sub.handle });
    await ok('deleteKey', { hKey: hk, subKey: 'Wire' });
    await ok('setClusterName', { name: 'WIRECLUSTER' });
    await ok('execute', {
      command: { type: 'value.set', path: 'Parameters', name: 'X', value: { type: 1, data: 'y' } },
    });

    // Reads.
    const g1 = await ok('getNotify', { hNotify: p1, timeoutMs: 0 });
    assert.equal(typeof g1.stateSequence, 'number');
    const ga = await ok('getNotifyAsync', { hNotify: p1, timeoutMs: 0, max: 1000 });
    assert.ok(Array.isArray(ga.notifications) && ga.notifications.length > 0);
    const g2 = await ok('getNotifyV2', { hNotify: p2, timeoutMs: 0 });
    assert.ok(Array.isArray(g2.notifications) && g2.notifications.length > 0);
    const info = await ok('getServerInfo');
    const listed = await ok('listSessions', { max: 10 });
    assert.equal(listed.total, 1);
    const state = await ok('getClusterState');
    assert.ok(Array.isArray(state.objects));
    const resumed = await ok('resumeNotify', {
      version: 2,
      filters: [{ kind: 'v2', objectType: T.RESOURCE, filterFlags: 0x4, notifyKey: 9 }],
      afterRevision: info.revision as number,
    });
    assert.equal((await ok('streamNotify', { hNotify: resumed.handle, window: 16 })).window, 16);
    await ok('unblockGetNotifyCall', { hNotify: resumed.handle });
    // Unblocking a streamed port ends its stream with the result a parked get would have had.
    while (!pushed.some((f) => f.h === resumed.handle && f.end !== undefined))
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(pushed.find((f) => f.end !== undefined)?.end?.type, 'interrupted');
    for (const p of [p1, p2, resumed.handle]) await ok('closeNotify', { hNotify: p });
    // NODE3 still owns a group: the eviction is refused with the model's coded error.
    const evicted = await call('evictNode', {
      hNode: (await ok('openNode', { name: 'NODE3' })).handle,
    });
    assert.deepEqual(
      [evicted.type, evicted.code, evicted.status],
      ['error', 'NODE_OWNS_GROUPS', 0x91],
    );

    // Close calls.
    await ok('closeNode', { handle: hn });
    await ok('closeGroup', { handle: hg });
    await ok('closeResource', { handle: hr });
    await ok('closeNetwork', { handle: hnet });
    await ok('closeNetInterface', { handle: hif });
    await ok('closeKey', { handle: hk });
    await ok('closeCluster', { handle: hc });

    const missing = (Object.keys(WireMethods) as WireMethod[]).filter((m) => !called.has(m));
    assert.deepEqual(missing, [], 'every method was called');
  } finally {
    ws.close();
    await server.close();
    await service.close();
  }
});
