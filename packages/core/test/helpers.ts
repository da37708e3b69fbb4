import { ClusterChange } from '@clusnotify/protocol';
import type { Indication, IndicationV1, IndicationV2 } from '@clusnotify/protocol';
import { EMPTY_BUFFER, ManualClock, NotificationEngine } from '@clusnotify/core';
import type {
  ChangeEventV1,
  ChangeEventV2,
  EngineOptions,
  PortHandle,
  TakeResult,
} from '@clusnotify/core';
import assert from 'node:assert/strict';

export function setup(options: EngineOptions = {}): {
  engine: NotificationEngine;
  clock: ManualClock;
} {
  const clock = new ManualClock();
  const engine = new NotificationEngine({ clock, clusterName: 'CLUSTER1', ...options });
  return { engine, clock };
}

export function openPort(engine: NotificationEngine, version: 1 | 2): PortHandle {
  const r = engine.createPort(version);
  assert.equal(r.type, 'ok');
  if (r.type !== 'ok') throw new Error('unreachable');
  return r.handle;
}

let rev = 0;
/** A version-1 event about an object (revision increases by one per call unless given). */
export function ev1(
  change: number,
  objectId: string,
  name: string,
  extra: Partial<ChangeEventV1> = {},
): ChangeEventV1 {
  return {
    version: 1,
    revision: ++rev,
    change,
    objectId,
    name,
    stateSequence: 0,
    keyPath: '',
    ...extra,
  };
}

/** A version-1 registry event at `keyPath`. */
export function reg1(change: number, keyPath: string): ChangeEventV1 {
  return ev1(change, '', '', { keyPath });
}

/** A version-2 event. */
export function ev2(
  objectType: number,
  flag: number,
  targetId: string,
  extra: Partial<ChangeEventV2> = {},
): ChangeEventV2 {
  return {
    version: 2,
    revision: ++rev,
    objectType,
    flag,
    targetId,
    objectId: targetId,
    parentId: '',
    name: `name-of-${targetId}`,
    type: '',
    buffer: EMPTY_BUFFER,
    keyPath: '',
    ...extra,
  };
}

/** Everything queued on the port now, without waiting. */
export function drain(engine: NotificationEngine, handle: PortHandle): Indication[] {
  const r: TakeResult = engine.takeNow(handle, 1_000_000);
  assert.equal(r.type, 'indications', JSON.stringify(r));
  return r.type === 'indications' ? r.indications : [];
}

export function drainV1(engine: NotificationEngine, handle: PortHandle): IndicationV1[] {
  return drain(engine, handle).map((i) => {
    assert.equal(i.version, 1);
    return i;
  });
}

export function drainV2(engine: NotificationEngine, handle: PortHandle): IndicationV2[] {
  return drain(engine, handle).map((i) => {
    assert.equal(i.version, 2);
    return i;
  });
}

/** (filter bit, key, name) triples of version-1 indications, for compact assertions. */
export function triples(list: readonly IndicationV1[]): [number, number, string][] {
  return list.map((i) => [i.filter, i.notifyKey, i.name]);
}

export function assertOk(r: { type: string; status: number }): void {
  assert.deepEqual([r.type, r.status], ['ok', 0], JSON.stringify(r));
}

export function assertFailure(
  r: { type: string; status: number },
  status: number,
  code: string,
): void {
  assert.equal(r.type, 'error', JSON.stringify(r));
  assert.equal(r.status, status, JSON.stringify(r));
  assert.equal((r as { code?: string }).code, code, JSON.stringify(r));
}

export { ClusterChange };
