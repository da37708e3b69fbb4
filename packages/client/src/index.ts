/**
 * @clusnotify/client — the clusnotify client for Node.js and browsers. `connect()` returns a
 * `Client` that keeps a session with one of the candidate servers and survives the loss of any
 * of them (reference §7.3): handles and notification ports outlive reconnects, and ports are
 * resumed exactly from the server's history when it still holds it. Three layers:
 *
 * - the Win32-shaped functions of clusapi.h (`createClusterNotifyPort`, `getClusterNotify`, …,
 *   reference §8) with client-side handle objects;
 * - idiomatic ports: `client.openPort({ version, filters })`, an async iterable;
 * - raw wire calls (`client.call`) and admin calls (`execute`, `onlineResource`, …).
 */
export { Client, connect } from './client.js';
export type { CallResult } from './connection.js';
export type {
  ClientCallOptions,
  ClientState,
  ClusterCommand,
  ClusterNotifyResult,
  ClusterNotifyV2Result,
  ClusterSnapshot,
  ConnectOptions,
  Executed,
  ExecuteOptions,
  OpenPortOptions,
  ReadOptions,
  ServerInfo,
  SessionList,
} from './client.js';
export type { PortFigures, SessionFigures } from '@clusnotify/protocol';
export { ClientPort } from './client-port.js';
export type { PortFilter, PortRead } from './client-port.js';
export { ClusterObjectHandle } from './handles.js';
export type {
  ClusterHandle,
  GroupHandle,
  HandleKind,
  KeyHandle,
  NetInterfaceHandle,
  NetworkHandle,
  NodeHandle,
  ObjectKind,
  ResourceHandle,
} from './handles.js';
export { NotifyPortHandle } from './notify-port-handle.js';
export { DEFAULT_RECONNECT } from './reconnect.js';
export type { ReconnectOptions } from './reconnect.js';
export type { StreamEncoding } from './notify-port.js';
export type { AbortSignalLike } from './host.js';
export type { WebSocketConstructor, WebSocketEvents, WebSocketLike } from './web-socket.js';
