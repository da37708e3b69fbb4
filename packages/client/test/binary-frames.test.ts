/**
 * Binary notify frames (docs/protocol.md §5, decisions D53) through a real server: a streamed
 * version-2 port asks for them and gets exactly what its server port queued, the same as a port
 * streamed as JSON — payloads, non-ASCII names, and a name UTF-8 cannot carry (that batch comes
 * as JSON). Version-1 ports stream JSON.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import {
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
}

/** The `ws` WebSocket, counting the frames it receives by kind. */
function counting(counts: Counts): NonNullable<ConnectOptions['WebSocket']> {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (_data, isBinary) => {
        if (isBinary) counts.binary++;
        else counts.text++;
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
