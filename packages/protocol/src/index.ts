/**
 * @clusnotify/protocol — the MS-CMRP notification vocabulary shared by server and client:
 * enumerations with their exact values, indication types, status codes and the error
 * catalogue. Pure: no I/O and no host APIs.
 */
export {
  ClusterChange,
  ClusterChangeFamily,
  clusterChangeSpecName,
  isSingleBit,
} from './cluster-change.js';
export { ClusterObjectType, clusterObjectTypeSpecName } from './object-type.js';
export {
  ClusterChangeClusterV2,
  ClusterChangeGroupV2,
  ClusterChangeGroupsetV2,
  ClusterChangeResourceV2,
  ClusterChangeResourceTypeV2,
  ClusterChangeNetInterfaceV2,
  ClusterChangeNetworkV2,
  ClusterChangeNodeV2,
  ClusterChangeRegistryV2,
  ClusterChangeQuorumV2,
  ClusterChangeSharedVolumeV2,
  ClusterChangeSpaceportV2,
  ClusterChangeNodeUpgradePhaseV2,
  ClusterNotificationsVersion,
  HandleCloseV2,
  V2_FAMILIES,
  v2FlagSpecName,
} from './change-v2.js';
export type { V2Family } from './change-v2.js';
export {
  ClusterNodeState,
  ClusterGroupState,
  ClusterResourceState,
  ClusterNetworkState,
  ClusterNetInterfaceState,
  NetInterfaceStateSdkNumbering,
  netInterfaceStateToSdk,
  netInterfaceStateFromSdk,
  SharedVolumeState,
  clusterNodeStateSpecName,
  clusterGroupStateSpecName,
  clusterResourceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNetInterfaceStateSpecName,
  netInterfaceStateSdkNumberingSpecName,
  sharedVolumeStateSpecName,
} from './states.js';
export {
  Win32Status,
  win32StatusSpecName,
  RECONNECT_TRIGGERS_V2_0,
  RECONNECT_TRIGGERS_V3_0,
} from './status.js';
export { CmrpOpnum, CMRP_INTERFACE_UUID } from './opnums.js';
export type {
  Indication,
  IndicationV1,
  IndicationV2,
  LostIndications,
  NotifyFilterAndType,
} from './indication.js';
export {
  ClusnotifyError,
  ERROR_CATALOGUE,
  ErrorCode,
  failure,
  renderErrorCatalogue,
} from './errors.js';
export type { ErrorInfo, Failure } from './errors.js';
export {
  ClusPropSyntax,
  PayloadError,
  decodeDword,
  decodeMultiSz,
  decodePropertyList,
  decodeUtf16z,
  encodeDword,
  encodeMultiSz,
  encodePropertyList,
  encodeUtf16z,
} from './payload.js';
export type { PropertyMap, PropertyValue } from './payload.js';
export { fromBase64, toBase64 } from './base64.js';
export {
  CLIENT_BATCH_FRAMES,
  CloseCode,
  WAITING_METHODS,
  DEFAULT_STREAM_WINDOW,
  MAX_LISTED_PORTS,
  MAX_STREAM_WINDOW,
  WIRE_PATH,
  WIRE_VERSION,
  WireFeature,
  WireMethods,
  batchMessage,
  fromWireNotification,
  parseClientFrame,
  parseParams,
  toWireNotification,
  wireFilterSchema,
} from './wire.js';
export { checkNotificationsV1, checkNotificationsV2, parseServerFrame } from './server-frame.js';
export type { MalformedServerFrame } from './server-frame.js';
export {
  BINARY_NOTIFY_V2,
  BINARY_NOTIFY_GROUP,
  BinaryFlag,
  encodeBinaryNotifyFrame,
  encodeBinaryNotifyGroup,
  parseBinaryNotifyFrame,
  parseBinaryNotifyMessage,
  sameObject,
  utf8Exact,
} from './binary-frame.js';
export type { BinaryNotifyBatch, BinaryNotifyEntry, BinaryNotifyFrame } from './binary-frame.js';
export type {
  AckFrame,
  BatchedFrame,
  CancelFrame,
  FrameBatch,
  CallFrame,
  ClientFrame,
  HelloFrame,
  NotifyFrame,
  PortFigures,
  ServerFrame,
  SessionFigures,
  WireFilter,
  WireLimits,
  WireMethod,
  WireNotificationV1,
  WireNotificationV2,
  WireParams,
  WireResult,
} from './wire.js';
