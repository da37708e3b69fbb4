import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import {
  ClusterChange as C,
  ClusterChangeClusterV2,
  ClusterChangeGroupV2,
  ClusterChangeResourceV2,
  ClusterObjectType as T,
  ClusnotifyError,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { connect } from '@clusnotify/client';
import type { ClientState } from '@clusnotify/client';
import { drainPort, norm, oracleV1, oracleV2, run, startCluster, take, until } from './helpers.js';

const isControl = (i: Indication): boolean =>
  i.version === 1
    ? i.filter === C.CLUSTER_STATE || i.filter === C.CLUSTER_RECONNECT
    : i.filterAndType.objectType === T.CLUSTER &&
      (i.filterAndType.filterFlags === ClusterChangeClusterV2.STATE ||
        i.filterAndType.filterFlags === ClusterChangeClusterV2.RECONNECT);

function code(c: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ClusnotifyError, String(e));
    assert.equal(e.code, c, e.message);
    return true;
  };
}

for (const delivery of ['stream', 'poll'] as const)
  test(`with resume, every indication arrives exactly once across a server restart, and handles survive (${delivery})`, async () => {
    const c = await startCluster();
    try {
      // One indication per frame, so the restart cuts commits in the middle.
      const client = await c.client({ batchMax: 1, streamWindow: 1, delivery });
      const states: ClientState[] = [];
      client.onStateChange((s) => states.push(s));
      const hc = await client.openCluster();
      const res = await client.openClusterResource(hc, 'SQL Server');
      const v1 = await client.openPort({
        version: 1,
        filters: [{ kind: 'cluster', filter: C.ALL, notifyKey: 1 }],
      });
      const v2 = await client.openPort({
        version: 2,
        filters: [
          {
            kind: 'v2',
            objectType: T.RESOURCE,
            filterFlags: ClusterChangeResourceV2.STATE,
            notifyKey: 2,
          },
          {
            kind: 'v2',
            objectType: T.GROUP,
            filterFlags: ClusterChangeGroupV2.ALL & ~0x200,
            notifyKey: 3,
          },
        ],
      });
      const o1 = oracleV1(c.service, (s, p, hCluster) => {
        s.addNotifyCluster(p, hCluster, (C.ALL & ~0xa0080000) >>> 0, 1);
      });
      const o2 = oracleV2(c.service, (s, p, hCluster) => {
        s.addNotifyV2(
          p,
          hCluster,
          { objectType: T.RESOURCE, filterFlags: ClusterChangeResourceV2.STATE },
          2,
          2,
          false,
        );
        s.addNotifyV2(
          p,
          hCluster,
          { objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.ALL & ~0x200 },
          3,
          2,
          false,
        );
      });

      await client.offlineResource('SQL Server');
      // Part of this change is read before the server goes away. With batches of one, no
      // commit is known to be complete, so the resume replays the last one and skips what was
      // already received.
      const early1 = await take(v1, 1);
      const early2 = await take(v2, 1);

      await c.stopServer();
      await until(() => client.state !== 'open', 3000, 'the client to notice');
      // Changes while no server is reachable: the service goes on (another node would).
      await run(c.service, { type: 'resource.online', resource: 'SQL Server' });
      await run(c.service, { type: 'group.move', group: 'SQL Group', node: 'NODE1' });
      await c.startServer();
      await until(() => client.state === 'open', 5000, 'the reconnect');
      await run(c.service, { type: 'resource.offline', resource: 'SQL Disk' });

      const e1 = await o1.drain();
      const e2 = await o2.drain();
      const g1 = [...early1, ...(await drainPort(v1, 300))];
      const g2 = [...early2, ...(await drainPort(v2, 300))];
      // No CLUSTER_RECONNECT: nothing was lost. CLUSTER_STATE may appear (every candidate failed once).
      assert.equal(g1.filter((i) => i.version === 1 && i.filter === C.CLUSTER_RECONNECT).length, 0);
      assert.deepEqual(
        g1.filter((i) => !isControl(i)).map((i) => norm(i)),
        e1.map((i) => norm(i)),
      );
      assert.deepEqual(
        g2.filter((i) => !isControl(i)).map((i) => norm(i)),
        e2.map((i) => norm(i)),
      );
      assert.ok(
        states.includes('reconnecting') && states.at(-1) === 'open',
        JSON.stringify(states),
      );

      // The handles opened before the loss still work on the new session.
      assert.equal(res.closed, false);
      const port = await client.createClusterNotifyPort(null, hc, C.GROUP_ADDED, 9);
      await client.registerClusterNotify(port, C.RESOURCE_STATE, res, 10);
      await client.closeClusterResource(res);
      const hcClose = await client.getClusterNotify(port, { timeoutMs: 2000 });
      assert.deepEqual(hcClose.type === 'ok' && [hcClose.filterType, hcClose.name], [
        C.HANDLE_CLOSE,
        'SQL Server',
      ]);
      await client.closeClusterNotifyPort(port);
      await client.closeCluster(hc);
    } finally {
      await c.close();
    }
  });

test('without resume the port is rebuilt: CLUSTER_RECONNECT first, then the ReAdd *_STATE catch-up (§7.3)', async () => {
  const c = await startCluster();
  try {
    const client = await c.client({ resume: false });
    const hc = await client.openCluster();
    const res = await client.openClusterResource(hc, 'File Server');
    const p1 = await client.createClusterNotifyPort(null, hc, C.GROUP_ADDED, 1);
    await client.registerClusterNotify(p1, C.RESOURCE_STATE, res, 5);
    const v2 = await client.openPort({
      version: 2,
      filters: [
        {
          kind: 'v2',
          objectType: T.RESOURCE,
          filterFlags: ClusterChangeResourceV2.STATE,
          notifyKey: 7,
          name: 'File Server',
        },
      ],
    });

    await c.stopServer();
    await until(() => client.state !== 'open', 3000, 'the client to notice');
    await run(c.service, { type: 'resource.offline', resource: 'File Server' });
    const seqAfter = [...c.service.state.resources.values()].find(
      (r) => r.name === 'File Server',
    )?.stateSequence;
    await c.startServer();
    await until(() => client.state === 'open', 5000, 'the reconnect');

    const got: { filter: number; name: string; key: number; seq: number }[] = [];
    for (;;) {
      const r = await client.getClusterNotify(p1, { timeoutMs: 300 });
      if (r.type !== 'ok') break;
      got.push({ filter: r.filterType, name: r.name, key: r.notifyKey, seq: r.stateSequence });
    }
    // While it shuts down, the old server may still take the reconnect and rebuild the port
    // once more (each rebuild posts CLUSTER_RECONNECT); the last rebuild brings the catch-up.
    const afterState = got.filter((g) => g.filter !== C.CLUSTER_STATE);
    const reconnects = afterState.slice(0, -1);
    assert.ok(reconnects.length >= 1);
    for (const r of reconnects)
      assert.deepEqual(r, { filter: C.CLUSTER_RECONNECT, name: 'CLUSTER1', key: 1, seq: 0 });
    // One synthetic indication with the current sequence, not the two missed steps.
    assert.deepEqual(afterState.at(-1), {
      filter: C.RESOURCE_STATE,
      name: 'File Server',
      key: 5,
      seq: seqAfter ?? -1,
    });
    // The v2 port has no ReAdd (§7.3 step 5): CLUSTER_RECONNECT_V2 and nothing else.
    const g2 = (await drainPort(v2, 200)).filter(
      (i) =>
        !(
          i.version === 2 &&
          i.filterAndType.filterFlags === ClusterChangeClusterV2.STATE &&
          i.filterAndType.objectType === T.CLUSTER
        ),
    );
    assert.ok(g2.length >= 1);
    for (const i of g2)
      assert.deepEqual(
        i.version === 2 && [
          i.notifyKey,
          i.filterAndType.objectType,
          i.filterAndType.filterFlags,
          i.name,
        ],
        [7, T.CLUSTER, ClusterChangeClusterV2.RECONNECT, 'CLUSTER1'],
      );
    // Later changes flow again, with the sequence counted on from the exact one.
    await client.onlineResource('File Server');
    const later = await client.getClusterNotify(p1, { timeoutMs: 2000 });
    assert.ok(later.type === 'ok');
    assert.equal(later.stateSequence, (seqAfter ?? 0) + 1);
    await client.closeClusterNotifyPort(p1);
    await v2.close();
  } finally {
    await c.close();
  }
});

test('when the history is compacted, resume falls back to the rebuild and posts CLUSTER_RECONNECT', async () => {
  const c = await startCluster();
  try {
    const client = await c.client();
    const v1 = await client.openPort({
      version: 1,
      filters: [
        {
          kind: 'object',
          objectType: T.GROUP,
          name: 'SQL Group',
          filter: C.GROUP_STATE,
          notifyKey: 6,
        },
      ],
    });
    const v2 = await client.openPort({
      version: 2,
      filters: [
        { kind: 'v2', objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.STATE, notifyKey: 8 },
      ],
    });
    await c.stopServer();
    await until(() => client.state !== 'open', 3000, 'the client to notice');
    await run(c.service, { type: 'group.offline', group: 'SQL Group' });
    await c.service.store.compact(c.service.revision);
    await c.startServer();
    await until(() => client.state === 'open', 5000, 'the reconnect');
    const group = [...c.service.state.groups.values()].find((g) => g.name === 'SQL Group');
    const g1 = (await drainPort(v1, 300)).filter(
      (i) => !(i.version === 1 && i.filter === C.CLUSTER_STATE),
    );
    assert.deepEqual(
      g1.slice(-2).map((i) => i.version === 1 && [i.notifyKey, i.filter, i.name, i.stateSequence]),
      [
        [6, C.CLUSTER_RECONNECT, 'CLUSTER1', 0],
        [6, C.GROUP_STATE, 'SQL Group', group?.stateSequence],
      ],
    );
    const g2 = (await drainPort(v2, 200)).filter(
      (i) => !(i.version === 2 && i.filterAndType.filterFlags === ClusterChangeClusterV2.STATE),
    );
    assert.deepEqual(
      g2
        .slice(-1)
        .map(
          (i) =>
            i.version === 2 && [
              i.notifyKey,
              i.filterAndType.objectType,
              i.filterAndType.filterFlags,
            ],
        ),
      [[8, T.CLUSTER, ClusterChangeClusterV2.RECONNECT]],
    );
    await run(c.service, { type: 'group.online', group: 'SQL Group' });
    assert.ok(
      (await take(v2, 1)).every(
        (i) => i.version === 2 && i.filterAndType.filterFlags === ClusterChangeGroupV2.STATE,
      ),
    );
  } finally {
    await c.close();
  }
});

test('when no server is left, every port gets CLUSTER_STATE and calls fail with CONNECTION_LOST; the client keeps trying', async () => {
  const c = await startCluster();
  try {
    const client = await c.client();
    const v1 = await client.openPort({
      version: 1,
      filters: [{ kind: 'cluster', filter: C.GROUP_ADDED, notifyKey: 3 }],
    });
    const v2 = await client.openPort({
      version: 2,
      filters: [
        { kind: 'v2', objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.STATE, notifyKey: 4 },
      ],
    });
    await c.stopServer();
    const s1 = await take(v1, 1, 5000);
    const s2 = await take(v2, 1, 5000);
    assert.deepEqual(
      s1.map((i) => i.version === 1 && [i.notifyKey, i.filter >>> 0, i.name]),
      [[3, C.CLUSTER_STATE, 'CLUSTER1']],
    );
    assert.deepEqual(
      s2.map(
        (i) =>
          i.version === 2 && [i.notifyKey, i.filterAndType.objectType, i.filterAndType.filterFlags],
      ),
      [[4, T.CLUSTER, ClusterChangeClusterV2.STATE]],
    );
    assert.equal(client.state, 'disconnected');
    await assert.rejects(client.onlineResource('SQL Server'), code('CONNECTION_LOST'));
    await assert.rejects(client.openCluster(), code('CONNECTION_LOST'));
    // The background retries find the server again; resume means no CLUSTER_RECONNECT.
    await run(c.service, {
      type: 'group.create',
      id: '0a0a0a0a-0000-4000-8000-00000000000a',
      name: 'While Away',
    });
    await c.startServer();
    await until(() => client.state === 'open', 5000, 'the background reconnect');
    const after = await take(v1, 1);
    assert.deepEqual(
      after.map((i) => i.version === 1 && [i.filter, i.name]),
      [[C.GROUP_ADDED, 'While Away']],
    );
    await client.close();
    assert.equal(client.state, 'closed');
    await assert.rejects(client.openCluster(), code('SESSION_CLOSED'));
    assert.deepEqual(await v1.next({ timeoutMs: 0 }), { type: 'closed' });
  } finally {
    await c.close();
  }
});

test('the client moves to the next candidate server and resumes there', async () => {
  const c = await startCluster();
  const second = await c.anotherServer();
  try {
    const client = await connect([c.url, second.url], {
      token: c.full,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    try {
      assert.equal(client.url, c.url);
      const port = await client.openPort({
        version: 1,
        filters: [{ kind: 'cluster', filter: C.RESOURCE_STATE, notifyKey: 1 }],
      });
      const oracle = oracleV1(c.service, (s, p, hCluster) => {
        s.addNotifyCluster(p, hCluster, C.RESOURCE_STATE, 1);
      });
      // A read parked before the loss keeps waiting across the reconnect (no CLUSTER_STATE:
      // the first round skips the failed server and reaches the second).
      const parked = port.next({ timeoutMs: 5000 });
      await c.stopServer();
      await run(c.service, { type: 'resource.offline', resource: 'SQL IP Address' });
      await until(
        () => client.state === 'open' && client.url === second.url,
        5000,
        'failover to the second server',
      );
      const first = await parked;
      assert.equal(first.type, 'indication');
      const got = [
        ...(first.type === 'indication' ? [first.indication] : []),
        ...(await drainPort(port, 300)),
      ];
      const expected = await oracle.drain();
      assert.ok(expected.length >= 2);
      assert.deepEqual(
        got.map((i) => norm(i)),
        expected.map((i) => norm(i)),
      );
      await port.close();
    } finally {
      await client.close();
    }
  } finally {
    await second.close();
    await c.close();
  }
});

test('a wrong token fails with AUTH_FAILED; no reachable server fails with NO_SERVER', async () => {
  const c = await startCluster();
  try {
    await assert.rejects(connect(c.url, { token: 'cn_f_wrong' }), code('AUTH_FAILED'));
    // The WebSocket can be injected (browsers and Node 22 have a global one; Node 20 uses ws).
    const injected = await connect(c.url, { token: c.read, WebSocket });
    assert.equal(injected.access, 'read');
    assert.equal(injected.clusterName, 'CLUSTER1');
    await injected.close();
    const url = c.url;
    await c.stopServer();
    await assert.rejects(
      connect(url, { token: c.full, connectTimeoutMs: 2000 }),
      code('NO_SERVER'),
    );
    await assert.rejects(connect([], { token: c.full }), code('INVALID_ARGUMENT'));
  } finally {
    await c.close();
  }
});

test('a server holding its connections from this address refuses connect with CONNECTION_LIMIT (D46)', async () => {
  const c = await startCluster();
  const limited = await c.anotherServer({ maxConnectionsPerAddress: 1 });
  const first = await connect(limited.url, { token: c.read });
  try {
    await assert.rejects(connect(limited.url, { token: c.read }), code('CONNECTION_LIMIT'));
    assert.equal(first.state, 'open', 'the connection already there goes on');
    await first.close();
    // Its place is free once the server has seen it close.
    let second: Awaited<ReturnType<typeof connect>> | undefined;
    const deadline = Date.now() + 3000;
    while (second === undefined && Date.now() < deadline)
      second = await connect(limited.url, { token: c.read }).catch(() => undefined);
    assert.ok(second !== undefined, 'connects again');
    await second.close();
  } finally {
    await first.close();
    await limited.close();
    await c.close();
  }
});

test('raw calls are validated, and a get aborted by its signal is cancelled on the server', async () => {
  const c = await startCluster();
  try {
    const client = await c.client();
    await assert.rejects(client.call('openNode', { name: 5 } as never), code('INVALID_ARGUMENT'));
    const created = await client.call('createNotifyV2', {});
    assert.equal(created.type, 'ok');
    const abort = new AbortController();
    const get = client.call(
      'getNotifyV2',
      { hNotify: created.handle as string },
      { signal: abort.signal },
    );
    abort.abort(new Error('enough'));
    await assert.rejects(get, /enough/);
    // The server answered `cancelled` to the cancel frame; the connection is still fine.
    const again = await client.call('getNotifyV2', {
      hNotify: created.handle as string,
      timeoutMs: 0,
    });
    assert.deepEqual(again, { type: 'timeout', status: 0x102 });
    await client.close();
    await client.close(); // idempotent
  } finally {
    await c.close();
  }
});
