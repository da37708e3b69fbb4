/**
 * Binary notify frames (docs/protocol.md §5, decisions D53) through a real server: a streamed
 * version-2 port asks for them and gets exactly what its server port queued, the same as a port
 * streamed as JSON — payloads, non-ASCII names, and a name UTF-8 cannot carry (that batch comes
 * as JSON). Version-1 ports stream JSON. The ports of one client share grouped frames (D55).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import {
  BINARY_NOTIFY_GROUP,
  ClusterChange as C,
  ClusterChangeGroupV2,
  ClusterChangeRegistryV2,
  ClusterChangeResourceV2,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { ClientPort, ConnectOptions } from '@clusnotify/client';
import { norm, oracleV2, quiet, startCluster, take } from './helpers.js';

interface Counts {
  binary: number;
  text: number;
  /** Grouped frames (D55) among the binary ones. */
  grouped?: number;
}

/** The `ws` WebSocket, counting the frames it receives by kind. */
function counting(counts: Counts): NonNullable<ConnectOptions['WebSocket']> {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data, isBinary) => {
        if (isBinary) counts.binary++;
        else counts.text++;
        if (isBinary && (data as Buffer)[0] === BINARY_NOTIFY_GROUP)
          counts.grouped = (counts.grouped ?? 0) + 1;
      });
    }
  };
}

const FILTERS = [
  {
    objectType: T.RESOURCE,
    filterFlags: ClusterChangeResourceV2.STATE | ClusterChangeResourceV2.COMMON_PROPERTY,
  },
  { objectType: T.GROUP, filterFlags: ClusterChangeGroupV2.STATE },
  { objectType: T.REGISTRY, filterFlags: ClusterChangeRegistryV2.VALUE },
];

test('a streamed v2 port reads binary frames and gets exactly what a JSON-streamed port gets', async () => {
  const c = await startCluster();
  try {
    const bin: Counts = { binary: 0, text: 0 };
    const json: Counts = { binary: 0, text: 0 };
    const a = await c.client({ WebSocket: counting(bin) });
    const b = await c.client({ WebSocket: counting(json), streamEncoding: 'json' });
    const open = (client: typeof a): Promise<ClientPort> =>
      client.openPort({
        version: 2,
        filters: FILTERS.map((f, i) => ({ kind: 'v2' as const, ...f, notifyKey: 10 + i })),
      });
    const pa = await open(a);
    const pb = await open(b);
    const v1 = await a.openPort({
      version: 1,
      filters: [{ kind: 'cluster', filter: C.RESOURCE_STATE, notifyKey: 1 }],
    });
    const oracle = oracleV2(c.service, (s, p, hCluster) => {
      FILTERS.forEach((f, i) => {
        assert.equal(s.addNotifyV2(p, hCluster, f, 10 + i, 2, false).type, 'ok');
      });
    });
    const textBefore = bin.text;

    await a.offlineResource('SQL Server');
    await a.onlineResource('SQL Server');
    await a.execute({ type: 'resource.rename', resource: 'FS Disk', name: 'Dépôt ☃ 磁盘' });
    await a.execute({
      type: 'resource.set-properties',
      resource: 'Dépôt ☃ 磁盘',
      properties: { Note: 'x'.repeat(300) },
    });
    await a.execute({
      type: 'value.set',
      path: 'Parameters',
      name: 'Owner',
      value: { type: 3, data: 'AAECAwQF' },
    });
    // A lone surrogate: JSON carries it, UTF-8 cannot; that batch must still arrive exactly.
    await a.execute({ type: 'resource.rename', resource: 'Dépôt ☃ 磁盘', name: 'x\ud800y' });
    await a.offlineResource('x\ud800y');

    const expected = (await oracle.drain()).map((i) => norm(i));
    assert.ok(expected.length > 10, `${expected.length} indications`);
    assert.ok(
      expected.some((e) => (e as { name: string }).name === 'x\ud800y'),
      'the lone surrogate reached the port',
    );
    const got = async (p: ClientPort): Promise<unknown[]> =>
      (await take(p, expected.length)).map((i) => norm(i));
    assert.deepEqual(await got(pa), expected);
    assert.deepEqual(await got(pb), expected);
    await quiet(pa, 50);
    await quiet(pb, 50);
    assert.ok((await take(v1, 6)).every((i) => i.version === 1));

    assert.ok(bin.binary > 0, 'binary frames reached the default client');
    assert.ok(
      bin.text > textBefore,
      'results, the v1 port and the lone-surrogate batch came as text',
    );
    assert.equal(json.binary, 0, "streamEncoding 'json' gets text frames only");
  } finally {
    await c.close();
  }
});

test("a client's ports share grouped frames (D55) and each gets exactly what its server port queued; streamEncoding 'binary' gets none", async () => {
  const c = await startCluster();
  try {
    const g: Counts = { binary: 0, text: 0 };
    const b: Counts = { binary: 0, text: 0 };
    const a = await c.client({ WebSocket: counting(g) });
    const single = await c.client({ WebSocket: counting(b), streamEncoding: 'binary' });
    const open = (client: typeof a, key: number): Promise<ClientPort> =>
      client.openPort({
        version: 2,
        filters: FILTERS.map((f, i) => ({ kind: 'v2' as const, ...f, notifyKey: key + i })),
      });
    const ports = await Promise.all([10, 20, 30, 40].map((k) => open(a, k)));
    const other = await open(single, 10);
    const oracle = oracleV2(c.service, (s, p, hCluster) => {
      FILTERS.forEach((f, i) => {
        assert.equal(s.addNotifyV2(p, hCluster, f, 10 + i, 2, false).type, 'ok');
      });
    });
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0 ? a.offlineResource('SQL Server') : a.onlineResource('SQL Server'),
      ),
    );
    await a.execute({
      type: 'resource.set-properties',
      resource: 'FS Disk',
      properties: { Note: 'é'.repeat(200) },
    });
    const expected = (await oracle.drain()).map((i) => norm(i));
    assert.ok(expected.length > 20, `${expected.length} indications`);
    // The ports differ only in their notify keys.
    const keyed = (k: number): unknown[] =>
      expected.map((e) => ({ ...(e as object), key: (e as { key: number }).key - 10 + k }));
    for (const [n, p] of ports.entries())
      assert.deepEqual(
        (await take(p, expected.length)).map((i) => norm(i)),
        keyed(10 * (n + 1)),
        `port ${n}`,
      );
    assert.deepEqual(
      (await take(other, expected.length)).map((i) => norm(i)),
      expected,
    );
    for (const p of [...ports, other]) await quiet(p, 50);
    assert.ok((g.grouped ?? 0) > 0, 'grouped frames reached the default client');
    assert.equal(b.grouped ?? 0, 0, "streamEncoding 'binary' gets no grouped frame");
    assert.ok(b.binary > 0);
  } finally {
    await c.close();
  }
});
