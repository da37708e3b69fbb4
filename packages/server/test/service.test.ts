import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterChange as C,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeNodeV2 as NodeV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterChangeResourceTypeV2 as RTV2,
  ClusterGroupState as GS,
  ClusterNodeState as ND,
  ClusterObjectType as T,
  ClusterResourceState as RS,
  decodeDword,
} from '@clusnotify/protocol';
import { ManualClock, allDocuments } from '@clusnotify/core';
import { STORES, fails, ok, start } from './helpers.js';

for (const kind of STORES) {
  describe(`cluster service on the ${kind.name} store`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });
    const open = async () => {
      const s = await kind.open();
      cleanups.push(s.cleanup);
      return s;
    };

    test('commands of one turn share a commit, up to half a port bound of change records (D45)', async () => {
      const { store } = await open();
      // A bound of 64: a commit holds at most 32 change records unless one command has more.
      const service = await start(store, {
        engine: { clock: new ManualClock(), maxQueuedPerPort: 64 },
      });
      const admin = service.openSession('full');
      const names = [
        'SQL Disk',
        'SQL IP Address',
        'FS Disk',
        'FS IP Address',
        'Cluster IP Address',
      ];
      const before = service.revision;
      const done = await Promise.all(
        names.map((resource) => admin.execute({ type: 'resource.offline', resource })),
      );
      const revisions = done.map((r) => ok(r).revision);
      assert.deepEqual(
        revisions,
        [...revisions].sort((a, b) => a - b),
        'in call order',
      );
      assert.equal(revisions[0], before + 1);
      assert.ok(new Set(revisions).size < revisions.length, 'commands shared a commit');
      const log = await store.readSince(before, 100);
      assert.equal(log.type, 'commits');
      if (log.type !== 'commits') return;
      assert.deepEqual(
        log.commits.map((c) => c.revision),
        [...new Set(revisions)],
        'one commit per distinct revision, consecutive',
      );
      for (const c of log.commits) {
        const cmds = done.filter((r) => ok(r).revision === c.revision);
        const records = cmds.reduce((a, r) => a + ok(r).changes.length, 0);
        assert.equal(c.changes.length, records, 'every change record of its commands');
        assert.ok(records <= 32 || cmds.length === 1, `${records} records in one commit`);
      }
      await service.close();
    });

    test('the worked example of §4.3 happens step by step', async () => {
      const { store } = await open();
      const service = await start(store, { bootstrap: false });
      const admin = service.openSession('full');
      // Set up what the example assumes: a node, Group1, and Resource1 in another group.
      ok(
        await admin.execute({
          type: 'node.create',
          id: '10000000-0000-4000-8000-000000000001',
          name: 'NODE1',
        }),
      );
      ok(
        await admin.execute({
          type: 'restype.create',
          name: 'Generic Service',
          dllName: 'clusres.dll',
        }),
      );
      ok(
        await admin.execute({
          type: 'group.create',
          id: '10000000-0000-4000-8000-000000000002',
          name: 'Group1',
        }),
      );
      ok(
        await admin.execute({
          type: 'group.create',
          id: '10000000-0000-4000-8000-000000000003',
          name: 'AppGroup',
        }),
      );
      ok(
        await admin.execute({
          type: 'resource.create',
          id: '10000000-0000-4000-8000-000000000004',
          name: 'Resource1',
          resourceType: 'Generic Service',
          group: 'AppGroup',
        }),
      );
      ok(await admin.execute({ type: 'resource.online', resource: 'Resource1' }));

      // 1. The client connects and opens Resource1.
      const client = service.openSession('read');
      const hCluster = ok(client.openCluster()).handle;
      const hRes = ok(client.openResource('Resource1')).handle;
      // 2. It creates a v1 port; its port service thread blocks in ApiGetNotify at once.
      const hNotify = ok(client.createNotify()).handle;
      const firstGet = client.getNotify(hNotify);
      // 3. It registers filter A (GROUP_ADDED | GROUP_DELETED) and filter B (RESOURCE_STATE).
      const filterA = 0xa;
      const filterB = 0xb;
      ok(client.addNotifyCluster(hNotify, hCluster, 0x00006000, filterA));
      const seq = ok(
        client.addNotifyResource(hNotify, hRes, C.RESOURCE_STATE, filterB),
      ).stateSequence;
      assert.equal(
        seq,
        service.state.resources.get('10000000-0000-4000-8000-000000000004')?.stateSequence,
      );
      // 4. Another client deletes Group1: the parked get returns filter A's key, GROUP_DELETED, Group1.
      ok(await admin.execute({ type: 'group.delete', group: 'Group1' }));
      const got = ok(await firstGet);
      assert.deepEqual([got.notifyKey, got.filter, got.name], [filterA, 0x00002000, 'Group1']);
      assert.equal(got.stateSequence, 0);
      // 5. Resource1 restarts: RESOURCE_STATE indications with filter B's key and increasing sequences.
      ok(await admin.execute({ type: 'resource.offline', resource: 'Resource1' }));
      ok(await admin.execute({ type: 'resource.online', resource: 'Resource1' }));
      const states: number[] = [];
      let last = seq;
      for (let i = 0; i < 4; i++) {
        const r = ok(await client.getNotify(hNotify, { timeoutMs: 0 }));
        assert.deepEqual([r.notifyKey, r.filter, r.name], [filterB, C.RESOURCE_STATE, 'Resource1']);
        assert.equal(r.stateSequence, last + 1);
        last = r.stateSequence;
        states.push(
          service.state.resources.get('10000000-0000-4000-8000-000000000004')?.state ?? -1,
        );
      }
      assert.deepEqual(await client.getNotify(hNotify, { timeoutMs: 0 }), {
        type: 'timeout',
        status: 0x102,
      });
      // 6. Shutdown: unblock, then close.
      ok(client.unblockGetNotifyCall(hNotify));
      ok(client.closeNotify(hNotify));
      await service.close();
    });

    test('two sessions: one mutates, the other receives exactly the expected v1 and v2 indications in order', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const watcher = service.openSession('read');
      const hCluster = ok(watcher.openCluster()).handle;
      const v1 = ok(watcher.createNotify()).handle;
      const v2 = ok(watcher.createNotifyV2()).handle;
      ok(watcher.addNotifyCluster(v1, hCluster, C.GROUP_STATE | C.NODE_STATE, 1));
      ok(
        watcher.addNotifyV2(
          v2,
          hCluster,
          { objectType: T.GROUP, filterFlags: GV2.STATE | GV2.OWNER_NODE },
          2,
          2,
          false,
        ),
      );
      const hSql = ok(watcher.openGroup('SQL Group')).handle;
      ok(
        watcher.addNotifyV2(
          v2,
          hSql,
          { objectType: T.GROUP, filterFlags: GV2.RESOURCE_LOST },
          3,
          2,
          true,
        ),
      );
      ok(await admin.execute({ type: 'group.move', group: 'SQL Group', node: 'NODE1' }));
      ok(await admin.execute({ type: 'node.pause', node: 'NODE3' }));
      const a = ok(await watcher.getNotifyAsync(v1)).notifications;
      const b = ok(await watcher.getNotifyV2(v2)).notifications;
      // v2: the group's state changes, one OWNER_NODE_V2 once it is offline, then state changes
      // until it is online on NODE1. Every resource step re-derives the group state (§9.2).
      const flags = b.map((n) => n.filterAndType.filterFlags);
      assert.deepEqual(
        b.map((n) => n.notifyKey),
        flags.map(() => 2),
        'RESOURCE_LOST was not registered for this change',
      );
      const owner = flags.indexOf(GV2.OWNER_NODE);
      assert.ok(owner > 0 && flags.lastIndexOf(GV2.OWNER_NODE) === owner);
      const states = b
        .filter((n) => n.filterAndType.filterFlags === GV2.STATE)
        .map((n) => decodeDword(n.buffer));
      assert.equal(states[0], GS.PENDING);
      assert.equal(states.at(-1), GS.ONLINE);
      assert.equal(decodeDword((b[owner - 1] as (typeof b)[number]).buffer), GS.OFFLINE);
      for (let i = 1; i < states.length; i++) assert.notEqual(states[i], states[i - 1]);
      assert.equal(
        b[owner]?.parentId,
        [...service.state.nodes.values()].find((n) => n.name === 'NODE1')?.id,
      );
      // v1: the same group state changes, then NODE3's pause.
      assert.deepEqual(
        a.map((n) => [n.filter, n.name]),
        [...states.map(() => [C.GROUP_STATE, 'SQL Group']), [C.NODE_STATE, 'NODE3']],
      );
      // Revisions never go backwards.
      const revs = b.map((n) => n.revision);
      assert.deepEqual(
        revs,
        [...revs].sort((x, y) => x - y),
      );
      await service.close();
    });

    test('events are made for the versions of the open ports; a port of the other version opened later gets its own from then on', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const watcher = service.openSession('read');
      const hCluster = ok(watcher.openCluster()).handle;
      // No port at all: the commit still counts as published.
      const first = ok(await admin.execute({ type: 'node.pause', node: 'NODE3' })).revision;
      assert.equal(service.engine.lastRevision, first);
      const v2 = ok(watcher.createNotifyV2()).handle;
      ok(
        watcher.addNotifyV2(
          v2,
          hCluster,
          { objectType: T.NODE, filterFlags: NodeV2.STATE },
          2,
          2,
          false,
        ),
      );
      assert.equal(service.engine.listening, 2);
      ok(await admin.execute({ type: 'node.resume', node: 'NODE3' }));
      const v1 = ok(watcher.createNotify()).handle;
      ok(watcher.addNotifyCluster(v1, hCluster, C.NODE_STATE, 1));
      assert.equal(service.engine.listening, 3);
      const last = ok(await admin.execute({ type: 'node.pause', node: 'NODE3' })).revision;
      const a = ok(await watcher.getNotifyAsync(v1)).notifications;
      assert.deepEqual(
        a.map((n) => [n.filter, n.name, n.revision]),
        [[C.NODE_STATE, 'NODE3', last]],
        'only the change after the version-1 port opened',
      );
      const b = ok(await watcher.getNotifyV2(v2)).notifications;
      assert.equal(b.length, 2, 'resume and pause');
      assert.equal(service.engine.lastRevision, last);
      await service.close();
    });

    test('per-object v1 filters return the state sequence, and ReAdd with a stale one queues the state at once', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const s = service.openSession('read');
      const p = ok(s.createNotify()).handle;
      for (const [open, add, readd, name, bit] of [
        [
          s.openNode.bind(s),
          s.addNotifyNode.bind(s),
          s.reAddNotifyNode.bind(s),
          'NODE2',
          C.NODE_STATE,
        ],
        [
          s.openGroup.bind(s),
          s.addNotifyGroup.bind(s),
          s.reAddNotifyGroup.bind(s),
          'SQL Group',
          C.GROUP_STATE,
        ],
        [
          s.openResource.bind(s),
          s.addNotifyResource.bind(s),
          s.reAddNotifyResource.bind(s),
          'SQL Disk',
          C.RESOURCE_STATE,
        ],
        [
          s.openNetwork.bind(s),
          s.addNotifyNetwork.bind(s),
          s.reAddNotifyNetwork.bind(s),
          'Cluster Network 1',
          C.NETWORK_STATE,
        ],
        [
          s.openNetInterface.bind(s),
          s.addNotifyNetInterface.bind(s),
          s.reAddNotifyNetInterface.bind(s),
          'NODE2 - Cluster Network 1',
          C.NETINTERFACE_STATE,
        ],
      ] as const) {
        const h = ok(open(name)).handle;
        const seq = ok(add(p, h, bit, 7)).stateSequence;
        ok(readd(p, h, bit, 8, seq));
        assert.deepEqual(
          await s.getNotify(p, { timeoutMs: 0 }),
          { type: 'timeout', status: 0x102 },
          `${name}: current sequence queues nothing`,
        );
        ok(readd(p, h, bit, 9, seq + 1000));
        const r = ok(await s.getNotify(p, { timeoutMs: 0 }));
        assert.deepEqual([r.notifyKey, r.filter, r.name, r.stateSequence], [9, bit, name, seq]);
      }
      ok(await admin.execute({ type: 'node.down', node: 'NODE2' }));
      const seen = new Set<number>();
      for (;;) {
        const r = await s.getNotify(p, { timeoutMs: 0 });
        if (r.type !== 'ok') break;
        seen.add(r.filter);
      }
      assert.ok(
        seen.has(C.NODE_STATE) &&
          seen.has(C.GROUP_STATE) &&
          seen.has(C.RESOURCE_STATE) &&
          seen.has(C.NETINTERFACE_STATE) &&
          seen.has(C.NETWORK_STATE),
        [...seen].join(),
      );
      await service.close();
    });

    test('key filters and v2 registry filters report paths relative to the watched key', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const s = service.openSession('read');
      const root = ok(s.getRootKey(ok(s.openCluster()).handle)).handle;
      const params = ok(s.openKey(root, 'Parameters')).handle;
      const p1 = ok(s.createNotify()).handle;
      ok(s.addNotifyKey(p1, params, 5, C.REGISTRY_VALUE | C.REGISTRY_NAME, true));
      const p2 = ok(s.createNotifyV2()).handle;
      ok(s.addNotifyV2(p2, params, { objectType: T.REGISTRY, filterFlags: 0x8 | 0x4 }, 6, 2, true));
      const adminRoot = ok(admin.getRootKey(ok(admin.openCluster()).handle)).handle;
      const sub = ok(await admin.createKey(adminRoot, 'Parameters\\Settings\\Deep')).handle;
      ok(await admin.setValue(sub, 'Level', { type: 4, data: 3 }));
      const r1 = ok(await s.getNotifyAsync(p1)).notifications;
      assert.deepEqual(
        r1.map((n) => [n.filter, n.name]),
        [
          [C.REGISTRY_NAME, 'Settings\\Deep'],
          [C.REGISTRY_VALUE, 'Settings\\Deep'],
        ],
      );
      const r2 = ok(await s.getNotifyV2(p2)).notifications;
      assert.deepEqual(
        r2.map((n) => [n.filterAndType.filterFlags, n.name, n.objectId]),
        [[0x8, 'Settings\\Deep', 'Level']],
      );
      await service.close();
    });

    test('a resource type filter by name (ApiAddNotifyResourceTypeV2) sees that type only', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const s = service.openSession('read');
      const p = ok(s.createNotifyV2()).handle;
      ok(s.addNotifyResourceTypeV2(p, RTV2.COMMON_PROPERTY, 4, 'ip address', 2));
      fails(
        s.addNotifyResourceTypeV2(p, RTV2.COMMON_PROPERTY, 4, 'IP Address', 1),
        0x57,
        'INVALID_VERSION',
      );
      ok(
        await admin.execute({
          type: 'restype.set-properties',
          name: 'IP Address',
          properties: { Timeout: 30 },
        }),
      );
      ok(
        await admin.execute({
          type: 'restype.set-properties',
          name: 'Physical Disk',
          properties: { Timeout: 30 },
        }),
      );
      const r = ok(await s.getNotifyV2(p)).notifications;
      assert.deepEqual(
        r.map((n) => [n.notifyKey, n.name]),
        [[4, 'IP Address']],
      );
      await service.close();
    });

    test('a read session may watch but not change: mutations answer ERROR_ACCESS_DENIED and change nothing', async () => {
      const { store } = await open();
      const service = await start(store);
      const reader = service.openSession('read');
      const before = await store.revision();
      fails(await reader.execute({ type: 'node.pause', node: 'NODE1' }), 5, 'ACCESS_DENIED');
      fails(await reader.onlineGroup(ok(reader.openGroup('SQL Group')).handle), 5, 'ACCESS_DENIED');
      fails(await reader.createGroup('X'), 5, 'ACCESS_DENIED');
      assert.equal(await store.revision(), before);
      assert.equal(service.state.nodes.get([...service.state.nodes.keys()][0] ?? '')?.state, ND.UP);
      await service.close();
    });

    test('handles belong to their session and have a kind; wrong ones give coded ERROR_INVALID_HANDLE', async () => {
      const { store } = await open();
      const service = await start(store);
      const a = service.openSession('full');
      const b = service.openSession('full');
      const pa = ok(a.createNotify()).handle;
      const pv2 = ok(a.createNotifyV2()).handle;
      const hc = ok(a.openCluster()).handle;
      const hn = ok(a.openNode('NODE1')).handle;
      fails(
        b.addNotifyCluster(pa, ok(b.openCluster()).handle, C.NODE_STATE, 1),
        6,
        'OBJECT_NOT_FOUND',
      );
      fails(a.addNotifyCluster(pa, hn, C.NODE_STATE, 1), 6, 'HANDLE_WRONG_KIND');
      fails(a.addNotifyNode(pa, hc, C.NODE_STATE, 1), 6, 'HANDLE_WRONG_KIND');
      fails(a.addNotifyCluster(pv2, hc, C.NODE_STATE, 1), 6, 'WRONG_PORT_VERSION');
      fails(await a.getNotify(pv2), 6, 'WRONG_PORT_VERSION');
      fails(await a.getNotifyV2(pa), 6, 'WRONG_PORT_VERSION');
      fails(
        a.addNotifyV2(pv2, hn, { objectType: T.GROUP, filterFlags: GV2.STATE }, 1, 2, true),
        6,
        'HANDLE_WRONG_KIND',
      );
      fails(
        a.addNotifyV2(pv2, hc, { objectType: T.GROUP, filterFlags: GV2.STATE }, 1, 3, false),
        0x57,
        'INVALID_VERSION',
      );
      fails(
        a.addNotifyV2(pv2, hc, { objectType: 0x55, filterFlags: 1 }, 1, 2, true),
        0x57,
        'UNKNOWN_OBJECT_TYPE',
      );
      fails(a.addNotifyNode(pa, hn, C.GROUP_STATE, 1), 0x57, 'FILTER_BITS_OUT_OF_FAMILY');
      fails(a.closeNotify('f'.repeat(32)), 6, 'OBJECT_NOT_FOUND');
      fails(a.openNode('NODE9'), 0x13b2, 'NODE_NOT_FOUND');
      fails(a.openGroup('nope'), 0x1395, 'GROUP_NOT_FOUND');
      fails(a.openResource('nope'), 0x138f, 'RESOURCE_NOT_FOUND');
      fails(a.openNetwork('nope'), 0x13b5, 'NETWORK_NOT_FOUND');
      fails(a.openNetInterface('nope'), 0x13b7, 'NETINTERFACE_NOT_FOUND');
      fails(a.openKey(ok(a.getRootKey(hc)).handle, 'No\\Such'), 2, 'KEY_NOT_FOUND');
      fails(a.openKey(ok(a.getRootKey(hc)).handle, 'Bad\\\\Path'), 0x57, 'INVALID_KEY_PATH');
      ok(a.closeNode(hn));
      fails(a.closeNode(hn), 6, 'OBJECT_NOT_FOUND');
      await service.close();
    });

    test('unblock completes parked gets with 0x1 and later gets answer 0x103; close frees the handle', async () => {
      const { store } = await open();
      const service = await start(store);
      const s = service.openSession('read');
      const p = ok(s.createNotifyV2()).handle;
      ok(
        s.addNotifyV2(
          p,
          ok(s.openCluster()).handle,
          { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
          1,
          2,
          false,
        ),
      );
      const parked = s.getNotifyV2(p);
      ok(s.unblockGetNotifyCall(p));
      assert.deepEqual(await parked, { type: 'interrupted', status: 1 });
      assert.deepEqual(await s.getNotifyV2(p), { type: 'unblocked', status: 0x103 });
      ok(s.closeNotify(p));
      fails(await s.getNotifyV2(p), 6, 'OBJECT_NOT_FOUND');
      await service.close();
    });

    test('ending a session frees its ports like ApiCloseNotify: parked gets complete and the engine forgets them', async () => {
      const { store } = await open();
      const service = await start(store);
      const s = service.openSession('read');
      const p = ok(s.createNotify()).handle;
      ok(s.addNotifyCluster(p, ok(s.openCluster()).handle, C.NODE_STATE, 1));
      const parked = s.getNotify(p);
      assert.equal(service.engine.stats().ports, 1);
      s.close();
      assert.deepEqual(await parked, { type: 'interrupted', status: 1 });
      assert.equal(service.engine.stats().ports, 0);
      assert.equal(service.sessionCount, 0);
      fails(s.createNotify(), 6, 'SESSION_CLOSED');
      await service.close();
    });

    test('bad commands give the reference status and leave the model and the store unchanged', async () => {
      const { store } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      const revision = await store.revision();
      const docs = JSON.stringify((await store.snapshot()).objects);
      const state = service.state;
      fails(
        await admin.execute({
          type: 'group.create',
          id: '20000000-0000-4000-8000-000000000001',
          name: 'sql group',
        }),
        0x1392,
        'NAME_EXISTS',
      );
      fails(await admin.execute({ type: 'node.delete', node: 'NODE2' }), 0x91, 'NODE_OWNS_GROUPS');
      ok(await admin.execute({ type: 'node.down', node: 'NODE3' }));
      const after = await store.revision();
      const docsAfter = JSON.stringify((await store.snapshot()).objects);
      const stateAfter = service.state;
      fails(
        await admin.execute({ type: 'group.move', group: 'SQL Group', node: 'NODE3' }),
        0x138d,
        'HOST_NODE_NOT_AVAILABLE',
      );
      fails(
        await admin.execute({
          type: 'resource.set-properties',
          resource: 'SQL Disk',
          properties: { RestartAction: 9 },
        }),
        0x57,
        'INVALID_PROPERTY',
      );
      fails(
        await admin.execute({
          type: 'resource.set-properties',
          resource: 'SQL Disk',
          properties: { Big: 2 ** 40 },
        }),
        0x57,
        'INVALID_PROPERTY',
      );
      fails(await admin.execute({ type: 'key.create', path: 'A\\\\B' }), 0x57, 'INVALID_KEY_PATH');
      fails(
        await admin.execute({
          type: 'value.set',
          path: 'Nope',
          name: 'x',
          value: { type: 1, data: 'y' },
        }),
        2,
        'KEY_NOT_FOUND',
      );
      fails(
        await admin.execute({ type: 'group.delete', group: 'SQL Group' }),
        0x91,
        'GROUP_NOT_EMPTY',
      );
      fails(
        await admin.execute({ type: 'resource.delete', resource: 'SQL Disk' }),
        0x139b,
        'RESOURCE_ONLINE',
      );
      fails(
        await admin.execute({ type: 'group.online', group: 'Nope' }),
        0x1395,
        'GROUP_NOT_FOUND',
      );
      fails(await admin.execute({ type: 'no.such' } as never), 0x57, 'INVALID_COMMAND');
      assert.equal(await store.revision(), after);
      assert.equal(JSON.stringify((await store.snapshot()).objects), docsAfter);
      assert.equal(service.state, stateAfter);
      assert.ok(after > revision && docsAfter !== docs && state !== stateAfter);
      await service.close();
    });

    test('the cluster survives a restart of the service: objects, revision and sequences come back from the store', async () => {
      const { store, reopen } = await open();
      const service = await start(store);
      const admin = service.openSession('full');
      ok(await admin.execute({ type: 'resource.fail', resource: 'SQL Server' }));
      ok(await admin.execute({ type: 'group.move', group: 'File Server Group', node: 'NODE2' }));
      const canonical = (s: typeof service.state): string =>
        JSON.stringify(
          allDocuments(s).sort((x, y) => `${x.kind}/${x.id}`.localeCompare(`${y.kind}/${y.id}`)),
        );
      const before = canonical(service.state);
      const revision = service.revision;
      await service.close();
      const store2 = await reopen();
      const again = await start(store2);
      assert.equal(canonical(again.state), before);
      assert.equal(again.revision, revision);
      const s = again.openSession('full');
      const r = ok(await s.execute({ type: 'resource.offline', resource: 'SQL Server' }));
      assert.equal(r.revision, revision + 1);
      const res = [...again.state.resources.values()].find((x) => x.name === 'SQL Server');
      assert.equal(res?.state, RS.OFFLINE);
      await again.close();
    });
  });
}
