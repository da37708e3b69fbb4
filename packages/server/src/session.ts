/**
 * A session: one client's context on the server (one RPC connection in MS-CMRP terms). It owns
 * its object handles and notification ports and carries an access level. Method names are the
 * MS-CMRP names without the "Api" prefix; results carry the method's status (§3.1.4.2).
 * Ending a session frees its ports like ApiCloseNotify (§3.1.6).
 */
import { randomBytes } from 'node:crypto';
import {
  ClusterNotificationsVersion,
  ClusterObjectType as T,
  MAX_LISTED_PORTS,
  V2_FAMILIES,
  failure,
} from '@clusnotify/protocol';
import type {
  ErrorCode,
  Failure,
  IndicationV1,
  IndicationV2,
  PortFigures,
  SessionFigures,
  WireFilter,
} from '@clusnotify/protocol';
import type {
  AbortSignalLike,
  Command,
  Ok,
  Outcome,
  PortHandle,
  PortReader,
  TakeResult,
} from '@clusnotify/core';
import { allDocuments, checkKeyPath } from '@clusnotify/core';
import type { ModelDocument } from '@clusnotify/core';
import type { ClusterService, Executed } from './cluster-service.js';

/** Access levels (§3.1.4: "Read" and "All"; Read-with-backup is treated as Read). */
export type AccessLevel = 'read' | 'full';

/** Kinds of object handle a session holds. */
export type HandleKind =
  'cluster' | 'node' | 'group' | 'resource' | 'network' | 'netinterface' | 'key' | 'notify';

type Entry =
  | { readonly kind: 'cluster' }
  | {
      readonly kind: 'node' | 'group' | 'resource' | 'network' | 'netinterface';
      readonly id: string;
    }
  | { readonly kind: 'key'; readonly path: string }
  | { readonly kind: 'notify'; readonly version: 1 | 2; readonly streamed?: true };

/** The entries of cluster and port handles carry nothing of their own: one of each is shared. */
const CLUSTER_ENTRY: Entry = Object.freeze({ kind: 'cluster' });
const PORT_ENTRIES = {
  1: Object.freeze({ kind: 'notify', version: 1 }),
  2: Object.freeze({ kind: 'notify', version: 2 }),
} as const satisfies Record<1 | 2, Entry>;
/** The entries of ports a transport streams (see {@link Session.markStreamed}). */
const STREAMED_PORT_ENTRIES = {
  1: Object.freeze({ kind: 'notify', version: 1, streamed: true }),
  2: Object.freeze({ kind: 'notify', version: 2, streamed: true }),
} as const satisfies Record<1 | 2, Entry>;

/** The entry type a handle of kind K has. */
type EntryOf<K extends HandleKind> = K extends 'cluster'
  ? { readonly kind: 'cluster' }
  : K extends 'key'
    ? { readonly kind: 'key'; readonly path: string }
    : K extends 'notify'
      ? { readonly kind: 'notify'; readonly version: 1 | 2; readonly streamed?: true }
      : { readonly kind: K; readonly id: string };

/** Result of {@link Session.getNotify} (ApiGetNotify out-parameters). */
export type GetNotifyResult =
  | Ok<{
      readonly notifyKey: number;
      readonly filter: number;
      readonly stateSequence: number;
      readonly name: string;
      readonly revision: number;
    }>
  | { readonly type: 'timeout'; readonly status: 0x102 }
  | { readonly type: 'interrupted'; readonly status: 0x1 }
  | { readonly type: 'unblocked'; readonly status: 0x103 }
  | Failure;

/** Result of {@link Session.getNotifyAsync}: NOTIFICATION_DATA_ASYNC_RPC entries (§2.2.3.30). */
export type GetNotifyAsyncResult =
  | Ok<{
      readonly notifications: readonly {
        readonly notifyKey: number;
        readonly filter: number;
        readonly name: string;
        readonly revision: number;
      }[];
    }>
  | { readonly type: 'interrupted'; readonly status: 0x1 }
  | { readonly type: 'unblocked'; readonly status: 0x103 }
  | { readonly type: 'timeout'; readonly status: 0x102 }
  | Failure;

/** Result of {@link Session.getNotifyV2}: NOTIFICATION_RPC entries (§2.2.3.24). */
export type GetNotifyV2Result =
  | Ok<{ readonly notifications: readonly IndicationV2[] }>
  | { readonly type: 'interrupted'; readonly status: 0x1 }
  | { readonly type: 'unblocked'; readonly status: 0x103 }
  | { readonly type: 'timeout'; readonly status: 0x102 }
  | Failure;

/**
 * NOTIFICATION_DATA_ASYNC_RPC entries (§2.2.3.30) of version-1 indications: what
 * {@link Session.getNotifyAsync} returns, and what a streamed version-1 port sends.
 */
export function asyncEntries(indications: readonly IndicationV1[]): AsyncEntry[] {
  return indications.map((i) =>
    i.lost === undefined
      ? { notifyKey: i.notifyKey, filter: i.filter, name: i.name, revision: i.revision }
      : {
          notifyKey: i.notifyKey,
          filter: i.filter,
          name: i.name,
          revision: i.revision,
          lost: i.lost,
        },
  );
}

/** One entry of {@link GetNotifyAsyncResult}. */
export interface AsyncEntry {
  readonly notifyKey: number;
  readonly filter: number;
  readonly name: string;
  readonly revision: number;
  readonly lost?: NonNullable<IndicationV1['lost']>;
}

/** Options of the get methods. */
export interface GetOptions {
  /** Longest wait (the v2.0 ApiGetNotify Timeout, §2.4); leave out to wait without limit. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignalLike;
  /** Batch gets: most indications per call (default 1024). */
  readonly max?: number;
}

const OK: Ok = Object.freeze({ type: 'ok', status: 0 });

function isFailure(x: object): x is Failure {
  return (x as { type?: unknown }).type === 'error';
}
const MAX_HANDLES = 65_536;

/** The read side of the model's maps. */
interface Lookup<V> {
  has(key: string): boolean;
  get(key: string): V | undefined;
}

/** The v1 per-object Add/ReAdd methods by handle kind (§3.1.4.2.59–65, .90, .91, .99, .100). */
const V1_OBJECT_TYPES = {
  node: T.NODE,
  group: T.GROUP,
  resource: T.RESOURCE,
  network: T.NETWORK,
  netinterface: T.NETWORK_INTERFACE,
} as const;
type ObjectHandleKind = keyof typeof V1_OBJECT_TYPES;

/** Object types addressed through the cluster handle in ApiAddNotifyV2 (§3.1.4.2.137). */
const CLUSTER_ADDRESSED: ReadonlySet<number> = new Set([
  T.CLUSTER,
  T.QUORUM,
  T.RESOURCE_TYPE,
  T.SHARED_VOLUME,
  T.SPACEPORT,
  T.UPGRADE,
]);
const V2_HANDLE_KIND: Readonly<Partial<Record<number, HandleKind>>> = {
  [T.GROUP]: 'group',
  [T.RESOURCE]: 'resource',
  [T.NETWORK]: 'network',
  [T.NETWORK_INTERFACE]: 'netinterface',
  [T.NODE]: 'node',
  [T.REGISTRY]: 'key',
};

/** One client's session. Open it with {@link ClusterService.openSession}. */
export class Session {
  private readonly handles = new Map<string, Entry>();
  private closed = false;

  /** A short public name of the session (not a secret: it grants nothing). */
  readonly id = `s${randomBytes(5).toString('hex')}`;
  /** When the session was opened (ms since the epoch). */
  readonly openedAt = Date.now();

  /** @internal */
  constructor(
    private readonly service: ClusterService,
    /** The access level granted to this session and every handle it opens. */
    readonly access: AccessLevel,
    /** The program on the other end, as it named itself ('' when unknown). */
    readonly client = '',
  ) {}

  /** Handles (objects and ports) the session holds. */
  get handleCount(): number {
    return this.handles.size;
  }

  /** Notification ports the session holds. */
  get portCount(): number {
    let n = 0;
    for (const e of this.handles.values()) if (e.kind === 'notify') n++;
    return n;
  }

  // ----- handles -------------------------------------------------------------------------------

  private add(entry: Entry, handle?: string): Outcome<{ readonly handle: string }> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    if (this.handles.size >= MAX_HANDLES)
      return failure('PORT_LIMIT', `a session holds at most ${MAX_HANDLES} handles`);
    const h = handle ?? randomBytes(16).toString('hex');
    this.handles.set(h, entry);
    return { type: 'ok', status: 0, handle: h };
  }

  private entry<K extends HandleKind>(
    handle: unknown,
    kinds: readonly K[],
    what: string,
  ): EntryOf<K> | Failure {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    const e = typeof handle === 'string' ? this.handles.get(handle) : undefined;
    if (e === undefined)
      return failure('OBJECT_NOT_FOUND', `${what} is not an open handle of this session`);
    if (!(kinds as readonly HandleKind[]).includes(e.kind)) {
      return failure(
        'HANDLE_WRONG_KIND',
        `${what} is a ${e.kind} handle; expected ${kinds.join(' or ')}`,
      );
    }
    return e as EntryOf<K>;
  }

  private closeHandle(handle: unknown, kind: HandleKind, what: string): Outcome {
    const e = this.entry(handle, [kind], what);
    if (isFailure(e)) return e;
    this.handles.delete(handle as string);
    return OK;
  }

  /** ApiOpenCluster (§3.1.4.2.1). */
  openCluster(): Outcome<{ readonly handle: string }> {
    return this.add(CLUSTER_ENTRY);
  }
  /** ApiCloseCluster (§3.1.4.2.2). */
  closeCluster(hCluster: string): Outcome {
    return this.closeHandle(hCluster, 'cluster', 'hCluster');
  }

  private openObject(
    kind: ObjectHandleKind,
    name: unknown,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    const { map, names, code } = this.objectTable(kind);
    if (typeof name !== 'string' || name === '')
      return failure('INVALID_NAME', `${kind} name must be a non-empty string`);
    // The model's own id string, not the caller's copy of it: every filter registered through
    // the handle keeps it, and ten thousand ports on one object then share one string.
    const id = map.get(name)?.id ?? names.get(name.toLowerCase());
    if (id === undefined) return failure(code, `no ${kind} ${JSON.stringify(name)}`);
    const added = this.add({ kind, id });
    if (added.type === 'error') return added;
    const obj = this.objectFor(kind, id);
    return { ...added, id, name: obj?.name ?? name };
  }

  /** ApiOpenNode (§3.1.4.2.67); by name or id. */
  openNode(
    name: string,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    return this.openObject('node', name);
  }
  /** ApiOpenGroup (§3.1.4.2.42). */
  openGroup(
    name: string,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    return this.openObject('group', name);
  }
  /** ApiOpenResource (§3.1.4.2.9). */
  openResource(
    name: string,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    return this.openObject('resource', name);
  }
  /** ApiOpenNetwork (§3.1.4.2.81). */
  openNetwork(
    name: string,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    return this.openObject('network', name);
  }
  /** ApiOpenNetInterface (§3.1.4.2.92). */
  openNetInterface(
    name: string,
  ): Outcome<{ readonly handle: string; readonly id?: string; readonly name?: string }> {
    return this.openObject('netinterface', name);
  }
  /** ApiCloseNode, ApiCloseGroup, ApiCloseResource, ApiCloseNetwork, ApiCloseNetInterface. */
  closeNode(h: string): Outcome {
    return this.closeHandle(h, 'node', 'hNode');
  }
  closeGroup(h: string): Outcome {
    return this.closeHandle(h, 'group', 'hGroup');
  }
  closeResource(h: string): Outcome {
    return this.closeHandle(h, 'resource', 'hResource');
  }
  closeNetwork(h: string): Outcome {
    return this.closeHandle(h, 'network', 'hNetwork');
  }
  closeNetInterface(h: string): Outcome {
    return this.closeHandle(h, 'netinterface', 'hNetInterface');
  }

  /** ApiGetRootKey (§3.1.4.2.29): the root of the cluster database. */
  getRootKey(hCluster: string): Outcome<{ readonly handle: string; readonly path?: string }> {
    const e = this.entry(hCluster, ['cluster'], 'hCluster');
    if (isFailure(e)) return e;
    const added = this.add({ kind: 'key', path: '' });
    return added.type === 'error' ? added : { ...added, path: '' };
  }

  /** ApiOpenKey (§3.1.4.2.31): an existing subkey of `hKey`. */
  openKey(
    hKey: string,
    subKey: string,
  ): Outcome<{ readonly handle: string; readonly path?: string }> {
    const e = this.entry(hKey, ['key'], 'hKey');
    if (isFailure(e)) return e;
    const path = this.joinKey(e.path, subKey);
    if (typeof path !== 'string') return path;
    const k = this.service.state.registry.get(path.toLowerCase());
    if (k === undefined)
      return failure('KEY_NOT_FOUND', `no cluster-database key ${JSON.stringify(path)}`);
    return this.add({ kind: 'key', path: k.path });
  }

  /** ApiCloseKey (§3.1.4.2.36). */
  closeKey(hKey: string): Outcome {
    return this.closeHandle(hKey, 'key', 'hKey');
  }

  private joinKey(base: string, sub: unknown): string | Failure {
    if (typeof sub !== 'string') return failure('INVALID_KEY_PATH', 'subkey must be a string');
    const path = sub === '' ? base : base === '' ? sub : `${base}\\${sub}`;
    try {
      return checkKeyPath(path);
    } catch {
      return failure(
        'INVALID_KEY_PATH',
        `key path ${JSON.stringify(path)} has an empty or invalid segment`,
      );
    }
  }

  // ----- notification ports -----------------------------------------------------------------------

  private createPort(version: 1 | 2): Outcome<{ readonly handle: string }> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    const r = this.service.engine.createPort(version);
    if (r.type === 'error') return r;
    const added = this.add(PORT_ENTRIES[version], r.handle);
    if (added.type === 'error') this.service.engine.close(r.handle);
    return added;
  }

  /** ApiCreateNotify (§3.1.4.2.56): an empty version-1 port. */
  createNotify(): Outcome<{ readonly handle: string }> {
    return this.createPort(1);
  }
  /** ApiCreateNotifyV2 (§3.1.4.2.136): an empty version-2 port. */
  createNotifyV2(): Outcome<{ readonly handle: string }> {
    return this.createPort(2);
  }

  private port(hNotify: unknown, version?: 1 | 2): PortHandle | Failure {
    const e = this.entry(hNotify, ['notify'], 'hNotify');
    if (isFailure(e)) return e;
    if (version !== undefined && e.version !== version) {
      return failure(
        'WRONG_PORT_VERSION',
        `hNotify is a version-${e.version} port; this method needs version ${version}`,
      );
    }
    return hNotify as PortHandle;
  }

  /** ApiAddNotifyCluster (§3.1.4.2.58). */
  addNotifyCluster(hNotify: string, hCluster: string, filter: number, notifyKey: number): Outcome {
    const p = this.port(hNotify, 1);
    if (typeof p !== 'string') return p;
    const c = this.entry(hCluster, ['cluster'], 'hCluster');
    if (isFailure(c)) return c;
    return this.service.engine.addClusterFilter(p, { filter, notifyKey });
  }

  /** Where objects of one handle kind live in the state, and the code for a missing one. */
  private objectTable(kind: ObjectHandleKind): {
    readonly map: Lookup<{
      readonly id: string;
      readonly name: string;
      readonly stateSequence: number;
    }>;
    readonly names: Lookup<string>;
    readonly code: ErrorCode;
  } {
    const s = this.service.state;
    switch (kind) {
      case 'node':
        return { map: s.nodes, names: s.names.node, code: 'NODE_NOT_FOUND' };
      case 'group':
        return { map: s.groups, names: s.names.group, code: 'GROUP_NOT_FOUND' };
      case 'resource':
        return { map: s.resources, names: s.names.resource, code: 'RESOURCE_NOT_FOUND' };
      case 'network':
        return { map: s.networks, names: s.names.network, code: 'NETWORK_NOT_FOUND' };
      case 'netinterface':
        return {
          map: s.netInterfaces,
          names: s.names.netInterface,
          code: 'NETINTERFACE_NOT_FOUND',
        };
    }
  }

  private objectFor(
    kind: ObjectHandleKind,
    id: string,
  ): { name: string; stateSequence: number } | undefined {
    return this.objectTable(kind).map.get(id);
  }

  private addObject(
    kind: ObjectHandleKind,
    hNotify: unknown,
    hObject: unknown,
    filter: number,
    notifyKey: number,
    readd: number | undefined,
  ): Outcome<{ readonly stateSequence: number }> {
    const p = this.port(hNotify, 1);
    if (typeof p !== 'string') return p;
    const e = this.entry(hObject, [kind], `h${kind}`);
    if (isFailure(e)) return e;
    const obj = this.objectFor(kind, e.id);
    if (obj === undefined)
      return failure('OBJECT_NOT_FOUND', `the ${kind} behind the handle no longer exists`);
    const spec = { objectType: V1_OBJECT_TYPES[kind], objectId: e.id, filter, notifyKey };
    const r =
      readd === undefined
        ? this.service.engine.addObjectFilter(p, spec)
        : this.service.engine.reAddObjectFilter(p, { ...spec, stateSequence: readd }, obj);
    if (r.type === 'error') return r;
    return { type: 'ok', status: 0, stateSequence: obj.stateSequence };
  }

  /** ApiAddNotifyNode (§3.1.4.2.59); returns the node's state sequence. */
  addNotifyNode(
    hNotify: string,
    hNode: string,
    filter: number,
    notifyKey: number,
  ): Outcome<{ readonly stateSequence: number }> {
    return this.addObject('node', hNotify, hNode, filter, notifyKey, undefined);
  }
  /** ApiAddNotifyGroup (§3.1.4.2.60). */
  addNotifyGroup(
    hNotify: string,
    hGroup: string,
    filter: number,
    notifyKey: number,
  ): Outcome<{ readonly stateSequence: number }> {
    return this.addObject('group', hNotify, hGroup, filter, notifyKey, undefined);
  }
  /** ApiAddNotifyResource (§3.1.4.2.61). */
  addNotifyResource(
    hNotify: string,
    hResource: string,
    filter: number,
    notifyKey: number,
  ): Outcome<{ readonly stateSequence: number }> {
    return this.addObject('resource', hNotify, hResource, filter, notifyKey, undefined);
  }
  /** ApiAddNotifyNetwork (§3.1.4.2.90). */
  addNotifyNetwork(
    hNotify: string,
    hNetwork: string,
    filter: number,
    notifyKey: number,
  ): Outcome<{ readonly stateSequence: number }> {
    return this.addObject('network', hNotify, hNetwork, filter, notifyKey, undefined);
  }
  /** ApiAddNotifyNetInterface (§3.1.4.2.99). */
  addNotifyNetInterface(
    hNotify: string,
    hNetInterface: string,
    filter: number,
    notifyKey: number,
  ): Outcome<{ readonly stateSequence: number }> {
    return this.addObject('netinterface', hNotify, hNetInterface, filter, notifyKey, undefined);
  }
  /** ApiReAddNotifyNode (§3.1.4.2.63). */
  reAddNotifyNode(
    hNotify: string,
    hNode: string,
    filter: number,
    notifyKey: number,
    stateSequence: number,
  ): Outcome {
    return this.addObject('node', hNotify, hNode, filter, notifyKey, stateSequence);
  }
  /** ApiReAddNotifyGroup (§3.1.4.2.64). */
  reAddNotifyGroup(
    hNotify: string,
    hGroup: string,
    filter: number,
    notifyKey: number,
    stateSequence: number,
  ): Outcome {
    return this.addObject('group', hNotify, hGroup, filter, notifyKey, stateSequence);
  }
  /** ApiReAddNotifyResource (§3.1.4.2.65). */
  reAddNotifyResource(
    hNotify: string,
    hResource: string,
    filter: number,
    notifyKey: number,
    stateSequence: number,
  ): Outcome {
    return this.addObject('resource', hNotify, hResource, filter, notifyKey, stateSequence);
  }
  /** ApiReAddNotifyNetwork (§3.1.4.2.91). */
  reAddNotifyNetwork(
    hNotify: string,
    hNetwork: string,
    filter: number,
    notifyKey: number,
    stateSequence: number,
  ): Outcome {
    return this.addObject('network', hNotify, hNetwork, filter, notifyKey, stateSequence);
  }
  /** ApiReAddNotifyNetInterface (§3.1.4.2.100). */
  reAddNotifyNetInterface(
    hNotify: string,
    hNetInterface: string,
    filter: number,
    notifyKey: number,
    stateSequence: number,
  ): Outcome {
    return this.addObject('netinterface', hNotify, hNetInterface, filter, notifyKey, stateSequence);
  }

  /** ApiAddNotifyKey (§3.1.4.2.62); note the argument order (key before filter). */
  addNotifyKey(
    hNotify: string,
    hKey: string,
    notifyKey: number,
    filter: number,
    watchSubTree: boolean,
  ): Outcome {
    const p = this.port(hNotify, 1);
    if (typeof p !== 'string') return p;
    const k = this.entry(hKey, ['key'], 'hKey');
    if (isFailure(k)) return k;
    return this.service.engine.addKeyFilter(p, {
      keyPath: k.path,
      filter,
      watchSubtree: watchSubTree,
      notifyKey,
    });
  }

  /** ApiAddNotifyV2 (§3.1.4.2.137). */
  addNotifyV2(
    hNotify: string,
    hObject: string,
    filter: { readonly objectType: number; readonly filterFlags: number },
    notifyKey: number,
    version: number,
    isTargetedAtObject: boolean,
  ): Outcome {
    const p = this.port(hNotify, 2);
    if (typeof p !== 'string') return p;
    if (version !== ClusterNotificationsVersion.V2)
      return failure('INVALID_VERSION', `dwVersion must be 2, got ${String(version)}`);
    if (filter === null || typeof filter !== 'object')
      return failure('INVALID_ARGUMENT', 'filter must be { objectType, filterFlags }');
    const { objectType, filterFlags } = filter;
    const engine = this.service.engine;
    if (!isTargetedAtObject || CLUSTER_ADDRESSED.has(objectType)) {
      const c = this.entry(hObject, ['cluster'], 'hObject');
      if (isFailure(c)) return c;
      return engine.addFilterV2(p, { objectType, filterFlags, notifyKey });
    }
    const kind = V2_HANDLE_KIND[objectType];
    if (kind === undefined) {
      return V2_FAMILIES[objectType as keyof typeof V2_FAMILIES] === undefined
        ? failure(
            'UNKNOWN_OBJECT_TYPE',
            `objectType ${String(objectType)} has no V2 change enumeration`,
          )
        : failure(
            'HANDLE_WRONG_KIND',
            `objects of type ${String(objectType)} have no handles in clusnotify; register for the whole type`,
          );
    }
    const e = this.entry(hObject, [kind], 'hObject');
    if (isFailure(e)) return e;
    const target = e.kind === 'key' ? e.path : (e as { id: string }).id;
    if (e.kind === 'key' && target === '')
      return engine.addFilterV2(p, { objectType, filterFlags, notifyKey });
    return engine.addFilterV2(p, { objectType, filterFlags, notifyKey, target });
  }

  /** ApiAddNotifyResourceTypeV2 (§3.1.4.2.144). */
  addNotifyResourceTypeV2(
    hNotify: string,
    filterFlags: number,
    notifyKey: number,
    resTypeName: string,
    version: number,
  ): Outcome {
    const p = this.port(hNotify, 2);
    if (typeof p !== 'string') return p;
    if (version !== ClusterNotificationsVersion.V2)
      return failure('INVALID_VERSION', `dwVersion must be 2, got ${String(version)}`);
    if (typeof resTypeName !== 'string' || resTypeName === '')
      return failure('INVALID_NAME', 'resTypeName must be a non-empty string');
    const t = this.service.state.resourceTypes.get(resTypeName.toLowerCase());
    return this.service.engine.addResourceTypeFilterV2(p, {
      resourceTypeName: t?.name ?? resTypeName,
      filterFlags,
      notifyKey,
    });
  }

  /**
   * ApiGetNotify (§3.1.4.2.66; with `timeoutMs` the v2.0 form §3.1.4.1.66): the oldest
   * indication of a version-1 port. Waits while the port is empty.
   */
  async getNotify(hNotify: string, options: GetOptions = {}): Promise<GetNotifyResult> {
    const p = this.port(hNotify, 1);
    if (typeof p !== 'string') return p;
    const r = await this.service.engine.next(p, options);
    if (r.type !== 'indication') return r;
    const i = r.indication as IndicationV1;
    return {
      type: 'ok',
      status: 0,
      notifyKey: i.notifyKey,
      filter: i.filter,
      stateSequence: i.stateSequence,
      name: i.name,
      revision: i.revision,
    };
  }

  /** ApiGetNotifyAsync (§3.1.4.2.143): the next batch of a version-1 port (no state sequence). */
  async getNotifyAsync(hNotify: string, options: GetOptions = {}): Promise<GetNotifyAsyncResult> {
    const p = this.port(hNotify, 1);
    if (typeof p !== 'string') return p;
    const r = await this.service.engine.take(p, options);
    if (r.type !== 'indications') return r;
    return { type: 'ok', status: 0, notifications: asyncEntries(r.indications as IndicationV1[]) };
  }

  /** ApiGetNotifyV2 (§3.1.4.2.138): the indications queued on a version-2 port, at least one. */
  async getNotifyV2(hNotify: string, options: GetOptions = {}): Promise<GetNotifyV2Result> {
    const p = this.port(hNotify, 2);
    if (typeof p !== 'string') return p;
    const r = await this.service.engine.take(p, options);
    if (r.type !== 'indications') return r;
    return { type: 'ok', status: 0, notifications: r.indications as IndicationV2[] };
  }

  /**
   * A read of this session's port `hNotify` (either version) for a transport that streams it:
   * the engine's {@link NotificationEngine.takeOrPark} after the handle checks. What a get
   * would return at once, or undefined when `reader` was parked (it then completes through
   * its `complete`). An idle streamed port so costs its reader, not a promise and its frames.
   */
  takeOrPark(hNotify: string, reader: PortReader): TakeResult | undefined {
    const p = this.port(hNotify);
    if (typeof p !== 'string') return p;
    return this.service.engine.takeOrPark(p, reader);
  }

  /** Removes a reader that {@link takeOrPark} parked on `hNotify`, if it is still parked. */
  unpark(hNotify: string, reader: PortReader): void {
    if (this.handles.get(hNotify)?.kind === 'notify')
      this.service.engine.unparkReader(hNotify, reader);
  }

  /**
   * A transport started (`true`) or stopped streaming this session's port `hNotify` to its
   * client, for {@link listSessions}. Does nothing for a handle that is not a port.
   */
  markStreamed(hNotify: string, streamed: boolean): void {
    const e = this.handles.get(hNotify);
    if (e?.kind !== 'notify') return;
    this.handles.set(hNotify, (streamed ? STREAMED_PORT_ENTRIES : PORT_ENTRIES)[e.version]);
  }

  /**
   * The version (1 or 2) of this session's port `hNotify`, for a transport that streams it;
   * PORT_NOT_FOUND when the session has no such port.
   */
  portVersion(hNotify: string): 1 | 2 | Failure {
    const e = this.entry(hNotify, ['notify'], 'hNotify');
    if (isFailure(e)) return e;
    return e.version;
  }

  /** ApiUnblockGetNotifyCall (§3.1.4.2.107). */
  unblockGetNotifyCall(hNotify: string): Outcome {
    const p = this.port(hNotify);
    if (typeof p !== 'string') return p;
    return this.service.engine.unblock(p);
  }

  /** ApiCloseNotify (§3.1.4.2.57): completes parked gets, discards the queue, frees the handle. */
  closeNotify(hNotify: string): Outcome {
    const p = this.port(hNotify);
    if (typeof p !== 'string') return p;
    this.handles.delete(p);
    return this.service.engine.close(p);
  }

  /**
   * Re-creates a port on this session and refills it exactly from the history after
   * `afterRevision` (beyond MS-CMRP; docs/protocol.md "Resume"). Filters name objects by id and
   * keys by path. Resolves once the port is registered; history then streams into it as the
   * client reads, and it goes live without a gap. `compacted` (0x103) when the store no longer
   * holds that history: the client falls back to the MS-CMRP reconnect path.
   *
   * With `partial`, history that is only partly gone is not refused: the port starts with one
   * lost-events indication for the revisions the store no longer holds (`lostThrough` in the
   * result is the last of them) and goes on with the history it still has (D43; a client
   * refilling an overflowed port asks so).
   */
  async resumeNotify(
    version: 1 | 2,
    filters: readonly WireFilter[],
    afterRevision: number,
    partial = false,
  ): Promise<
    | Outcome<{
        readonly handle: string;
        readonly revision: number;
        readonly lostThrough?: number;
      }>
    | { readonly type: 'compacted'; readonly status: 0x103 }
  > {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    // A client coming from another daemon of a shared store may be a little ahead of this one.
    if (Number.isInteger(afterRevision) && afterRevision > this.service.revision)
      await this.service.waitForRevision(afterRevision, 2_000);
    if (
      !Number.isInteger(afterRevision) ||
      afterRevision < 0 ||
      afterRevision > this.service.revision
    ) {
      return failure(
        'INVALID_ARGUMENT',
        `afterRevision must be an integer from 0 to ${this.service.revision}`,
      );
    }
    const oldest = await this.service.store.oldestRevision();
    // With `partial`, what is gone becomes one lost-events indication and the rest is replayed.
    const lostThrough = afterRevision + 1 < oldest ? oldest - 1 : undefined;
    if (lostThrough !== undefined && !partial) return { type: 'compacted', status: 0x103 };
    const created = this.createPort(version);
    if (created.type === 'error') return created;
    const h = created.handle;
    const engine = this.service.engine;
    engine.holdLive(h, true);
    for (const f of filters) {
      const r =
        f.kind === 'cluster'
          ? engine.addClusterFilter(h, f)
          : f.kind === 'object'
            ? engine.addObjectFilter(h, f)
            : f.kind === 'key'
              ? engine.addKeyFilter(h, f)
              : engine.addFilterV2(
                  h,
                  f.target === undefined
                    ? {
                        objectType: f.objectType,
                        filterFlags: f.filterFlags,
                        notifyKey: f.notifyKey,
                      }
                    : f,
                );
      if (r.type === 'error') {
        this.closeNotify(h);
        return r;
      }
    }
    if (lostThrough !== undefined) engine.markLost(h, afterRevision + 1, lostThrough);
    const caughtUp = await this.service.catchUp(h, lostThrough ?? afterRevision);
    if (caughtUp === 'compacted') {
      this.closeNotify(h);
      return { type: 'compacted', status: 0x103 };
    }
    return lostThrough === undefined
      ? { type: 'ok', status: 0, handle: h, revision: afterRevision }
      : { type: 'ok', status: 0, handle: h, revision: afterRevision, lostThrough };
  }

  /** Every object of the cluster as JSON, with the revision it reflects (for tools and dashboards). */
  getClusterState(): Outcome<{
    readonly revision: number;
    readonly objects: readonly ModelDocument[];
  }> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    return {
      type: 'ok',
      status: 0,
      revision: this.service.revision,
      objects: allDocuments(this.service.state),
    };
  }

  /** Figures of the server: sessions, ports, queued, delivered and dropped indications, revision. */
  getServerInfo(): Outcome<{
    readonly sessions: number;
    readonly ports: number;
    readonly queued: number;
    readonly delivered: number;
    readonly dropped: number;
    readonly revision: number;
  }> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    const st = this.service.engine.stats();
    return {
      type: 'ok',
      status: 0,
      sessions: this.service.sessionCount,
      ports: st.ports,
      queued: st.queued,
      delivered: st.taken,
      dropped: st.dropped,
      revision: this.service.revision,
    };
  }

  /**
   * Every open session with its notification ports and their figures: queue depth and bound,
   * dropped and delivered indications, filters, parked reads (for operators and dashboards).
   * Port handles are not disclosed. Lists at most `max` sessions (default 256), oldest first,
   * and at most {@link MAX_LISTED_PORTS} ports of each; the per-session totals count all.
   * Needs read access (every session has it).
   */
  listSessions(max = 256): Outcome<{
    readonly revision: number;
    readonly total: number;
    readonly sessions: readonly SessionFigures[];
  }> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    const all = this.service.openSessions();
    return {
      type: 'ok',
      status: 0,
      revision: this.service.revision,
      total: all.length,
      sessions: all.slice(0, max).map((s) => s.summary(s === this)),
    };
  }

  /** @internal This session's entry of {@link listSessions}. */
  summary(self: boolean): SessionFigures {
    const ports: PortFigures[] = [];
    let queued = 0;
    let dropped = 0;
    let delivered = 0;
    let portCount = 0;
    for (const [h, e] of this.handles) {
      if (e.kind !== 'notify') continue;
      const r = this.service.engine.portInfo(h);
      if (r.type !== 'ok') continue;
      const i = r.info;
      portCount++;
      queued += i.queued;
      dropped += i.dropped;
      delivered += i.taken;
      if (ports.length < MAX_LISTED_PORTS)
        ports.push({
          version: i.version,
          state: i.state,
          queued: i.queued,
          maxQueued: i.maxQueued,
          dropped: i.dropped,
          delivered: i.taken,
          filters: i.filters,
          parked: i.parked,
          streamed: e.streamed === true,
        });
    }
    return {
      id: this.id,
      self,
      access: this.access,
      client: this.client,
      openedAt: this.openedAt,
      handles: this.handles.size,
      portCount,
      queued,
      dropped,
      delivered,
      ports,
    };
  }

  // ----- mutations ------------------------------------------------------------------------------------

  /**
   * Runs a model command (every admin operation: create, delete, rename, online, offline,
   * move, properties, registry writes …). Needs full access (ERROR_ACCESS_DENIED otherwise).
   */
  async execute(command: Command): Promise<Executed | Failure> {
    if (this.closed) return failure('SESSION_CLOSED', 'the session is closed');
    if (this.access !== 'full')
      return failure(
        'ACCESS_DENIED',
        `${command.type} needs full access; this session has read access`,
      );
    return this.service.execute(command);
  }

  private async onObject(
    kind: ObjectHandleKind,
    h: unknown,
    make: (id: string) => Command,
  ): Promise<Executed | Failure> {
    const e = this.entry(h, [kind], `h${kind}`);
    if (isFailure(e)) return e;
    return this.execute(make(e.id));
  }

  private async created(
    kind: ObjectHandleKind,
    command: Command & { id: string },
  ): Promise<Outcome<{ readonly handle: string; readonly revision: number }>> {
    const r = await this.execute(command);
    if (r.type === 'error') return r;
    const h = this.add({ kind, id: command.id });
    if (h.type === 'error') return h;
    return { type: 'ok', status: 0, handle: h.handle, revision: r.revision };
  }

  /** ApiCreateGroup (§3.1.4.2.43): a new group on the best node; returns its handle. */
  createGroup(
    name: string,
  ): Promise<Outcome<{ readonly handle: string; readonly revision: number }>> {
    return this.created('group', { type: 'group.create', id: this.service.newId(), name });
  }
  /** ApiDeleteGroup (§3.1.4.2.44). */
  deleteGroup(hGroup: string): Promise<Executed | Failure> {
    return this.onObject('group', hGroup, (group) => ({ type: 'group.delete', group }));
  }
  /** ApiOnlineGroup (§3.1.4.2.47). */
  onlineGroup(hGroup: string): Promise<Executed | Failure> {
    return this.onObject('group', hGroup, (group) => ({ type: 'group.online', group }));
  }
  /** ApiOfflineGroup (§3.1.4.2.48). */
  offlineGroup(hGroup: string): Promise<Executed | Failure> {
    return this.onObject('group', hGroup, (group) => ({ type: 'group.offline', group }));
  }
  /** ApiMoveGroup (§3.1.4.2.49): to the best other node. */
  moveGroup(hGroup: string): Promise<Executed | Failure> {
    return this.onObject('group', hGroup, (group) => ({ type: 'group.move', group }));
  }
  /** ApiMoveGroupToNode (§3.1.4.2.50). */
  async moveGroupToNode(hGroup: string, hNode: string): Promise<Executed | Failure> {
    const n = this.entry(hNode, ['node'], 'hNode');
    if (isFailure(n)) return n;
    return this.onObject('group', hGroup, (group) => ({ type: 'group.move', group, node: n.id }));
  }
  /** ApiSetGroupName (§3.1.4.2.45). */
  setGroupName(hGroup: string, name: string): Promise<Executed | Failure> {
    return this.onObject('group', hGroup, (group) => ({ type: 'group.rename', group, name }));
  }
  /** ApiCreateResource (§3.1.4.2.10): a new resource in the group; returns its handle. */
  async createResource(
    hGroup: string,
    name: string,
    resourceType: string,
  ): Promise<Outcome<{ readonly handle: string; readonly revision: number }>> {
    const g = this.entry(hGroup, ['group'], 'hGroup');
    if (isFailure(g)) return g;
    return this.created('resource', {
      type: 'resource.create',
      id: this.service.newId(),
      name,
      resourceType,
      group: g.id,
    });
  }
  /** ApiDeleteResource (§3.1.4.2.11). */
  deleteResource(hResource: string): Promise<Executed | Failure> {
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.delete',
      resource,
    }));
  }
  /** ApiOnlineResource (§3.1.4.2.18). */
  onlineResource(hResource: string): Promise<Executed | Failure> {
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.online',
      resource,
    }));
  }
  /** ApiOfflineResource (§3.1.4.2.19). */
  offlineResource(hResource: string): Promise<Executed | Failure> {
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.offline',
      resource,
    }));
  }
  /** ApiFailResource (§3.1.4.2.17): the resource fails; the restart policy reacts. */
  failResource(hResource: string): Promise<Executed | Failure> {
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.fail',
      resource,
    }));
  }
  /** ApiSetResourceName (§3.1.4.2.12). */
  setResourceName(hResource: string, name: string): Promise<Executed | Failure> {
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.rename',
      resource,
      name,
    }));
  }
  /** ApiChangeResourceGroup (§3.1.4.2.26). */
  async changeResourceGroup(hResource: string, hGroup: string): Promise<Executed | Failure> {
    const g = this.entry(hGroup, ['group'], 'hGroup');
    if (isFailure(g)) return g;
    return this.onObject('resource', hResource, (resource) => ({
      type: 'resource.move',
      resource,
      group: g.id,
    }));
  }
  /** ApiPauseNode (§3.1.4.2.70). */
  pauseNode(hNode: string): Promise<Executed | Failure> {
    return this.onObject('node', hNode, (node) => ({ type: 'node.pause', node }));
  }
  /** ApiResumeNode (§3.1.4.2.71). */
  resumeNode(hNode: string): Promise<Executed | Failure> {
    return this.onObject('node', hNode, (node) => ({ type: 'node.resume', node }));
  }
  /** ApiEvictNode (§3.1.4.2.72): removes the node (it must own no groups). */
  evictNode(hNode: string): Promise<Executed | Failure> {
    return this.onObject('node', hNode, (node) => ({ type: 'node.delete', node }));
  }
  /** ApiSetClusterName (§3.1.4.2.3). */
  setClusterName(name: string): Promise<Executed | Failure> {
    return this.execute({ type: 'cluster.rename', name });
  }

  private async onKey(hKey: unknown, make: (path: string) => Command): Promise<Executed | Failure> {
    const k = this.entry(hKey, ['key'], 'hKey');
    if (isFailure(k)) return k;
    return this.execute(make(k.path));
  }

  /** ApiCreateKey (§3.1.4.2.30): creates (or opens) a subkey; returns its handle. */
  async createKey(
    hKey: string,
    subKey: string,
  ): Promise<Outcome<{ readonly handle: string; readonly revision: number }>> {
    const k = this.entry(hKey, ['key'], 'hKey');
    if (isFailure(k)) return k;
    const path = this.joinKey(k.path, subKey);
    if (typeof path !== 'string') return path;
    const r = await this.execute({ type: 'key.create', path });
    if (r.type === 'error') return r;
    const opened = this.openKey(hKey, subKey);
    if (opened.type === 'error') return opened;
    return { type: 'ok', status: 0, handle: opened.handle, revision: r.revision };
  }
  /** ApiDeleteKey (§3.1.4.2.34): deletes a subkey and its subtree. */
  async deleteKey(hKey: string, subKey: string): Promise<Executed | Failure> {
    const k = this.entry(hKey, ['key'], 'hKey');
    if (isFailure(k)) return k;
    const path = this.joinKey(k.path, subKey);
    if (typeof path !== 'string') return path;
    return this.execute({ type: 'key.delete', path });
  }
  /** ApiSetValue (§3.1.4.2.33). */
  setValue(
    hKey: string,
    name: string,
    value: { readonly type: number; readonly data: string | number | readonly string[] },
  ): Promise<Executed | Failure> {
    return this.onKey(hKey, (path) => ({ type: 'value.set', path, name, value: value as never }));
  }
  /** ApiDeleteValue (§3.1.4.2.35). */
  deleteValue(hKey: string, name: string): Promise<Executed | Failure> {
    return this.onKey(hKey, (path) => ({ type: 'value.delete', path, name }));
  }
  /** ApiSetKeySecurity (§3.1.4.2.38). */
  setKeySecurity(hKey: string, security: string): Promise<Executed | Failure> {
    return this.onKey(hKey, (path) => ({ type: 'key.set-security', path, security }));
  }

  /**
   * Ends the session: closes every port it created (parked gets complete with
   * ERROR_INVALID_FUNCTION, queues are discarded) and drops every handle. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [h, e] of this.handles) if (e.kind === 'notify') this.service.engine.close(h);
    this.handles.clear();
    this.service.sessionClosed(this);
  }
}
