import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterChange as C, ClusterObjectType as T, ClusnotifyError } from '@clusnotify/protocol';
import { createMemoryStore } from '@clusnotify/store';
import { createTokenStore, startClusterService, startWsServer } from '@clusnotify/server';
import { connect } from '@clusnotify/client';

test('listSessions shows every session with its ports, queue depth and dropped count, to a read token too', async () => {
  const store = createMemoryStore();
  const service = await startClusterService({ store, engine: { maxQueuedPerPort: 4 } });
  const tokens = createTokenStore();
  const server = await startWsServer({ service, tokens, host: '127.0.0.1', port: 0 });
  const watcher = await connect(server.url, {
    token: tokens.create('read'),
    clientName: 'dashboard-test',
  });
  // A session that opens a port and never reads it: its queue fills, then drops.
  const idle = service.openSession('full', 'idle-reader');
  try {
    const port = idle.createNotify();
    assert.equal(port.type, 'ok');
    const hc = idle.openCluster();
    assert.ok(port.type === 'ok' && hc.type === 'ok');
    assert.equal(idle.addNotifyCluster(port.handle, hc.handle, C.RESOURCE_STATE, 5).type, 'ok');
    for (let i = 0; i < 4; i++) {
      const r = await idle.execute({
        type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
        resource: 'SQL Server',
      });
      assert.equal(r.type, 'ok', JSON.stringify(r));
    }
    const v2 = await watcher.openPort({
      version: 2,
      filters: [{ kind: 'v2', objectType: T.NODE, filterFlags: 0x1, notifyKey: 1 }],
    });

    const list = await watcher.listSessions();
    assert.equal(list.total, 2);
    assert.equal(list.revision, service.revision);
    const mine = list.sessions.find((s) => s.self);
    const other = list.sessions.find((s) => !s.self);
    assert.ok(mine && other);
    assert.equal(mine.client, 'dashboard-test');
    assert.equal(mine.access, 'read');
    assert.equal(mine.portCount, 1);
    assert.equal(mine.ports[0]?.version, 2);
    assert.equal(mine.ports[0]?.streamed, true, 'the client streams its port');
    assert.equal(other.client, 'idle-reader');
    assert.equal(other.portCount, 1);
    const p = other.ports[0];
    assert.ok(p);
    assert.equal(p.version, 1);
    assert.equal(p.maxQueued, 4);
    assert.equal(p.streamed, false, 'a port nobody streams');
    assert.equal(p.queued, 5, 'four indications and the lost-events entry');
    assert.ok(p.dropped > 0, `dropped ${p.dropped}`);
    assert.equal(other.dropped, p.dropped);
    assert.ok(!JSON.stringify(list).includes(port.handle), 'port handles are not disclosed');

    // A closed port's stream ends with it.
    await v2.close();
    const after = (await watcher.listSessions()).sessions.find((s) => s.self);
    assert.equal(after?.portCount, 0);
    assert.equal((await watcher.listSessions(1)).sessions.length, 1);
    await assert.rejects(watcher.listSessions(0), (e: unknown) => {
      assert.ok(e instanceof ClusnotifyError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      return true;
    });
  } finally {
    idle.close();
    await watcher.close();
    await server.close();
    await service.close();
    await store.close();
  }
});
