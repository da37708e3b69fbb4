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
  PORT_STREAMING: {
    status: Win32Status.INVALID_STATE,
    meaning:
      'The port is streamed to this connection (streamNotify): its indications arrive in notify frames, so a get call or a second streamNotify on it is refused.',
    fix: 'Read the notify frames, or use get calls on a port that is not streamed.',
  },
  HISTORY_COMPACTED: {
    status: Win32Status.NO_MORE_ITEMS,
    meaning:
      'The store no longer holds the history after the requested revision (it was compacted), so a port cannot start there.',
    fix: 'Start from a later revision (`clusnotify status` shows the current one), or from now.',
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
  NODE_NOT_FOUND: {
    status: Win32Status.CLUSTER_NODE_NOT_FOUND,
    meaning: 'No node has this name or id.',
    fix: 'List the nodes (`clusnotify node list`) and use an existing one.',
  },
  NODE_NAME_IN_USE: {
    status: Win32Status.ALREADY_EXISTS,
    meaning:
      'Another daemon runs this cluster node (`serve --etcd --node-name`): its etcd lease is still alive.',
    fix: 'Give each daemon its own --node-name; after a daemon was killed, wait for its lease to expire (--lease-ttl).',
  },
  GROUP_NOT_FOUND: {
    status: Win32Status.GROUP_NOT_FOUND,
    meaning: 'No group has this name or id.',
    fix: 'List the groups and use an existing one.',
  },
  RESOURCE_NOT_FOUND: {
    status: Win32Status.RESOURCE_NOT_FOUND,
    meaning: 'No resource has this name or id.',
    fix: 'List the resources and use an existing one.',
  },
  RESOURCE_TYPE_NOT_FOUND: {
    status: Win32Status.CLUSTER_RESOURCE_TYPE_NOT_FOUND,
    meaning: 'No resource type has this name.',
    fix: 'Create the resource type first, or use an existing one.',
  },
  NETWORK_NOT_FOUND: {
    status: Win32Status.CLUSTER_NETWORK_NOT_FOUND,
    meaning: 'No network has this name or id.',
    fix: 'List the networks and use an existing one.',
  },
  NETINTERFACE_NOT_FOUND: {
    status: Win32Status.CLUSTER_NETINTERFACE_NOT_FOUND,
    meaning: 'No network interface has this name or id.',
    fix: 'List the network interfaces and use an existing one.',
  },
  KEY_NOT_FOUND: {
    status: Win32Status.FILE_NOT_FOUND,
    meaning: 'The cluster-database key does not exist.',
    fix: 'Create the key first, or check the path.',
  },
  VALUE_NOT_FOUND: {
    status: Win32Status.FILE_NOT_FOUND,
    meaning: 'The key holds no value of this name.',
    fix: 'Check the value name.',
  },
  NAME_EXISTS: {
    status: Win32Status.OBJECT_ALREADY_EXISTS,
    meaning:
      'Another object of this kind already has this name (names are compared without regard to case).',
    fix: 'Choose another name.',
  },
  ID_EXISTS: {
    status: Win32Status.OBJECT_ALREADY_EXISTS,
    meaning: 'An object with this id already exists.',
    fix: 'Let the server choose the id, or use a fresh GUID.',
  },
  GROUP_NOT_EMPTY: {
    status: Win32Status.DIR_NOT_EMPTY,
    meaning: 'The group still contains resources (§3.1.4.2.44 ApiDeleteGroup).',
    fix: 'Delete or move its resources first.',
  },
  NODE_OWNS_GROUPS: {
    status: Win32Status.DIR_NOT_EMPTY,
    meaning: 'The node still owns groups.',
    fix: 'Move its groups to another node first.',
  },
  NETWORK_HAS_INTERFACES: {
    status: Win32Status.CLUSTER_NETWORK_HAS_DEPENDENTS,
    meaning: 'Network interfaces still belong to the network.',
    fix: 'Delete its network interfaces first.',
  },
  RESOURCE_TYPE_IN_USE: {
    status: Win32Status.DIR_NOT_EMPTY,
    meaning: 'Resources of this type still exist.',
    fix: 'Delete those resources first.',
  },
  RESOURCE_ONLINE: {
    status: Win32Status.RESOURCE_ONLINE,
    meaning: 'The resource is not offline or failed, and the operation needs it to be.',
    fix: 'Take the resource offline first.',
  },
  DEPENDENT_RESOURCE_EXISTS: {
    status: Win32Status.DEPENDENT_RESOURCE_EXISTS,
    meaning: 'Other resources depend on this resource.',
    fix: 'Remove the dependencies first.',
  },
  DEPENDENCY_NOT_FOUND: {
    status: Win32Status.DEPENDENCY_NOT_FOUND,
    meaning: 'A dependency names a resource that does not exist.',
    fix: 'Depend only on existing resources.',
  },
  DEPENDENCY_NOT_ALLOWED: {
    status: Win32Status.DEPENDENCY_NOT_ALLOWED,
    meaning:
      'A resource may depend only on resources of its own group, never on itself, and never in a cycle.',
    fix: 'Change the dependency set.',
  },
  HOST_NODE_NOT_AVAILABLE: {
    status: Win32Status.HOST_NODE_NOT_AVAILABLE,
    meaning: 'The target node is down, or no node that may host the group is up.',
    fix: 'Bring a node up, or choose a node that is up.',
  },
  NODE_PAUSED: {
    status: Win32Status.CLUSTER_NODE_PAUSED,
    meaning: 'The node is paused and accepts no groups, or is already paused.',
    fix: 'Resume the node first, or choose another node.',
  },
  NODE_NOT_PAUSED: {
    status: Win32Status.CLUSTER_NODE_NOT_PAUSED,
    meaning: 'The node is not paused.',
    fix: 'Only a paused node can be resumed.',
  },
  INVALID_STATE: {
    status: Win32Status.INVALID_STATE,
    meaning: 'The object is not in a state that allows this operation.',
    fix: 'Check the object state (`clusnotify … show`) and retry when it allows the operation.',
  },
  QUORUM_RESOURCE: {
    status: Win32Status.QUORUM_RESOURCE,
    meaning: 'The operation would delete or remove the quorum resource.',
    fix: 'Set another quorum resource first.',
  },
  INVALID_PROPERTY: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'A property value has the wrong type or is out of range; the message names it.',
    fix: 'Correct the value as the message says.',
  },
  INVALID_NAME: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      'An object name is empty, too long (over 255 characters) or contains a control character.',
    fix: 'Use a printable name of 1 to 255 characters.',
  },
  INVALID_ID: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'An object id is not a GUID string.',
    fix: 'Use a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301, or let the server choose.',
  },
  INVALID_COMMAND: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The command is unknown or malformed; the message names the field.',
    fix: 'Send a command of the documented form (docs/events.md).',
  },
  ACCESS_DENIED: {
    status: Win32Status.ACCESS_DENIED,
    meaning: 'The session has read access and the call needs full access (§3.1.4).',
    fix: 'Connect with a token of access level full.',
  },
  HANDLE_WRONG_KIND: {
    status: Win32Status.INVALID_HANDLE,
    meaning: 'The handle is valid but names an object of another kind than the call needs.',
    fix: 'Pass a handle of the kind the call takes.',
  },
  SESSION_CLOSED: {
    status: Win32Status.INVALID_HANDLE,
    meaning: 'The session was closed; its handles are gone.',
    fix: 'Open a new session.',
  },
  STORE_UNAVAILABLE: {
    status: Win32Status.SHARING_PAUSED,
    meaning:
      'The durable store refused or could not take the commit; the server accepts no changes until it can commit again (nothing of the refused change is visible).',
    fix: 'Retry later; check the store (disk, etcd) in the server log.',
  },
  SERVICE_CLOSING: {
    status: Win32Status.CLUSTER_NODE_SHUTTING_DOWN,
    meaning: 'The server is shutting down.',
    fix: 'Reconnect to another node of the cluster, or retry after the server restarts.',
  },
  MALFORMED_FRAME: {
    status: Win32Status.INVALID_PARAMETER,
    meaning:
      'A frame is not a JSON text frame of the protocol (docs/protocol.md). From a client: the server answers with this code and closes the connection. From a server (a frame, or an indication in it, with a field missing or of the wrong type, or a `buffer` that is not base64; or a `notify` frame that overruns the stream window): the client reports this code, closes the connection and reconnects as after a lost connection (decisions D39, D41).',
    fix: 'Send frames as docs/protocol.md describes; use the clusnotify client. A client reporting it: the message names the frame and field; check the server version, or report it with the message.',
  },
  FRAME_TOO_LARGE: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'A frame is larger than the server accepts; the connection is closed.',
    fix: 'Send smaller frames (the limit is in the welcome frame).',
  },
  AUTH_FAILED: {
    status: Win32Status.ACCESS_DENIED,
    meaning:
      'The token is missing, unknown or revoked. A session whose token is revoked is ended with this code (close 4001), and the client closes itself with it instead of reconnecting (decisions D42).',
    fix: 'Use a token made by `clusnotify token create` on this server.',
  },
  TOKEN_NOT_FOUND: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'No token of this data directory has that id.',
    fix: 'List the tokens with `clusnotify token list` and use an id it shows.',
  },
  SESSION_LIMIT: {
    status: Win32Status.NOT_ENOUGH_MEMORY,
    meaning: 'The server holds its maximum number of sessions.',
    fix: 'Close unused connections, or raise --max-sessions.',
  },
  CONNECTION_LIMIT: {
    status: Win32Status.REQ_NOT_ACCEP,
    meaning:
      'The server holds its maximum number of connections from this address (serve --max-connections-per-ip); the connection is closed with 4003 before its hello is read.',
    fix: 'Close unused connections from this address, or raise --max-connections-per-ip.',
  },
  CALL_LIMIT: {
    status: Win32Status.INVALID_PARAMETER,
    meaning: 'The connection has too many calls in flight.',
    fix: 'Wait for results before sending more calls.',
  },
  CONNECTION_LOST: {
    status: Win32Status.RPC_S_CALL_FAILED,
    meaning: 'The connection to the server was lost before the call completed.',
    fix: 'The client reconnects by itself; retry the call.',
  },
  NO_SERVER: {
    status: Win32Status.RPC_S_SERVER_UNAVAILABLE,
    meaning: 'None of the candidate servers could be reached.',
    fix: 'Check that a server runs at one of the URLs and the network lets you reach it.',
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
