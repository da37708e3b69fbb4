/*
 * Operation numbers of the MS-CMRP methods that make up the notification-port machinery.
 *
 * Reference: notification-ports.md §1 and §1.1
 */

/**
 * RPC interface UUID of MS-CMRP (ClusAPI), used by both protocol versions 2.0 and 3.0
 * (reference §1).
 */
export const CMRP_INTERFACE_UUID = 'b97db8b2-4c63-11cf-bff6-08002be23f2f';

/**
 * Opnums of the 21 notification methods (reference §1.1, from the [MS-CMRP] §3.1.4.2 opnum
 * table). An opnum is not the method's section number: ApiCreateNotify is opnum 55 but
 * §3.1.4.2.56. The five methods from ApiCreateNotifyV2 on exist only in protocol 3.0.
 */
export const CmrpOpnum = {
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
} as const;

/** Any value of {@link CmrpOpnum}. §1.1. */
export type CmrpOpnum = (typeof CmrpOpnum)[keyof typeof CmrpOpnum];
