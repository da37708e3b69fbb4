import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterChange,
  ClusterChangeFamily,
  clusterChangeSpecName,
  isSingleBit,
} from '@clusnotify/protocol';

test('ClusterChange holds the 32 CLUSTER_CHANGE bits of §2.2.2.7 and the SDK ALL mask', () => {
  assert.deepEqual(ClusterChange, {
    NODE_STATE: 0x00000001,
    NODE_DELETED: 0x00000002,
    NODE_ADDED: 0x00000004,
    NODE_PROPERTY: 0x00000008,
    REGISTRY_NAME: 0x00000010,
    REGISTRY_ATTRIBUTES: 0x00000020,
    REGISTRY_VALUE: 0x00000040,
    REGISTRY_SUBTREE: 0x00000080,
    RESOURCE_STATE: 0x00000100,
    RESOURCE_DELETED: 0x00000200,
    RESOURCE_ADDED: 0x00000400,
    RESOURCE_PROPERTY: 0x00000800,
    GROUP_STATE: 0x00001000,
    GROUP_DELETED: 0x00002000,
    GROUP_ADDED: 0x00004000,
    GROUP_PROPERTY: 0x00008000,
    RESOURCE_TYPE_DELETED: 0x00010000,
    RESOURCE_TYPE_ADDED: 0x00020000,
    RESOURCE_TYPE_PROPERTY: 0x00040000,
    CLUSTER_RECONNECT: 0x00080000,
    NETWORK_STATE: 0x00100000,
    NETWORK_DELETED: 0x00200000,
    NETWORK_ADDED: 0x00400000,
    NETWORK_PROPERTY: 0x00800000,
    NETINTERFACE_STATE: 0x01000000,
    NETINTERFACE_DELETED: 0x02000000,
    NETINTERFACE_ADDED: 0x04000000,
    NETINTERFACE_PROPERTY: 0x08000000,
    QUORUM_STATE: 0x10000000,
    CLUSTER_STATE: 0x20000000,
    CLUSTER_PROPERTY: 0x40000000,
    HANDLE_CLOSE: 0x80000000,
    ALL: 0xffffffff,
  });
});

test('ClusterChangeFamily holds the derived family masks of §3.1', () => {
  assert.deepEqual(ClusterChangeFamily, {
    NODE: 0x0000000f,
    REGISTRY: 0x00000070,
    REGISTRY_SUBTREE: 0x00000080,
    RESOURCE: 0x00000f00,
    GROUP: 0x0000f000,
    RESOURCE_TYPE: 0x00070000,
    NETWORK: 0x00f00000,
    NET_INTERFACE: 0x0f000000,
    CLUSTER: 0x50000000,
    CLIENT_ONLY: 0xa0080000,
  });
});

test('each family mask is the union of the bits it names (§3.1)', () => {
  const C = ClusterChange;
  const or = (...bits: number[]): number => bits.reduce((acc, bit) => (acc | bit) >>> 0, 0);
  assert.equal(
    ClusterChangeFamily.NODE,
    or(C.NODE_STATE, C.NODE_DELETED, C.NODE_ADDED, C.NODE_PROPERTY),
  );
  assert.equal(
    ClusterChangeFamily.REGISTRY,
    or(C.REGISTRY_NAME, C.REGISTRY_ATTRIBUTES, C.REGISTRY_VALUE),
  );
  assert.equal(ClusterChangeFamily.REGISTRY_SUBTREE, C.REGISTRY_SUBTREE);
  assert.equal(
    ClusterChangeFamily.RESOURCE,
    or(C.RESOURCE_STATE, C.RESOURCE_DELETED, C.RESOURCE_ADDED, C.RESOURCE_PROPERTY),
  );
  assert.equal(
    ClusterChangeFamily.GROUP,
    or(C.GROUP_STATE, C.GROUP_DELETED, C.GROUP_ADDED, C.GROUP_PROPERTY),
  );
  assert.equal(
    ClusterChangeFamily.RESOURCE_TYPE,
    or(C.RESOURCE_TYPE_DELETED, C.RESOURCE_TYPE_ADDED, C.RESOURCE_TYPE_PROPERTY),
  );
  assert.equal(
    ClusterChangeFamily.NETWORK,
    or(C.NETWORK_STATE, C.NETWORK_DELETED, C.NETWORK_ADDED, C.NETWORK_PROPERTY),
  );
  assert.equal(
    ClusterChangeFamily.NET_INTERFACE,
    or(C.NETINTERFACE_STATE, C.NETINTERFACE_DELETED, C.NETINTERFACE_ADDED, C.NETINTERFACE_PROPERTY),
  );
  assert.equal(ClusterChangeFamily.CLUSTER, or(C.QUORUM_STATE, C.CLUSTER_PROPERTY));
  assert.equal(
    ClusterChangeFamily.CLIENT_ONLY,
    or(C.CLUSTER_RECONNECT, C.CLUSTER_STATE, C.HANDLE_CLOSE),
  );
});

test('the family masks are disjoint and together cover all 32 bits (§3.1)', () => {
  let seen = 0;
  for (const mask of Object.values(ClusterChangeFamily)) {
    assert.equal((seen & mask) >>> 0, 0, `mask 0x${mask.toString(16)} overlaps another family`);
    seen = (seen | mask) >>> 0;
  }
  assert.equal(seen, ClusterChange.ALL);
});

test('clusterChangeSpecName gives the official name of every bit of §2.2.2.7', () => {
  const names: Record<number, string> = {};
  for (let i = 0; i < 32; i++) {
    const bit = 2 ** i;
    const name = clusterChangeSpecName(bit);
    assert.ok(name !== undefined, `bit 0x${bit.toString(16)} has no name`);
    names[bit] = name;
  }
  assert.deepEqual(names, {
    [0x00000001]: 'CLUSTER_CHANGE_NODE_STATE',
    [0x00000002]: 'CLUSTER_CHANGE_NODE_DELETED',
    [0x00000004]: 'CLUSTER_CHANGE_NODE_ADDED',
    [0x00000008]: 'CLUSTER_CHANGE_NODE_PROPERTY',
    [0x00000010]: 'CLUSTER_CHANGE_REGISTRY_NAME',
    [0x00000020]: 'CLUSTER_CHANGE_REGISTRY_ATTRIBUTES',
    [0x00000040]: 'CLUSTER_CHANGE_REGISTRY_VALUE',
    [0x00000080]: 'CLUSTER_CHANGE_REGISTRY_SUBTREE',
    [0x00000100]: 'CLUSTER_CHANGE_RESOURCE_STATE',
    [0x00000200]: 'CLUSTER_CHANGE_RESOURCE_DELETED',
    [0x00000400]: 'CLUSTER_CHANGE_RESOURCE_ADDED',
    [0x00000800]: 'CLUSTER_CHANGE_RESOURCE_PROPERTY',
    [0x00001000]: 'CLUSTER_CHANGE_GROUP_STATE',
    [0x00002000]: 'CLUSTER_CHANGE_GROUP_DELETED',
    [0x00004000]: 'CLUSTER_CHANGE_GROUP_ADDED',
    [0x00008000]: 'CLUSTER_CHANGE_GROUP_PROPERTY',
    [0x00010000]: 'CLUSTER_CHANGE_RESOURCE_TYPE_DELETED',
    [0x00020000]: 'CLUSTER_CHANGE_RESOURCE_TYPE_ADDED',
    [0x00040000]: 'CLUSTER_CHANGE_RESOURCE_TYPE_PROPERTY',
    [0x00080000]: 'CLUSTER_CHANGE_CLUSTER_RECONNECT',
    [0x00100000]: 'CLUSTER_CHANGE_NETWORK_STATE',
    [0x00200000]: 'CLUSTER_CHANGE_NETWORK_DELETED',
    [0x00400000]: 'CLUSTER_CHANGE_NETWORK_ADDED',
    [0x00800000]: 'CLUSTER_CHANGE_NETWORK_PROPERTY',
    [0x01000000]: 'CLUSTER_CHANGE_NETINTERFACE_STATE',
    [0x02000000]: 'CLUSTER_CHANGE_NETINTERFACE_DELETED',
    [0x04000000]: 'CLUSTER_CHANGE_NETINTERFACE_ADDED',
    [0x08000000]: 'CLUSTER_CHANGE_NETINTERFACE_PROPERTY',
    [0x10000000]: 'CLUSTER_CHANGE_QUORUM_STATE',
    [0x20000000]: 'CLUSTER_CHANGE_CLUSTER_STATE',
    [0x40000000]: 'CLUSTER_CHANGE_CLUSTER_PROPERTY',
    [0x80000000]: 'CLUSTER_CHANGE_HANDLE_CLOSE',
  });
});

test('clusterChangeSpecName names no mask, no zero and no signed or fractional value', () => {
  for (const value of [0, 0x3, ClusterChange.ALL, ClusterChangeFamily.NODE, 1 << 31, 0.5, NaN]) {
    assert.equal(clusterChangeSpecName(value), undefined, `value ${value}`);
  }
});

test('isSingleBit accepts exactly the 32 one-bit unsigned 32-bit values', () => {
  for (let i = 0; i < 32; i++) {
    assert.equal(isSingleBit(2 ** i), true, `bit ${i}`);
  }
  assert.equal(isSingleBit((1 << 31) >>> 0), true);
  for (const value of [
    0,
    0x3,
    0x80000001,
    0xffffffff,
    2 ** 32,
    2 ** 40,
    1 << 31, // signed result of a bitwise operator: normalise with >>> 0 first
    -1,
    0.5,
    NaN,
    Infinity,
  ]) {
    assert.equal(isSingleBit(value), false, `value ${value}`);
  }
});
