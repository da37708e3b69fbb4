export {
  apply,
  emptyClusterState,
  checkKeyPath,
  GROUP_TYPE_UNKNOWN,
  DEFAULT_KEY_SECURITY,
  RestartAction,
} from './apply.js';
export type { Applied } from './apply.js';
export type { Change, ChangeType, PropertyScope } from './change.js';
export type { Command, CommandType, PropertyUpdate } from './command.js';
export { changeEvents, commitEvents, EVENTS_V1, EVENTS_V2 } from './events.js';
export { COMMAND_CHANGES, renderEventsTable } from './events-table.js';
export {
  allDocuments,
  documentId,
  documentOf,
  documentWrites,
  stateFromDocuments,
  applyDocuments,
} from './persist.js';
export type { ModelDocument } from './persist.js';
export { defaultClusterCommands, DEFAULT_CLUSTER } from './bootstrap.js';
export { RegistryValueType } from './types.js';
export { ObjectRefSet } from './object-ref-set.js';
export type {
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
} from './types.js';
