/**
 * The error catalogue: every failure clusnotify reports has a stable string `code`, the
 * MS-CMRP / Win32 status the protocol returns for it (§2.2.2 and the per-method error tables),
 * what it means and how to fix it. `docs/errors.md` is generated from this table
 * (`npm run docs:errors`).
 */
import { Win32Status } from './status.js';

/** One entry of the catalogue. */
export interface ErrorInfo {
  /** The protocol status returned on the wire for this failure. */
  readonly status: number;
  /** What happened. */
  readonly meaning: string;
  /** What the caller should do. */
  readonly fix: string;
}

const catalogue = {
  PORT_NOT_FOUND: {
    status: Win32Status.INVALID_HANDLE,
    meaning: 'The notification port handle is unknown, malformed or already closed.',
    fix: 'Use a handle returned by createPort on this engine/session and not yet closed.',
  },
  WRONG_PORT_VERSION: {
    status: Win32Status.INVALID_HANDLE,
    meaning:
      'A version-1 method was called on a version-2 port, or the reverse (§3.1.4.2.136: only the V2 methods may be used with a V2 handle).',
    fix: 'Register v1 filters on ports made by ApiCreateNotify and v2 filters on ports made by ApiCreateNotifyV2.',
  },
  OBJECT_NOT_FOUND: {
    status: Win32Status.INVALID_HANDLE,
    meaning: 'The object handle or object id does not name an existing object.',
    fix: 'Open the object again and pass the new handle.',
  },
  CLIENT_ONLY_BITS: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      'The filter holds bits that only a client library generates (CLUSTER_STATE, CLUSTER_RECONNECT, HANDLE_CLOSE and their V2 forms); a server never raises them.',
    fix: 'Clear the client-only bits before registering; the clusnotify client library does this and generates those events itself.',
  },
  FILTER_BITS_OUT_OF_FAMILY: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      "The filter holds bits outside the family of the object it names (for example a GROUP bit on a node filter), or bits the object type's V2 enumeration does not define.",
    fix: "Use only the bits of the object's family (see docs/events.md).",
  },
  EMPTY_FILTER: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The filter selects no event (zero, or only the REGISTRY_SUBTREE scope modifier).',
    fix: 'Set at least one event bit.',
  },
  UNKNOWN_OBJECT_TYPE: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The object type is not a CLUSTER_OBJECT_TYPE that can be registered for.',
    fix: 'Use a ClusterObjectType value that has a V2 change enumeration.',
  },
  TARGET_NOT_ALLOWED: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      'A single object was named for an object type that is only addressed as a whole (cluster, quorum, shared volume, spaceport, upgrade).',
    fix: 'Register these types without a target object.',
  },
  INVALID_NOTIFY_KEY: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The notify key is not an unsigned 32-bit integer.',
    fix: 'Pass an integer from 0 to 0xFFFFFFFF.',
  },
  INVALID_OBJECT_ID: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The object id is empty or not a string.',
    fix: 'Pass the id of an existing object.',
  },
  INVALID_KEY_PATH: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      'The cluster-database key path is malformed: segments are separated by a single backslash, none may be empty, and there is no leading or trailing backslash. The root is the empty path.',
    fix: 'Pass a path such as "Parameters\\\\Sub" or "" for the root.',
  },
  INVALID_VERSION: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'dwVersion is not 2 (§3.1.4.2.137, §3.1.4.2.144).',
    fix: 'Pass CLUSTER_NOTIFICATIONS_V2 (2).',
  },
  INVALID_TIMEOUT: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The timeout is not a number of milliseconds >= 0.',
    fix: 'Pass a finite number >= 0, Infinity, or leave it out to wait without limit.',
  },
  INVALID_ARGUMENT: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'An argument is missing or has the wrong form; the message names it.',
    fix: 'Correct the argument as the message says.',
  },
  PORT_LIMIT: {
    status: Win32Status.NOT_ENOUGH_MEMORY,
    meaning: 'No more notification ports can be created (the configured maximum is reached).',
    fix: 'Close unused ports, or raise the limit in the server configuration.',
  },
  FILTER_LIMIT: {
    status: Win32Status.NOT_ENOUGH_MEMORY,
    meaning: 'The port already holds the configured maximum number of filters.',
    fix: 'Use a class filter instead of many object filters, or open another port.',
  },
  PORT_UNBLOCKED: {
    status: Win32Status.NO_MORE_ITEMS,
    meaning:
      'The port was unblocked by ApiUnblockGetNotifyCall and delivers nothing more (§3.1.4.2.107); it only waits to be closed.',
    fix: 'Close the port; open a new one to keep receiving events.',
  },
  GET_INTERRUPTED: {
    status: Win32Status.INVALID_FUNCTION,
    meaning:
      'A parked get was completed by ApiUnblockGetNotifyCall or ApiCloseNotify from another caller (§3.1.4.2.66).',
    fix: 'End the reading loop; the port is being closed.',
  },
  TIMEOUT: {
    status: Win32Status.WAIT_TIMEOUT,
    meaning: 'Nothing arrived within the timeout.',
    fix: 'Call again, or wait longer.',
  },
  INTERNAL: {
    status: Win32Status.INVALID_FUNCTION,
    meaning: 'An unexpected internal failure; details are in the server log.',
    fix: 'Report it with the server log.',
  },
} as const satisfies Record<string, ErrorInfo>;

/** Every error code clusnotify reports. */
export type ErrorCode = keyof typeof catalogue;

/** The catalogue, keyed by code. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, ErrorInfo>> = catalogue;

/** `ErrorCode` values by name, for exhaustive switches and autocompletion. */
export const ErrorCode = Object.freeze(
  Object.fromEntries(Object.keys(catalogue).map((k) => [k, k])) as { [K in ErrorCode]: K },
);

/** A failure reported as a value: the status the protocol returns, plus code and message. */
export interface Failure {
  readonly type: 'error';
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

/** Builds a {@link Failure} whose status comes from the catalogue. */
export function failure(code: ErrorCode, message: string): Failure {
  return { type: 'error', status: catalogue[code].status, code, message };
}

/**
 * The one error class clusnotify throws. Callers branch on `code`; `status` is the protocol
 * status for the same failure.
 */
export class ClusnotifyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusnotifyError';
    this.code = code;
    this.status = catalogue[code].status;
  }

  /** Turns a {@link Failure} value into a throwable error. */
  static from(f: Failure): ClusnotifyError {
    return new ClusnotifyError(f.code, f.message);
  }
}

/**
 * The catalogue as the Markdown page `docs/errors.md` (written by `npm run docs:errors`; a test
 * keeps the page current).
 */
export function renderErrorCatalogue(): string {
  const esc = (t: string): string => t.replace(/\|/g, '\\|');
  const lines = [
    '# Error catalogue',
    '',
    'Generated from `packages/protocol/src/errors.ts` by `npm run docs:errors`; do not edit by hand.',
    '',
    'Every failure clusnotify reports carries a stable `code` (branch on it) and the protocol',
    'status the MS-CMRP method returns for it. Engine and service calls return failures as',
    "values `{ type: 'error', status, code, message }`; the client throws `ClusnotifyError`",
    'with the same `code` and `status`.',
    '',
    '| code | status | meaning | fix |',
    '| --- | --- | --- | --- |',
  ];
  for (const [code, info] of Object.entries(catalogue) as [ErrorCode, ErrorInfo][]) {
    const status = `0x${info.status.toString(16).toUpperCase().padStart(8, '0')}`;
    lines.push(`| \`${code}\` | ${status} | ${esc(info.meaning)} | ${esc(info.fix)} |`);
  }
  return lines.join('\n') + '\n';
}
