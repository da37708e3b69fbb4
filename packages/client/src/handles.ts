/**
 * Client-side handle objects (HCLUSTER, HNODE, HGROUP, HRESOURCE, HNETWORK, HNETINTERFACE,
 * HKEY of clusapi.h). A handle object outlives connections: it remembers what it names (id,
 * name, key path), and after a reconnect the client re-opens it on the new session
 * (§7.3 step 3), so the application keeps using the same object.
 */
import { ClusterChange, ClusterObjectType } from '@clusnotify/protocol';
import type { WireMethod } from '@clusnotify/protocol';
import type { Connection } from './connection.js';

/** Kinds of cluster object that have their own handle and per-object v1 filters. */
export type ObjectKind = 'node' | 'group' | 'resource' | 'network' | 'netinterface';

/** Every kind of handle the client hands out (besides notification ports). */
export type HandleKind = 'cluster' | ObjectKind | 'key';

/** What the client keeps about a handle (internal). */
export interface HandleRecord {
  readonly kind: HandleKind;
  /** The client that opened it. */
  readonly owner: object;
  /** Object name (cluster name for the cluster; '' for keys). */
  name: string;
  /** Object GUID ('' when the server did not say; the cluster's id for the cluster). */
  id: string;
  /** Cluster-database path relative to the root (keys only; '' otherwise and for the root). */
  path: string;
  closed: boolean;
  /** The handle on the current session, if it is open there. */
  server: { readonly conn: Connection; readonly handle: string } | undefined;
}

let recordOf: (h: ClusterObjectHandle) => HandleRecord;

/**
 * A handle to a cluster object, as the Win32-shaped functions of `Client` return it
 * (`openClusterNode`, `getClusterKey`, …). It stays valid across reconnects until it is closed
 * with the matching close function (§7.3, §7.4).
 */
export class ClusterObjectHandle<K extends HandleKind = HandleKind> {
  readonly #record: HandleRecord;

  static {
    recordOf = (h) => h.#record;
  }

  /** @internal Handles are made by the client's open functions. */
  constructor(record: HandleRecord & { readonly kind: K }) {
    this.#record = record;
  }

  /** The kind of object the handle names. */
  get kind(): K {
    return this.#record.kind as K;
  }

  /** The object's name as of the last (re-)open ('' for keys; the cluster name for clusters). */
  get name(): string {
    return this.#record.name;
  }

  /** The object's GUID ('' for keys, and when the server did not report it). */
  get id(): string {
    return this.#record.id;
  }

  /** For keys: the path relative to the cluster-database root ('' for the root); else ''. */
  get path(): string {
    return this.#record.path;
  }

  /** Whether the handle was closed. */
  get closed(): boolean {
    return this.#record.closed;
  }
}

/** HCLUSTER. */
export type ClusterHandle = ClusterObjectHandle<'cluster'>;
/** HNODE. */
export type NodeHandle = ClusterObjectHandle<'node'>;
/** HGROUP. */
export type GroupHandle = ClusterObjectHandle<'group'>;
/** HRESOURCE. */
export type ResourceHandle = ClusterObjectHandle<'resource'>;
/** HNETWORK. */
export type NetworkHandle = ClusterObjectHandle<'network'>;
/** HNETINTERFACE. */
export type NetInterfaceHandle = ClusterObjectHandle<'netinterface'>;
/** HKEY (a cluster-database key). */
export type KeyHandle = ClusterObjectHandle<'key'>;

/** The internal record of a handle object. */
export function handleRecord(h: ClusterObjectHandle): HandleRecord {
  return recordOf(h);
}

/** The wire methods and v1 bits of each object kind. */
export const OBJECT_KINDS: Readonly<
  Record<
    ObjectKind,
    {
      readonly open: WireMethod;
      readonly close: WireMethod;
      readonly add: WireMethod;
      readonly reAdd: WireMethod;
      readonly objectType: number;
      /** The family's *_STATE bit (its indications bump the state sequence, D15). */
      readonly stateBit: number;
    }
  >
> = {
  node: {
    open: 'openNode',
    close: 'closeNode',
    add: 'addNotifyNode',
    reAdd: 'reAddNotifyNode',
    objectType: ClusterObjectType.NODE,
    stateBit: ClusterChange.NODE_STATE,
  },
  group: {
    open: 'openGroup',
    close: 'closeGroup',
    add: 'addNotifyGroup',
    reAdd: 'reAddNotifyGroup',
    objectType: ClusterObjectType.GROUP,
    stateBit: ClusterChange.GROUP_STATE,
  },
  resource: {
    open: 'openResource',
    close: 'closeResource',
    add: 'addNotifyResource',
    reAdd: 'reAddNotifyResource',
    objectType: ClusterObjectType.RESOURCE,
    stateBit: ClusterChange.RESOURCE_STATE,
  },
  network: {
    open: 'openNetwork',
    close: 'closeNetwork',
    add: 'addNotifyNetwork',
    reAdd: 'reAddNotifyNetwork',
    objectType: ClusterObjectType.NETWORK,
    stateBit: ClusterChange.NETWORK_STATE,
  },
  netinterface: {
    open: 'openNetInterface',
    close: 'closeNetInterface',
    add: 'addNotifyNetInterface',
    reAdd: 'reAddNotifyNetInterface',
    objectType: ClusterObjectType.NETWORK_INTERFACE,
    stateBit: ClusterChange.NETINTERFACE_STATE,
  },
};

/** The CLUSTER_OBJECT_TYPE of each handle kind (for V2 HANDLE_CLOSE, §3.4). */
export function objectTypeOf(kind: HandleKind): number {
  switch (kind) {
    case 'cluster':
      return ClusterObjectType.CLUSTER;
    case 'key':
      return ClusterObjectType.REGISTRY;
    case 'node':
    case 'group':
    case 'resource':
    case 'network':
    case 'netinterface':
      return OBJECT_KINDS[kind].objectType;
  }
}

/** The handle kind whose objects a V2 filter of `objectType` targets, if it has handles. */
export function kindOfObjectType(objectType: number): ObjectKind | 'key' | undefined {
  switch (objectType) {
    case ClusterObjectType.NODE:
      return 'node';
    case ClusterObjectType.GROUP:
      return 'group';
    case ClusterObjectType.RESOURCE:
      return 'resource';
    case ClusterObjectType.NETWORK:
      return 'network';
    case ClusterObjectType.NETWORK_INTERFACE:
      return 'netinterface';
    case ClusterObjectType.REGISTRY:
      return 'key';
    default:
      return undefined;
  }
}
