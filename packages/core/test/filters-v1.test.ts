import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterChange as C, ClusterObjectType as T } from '@clusnotify/protocol';
import {
  assertFailure,
  assertOk,
  drainV1,
  ev1,
  openPort,
  reg1,
  setup,
  triples,
} from './helpers.js';

describe('cluster-wide filters (§3.1.4.2.58 ApiAddNotifyCluster)', () => {
  test('one indication per matching filter, each with one bit and its own key, in registration order', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addClusterFilter(h, { filter: C.GROUP_ADDED | C.GROUP_DELETED, notifyKey: 0xa }),
    );
    assertOk(
      engine.addObjectFilter(h, {
        objectType: T.GROUP,
        objectId: 'g1',
        filter: C.GROUP_DELETED,
        notifyKey: 0xb,
      }),
    );
    assertOk(
      engine.addClusterFilter(h, { filter: C.GROUP_DELETED | C.NODE_STATE, notifyKey: 0xc }),
    );
    engine.publish([
      ev1(C.GROUP_DELETED, 'g1', 'Group1'),
      ev1(C.GROUP_ADDED, 'g2', 'Group2'),
      ev1(C.NODE_STATE, 'n1', 'Node1'),
    ]);
    assert.deepEqual(triples(drainV1(engine, h)), [
      [C.GROUP_DELETED, 0xa, 'Group1'],
      [C.GROUP_DELETED, 0xb, 'Group1'],
      [C.GROUP_DELETED, 0xc, 'Group1'],
      [C.GROUP_ADDED, 0xa, 'Group2'],
      [C.NODE_STATE, 0xc, 'Node1'],
    ]);
  });

  test('the same filter on two ports queues on both; other classes are not queued', () => {
    const { engine } = setup();
    const a = openPort(engine, 1);
    const b = openPort(engine, 1);
    assertOk(engine.addClusterFilter(a, { filter: C.RESOURCE_STATE, notifyKey: 1 }));
    assertOk(
      engine.addClusterFilter(b, { filter: C.RESOURCE_STATE | C.CLUSTER_PROPERTY, notifyKey: 2 }),
    );
    engine.publish([
      ev1(C.RESOURCE_STATE, 'r1', 'Res1'),
      ev1(C.CLUSTER_PROPERTY, '', 'CLUSTER1'),
      ev1(C.GROUP_STATE, 'g', 'G'),
    ]);
    assert.deepEqual(triples(drainV1(engine, a)), [[C.RESOURCE_STATE, 1, 'Res1']]);
    assert.deepEqual(triples(drainV1(engine, b)), [
      [C.RESOURCE_STATE, 2, 'Res1'],
      [C.CLUSTER_PROPERTY, 2, 'CLUSTER1'],
    ]);
  });

  test('the high bit and a key of 0xFFFFFFFF round-trip as unsigned values', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addClusterFilter(h, {
        filter: C.NETINTERFACE_PROPERTY | C.CLUSTER_PROPERTY,
        notifyKey: 0xffffffff,
      }),
    );
    engine.publish([ev1(C.CLUSTER_PROPERTY, '', 'CLUSTER1')]);
    const [i] = drainV1(engine, h);
    assert.equal(i?.notifyKey, 4294967295);
    assert.equal(i?.filter, 0x40000000);
  });

  test('client-only bits are refused with CLIENT_ONLY_BITS and register nothing (§6.1 item 5; docs/decisions.md)', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    for (const bit of [C.CLUSTER_STATE, C.CLUSTER_RECONNECT, C.HANDLE_CLOSE, C.ALL]) {
      assertFailure(
        engine.addClusterFilter(h, { filter: C.GROUP_STATE | bit, notifyKey: 1 }),
        0x57,
        'CLIENT_ONLY_BITS',
      );
    }
    engine.publish([ev1(C.GROUP_STATE, 'g', 'G')]);
    assert.deepEqual(drainV1(engine, h), []);
    assert.equal(engine.stats().filters, 0);
  });

  test('an empty filter, or REGISTRY_SUBTREE alone, is refused with EMPTY_FILTER', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertFailure(engine.addClusterFilter(h, { filter: 0, notifyKey: 1 }), 0x57, 'EMPTY_FILTER');
    assertFailure(
      engine.addClusterFilter(h, { filter: C.REGISTRY_SUBTREE, notifyKey: 1 }),
      0x57,
      'EMPTY_FILTER',
    );
  });

  test('a notify key or mask outside 32 bits is refused and registers nothing', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    for (const notifyKey of [-1, 2 ** 32, 1.5, Number.NaN]) {
      assertFailure(
        engine.addClusterFilter(h, { filter: C.GROUP_STATE, notifyKey }),
        0x57,
        'INVALID_NOTIFY_KEY',
      );
    }
    assertFailure(
      engine.addClusterFilter(h, { filter: 2 ** 32, notifyKey: 1 }),
      0x57,
      'INVALID_ARGUMENT',
    );
    assert.equal(engine.stats().filters, 0);
  });

  test('the filter limit gives FILTER_LIMIT', () => {
    const { engine } = setup({ maxFiltersPerPort: 2 });
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: C.GROUP_STATE, notifyKey: 1 }));
    assertOk(engine.addClusterFilter(h, { filter: C.GROUP_STATE, notifyKey: 2 }));
    assertFailure(
      engine.addClusterFilter(h, { filter: C.GROUP_STATE, notifyKey: 3 }),
      0x8,
      'FILTER_LIMIT',
    );
  });
});

describe('per-object filters (§3.1.4.2.59–61, §3.1.4.2.90, §3.1.4.2.99)', () => {
  test('only events about that object are queued, matched by id so a rename keeps matching', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addObjectFilter(h, {
        objectType: T.RESOURCE,
        objectId: 'r1',
        filter: C.RESOURCE_STATE | C.RESOURCE_PROPERTY,
        notifyKey: 5,
      }),
    );
    engine.publish([
      ev1(C.RESOURCE_STATE, 'r1', 'Res1', { stateSequence: 1 }),
      ev1(C.RESOURCE_STATE, 'r2', 'Res2', { stateSequence: 1 }),
      ev1(C.RESOURCE_PROPERTY, 'r1', 'Renamed'),
      ev1(C.RESOURCE_DELETED, 'r1', 'Renamed'),
    ]);
    assert.deepEqual(triples(drainV1(engine, h)), [
      [C.RESOURCE_STATE, 5, 'Res1'],
      [C.RESOURCE_PROPERTY, 5, 'Renamed'],
    ]);
  });

  for (const [type, family, word] of [
    [T.NODE, 0x0000000f, 'node'],
    [T.GROUP, 0x0000f000, 'group'],
    [T.RESOURCE, 0x00000f00, 'resource'],
    [T.NETWORK, 0x00f00000, 'network'],
    [T.NETWORK_INTERFACE, 0x0f000000, 'network interface'],
  ] as const) {
    test(`a ${word} filter accepts its family 0x${family.toString(16)} and refuses any other bit (§6.2)`, () => {
      const { engine } = setup();
      const h = openPort(engine, 1);
      assertOk(
        engine.addObjectFilter(h, {
          objectType: type,
          objectId: 'x',
          filter: family,
          notifyKey: 1,
        }),
      );
      for (let bit = 1; bit !== 0; bit = (bit << 1) >>> 0) {
        if ((family & bit) !== 0 || (0xa0080000 & bit) !== 0) continue;
        assertFailure(
          engine.addObjectFilter(h, {
            objectType: type,
            objectId: 'x',
            filter: family | bit,
            notifyKey: 1,
          }),
          0x57,
          'FILTER_BITS_OUT_OF_FAMILY',
        );
      }
      assert.equal(engine.stats().filters, 1);
    });
  }

  test('object filters for types without v1 object filters, and empty ids, are refused', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertFailure(
      engine.addObjectFilter(h, {
        objectType: T.RESOURCE_TYPE,
        objectId: 'x',
        filter: C.RESOURCE_TYPE_ADDED,
        notifyKey: 1,
      }),
      0x57,
      'UNKNOWN_OBJECT_TYPE',
    );
    assertFailure(
      engine.addObjectFilter(h, { objectType: 99, objectId: 'x', filter: 1, notifyKey: 1 }),
      0x57,
      'UNKNOWN_OBJECT_TYPE',
    );
    assertFailure(
      engine.addObjectFilter(h, { objectType: T.NODE, objectId: '', filter: 1, notifyKey: 1 }),
      0x57,
      'INVALID_OBJECT_ID',
    );
    assertFailure(
      engine.addObjectFilter(h, { objectType: T.NODE, objectId: 'n', filter: 0, notifyKey: 1 }),
      0x57,
      'EMPTY_FILTER',
    );
    assertFailure(
      engine.addObjectFilter(h, {
        objectType: T.NODE,
        objectId: 'n',
        filter: C.HANDLE_CLOSE | 1,
        notifyKey: 1,
      }),
      0x57,
      'CLIENT_ONLY_BITS',
    );
  });
});

describe('ReAdd with state sequences (§3.1.4.2.63–65, §3.1.4.2.91, §3.1.4.2.100)', () => {
  test('a stale sequence queues one *_STATE indication at once with the current sequence and the ReAdd key', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    const r = engine.reAddObjectFilter(
      h,
      {
        objectType: T.GROUP,
        objectId: 'g1',
        filter: C.GROUP_STATE | C.GROUP_DELETED,
        notifyKey: 9,
        stateSequence: 3,
      },
      { name: 'Group1', stateSequence: 5 },
    );
    assertOk(r);
    const got = drainV1(engine, h);
    assert.deepEqual(triples(got), [[C.GROUP_STATE, 9, 'Group1']]);
    assert.equal(got[0]?.stateSequence, 5);
    // And the filter is registered like an Add.
    engine.publish([ev1(C.GROUP_DELETED, 'g1', 'Group1')]);
    assert.deepEqual(triples(drainV1(engine, h)), [[C.GROUP_DELETED, 9, 'Group1']]);
  });

  test('a current sequence queues nothing', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.reAddObjectFilter(
        h,
        {
          objectType: T.NODE,
          objectId: 'n1',
          filter: C.NODE_STATE,
          notifyKey: 9,
          stateSequence: 5,
        },
        { name: 'Node1', stateSequence: 5 },
      ),
    );
    assert.deepEqual(drainV1(engine, h), []);
  });

  test('a filter without the *_STATE bit gets no synthetic indication (docs/decisions.md)', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.reAddObjectFilter(
        h,
        {
          objectType: T.NETWORK,
          objectId: 'net',
          filter: C.NETWORK_PROPERTY,
          notifyKey: 9,
          stateSequence: 1,
        },
        { name: 'Net', stateSequence: 2 },
      ),
    );
    assert.deepEqual(drainV1(engine, h), []);
  });

  for (const [type, bit] of [
    [T.NODE, C.NODE_STATE],
    [T.RESOURCE, C.RESOURCE_STATE],
    [T.NETWORK, C.NETWORK_STATE],
    [T.NETWORK_INTERFACE, C.NETINTERFACE_STATE],
  ] as const) {
    test(`ReAdd for object type ${type} queues its family's state bit 0x${bit.toString(16)}`, () => {
      const { engine } = setup();
      const h = openPort(engine, 1);
      assertOk(
        engine.reAddObjectFilter(
          h,
          { objectType: type, objectId: 'o', filter: bit, notifyKey: 1, stateSequence: 0 },
          { name: 'O', stateSequence: 1 },
        ),
      );
      assert.deepEqual(triples(drainV1(engine, h)), [[bit, 1, 'O']]);
    });
  }

  test('a bad sequence is refused and registers nothing', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertFailure(
      engine.reAddObjectFilter(
        h,
        {
          objectType: T.NODE,
          objectId: 'n1',
          filter: C.NODE_STATE,
          notifyKey: 9,
          stateSequence: -1,
        },
        { name: 'Node1', stateSequence: 5 },
      ),
      0x57,
      'INVALID_ARGUMENT',
    );
    assert.equal(engine.stats().filters, 0);
  });
});

describe('registry filters (§3.1.4.2.62 ApiAddNotifyKey, §6.4 of the reference)', () => {
  test('a cluster filter with registry bits watches the root key: its values and immediate subkeys', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addClusterFilter(h, { filter: C.REGISTRY_VALUE | C.REGISTRY_NAME, notifyKey: 1 }),
    );
    engine.publish([
      reg1(C.REGISTRY_VALUE, ''),
      reg1(C.REGISTRY_NAME, 'A'),
      reg1(C.REGISTRY_VALUE, 'A'),
      reg1(C.REGISTRY_NAME, 'A\\B'),
    ]);
    assert.deepEqual(triples(drainV1(engine, h)), [
      [C.REGISTRY_VALUE, 1, ''],
      [C.REGISTRY_NAME, 1, 'A'],
    ]);
  });

  test('REGISTRY_SUBTREE widens a cluster filter to the whole database, names relative to the root', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addClusterFilter(h, {
        filter: C.REGISTRY_VALUE | C.REGISTRY_ATTRIBUTES | C.REGISTRY_SUBTREE,
        notifyKey: 1,
      }),
    );
    engine.publish([
      reg1(C.REGISTRY_VALUE, 'A\\B\\C'),
      reg1(C.REGISTRY_ATTRIBUTES, 'A'),
      reg1(C.REGISTRY_NAME, 'A\\B'),
    ]);
    assert.deepEqual(triples(drainV1(engine, h)), [
      [C.REGISTRY_VALUE, 1, 'A\\B\\C'],
      [C.REGISTRY_ATTRIBUTES, 1, 'A'],
    ]);
  });

  test('a key filter sees the key itself and its immediate subkeys; with watchSubtree every key below', () => {
    const { engine } = setup();
    const flat = openPort(engine, 1);
    const deep = openPort(engine, 1);
    const all = C.REGISTRY_NAME | C.REGISTRY_VALUE | C.REGISTRY_ATTRIBUTES;
    assertOk(
      engine.addKeyFilter(flat, {
        keyPath: 'Res\\Params',
        filter: all,
        watchSubtree: false,
        notifyKey: 1,
      }),
    );
    assertOk(
      engine.addKeyFilter(deep, {
        keyPath: 'Res\\Params',
        filter: all,
        watchSubtree: true,
        notifyKey: 2,
      }),
    );
    engine.publish([
      reg1(C.REGISTRY_VALUE, 'Res\\Params'),
      reg1(C.REGISTRY_ATTRIBUTES, 'Res\\Params'),
      reg1(C.REGISTRY_NAME, 'Res\\Params\\Sub'),
      reg1(C.REGISTRY_VALUE, 'Res\\Params\\Sub'),
      reg1(C.REGISTRY_NAME, 'Res\\Params\\Sub\\Deeper'),
      reg1(C.REGISTRY_VALUE, 'Res'),
      reg1(C.REGISTRY_VALUE, 'Res\\ParamsOther'),
      reg1(C.REGISTRY_NAME, 'Res\\Params'),
    ]);
    assert.deepEqual(triples(drainV1(engine, flat)), [
      [C.REGISTRY_VALUE, 1, ''],
      [C.REGISTRY_ATTRIBUTES, 1, ''],
      [C.REGISTRY_NAME, 1, 'Sub'],
      [C.REGISTRY_NAME, 1, ''],
    ]);
    assert.deepEqual(triples(drainV1(engine, deep)), [
      [C.REGISTRY_VALUE, 2, ''],
      [C.REGISTRY_ATTRIBUTES, 2, ''],
      [C.REGISTRY_NAME, 2, 'Sub'],
      [C.REGISTRY_VALUE, 2, 'Sub'],
      [C.REGISTRY_NAME, 2, 'Sub\\Deeper'],
      [C.REGISTRY_NAME, 2, ''],
    ]);
  });

  test('REGISTRY_SUBTREE in a key filter mask means watchSubtree; only registry bits are allowed', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    assertOk(
      engine.addKeyFilter(h, {
        keyPath: 'A',
        filter: C.REGISTRY_VALUE | C.REGISTRY_SUBTREE,
        watchSubtree: false,
        notifyKey: 3,
      }),
    );
    engine.publish([reg1(C.REGISTRY_VALUE, 'A\\B\\C')]);
    assert.deepEqual(triples(drainV1(engine, h)), [[C.REGISTRY_VALUE, 3, 'B\\C']]);
    assertFailure(
      engine.addKeyFilter(h, {
        keyPath: 'A',
        filter: C.REGISTRY_VALUE | C.GROUP_STATE,
        watchSubtree: false,
        notifyKey: 3,
      }),
      0x57,
      'FILTER_BITS_OUT_OF_FAMILY',
    );
    assertFailure(
      engine.addKeyFilter(h, {
        keyPath: 'A',
        filter: C.REGISTRY_SUBTREE,
        watchSubtree: true,
        notifyKey: 3,
      }),
      0x57,
      'EMPTY_FILTER',
    );
  });

  test('key paths with empty segments or stray backslashes are refused with INVALID_KEY_PATH', () => {
    const { engine } = setup();
    const h = openPort(engine, 1);
    for (const keyPath of ['\\A', 'A\\', 'A\\\\B', '\\']) {
      assertFailure(
        engine.addKeyFilter(h, {
          keyPath,
          filter: C.REGISTRY_VALUE,
          watchSubtree: false,
          notifyKey: 1,
        }),
        0x57,
        'INVALID_KEY_PATH',
      );
    }
    assertOk(
      engine.addKeyFilter(h, {
        keyPath: '',
        filter: C.REGISTRY_VALUE,
        watchSubtree: false,
        notifyKey: 1,
      }),
    );
  });
});

describe('bounded queue and lost events (§3.1.4.2.66, §2.2.2.12; docs/decisions.md)', () => {
  test('overflow keeps every queued indication and replaces the dropped run with one CLUSTER_RECONNECT', () => {
    const { engine } = setup({ maxQueuedPerPort: 3 });
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: C.RESOURCE_STATE, notifyKey: 4 }));
    assertOk(
      engine.addObjectFilter(h, {
        objectType: T.RESOURCE,
        objectId: 'r1',
        filter: C.RESOURCE_STATE,
        notifyKey: 5,
      }),
    );
    const events = [1, 2, 3, 4, 5].map((n) =>
      ev1(C.RESOURCE_STATE, 'r1', `s${n}`, { revision: 100 + n }),
    );
    engine.publish(events);
    assert.equal(engine.portInfo(h).type, 'ok');
    const got = drainV1(engine, h);
    assert.deepEqual(triples(got), [
      [C.RESOURCE_STATE, 4, 's1'],
      [C.RESOURCE_STATE, 5, 's1'],
      [C.RESOURCE_STATE, 4, 's2'],
      [C.CLUSTER_RECONNECT, 5, 'CLUSTER1'],
    ]);
    assert.deepEqual(got[3]?.lost, { count: 7, firstRevision: 102, lastRevision: 105 });
    assert.equal(engine.stats().dropped, 7);
    // After draining, new indications queue after the lost-events indication again.
    engine.publish([ev1(C.RESOURCE_STATE, 'r2', 'next', { revision: 106 })]);
    assert.deepEqual(triples(drainV1(engine, h)), [[C.RESOURCE_STATE, 4, 'next']]);
  });

  test('a port never holds more than its bound plus the one lost-events entry', () => {
    const { engine } = setup({ maxQueuedPerPort: 10 });
    const h = openPort(engine, 1);
    assertOk(engine.addClusterFilter(h, { filter: C.NODE_STATE, notifyKey: 1 }));
    for (let i = 0; i < 1000; i++) engine.publish([ev1(C.NODE_STATE, 'n', 'N')]);
    const info = engine.portInfo(h);
    assert.equal(info.type === 'ok' && info.info.queued, 11);
    assert.equal(info.type === 'ok' && info.info.dropped, 990);
    assert.equal(info.type === 'ok' && info.info.lostRuns, 1);
  });

  test('a port that overflows does not disturb another port', () => {
    const { engine } = setup({ maxQueuedPerPort: 2 });
    const slow = openPort(engine, 1);
    const fast = openPort(engine, 1);
    assertOk(engine.addClusterFilter(slow, { filter: C.NODE_STATE, notifyKey: 1 }));
    assertOk(engine.addClusterFilter(fast, { filter: C.NODE_STATE, notifyKey: 2 }));
    for (let i = 0; i < 20; i++) {
      engine.publish([ev1(C.NODE_STATE, 'n', `N${i}`)]);
      assert.equal(drainV1(engine, fast).length, 1);
    }
    assert.equal(drainV1(engine, slow).length, 3);
  });
});
