import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterObjectType, clusterObjectTypeSpecName } from '@clusnotify/protocol';

test('ClusterObjectType holds the CLUSTER_OBJECT_TYPE values of §2.2.2.11 and the SDK', () => {
  assert.deepEqual(ClusterObjectType, {
    NONE: 0x00000000,
    CLUSTER: 0x00000001,
    GROUP: 0x00000002,
    RESOURCE: 0x00000003,
    RESOURCE_TYPE: 0x00000004,
    NETWORK_INTERFACE: 0x00000005,
    NETWORK: 0x00000006,
    NODE: 0x00000007,
    REGISTRY: 0x00000008,
    QUORUM: 0x00000009,
    SHARED_VOLUME: 0x0000000a,
    SPACEPORT: 0x0000000b,
    UPGRADE: 0x0000000c,
    GROUPSET: 0x0000000d,
    SBL_DEVICE: 0x0000000e,
    CERT: 0x0000000f,
    AFFINITYRULE: 0x00000010,
    FAULTDOMAIN: 0x00000011,
  });
});

test('clusterObjectTypeSpecName gives the official name of every object type (§3.2)', () => {
  const names: Record<number, string | undefined> = {};
  for (let value = 0x0; value <= 0x11; value++) {
    names[value] = clusterObjectTypeSpecName(value);
  }
  assert.deepEqual(names, {
    [0x00]: 'CLUSTER_OBJECT_TYPE_NONE',
    [0x01]: 'CLUSTER_OBJECT_TYPE_CLUSTER',
    [0x02]: 'CLUSTER_OBJECT_TYPE_GROUP',
    [0x03]: 'CLUSTER_OBJECT_TYPE_RESOURCE',
    [0x04]: 'CLUSTER_OBJECT_TYPE_RESOURCE_TYPE',
    [0x05]: 'CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE',
    [0x06]: 'CLUSTER_OBJECT_TYPE_NETWORK',
    [0x07]: 'CLUSTER_OBJECT_TYPE_NODE',
    [0x08]: 'CLUSTER_OBJECT_TYPE_REGISTRY',
    [0x09]: 'CLUSTER_OBJECT_TYPE_QUORUM',
    [0x0a]: 'CLUSTER_OBJECT_TYPE_SHARED_VOLUME',
    [0x0b]: 'CLUSTER_OBJECT_TYPE_SPACEPORT',
    [0x0c]: 'CLUSTER_OBJECT_TYPE_UPGRADE',
    [0x0d]: 'CLUSTER_OBJECT_TYPE_GROUPSET',
    [0x0e]: 'CLUSTER_OBJECT_TYPE_SBL_DEVICE',
    [0x0f]: 'CLUSTER_OBJECT_TYPE_CERT',
    [0x10]: 'CLUSTER_OBJECT_TYPE_AFFINITYRULE',
    [0x11]: 'CLUSTER_OBJECT_TYPE_FAULTDOMAIN',
  });
});

test('clusterObjectTypeSpecName names nothing outside §2.2.2.11', () => {
  for (const value of [0x12, 0xffffffff, -1, 1.5, NaN]) {
    assert.equal(clusterObjectTypeSpecName(value), undefined, `value ${value}`);
  }
});
