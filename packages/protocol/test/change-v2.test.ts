import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ClusterChangeClusterV2,
  ClusterChangeGroupV2,
  ClusterChangeGroupsetV2,
  ClusterChangeNetInterfaceV2,
  ClusterChangeNetworkV2,
  ClusterChangeNodeUpgradePhaseV2,
  ClusterChangeNodeV2,
  ClusterChangeQuorumV2,
  ClusterChangeRegistryV2,
  ClusterChangeResourceTypeV2,
  ClusterChangeResourceV2,
  ClusterChangeSharedVolumeV2,
  ClusterChangeSpaceportV2,
  ClusterNotificationsVersion,
  ClusterObjectType,
  HandleCloseV2,
  V2_FAMILIES,
  v2FlagSpecName,
} from '@clusnotify/protocol';

const T = ClusterObjectType;

test('ClusterChangeClusterV2 holds CLUSTER_CHANGE_CLUSTER_V2 of §2.2.2.12', () => {
  assert.deepEqual(ClusterChangeClusterV2, {
    RECONNECT: 0x00000001,
    STATE: 0x00000002,
    GROUP_ADDED: 0x00000004,
    HANDLE_CLOSE: 0x00000008,
    NETWORK_ADDED: 0x00000010,
    NODE_ADDED: 0x00000020,
    RESOURCE_TYPE_ADDED: 0x00000040,
    COMMON_PROPERTY: 0x00000080,
    PRIVATE_PROPERTY: 0x00000100,
    LOST_NOTIFICATIONS: 0x00000200,
    RENAME: 0x00000400,
    MEMBERSHIP: 0x00000800,
    UPGRADED: 0x00001000,
    ALL: 0x00001fff,
  });
});

test('ClusterChangeGroupV2 holds CLUSTER_CHANGE_GROUP_V2 of §2.2.2.13', () => {
  assert.deepEqual(ClusterChangeGroupV2, {
    DELETED: 0x00000001,
    COMMON_PROPERTY: 0x00000002,
    PRIVATE_PROPERTY: 0x00000004,
    STATE: 0x00000008,
    OWNER_NODE: 0x00000010,
    PREFERRED_OWNERS: 0x00000020,
    RESOURCE_ADDED: 0x00000040,
    RESOURCE_GAINED: 0x00000080,
    RESOURCE_LOST: 0x00000100,
    HANDLE_CLOSE: 0x00000200,
    ALL: 0x000003ff,
  });
});

test('ClusterChangeGroupsetV2 holds CLUSTER_CHANGE_GROUPSET_V2 of §2.2.2.24', () => {
  assert.deepEqual(ClusterChangeGroupsetV2, {
    DELETED: 0x00000001,
    COMMON_PROPERTY: 0x00000002,
    PRIVATE_PROPERTY: 0x00000004,
    STATE: 0x00000008,
    GROUP_ADDED: 0x00000010,
    GROUP_REMOVED: 0x00000020,
    DEPENDENCIES: 0x00000040,
    DEPENDENTS: 0x00000080,
    HANDLE_CLOSE: 0x00000100,
    ALL: 0x000001ff,
  });
});

test('ClusterChangeResourceV2 holds CLUSTER_CHANGE_RESOURCE_V2 of §2.2.2.14 and the SDK', () => {
  assert.deepEqual(ClusterChangeResourceV2, {
    COMMON_PROPERTY: 0x00000001,
    PRIVATE_PROPERTY: 0x00000002,
    STATE: 0x00000004,
    OWNER_GROUP: 0x00000008,
    DEPENDENCIES: 0x00000010,
    DEPENDENTS: 0x00000020,
    POSSIBLE_OWNERS: 0x00000040,
    DELETED: 0x00000080,
    DLL_UPGRADED: 0x00000100,
    HANDLE_CLOSE: 0x00000200,
    TERMINAL_STATE: 0x00000400,
    ALL: 0x000007ff,
  });
});

test('ClusterChangeResourceTypeV2 holds CLUSTER_CHANGE_RESOURCE_TYPE_V2 of §2.2.2.15', () => {
  assert.deepEqual(ClusterChangeResourceTypeV2, {
    DELETED: 0x00000001,
    COMMON_PROPERTY: 0x00000002,
    PRIVATE_PROPERTY: 0x00000004,
    POSSIBLE_OWNERS: 0x00000008,
    DLL_UPGRADED: 0x00000010,
    SPECIFIC: 0x00000020,
    ALL: 0x0000003f,
  });
});

test('ClusterChangeNetInterfaceV2 holds CLUSTER_CHANGE_NETINTERFACE_V2 of §2.2.2.16', () => {
  assert.deepEqual(ClusterChangeNetInterfaceV2, {
    DELETED: 0x00000001,
    COMMON_PROPERTY: 0x00000002,
    PRIVATE_PROPERTY: 0x00000004,
    STATE: 0x00000008,
    HANDLE_CLOSE: 0x00000010,
    ALL: 0x0000001f,
  });
});

test('ClusterChangeNetworkV2 holds CLUSTER_CHANGE_NETWORK_V2 of §2.2.2.17', () => {
  assert.deepEqual(ClusterChangeNetworkV2, {
    DELETED: 0x00000001,
    COMMON_PROPERTY: 0x00000002,
    PRIVATE_PROPERTY: 0x00000004,
    STATE: 0x00000008,
    HANDLE_CLOSE: 0x00000010,
    ALL: 0x0000001f,
  });
});

test('ClusterChangeNodeV2 holds CLUSTER_CHANGE_NODE_V2 of §2.2.2.18', () => {
  assert.deepEqual(ClusterChangeNodeV2, {
    NETINTERFACE_ADDED: 0x00000001,
    DELETED: 0x00000002,
    COMMON_PROPERTY: 0x00000004,
    PRIVATE_PROPERTY: 0x00000008,
    STATE: 0x00000010,
    GROUP_GAINED: 0x00000020,
    GROUP_LOST: 0x00000040,
    HANDLE_CLOSE: 0x00000080,
    ALL: 0x000000ff,
  });
});

test('ClusterChangeRegistryV2 holds CLUSTER_CHANGE_REGISTRY_V2 of §2.2.2.19', () => {
  assert.deepEqual(ClusterChangeRegistryV2, {
    ATTRIBUTES: 0x00000001,
    NAME: 0x00000002,
    SUBTREE: 0x00000004,
    VALUE: 0x00000008,
    HANDLE_CLOSE: 0x00000010,
    ALL: 0x0000001f,
  });
});

test('ClusterChangeQuorumV2 holds CLUSTER_CHANGE_QUORUM_V2 of §2.2.2.20', () => {
  assert.deepEqual(ClusterChangeQuorumV2, { STATE: 0x00000001, ALL: 0x00000001 });
});

test('ClusterChangeSharedVolumeV2 holds CLUSTER_CHANGE_SHARED_VOLUME_V2 of §2.2.2.21', () => {
  assert.deepEqual(ClusterChangeSharedVolumeV2, {
    STATE: 0x00000001,
    ADDED: 0x00000002,
    REMOVED: 0x00000004,
    ALL: 0x00000007,
  });
});

test('ClusterChangeSpaceportV2 holds CLUSTER_CHANGE_SPACEPORT_V2 of §2.2.2.25', () => {
  assert.deepEqual(ClusterChangeSpaceportV2, { CUSTOM_PNP: 0x00000001 });
});

test('ClusterChangeNodeUpgradePhaseV2 holds CLUSTER_CHANGE_NODE_UPGRADE_PHASE_V2 of §2.2.2.26', () => {
  assert.deepEqual(ClusterChangeNodeUpgradePhaseV2, {
    NODE_PREPARE: 0x00000001,
    NODE_COMMIT: 0x00000002,
    NODE_POSTCOMMIT: 0x00000004,
    ALL: 0x00000007,
  });
});

test('ClusterNotificationsVersion holds CLUSTER_NOTIFICATIONS_VERSION of §3.3', () => {
  assert.deepEqual(ClusterNotificationsVersion, { V1: 0x1, V2: 0x2 });
});

test('V2_FAMILIES describes every v2 change enumeration with its official spellings (§3.3, §3.4)', () => {
  assert.deepEqual(V2_FAMILIES, {
    [T.CLUSTER]: {
      objectType: 0x1,
      all: 0x1fff,
      clientOnly: 0x000b,
      modifier: 0,
      specNames: {
        [0x0001]: 'CLUSTER_CHANGE_CLUSTER_RECONNECT_V2',
        [0x0002]: 'CLUSTER_CHANGE_CLUSTER_STATE_V2',
        [0x0004]: 'CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2',
        [0x0008]: 'CLUSTER_CHANGE_CLUSTER_HANDLE_CLOSE_V2',
        [0x0010]: 'CLUSTER_CHANGE_CLUSTER_NETWORK_ADDED_V2',
        [0x0020]: 'CLUSTER_CHANGE_CLUSTER_NODE_ADDED_V2',
        [0x0040]: 'CLUSTER_CHANGE_CLUSTER_RESOURCE_TYPE_ADDED_V2',
        [0x0080]: 'CLUSTER_CHANGE_CLUSTER_COMMON_PROPERTY_V2',
        [0x0100]: 'CLUSTER_CHANGE_CLUSTER_PRIVATE_PROPERTY_V2',
        [0x0200]: 'CLUSTER_CHANGE_CLUSTER_LOST_NOTIFICATIONS_V2',
        [0x0400]: 'CLUSTER_CHANGE_CLUSTER_RENAME_V2',
        [0x0800]: 'CLUSTER_CHANGE_CLUSTER_MEMBERSHIP_V2',
        [0x1000]: 'CLUSTER_CHANGE_CLUSTER_UPGRADED_V2',
      },
    },
    [T.GROUP]: {
      objectType: 0x2,
      all: 0x3ff,
      clientOnly: 0x200,
      modifier: 0,
      specNames: {
        [0x001]: 'CLUSTER_CHANGE_GROUP_DELETED_V2',
        [0x002]: 'CLUSTER_CHANGE_GROUP_COMMON_PROPERTY_V2',
        [0x004]: 'CLUSTER_CHANGE_GROUP_PRIVATE_PROPERTY_V2',
        [0x008]: 'CLUSTER_CHANGE_GROUP_STATE_V2',
        [0x010]: 'CLUSTER_CHANGE_GROUP_OWNER_NODE_V2',
        [0x020]: 'CLUSTER_CHANGE_GROUP_PREFERRED_OWNERS_V2',
        [0x040]: 'CLUSTER_CHANGE_GROUP_RESOURCE_ADDED_V2',
        [0x080]: 'CLUSTER_CHANGE_GROUP_RESOURCE_GAINED_V2',
        [0x100]: 'CLUSTER_CHANGE_GROUP_RESOURCE_LOST_V2',
        [0x200]: 'CLUSTER_CHANGE_GROUP_HANDLE_CLOSE_V2',
      },
    },
    [T.RESOURCE]: {
      objectType: 0x3,
      all: 0x7ff,
      clientOnly: 0x200,
      modifier: 0,
      specNames: {
        [0x001]: 'CLUSTER_CHANGE_RESOURCE_COMMON_PROPERTY_V2',
        [0x002]: 'CLUSTER_CHANGE_RESOURCE_PRIVATE_PROPERTY_V2',
        [0x004]: 'CLUSTER_CHANGE_RESOURCE_STATE_V2',
        [0x008]: 'CLUSTER_CHANGE_RESOURCE_OWNER_GROUP_V2',
        [0x010]: 'CLUSTER_CHANGE_RESOURCE_DEPENDENCIES_V2',
        [0x020]: 'CLUSTER_CHANGE_RESOURCE_DEPENDENTS_V2',
        [0x040]: 'CLUSTER_CHANGE_RESOURCE_POSSIBLE_OWNERS_V2',
        [0x080]: 'CLUSTER_CHANGE_RESOURCE_DELETED_V2',
        [0x100]: 'CLUSTER_CHANGE_RESOURCE_DLL_UPGRADED_V2',
        [0x200]: 'CLUSTER_CHANGE_RESOURCE_HANDLE_CLOSE_V2',
        [0x400]: 'CLUSTER_CHANGE_RESOURCE_TERMINAL_STATE_V2',
      },
    },
    [T.RESOURCE_TYPE]: {
      objectType: 0x4,
      all: 0x3f,
      clientOnly: 0,
      modifier: 0,
      specNames: {
        [0x01]: 'CLUSTER_CHANGE_RESOURCE_TYPE_DELETED_V2',
        [0x02]: 'CLUSTER_CHANGE_RESOURCE_TYPE_COMMON_PROPERTY_V2',
        [0x04]: 'CLUSTER_CHANGE_RESOURCE_TYPE_PRIVATE_PROPERTY_V2',
        [0x08]: 'CLUSTER_CHANGE_RESOURCE_TYPE_POSSIBLE_OWNERS_V2',
        [0x10]: 'CLUSTER_CHANGE_RESOURCE_TYPE_DLL_UPGRADED_V2',
        [0x20]: 'CLUSTER_RESOURCE_TYPE_SPECIFIC_V2',
      },
    },
    [T.NETWORK_INTERFACE]: {
      objectType: 0x5,
      all: 0x1f,
      clientOnly: 0x10,
      modifier: 0,
      specNames: {
        [0x01]: 'CLUSTER_CHANGE_NETINTERFACE_DELETED_V2',
        [0x02]: 'CLUSTER_CHANGE_NETINTERFACE_COMMON_PROPERTY_V2',
        [0x04]: 'CLUSTER_CHANGE_NETINTERFACE_PRIVATE_PROPERTY_V2',
        [0x08]: 'CLUSTER_CHANGE_NETINTERFACE_STATE_V2',
        [0x10]: 'CLUSTER_CHANGE_NETINTERFACE_HANDLE_CLOSE_V2',
      },
    },
    [T.NETWORK]: {
      objectType: 0x6,
      all: 0x1f,
      clientOnly: 0x10,
      modifier: 0,
      specNames: {
        [0x01]: 'CLUSTER_CHANGE_NETWORK_DELETED_V2',
        [0x02]: 'CLUSTER_CHANGE_NETWORK_COMMON_PROPERTY_V2',
        [0x04]: 'CLUSTER_CHANGE_NETWORK_PRIVATE_PROPERTY_V2',
        [0x08]: 'CLUSTER_CHANGE_NETWORK_STATE_V2',
        [0x10]: 'CLUSTER_CHANGE_NETWORK_HANDLE_CLOSE_V2',
      },
    },
    [T.NODE]: {
      objectType: 0x7,
      all: 0xff,
      clientOnly: 0x80,
      modifier: 0,
      specNames: {
        [0x01]: 'CLUSTER_CHANGE_NODE_NETINTERFACE_ADDED_V2',
        [0x02]: 'CLUSTER_CHANGE_NODE_DELETED_V2',
        [0x04]: 'CLUSTER_CHANGE_NODE_COMMON_PROPERTY_V2',
        [0x08]: 'CLUSTER_CHANGE_NODE_PRIVATE_PROPERTY_V2',
        [0x10]: 'CLUSTER_CHANGE_NODE_STATE_V2',
        [0x20]: 'CLUSTER_CHANGE_NODE_GROUP_GAINED_V2',
        [0x40]: 'CLUSTER_CHANGE_NODE_GROUP_LOST_V2',
        [0x80]: 'CLUSTER_CHANGE_NODE_HANDLE_CLOSE_V2',
      },
    },
    [T.REGISTRY]: {
      objectType: 0x8,
      all: 0x1f,
      clientOnly: 0x10,
      modifier: 0x04,
      specNames: {
        [0x01]: 'CLUSTER_CHANGE_REGISTRY_ATTRIBUTES_V2',
        [0x02]: 'CLUSTER_CHANGE_REGISTRY_NAME_V2',
        [0x04]: 'CLUSTER_CHANGE_REGISTRY_SUBTREE_V2',
        [0x08]: 'CLUSTER_CHANGE_REGISTRY_VALUE_V2',
        [0x10]: 'CLUSTER_CHANGE_REGISTRY_HANDLE_CLOSE_V2',
      },
    },
    [T.QUORUM]: {
      objectType: 0x9,
      all: 0x1,
      clientOnly: 0,
      modifier: 0,
      specNames: { [0x1]: 'CLUSTER_CHANGE_QUORUM_STATE_V2' },
    },
    [T.SHARED_VOLUME]: {
      objectType: 0xa,
      all: 0x7,
      clientOnly: 0,
      modifier: 0,
      specNames: {
        [0x1]: 'CLUSTER_CHANGE_SHARED_VOLUME_STATE_V2',
        [0x2]: 'CLUSTER_CHANGE_SHARED_VOLUME_ADDED_V2',
        [0x4]: 'CLUSTER_CHANGE_SHARED_VOLUME_REMOVED_V2',
      },
    },
    [T.SPACEPORT]: {
      objectType: 0xb,
      all: 0x1,
      clientOnly: 0,
      modifier: 0,
      specNames: { [0x1]: 'CLUSTER_CHANGE_SPACEPORT_CUSTOM_PNP_V2' },
    },
    [T.UPGRADE]: {
      objectType: 0xc,
      all: 0x7,
      clientOnly: 0,
      modifier: 0,
      specNames: {
        [0x1]: 'CLUSTER_CHANGE_UPGRADE_NODE_PREPARE',
        [0x2]: 'CLUSTER_CHANGE_UPGRADE_NODE_COMMIT',
        [0x4]: 'CLUSTER_CHANGE_UPGRADE_NODE_POSTCOMMIT',
      },
    },
    [T.GROUPSET]: {
      objectType: 0xd,
      all: 0x1ff,
      clientOnly: 0x100,
      modifier: 0,
      specNames: {
        [0x001]: 'CLUSTER_CHANGE_GROUPSET_DELETED_v2',
        [0x002]: 'CLUSTER_CHANGE_GROUPSET_COMMON_PROPERTY_V2',
        [0x004]: 'CLUSTER_CHANGE_GROUPSET_PRIVATE_PROPERTY_V2',
        [0x008]: 'CLUSTER_CHANGE_GROUPSET_STATE_V2',
        [0x010]: 'CLUSTER_CHANGE_GROUPSET_GROUP_ADDED',
        [0x020]: 'CLUSTER_CHANGE_GROUPSET_GROUP_REMOVED',
        [0x040]: 'CLUSTER_CHANGE_GROUPSET_DEPENDENCIES_V2',
        [0x080]: 'CLUSTER_CHANGE_GROUPSET_DEPENDENTS_V2',
        [0x100]: 'CLUSTER_CHANGE_GROUPSET_HANDLE_CLOSE_v2',
      },
    },
  });
});

test('each V2 family is keyed by its own object type and all is the union of its named flags', () => {
  for (const [key, family] of Object.entries(V2_FAMILIES)) {
    assert.equal(family.objectType, Number(key));
    let union = 0;
    for (const flag of Object.keys(family.specNames).map(Number)) {
      assert.equal(flag & (flag - 1), 0, `0x${flag.toString(16)} is not a single flag`);
      union |= flag;
    }
    assert.equal(union >>> 0, family.all, `object type ${key}`);
    assert.equal((family.clientOnly & ~family.all) >>> 0, 0, `clientOnly of ${key}`);
    assert.equal((family.modifier & ~family.all) >>> 0, 0, `modifier of ${key}`);
    assert.equal(family.clientOnly & family.modifier, 0, `clientOnly and modifier of ${key}`);
  }
});

test('each V2 family with an ALL member uses it as its all mask (§3.3)', () => {
  const alls: [number, number][] = [
    [T.CLUSTER, ClusterChangeClusterV2.ALL],
    [T.GROUP, ClusterChangeGroupV2.ALL],
    [T.RESOURCE, ClusterChangeResourceV2.ALL],
    [T.RESOURCE_TYPE, ClusterChangeResourceTypeV2.ALL],
    [T.NETWORK_INTERFACE, ClusterChangeNetInterfaceV2.ALL],
    [T.NETWORK, ClusterChangeNetworkV2.ALL],
    [T.NODE, ClusterChangeNodeV2.ALL],
    [T.REGISTRY, ClusterChangeRegistryV2.ALL],
    [T.QUORUM, ClusterChangeQuorumV2.ALL],
    [T.SHARED_VOLUME, ClusterChangeSharedVolumeV2.ALL],
    [T.UPGRADE, ClusterChangeNodeUpgradePhaseV2.ALL],
    [T.GROUPSET, ClusterChangeGroupsetV2.ALL],
  ];
  for (const [objectType, all] of alls) {
    assert.equal(V2_FAMILIES[objectType as ClusterObjectType]?.all, all);
  }
});

test('object types without a documented change enumeration have no V2 family (§3.2)', () => {
  for (const objectType of [T.NONE, T.SBL_DEVICE, T.CERT, T.AFFINITYRULE, T.FAULTDOMAIN]) {
    assert.equal(V2_FAMILIES[objectType], undefined);
  }
});

test('HandleCloseV2 maps each object type to its client-generated HANDLE_CLOSE flag (§3.4)', () => {
  assert.deepEqual(HandleCloseV2, {
    [T.CLUSTER]: 0x8,
    [T.GROUP]: 0x200,
    [T.RESOURCE]: 0x200,
    [T.NETWORK_INTERFACE]: 0x10,
    [T.NETWORK]: 0x10,
    [T.NODE]: 0x80,
    [T.REGISTRY]: 0x10,
    [T.GROUPSET]: 0x100,
  });
});

test('client-only flags are CLUSTER RECONNECT|STATE|HANDLE_CLOSE and elsewhere HANDLE_CLOSE (§5.11)', () => {
  for (const [key, family] of Object.entries(V2_FAMILIES)) {
    const objectType = Number(key) as ClusterObjectType;
    const handleClose = HandleCloseV2[objectType] ?? 0;
    const expected =
      objectType === T.CLUSTER
        ? handleClose | ClusterChangeClusterV2.RECONNECT | ClusterChangeClusterV2.STATE
        : handleClose;
    assert.equal(family.clientOnly, expected, `object type ${key}`);
  }
});

test('v2FlagSpecName keeps the irregular official spellings of §3.3', () => {
  assert.equal(v2FlagSpecName(T.GROUPSET, 0x1), 'CLUSTER_CHANGE_GROUPSET_DELETED_v2');
  assert.equal(v2FlagSpecName(T.GROUPSET, 0x10), 'CLUSTER_CHANGE_GROUPSET_GROUP_ADDED');
  assert.equal(v2FlagSpecName(T.GROUPSET, 0x100), 'CLUSTER_CHANGE_GROUPSET_HANDLE_CLOSE_v2');
  assert.equal(v2FlagSpecName(T.RESOURCE_TYPE, 0x20), 'CLUSTER_RESOURCE_TYPE_SPECIFIC_V2');
  assert.equal(v2FlagSpecName(T.UPGRADE, 0x4), 'CLUSTER_CHANGE_UPGRADE_NODE_POSTCOMMIT');
  assert.equal(v2FlagSpecName(T.REGISTRY, 0x4), 'CLUSTER_CHANGE_REGISTRY_SUBTREE_V2');
});

test('v2FlagSpecName names no mask, unknown flag or object type without an enumeration', () => {
  const cases: [number, number][] = [
    [T.CLUSTER, ClusterChangeClusterV2.ALL],
    [T.GROUP, 0x3],
    [T.GROUP, 0x400],
    [T.SPACEPORT, 0x2],
    [T.NONE, 0x1],
    [T.CERT, 0x1],
    [0x12, 0x1],
    [-1, 0x1],
    [T.GROUP, 0],
    [T.GROUP, 0.5],
  ];
  for (const [objectType, flag] of cases) {
    assert.equal(v2FlagSpecName(objectType, flag), undefined, `(${objectType}, ${flag})`);
  }
});
