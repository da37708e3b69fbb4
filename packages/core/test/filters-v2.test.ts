import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClusterChangeClusterV2 as CV2,
  ClusterChangeGroupV2 as GV2,
  ClusterChangeRegistryV2 as RV2,
  ClusterChangeResourceTypeV2 as RTV2,
  ClusterChangeResourceV2 as ResV2,
  ClusterObjectType as T,
  V2_FAMILIES,
} from '@clusnotify/protocol';
import { assertFailure, assertOk, drainV2, ev2, openPort, setup } from './helpers.js';

function summary(list: ReturnType<typeof drainV2>): [number, number, number, string, string][] {
  return list.map((i) => [
    i.filterAndType.objectType,
    i.filterAndType.filterFlags,
    i.notifyKey,
    i.objectId,
    i.name,
  ]);
}

describe('version-2 filters (§3.1.4.2.137 ApiAddNotifyV2)', () => {
  test('a whole-type filter queues every object of the type, one flag per indication, with the NOTIFICATION_DATA fields', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    assertOk(
      engine.addFilterV2(h, {
        objectType: T.GROUP,
        filterFlags: GV2.STATE | GV2.DELETED,
        notifyKey: 11,
      }),
    );
    const buffer = new Uint8Array([2, 0, 0, 0]);
    engine.publish([
      ev2(T.GROUP, GV2.STATE, 'g1', { parentId: 'n1', name: 'Group1', buffer }),
      ev2(T.GROUP, GV2.OWNER_NODE, 'g1'),
      ev2(T.RESOURCE, ResV2.STATE, 'r1'),
      ev2(T.GROUP, GV2.DELETED, 'g2', { name: 'Group2' }),
    ]);
    const got = drainV2(engine, h);
    assert.deepEqual(summary(got), [
      [T.GROUP, GV2.STATE, 11, 'g1', 'Group1'],
      [T.GROUP, GV2.DELETED, 11, 'g2', 'Group2'],
    ]);
    assert.equal(got[0]?.parentId, 'n1');
    assert.deepEqual([...(got[0]?.buffer ?? [])], [2, 0, 0, 0]);
    assert.equal(got[0]?.type, '');
  });

  test('a targeted filter matches one object by its target id, even when the object id differs (GROUP_RESOURCE_ADDED)', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    assertOk(
      engine.addFilterV2(h, {
        objectType: T.GROUP,
        filterFlags: GV2.RESOURCE_ADDED,
        notifyKey: 1,
        target: 'g1',
      }),
    );
    engine.publish([
      ev2(T.GROUP, GV2.RESOURCE_ADDED, 'g1', { objectId: 'r9', name: 'Res9' }),
      ev2(T.GROUP, GV2.RESOURCE_ADDED, 'g2', { objectId: 'r8', name: 'Res8' }),
    ]);
    assert.deepEqual(summary(drainV2(engine, h)), [[T.GROUP, GV2.RESOURCE_ADDED, 1, 'r9', 'Res9']]);
  });

  test('a resource type filter matches by type name (§3.1.4.2.144 ApiAddNotifyResourceTypeV2)', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    assertOk(
      engine.addResourceTypeFilterV2(h, {
        resourceTypeName: 'Physical Disk',
        filterFlags: RTV2.SPECIFIC | RTV2.DELETED,
        notifyKey: 3,
      }),
    );
    engine.publish([
      ev2(T.RESOURCE_TYPE, RTV2.SPECIFIC, 'Physical Disk', { objectId: '', name: 'Physical Disk' }),
      ev2(T.RESOURCE_TYPE, RTV2.SPECIFIC, 'IP Address', { objectId: '', name: 'IP Address' }),
    ]);
    assert.deepEqual(summary(drainV2(engine, h)), [
      [T.RESOURCE_TYPE, RTV2.SPECIFIC, 3, '', 'Physical Disk'],
    ]);
  });

  test('two filters on one port matching one event give two indications in registration order', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    assertOk(
      engine.addFilterV2(h, {
        objectType: T.RESOURCE,
        filterFlags: ResV2.STATE,
        notifyKey: 1,
        target: 'r1',
      }),
    );
    assertOk(
      engine.addFilterV2(h, {
        objectType: T.RESOURCE,
        filterFlags: ResV2.ALL & ~ResV2.HANDLE_CLOSE,
        notifyKey: 2,
      }),
    );
    engine.publish([ev2(T.RESOURCE, ResV2.STATE, 'r1')]);
    assert.deepEqual(
      drainV2(engine, h).map((i) => i.notifyKey),
      [1, 2],
    );
  });

  test('registry filters watch the root, the root subtree with SUBTREE_V2, or a targeted key; names are relative', () => {
    const { engine } = setup();
    const root = openPort(engine, 2);
    const tree = openPort(engine, 2);
    const key = openPort(engine, 2);
    const flags = RV2.NAME | RV2.VALUE | RV2.ATTRIBUTES;
    assertOk(
      engine.addFilterV2(root, { objectType: T.REGISTRY, filterFlags: flags, notifyKey: 1 }),
    );
    assertOk(
      engine.addFilterV2(tree, {
        objectType: T.REGISTRY,
        filterFlags: flags | RV2.SUBTREE,
        notifyKey: 2,
      }),
    );
    assertOk(
      engine.addFilterV2(key, {
        objectType: T.REGISTRY,
        filterFlags: flags | RV2.SUBTREE,
        notifyKey: 3,
        target: 'A\\B',
      }),
    );
    engine.publish([
      ev2(T.REGISTRY, RV2.VALUE, '', { keyPath: '', objectId: 'v0' }),
      ev2(T.REGISTRY, RV2.VALUE, '', { keyPath: 'A\\B\\C', objectId: 'v1' }),
      ev2(T.REGISTRY, RV2.NAME, '', { keyPath: 'A', objectId: '' }),
    ]);
    assert.deepEqual(summary(drainV2(engine, root)), [
      [T.REGISTRY, RV2.VALUE, 1, 'v0', ''],
      [T.REGISTRY, RV2.NAME, 1, '', 'A'],
    ]);
    assert.deepEqual(summary(drainV2(engine, tree)), [
      [T.REGISTRY, RV2.VALUE, 2, 'v0', ''],
      [T.REGISTRY, RV2.VALUE, 2, 'v1', 'A\\B\\C'],
      [T.REGISTRY, RV2.NAME, 2, '', 'A'],
    ]);
    assert.deepEqual(summary(drainV2(engine, key)), [[T.REGISTRY, RV2.VALUE, 3, 'v1', 'C']]);
  });

  test('unknown object types are refused with INVALID_PARAMETER', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    for (const objectType of [
      T.NONE,
      T.SBL_DEVICE,
      T.CERT,
      T.AFFINITYRULE,
      T.FAULTDOMAIN,
      99,
      1.5,
    ]) {
      assertFailure(
        engine.addFilterV2(h, { objectType, filterFlags: 1, notifyKey: 1 }),
        0x57,
        'UNKNOWN_OBJECT_TYPE',
      );
    }
  });

  test('every object type refuses flags outside its enumeration and its client-only flags', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    for (const fam of Object.values(V2_FAMILIES)) {
      if (fam === undefined) continue;
      const outside = (~fam.all & 0xffffffff) >>> 0;
      const lowest = (outside & -outside) >>> 0;
      assertFailure(
        engine.addFilterV2(h, {
          objectType: fam.objectType,
          filterFlags: fam.all | lowest,
          notifyKey: 1,
        }),
        0x57,
        'FILTER_BITS_OUT_OF_FAMILY',
      );
      assertFailure(
        engine.addFilterV2(h, { objectType: fam.objectType, filterFlags: 2 ** 40, notifyKey: 1 }),
        0x57,
        'FILTER_BITS_OUT_OF_FAMILY',
      );
      if (fam.clientOnly !== 0) {
        assertFailure(
          engine.addFilterV2(h, {
            objectType: fam.objectType,
            filterFlags: fam.clientOnly,
            notifyKey: 1,
          }),
          0x57,
          'CLIENT_ONLY_BITS',
        );
      }
      const registrable = (fam.all & ~fam.clientOnly) >>> 0;
      assertOk(
        engine.addFilterV2(h, {
          objectType: fam.objectType,
          filterFlags: registrable,
          notifyKey: 1,
        }),
      );
    }
    assertFailure(
      engine.addFilterV2(h, {
        objectType: T.CLUSTER,
        filterFlags: CV2.RECONNECT | CV2.GROUP_ADDED,
        notifyKey: 1,
      }),
      0x57,
      'CLIENT_ONLY_BITS',
    );
    assertFailure(
      engine.addFilterV2(h, { objectType: T.CLUSTER, filterFlags: CV2.STATE, notifyKey: 1 }),
      0x57,
      'CLIENT_ONLY_BITS',
    );
  });

  test('empty flags, SUBTREE alone, a target for a whole-only type and a bad key are refused', () => {
    const { engine } = setup();
    const h = openPort(engine, 2);
    assertFailure(
      engine.addFilterV2(h, { objectType: T.GROUP, filterFlags: 0, notifyKey: 1 }),
      0x57,
      'EMPTY_FILTER',
    );
    assertFailure(
      engine.addFilterV2(h, { objectType: T.REGISTRY, filterFlags: RV2.SUBTREE, notifyKey: 1 }),
      0x57,
      'EMPTY_FILTER',
    );
    assertFailure(
      engine.addFilterV2(h, {
        objectType: T.CLUSTER,
        filterFlags: CV2.RENAME,
        notifyKey: 1,
        target: 'x',
      }),
      0x57,
      'TARGET_NOT_ALLOWED',
    );
    assertFailure(
      engine.addFilterV2(h, {
        objectType: T.GROUP,
        filterFlags: GV2.STATE,
        notifyKey: 1,
        target: '',
      }),
      0x57,
      'INVALID_OBJECT_ID',
    );
    assertFailure(
      engine.addFilterV2(h, {
        objectType: T.REGISTRY,
        filterFlags: RV2.VALUE,
        notifyKey: 1,
        target: 'A\\',
      }),
      0x57,
      'INVALID_KEY_PATH',
    );
    assertFailure(
      engine.addFilterV2(h, { objectType: T.GROUP, filterFlags: GV2.STATE, notifyKey: -3 }),
      0x57,
      'INVALID_NOTIFY_KEY',
    );
    assert.equal(engine.stats().filters, 0);
  });

  test('overflow on a v2 port yields CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2 without a matching registration', () => {
    const { engine } = setup({ maxQueuedPerPort: 2 });
    const h = openPort(engine, 2);
    assertOk(engine.addFilterV2(h, { objectType: T.GROUP, filterFlags: GV2.STATE, notifyKey: 6 }));
    engine.publish(
      [1, 2, 3, 4].map((n) => ev2(T.GROUP, GV2.STATE, `g${n}`, { revision: 200 + n })),
    );
    const got = drainV2(engine, h);
    assert.deepEqual(summary(got), [
      [T.GROUP, GV2.STATE, 6, 'g1', 'name-of-g1'],
      [T.GROUP, GV2.STATE, 6, 'g2', 'name-of-g2'],
      [T.CLUSTER, CV2.LOST_NOTIFICATIONS, 6, '', ''],
    ]);
    assert.deepEqual(got[2]?.lost, { count: 2, firstRevision: 203, lastRevision: 204 });
    assert.equal(got[2]?.buffer.length, 0);
  });
});
