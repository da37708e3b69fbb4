import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ClusterChange as C,
  ClusterChangeClusterV2,
  ClusterChangeResourceV2,
  ClusterObjectType as T,
  ClusnotifyError,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import type { Client } from '@clusnotify/client';
import { brief, drainPort, quiet, startCluster, take, until } from './helpers.js';
import type { TestCluster } from './helpers.js';

function code(c: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ClusnotifyError, String(e));
    assert.equal(e.code, c, e.message);
    return true;
  };
}

/** A version-2 port on "FS Disk"'s common properties, notify key `notifyKey`. */
function openFsDiskPort(client: Client, notifyKey: number) {
  return client.openPort({
    version: 2,
    filters: [
      {
        kind: 'v2',
        objectType: T.RESOURCE,
        filterFlags: ClusterChangeResourceV2.COMMON_PROPERTY,
        notifyKey,
        name: 'FS Disk',
      },
    ],
  });
}

/** Sets common property `name` of "FS Disk" to `value` (one COMMON_PROPERTY_V2 indication). */
function setFsDiskProperty(client: Client, name: string, value: string) {
  return client.execute({
    type: 'resource.set-properties',
    resource: 'FS Disk',
    properties: { [name]: value },
  });
}

describe('idiomatic ports', () => {
  let c: TestCluster;
  let client: Client;
  before(async () => {
    c = await startCluster();
    client = await c.client();
  });
  after(async () => {
    await c.close();
  });

  test('a port is an async iterable, and `await using` closes it', async () => {
    let seen: Indication[] = [];
    let closedAfter = false;
    {
      await using port = await client.openPort({
        version: 2,
        filters: [
          {
            kind: 'v2',
            objectType: T.RESOURCE,
            filterFlags: ClusterChangeResourceV2.STATE,
            notifyKey: 5,
            name: 'SQL Server',
          },
        ],
      });
      await client.offlineResource('SQL Server');
      for await (const i of port) {
        seen.push(i);
        if (seen.length === 2) break;
      }
      // Leaving the loop early keeps the port open: the next change still arrives.
      await client.onlineResource('SQL Server');
      seen = [...seen, ...(await take(port, 2))];
      assert.equal(port.closed, false);
      const stillOpen = port;
      setImmediate(() => {
        closedAfter = stillOpen.closed;
      });
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(closedAfter, true);
    assert.deepEqual(
      seen.map((i) => i.version === 2 && [i.notifyKey, i.name, i.filterAndType.filterFlags]),
      Array.from({ length: 4 }, () => [5, 'SQL Server', ClusterChangeResourceV2.STATE]),
    );
  });

  test('object and key filters are opened by name and path; v1 state sequences match the server', async () => {
    const port = await client.openPort({
      version: 1,
      filters: [
        {
          kind: 'object',
          objectType: T.GROUP,
          name: 'File Server Group',
          filter: C.GROUP_STATE,
          notifyKey: 1,
        },
        {
          kind: 'key',
          path: 'Parameters',
          filter: C.REGISTRY_VALUE,
          watchSubtree: true,
          notifyKey: 2,
        },
        { kind: 'key', path: 'Applications', filter: C.REGISTRY_NAME, notifyKey: 3 },
      ],
    });
    await client.offlineResource('FS Disk');
    await client.execute({
      type: 'value.set',
      path: 'Parameters\\Settings',
      name: 'Z',
      value: { type: 4, data: 1 },
    });
    const created = await client.execute({ type: 'key.create', path: 'Applications\\Payroll' });
    assert.equal(created.changes, undefined, 'no change records unless asked (D49)');
    const online = await client.execute(
      { type: 'resource.online', resource: 'FS Disk' },
      { changes: true },
    );
    assert.ok(online.revision > created.revision);
    assert.ok(online.changes?.some((c) => (c as { type: string }).type === 'resource-state'));
    const group = [...c.service.state.groups.values()].find((g) => g.name === 'File Server Group');
    assert.ok(group !== undefined);
    const got = await drainPort(port);
    const byKey = (k: number): Indication[] => got.filter((i) => i.notifyKey === k);
    assert.deepEqual(byKey(2).map(brief), ['2:0x40:Settings']);
    assert.deepEqual(byKey(3).map(brief), ['3:0x10:Payroll']);
    // Fetched with ApiGetNotifyAsync, which carries no sequence: the client counts them from
    // the Add's answer (D23), and they match the server's.
    const seqs = byKey(1).map((i) => (i.version === 1 ? i.stateSequence : -1));
    assert.ok(seqs.length >= 4, JSON.stringify(seqs));
    assert.deepEqual(
      seqs,
      seqs.map((_, k) => (seqs[0] ?? 0) + k),
    );
    assert.equal(seqs.at(-1), group.stateSequence);
    await port.close();
  });

  test('iterating a port yields exactly what next() reads from a twin port, payloads included', async () => {
    const open = () => openFsDiskPort(client, 11);
    const iterated = await open();
    const read = await open();
    const writes = 12;
    for (let k = 0; k < writes; k++)
      await setFsDiskProperty(client, 'IterationProbe', `value ${k}`);
    // Everything is queued before reading, so the iteration takes the already-waiting path.
    await until(() => iterated.queued >= writes && read.queued >= writes, 3000, 'both ports');
    const viaIterator: Indication[] = [];
    for await (const i of iterated) {
      viaIterator.push(i);
      if (viaIterator.length === writes) break;
    }
    const viaNext = await take(read, writes);
    assert.deepEqual(viaIterator, viaNext);
    assert.ok(viaIterator.every((i) => i.version === 2 && i.buffer.length > 0));
    // A parked iteration is woken by the next indication, and ends when the port closes.
    const it = iterated[Symbol.asyncIterator]();
    const parked = it.next();
    await setFsDiskProperty(client, 'IterationProbe', 'last');
    const [last] = await take(read, 1);
    assert.deepEqual(await parked, { done: false, value: last });
    await iterated.close();
    await read.close();
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  test('listen() hands out what waits, then each indication as it arrives: what next() reads from a twin port', async () => {
    const open = () => openFsDiskPort(client, 12);
    const listened = await open();
    const read = await open();
    const set = (v: string) => setFsDiskProperty(client, 'ListenProbe', v);
    // Not a function: refused, and the port reads on as before.
    assert.throws(
      () => listened.listen(42 as unknown as (i: Indication) => void),
      code('INVALID_ARGUMENT'),
    );
    for (let k = 0; k < 5; k++) await set(`before ${k}`);
    await until(() => listened.queued >= 5, 3000, 'five waiting');
    const got: Indication[] = [];
    const stop = listened.listen((i) => got.push(i));
    // What waited is handed out within listen() itself, and the local queue is then empty.
    assert.equal(got.length, 5);
    assert.equal(listened.queued, 0);
    for (let k = 0; k < 7; k++) await set(`after ${k}`);
    await until(() => got.length >= 12, 3000, 'twelve listened');
    assert.deepEqual(got, await take(read, 12));
    assert.equal(listened.queued, 0, 'nothing waits while a listener listens');
    // One consumer at a time: reads and iteration are refused while it listens.
    await assert.rejects(listened.next({ timeoutMs: 0 }), code('INVALID_STATE'));
    await assert.rejects(listened[Symbol.asyncIterator]().next(), code('INVALID_STATE'));
    assert.throws(() => listened.listen(() => undefined), code('INVALID_STATE'));
    // Stopped, the indications wait for next() again.
    stop();
    await set('stopped');
    const [after] = await take(listened, 1);
    assert.deepEqual(after, (await take(read, 1))[0]);
    assert.equal(got.length, 12);
    // A parked read refuses a listener.
    const parked = listened.next();
    assert.throws(() => listened.listen(() => undefined), code('INVALID_STATE'));
    await set('parked');
    assert.equal((await parked).type, 'indication');
    await take(read, 1);
    // Closing the port stops the listener: nothing reaches it after close.
    let late = 0;
    listened.listen(() => late++);
    await listened.close();
    await set('closed');
    await take(read, 1);
    assert.equal(late, 0);
    await read.close();
  });

  test('a port keeps nothing of a delivered batch while it waits for the next one', async () => {
    // A batch the reader still held until its successor arrived outlived young-generation
    // collections in a busy watcher process and was promoted (benchmarks.md).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const port = await openFsDiskPort(client, 14);
    let payload: WeakRef<Uint8Array> | undefined;
    const stop = port.listen((i) => {
      assert.equal(i.version, 2);
      payload = new WeakRef(i.buffer);
    });
    await setFsDiskProperty(client, 'RetainProbe', 'one');
    await until(() => payload !== undefined, 3000, 'the indication');
    // A WeakRef's target is kept to the end of the job that made or read it.
    await new Promise((r) => setImmediate(r));
    gc();
    await new Promise((r) => setImmediate(r));
    assert.equal(payload?.deref(), undefined, 'the payload of a delivered batch is collectable');
    stop();
    await port.close();
  });

  test('a listener that throws gets the next indication all the same; its error is thrown again from a microtask', async () => {
    const port = await openFsDiskPort(client, 13);
    const thrown: unknown[] = [];
    const host = globalThis as { queueMicrotask: (cb: () => void) => void };
    const real = host.queueMicrotask;
    // The rethrow is caught here instead of becoming the test process's uncaught exception.
    host.queueMicrotask = (cb) => {
      real(() => {
        try {
          cb();
        } catch (e) {
          thrown.push(e);
        }
      });
    };
    try {
      const got: string[] = [];
      port.listen((i) => {
        got.push(i.version === 2 ? i.name : '');
        if (got.length === 1) throw new Error('listener failed');
      });
      for (let k = 0; k < 3; k++) await setFsDiskProperty(client, 'ThrowProbe', `v${k}`);
      await until(() => got.length >= 3, 3000, 'three listened');
      assert.deepEqual(got, ['FS Disk', 'FS Disk', 'FS Disk']);
      await until(() => thrown.length >= 1, 1000, 'the rethrow');
      assert.equal((thrown[0] as Error).message, 'listener failed');
      assert.equal(thrown.length, 1);
    } finally {
      host.queueMicrotask = real;
      await port.close();
    }
  });

  test('closing a port ends a pending iteration and wakes parked reads', async () => {
    const port = await client.openPort({
      version: 1,
      filters: [{ kind: 'cluster', filter: C.GROUP_ADDED, notifyKey: 1 }],
    });
    const iterated = (async () => {
      let n = 0;
      for await (const i of port) n += i.notifyKey >= 0 ? 1 : 0;
      return n;
    })();
    const parked = port.next();
    await port.close();
    assert.equal(await iterated, 0);
    assert.deepEqual(await parked, { type: 'closed' });
    assert.deepEqual(await port.next({ timeoutMs: 0 }), { type: 'closed' });
    await port.close(); // idempotent
  });

  test('bad filters fail fast; a filter the server refuses closes the new port', async () => {
    await assert.rejects(
      client.openPort({
        version: 1,
        filters: [{ kind: 'v2', objectType: T.GROUP, filterFlags: 1, notifyKey: 1 }],
      }),
      code('INVALID_ARGUMENT'),
    );
    await assert.rejects(
      client.openPort({ version: 2, filters: [{ kind: 'cluster', filter: 1, notifyKey: 1 }] }),
      code('INVALID_ARGUMENT'),
    );
    await assert.rejects(
      client.openPort({
        version: 1,
        filters: [
          {
            kind: 'object',
            objectType: T.RESOURCE,
            name: 'Nope',
            filter: C.RESOURCE_STATE,
            notifyKey: 1,
          },
        ],
      }),
      code('RESOURCE_NOT_FOUND'),
    );
    await assert.rejects(
      client.openPort({
        version: 1,
        filters: [{ kind: 'cluster', filter: C.GROUP_ADDED, notifyKey: -1 }],
      }),
      code('INVALID_NOTIFY_KEY'),
    );
    await assert.rejects(
      client.openPort({
        version: 2,
        filters: [
          {
            kind: 'v2',
            objectType: T.CLUSTER,
            filterFlags: ClusterChangeClusterV2.ALL,
            notifyKey: 1,
            name: 'x',
          },
        ],
      }),
      code('INVALID_ARGUMENT'),
    );
    const info = await client.getServerInfo();
    assert.equal(info.ports, 0, 'no port is left behind on the server');
  });

  test('the local queue is bounded: overflow becomes one lost-events indication (D24)', async () => {
    const small = await c.client({ maxLocalQueue: 3 });
    const port = await small.openPort({
      version: 1,
      filters: [{ kind: 'cluster', filter: C.RESOURCE_STATE | C.GROUP_STATE, notifyKey: 4 }],
    });
    const before = port.lastRevision ?? 0;
    await client.offlineResource('SQL Server');
    await client.onlineResource('SQL Server');
    await until(() => port.dropped > 0 && (port.lastRevision ?? 0) > before, 3000, 'overflow');
    const dropped = port.dropped;
    const got = await take(port, 4);
    assert.deepEqual(
      got.slice(0, 3).map((i) => i.lost),
      [undefined, undefined, undefined],
    );
    const lost = got[3];
    assert.ok(lost?.version === 1);
    assert.equal(lost.filter, C.CLUSTER_RECONNECT);
    assert.equal(lost.notifyKey, 4);
    assert.equal(lost.name, 'CLUSTER1');
    assert.equal(lost.lost?.count, dropped);
    await quiet(port, 30);
    // Once drained, new indications queue again.
    await client.offlineResource('SQL Server');
    const next = await take(port, 1);
    assert.equal(next[0]?.lost, undefined);
    await port.close();
    await client.onlineResource('SQL Server');
  });
});
