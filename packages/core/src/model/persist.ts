/**
 * The model as store documents: one document per object, kind + id (resource types by
 * lower-case name, registry keys by lower-case path, the cluster by its id). The store keeps
 * them opaque; a node rebuilds its state from a snapshot with {@link stateFromDocuments}.
 */
import { Map as IMap } from 'immutable';
import type {
  ClusterInfo,
  ClusterState,
  GroupObject,
  NetInterfaceObject,
  NetworkObject,
  NodeObject,
  ObjectKind,
  ObjectRef,
  RegistryKey,
  ResourceObject,
  ResourceTypeObject,
} from './types.js';
import { DEFAULT_KEY_SECURITY } from './apply.js';

/** A stored document of the model. `value` is JSON. */
export interface ModelDocument {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly value: unknown;
}

/**
 * The store id of an object. Registry keys are stored under a backslash followed by their
 * lower-case path, so that the root (path '') has a non-empty id; no path starts with a
 * backslash, so the two forms cannot collide.
 */
export function documentId(ref: ObjectRef): string {
  return ref.kind === 'registry-key' ? `\\${ref.id}` : ref.id;
}

/** The current document of one object, or undefined when it no longer exists. */
export function documentOf(state: ClusterState, ref: ObjectRef): ModelDocument | undefined {
  const value = lookup(state, ref);
  return value === undefined ? undefined : { kind: ref.kind, id: documentId(ref), value };
}

function lookup(state: ClusterState, ref: ObjectRef): unknown {
  switch (ref.kind) {
    case 'cluster':
      return state.cluster.id === ref.id ? state.cluster : undefined;
    case 'node':
      return state.nodes.get(ref.id);
    case 'group':
      return state.groups.get(ref.id);
    case 'resource':
      return state.resources.get(ref.id);
    case 'resource-type':
      return state.resourceTypes.get(ref.id);
    case 'network':
      return state.networks.get(ref.id);
    case 'net-interface':
      return state.netInterfaces.get(ref.id);
    case 'registry-key':
      return state.registry.get(ref.id);
  }
}

/** Puts and deletes that persist the touched objects of one apply. */
export function documentWrites(
  state: ClusterState,
  touched: readonly ObjectRef[],
): { puts: ModelDocument[]; deletes: ObjectRef[] } {
  const puts: ModelDocument[] = [];
  const deletes: ObjectRef[] = [];
  for (const ref of touched) {
    const doc = documentOf(state, ref);
    if (doc === undefined) deletes.push({ kind: ref.kind, id: documentId(ref) });
    else puts.push(doc);
  }
  return { puts, deletes };
}

/** Every document of the state (a first commit, or a full export). */
export function allDocuments(state: ClusterState): ModelDocument[] {
  const out: ModelDocument[] = [{ kind: 'cluster', id: state.cluster.id, value: state.cluster }];
  const add = (kind: ObjectKind, map: IMap<string, unknown>): void => {
    for (const [id, value] of map) out.push({ kind, id: documentId({ kind, id }), value });
  };
  add('node', state.nodes);
  add('group', state.groups);
  add('resource', state.resources);
  add('resource-type', state.resourceTypes);
  add('network', state.networks);
  add('net-interface', state.netInterfaces);
  add('registry-key', state.registry);
  return out;
}

/**
 * Rebuilds the state from stored documents. Returns undefined when there is no cluster
 * document (an empty store).
 */
export function stateFromDocuments(
  docs: Iterable<{ kind: string; id: string; value: unknown }>,
): ClusterState | undefined {
  let cluster: ClusterInfo | undefined;
  const nodes = new Map<string, NodeObject>();
  const groups = new Map<string, GroupObject>();
  const resources = new Map<string, ResourceObject>();
  const resourceTypes = new Map<string, ResourceTypeObject>();
  const networks = new Map<string, NetworkObject>();
  const netInterfaces = new Map<string, NetInterfaceObject>();
  const registry = new Map<string, RegistryKey>();
  for (const d of docs) {
    switch (d.kind) {
      case 'cluster':
        cluster = d.value as ClusterInfo;
        break;
      case 'node':
        nodes.set(d.id, d.value as NodeObject);
        break;
      case 'group':
        groups.set(d.id, d.value as GroupObject);
        break;
      case 'resource':
        resources.set(d.id, d.value as ResourceObject);
        break;
      case 'resource-type':
        resourceTypes.set(d.id, d.value as ResourceTypeObject);
        break;
      case 'network':
        networks.set(d.id, d.value as NetworkObject);
        break;
      case 'net-interface':
        netInterfaces.set(d.id, d.value as NetInterfaceObject);
        break;
      case 'registry-key':
        registry.set(d.id.startsWith('\\') ? d.id.slice(1) : d.id, d.value as RegistryKey);
        break;
      default:
        break;
    }
  }
  if (cluster === undefined) return undefined;
  const names = <T extends { id: string; name: string }>(m: Map<string, T>): IMap<string, string> =>
    IMap([...m.values()].map((o) => [o.name.toLowerCase(), o.id] as [string, string]));
  if (!registry.has('')) registry.set('', { path: '', values: {}, security: DEFAULT_KEY_SECURITY });
  return {
    cluster,
    nodes: IMap(nodes),
    groups: IMap(groups),
    resources: IMap(resources),
    resourceTypes: IMap(resourceTypes),
    networks: IMap(networks),
    netInterfaces: IMap(netInterfaces),
    registry: IMap(registry),
    names: {
      node: names(nodes),
      group: names(groups),
      resource: names(resources),
      network: names(networks),
      netInterface: names(netInterfaces),
    },
  };
}

type NamedMap = 'nodes' | 'groups' | 'resources' | 'networks' | 'netInterfaces';
const NAMES_OF = {
  nodes: 'node',
  groups: 'group',
  resources: 'resource',
  networks: 'network',
  netInterfaces: 'netInterface',
} as const;

function setNamed(
  state: ClusterState,
  map: NamedMap,
  id: string,
  value: { readonly name: string } | undefined,
): ClusterState {
  const objects = state[map] as IMap<string, { readonly name: string }>;
  const nameKind = NAMES_OF[map];
  let names = state.names[nameKind];
  const old = objects.get(id);
  if (old !== undefined && names.get(old.name.toLowerCase()) === id)
    names = names.delete(old.name.toLowerCase());
  if (value !== undefined) names = names.set(value.name.toLowerCase(), id);
  return {
    ...state,
    [map]: value === undefined ? objects.delete(id) : objects.set(id, value),
    names: { ...state.names, [nameKind]: names },
  };
}

function setDocument(state: ClusterState, kind: string, id: string, value: unknown): ClusterState {
  switch (kind as ObjectKind) {
    case 'cluster':
      return value === undefined ? state : { ...state, cluster: value as ClusterInfo };
    case 'node':
      return setNamed(state, 'nodes', id, value as NodeObject | undefined);
    case 'group':
      return setNamed(state, 'groups', id, value as GroupObject | undefined);
    case 'resource':
      return setNamed(state, 'resources', id, value as ResourceObject | undefined);
    case 'network':
      return setNamed(state, 'networks', id, value as NetworkObject | undefined);
    case 'net-interface':
      return setNamed(state, 'netInterfaces', id, value as NetInterfaceObject | undefined);
    case 'resource-type':
      return {
        ...state,
        resourceTypes:
          value === undefined
            ? state.resourceTypes.delete(id)
            : state.resourceTypes.set(id, value as ResourceTypeObject),
      };
    case 'registry-key': {
      const path = id.startsWith('\\') ? id.slice(1) : id;
      return {
        ...state,
        registry:
          value === undefined
            ? state.registry.delete(path)
            : state.registry.set(path, value as RegistryKey),
      };
    }
    default:
      return state;
  }
}

/**
 * The state after one committed entry's document writes (deletes, then puts), as
 * {@link stateFromDocuments} would rebuild it from the resulting documents. A node that shares
 * its store with others applies their commits this way, without re-running their commands.
 */
export function applyDocuments(
  state: ClusterState,
  puts: Iterable<{ kind: string; id: string; value: unknown }>,
  deletes: Iterable<{ kind: string; id: string }>,
): ClusterState {
  let next = state;
  for (const d of deletes) next = setDocument(next, d.kind, d.id, undefined);
  for (const p of puts) next = setDocument(next, p.kind, p.id, p.value);
  return next;
}
