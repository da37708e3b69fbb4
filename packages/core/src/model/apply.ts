/**
 * apply(state, command) → { state, changes }: validates a command against the cluster state and
 * computes the new state and the change records, without touching the state it was given
 * (functional core; ARCHITECTURE.md step 2). Resources walk through the pending states, groups
 * derive their state from their resources (§3.1.4.2.46), state sequences are bumped on every
 * state change (and for resources on a group move, §3.1.4.2.26), restart policy and failover
 * move groups between nodes.
 */
import { Map as IMap } from 'immutable';
import {
  ClusterGroupState as GS,
  ClusterNetInterfaceState as IS,
  ClusterNetworkState as NS,
  ClusterNodeState as ND,
  ClusterResourceState as RS,
  failure,
} from '@clusnotify/protocol';
import type { ErrorCode, Failure } from '@clusnotify/protocol';
import type { Change, PropertyScope } from './change.js';
import type { Command, PropertyUpdate } from './command.js';
import type {
  ClusterInfo,
  ClusterState,
  GroupObject,
  NetInterfaceObject,
  NetworkObject,
  NodeObject,
  ObjectKind,
  ObjectRef,
  PropertyMap,
  PropertyValue,
  RegistryKey,
  RegistryValue,
  ResourceObject,
  ResourceTypeObject,
} from './types.js';
import { RegistryValueType } from './types.js';
import { RelationIndex, TrackedRelation } from './relation-index.js';
import type { Relation } from './relation-index.js';
import { ObjectRefSet } from './object-ref-set.js';
import { groupWith, netInterfaceWith, networkWith, nodeWith, resourceWith } from './copy.js';

/** What a successful apply returns. */
export interface Applied {
  readonly type: 'ok';
  readonly status: 0;
  readonly state: ClusterState;
  /** The change records, in the order they happened. */
  readonly changes: readonly Change[];
  /** Every object written or removed, for the store commit (present → put, absent → delete). */
  readonly touched: readonly ObjectRef[];
}

/** Group type reported when none was given (CLUSGROUP_TYPE unknown). */
export const GROUP_TYPE_UNKNOWN = 0x270f;
/** Default security descriptor of new cluster-database keys. */
export const DEFAULT_KEY_SECURITY = 'O:BAG:BAD:(A;;KA;;;BA)(A;;KR;;;AU)';
const MAX_NAME = 255;
const MAX_PROPERTIES = 256;
const MAX_STRING = 65_536;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The restart policy's common properties and their defaults (ClusterResourceRestartNotify). */
export const RestartAction = { DONT_RESTART: 0, RESTART_NO_NOTIFY: 1, RESTART_NOTIFY: 2 } as const;
const DEFAULT_RESTART_ACTION = RestartAction.RESTART_NOTIFY;
const DEFAULT_RESTART_THRESHOLD = 1;

/** An empty cluster: no nodes, only the root key of the cluster database. */
export function emptyClusterState(cluster: { id: string; name: string }): ClusterState {
  const info: ClusterInfo = {
    id: cluster.id,
    name: cluster.name,
    quorumResourceId: '',
    common: {},
    private: {},
  };
  const root: RegistryKey = { path: '', values: {}, security: DEFAULT_KEY_SECURITY };
  return {
    cluster: info,
    nodes: IMap(),
    groups: IMap(),
    resources: IMap(),
    resourceTypes: IMap(),
    networks: IMap(),
    netInterfaces: IMap(),
    registry: IMap([['', root]]),
    names: { node: IMap(), group: IMap(), resource: IMap(), network: IMap(), netInterface: IMap() },
  };
}

/**
 * Applies one command. Returns the new state, the change records and the touched objects, or
 * a {@link Failure} with the MS-CMRP status (the given state is never changed either way).
 */
export function apply(state: ClusterState, command: Command): Applied | Failure {
  const tx = new Tx(state);
  try {
    tx.run(command);
  } catch (e) {
    if (e instanceof Rejection) return e.failure;
    throw e;
  }
  return {
    type: 'ok',
    status: 0,
    state: tx.result(),
    changes: tx.changes,
    touched: tx.touched.values(),
  };
}

/** Internal: a validation failure, turned into a value at the apply boundary. */
class Rejection {
  constructor(readonly failure: Failure) {}
}
function reject(code: ErrorCode, message: string): never {
  // Control flow inside apply, caught at its boundary and never rethrown: no stack needed.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw new Rejection(failure(code, message));
}

const lower = (s: string): string => s.toLowerCase();

/** Whether `s` has a GUID's length and first hyphen (what an id can be; see `checkNewId`). */
const guidShaped = (s: string): boolean => s.length === 36 && s.charCodeAt(8) === 0x2d;

/** The object named `ref` (any case), or undefined. */
function byName<T>(map: IMap<string, T>, names: IMap<string, string>, ref: string): T | undefined {
  const id = names.get(lower(ref));
  return id === undefined ? undefined : map.get(id);
}

/** The common fields of the property record a rename produces (`{ Name }` changed, D16). */
function renamed(name: string, stateSequence: number) {
  return { name, scope: 'common' as const, changed: { Name: name }, removed: [], stateSequence };
}

const seqNext = (n: number): number => (n + 1) >>> 0;

/** Group id → ids of the resources it holds. */
const RESOURCES_BY_GROUP = new RelationIndex<ResourceObject>((r) => [r.groupId]);
/** Resource id → ids of the resources that depend on it directly (D18). */
const DEPENDENTS = new RelationIndex<ResourceObject>((r) => r.dependencies);
/** Node id → ids of the groups it owns. */
const GROUPS_BY_OWNER = new RelationIndex<GroupObject>((g) => [g.ownerNodeId]);

/** The relation indices of a state, as far as they were built (undefined: not built). */
interface Relations {
  byGroup: Relation | undefined;
  dependents: Relation | undefined;
  byOwner: Relation | undefined;
  /** The maps they index: the first two are of `resources`, the last of `groups`. */
  readonly resources: IMap<string, ResourceObject>;
  readonly groups: IMap<string, GroupObject>;
}
/**
 * Where a state `apply` made keeps its relation indices: on the state itself, a property that is
 * not enumerable, where a `WeakMap` entry for each new state cost ~450 ns. They count only while
 * the state still has the maps they were built for.
 */
const OWN_RELATIONS = Symbol('relations');
type StateWithRelations = ClusterState & { readonly [OWN_RELATIONS]?: Relations };
/** The indices of other states, once a lookup built them. */
const RELATIONS = new WeakMap<ClusterState, Relations>();

/** The relation indices known for `s`, or undefined. */
function relationsOf(s: ClusterState): Relations | undefined {
  const own = (s as StateWithRelations)[OWN_RELATIONS];
  if (own !== undefined && own.resources === s.resources && own.groups === s.groups) return own;
  return RELATIONS.get(s);
}

/** Work area of one apply: persistent maps reassigned as the command proceeds. */
class Tx {
  cluster: ClusterInfo;
  nodes: IMap<string, NodeObject>;
  groups: IMap<string, GroupObject>;
  resources: IMap<string, ResourceObject>;
  resourceTypes: IMap<string, ResourceTypeObject>;
  networks: IMap<string, NetworkObject>;
  netInterfaces: IMap<string, NetInterfaceObject>;
  registry: IMap<string, RegistryKey>;
  /** The name maps; the state's own object until a name changes (see {@link Tx.setNames}). */
  names: ClusterState['names'];
  private namesCopied = false;
  readonly changes: Change[] = [];
  readonly touched = new ObjectRefSet();
  private readonly byGroup: TrackedRelation<ResourceObject>;
  private readonly dependents: TrackedRelation<ResourceObject>;
  private readonly byOwner: TrackedRelation<GroupObject>;

  constructor(s: ClusterState) {
    this.cluster = s.cluster;
    this.nodes = s.nodes;
    this.groups = s.groups;
    this.resources = s.resources;
    this.resourceTypes = s.resourceTypes;
    this.networks = s.networks;
    this.netInterfaces = s.netInterfaces;
    this.registry = s.registry;
    this.names = s.names;
    let known = relationsOf(s);
    const from = (): Relations => {
      if (known === undefined) {
        known = {
          byGroup: undefined,
          dependents: undefined,
          byOwner: undefined,
          resources: s.resources,
          groups: s.groups,
        };
        RELATIONS.set(s, known);
      }
      return known;
    };
    this.byGroup = new TrackedRelation(RESOURCES_BY_GROUP, s.resources, known?.byGroup, (r) => {
      from().byGroup = r;
    });
    this.dependents = new TrackedRelation(DEPENDENTS, s.resources, known?.dependents, (r) => {
      from().dependents = r;
    });
    this.byOwner = new TrackedRelation(GROUPS_BY_OWNER, s.groups, known?.byOwner, (r) => {
      from().byOwner = r;
    });
  }

  /** The new state; its relation indices are handed on with it. */
  result(): ClusterState {
    const state: ClusterState = {
      cluster: this.cluster,
      nodes: this.nodes,
      groups: this.groups,
      resources: this.resources,
      resourceTypes: this.resourceTypes,
      networks: this.networks,
      netInterfaces: this.netInterfaces,
      registry: this.registry,
      names: this.names,
    };
    // Not enumerable: a copy or a comparison of states sees only the state.
    Object.defineProperty(state, OWN_RELATIONS, {
      value: {
        byGroup: this.byGroup.relation(),
        dependents: this.dependents.relation(),
        byOwner: this.byOwner.relation(),
        resources: this.resources,
        groups: this.groups,
      } satisfies Relations,
    });
    return state;
  }

  private touch(kind: ObjectKind, id: string): void {
    this.touched.addKey(kind, id);
  }
  private emit(c: Change): void {
    this.changes.push(c);
  }

  // ----- writes -----------------------------------------------------------------------------
  private putNode(n: NodeObject): void {
    this.nodes = this.nodes.set(n.id, n);
    this.touch('node', n.id);
  }
  private putGroup(g: GroupObject): void {
    this.writeGroup(g.id, g);
  }
  /** Puts (`g` given) or deletes group `id`, keeping the owner relation in step. */
  private writeGroup(id: string, g: GroupObject | undefined): void {
    const prev = this.groups.get(id);
    this.groups = g === undefined ? this.groups.delete(id) : this.groups.set(id, g);
    this.byOwner.wrote(this.groups, id, prev, g);
    this.touch('group', id);
  }
  private putResource(r: ResourceObject): void {
    this.writeResource(r.id, r);
  }
  /** Puts (`r` given) or deletes resource `id`, keeping the group and dependency relations in step. */
  private writeResource(id: string, r: ResourceObject | undefined): void {
    const prev = this.resources.get(id);
    this.resources = r === undefined ? this.resources.delete(id) : this.resources.set(id, r);
    this.byGroup.wrote(this.resources, id, prev, r);
    this.dependents.wrote(this.resources, id, prev, r);
    this.touch('resource', id);
  }
  private putNetwork(n: NetworkObject): void {
    this.networks = this.networks.set(n.id, n);
    this.touch('network', n.id);
  }
  private putNetInterface(i: NetInterfaceObject): void {
    this.netInterfaces = this.netInterfaces.set(i.id, i);
    this.touch('net-interface', i.id);
  }
  private putKey(k: RegistryKey): void {
    this.registry = this.registry.set(lower(k.path), k);
    this.touch('registry-key', lower(k.path));
  }
  private putCluster(c: ClusterInfo): void {
    this.cluster = c;
    this.touch('cluster', c.id);
  }

  // ----- lookups ----------------------------------------------------------------------------
  private find<T>(
    map: IMap<string, T>,
    names: IMap<string, string>,
    ref: unknown,
    what: string,
    code: ErrorCode,
  ): T {
    if (typeof ref !== 'string' || ref === '')
      reject('INVALID_COMMAND', `${what} must be a non-empty id or name`);
    // Ids are stored lower-case (checkNewId); a GUID names its object in any case. An id wins
    // over a name. Every id is a GUID, so a reference that cannot be one is looked up by name
    // first, sparing two misses in the id map on every command that names its object.
    const guid = guidShaped(ref);
    let found = guid ? undefined : byName(map, names, ref);
    found ??= map.get(ref) ?? map.get(lower(ref));
    if (found === undefined && guid) found = byName(map, names, ref);
    if (found === undefined) reject(code, `no ${what} ${JSON.stringify(ref)}`);
    return found;
  }
  node(ref: unknown): NodeObject {
    return this.find(this.nodes, this.names.node, ref, 'node', 'NODE_NOT_FOUND');
  }
  group(ref: unknown): GroupObject {
    return this.find(this.groups, this.names.group, ref, 'group', 'GROUP_NOT_FOUND');
  }
  resource(ref: unknown): ResourceObject {
    return this.find(this.resources, this.names.resource, ref, 'resource', 'RESOURCE_NOT_FOUND');
  }
  network(ref: unknown): NetworkObject {
    return this.find(this.networks, this.names.network, ref, 'network', 'NETWORK_NOT_FOUND');
  }
  netInterface(ref: unknown): NetInterfaceObject {
    return this.find(
      this.netInterfaces,
      this.names.netInterface,
      ref,
      'network interface',
      'NETINTERFACE_NOT_FOUND',
    );
  }
  resourceType(name: unknown): ResourceTypeObject {
    if (typeof name !== 'string' || name === '')
      reject('INVALID_COMMAND', 'resource type must be a non-empty name');
    const t = this.resourceTypes.get(lower(name));
    if (t === undefined)
      reject('RESOURCE_TYPE_NOT_FOUND', `no resource type ${JSON.stringify(name)}`);
    return t;
  }
  key(path: unknown): RegistryKey {
    const p = checkKeyPath(path);
    const k = this.registry.get(lower(p));
    if (k === undefined) reject('KEY_NOT_FOUND', `no cluster-database key ${JSON.stringify(p)}`);
    return k;
  }
  private nodeName(id: string): string {
    return this.nodes.get(id)?.name ?? '';
  }
  /** Resources of a group, by name (records follow this order, D48). */
  private resourcesOf(groupId: string): ResourceObject[] {
    return this.byGroup.byName(groupId);
  }
  /** Resources of a group where order does not matter. */
  private resourcesIn(groupId: string): ResourceObject[] {
    return this.byGroup.ids(groupId).map((id) => this.resources.get(id) as ResourceObject);
  }
  /** Groups a node owns, by name (D48). */
  private groupsOn(nodeId: string): GroupObject[] {
    return this.byOwner.byName(nodeId);
  }
  /** Resources that depend directly on a resource, by name (D48). */
  private dependentsOf(resourceId: string): ResourceObject[] {
    return this.dependents.byName(resourceId);
  }

  // ----- names ------------------------------------------------------------------------------
  private claimName(
    kind: keyof ClusterState['names'],
    name: unknown,
    id: string,
    previous?: string,
  ): string {
    const n = checkName(name);
    const owner = this.names[kind].get(lower(n));
    if (owner !== undefined && owner !== id)
      reject('NAME_EXISTS', `a ${kind} named ${JSON.stringify(n)} exists`);
    let names = this.names[kind];
    if (previous !== undefined) names = names.delete(lower(previous));
    this.setNames(kind, names.set(lower(n), id));
    return n;
  }
  private releaseName(kind: keyof ClusterState['names'], name: string): void {
    this.setNames(kind, this.names[kind].delete(lower(name)));
  }
  /**
   * Replaces the name map of `kind`. The first change copies the state's object of name maps,
   * so that a command that changes no name (most of them) copies nothing.
   */
  private setNames(kind: keyof ClusterState['names'], map: IMap<string, string>): void {
    if (!this.namesCopied) {
      const n = this.names;
      this.names = {
        node: n.node,
        group: n.group,
        resource: n.resource,
        network: n.network,
        netInterface: n.netInterface,
      };
      this.namesCopied = true;
    }
    (this.names as { -readonly [K in keyof ClusterState['names']]: ClusterState['names'][K] })[
      kind
    ] = map;
  }
  /** Validates the id before looking it up: `String(id)` would throw on `{ "toString": 1 }`. */
  private checkNewId(id: unknown, existing: IMap<string, unknown>): string {
    if (typeof id !== 'string' || !GUID.test(id))
      reject('INVALID_ID', `id must be a GUID string, got ${JSON.stringify(id)}`);
    if (existing.has(lower(id))) reject('ID_EXISTS', `an object with id ${id} exists`);
    return id.toLowerCase();
  }

  // ----- dispatch ---------------------------------------------------------------------------
  run(c: Command): void {
    if (c === null || typeof c !== 'object' || typeof (c as { type?: unknown }).type !== 'string') {
      reject('INVALID_COMMAND', 'a command is an object with a string "type"');
    }
    switch (c.type) {
      case 'cluster.rename': {
        const name = checkName(c.name);
        if (name === this.cluster.name) return;
        const previousName = this.cluster.name;
        this.putCluster({ ...this.cluster, name });
        this.emit({ type: 'cluster-renamed', name, previousName });
        return;
      }
      case 'cluster.set-properties': {
        const r = updateProperties(this.cluster, c.scope, c.properties);
        if (r === undefined) return;
        this.putCluster({ ...this.cluster, ...r.sets });
        this.emit({ type: 'cluster-properties', clusterName: this.cluster.name, ...r.change });
        return;
      }
      case 'quorum.set': {
        const r = this.resource(c.resource);
        if (this.cluster.quorumResourceId === r.id) return;
        this.putCluster({ ...this.cluster, quorumResourceId: r.id });
        this.emitQuorum(r);
        return;
      }
      case 'node.create': {
        const id = this.checkNewId(c.id, this.nodes);
        const name = this.claimName('node', c.name, id);
        const n: NodeObject = { id, name, state: ND.UP, stateSequence: 0, common: {}, private: {} };
        this.putNode(n);
        this.emit({ type: 'node-added', id, name, state: n.state, stateSequence: 0 });
        return;
      }
      case 'node.delete':
        return this.deleteNode(this.node(c.node));
      case 'node.rename': {
        const n = this.node(c.node);
        const name = this.claimName('node', c.name, n.id, n.name);
        if (name === n.name) return;
        this.putNode(nodeWith(n, { name }));
        this.emit({ type: 'node-properties', id: n.id, ...renamed(name, n.stateSequence) });
        return;
      }
      case 'node.pause': {
        const n = this.node(c.node);
        if (n.state === ND.PAUSED) reject('NODE_PAUSED', `node ${n.name} is already paused`);
        if (n.state !== ND.UP) reject('HOST_NODE_NOT_AVAILABLE', `node ${n.name} is not up`);
        this.setNodeState(n, ND.PAUSED);
        return;
      }
      case 'node.resume': {
        const n = this.node(c.node);
        if (n.state !== ND.PAUSED) reject('NODE_NOT_PAUSED', `node ${n.name} is not paused`);
        this.setNodeState(n, ND.UP);
        return;
      }
      case 'node.down':
        return this.nodeDown(this.node(c.node));
      case 'node.up':
        return this.nodeUp(this.node(c.node));
      case 'node.set-properties': {
        const n = this.node(c.node);
        const r = updateProperties(n, c.scope, c.properties);
        if (r === undefined) return;
        this.putNode(nodeWith(n, r.sets));
        this.emit({
          type: 'node-properties',
          id: n.id,
          name: n.name,
          ...r.change,
          stateSequence: n.stateSequence,
        });
        return;
      }
      case 'group.create':
        return this.createGroup(c);
      case 'group.delete': {
        const g = this.group(c.group);
        if (this.byGroup.ids(g.id).length > 0)
          reject('GROUP_NOT_EMPTY', `group ${g.name} contains resources`);
        this.writeGroup(g.id, undefined);
        this.releaseName('group', g.name);
        this.emit({
          type: 'group-deleted',
          id: g.id,
          name: g.name,
          ownerNodeId: g.ownerNodeId,
          ownerNodeName: this.nodeName(g.ownerNodeId),
          stateSequence: g.stateSequence,
        });
        return;
      }
      case 'group.rename': {
        const g = this.group(c.group);
        const name = this.claimName('group', c.name, g.id, g.name);
        if (name === g.name) return;
        this.putGroup(groupWith(g, { name }));
        this.emit({
          type: 'group-properties',
          id: g.id,
          ownerNodeId: g.ownerNodeId,
          ...renamed(name, g.stateSequence),
        });
        return;
      }
      case 'group.online': {
        const g = this.group(c.group);
        this.requireHost(g.ownerNodeId, g.name);
        for (const r of this.dependencyOrder(g.id)) this.resourceOnline(r.id, true);
        return;
      }
      case 'group.offline': {
        const g = this.group(c.group);
        for (const r of this.dependencyOrder(g.id).reverse()) this.resourceOffline(r.id);
        return;
      }
      case 'group.move': {
        const g = this.group(c.group);
        let target: NodeObject;
        if (c.node === undefined) {
          const best = this.pickNode(g, g.ownerNodeId);
          if (best === undefined)
            reject('HOST_NODE_NOT_AVAILABLE', `no other node can host group ${g.name}`);
          target = best;
        } else {
          target = this.node(c.node);
          if (target.state === ND.PAUSED) reject('NODE_PAUSED', `node ${target.name} is paused`);
          if (target.state !== ND.UP)
            reject('HOST_NODE_NOT_AVAILABLE', `node ${target.name} is not up`);
          this.checkPossibleOwner(g, target);
        }
        if (target.id === g.ownerNodeId) return;
        this.moveGroup(g.id, target.id, false, undefined);
        return;
      }
      case 'group.set-preferred-owners': {
        const g = this.group(c.group);
        if (!Array.isArray(c.nodes))
          reject('INVALID_COMMAND', 'nodes must be a list of node ids or names');
        const owners = uniqueIds(c.nodes.map((n) => this.node(n).id));
        if (sameList(owners, g.preferredOwners)) return;
        this.putGroup(groupWith(g, { preferredOwners: owners }));
        this.emit({
          type: 'group-preferred-owners',
          id: g.id,
          name: g.name,
          ownerNodeId: g.ownerNodeId,
          owners,
          stateSequence: g.stateSequence,
        });
        return;
      }
      case 'group.set-properties': {
        const g = this.group(c.group);
        const r = updateProperties(g, c.scope, c.properties);
        if (r === undefined) return;
        this.putGroup(groupWith(g, r.sets));
        this.emit({
          type: 'group-properties',
          id: g.id,
          name: g.name,
          ownerNodeId: g.ownerNodeId,
          ...r.change,
          stateSequence: g.stateSequence,
        });
        return;
      }
      case 'resource.create':
        return this.createResource(c);
      case 'resource.delete':
        return this.deleteResource(this.resource(c.resource));
      case 'resource.rename': {
        const r = this.resource(c.resource);
        const name = this.claimName('resource', c.name, r.id, r.name);
        if (name === r.name) return;
        this.putResource(resourceWith(r, { name }));
        this.emit({
          type: 'resource-properties',
          id: r.id,
          typeName: r.typeName,
          groupId: r.groupId,
          ...renamed(name, r.stateSequence),
        });
        return;
      }
      case 'resource.online': {
        const r = this.resource(c.resource);
        const g = this.groups.get(r.groupId) as GroupObject;
        this.requireHost(g.ownerNodeId, g.name);
        this.resourceOnline(r.id, true);
        return;
      }
      case 'resource.offline':
        this.resourceOffline(this.resource(c.resource).id);
        return;
      case 'resource.fail':
        return this.resourceFail(this.resource(c.resource));
      case 'resource.move':
        return this.moveResource(this.resource(c.resource), this.group(c.group));
      case 'resource.set-dependencies':
        return this.setDependencies(this.resource(c.resource), c.dependencies);
      case 'resource.set-possible-owners': {
        const r = this.resource(c.resource);
        if (!Array.isArray(c.nodes))
          reject('INVALID_COMMAND', 'nodes must be a list of node ids or names');
        const owners = uniqueIds(c.nodes.map((n) => this.node(n).id));
        if (sameList(owners, r.possibleOwners)) return;
        this.putResource(resourceWith(r, { possibleOwners: owners }));
        this.emit({
          type: 'resource-possible-owners',
          id: r.id,
          name: r.name,
          typeName: r.typeName,
          groupId: r.groupId,
          owners,
          stateSequence: r.stateSequence,
        });
        return;
      }
      case 'resource.set-properties': {
        const r = this.resource(c.resource);
        const u = updateProperties(r, c.scope, c.properties, (name, v) =>
          checkResourceProperty(name, v),
        );
        if (u === undefined) return;
        this.putResource(resourceWith(r, u.sets));
        this.emit({
          type: 'resource-properties',
          id: r.id,
          name: r.name,
          typeName: r.typeName,
          groupId: r.groupId,
          ...u.change,
          stateSequence: r.stateSequence,
        });
        return;
      }
      case 'restype.create': {
        const name = checkName(c.name);
        if (this.resourceTypes.has(lower(name)))
          reject('NAME_EXISTS', `resource type ${JSON.stringify(name)} exists`);
        const dllName = checkName(c.dllName, 'dllName');
        this.resourceTypes = this.resourceTypes.set(lower(name), {
          name,
          dllName,
          possibleOwners: [],
          common: {},
          private: {},
        });
        this.touch('resource-type', lower(name));
        this.emit({ type: 'restype-added', name });
        return;
      }
      case 'restype.delete': {
        const t = this.resourceType(c.name);
        if ([...this.resources.values()].some((r) => lower(r.typeName) === lower(t.name))) {
          reject('RESOURCE_TYPE_IN_USE', `resources of type ${t.name} exist`);
        }
        this.resourceTypes = this.resourceTypes.delete(lower(t.name));
        this.touch('resource-type', lower(t.name));
        this.emit({ type: 'restype-deleted', name: t.name });
        return;
      }
      case 'restype.rename': {
        const t = this.resourceType(c.name);
        const name = checkName(c.newName, 'newName');
        if (name === t.name) return;
        if (lower(name) !== lower(t.name) && this.resourceTypes.has(lower(name))) {
          reject('NAME_EXISTS', `resource type ${JSON.stringify(name)} exists`);
        }
        this.resourceTypes = this.resourceTypes
          .delete(lower(t.name))
          .set(lower(name), { ...t, name });
        this.touch('resource-type', lower(t.name));
        this.touch('resource-type', lower(name));
        for (const r of this.resources.values()) {
          if (lower(r.typeName) === lower(t.name))
            this.putResource(resourceWith(r, { typeName: name }));
        }
        this.emit({
          type: 'restype-properties',
          name,
          scope: 'common',
          changed: { Name: name },
          removed: [],
        });
        return;
      }
      case 'restype.set-properties': {
        const t = this.resourceType(c.name);
        const r = updateProperties(t, c.scope, c.properties);
        if (r === undefined) return;
        this.resourceTypes = this.resourceTypes.set(lower(t.name), { ...t, ...r.sets });
        this.touch('resource-type', lower(t.name));
        this.emit({ type: 'restype-properties', name: t.name, ...r.change });
        return;
      }
      case 'network.create': {
        const id = this.checkNewId(c.id, this.networks);
        const name = this.claimName('network', c.name, id);
        this.putNetwork({ id, name, state: NS.UP, stateSequence: 0, common: {}, private: {} });
        this.emit({ type: 'network-added', id, name, stateSequence: 0 });
        return;
      }
      case 'network.delete': {
        const n = this.network(c.network);
        if ([...this.netInterfaces.values()].some((i) => i.networkId === n.id)) {
          reject('NETWORK_HAS_INTERFACES', `network ${n.name} has network interfaces`);
        }
        this.networks = this.networks.delete(n.id);
        this.touch('network', n.id);
        this.releaseName('network', n.name);
        this.emit({
          type: 'network-deleted',
          id: n.id,
          name: n.name,
          stateSequence: n.stateSequence,
        });
        return;
      }
      case 'network.rename': {
        const n = this.network(c.network);
        const name = this.claimName('network', c.name, n.id, n.name);
        if (name === n.name) return;
        this.putNetwork(networkWith(n, { name }));
        this.emit({ type: 'network-properties', id: n.id, ...renamed(name, n.stateSequence) });
        return;
      }
      case 'network.set-state': {
        const n = this.network(c.network);
        this.setNetworkState(n, checkEnum(c.state, NS, 'network state'));
        return;
      }
      case 'network.set-properties': {
        const n = this.network(c.network);
        const r = updateProperties(n, c.scope, c.properties);
        if (r === undefined) return;
        this.putNetwork(networkWith(n, r.sets));
        this.emit({
          type: 'network-properties',
          id: n.id,
          name: n.name,
          ...r.change,
          stateSequence: n.stateSequence,
        });
        return;
      }
      case 'netif.create': {
        const id = this.checkNewId(c.id, this.netInterfaces);
        const node = this.node(c.node);
        const network = this.network(c.network);
        if (
          [...this.netInterfaces.values()].some(
            (i) => i.nodeId === node.id && i.networkId === network.id,
          )
        ) {
          reject(
            'NAME_EXISTS',
            `node ${node.name} already has an interface on network ${network.name}`,
          );
        }
        const name = this.claimName('netInterface', c.name ?? `${node.name} - ${network.name}`, id);
        const state = node.state === ND.DOWN ? IS.UNAVAILABLE : IS.UP;
        this.putNetInterface({
          id,
          name,
          nodeId: node.id,
          networkId: network.id,
          state,
          stateSequence: 0,
          common: {},
          private: {},
        });
        this.emit({
          type: 'netif-added',
          id,
          name,
          nodeId: node.id,
          nodeName: node.name,
          networkId: network.id,
          stateSequence: 0,
        });
        this.deriveNetworkState(network.id);
        return;
      }
      case 'netif.delete': {
        const i = this.netInterface(c.netInterface);
        this.deleteNetInterface(i);
        this.deriveNetworkState(i.networkId);
        return;
      }
      case 'netif.rename': {
        const i = this.netInterface(c.netInterface);
        const name = this.claimName('netInterface', c.name, i.id, i.name);
        if (name === i.name) return;
        this.putNetInterface(netInterfaceWith(i, { name }));
        this.emit({
          type: 'netif-properties',
          id: i.id,
          nodeId: i.nodeId,
          ...renamed(name, i.stateSequence),
        });
        return;
      }
      case 'netif.set-state': {
        const i = this.netInterface(c.netInterface);
        this.setNetInterfaceState(i, checkEnum(c.state, IS, 'network interface state'));
        this.deriveNetworkState(i.networkId);
        return;
      }
      case 'netif.set-properties': {
        const i = this.netInterface(c.netInterface);
        const r = updateProperties(i, c.scope, c.properties);
        if (r === undefined) return;
        this.putNetInterface(netInterfaceWith(i, r.sets));
        this.emit({
          type: 'netif-properties',
          id: i.id,
          name: i.name,
          nodeId: i.nodeId,
          ...r.change,
          stateSequence: i.stateSequence,
        });
        return;
      }
      case 'key.create':
        return this.createKey(checkKeyPath(c.path));
      case 'key.delete': {
        const k = this.key(c.path);
        if (k.path === '') reject('INVALID_KEY_PATH', 'the root key cannot be deleted');
        this.deleteKeyTree(k);
        return;
      }
      case 'key.set-security': {
        const k = this.key(c.path);
        if (typeof c.security !== 'string' || c.security === '' || c.security.length > MAX_STRING) {
          reject('INVALID_PROPERTY', 'security must be a non-empty security descriptor string');
        }
        this.putKey({ ...k, security: c.security });
        this.emit({ type: 'key-security', path: k.path });
        return;
      }
      case 'value.set': {
        const k = this.key(c.path);
        if (typeof c.name !== 'string' || c.name.length > 16_383)
          reject('INVALID_COMMAND', 'value name must be a string of at most 16,383 characters');
        const value = checkRegistryValue(c.value);
        if (!Object.hasOwn(k.values, c.name) && Object.keys(k.values).length >= 4096) {
          reject('INVALID_PROPERTY', 'a key holds at most 4,096 values');
        }
        this.putKey({ ...k, values: { ...k.values, [c.name]: value } });
        this.emit({ type: 'value-set', path: k.path, name: c.name });
        return;
      }
      case 'value.delete': {
        const k = this.key(c.path);
        if (typeof c.name !== 'string' || !Object.hasOwn(k.values, c.name)) {
          reject(
            'VALUE_NOT_FOUND',
            `key ${JSON.stringify(k.path)} has no value ${JSON.stringify(c.name)}`,
          );
        }
        const values = { ...k.values };
        Reflect.deleteProperty(values, c.name);
        this.putKey({ ...k, values });
        this.emit({ type: 'value-deleted', path: k.path, name: c.name });
        return;
      }
      default: {
        const t: string = (c as { type: string }).type;
        reject('INVALID_COMMAND', `unknown command type ${JSON.stringify(t)}`);
      }
    }
  }

  // ----- nodes ------------------------------------------------------------------------------
  private setNodeState(n: NodeObject, to: number): NodeObject {
    const next = nodeWith(this.nodes.get(n.id) as NodeObject, {
      state: to,
      stateSequence: seqNext(n.stateSequence),
    });
    this.putNode(next);
    this.emit({
      type: 'node-state',
      id: n.id,
      name: n.name,
      from: n.state,
      to,
      stateSequence: next.stateSequence,
    });
    return next;
  }

  private deleteNode(n: NodeObject): void {
    if (this.byOwner.ids(n.id).length > 0) reject('NODE_OWNS_GROUPS', `node ${n.name} owns groups`);
    for (const i of [...this.netInterfaces.values()].filter((x) => x.nodeId === n.id)) {
      this.deleteNetInterface(i);
      this.deriveNetworkState(i.networkId);
    }
    for (const g of this.groups.values()) {
      if (g.preferredOwners.includes(n.id)) {
        const owners = g.preferredOwners.filter((x) => x !== n.id);
        this.putGroup(groupWith(g, { preferredOwners: owners }));
        this.emit({
          type: 'group-preferred-owners',
          id: g.id,
          name: g.name,
          ownerNodeId: g.ownerNodeId,
          owners,
          stateSequence: g.stateSequence,
        });
      }
    }
    for (const r of this.resources.values()) {
      if (r.possibleOwners.includes(n.id)) {
        const owners = r.possibleOwners.filter((x) => x !== n.id);
        this.putResource(resourceWith(r, { possibleOwners: owners }));
        this.emit({
          type: 'resource-possible-owners',
          id: r.id,
          name: r.name,
          typeName: r.typeName,
          groupId: r.groupId,
          owners,
          stateSequence: r.stateSequence,
        });
      }
    }
    this.nodes = this.nodes.delete(n.id);
    this.touch('node', n.id);
    this.releaseName('node', n.name);
    this.emit({
      type: 'node-deleted',
      id: n.id,
      name: n.name,
      state: n.state,
      stateSequence: n.stateSequence,
    });
  }

  /** A node goes down: its interfaces become unavailable and its groups fail over (§3.1.1.1.3). */
  private nodeDown(n: NodeObject): void {
    if (n.state === ND.DOWN) return;
    this.setNodeState(n, ND.DOWN);
    for (const i of [...this.netInterfaces.values()].filter((x) => x.nodeId === n.id)) {
      this.setNetInterfaceState(i, IS.UNAVAILABLE);
      this.deriveNetworkState(i.networkId);
    }
    for (const g of this.groupsOn(n.id)) {
      const target = this.pickNode(g, n.id);
      if (target !== undefined) this.moveGroup(g.id, target.id, true, undefined);
      else
        for (const r of this.dependencyOrder(g.id).reverse())
          if (r.state !== RS.OFFLINE) this.setResourceState(r.id, RS.OFFLINE);
    }
  }

  private nodeUp(n: NodeObject): void {
    if (n.state !== ND.DOWN) return;
    const joining = this.setNodeState(n, ND.JOINING);
    this.setNodeState(joining, ND.UP);
    for (const i of [...this.netInterfaces.values()].filter((x) => x.nodeId === n.id)) {
      this.setNetInterfaceState(i, IS.UP);
      this.deriveNetworkState(i.networkId);
    }
  }

  private requireHost(nodeId: string, groupName: string): void {
    const n = this.nodes.get(nodeId);
    if (n === undefined || n.state === ND.DOWN || n.state === ND.JOINING) {
      reject('HOST_NODE_NOT_AVAILABLE', `the node hosting group ${groupName} is not up`);
    }
  }

  private checkPossibleOwner(g: GroupObject, node: NodeObject): void {
    for (const r of this.resourcesOf(g.id)) {
      if (r.possibleOwners.length > 0 && !r.possibleOwners.includes(node.id)) {
        reject('HOST_NODE_NOT_AVAILABLE', `resource ${r.name} may not run on node ${node.name}`);
      }
    }
  }

  /**
   * The node a group should go to, other than `exclude`: the first up node of its preferred
   * owners, else the up node hosting the fewest groups (then by name); only nodes every
   * resource of the group may run on.
   */
  private pickNode(g: GroupObject, exclude: string | undefined): NodeObject | undefined {
    const resources = this.resourcesIn(g.id);
    const ok = (n: NodeObject | undefined): n is NodeObject =>
      n !== undefined &&
      n.state === ND.UP &&
      n.id !== exclude &&
      resources.every((r) => r.possibleOwners.length === 0 || r.possibleOwners.includes(n.id));
    for (const id of g.preferredOwners) {
      const n = this.nodes.get(id);
      if (ok(n)) return n;
    }
    const load = (n: NodeObject): number => this.byOwner.ids(n.id).length;
    return [...this.nodes.values()]
      .filter(ok)
      .sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))[0];
  }

  // ----- groups -----------------------------------------------------------------------------
  private createGroup(c: Extract<Command, { type: 'group.create' }>): void {
    const id = this.checkNewId(c.id, this.groups);
    const preferred: unknown = c.preferredOwners ?? [];
    if (!Array.isArray(preferred))
      reject('INVALID_COMMAND', 'preferredOwners must be a list of node ids or names');
    const preferredOwners = uniqueIds(preferred.map((n) => this.node(n).id));
    const groupType = c.groupType ?? GROUP_TYPE_UNKNOWN;
    if (!Number.isInteger(groupType) || groupType < 0 || groupType > 0xffffffff) {
      reject('INVALID_PROPERTY', 'groupType must be a DWORD');
    }
    const draft: GroupObject = {
      id,
      name: '',
      ownerNodeId: '',
      state: GS.OFFLINE,
      stateSequence: 0,
      preferredOwners,
      groupType,
      common: {},
      private: {},
    };
    let owner: NodeObject;
    if (c.node !== undefined) {
      owner = this.node(c.node);
      if (owner.state === ND.PAUSED) reject('NODE_PAUSED', `node ${owner.name} is paused`);
      if (owner.state !== ND.UP) reject('HOST_NODE_NOT_AVAILABLE', `node ${owner.name} is not up`);
    } else {
      const best = this.pickNode(draft, undefined);
      if (best === undefined) reject('HOST_NODE_NOT_AVAILABLE', 'no node is up');
      owner = best;
    }
    const name = this.claimName('group', c.name, id);
    this.putGroup({ ...draft, name, ownerNodeId: owner.id });
    this.emit({
      type: 'group-added',
      id,
      name,
      ownerNodeId: owner.id,
      ownerNodeName: owner.name,
      groupType,
      stateSequence: 0,
    });
  }

  /** Resources of a group, each after the resources it depends on. */
  private dependencyOrder(groupId: string): ResourceObject[] {
    const list = this.resourcesOf(groupId);
    const out: ResourceObject[] = [];
    const seen = new Set<string>();
    const visit = (r: ResourceObject): void => {
      if (seen.has(r.id)) return;
      seen.add(r.id);
      for (const d of r.dependencies) {
        const dep = this.resources.get(d);
        if (dep !== undefined) visit(dep);
      }
      out.push(this.resources.get(r.id) as ResourceObject);
    };
    for (const r of list) visit(r);
    return out;
  }

  /** Group state from its resources (§3.1.4.2.46); emits group-state when it changes. */
  private deriveGroupState(groupId: string): void {
    const g = this.groups.get(groupId);
    if (g === undefined) return;
    // One pass over the group's resources (this runs on every resource state step).
    let count = 0;
    let failed = false;
    let pending = false;
    let allOnline = true;
    let allOffline = true;
    for (const id of this.byGroup.ids(groupId)) {
      const s = (this.resources.get(id) as ResourceObject).state;
      count++;
      if (s === RS.FAILED) failed = true;
      else if (s === RS.ONLINE_PENDING || s === RS.OFFLINE_PENDING || s === RS.PENDING)
        pending = true;
      if (s !== RS.ONLINE) allOnline = false;
      if (s !== RS.OFFLINE) allOffline = false;
    }
    let to: number;
    if (count === 0) to = GS.OFFLINE;
    else if (failed) to = GS.FAILED;
    else if (pending) to = GS.PENDING;
    else if (allOnline) to = GS.ONLINE;
    else if (allOffline) to = GS.OFFLINE;
    else to = GS.PARTIAL_ONLINE;
    if (to === g.state) return;
    const next = groupWith(g, { state: to, stateSequence: seqNext(g.stateSequence) });
    this.putGroup(next);
    this.emit({
      type: 'group-state',
      id: g.id,
      name: g.name,
      ownerNodeId: g.ownerNodeId,
      from: g.state,
      to,
      stateSequence: next.stateSequence,
    });
  }

  /**
   * Moves a group to `targetId`: its active resources go offline (at once when the old node
   * died, else through OfflinePending), the owner changes, then they come back online through
   * OnlinePending on the new node (failover, §3.1.1.1.4).
   */
  private moveGroup(
    groupId: string,
    targetId: string,
    ownerDied: boolean,
    alsoOnline: string | undefined,
  ): void {
    const g = this.groups.get(groupId) as GroupObject;
    const active = new Set(
      this.resourcesIn(groupId)
        .filter(
          (r) => r.state === RS.ONLINE || r.state === RS.ONLINE_PENDING || r.id === alsoOnline,
        )
        .map((r) => r.id),
    );
    for (const r of this.dependencyOrder(groupId).reverse()) {
      if (r.state === RS.OFFLINE) continue;
      if (ownerDied || r.state === RS.FAILED) this.setResourceState(r.id, RS.OFFLINE);
      else this.resourceOffline(r.id);
    }
    const moved = groupWith(this.groups.get(groupId) as GroupObject, { ownerNodeId: targetId });
    this.putGroup(moved);
    this.emit({
      type: 'group-owner',
      id: g.id,
      name: g.name,
      from: g.ownerNodeId,
      fromName: this.nodeName(g.ownerNodeId),
      to: targetId,
      toName: this.nodeName(targetId),
      stateSequence: moved.stateSequence,
    });
    for (const r of this.dependencyOrder(groupId)) {
      if (!active.has(r.id)) continue;
      this.putResource(
        resourceWith(this.resources.get(r.id) as ResourceObject, { restartCount: 0 }),
      );
      this.resourceOnline(r.id);
    }
  }

  // ----- resources --------------------------------------------------------------------------
  /** One state step of a resource; bumps its sequence, re-derives its group, reports quorum. */
  private setResourceState(id: string, to: number): void {
    const r = this.resources.get(id) as ResourceObject;
    if (r.state === to) return;
    const next = resourceWith(r, { state: to, stateSequence: seqNext(r.stateSequence) });
    this.putResource(next);
    this.emit({
      type: 'resource-state',
      id,
      name: r.name,
      typeName: r.typeName,
      groupId: r.groupId,
      from: r.state,
      to,
      stateSequence: next.stateSequence,
    });
    this.deriveGroupState(r.groupId);
    if (this.cluster.quorumResourceId === id) this.emitQuorum(next);
  }

  private emitQuorum(r: ResourceObject): void {
    this.emit({
      type: 'quorum-state',
      clusterName: this.cluster.name,
      resourceId: r.id,
      name: r.name,
      state: r.state,
    });
  }

  /** Brings a resource online after its dependencies: → OnlinePending → Online. */
  private resourceOnline(id: string, byCommand = false): void {
    const r = this.resources.get(id) as ResourceObject;
    for (const d of r.dependencies) this.resourceOnline(d, byCommand);
    const cur = this.resources.get(id) as ResourceObject;
    if (cur.state === RS.ONLINE) return;
    if (byCommand && cur.restartCount !== 0)
      this.putResource(resourceWith(cur, { restartCount: 0 }));
    if (cur.state !== RS.ONLINE_PENDING) this.setResourceState(id, RS.ONLINE_PENDING);
    this.setResourceState(id, RS.ONLINE);
  }

  /** Takes a resource offline after its dependents: → OfflinePending → Offline (Failed → Offline). */
  private resourceOffline(id: string): void {
    for (const d of this.dependentsOf(id)) this.resourceOffline(d.id);
    const r = this.resources.get(id) as ResourceObject;
    if (r.state === RS.OFFLINE) return;
    if (r.state === RS.FAILED) {
      this.setResourceState(id, RS.OFFLINE);
      return;
    }
    if (r.state !== RS.OFFLINE_PENDING) this.setResourceState(id, RS.OFFLINE_PENDING);
    this.setResourceState(id, RS.OFFLINE);
  }

  /**
   * A resource fails. Its online dependents are taken offline; then the restart policy
   * (common properties RestartAction, RestartThreshold) restarts it on the same node, or —
   * RestartNotify past the threshold — fails its group over to another node.
   */
  private resourceFail(r: ResourceObject): void {
    if (r.state !== RS.ONLINE && r.state !== RS.ONLINE_PENDING) {
      reject('INVALID_STATE', `resource ${r.name} is not online`);
    }
    const dependents = this.allDependents(r.id).filter((d) => {
      const s = (this.resources.get(d) as ResourceObject).state;
      return s === RS.ONLINE || s === RS.ONLINE_PENDING;
    });
    for (const d of [...dependents].reverse()) this.resourceOffline(d);
    this.setResourceState(r.id, RS.FAILED);
    const action = numberProp(r.common.RestartAction, DEFAULT_RESTART_ACTION);
    const threshold = numberProp(r.common.RestartThreshold, DEFAULT_RESTART_THRESHOLD);
    if (action === RestartAction.DONT_RESTART) return;
    if (r.restartCount < threshold) {
      this.putResource({
        ...(this.resources.get(r.id) as ResourceObject),
        restartCount: r.restartCount + 1,
      });
      this.setResourceState(r.id, RS.ONLINE_PENDING);
      this.setResourceState(r.id, RS.ONLINE);
      for (const d of dependents) this.resourceOnline(d);
      return;
    }
    if (action !== RestartAction.RESTART_NOTIFY) return;
    const g = this.groups.get(r.groupId) as GroupObject;
    const target = this.pickNode(g, g.ownerNodeId);
    if (target === undefined) return; // nowhere to go: the resource stays failed
    this.moveGroup(g.id, target.id, false, r.id);
    for (const d of dependents) this.resourceOnline(d);
  }

  /** Every resource that depends on `id`, directly or not, dependents after what they depend on. */
  private allDependents(id: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (x: string): void => {
      for (const d of this.dependentsOf(x)) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        out.push(d.id);
        visit(d.id);
      }
    };
    visit(id);
    return out;
  }

  private createResource(c: Extract<Command, { type: 'resource.create' }>): void {
    const id = this.checkNewId(c.id, this.resources);
    const type = this.resourceType(c.resourceType);
    const g = this.group(c.group);
    const deps = this.checkDependencies(id, g.id, c.dependencies ?? []);
    const possible: unknown = c.possibleOwners ?? [];
    if (!Array.isArray(possible))
      reject('INVALID_COMMAND', 'possibleOwners must be a list of node ids or names');
    const possibleOwners = uniqueIds(possible.map((n) => this.node(n).id));
    const props: unknown = c.properties ?? {};
    if (props === null || typeof props !== 'object' || Array.isArray(props))
      reject('INVALID_COMMAND', 'properties must be an object');
    const common: Record<string, PropertyValue> = {};
    for (const [k, v] of Object.entries(props))
      common[checkPropertyName(k)] = checkResourceProperty(k, checkPropertyValue(k, v));
    const name = this.claimName('resource', c.name, id);
    const r: ResourceObject = {
      id,
      name,
      typeName: type.name,
      groupId: g.id,
      state: RS.OFFLINE,
      stateSequence: 0,
      dependencies: deps,
      possibleOwners,
      restartCount: 0,
      common,
      private: {},
    };
    this.putResource(r);
    this.emit({
      type: 'resource-added',
      id,
      name,
      typeName: type.name,
      groupId: g.id,
      groupName: g.name,
      ownerNodeId: g.ownerNodeId,
      groupStateSequence: g.stateSequence,
      stateSequence: 0,
    });
    if (deps.length > 0) this.emitDependencies(r, []);
    this.deriveGroupState(g.id);
  }

  private deleteResource(r: ResourceObject): void {
    if (this.cluster.quorumResourceId === r.id)
      reject('QUORUM_RESOURCE', `resource ${r.name} is the quorum resource`);
    if (r.state !== RS.OFFLINE && r.state !== RS.FAILED)
      reject('RESOURCE_ONLINE', `resource ${r.name} is not offline`);
    if (this.dependents.ids(r.id).length > 0)
      reject('DEPENDENT_RESOURCE_EXISTS', `other resources depend on ${r.name}`);
    const g = this.groups.get(r.groupId) as GroupObject;
    this.writeResource(r.id, undefined);
    this.releaseName('resource', r.name);
    this.emit({
      type: 'resource-deleted',
      id: r.id,
      name: r.name,
      typeName: r.typeName,
      groupId: g.id,
      groupName: g.name,
      ownerNodeId: g.ownerNodeId,
      groupStateSequence: g.stateSequence,
      stateSequence: r.stateSequence,
    });
    for (const d of r.dependencies) this.emitDependents(d);
    this.deriveGroupState(g.id);
  }

  private checkDependencies(id: string, groupId: string, list: unknown): string[] {
    if (!Array.isArray(list))
      reject('INVALID_COMMAND', 'dependencies must be a list of resource ids or names');
    const ids = uniqueIds(
      (list as unknown[]).map((ref) => {
        if (typeof ref !== 'string')
          reject('INVALID_COMMAND', 'dependencies must be a list of resource ids or names');
        const byId = this.resources.get(ref) ?? this.resources.get(lower(ref));
        const r = byId ?? this.resources.get(this.names.resource.get(lower(ref)) ?? '');
        if (r === undefined)
          reject('DEPENDENCY_NOT_FOUND', `no resource ${JSON.stringify(ref)} to depend on`);
        return r.id;
      }),
    );
    for (const d of ids) {
      if (d === id) reject('DEPENDENCY_NOT_ALLOWED', 'a resource cannot depend on itself');
      if ((this.resources.get(d) as ResourceObject).groupId !== groupId) {
        reject(
          'DEPENDENCY_NOT_ALLOWED',
          'a resource may depend only on resources of its own group',
        );
      }
      // A cycle: `d` depends (transitively) on `id`.
      const stack = [d];
      const seen = new Set<string>();
      while (stack.length > 0) {
        const x = stack.pop() as string;
        if (x === id) reject('DEPENDENCY_NOT_ALLOWED', 'the dependencies would form a cycle');
        if (seen.has(x)) continue;
        seen.add(x);
        stack.push(...((this.resources.get(x)?.dependencies ?? []) as string[]));
      }
    }
    return ids;
  }

  private setDependencies(r: ResourceObject, list: unknown): void {
    const deps = this.checkDependencies(r.id, r.groupId, list);
    if (sameList(deps, r.dependencies)) return;
    const before = r.dependencies;
    const next = resourceWith(r, { dependencies: deps });
    this.putResource(next);
    this.emitDependencies(next, before);
  }

  private emitDependencies(r: ResourceObject, before: readonly string[]): void {
    const expression = r.dependencies
      .map((d) => `[${(this.resources.get(d) as ResourceObject).name}]`)
      .join(' and ');
    this.emit({
      type: 'resource-dependencies',
      id: r.id,
      name: r.name,
      typeName: r.typeName,
      groupId: r.groupId,
      dependencies: r.dependencies,
      expression,
      stateSequence: r.stateSequence,
    });
    const touched = new Set([...before, ...r.dependencies]);
    for (const d of touched)
      if (before.includes(d) !== r.dependencies.includes(d)) this.emitDependents(d);
  }

  private emitDependents(id: string): void {
    const t = this.resources.get(id);
    if (t === undefined) return;
    this.emit({
      type: 'resource-dependents',
      id: t.id,
      name: t.name,
      typeName: t.typeName,
      groupId: t.groupId,
      dependents: this.dependentsOf(t.id).map((x) => x.id),
      stateSequence: t.stateSequence,
    });
  }

  /**
   * Moves a resource to another group (ApiChangeResourceGroup §3.1.4.2.26); its sequence is
   * bumped. Between groups on different nodes an active resource goes offline and comes back
   * online on the new node. A resource with dependencies or dependents cannot move alone.
   */
  private moveResource(r: ResourceObject, to: GroupObject): void {
    if (r.groupId === to.id) return;
    if (r.dependencies.length > 0 || this.dependents.ids(r.id).length > 0) {
      reject(
        'DEPENDENCY_NOT_ALLOWED',
        `resource ${r.name} has dependencies; move its whole group instead`,
      );
    }
    const from = this.groups.get(r.groupId) as GroupObject;
    const wasActive = r.state === RS.ONLINE || r.state === RS.ONLINE_PENDING;
    const crossNode = from.ownerNodeId !== to.ownerNodeId;
    if (r.possibleOwners.length > 0 && !r.possibleOwners.includes(to.ownerNodeId)) {
      reject(
        'HOST_NODE_NOT_AVAILABLE',
        `resource ${r.name} may not run on the node of group ${to.name}`,
      );
    }
    if (crossNode) {
      if (wasActive) this.requireHost(to.ownerNodeId, to.name);
      if (wasActive) this.resourceOffline(r.id);
    }
    const cur = this.resources.get(r.id) as ResourceObject;
    const next = resourceWith(cur, { groupId: to.id, stateSequence: seqNext(cur.stateSequence) });
    this.putResource(next);
    this.emit({
      type: 'resource-group',
      id: r.id,
      name: r.name,
      typeName: r.typeName,
      fromGroupId: from.id,
      fromGroupName: from.name,
      fromOwnerNodeId: from.ownerNodeId,
      toGroupId: to.id,
      toGroupName: to.name,
      toOwnerNodeId: to.ownerNodeId,
      fromGroupStateSequence: (this.groups.get(from.id) as GroupObject).stateSequence,
      toGroupStateSequence: (this.groups.get(to.id) as GroupObject).stateSequence,
      stateSequence: next.stateSequence,
    });
    this.deriveGroupState(from.id);
    this.deriveGroupState(to.id);
    if (crossNode && wasActive) this.resourceOnline(r.id);
  }

  // ----- networks and interfaces --------------------------------------------------------------
  private setNetworkState(n: NetworkObject, to: number): void {
    const cur = this.networks.get(n.id) as NetworkObject;
    if (cur.state === to) return;
    const next = networkWith(cur, { state: to, stateSequence: seqNext(cur.stateSequence) });
    this.putNetwork(next);
    this.emit({
      type: 'network-state',
      id: n.id,
      name: cur.name,
      from: cur.state,
      to,
      stateSequence: next.stateSequence,
    });
  }

  private setNetInterfaceState(i: NetInterfaceObject, to: number): void {
    const cur = this.netInterfaces.get(i.id) as NetInterfaceObject;
    if (cur.state === to) return;
    const next = netInterfaceWith(cur, { state: to, stateSequence: seqNext(cur.stateSequence) });
    this.putNetInterface(next);
    this.emit({
      type: 'netif-state',
      id: i.id,
      name: cur.name,
      nodeId: cur.nodeId,
      from: cur.state,
      to,
      stateSequence: next.stateSequence,
    });
  }

  /** A network is Up when all its interfaces are, Down when none is, else Partitioned. */
  private deriveNetworkState(networkId: string): void {
    const n = this.networks.get(networkId);
    if (n === undefined) return;
    const states = [...this.netInterfaces.values()]
      .filter((i) => i.networkId === networkId)
      .map((i) => i.state);
    if (states.length === 0) return;
    const up = states.filter((s) => s === IS.UP).length;
    this.setNetworkState(n, up === states.length ? NS.UP : up === 0 ? NS.DOWN : NS.PARTITIONED);
  }

  private deleteNetInterface(i: NetInterfaceObject): void {
    this.netInterfaces = this.netInterfaces.delete(i.id);
    this.touch('net-interface', i.id);
    this.releaseName('netInterface', i.name);
    this.emit({
      type: 'netif-deleted',
      id: i.id,
      name: i.name,
      nodeId: i.nodeId,
      stateSequence: i.stateSequence,
    });
  }

  // ----- cluster database -------------------------------------------------------------------
  /** Creates a key and any missing ancestors (each reported), like RegCreateKeyEx. */
  private createKey(path: string): void {
    if (path === '') return;
    const segments = path.split('\\');
    for (let i = 1; i <= segments.length; i++) {
      const p = segments.slice(0, i).join('\\');
      if (this.registry.has(lower(p))) continue;
      const parent = this.registry.get(lower(segments.slice(0, i - 1).join('\\'))) as RegistryKey;
      const canonical =
        parent.path === ''
          ? (segments[i - 1] as string)
          : `${parent.path}\\${segments[i - 1] as string}`;
      this.putKey({ path: canonical, values: {}, security: parent.security });
      this.emit({ type: 'key-created', path: canonical });
    }
  }

  /** Deletes a key and its subtree, deepest keys first, each reported. */
  private deleteKeyTree(k: RegistryKey): void {
    const prefix = lower(k.path) + '\\';
    const doomed = [...this.registry.values()]
      .filter((x) => lower(x.path).startsWith(prefix))
      .sort(
        (a, b) =>
          b.path.split('\\').length - a.path.split('\\').length || a.path.localeCompare(b.path),
      );
    for (const x of [...doomed, k]) {
      this.registry = this.registry.delete(lower(x.path));
      this.touch('registry-key', lower(x.path));
      this.emit({ type: 'key-deleted', path: x.path });
    }
  }
}

// ----- validation helpers ---------------------------------------------------------------------

function checkName(name: unknown, what = 'name'): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_NAME ||
    // Control characters are exactly what this rejects.
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(name) ||
    name.trim() !== name
  ) {
    reject(
      'INVALID_NAME',
      `${what} must be 1 to ${MAX_NAME} printable characters without surrounding spaces, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/** A cluster-database key path: '' or segments joined by '\', none empty, at most 255 characters each. */
export function checkKeyPath(path: unknown): string {
  if (typeof path !== 'string') reject('INVALID_KEY_PATH', 'key path must be a string');
  if (path === '') return path;
  for (const seg of path.split('\\')) {
    // eslint-disable-next-line no-control-regex -- control characters are what this rejects
    if (seg === '' || seg.length > MAX_NAME || /[\u0000-\u001f]/.test(seg)) {
      reject(
        'INVALID_KEY_PATH',
        `key path ${JSON.stringify(path)} has an empty, over-long or unprintable segment`,
      );
    }
  }
  return path;
}

function checkEnum(v: unknown, values: Readonly<Record<string, number>>, what: string): number {
  if (typeof v !== 'number' || !Object.values(values).includes(v))
    reject('INVALID_PROPERTY', `${what} ${JSON.stringify(v)} is not a defined value`);
  return v;
}

function checkPropertyName(name: string): string {
  if (name.length === 0 || name.length > MAX_NAME)
    reject('INVALID_PROPERTY', `property name ${JSON.stringify(name)} must be 1 to 255 characters`);
  if (name === 'Name') reject('INVALID_PROPERTY', 'the Name property changes through rename');
  // Assigning it would replace the prototype of the property map instead of adding a property.
  if (name === '__proto__') reject('INVALID_PROPERTY', 'property name __proto__ is reserved');
  return name;
}

function checkPropertyValue(name: string, v: unknown): PropertyValue {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
      reject('INVALID_PROPERTY', `property ${name}: a number must be a 32-bit integer, got ${v}`);
    }
    return v;
  }
  if (typeof v === 'string') {
    if (v.length > MAX_STRING)
      reject('INVALID_PROPERTY', `property ${name}: strings hold at most ${MAX_STRING} characters`);
    return v;
  }
  if (
    Array.isArray(v) &&
    v.every((x) => typeof x === 'string' && x.length <= MAX_STRING && x !== '')
  ) {
    if (v.length > 1024)
      reject('INVALID_PROPERTY', `property ${name}: a list holds at most 1,024 strings`);
    return v as string[];
  }
  return reject(
    'INVALID_PROPERTY',
    `property ${name}: a value is a 32-bit integer, a string or a list of non-empty strings`,
  );
}

/** Range checks of the resource properties the model acts on. */
function checkResourceProperty(name: string, v: PropertyValue): PropertyValue {
  if (name === 'RestartAction' && (typeof v !== 'number' || v < 0 || v > 2)) {
    reject(
      'INVALID_PROPERTY',
      'RestartAction must be 0 (do not restart), 1 (restart) or 2 (restart, then fail over)',
    );
  }
  if (name === 'RestartThreshold' && (typeof v !== 'number' || v < 0)) {
    reject('INVALID_PROPERTY', 'RestartThreshold must be a number >= 0');
  }
  return v;
}

function numberProp(v: PropertyValue | undefined, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

/**
 * Applies a property update to one scope; undefined when nothing changes. The change lists
 * only the properties whose value changed.
 */
/** Whether two property values are equal (a number, a string, or a list of strings). */
function samePropertyValue(a: PropertyValue, b: PropertyValue): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return sameList(a, b);
}

function updateProperties(
  obj: { common: PropertyMap; private: PropertyMap },
  scope: unknown,
  update: PropertyUpdate,
  check: (name: string, v: PropertyValue) => PropertyValue = (_n, v) => v,
):
  | {
      sets: Partial<{ common: PropertyMap; private: PropertyMap }>;
      change: { scope: PropertyScope; changed: PropertyMap; removed: string[] };
    }
  | undefined {
  const sc: PropertyScope = scope === undefined ? 'common' : (scope as PropertyScope);
  if (sc !== 'common' && sc !== 'private')
    reject('INVALID_COMMAND', 'scope must be "common" or "private"');
  if (update === null || typeof update !== 'object' || Array.isArray(update))
    reject('INVALID_COMMAND', 'properties must be an object');
  const current = obj[sc];
  const next: Record<string, PropertyValue> = { ...current };
  const changed: Record<string, PropertyValue> = {};
  const removed: string[] = [];
  for (const [k, raw] of Object.entries(update)) {
    checkPropertyName(k);
    if (raw === null) {
      if (Object.hasOwn(next, k)) {
        Reflect.deleteProperty(next, k);
        removed.push(k);
      }
      continue;
    }
    const v = check(k, checkPropertyValue(k, raw));
    if (Object.hasOwn(current, k) && samePropertyValue(current[k] as PropertyValue, v)) continue;
    next[k] = v;
    changed[k] = v;
  }
  if (Object.keys(next).length > MAX_PROPERTIES)
    reject('INVALID_PROPERTY', `an object holds at most ${MAX_PROPERTIES} properties per set`);
  if (Object.keys(changed).length === 0 && removed.length === 0) return undefined;
  return { sets: { [sc]: next }, change: { scope: sc, changed, removed } };
}

function checkRegistryValue(v: unknown): RegistryValue {
  if (v === null || typeof v !== 'object')
    reject('INVALID_PROPERTY', 'a registry value is { type, data }');
  const { type, data } = v as { type?: unknown; data?: unknown };
  switch (type) {
    case RegistryValueType.SZ:
    case RegistryValueType.EXPAND_SZ:
      if (typeof data === 'string' && data.length <= MAX_STRING) return { type, data };
      break;
    case RegistryValueType.DWORD:
      if (typeof data === 'number' && Number.isInteger(data) && data >= 0 && data <= 0xffffffff)
        return { type, data };
      break;
    case RegistryValueType.QWORD:
      if (
        typeof data === 'string' &&
        /^\d{1,20}$/.test(data) &&
        BigInt(data) <= 0xffffffffffffffffn
      )
        return { type, data };
      break;
    case RegistryValueType.MULTI_SZ:
      if (
        Array.isArray(data) &&
        data.length <= 1024 &&
        data.every((s) => typeof s === 'string' && s !== '' && s.length <= MAX_STRING)
      ) {
        return { type, data: data as string[] };
      }
      break;
    case RegistryValueType.BINARY:
      if (
        typeof data === 'string' &&
        data.length <= MAX_STRING &&
        /^[A-Za-z0-9+/]*={0,2}$/.test(data) &&
        data.length % 4 === 0
      )
        return { type, data };
      break;
    default:
      reject(
        'INVALID_PROPERTY',
        `registry value type ${JSON.stringify(type)} is not one of SZ 1, EXPAND_SZ 2, BINARY 3, DWORD 4, MULTI_SZ 7, QWORD 11`,
      );
  }
  return reject(
    'INVALID_PROPERTY',
    `registry value data does not fit type ${JSON.stringify(type)}`,
  );
}

function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
