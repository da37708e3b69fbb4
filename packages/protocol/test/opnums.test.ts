import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CMRP_INTERFACE_UUID, CmrpOpnum } from '@clusnotify/protocol';

test('CmrpOpnum holds the opnums of the 21 notification methods of §1.1', () => {
  assert.deepEqual(CmrpOpnum, {
    ApiCreateNotify: 55,
    ApiCloseNotify: 56,
    ApiAddNotifyCluster: 57,
    ApiAddNotifyNode: 58,
    ApiAddNotifyGroup: 59,
    ApiAddNotifyResource: 60,
    ApiAddNotifyKey: 61,
    ApiReAddNotifyNode: 62,
    ApiReAddNotifyGroup: 63,
    ApiReAddNotifyResource: 64,
    ApiGetNotify: 65,
    ApiAddNotifyNetwork: 90,
    ApiReAddNotifyNetwork: 91,
    ApiAddNotifyNetInterface: 99,
    ApiReAddNotifyNetInterface: 100,
    ApiUnblockGetNotifyCall: 107,
    ApiCreateNotifyV2: 137,
    ApiAddNotifyV2: 138,
    ApiGetNotifyV2: 139,
    ApiGetNotifyAsync: 147,
    ApiAddNotifyResourceTypeV2: 155,
  });
});

test('no two notification methods share an opnum (§1.1)', () => {
  const opnums = Object.values(CmrpOpnum);
  assert.equal(new Set(opnums).size, opnums.length);
});

test('CMRP_INTERFACE_UUID is the MS-CMRP interface UUID of §1', () => {
  assert.equal(CMRP_INTERFACE_UUID, 'b97db8b2-4c63-11cf-bff6-08002be23f2f');
});
