/**
 * Repeat entries (docs/protocol.md §5, decisions D60) from the client's side: it asks for them
 * in `streamNotify` exactly when the server's welcome offers `binary-repeat`, and a kind-1 frame
 * holding them reaches the port as whole indications, each with the fields of the entry before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@clusnotify/client';
import {
  ClusterChangeResourceV2,
  ClusterObjectType,
  WireFeature,
  encodeBinaryNotifyFrame,
} from '@clusnotify/protocol';
import type { BinaryNotifyEntry } from '@clusnotify/protocol';
import { startFakeServer, welcomeFrame } from './fake-server.js';
import { take } from './helpers.js';

/** Entry `revision` of resource `id` for the port's first filter (wire key 1). */
function entry(id: string, revision: number): BinaryNotifyEntry {
  return {
    notifyKey: 1,
    filterAndType: {
      objectType: ClusterObjectType.RESOURCE,
      filterFlags: ClusterChangeResourceV2.STATE,
    },
    objectId: id,
    parentId: 'g-1',
    name: `Resource ${id}`,
    type: 'Generic Service',
    buffer: new Uint8Array([revision, 0, 0, 0]),
    revision,
  };
}

/** Runs of one object, then another: entries 2, 3 and 5 are repeat entries. */
const ENTRIES = [entry('a', 1), entry('a', 2), entry('a', 3), entry('b', 4), entry('b', 5)];

async function streamFrom(features: readonly string[]) {
  const server = await startFakeServer({
    rounds: [],
    last: { good: [], then: (h) => encodeBinaryNotifyFrame(h, ENTRIES, true, true) },
    welcome: () => JSON.stringify({ ...welcomeFrame(), features }),
  });
  const client = await connect(server.url, { token: 't', heartbeatMs: 0 });
  try {
    const port = await client.openPort({
      version: 2,
      filters: [
        {
          kind: 'v2',
          objectType: ClusterObjectType.RESOURCE,
          filterFlags: ClusterChangeResourceV2.STATE,
          notifyKey: 42,
        },
      ],
    });
    const got = await take(port, ENTRIES.length, 5000);
    const stream = server.calls.find((c) => c.m === 'streamNotify');
    return { got, params: stream?.p };
  } finally {
    await client.close();
    await server.close();
  }
}

test('the client asks for repeat entries (D60) where the server offers them, and only there', async () => {
  const base = [WireFeature.STREAM, WireFeature.BINARY_NOTIFY];
  const offered = await streamFrom([...base, WireFeature.BINARY_REPEAT]);
  assert.equal(offered.params?.repeat, true);
  assert.equal(offered.params?.encoding, 'binary');
  const notOffered = await streamFrom(base);
  assert.equal(notOffered.params !== undefined && 'repeat' in notOffered.params, false);
  // Without binary frames there is nothing to repeat in: JSON streams never ask.
  const json = await streamFrom([WireFeature.STREAM, WireFeature.BINARY_REPEAT]);
  assert.equal(json.params !== undefined && 'repeat' in json.params, false);
});

test('a frame of repeat entries reaches the port as whole indications, in order', async () => {
  const { got } = await streamFrom([
    WireFeature.STREAM,
    WireFeature.BINARY_NOTIFY,
    WireFeature.BINARY_REPEAT,
  ]);
  assert.deepEqual(
    got.map((i) =>
      i.version === 2
        ? [i.notifyKey, i.objectId, i.parentId, i.name, i.type, [...i.buffer], i.revision]
        : i,
    ),
    ENTRIES.map((e) => [42, e.objectId, e.parentId, e.name, e.type, [...e.buffer], e.revision]),
  );
  assert.ok(
    got.every(
      (i) =>
        i.version === 2 &&
        i.filterAndType.objectType === ClusterObjectType.RESOURCE &&
        i.filterAndType.filterFlags === ClusterChangeResourceV2.STATE,
    ),
  );
});
