import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterGroupState,
  ClusterNetInterfaceState,
  ClusterNetworkState,
  ClusterNodeState,
  ClusterResourceState,
  NetInterfaceStateSdkNumbering,
  SharedVolumeState,
  netInterfaceStateFromSdk,
  netInterfaceStateToSdk,
  clusterGroupStateSpecName,
  clusterNetInterfaceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNodeStateSpecName,
  clusterResourceStateSpecName,
  netInterfaceStateSdkNumberingSpecName,
  sharedVolumeStateSpecName,
} from '@clusnotify/protocol';

/** Every value of a const enumeration object mapped to what `specName` says about it. */
function namesOf(
  enumeration: Readonly<Record<string, number>>,
  specName: (value: number) => string | undefined,
): Record<number, string | undefined> {
  return Object.fromEntries(Object.values(enumeration).map((value) => [value, specName(value)]));
}

test('ClusterNodeState holds CLUSTER_NODE_STATE of §9.1', () => {
  assert.deepEqual(ClusterNodeState, {
    UP: 0x00000000,
    DOWN: 0x00000001,
    PAUSED: 0x00000002,
    JOINING: 0x00000003,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(ClusterNodeState, clusterNodeStateSpecName), {
    [0x00000000]: 'ClusterNodeUp',
    [0x00000001]: 'ClusterNodeDown',
    [0x00000002]: 'ClusterNodePaused',
    [0x00000003]: 'ClusterNodeJoining',
    [0xffffffff]: 'ClusterNodeStateUnknown',
  });
});

test('ClusterGroupState holds CLUSTER_GROUP_STATE of §9.2', () => {
  assert.deepEqual(ClusterGroupState, {
    ONLINE: 0x00000000,
    OFFLINE: 0x00000001,
    FAILED: 0x00000002,
    PARTIAL_ONLINE: 0x00000003,
    PENDING: 0x00000004,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(ClusterGroupState, clusterGroupStateSpecName), {
    [0x00000000]: 'ClusterGroupOnline',
    [0x00000001]: 'ClusterGroupOffline',
    [0x00000002]: 'ClusterGroupFailed',
    [0x00000003]: 'ClusterGroupPartialOnline',
    [0x00000004]: 'ClusterGroupPending',
    [0xffffffff]: 'ClusterGroupStateUnknown',
  });
});

test('ClusterResourceState holds CLUSTER_RESOURCE_STATE of §9.3 including the SDK values', () => {
  assert.deepEqual(ClusterResourceState, {
    INHERITED: 0x00000000,
    INITIALIZING: 0x00000001,
    ONLINE: 0x00000002,
    OFFLINE: 0x00000003,
    FAILED: 0x00000004,
    PENDING: 0x00000080,
    ONLINE_PENDING: 0x00000081,
    OFFLINE_PENDING: 0x00000082,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(ClusterResourceState, clusterResourceStateSpecName), {
    [0x00000000]: 'ClusterResourceInherited',
    [0x00000001]: 'ClusterResourceInitializing',
    [0x00000002]: 'ClusterResourceOnline',
    [0x00000003]: 'ClusterResourceOffline',
    [0x00000004]: 'ClusterResourceFailed',
    [0x00000080]: 'ClusterResourcePending',
    [0x00000081]: 'ClusterResourceOnlinePending',
    [0x00000082]: 'ClusterResourceOfflinePending',
    [0xffffffff]: 'ClusterResourceStateUnknown',
  });
});

test('ClusterNetworkState holds CLUSTER_NETWORK_STATE of §9.4', () => {
  assert.deepEqual(ClusterNetworkState, {
    UNAVAILABLE: 0x00000000,
    DOWN: 0x00000001,
    PARTITIONED: 0x00000002,
    UP: 0x00000003,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(ClusterNetworkState, clusterNetworkStateSpecName), {
    [0x00000000]: 'ClusterNetworkUnavailable',
    [0x00000001]: 'ClusterNetworkDown',
    [0x00000002]: 'ClusterNetworkPartitioned',
    [0x00000003]: 'ClusterNetworkUp',
    [0xffffffff]: 'ClusterNetworkStateUnknown',
  });
});

test('ClusterNetInterfaceState uses the [MS-CMRP] §3.1.4.2.94 numbering of §9.5', () => {
  assert.deepEqual(ClusterNetInterfaceState, {
    FAILED: 0x00000000,
    UNREACHABLE: 0x00000001,
    UNAVAILABLE: 0x00000002,
    UP: 0x00000003,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(ClusterNetInterfaceState, clusterNetInterfaceStateSpecName), {
    [0x00000000]: 'ClusterNetInterfaceFailed',
    [0x00000001]: 'ClusterNetInterfaceUnreachable',
    [0x00000002]: 'ClusterNetInterfaceUnavailable',
    [0x00000003]: 'ClusterNetInterfaceUp',
    [0xffffffff]: 'ClusterNetInterfaceStateUnknown',
  });
});

test('NetInterfaceStateSdkNumbering uses the clusapi.h numbering of §9.5', () => {
  assert.deepEqual(NetInterfaceStateSdkNumbering, {
    UNAVAILABLE: 0x00000000,
    FAILED: 0x00000001,
    UNREACHABLE: 0x00000002,
    UP: 0x00000003,
    UNKNOWN: 0xffffffff,
  });
  assert.deepEqual(namesOf(NetInterfaceStateSdkNumbering, netInterfaceStateSdkNumberingSpecName), {
    [0x00000000]: 'ClusterNetInterfaceUnavailable',
    [0x00000001]: 'ClusterNetInterfaceFailed',
    [0x00000002]: 'ClusterNetInterfaceUnreachable',
    [0x00000003]: 'ClusterNetInterfaceUp',
    [0xffffffff]: 'ClusterNetInterfaceStateUnknown',
  });
});

test('netInterfaceStateToSdk and netInterfaceStateFromSdk translate every state of §9.5', () => {
  const wireToSdk: [number, number][] = [
    [0x00000000, 0x00000001], // Failed
    [0x00000001, 0x00000002], // Unreachable
    [0x00000002, 0x00000000], // Unavailable
    [0x00000003, 0x00000003], // Up
    [0xffffffff, 0xffffffff], // StateUnknown (SDK -1)
  ];
  for (const [wire, sdk] of wireToSdk) {
    assert.equal(netInterfaceStateToSdk(wire), sdk, `wire ${wire}`);
    assert.equal(netInterfaceStateFromSdk(sdk), wire, `sdk ${sdk}`);
  }
});

test('the net-interface converters reject values outside either numbering', () => {
  for (const value of [4, -1, 0x80, 0.5, NaN]) {
    assert.equal(netInterfaceStateToSdk(value), undefined, `value ${value}`);
    assert.equal(netInterfaceStateFromSdk(value), undefined, `value ${value}`);
  }
});

test('SharedVolumeState holds the VolumeState values of §4.5', () => {
  assert.deepEqual(SharedVolumeState, {
    UNAVAILABLE: 0x00000000,
    PAUSED: 0x00000001,
    ACTIVE: 0x00000002,
    ACTIVE_REDIRECTED: 0x00000003,
    ACTIVE_BLOCK_REDIRECTED: 0x00000004,
  });
  assert.deepEqual(namesOf(SharedVolumeState, sharedVolumeStateSpecName), {
    [0x00000000]: 'SharedVolumeStateUnavailable',
    [0x00000001]: 'SharedVolumeStatePaused',
    [0x00000002]: 'SharedVolumeStateActive',
    [0x00000003]: 'SharedVolumeStateActiveRedirected',
    [0x00000004]: 'SharedVolumeStateActiveBlockRedirected',
  });
});

test('the state spec-name lookups name nothing outside their tables (§9)', () => {
  const lookups = [
    clusterNodeStateSpecName,
    clusterGroupStateSpecName,
    clusterResourceStateSpecName,
    clusterNetworkStateSpecName,
    clusterNetInterfaceStateSpecName,
    netInterfaceStateSdkNumberingSpecName,
    sharedVolumeStateSpecName,
  ];
  for (const lookup of lookups) {
    for (const value of [0x5, 0x7f, -1, 0.5, NaN]) {
      assert.equal(lookup(value), undefined, `${lookup.name}(${value})`);
    }
  }
});
