import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterChangeResourceV2 as ResV2, ClusterObjectType as T } from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';
import { drainPort, quiet, run, startCluster, take } from './helpers.js';

const RESOURCE_STATE = [
  { kind: 'v2' as const, objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 4 },
];
const named = (list: readonly unknown[]): [number, string][] =>
  (list as IndicationV2[]).map((i) => [i.revision, i.name]);

test('a port opened at a past revision gets the history after it, then live indications, and survives a restart', async () => {
  const c = await startCluster();
  try {
    const client = await c.client({ token: c.read });
    // The oracle: a port that was open all along.
    const live = await client.openPort({ version: 2, filters: RESOURCE_STATE });
    const since = c.service.revision;
    await run(c.service, { type: 'resource.offline', resource: 'FS Disk' });
    const r2 = await run(c.service, { type: 'resource.online', resource: 'FS Disk' });
    const seen = await drainPort(live);
    assert.ok(seen.length >= 2 && seen.at(-1)?.revision === r2, JSON.stringify(named(seen)));
    const port = await client.openPort({
      version: 2,
      filters: RESOURCE_STATE,
      sinceRevision: since,
    });
    const history = await take(port, seen.length);
    assert.deepEqual(named(history), named(seen));
    assert.ok(history.every((i) => i.notifyKey === 4));
    const r3 = await run(c.service, { type: 'node.pause', node: 'NODE3' });
    await run(c.service, { type: 'resource.fail', resource: 'SQL IP Address' });
    const after = await drainPort(live);
    assert.ok(after.length > 0 && after.every((i) => i.revision > r3));
    assert.deepEqual(named(await take(port, after.length)), named(after));
    // A restart in between: the port resumes from where it was, nothing lost or repeated.
    await c.stopServer();
    await run(c.service, { type: 'resource.online', resource: 'SQL IP Address' });
    await c.startServer();
    const restarted = await drainPort(live, 1500);
    assert.ok(restarted.length > 0);
    assert.deepEqual(named(await take(port, restarted.length, 10_000)), named(restarted));
    await quiet(port, 200);
  } finally {
    await c.close();
  }
});

test('a revision whose history is gone fails with HISTORY_COMPACTED; a bad one with INVALID_ARGUMENT', async () => {
  const c = await startCluster();
  try {
    const since = c.service.revision;
    await run(c.service, { type: 'resource.offline', resource: 'FS Disk' });
    await c.service.store.compact(c.service.revision);
    const client = await c.client({ token: c.read });
    await assert.rejects(
      client.openPort({ version: 2, filters: RESOURCE_STATE, sinceRevision: since - 1 }),
      { code: 'HISTORY_COMPACTED' },
    );
    await assert.rejects(
      client.openPort({ version: 2, filters: RESOURCE_STATE, sinceRevision: -1 }),
      { code: 'INVALID_ARGUMENT' },
    );
    // From the current revision there is nothing to replay, and that is fine.
    const port = await client.openPort({
      version: 1,
      filters: [{ kind: 'cluster', filter: 0x100, notifyKey: 1 }],
      sinceRevision: c.service.revision,
    });
    await quiet(port, 100);
  } finally {
    await c.close();
  }
});
