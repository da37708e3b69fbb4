/**
 * Turning what the wire carries into `ClusnotifyError`s: failure results, error frames and
 * lost connections.
 */
import { ClusnotifyError, ERROR_CATALOGUE } from '@clusnotify/protocol';
import type { ErrorCode } from '@clusnotify/protocol';
import type { CallResult } from './connection.js';

/** The catalogue code for a code string from the wire (an unknown one becomes INTERNAL). */
export function errorCode(code: unknown): ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code)
    ? (code as ErrorCode)
    : 'INTERNAL';
}

/** A `ClusnotifyError` for a failure result `{ type: 'error', code, message }`. */
export function resultError(method: string, r: CallResult): ClusnotifyError {
  const message = typeof r.message === 'string' ? r.message : `${method} failed`;
  return new ClusnotifyError(errorCode(r.code), message);
}

/**
 * The result if it is `ok`; otherwise throws its failure as a `ClusnotifyError` (a result of
 * another type, such as `timeout`, becomes INTERNAL: the caller did not expect it).
 */
export function expectOk(method: string, r: CallResult): CallResult {
  if (r.type === 'ok') return r;
  if (r.type === 'error') throw resultError(method, r);
  throw new ClusnotifyError('INTERNAL', `${method} answered ${r.type} (status ${r.status})`);
}

/** Whether `e` says the connection went away under a call (the client may retry it). */
export function isConnectionLost(e: unknown): boolean {
  return e instanceof ClusnotifyError && e.code === 'CONNECTION_LOST';
}

/** A string field of a result, or throws INTERNAL naming it. */
export function stringField(method: string, r: CallResult, field: string): string {
  const v = r[field];
  if (typeof v !== 'string')
    throw new ClusnotifyError('INTERNAL', `${method} result has no string field ${field}`);
  return v;
}

/** A number field of a result, or `fallback` when absent. */
export function numberField(r: CallResult, field: string, fallback: number): number {
  const v = r[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
