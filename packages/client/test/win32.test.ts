import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ClusterChange as C,
  ClusterChangeClusterV2,
  ClusterChangeGroupV2,
  ClusterChangeRegistryV2,
  ClusterChangeResourceV2,
  ClusterObjectType as T,
  ClusnotifyError,
  decodeDword,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import type { Client, NotifyPortHandle } from '@clusnotify/client';
import { norm, ok, oracleV1, oracleV2, run, startCluster } from './helpers.js';
import type { TestCluster } from './helpers.js';

/** Reads `n` indications from a v1 port through GetClusterNotify. */
async function read1(client: Client, h: NotifyPortHandle, n: number): Promise<Indication[]> {
  const out: Indication[] = [];
  while (out.length < n) {
    const r = await client.getClusterNotify(h, { timeoutMs: 2000 });
    assert.equal(r.type, 'ok', `after ${out.length} of ${n}: ${r.type}`);
    if (r.type !== 'ok') break;
    out.push({
      version: 1,
      notifyKey: r.notifyKey,
      filter: r.filterType,
      name: r.name,
      stateSequence: r.stateSequence,
      revision: r.revision,
      lost: r.lost,
    });
  }
  return out;
}

/** Reads `n` indications from a v2 port through GetClusterNotifyV2. */
async function read2(client: Client, h: NotifyPortHandle, n: number): Promise<Indication[]> {
  const out: Indication[] = [];
  while (out.length < n) {
    const r = await client.getClusterNotifyV2(h, { timeoutMs: 2000 });
    assert.equal(r.type, 'ok', `after ${out.length} of ${n}: ${r.type}`);
    if (r.type !== 'ok') break;
    out.push({
      version: 2,
      notifyKey: r.notifyKey,
      filterAndType: r.filterAndType,
      objectId: r.objectId,
      parentId: r.parentId,
      name: r.name,
      type: r.typeName,
      buffer: r.buffer,
      revision: r.revision,
      lost: r.lost,
    });
  }
  return out;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ClusnotifyError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('the Win32-shaped layer (reference §8)', () => {
  let c: TestCluster;
  let client: Client;
  before(async () => {
    c = await startCluster();
    client = await c.client();
  });
  after(async () => {
    await c.close();
  });

  test('open functions return handles that name their object; close functions end them', async () => {
    const hc = await client.openCluster();
    assert.equal(hc.kind, 'cluster');
    assert.equal(hc.name, 'CLUSTER1');
    assert.equal(hc.id, c.service.state.cluster.id);
    const node = await client.openClusterNode(hc, 'node1');
    assert.equal(node.kind, 'node');
    assert.equal(node.name, 'NODE1');
    assert.match(node.id, /^[0-9a-f-]{36}$/);
    const group = await client.openClusterGroup(hc, 'SQL Group');
    const res = await client.openClusterResource(hc, 'SQL Server');
    const net = await client.openClusterNetwork(hc, 'Cluster Network 1');
    const netif = await client.openClusterNetInterface(hc, 'NODE1 - Cluster Network 1');
    assert.deepEqual(
      [group.kind, res.kind, net.kind, netif.kind],
      ['group', 'resource', 'network', 'netinterface'],
    );
    assert.equal(
      res.id,
      [...c.service.state.resources.values()].find((r) => r.name === 'SQL Server')?.id,
    );
    // Opening by id works too, and reports the name.
    const again = await client.openClusterResource(hc, res.id);
    assert.equal(again.name, 'SQL Server');

    const root = await client.getClusterKey(hc);
    assert.deepEqual([root.kind, root.path], ['key', '']);
    const params = await client.openClusterKey(root, 'Parameters');
    assert.equal(params.path, 'Parameters');
    const settings = await client.openClusterKey(params, 'Settings');
    assert.equal(settings.path, 'Parameters\\Settings');

    await rejectsWith(client.openClusterResource(hc, 'No Such Resource'), 'RESOURCE_NOT_FOUND');
    await rejectsWith(client.openClusterGroup(hc, 'nope'), 'GROUP_NOT_FOUND');
    await rejectsWith(client.openClusterKey(root, 'Missing\\Key'), 'KEY_NOT_FOUND');
    await rejectsWith(client.openClusterNode(node as never, 'NODE2'), 'HANDLE_WRONG_KIND');

    for (const [h, close] of [
      [settings, () => client.closeClusterKey(settings)],
      [params, () => client.closeClusterKey(params)],
      [root, () => client.closeClusterKey(root)],
      [again, () => client.closeClusterResource(again)],
      [res, () => client.closeClusterResource(res)],
      [netif, () => client.closeClusterNetInterface(netif)],
      [net, () => client.closeClusterNetwork(net)],
      [group, () => client.closeClusterGroup(group)],
      [node, () => client.closeClusterNode(node)],
    ] as const) {
      assert.equal(h.closed, false);
      await close();
      assert.equal(h.closed, true);
      await close(); // closing twice does nothing
    }
    await rejectsWith(client.openClusterKey(root, 'Parameters'), 'OBJECT_NOT_FOUND');
    await client.closeCluster(hc);
    await rejectsWith(client.openClusterNode(hc, 'NODE1'), 'OBJECT_NOT_FOUND');
  });

  test('CreateClusterNotifyPort accepts CLUSTER_CHANGE_ALL: the client-only bits never reach the server', async () => {
    const hc = await client.openCluster();
    // The server itself refuses client-only bits (decisions D2) …
    const raw = await client.call('createNotify', {});
    const refused = await client.call('addNotifyCluster', {
      hNotify: raw.handle as string,
      hCluster: (await client.call('openCluster', {})).handle as string,
      filter: C.ALL,
      notifyKey: 1,
    });
    assert.equal(refused.type, 'error');
    assert.equal(refused.code, 'CLIENT_ONLY_BITS');
    // … so the client strips them, like clusapi.dll.
    const oracle = oracleV1(c.service, (s, p, hCluster) => {
      ok(s.addNotifyCluster(p, hCluster, (C.ALL & ~0xa0080000) >>> 0, 1));
    });
    const port = await client.createClusterNotifyPort(null, hc, C.ALL, 1);
    assert.equal(port.version, 1);
    await client.offlineResource('SQL Server');
    await client.onlineResource('SQL Server');
    const expected = await oracle.drain();
    assert.ok(expected.length >= 4, JSON.stringify(expected));
    const got = await read1(client, port, expected.length);
    assert.deepEqual(
      got.map((i) => norm(i)),
      expected.map((i) => norm(i)),
    );
    assert.deepEqual((await client.getClusterNotify(port, { timeoutMs: 50 })).type, 'timeout');
    await client.closeClusterNotifyPort(port);
    await client.closeCluster(hc);
  });

  test('RegisterClusterNotify picks the Add method by handle kind and reports state sequences', async () => {
    const hc = await client.openCluster();
    const res = await client.openClusterResource(hc, 'FS Disk');
    const group = await client.openClusterGroup(hc, 'File Server Group');
    const node = await client.openClusterNode(hc, 'NODE2');
    const net = await client.openClusterNetwork(hc, 'Cluster Network 1');
    const netif = await client.openClusterNetInterface(hc, 'NODE2 - Cluster Network 1');
    const root = await client.getClusterKey(hc);
    const params = await client.openClusterKey(root, 'Parameters');
    // A port whose first filter is only a client-generated bit: created, nothing on the wire.
    const port = await client.createClusterNotifyPort(null, hc, C.HANDLE_CLOSE, 99);
    assert.equal(await client.registerClusterNotify(port, C.RESOURCE_STATE, res, 2), 0);
    assert.equal(
      await client.registerClusterNotify(port, C.GROUP_STATE | C.HANDLE_CLOSE, group, 3),
      0,
    );
    assert.equal(await client.registerClusterNotify(port, C.NODE_STATE, node, 4), 0);
    assert.equal(await client.registerClusterNotify(port, C.NETWORK_STATE, net, 5), 0);
    assert.equal(await client.registerClusterNotify(port, C.NETINTERFACE_STATE, netif, 6), 0);
    assert.equal(
      await client.registerClusterNotify(
        port,
        C.REGISTRY_VALUE | C.REGISTRY_SUBTREE | C.HANDLE_CLOSE,
        params,
        8,
      ),
      0,
    );
    assert.equal(await client.registerClusterNotify(port, C.CLUSTER_PROPERTY, hc, 9), 0);
    // A bit outside the object's family is the server's INVALID_PARAMETER.
    await rejectsWith(
      client.registerClusterNotify(port, C.GROUP_STATE, res, 10),
      'FILTER_BITS_OUT_OF_FAMILY',
    );

    const oracle = oracleV1(c.service, (s, p) => {
      const id = (r: { handle: string }): string => r.handle;
      ok(s.addNotifyResource(p, id(ok(s.openResource('FS Disk'))), C.RESOURCE_STATE, 2));
      ok(s.addNotifyGroup(p, id(ok(s.openGroup('File Server Group'))), C.GROUP_STATE, 3));
      ok(s.addNotifyNode(p, id(ok(s.openNode('NODE2'))), C.NODE_STATE, 4));
      ok(s.addNotifyNetwork(p, id(ok(s.openNetwork('Cluster Network 1'))), C.NETWORK_STATE, 5));
      ok(
        s.addNotifyNetInterface(
          p,
          id(ok(s.openNetInterface('NODE2 - Cluster Network 1'))),
          C.NETINTERFACE_STATE,
          6,
        ),
      );
      const rk = ok(s.getRootKey(ok(s.openCluster()).handle)).handle;
      ok(s.addNotifyKey(p, ok(s.openKey(rk, 'Parameters')).handle, 8, C.REGISTRY_VALUE, true));
      ok(s.addNotifyCluster(p, ok(s.openCluster()).handle, C.CLUSTER_PROPERTY, 9));
    });
    await client.offlineResource('FS Disk');
    await client.pauseNode('NODE2');
    await client.resumeNode('NODE2');
    await client.execute({
      type: 'netif.set-state',
      netInterface: 'NODE2 - Cluster Network 1',
      state: 0,
    });
    await client.execute({
      type: 'netif.set-state',
      netInterface: 'NODE2 - Cluster Network 1',
      state: 3,
    });
    await client.execute({
      type: 'value.set',
      path: 'Parameters\\Settings',
      name: 'X',
      value: { type: 4, data: 7 },
    });
    await client.execute({ type: 'cluster.set-properties', properties: { Description: 'x' } });
    await client.onlineResource('FS Disk');
    const expected = await oracle.drain();
    const keys = new Set(expected.map((i) => i.notifyKey));
    assert.deepEqual([...keys].sort(), [2, 3, 4, 5, 6, 8, 9]);
    const got = await read1(client, port, expected.length);
    assert.deepEqual(
      got.map((i) => norm(i, true)),
      expected.map((i) => norm(i, true)),
    );
    const value = got.find((i) => i.notifyKey === 8);
    assert.deepEqual(value && [value.version === 1 && value.filter, value.name], [
      C.REGISTRY_VALUE,
      'Settings',
    ]);
    assert.equal((await client.getClusterNotify(port, { timeoutMs: 30 })).type, 'timeout');
    await client.closeClusterNotifyPort(port);
    await client.closeCluster(hc);
  });

  test('GetClusterNotify answers WAIT_TIMEOUT, honours its signal, and a closed port wakes it', async () => {
    const hc = await client.openCluster();
    const port = await client.createClusterNotifyPort(null, hc, C.GROUP_ADDED, 1);
    assert.deepEqual(await client.getClusterNotify(port, { timeoutMs: 0 }), {
      type: 'timeout',
      status: 0x102,
    });
    const started = Date.now();
    assert.deepEqual(await client.getClusterNotify(port, { timeoutMs: 40 }), {
      type: 'timeout',
      status: 0x102,
    });
    assert.ok(Date.now() - started >= 35);
    const abort = new AbortController();
    const aborted = client.getClusterNotify(port, { signal: abort.signal });
    abort.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    await rejectsWith(client.getClusterNotify(port, { timeoutMs: -1 }), 'INVALID_TIMEOUT');
    const parked = client.getClusterNotify(port);
    await client.closeClusterNotifyPort(port);
    assert.deepEqual(await parked, { type: 'closed', status: 0x6 });
    assert.equal(port.closed, true);
    await client.closeClusterNotifyPort(port); // idempotent
    await rejectsWith(client.getClusterNotify(port, { timeoutMs: 0 }), 'PORT_NOT_FOUND');
    await rejectsWith(client.registerClusterNotify(port, C.GROUP_ADDED, hc, 1), 'PORT_NOT_FOUND');
    const v2 = await client.createClusterNotifyPortV2(null, hc, [], 0);
    await rejectsWith(client.getClusterNotify(v2, { timeoutMs: 0 }), 'WRONG_PORT_VERSION');
    await client.closeClusterNotifyPort(v2);
    await client.closeCluster(hc);
  });

  test('the V2 functions register whole-type and targeted filters and strip client-only flags', async () => {
    const hc = await client.openCluster();
    const disk = await client.openClusterResource(hc, 'SQL Disk');
    const root = await client.getClusterKey(hc);
    const settings = await client.openClusterKey(root, 'Parameters\\Settings');
    const port = await client.createClusterNotifyPortV2(
      null,
      hc,
      [
        { objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.ALL },
        { objectType: T.CLUSTER, filterFlags: ClusterChangeClusterV2.ALL },
      ],
      1,
    );
    assert.equal(port.version, 2);
    await client.registerClusterNotifyV2(
      port,
      { objectType: T.RESOURCE, filterFlags: ClusterChangeResourceV2.ALL },
      disk,
      2,
    );
    await client.registerClusterNotifyV2(
      port,
      { objectType: T.REGISTRY, filterFlags: ClusterChangeRegistryV2.ALL },
      settings,
      3,
    );
    await client.registerClusterNotifyV2(
      port,
      { objectType: T.RESOURCE, filterFlags: ClusterChangeResourceV2.STATE },
      null,
      4,
    );
    const strip = (type: number, flags: number): number =>
      (flags &
        ~(type === T.CLUSTER
          ? 0xb
          : type === T.GROUP
            ? 0x200
            : type === T.RESOURCE
              ? 0x200
              : 0x10)) >>>
      0;
    const oracle = oracleV2(c.service, (s, p, hCluster) => {
      ok(
        s.addNotifyV2(
          p,
          hCluster,
          { objectType: T.GROUP, filterFlags: strip(T.GROUP, ClusterChangeGroupV2.ALL) },
          1,
          2,
          false,
        ),
      );
      ok(
        s.addNotifyV2(
          p,
          hCluster,
          { objectType: T.CLUSTER, filterFlags: strip(T.CLUSTER, ClusterChangeClusterV2.ALL) },
          1,
          2,
          false,
        ),
      );
      ok(
        s.addNotifyV2(
          p,
          ok(s.openResource('SQL Disk')).handle,
          { objectType: T.RESOURCE, filterFlags: strip(T.RESOURCE, ClusterChangeResourceV2.ALL) },
          2,
          2,
          true,
        ),
      );
      const rk = ok(s.getRootKey(hCluster)).handle;
      ok(
        s.addNotifyV2(
          p,
          ok(s.openKey(rk, 'Parameters\\Settings')).handle,
          { objectType: T.REGISTRY, filterFlags: strip(T.REGISTRY, ClusterChangeRegistryV2.ALL) },
          3,
          2,
          true,
        ),
      );
      ok(
        s.addNotifyV2(
          p,
          hCluster,
          { objectType: T.RESOURCE, filterFlags: ClusterChangeResourceV2.STATE },
          4,
          2,
          false,
        ),
      );
    });
    await client.offlineResource('SQL Disk');
    await client.execute({
      type: 'value.set',
      path: 'Parameters\\Settings',
      name: 'Y',
      value: { type: 1, data: 'y' },
    });
    await client.execute({
      type: 'group.create',
      id: '11111111-2222-4333-8444-555555555555',
      name: 'V2 Group',
    });
    await client.onlineResource('SQL Disk');
    const expected = await oracle.drain();
    const got = await read2(client, port, expected.length);
    assert.deepEqual(
      got.map((i) => norm(i)),
      expected.map((i) => norm(i)),
    );
    const state = got.find(
      (i) =>
        i.version === 2 &&
        i.notifyKey === 2 &&
        i.filterAndType.filterFlags === ClusterChangeResourceV2.STATE,
    );
    assert.ok(state !== undefined && state.version === 2);
    assert.equal(state.objectId, disk.id);
    assert.equal(state.name, 'SQL Disk');
    assert.equal(state.type, 'Physical Disk');
    assert.ok(state.buffer instanceof Uint8Array);
    assert.equal(typeof decodeDword(state.buffer), 'number');
    assert.equal((await client.getClusterNotifyV2(port, { timeoutMs: 30 })).type, 'timeout');
    await rejectsWith(client.getClusterNotify(port, { timeoutMs: 0 }), 'WRONG_PORT_VERSION');
    await client.closeClusterNotifyPort(port);
    await run(c.service, { type: 'group.delete', group: 'V2 Group' });
    await client.closeCluster(hc);
  });

  test('closing a registered handle posts HANDLE_CLOSE to the ports that use it (§7.4)', async () => {
    const hc = await client.openCluster();
    const res = await client.openClusterResource(hc, 'SQL Server');
    const group = await client.openClusterGroup(hc, 'SQL Group');
    const root = await client.getClusterKey(hc);
    const key = await client.openClusterKey(root, 'Parameters');
    const p1 = await client.createClusterNotifyPort(null, hc, C.GROUP_ADDED, 1);
    await client.registerClusterNotify(p1, C.RESOURCE_STATE, res, 11);
    await client.registerClusterNotify(p1, C.REGISTRY_NAME, key, 12);
    const p2 = await client.createClusterNotifyPortV2(null, hc, [], 2);
    await client.registerClusterNotifyV2(
      p2,
      { objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.STATE },
      group,
      21,
    );
    await client.registerClusterNotifyV2(
      p2,
      { objectType: T.RESOURCE, filterFlags: ClusterChangeResourceV2.STATE },
      res,
      22,
    );
    const bystander = await client.createClusterNotifyPort(null, hc, C.GROUP_ADDED, 3);

    await client.closeClusterResource(res);
    await client.closeClusterKey(key);
    await client.closeClusterGroup(group);

    const v1 = await read1(client, p1, 2);
    assert.deepEqual(
      v1.map((i) => i.version === 1 && [i.notifyKey, i.filter >>> 0, i.name]),
      [
        [11, C.HANDLE_CLOSE, 'SQL Server'],
        [12, C.HANDLE_CLOSE, ''],
      ],
    );
    const v2 = await read2(client, p2, 2);
    assert.deepEqual(
      v2.map(
        (i) =>
          i.version === 2 && [
            i.notifyKey,
            i.filterAndType.objectType,
            i.filterAndType.filterFlags,
            i.name,
            i.objectId,
          ],
      ),
      [
        [22, T.RESOURCE, ClusterChangeResourceV2.HANDLE_CLOSE, 'SQL Server', res.id],
        [21, T.GROUP, ClusterChangeGroupV2.HANDLE_CLOSE, 'SQL Group', group.id],
      ],
    );
    assert.equal((await client.getClusterNotify(bystander, { timeoutMs: 30 })).type, 'timeout');
    // Closing the cluster handle a port was created with posts HANDLE_CLOSE with the cluster name.
    await client.closeCluster(hc);
    const last = await read1(client, bystander, 1);
    assert.deepEqual(
      last.map((i) => i.version === 1 && [i.notifyKey, i.filter >>> 0, i.name]),
      [[3, C.HANDLE_CLOSE, 'CLUSTER1']],
    );
    for (const p of [p1, p2, bystander]) await client.closeClusterNotifyPort(p);
    await client.closeClusterKey(root);
  });
});
