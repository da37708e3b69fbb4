import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RECONNECT_TRIGGERS_V2_0,
  RECONNECT_TRIGGERS_V3_0,
  Win32Status,
  win32StatusSpecName,
} from '@clusnotify/protocol';

test('Win32Status holds the status codes of §10 and the reconnect triggers of §7.3', () => {
  assert.deepEqual(Win32Status, {
    SUCCESS: 0x00000000,
    INVALID_FUNCTION: 0x00000001,
    ACCESS_DENIED: 0x00000005,
    INVALID_HANDLE: 0x00000006,
    NOT_ENOUGH_MEMORY: 0x00000008,
    SHARING_PAUSED: 0x00000046,
    INVALID_PARAMETER: 0x00000057,
    MORE_DATA: 0x000000ea,
    WAIT_TIMEOUT: 0x00000102,
    NO_MORE_ITEMS: 0x00000103,
    SHUTDOWN_IN_PROGRESS: 0x0000045b,
    SERVER_SHUTDOWN_IN_PROGRESS: 0x000004e7,
    RPC_S_INVALID_BINDING: 0x000006a6,
    RPC_S_UNKNOWN_IF: 0x000006b5,
    RPC_S_SERVER_UNAVAILABLE: 0x000006ba,
    RPC_S_SERVER_TOO_BUSY: 0x000006bb,
    RPC_S_CALL_FAILED: 0x000006be,
    RPC_S_CALL_FAILED_DNE: 0x000006bf,
    RPC_S_PROCNUM_OUT_OF_RANGE: 0x000006d1,
    RPC_S_UNKNOWN_AUTHN_SERVICE: 0x000006d3,
    EPT_S_NOT_REGISTERED: 0x000006d9,
    RPC_X_SS_IN_NULL_CONTEXT: 0x000006ef,
    RPC_S_SEC_PKG_ERROR: 0x00000721,
    CLUSTER_NODE_DOWN: 0x000013ba,
    CLUSTER_NODE_NOT_READY: 0x000013d0,
    CLUSTER_NODE_SHUTTING_DOWN: 0x000013d1,
  });
});

test('win32StatusSpecName gives the official name of every status code (§10, §7.3)', () => {
  const names = Object.fromEntries(
    Object.values(Win32Status).map((code) => [code, win32StatusSpecName(code)]),
  );
  assert.deepEqual(names, {
    [0x00000000]: 'ERROR_SUCCESS',
    [0x00000001]: 'ERROR_INVALID_FUNCTION',
    [0x00000005]: 'ERROR_ACCESS_DENIED',
    [0x00000006]: 'ERROR_INVALID_HANDLE',
    [0x00000008]: 'ERROR_NOT_ENOUGH_MEMORY',
    [0x00000046]: 'ERROR_SHARING_PAUSED',
    [0x00000057]: 'ERROR_INVALID_PARAMETER',
    [0x000000ea]: 'ERROR_MORE_DATA',
    [0x00000102]: 'WAIT_TIMEOUT',
    [0x00000103]: 'ERROR_NO_MORE_ITEMS',
    [0x0000045b]: 'ERROR_SHUTDOWN_IN_PROGRESS',
    [0x000004e7]: 'ERROR_SERVER_SHUTDOWN_IN_PROGRESS',
    [0x000006a6]: 'RPC_S_INVALID_BINDING',
    [0x000006b5]: 'RPC_S_UNKNOWN_IF',
    [0x000006ba]: 'RPC_S_SERVER_UNAVAILABLE',
    [0x000006bb]: 'RPC_S_SERVER_TOO_BUSY',
    [0x000006be]: 'RPC_S_CALL_FAILED',
    [0x000006bf]: 'RPC_S_CALL_FAILED_DNE',
    [0x000006d1]: 'RPC_S_PROCNUM_OUT_OF_RANGE',
    [0x000006d3]: 'RPC_S_UNKNOWN_AUTHN_SERVICE',
    [0x000006d9]: 'EPT_S_NOT_REGISTERED',
    [0x000006ef]: 'RPC_X_SS_IN_NULL_CONTEXT',
    [0x00000721]: 'RPC_S_SEC_PKG_ERROR',
    [0x000013ba]: 'ERROR_CLUSTER_NODE_DOWN',
    [0x000013d0]: 'ERROR_CLUSTER_NODE_NOT_READY',
    [0x000013d1]: 'ERROR_CLUSTER_NODE_SHUTTING_DOWN',
  });
});

test('win32StatusSpecName names no code outside Win32Status', () => {
  for (const code of [0x2, 0x13bb, 0xffffffff, -1, 0.5, NaN]) {
    assert.equal(win32StatusSpecName(code), undefined, `code ${code}`);
  }
});

test('RECONNECT_TRIGGERS_V2_0 is exactly the protocol-2.0 trigger list of §7.3', () => {
  assert.deepEqual(
    [...RECONNECT_TRIGGERS_V2_0].sort((a, b) => a - b),
    [6, 1115, 1255, 1702, 1717, 1722, 1723, 1726, 1727, 1747, 1753, 1775, 5072, 5073],
  );
});

test('RECONNECT_TRIGGERS_V3_0 is exactly the protocol-3.0 trigger list of §7.3', () => {
  assert.deepEqual(
    [...RECONNECT_TRIGGERS_V3_0].sort((a, b) => a - b),
    [1702, 1717, 1722, 1723, 1726, 1727, 1747, 1753, 1775, 1825, 5050, 5072, 5073],
  );
});

test('every reconnect trigger has an official name (§7.3)', () => {
  for (const code of [...RECONNECT_TRIGGERS_V2_0, ...RECONNECT_TRIGGERS_V3_0]) {
    assert.notEqual(win32StatusSpecName(code), undefined, `code ${code}`);
  }
});
