/**
 * Resume's replay must match live delivery exactly: for random filters and events, a port held
 * out of live publishes and then fed the same events by `replay` ends with the same indications,
 * in the same order, as an identical port that received them live (docs/protocol.md "Resume").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ClusterChange as C,
  ClusterChangeFamily as F,
  ClusterObjectType as T,
  V2_FAMILIES,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { EMPTY_BUFFER, ManualClock, NotificationEngine } from '@clusnotify/core';
import type { ChangeEvent, PortHandle } from '@clusnotify/core';

const IDS = ['a', 'b', 'c'];
const KEYS = ['', 'A', 'A\\B', 'A\\B\\C', 'D'];
const bitsOf = (mask: number): number[] => {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) out.push((1 << b) >>> 0);
  return out;
};
const subset = (mask: number): fc.Arbitrary<number> =>
  fc.subarray(bitsOf(mask), { minLength: 1 }).map((l) => l.reduce((a, b) => (a | b) >>> 0, 0));

type Reg = (e: NotificationEngine, h: PortHandle) => void;
const v1Filters: fc.Arbitrary<Reg> = fc.oneof(
  fc
    .tuple(
      subset(
        (F.NODE | F.GROUP | F.REGISTRY | F.REGISTRY_SUBTREE | C.CLUSTER_PROPERTY) >>> 0,
      ).filter((m) => (m & ~F.REGISTRY_SUBTREE) !== 0),
      fc.nat(9),
    )
    .map(
      ([filter, notifyKey]) =>
        (e: NotificationEngine, h: PortHandle) =>
          void e.addClusterFilter(h, { filter, notifyKey }),
    ),
  fc.tuple(fc.constantFrom(...IDS), subset(F.GROUP), fc.nat(9)).map(
    ([objectId, filter, notifyKey]) =>
      (e: NotificationEngine, h: PortHandle) =>
        void e.addObjectFilter(h, { objectType: T.GROUP, objectId, filter, notifyKey }),
  ),
  fc.tuple(fc.constantFrom(...KEYS), subset(F.REGISTRY), fc.boolean(), fc.nat(9)).map(
    ([keyPath, filter, watchSubtree, notifyKey]) =>
      (e: NotificationEngine, h: PortHandle) =>
        void e.addKeyFilter(h, { keyPath, filter, watchSubtree, notifyKey }),
  ),
);
const v2Filters: fc.Arbitrary<Reg> = fc
  .tuple(
    fc.constantFrom(T.CLUSTER, T.GROUP, T.REGISTRY),
    fc.option(fc.constantFrom(...IDS, 'A', 'A\\B'), { nil: undefined }),
    fc.nat(9),
  )
  .chain(([objectType, target, notifyKey]) => {
    const fam = V2_FAMILIES[objectType as keyof typeof V2_FAMILIES];
    if (fam === undefined) throw new Error('unreachable');
    const t = objectType === T.CLUSTER ? undefined : target;
    return subset((fam.all & ~fam.clientOnly) >>> 0)
      .filter((f) => (f & ~fam.modifier) !== 0)
      .map(
        (filterFlags) => (e: NotificationEngine, h: PortHandle) =>
          void e.addFilterV2(h, {
            objectType,
            filterFlags,
            notifyKey,
            ...(t === undefined ? {} : { target: t }),
          }),
      );
  });

const events: fc.Arbitrary<ChangeEvent[]> = fc.array(
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          C.NODE_STATE,
          C.GROUP_STATE,
          C.GROUP_DELETED,
          C.CLUSTER_PROPERTY,
          C.REGISTRY_NAME,
          C.REGISTRY_VALUE,
        ),
        fc.constantFrom(...IDS),
        fc.constantFrom(...KEYS),
      )
      .map(([change, id, path]): ChangeEvent => {
        const reg = (change & F.REGISTRY) !== 0;
        return {
          version: 1,
          revision: 0,
          change,
          objectId: reg ? '' : id,
          name: `n-${id}`,
          stateSequence: 1,
          keyPath: reg ? (path === '' && change === C.REGISTRY_NAME ? 'A' : path) : '',
        };
      }),
    fc
      .tuple(
        fc.constantFrom(T.CLUSTER, T.GROUP, T.REGISTRY),
        fc.integer({ min: 0, max: 31 }),
        fc.constantFrom(...IDS),
        fc.constantFrom(...KEYS),
      )
      .map(([objectType, bit, id, path]): ChangeEvent => {
        const fam = V2_FAMILIES[objectType as keyof typeof V2_FAMILIES];
        const usable = bitsOf(
          ((fam?.all ?? 1) & ~(fam?.clientOnly ?? 0) & ~(fam?.modifier ?? 0)) >>> 0,
        );
        const flag = usable[bit % usable.length] as number;
        const reg = objectType === T.REGISTRY;
        return {
          version: 2,
          revision: 0,
          objectType,
          flag,
          targetId: objectType === T.CLUSTER || reg ? '' : id,
          objectId: id,
          parentId: '',
          name: `n-${id}`,
          type: '',
          buffer: EMPTY_BUFFER,
          keyPath: reg ? (flag === 0x2 && path === '' ? 'D' : path) : '',
        };
      }),
  ),
  { minLength: 10, maxLength: 80 },
);

function drain(e: NotificationEngine, h: PortHandle): Indication[] {
  const r = e.takeNow(h, 100_000);
  return r.type === 'indications' ? r.indications : [];
}

test('replaying events into a held port gives exactly what live publishing gives an identical port', () => {
  let compared = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(1 as const, 2 as const),
      fc.array(fc.oneof(v1Filters, v2Filters), { minLength: 1, maxLength: 6 }),
      events,
      (version, regs, evs) => {
        const engine = new NotificationEngine({
          clock: new ManualClock(),
          clusterName: 'C',
          maxQueuedPerPort: 16,
        });
        const live = (engine.createPort(version) as { handle: string }).handle;
        const held = (engine.createPort(version) as { handle: string }).handle;
        for (const r of regs) {
          r(engine, live);
          r(engine, held);
        }
        engine.holdLive(held, true);
        const numbered = evs.map((e, i) => ({ ...e, revision: i + 1 }));
        engine.publish(numbered);
        assert.deepEqual(drain(engine, held), [], 'a held port gets nothing live');
        engine.replay(held, numbered);
        const a = drain(engine, live);
        const b = drain(engine, held);
        assert.deepEqual(b, a);
        compared += a.length;
      },
    ),
    { numRuns: 400 },
  );
  assert.ok(compared > 500, `compared only ${compared} indications`);
});
