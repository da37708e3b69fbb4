/**
 * The cluster as the dashboard shows it: the `getClusterState` snapshot sorted into nodes,
 * groups (under their owner node) and resources (under their group), each with a readable
 * state and the tone it is drawn in.
 */
import {
  ClusterGroupState as GS,
  ClusterNodeState as NS,
  ClusterResourceState as RS,
  clusterGroupStateSpecName,
  clusterNodeStateSpecName,
  clusterResourceStateSpecName,
} from '@clusnotify/protocol';
import type { ClusterSnapshot } from '@clusnotify/client';

/** How a state is drawn: healthy, degraded, broken, in transition, or deliberately off. */
export type Tone = 'ok' | 'warn' | 'bad' | 'pending' | 'off';

/** A state with its label and tone. */
export interface StateView {
  readonly value: number;
  readonly label: string;
  readonly tone: Tone;
}

export interface ResourceView {
  readonly id: string;
  readonly name: string;
  readonly typeName: string;
  readonly groupId: string;
  readonly state: StateView;
}

export interface GroupView {
  readonly id: string;
  readonly name: string;
  readonly ownerNodeId: string;
  readonly state: StateView;
  readonly resources: readonly ResourceView[];
}

export interface NodeView {
  readonly id: string;
  readonly name: string;
  readonly state: StateView;
  /** The groups this node owns, by name. */
  readonly groups: readonly GroupView[];
}

/** The sorted snapshot. */
export interface ClusterView {
  readonly revision: number;
  readonly name: string;
  readonly nodes: readonly NodeView[];
  /** Groups whose owner is not a known node (should not happen; shown rather than hidden). */
  readonly orphanGroups: readonly GroupView[];
  readonly resourceCount: number;
}

/** "ClusterResourceOnlinePending" → "Online pending". */
function label(spec: string | undefined, prefix: string, value: number): string {
  if (spec === undefined) return `state ${value}`;
  const words = spec
    .slice(spec.startsWith(prefix) ? prefix.length : 0)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The view of a node state. */
export function nodeState(value: number): StateView {
  const tone: Tone =
    value === NS.UP
      ? 'ok'
      : value === NS.PAUSED
        ? 'warn'
        : value === NS.JOINING
          ? 'pending'
          : 'bad';
  return { value, label: label(clusterNodeStateSpecName(value), 'ClusterNode', value), tone };
}

/** The view of a group state. */
export function groupState(value: number): StateView {
  const tone: Tone =
    value === GS.ONLINE
      ? 'ok'
      : value === GS.PARTIAL_ONLINE
        ? 'warn'
        : value === GS.PENDING
          ? 'pending'
          : value === GS.OFFLINE
            ? 'off'
            : 'bad';
  return { value, label: label(clusterGroupStateSpecName(value), 'ClusterGroup', value), tone };
}

/** The view of a resource state. */
export function resourceState(value: number): StateView {
  const tone: Tone =
    value === RS.ONLINE
      ? 'ok'
      : value === RS.OFFLINE
        ? 'off'
        : value === RS.FAILED || value === RS.UNKNOWN
          ? 'bad'
          : 'pending';
  return {
    value,
    label: label(clusterResourceStateSpecName(value), 'ClusterResource', value),
    tone,
  };
}

type Fields = Readonly<Record<string, unknown>>;

const str = (o: Fields, k: string): string => {
  const v = o[k];
  return typeof v === 'string' ? v : '';
};
const num = (o: Fields, k: string): number => {
  const v = o[k];
  return typeof v === 'number' ? v : -1;
};
const byName = <T extends { readonly name: string }>(a: T, b: T): number =>
  a.name.localeCompare(b.name, undefined, { numeric: true });

/** Sorts a `getClusterState` snapshot into the dashboard's view. */
export function clusterView(snapshot: ClusterSnapshot): ClusterView {
  const docs = Array.isArray(snapshot.objects) ? (snapshot.objects as unknown[]) : [];
  const of = new Map<string, Fields[]>();
  for (const d of docs) {
    if (d === null || typeof d !== 'object') continue;
    const { kind, value } = d as { kind?: unknown; value?: unknown };
    if (typeof kind !== 'string' || value === null || typeof value !== 'object') continue;
    let list = of.get(kind);
    if (list === undefined) of.set(kind, (list = []));
    list.push(value as Fields);
  }
  const resources: ResourceView[] = (of.get('resource') ?? []).map((r) => ({
    id: str(r, 'id'),
    name: str(r, 'name'),
    typeName: str(r, 'typeName'),
    groupId: str(r, 'groupId'),
    state: resourceState(num(r, 'state')),
  }));
  resources.sort(byName);
  const groups: GroupView[] = (of.get('group') ?? []).map((g) => {
    const id = str(g, 'id');
    return {
      id,
      name: str(g, 'name'),
      ownerNodeId: str(g, 'ownerNodeId'),
      state: groupState(num(g, 'state')),
      resources: resources.filter((r) => r.groupId === id),
    };
  });
  groups.sort(byName);
  const nodes: NodeView[] = (of.get('node') ?? []).map((n) => {
    const id = str(n, 'id');
    return {
      id,
      name: str(n, 'name'),
      state: nodeState(num(n, 'state')),
      groups: groups.filter((g) => g.ownerNodeId === id),
    };
  });
  nodes.sort(byName);
  const nodeIds = new Set(nodes.map((n) => n.id));
  const cluster = of.get('cluster')?.[0];
  return {
    revision: snapshot.revision,
    name: cluster === undefined ? '' : str(cluster, 'name'),
    nodes,
    orphanGroups: groups.filter((g) => !nodeIds.has(g.ownerNodeId)),
    resourceCount: resources.length,
  };
}
