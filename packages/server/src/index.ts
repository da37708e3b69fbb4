/**
 * @clusnotify/server — the clusnotify node runtime. This package holds the transport-free
 * service: the MS-CMRP methods over the cluster model, the durable store and the notification
 * engine, with sessions that own their handles.
 */
export { startClusterService, ClusterService } from './cluster-service.js';
export type { ClusterServiceOptions, Executed } from './cluster-service.js';
export { Session } from './session.js';
export type {
  AccessLevel,
  GetNotifyAsyncResult,
  GetNotifyResult,
  GetNotifyV2Result,
  GetOptions,
  HandleKind,
} from './session.js';
export { startWsServer, DEFAULT_LIMITS } from './ws-server.js';
export type { ServerLimits, WsServer, WsServerOptions } from './ws-server.js';
export { loadStaticFiles } from './static-files.js';
export type { HttpHandler } from './static-files.js';
export { createTokenStore, openTokenFile } from './tokens.js';
export type { TokenFileOptions, TokenRecord, TokenStore } from './tokens.js';
export { createMetrics } from './metrics.js';
export type { ServerMetrics } from './metrics.js';
export { startDemo } from './demo.js';
export { MembershipError, startMembership } from './membership.js';
export type { Membership, MembershipEvent, MembershipOptions } from './membership.js';
export type { Demo, DemoOptions } from './demo.js';
export { startIdleCollector } from './idle-collector.js';
export type { Compaction, IdleCollector, IdleCollectorOptions } from './idle-collector.js';
