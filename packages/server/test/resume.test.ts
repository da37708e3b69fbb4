import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterChangeResourceV2 as ResV2,
  ClusterChange as C,
  ClusterObjectType as T,
} from '@clusnotify/protocol';
import type { IndicationV2, WireFilter } from '@clusnotify/protocol';
import { createMemoryStore } from '@clusnotify/store';
import type { Session } from '@clusnotify/server';
import { ok, start } from './helpers.js';

type Summary = [number, number, number, string];
const summary = (
  l: readonly {
    notifyKey: number;
    revision: number;
    name: string;
    filterAndType?: { filterFlags: number };
    filter?: number;
  }[],
): Summary[] =>
  l.map((i) => [i.revision, i.notifyKey, i.filterAndType?.filterFlags ?? i.filter ?? 0, i.name]);

/** Reads a v2 port into `out` until it has seen `until()` (a revision) and then goes quiet. */
async function drainV2(
  s: Session,
  h: string,
  out: IndicationV2[],
  until: () => number,
): Promise<void> {
  for (;;) {
    const r = await s.getNotifyV2(h, { timeoutMs: 100, max: 1000 });
    if (r.type === 'ok') out.push(...r.notifications);
    else if (r.type !== 'timeout' || (out.at(-1)?.revision ?? 0) >= until()) return;
  }
}

test(
  'a resumed v2 port receives exactly what a live port received after the revision, then goes live',
  { timeout: 60_000 },
  async () => {
    const store = createMemoryStore();
    // The live port is read only at the end, so it must hold the whole run.
    const service = await start(store, { engine: { maxQueuedPerPort: 100_000 } });
    const admin = service.openSession('full');
    const watcher = service.openSession('read');
    const hc = ok(watcher.openCluster()).handle;
    const live = ok(watcher.createNotifyV2()).handle;
    const sqlGroup =
      [...service.state.groups.values()].find((g) => g.name === 'SQL Group')?.id ?? '';
    ok(
      watcher.addNotifyV2(
        live,
        hc,
        { objectType: T.RESOURCE, filterFlags: ResV2.STATE },
        1,
        2,
        false,
      ),
    );
    ok(
      watcher.addNotifyV2(
        live,
        ok(watcher.openGroup('SQL Group')).handle,
        { objectType: T.GROUP, filterFlags: 0x8 },
        2,
        2,
        true,
      ),
    );
    const from = service.revision;
    // A history longer than the catch-up window (2,048 queued at a time).
    for (let i = 0; i < 1500; i++)
      ok(
        await admin.execute({
          type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
          resource: 'SQL Disk',
        }),
      );
    const filters: WireFilter[] = [
      { kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 },
      { kind: 'v2', objectType: T.GROUP, filterFlags: 0x8, notifyKey: 2, target: sqlGroup },
    ];
    const resumer = service.openSession('read');
    const resumed = ok(await resumer.resumeNotify(2, filters, from)).handle;
    // Commits keep coming while the resumed port catches up.
    const racing = (async () => {
      for (let i = 0; i < 50; i++)
        ok(
          await admin.execute({
            type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
            resource: 'SQL IP Address',
          }),
        );
    })();
    let end = Infinity;
    const a: IndicationV2[] = [];
    const b: IndicationV2[] = [];
    const reading = drainV2(resumer, resumed, b, () => end);
    await racing;
    end = service.revision;
    await Promise.all([drainV2(watcher, live, a, () => end), reading]);
    assert.ok(a.length > 6000, `live port saw ${a.length}`);
    assert.deepEqual(summary(b), summary(a));
    assert.ok(b.every((i) => i.lost === undefined));
    await service.close();
  },
);

test('a resumed v1 port matches a live one for cluster, object and key filters', async () => {
  const service = await start(createMemoryStore(), { engine: {} });
  const admin = service.openSession('full');
  const w = service.openSession('read');
  const hc = ok(w.openCluster()).handle;
  const live = ok(w.createNotify()).handle;
  const node = ok(w.openNode('NODE2'));
  const key = ok(w.openKey(ok(w.getRootKey(hc)).handle, 'Parameters'));
  ok(w.addNotifyCluster(live, hc, C.GROUP_STATE, 1));
  ok(w.addNotifyNode(live, node.handle, C.NODE_STATE, 2));
  ok(w.addNotifyKey(live, key.handle, 3, C.REGISTRY_VALUE, true));
  const from = service.revision;
  ok(await admin.execute({ type: 'node.down', node: 'NODE2' }));
  ok(
    await admin.execute({
      type: 'value.set',
      path: 'Parameters\\Settings',
      name: 'X',
      value: { type: 4, data: 1 },
    }),
  );
  ok(await admin.execute({ type: 'node.up', node: 'NODE2' }));
  const r = service.openSession('read');
  const h = ok(
    await r.resumeNotify(
      1,
      [
        { kind: 'cluster', filter: C.GROUP_STATE, notifyKey: 1 },
        {
          kind: 'object',
          objectType: T.NODE,
          objectId: node.id ?? '',
          filter: C.NODE_STATE,
          notifyKey: 2,
        },
        {
          kind: 'key',
          keyPath: 'Parameters',
          filter: C.REGISTRY_VALUE,
          watchSubtree: true,
          notifyKey: 3,
        },
      ],
      from,
    ),
  ).handle;
  const a = ok(await w.getNotifyAsync(live, { timeoutMs: 0 })).notifications;
  const b = ok(await r.getNotifyAsync(h, { timeoutMs: 0 })).notifications;
  assert.deepEqual(summary(b), summary(a));
  assert.ok(a.some((n) => n.filter === C.REGISTRY_VALUE && n.name === 'Settings'));
  await service.close();
});

test('resuming from history the store no longer holds answers "compacted"; bad revisions are refused', async () => {
  const store = createMemoryStore({ retainCommits: 10 });
  const service = await start(store, { engine: {} });
  const admin = service.openSession('full');
  for (let i = 0; i < 30; i++)
    ok(
      await admin.execute({
        type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
        resource: 'SQL Disk',
      }),
    );
  const s = service.openSession('read');
  const before = service.engine.stats().ports;
  assert.deepEqual(
    await s.resumeNotify(
      2,
      [{ kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 1 }],
      1,
    ),
    { type: 'compacted', status: 0x103 },
  );
  assert.equal(service.engine.stats().ports, before);
  const bad = await s.resumeNotify(2, [], service.revision + 5);
  assert.equal(bad.type, 'error');
  const badFilter = await s.resumeNotify(
    2,
    [{ kind: 'v2', objectType: 99, filterFlags: 1, notifyKey: 1 }],
    service.revision,
  );
  assert.equal((badFilter as { code?: string }).code, 'UNKNOWN_OBJECT_TYPE');
  assert.equal(service.engine.stats().ports, before);
  await service.close();
});

test('history compacted while a resumed port catches up: a lost-events indication stands in for the gap', async () => {
  const store = createMemoryStore();
  const service = await start(store, { engine: { maxQueuedPerPort: 64 } });
  const admin = service.openSession('full');
  const from = service.revision;
  // Far more history than the port takes at a time (half its bound: 32 queued).
  for (let i = 0; i < 200; i++)
    ok(
      await admin.execute({
        type: i % 2 === 0 ? 'resource.offline' : 'resource.online',
        resource: 'SQL Disk',
      }),
    );
  const resumer = service.openSession('read');
  const filters: WireFilter[] = [
    { kind: 'v2', objectType: T.RESOURCE, filterFlags: ResV2.STATE, notifyKey: 7 },
  ];
  const h = ok(await resumer.resumeNotify(2, filters, from)).handle;
  // The first window is queued; before the reader takes it, the rest of the history goes.
  await store.compact(service.revision - 10);
  const got: IndicationV2[] = [];
  for (;;) {
    const r = await resumer.getNotifyV2(h, { timeoutMs: 300, max: 1000 });
    if (r.type !== 'ok') break;
    got.push(...r.notifications);
  }
  const lostAt = got.findIndex((i) => i.lost !== undefined);
  assert.ok(lostAt > 0, 'history first, then the lost-events indication');
  const lost = got[lostAt] as IndicationV2;
  assert.deepEqual(lost.filterAndType, { objectType: T.CLUSTER, filterFlags: 0x200 });
  assert.ok(lost.lost !== undefined);
  const before = got[lostAt - 1] as IndicationV2;
  assert.equal(lost.lost.firstRevision, before.revision + 1, 'the gap starts after what came');
  assert.equal(lost.lost.lastRevision, service.revision, 'and runs to the published revision');
  assert.equal(got.length, lostAt + 1, 'nothing after it until the next commit');
  // The port is live after the gap.
  const next = ok(await admin.execute({ type: 'resource.offline', resource: 'FS Disk' }));
  const live = await resumer.getNotifyV2(h, { timeoutMs: 1000, max: 1000 });
  assert.equal(live.type, 'ok');
  if (live.type === 'ok')
    assert.ok(
      live.notifications.every((i) => i.revision === next.revision && i.lost === undefined),
    );
  await service.close();
});
