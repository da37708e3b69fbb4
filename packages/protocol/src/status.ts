/*
 * Win32 / RPC status codes that the notification methods return or that trigger the client's
 * reconnect procedure.
 *
 * Reference: notification-ports.md §7.3 and §10
 */

/**
 * Status codes used by the notification subset of MS-CMRP (reference §10) and the reconnect
 * triggers of [MS-CMRP] §3.2.4.6 (reference §7.3). Keys are the official names with any `ERROR_`
 * prefix stripped; `RPC_S_*`, `RPC_X_*`, `EPT_S_*` and `WAIT_TIMEOUT` keep their full names.
 */
export const Win32Status = {
  SUCCESS: 0x00000000,
  /** A blocked Get call was interrupted by ApiUnblockGetNotifyCall or ApiCloseNotify. */
  INVALID_FUNCTION: 0x00000001,
  ACCESS_DENIED: 0x00000005,
  /** Unknown or closed port or object handle. */
  INVALID_HANDLE: 0x00000006,
  NOT_ENOUGH_MEMORY: 0x00000008,
  /** The server's protocol state is too low for the call. */
  SHARING_PAUSED: 0x00000046,
  /** Bad flags, object type or version in ApiAddNotifyV2 / ApiAddNotifyResourceTypeV2. */
  INVALID_PARAMETER: 0x00000057,
  /** Win32 Get*Notify: the caller's buffer is too small. */
  MORE_DATA: 0x000000ea,
  /** Protocol-2.0 ApiGetNotify timer expired; Win32 Get*Notify timed out. */
  WAIT_TIMEOUT: 0x00000102,
  /** A Get call on a closed port. */
  NO_MORE_ITEMS: 0x00000103,
  /** Protocol-2.0 server shutting down. */
  SHUTDOWN_IN_PROGRESS: 0x0000045b,
  /** Protocol-2.0 server shutting down. */
  SERVER_SHUTDOWN_IN_PROGRESS: 0x000004e7,
  RPC_S_INVALID_BINDING: 0x000006a6,
  RPC_S_UNKNOWN_IF: 0x000006b5,
  RPC_S_SERVER_UNAVAILABLE: 0x000006ba,
  RPC_S_SERVER_TOO_BUSY: 0x000006bb,
  RPC_S_CALL_FAILED: 0x000006be,
  RPC_S_CALL_FAILED_DNE: 0x000006bf,
  /** The server does not implement the opnum (older Windows Server releases). */
  RPC_S_PROCNUM_OUT_OF_RANGE: 0x000006d1,
  RPC_S_UNKNOWN_AUTHN_SERVICE: 0x000006d3,
  EPT_S_NOT_REGISTERED: 0x000006d9,
  RPC_X_SS_IN_NULL_CONTEXT: 0x000006ef,
  RPC_S_SEC_PKG_ERROR: 0x00000721,
  CLUSTER_NODE_DOWN: 0x000013ba,
  /** The node is not active. */
  CLUSTER_NODE_NOT_READY: 0x000013d0,
  /** The node is leaving the cluster. */
  CLUSTER_NODE_SHUTTING_DOWN: 0x000013d1,
} as const;

/** Any value of {@link Win32Status}. §10. */
export type Win32Status = (typeof Win32Status)[keyof typeof Win32Status];

const WIN32_STATUS_NAMES: Readonly<Record<Win32Status, string>> = {
  [Win32Status.SUCCESS]: 'ERROR_SUCCESS',
  [Win32Status.INVALID_FUNCTION]: 'ERROR_INVALID_FUNCTION',
  [Win32Status.ACCESS_DENIED]: 'ERROR_ACCESS_DENIED',
  [Win32Status.INVALID_HANDLE]: 'ERROR_INVALID_HANDLE',
  [Win32Status.NOT_ENOUGH_MEMORY]: 'ERROR_NOT_ENOUGH_MEMORY',
  [Win32Status.SHARING_PAUSED]: 'ERROR_SHARING_PAUSED',
  [Win32Status.INVALID_PARAMETER]: 'ERROR_INVALID_PARAMETER',
  [Win32Status.MORE_DATA]: 'ERROR_MORE_DATA',
  [Win32Status.WAIT_TIMEOUT]: 'WAIT_TIMEOUT',
  [Win32Status.NO_MORE_ITEMS]: 'ERROR_NO_MORE_ITEMS',
  [Win32Status.SHUTDOWN_IN_PROGRESS]: 'ERROR_SHUTDOWN_IN_PROGRESS',
  [Win32Status.SERVER_SHUTDOWN_IN_PROGRESS]: 'ERROR_SERVER_SHUTDOWN_IN_PROGRESS',
  [Win32Status.RPC_S_INVALID_BINDING]: 'RPC_S_INVALID_BINDING',
  [Win32Status.RPC_S_UNKNOWN_IF]: 'RPC_S_UNKNOWN_IF',
  [Win32Status.RPC_S_SERVER_UNAVAILABLE]: 'RPC_S_SERVER_UNAVAILABLE',
  [Win32Status.RPC_S_SERVER_TOO_BUSY]: 'RPC_S_SERVER_TOO_BUSY',
  [Win32Status.RPC_S_CALL_FAILED]: 'RPC_S_CALL_FAILED',
  [Win32Status.RPC_S_CALL_FAILED_DNE]: 'RPC_S_CALL_FAILED_DNE',
  [Win32Status.RPC_S_PROCNUM_OUT_OF_RANGE]: 'RPC_S_PROCNUM_OUT_OF_RANGE',
  [Win32Status.RPC_S_UNKNOWN_AUTHN_SERVICE]: 'RPC_S_UNKNOWN_AUTHN_SERVICE',
  [Win32Status.EPT_S_NOT_REGISTERED]: 'EPT_S_NOT_REGISTERED',
  [Win32Status.RPC_X_SS_IN_NULL_CONTEXT]: 'RPC_X_SS_IN_NULL_CONTEXT',
  [Win32Status.RPC_S_SEC_PKG_ERROR]: 'RPC_S_SEC_PKG_ERROR',
  [Win32Status.CLUSTER_NODE_DOWN]: 'ERROR_CLUSTER_NODE_DOWN',
  [Win32Status.CLUSTER_NODE_NOT_READY]: 'ERROR_CLUSTER_NODE_NOT_READY',
  [Win32Status.CLUSTER_NODE_SHUTTING_DOWN]: 'ERROR_CLUSTER_NODE_SHUTTING_DOWN',
};

/**
 * The official name of a status code.
 *
 * @returns e.g. `'ERROR_NO_MORE_ITEMS'` for 0x103 or `'RPC_S_CALL_FAILED'` for 0x6BE;
 * `undefined` for a code not in {@link Win32Status}.
 * @see §10, §7.3
 */
export function win32StatusSpecName(code: number): string | undefined {
  return Object.hasOwn(WIN32_STATUS_NAMES, code)
    ? (WIN32_STATUS_NAMES as Readonly<Record<number, string>>)[code]
    : undefined;
}

/**
 * Codes that make a protocol-2.0 client run the reconnect procedure ([MS-CMRP] §3.2.4.6,
 * reference §7.3): 6, 1115, 1255, 1702, 1717, 1722, 1723, 1726, 1727, 1747, 1753, 1775, 5072,
 * 5073.
 */
export const RECONNECT_TRIGGERS_V2_0: ReadonlySet<number> = new Set<number>([
  Win32Status.INVALID_HANDLE,
  Win32Status.SHUTDOWN_IN_PROGRESS,
  Win32Status.SERVER_SHUTDOWN_IN_PROGRESS,
  Win32Status.RPC_S_INVALID_BINDING,
  Win32Status.RPC_S_UNKNOWN_IF,
  Win32Status.RPC_S_SERVER_UNAVAILABLE,
  Win32Status.RPC_S_SERVER_TOO_BUSY,
  Win32Status.RPC_S_CALL_FAILED,
  Win32Status.RPC_S_CALL_FAILED_DNE,
  Win32Status.RPC_S_UNKNOWN_AUTHN_SERVICE,
  Win32Status.EPT_S_NOT_REGISTERED,
  Win32Status.RPC_X_SS_IN_NULL_CONTEXT,
  Win32Status.CLUSTER_NODE_NOT_READY,
  Win32Status.CLUSTER_NODE_SHUTTING_DOWN,
]);

/**
 * Codes that make a protocol-3.0 client run the reconnect procedure ([MS-CMRP] §3.2.4.6,
 * reference §7.3): 1702, 1717, 1722, 1723, 1726, 1727, 1747, 1753, 1775, 1825, 5050, 5072,
 * 5073. For methods that return a handle, the code is the one in the Status / rpc_error
 * out-parameter.
 */
export const RECONNECT_TRIGGERS_V3_0: ReadonlySet<number> = new Set<number>([
  Win32Status.RPC_S_INVALID_BINDING,
  Win32Status.RPC_S_UNKNOWN_IF,
  Win32Status.RPC_S_SERVER_UNAVAILABLE,
  Win32Status.RPC_S_SERVER_TOO_BUSY,
  Win32Status.RPC_S_CALL_FAILED,
  Win32Status.RPC_S_CALL_FAILED_DNE,
  Win32Status.RPC_S_UNKNOWN_AUTHN_SERVICE,
  Win32Status.EPT_S_NOT_REGISTERED,
  Win32Status.RPC_X_SS_IN_NULL_CONTEXT,
  Win32Status.RPC_S_SEC_PKG_ERROR,
  Win32Status.CLUSTER_NODE_DOWN,
  Win32Status.CLUSTER_NODE_NOT_READY,
  Win32Status.CLUSTER_NODE_SHUTTING_DOWN,
]);
