/**
 * @clusnotify/core — the pure notification-port engine: ports of version 1 and 2, filters in
 * a match index, bounded FIFOs with lost-events indications, parked readers with timeouts,
 * unblock and close (MS-CMRP §3.1.1.8). No I/O; time through an injected clock.
 */
export {
  NotificationEngine,
  DEFAULT_MAX_FILTERS,
  DEFAULT_MAX_PORTS,
  DEFAULT_MAX_QUEUED,
} from './notification-engine.js';
export type {
  EngineOptions,
  EngineStats,
  FilterSpecV2,
  NextResult,
  ObjectFilterSpec,
  Ok,
  Outcome,
  PortCounters,
  PortHandle,
  PortInfo,
  PortReader,
  ReadOptions,
  TakeOptions,
  TakeResult,
  WaitEnd,
} from './notification-engine.js';
export type { PortState } from './notify-port.js';
export { relativeKeyPath } from './notify-port.js';
export { EMPTY_BUFFER } from './change-event.js';
export type { ChangeEvent, ChangeEventV1, ChangeEventV2 } from './change-event.js';
export { ManualClock, hostClock } from './clock.js';
export type { Clock, TimerToken } from './clock.js';
export type { AbortSignalLike } from './abort.js';
export {
  apply,
  emptyClusterState,
  checkKeyPath,
  GROUP_TYPE_UNKNOWN,
  DEFAULT_KEY_SECURITY,
  RestartAction,
  changeEvents,
  commitEvents,
  EVENTS_V1,
  EVENTS_V2,
  COMMAND_CHANGES,
  renderEventsTable,
  allDocuments,
  documentId,
  documentOf,
  documentWrites,
  stateFromDocuments,
  applyDocuments,
  defaultClusterCommands,
  DEFAULT_CLUSTER,
  RegistryValueType,
  ObjectRefSet,
} from './model/index.js';
export type {
  Applied,
  Change,
  ChangeType,
  PropertyScope,
  Command,
  CommandType,
  PropertyUpdate,
  ModelDocument,
  ClusterInfo,
  ClusterState,
  GroupObject,
  NetInterfaceObject,
  NetworkObject,
  NodeObject,
  ObjectKind,
  ObjectRef,
  PropertyMap,
  PropertySets,
  PropertyValue,
  RegistryKey,
  RegistryValue,
  ResourceObject,
  ResourceTypeObject,
} from './model/index.js';
