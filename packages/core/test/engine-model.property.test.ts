/**
 * Property test: random interleavings of create, register, change, read, parked read,
 * unblock and close, run against the engine and against a naive model written from the rules
 * (§3.1.1.8, §3.1.4.2.57–66, §3.1.4.2.107, §3.1.4.2.137–138, docs/decisions.md). Every read
 * must equal the model's: nothing lost, duplicated or reordered, and the bound holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ClusterChange as C,
  ClusterChangeClusterV2,
  ClusterChangeFamily as F,
  ClusterObjectType as T,
  V2_FAMILIES,
} from '@clusnotify/protocol';
import type { Indication } from '@clusnotify/protocol';
import { EMPTY_BUFFER, ManualClock, NotificationEngine } from '@clusnotify/core';
import type { ChangeEvent, NextResult, PortHandle } from '@clusnotify/core';

const OBJECTS = ['a', 'b', 'c'];
const KEYS = ['', 'A', 'A\\B', 'A\\B\\C', 'D'];
const V1_OBJECT_TYPES = [
  [T.NODE, F.NODE],
  [T.GROUP, F.GROUP],
  [T.RESOURCE, F.RESOURCE],
] as const;
const V1_EVENT_BITS = [
  C.NODE_STATE,
  C.NODE_PROPERTY,
  C.GROUP_STATE,
  C.GROUP_DELETED,
  C.RESOURCE_STATE,
  C.CLUSTER_PROPERTY,
  C.REGISTRY_NAME,
  C.REGISTRY_VALUE,
  C.REGISTRY_ATTRIBUTES,
];
const V2_TYPES = [T.CLUSTER, T.GROUP, T.RESOURCE, T.REGISTRY];
const BOUND = 4;

type Spec =
  | { kind: 'cluster'; mask: number; key: number }
  | { kind: 'object'; type: number; id: string; mask: number; key: number }
  | { kind: 'key'; path: string; mask: number; subtree: boolean; key: number }
  | { kind: 'v2'; type: number; flags: number; target: string | undefined; key: number };

type Op =
  | { op: 'create'; version: 1 | 2 }
  | { op: 'add'; port: number; spec: Spec }
  | { op: 'change'; events: ChangeEvent[] }
  | { op: 'read'; port: number; max: number }
  | { op: 'park'; port: number }
  | { op: 'unblock'; port: number }
  | { op: 'close'; port: number };

/** A subset of the set bits of `mask`, never empty. */
const bitsOf = (mask: number): number[] => {
  const bits: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) bits.push((1 << b) >>> 0);
  return bits;
};
const subsetOf = (mask: number): fc.Arbitrary<number> =>
  fc
    .subarray(bitsOf(mask), { minLength: 1 })
    .map((bits) => bits.reduce((a, b) => (a | b) >>> 0, 0));

/** What the runs exercised, so that a generator that stops producing cases fails the test. */
const seen = {
  indications: 0,
  lost: 0,
  mergedLost: 0,
  parkedData: 0,
  interrupted: 0,
  registry: 0,
  v2: 0,
};
function note(list: readonly Expected[]): void {
  for (const e of list) {
    seen.indications++;
    if (e.lost !== undefined) {
      seen.lost++;
      if (e.lost.count > 1) seen.mergedLost++;
    } else if (e.objectType !== 0) seen.v2++;
    if (e.objectType === T.REGISTRY || (e.objectType === 0 && (e.bit & F.REGISTRY) !== 0))
      seen.registry++;
  }
}

const keyArb = fc.integer({ min: 0, max: 0xffffffff });

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({
    kind: fc.constant('cluster' as const),
    mask: subsetOf(
      (F.NODE | F.GROUP | F.RESOURCE | F.REGISTRY | F.REGISTRY_SUBTREE | C.CLUSTER_PROPERTY) >>> 0,
    ).filter((m) => (m & ~F.REGISTRY_SUBTREE) !== 0),
    key: keyArb,
  }),
  fc
    .tuple(fc.constantFrom(...V1_OBJECT_TYPES), fc.constantFrom(...OBJECTS), keyArb, fc.integer())
    .chain(([[type, fam], id, key]) =>
      subsetOf(fam).map((mask) => ({ kind: 'object' as const, type, id, mask, key })),
    ),
  fc.record({
    kind: fc.constant('key' as const),
    path: fc.constantFrom(...KEYS),
    mask: subsetOf(F.REGISTRY),
    subtree: fc.boolean(),
    key: keyArb,
  }),
  fc
    .tuple(
      fc.constantFrom(...V2_TYPES),
      fc.option(fc.constantFrom(...OBJECTS, ...KEYS.slice(1)), { nil: undefined }),
      keyArb,
    )
    .chain(([type, target, key]) => {
      const fam = V2_FAMILIES[type as keyof typeof V2_FAMILIES];
      if (fam === undefined) throw new Error('unreachable');
      const registrable = (fam.all & ~fam.clientOnly) >>> 0;
      const t =
        type === T.CLUSTER
          ? undefined
          : type === T.REGISTRY
            ? target !== undefined && OBJECTS.includes(target)
              ? undefined
              : target
            : target !== undefined && OBJECTS.includes(target)
              ? target
              : undefined;
      return subsetOf(registrable)
        .filter((f) => (f & ~fam.modifier) !== 0)
        .map((flags) => ({ kind: 'v2' as const, type, flags, target: t, key }));
    }),
);

const v1EventArb: fc.Arbitrary<ChangeEvent> = fc
  .tuple(
    fc.constantFrom(...V1_EVENT_BITS),
    fc.constantFrom(...OBJECTS),
    fc.constantFrom(...KEYS),
    fc.nat(50),
  )
  .map(([change, id, path, seq]) => {
    const registry = (change & F.REGISTRY) !== 0;
    return {
      version: 1,
      revision: 0,
      change,
      objectId: registry || change === C.CLUSTER_PROPERTY ? '' : id,
      name: `N-${id}`,
      stateSequence: seq,
      keyPath: registry ? (change === C.REGISTRY_NAME && path === '' ? 'A' : path) : '',
    };
  });

const v2EventArb: fc.Arbitrary<ChangeEvent> = fc
  .tuple(
    fc.constantFrom(...V2_TYPES),
    fc.constantFrom(...OBJECTS),
    fc.constantFrom(...KEYS),
    fc.integer({ min: 0, max: 31 }),
  )
  .map(([objectType, id, path, bitNo]) => {
    const fam = V2_FAMILIES[objectType as keyof typeof V2_FAMILIES];
    if (fam === undefined) throw new Error('unreachable');
    const bits = bitsOf((fam.all & ~fam.clientOnly & ~fam.modifier) >>> 0);
    const flag = bits[bitNo % bits.length] as number;
    const registry = objectType === T.REGISTRY;
    return {
      version: 2,
      revision: 0,
      objectType,
      flag,
      targetId: objectType === T.CLUSTER || registry ? '' : id,
      objectId: id,
      parentId: 'p',
      name: `N-${id}`,
      type: '',
      buffer: EMPTY_BUFFER,
      keyPath: registry ? (flag === 0x2 && path === '' ? 'D' : path) : '',
    };
  });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('create' as const),
      version: fc.constantFrom(1 as const, 2 as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('add' as const), port: fc.nat(4), spec: specArb }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      op: fc.constant('change' as const),
      events: fc.array(fc.oneof(v1EventArb, v2EventArb), { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('read' as const),
      port: fc.nat(4),
      max: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('park' as const), port: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unblock' as const), port: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), port: fc.nat(4) }) },
);

/** Ports and filters first, so that most later operations have something to act on. */
const setupArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constant('add' as const),
  port: fc.nat(3),
  spec: specArb,
});
const PORTS: Op[] = [
  { op: 'create', version: 1 },
  { op: 'create', version: 1 },
  { op: 'create', version: 2 },
  { op: 'create', version: 2 },
];

// ----- the naive model -------------------------------------------------------------------

interface Expected {
  key: number;
  bit: number;
  objectType: number;
  name: string;
  revision: number;
  lost?: { count: number; firstRevision: number; lastRevision: number };
}
interface ModelPort {
  handle: PortHandle;
  version: 1 | 2;
  state: 'open' | 'unblocked' | 'closed';
  filters: Spec[];
  queue: Expected[];
  parked: { promise: Promise<NextResult>; expect: 'woken' | 'interrupted' | undefined }[];
}

function registryMatch(path: string, watched: string, subtree: boolean, isName: boolean): boolean {
  if (path === watched) return true;
  if (subtree && (watched === '' || path.startsWith(watched + '\\'))) return true;
  const cut = path.lastIndexOf('\\');
  const parent = cut < 0 ? '' : path.slice(0, cut);
  return isName && path !== '' && parent === watched;
}
function rel(path: string, watched: string): string {
  return watched === '' ? path : path === watched ? '' : path.slice(watched.length + 1);
}

function modelMatch(port: ModelPort, ev: ChangeEvent): Expected[] {
  const out: Expected[] = [];
  for (const f of port.filters) {
    if (ev.version === 1 && port.version === 1) {
      const registry = (ev.change & F.REGISTRY) !== 0;
      const base = { bit: ev.change, objectType: 0, revision: ev.revision };
      if (f.kind === 'cluster' && (f.mask & ev.change) !== 0) {
        if (!registry) out.push({ ...base, key: f.key, name: ev.name });
        else if (
          registryMatch(
            ev.keyPath,
            '',
            (f.mask & F.REGISTRY_SUBTREE) !== 0,
            ev.change === C.REGISTRY_NAME,
          )
        )
          out.push({ ...base, key: f.key, name: ev.keyPath });
      } else if (
        f.kind === 'object' &&
        !registry &&
        f.id === ev.objectId &&
        (f.mask & ev.change) !== 0
      ) {
        out.push({ ...base, key: f.key, name: ev.name });
      } else if (
        f.kind === 'key' &&
        registry &&
        (f.mask & ev.change) !== 0 &&
        registryMatch(ev.keyPath, f.path, f.subtree, ev.change === C.REGISTRY_NAME)
      ) {
        out.push({ ...base, key: f.key, name: rel(ev.keyPath, f.path) });
      }
    } else if (
      ev.version === 2 &&
      port.version === 2 &&
      f.kind === 'v2' &&
      f.type === ev.objectType &&
      (f.flags & ev.flag) !== 0
    ) {
      const base = { key: f.key, bit: ev.flag, objectType: ev.objectType, revision: ev.revision };
      if (ev.objectType === T.REGISTRY) {
        if (registryMatch(ev.keyPath, f.target ?? '', (f.flags & 0x4) !== 0, ev.flag === 0x2))
          out.push({ ...base, name: rel(ev.keyPath, f.target ?? '') });
      } else if (f.target === undefined || f.target === ev.targetId) {
        out.push({ ...base, name: ev.name });
      }
    }
  }
  return out;
}

/** Appending to the queue wakes the oldest parked reader not yet woken; it reads the head later. */
function wakeOne(port: ModelPort): void {
  const waiter = port.parked.find((p) => p.expect === undefined);
  if (waiter !== undefined) waiter.expect = 'woken';
}

function modelEnqueue(port: ModelPort, e: Expected): void {
  if (port.state !== 'open') return;
  if (port.queue.length >= BOUND) {
    const last = port.queue[port.queue.length - 1];
    if (last?.lost !== undefined) {
      last.lost.count++;
      last.lost.lastRevision = e.revision;
      last.revision = e.revision;
    } else {
      const lostBit =
        port.version === 1 ? C.CLUSTER_RECONNECT : ClusterChangeClusterV2.LOST_NOTIFICATIONS;
      port.queue.push({
        key: e.key,
        bit: lostBit,
        objectType: port.version === 1 ? 0 : T.CLUSTER,
        name: port.version === 1 ? 'CLUSTER1' : '',
        revision: e.revision,
        lost: { count: 1, firstRevision: e.revision, lastRevision: e.revision },
      });
      wakeOne(port);
    }
    return;
  }
  port.queue.push(e);
  wakeOne(port);
}

function actual(i: Indication): Expected {
  const base =
    i.version === 1
      ? { key: i.notifyKey, bit: i.filter, objectType: 0, name: i.name, revision: i.revision }
      : {
          key: i.notifyKey,
          bit: i.filterAndType.filterFlags,
          objectType: i.filterAndType.objectType,
          name: i.name,
          revision: i.revision,
        };
  return i.lost === undefined ? base : { ...base, lost: { ...i.lost } };
}

function specCall(
  engine: NotificationEngine,
  handle: PortHandle,
  s: Spec,
): { type: string; status: number } {
  switch (s.kind) {
    case 'cluster':
      return engine.addClusterFilter(handle, { filter: s.mask, notifyKey: s.key });
    case 'object':
      return engine.addObjectFilter(handle, {
        objectType: s.type,
        objectId: s.id,
        filter: s.mask,
        notifyKey: s.key,
      });
    case 'key':
      return engine.addKeyFilter(handle, {
        keyPath: s.path,
        filter: s.mask,
        watchSubtree: s.subtree,
        notifyKey: s.key,
      });
    case 'v2':
      return engine.addFilterV2(handle, {
        objectType: s.type,
        filterFlags: s.flags,
        notifyKey: s.key,
        ...(s.target === undefined ? {} : { target: s.target }),
      });
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function run(ops: Op[]): Promise<void> {
  let revision = 0;
  const engine = new NotificationEngine({
    clock: new ManualClock(),
    clusterName: 'CLUSTER1',
    maxQueuedPerPort: BOUND,
  });
  const ports: ModelPort[] = [];
  for (const op of ops) {
    const port = 'port' in op ? ports[op.port] : undefined;
    switch (op.op) {
      case 'create': {
        const r = engine.createPort(op.version);
        assert.equal(r.type, 'ok');
        if (r.type === 'ok')
          ports.push({
            handle: r.handle,
            version: op.version,
            state: 'open',
            filters: [],
            queue: [],
            parked: [],
          });
        break;
      }
      case 'add': {
        if (port === undefined) break;
        const r = specCall(engine, port.handle, op.spec);
        const wantVersion = op.spec.kind === 'v2' ? 2 : 1;
        if (port.state === 'closed') assert.equal(r.status, 6);
        else if (port.version !== wantVersion) assert.equal(r.status, 6);
        else if (port.state === 'unblocked') assert.equal(r.status, 0x103);
        else {
          assert.equal(r.status, 0, JSON.stringify(r));
          port.filters.push(op.spec);
        }
        break;
      }
      case 'change': {
        // Fresh objects: the engine keeps events by reference until they are read.
        const events = op.events.map((ev) => ({ ...ev, revision: ++revision }));
        engine.publish(events);
        for (const ev of events)
          for (const p of ports) for (const e of modelMatch(p, ev)) modelEnqueue(p, e);
        break;
      }
      case 'read': {
        if (port === undefined) break;
        const r = engine.takeNow(port.handle, op.max);
        if (port.state === 'closed') assert.equal(r.status, 6);
        else if (port.state === 'unblocked') assert.equal(r.type, 'unblocked');
        else {
          assert.equal(r.type, 'indications');
          const want = port.queue.splice(0, op.max);
          note(want);
          assert.deepEqual(r.type === 'indications' ? r.indications.map(actual) : [], want);
        }
        break;
      }
      case 'park': {
        if (port === undefined) break;
        if (port.state !== 'open' || port.queue.length > 0) break;
        port.parked.push({ promise: engine.next(port.handle), expect: undefined });
        break;
      }
      case 'unblock':
      case 'close': {
        if (port === undefined) break;
        const r = op.op === 'unblock' ? engine.unblock(port.handle) : engine.close(port.handle);
        if (port.state === 'closed') {
          assert.equal(r.status, 6);
          break;
        }
        assert.equal(r.status, 0);
        for (const p of port.parked) if (p.expect === undefined) p.expect = 'interrupted';
        port.queue = [];
        port.state = op.op === 'unblock' ? 'unblocked' : 'closed';
        break;
      }
    }
    await settle();
    // Parked reads that the model says are complete must be complete, with the right value.
    for (const p of ports) {
      const still: ModelPort['parked'] = [];
      for (const w of p.parked) {
        if (w.expect === undefined) {
          still.push(w);
          continue;
        }
        const r = await w.promise;
        if (w.expect === 'interrupted') {
          seen.interrupted++;
          assert.deepEqual(r, { type: 'interrupted', status: 1 });
        } else {
          // A woken reader takes the head of the queue when it runs.
          const head = p.queue.shift();
          assert.ok(head !== undefined, 'a woken reader finds the queue non-empty');
          seen.parkedData++;
          note([head]);
          assert.equal(r.type, 'indication', JSON.stringify(r));
          if (r.type === 'indication') assert.deepEqual(actual(r.indication), head);
        }
      }
      p.parked = still;
      const info = engine.portInfo(p.handle);
      if (info.type === 'ok') {
        assert.ok(info.info.queued <= BOUND + 1, 'bound holds');
        assert.equal(info.info.queued, p.queue.length);
      }
    }
  }
  // Finally: everything still queued comes out exactly as the model says; then close all.
  for (const p of ports) {
    if (p.state === 'open') {
      const r = engine.takeNow(p.handle, 1_000_000);
      assert.deepEqual(r.type === 'indications' ? r.indications.map(actual) : r, p.queue);
      note(p.queue);
    }
    if (p.state !== 'closed') engine.close(p.handle);
    for (const w of p.parked) assert.deepEqual(await w.promise, { type: 'interrupted', status: 1 });
  }
  assert.equal(engine.stats().ports, 0);
  assert.equal(engine.stats().queued, 0);
}

test('random interleavings never lose, duplicate or reorder an indication, and the bound holds', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(
        fc.array(setupArb, { minLength: 4, maxLength: 16 }),
        fc.array(opArb, { minLength: 10, maxLength: 80 }),
      ),
      ([prefix, ops]) => run([...PORTS, ...prefix, ...ops]),
    ),
    { numRuns: 500 },
  );
  const floor = {
    indications: 1000,
    lost: 100,
    mergedLost: 50,
    parkedData: 40,
    interrupted: 30,
    registry: 200,
    v2: 200,
  };
  for (const [what, n] of Object.entries(seen)) {
    assert.ok(
      n >= floor[what as keyof typeof floor],
      `the runs exercised ${what} only ${n} times: ${JSON.stringify(seen)}`,
    );
  }
});
