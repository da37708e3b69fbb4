/**
 * The cluster as `getClusterState` returns it (a list of stored documents), sorted into the
 * object kinds the commands print, with names for states and for the ids objects point at.
 */
import {
  ClusnotifyError,
  clusterGroupStateSpecName,
  clusterNetInterfaceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNodeStateSpecName,
  clusterResourceStateSpecName,
} from '@clusnotify/protocol';
import type { ErrorCode } from '@clusnotify/protocol';
import type { ClusterSnapshot } from '@clusnotify/client';

/** A stored object: its fields as JSON. */
export type ObjectFields = Readonly<Record<string, unknown>>;

/** The object kinds of the CLI (`clusnotify <kind> …`). */
export const CLI_KINDS = {
  node: { docKind: 'node', notFound: 'NODE_NOT_FOUND', stateName: clusterNodeStateSpecName },
  group: { docKind: 'group', notFound: 'GROUP_NOT_FOUND', stateName: clusterGroupStateSpecName },
  resource: {
    docKind: 'resource',
    notFound: 'RESOURCE_NOT_FOUND',
    stateName: clusterResourceStateSpecName,
  },
  restype: { docKind: 'resource-type', notFound: 'RESOURCE_TYPE_NOT_FOUND', stateName: undefined },
  network: {
    docKind: 'network',
    notFound: 'NETWORK_NOT_FOUND',
    stateName: clusterNetworkStateSpecName,
  },
  netinterface: {
    docKind: 'net-interface',
    notFound: 'NETINTERFACE_NOT_FOUND',
    stateName: clusterNetInterfaceStateSpecName,
  },
} as const satisfies Record<
  string,
  {
    docKind: string;
    notFound: ErrorCode;
    stateName: ((state: number) => string | undefined) | undefined;
  }
>;

/** A key of {@link CLI_KINDS}. */
export type CliKind = keyof typeof CLI_KINDS;

/** The snapshot sorted by kind, plus lookups. */
export interface ClusterView {
  readonly revision: number;
  readonly cluster: ObjectFields | undefined;
  /** Objects of a kind, sorted by name. */
  list(kind: CliKind): readonly ObjectFields[];
  /** Registry keys, sorted by path. */
  readonly keys: readonly ObjectFields[];
  /** The object of `kind` named `name` (case-insensitive); throws its not-found code. */
  find(kind: CliKind, name: string): ObjectFields;
  /** The name of the object of `kind` with id `id`, or the id itself. */
  nameOf(kind: CliKind, id: unknown): string;
}

/** A field as a string ('' when absent). */
export function str(o: ObjectFields, field: string): string {
  const v = o[field];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** The spec name of an object's `state` (or the number when unnamed, '' without a state). */
export function stateName(kind: CliKind, o: ObjectFields): string {
  const s = o.state;
  const f = CLI_KINDS[kind].stateName;
  if (typeof s !== 'number' || f === undefined) return '';
  return f(s) ?? String(s);
}

/** Sorts a `getClusterState` snapshot. */
export function clusterView(snapshot: ClusterSnapshot): ClusterView {
  const docs = Array.isArray(snapshot.objects) ? (snapshot.objects as unknown[]) : [];
  const byKind = new Map<string, ObjectFields[]>();
  for (const d of docs) {
    if (d === null || typeof d !== 'object') continue;
    const { kind, value } = d as { kind?: unknown; value?: unknown };
    if (typeof kind !== 'string' || value === null || typeof value !== 'object') continue;
    const list = byKind.get(kind) ?? [];
    list.push(value as ObjectFields);
    byKind.set(kind, list);
  }
  const sortBy = (field: string) => (a: ObjectFields, b: ObjectFields) =>
    str(a, field).localeCompare(str(b, field));
  for (const list of byKind.values()) list.sort(sortBy('name'));
  const keys = [...(byKind.get('registry-key') ?? [])].sort(sortBy('path'));
  const list = (kind: CliKind): readonly ObjectFields[] =>
    byKind.get(CLI_KINDS[kind].docKind) ?? [];
  return {
    revision: snapshot.revision,
    cluster: byKind.get('cluster')?.[0],
    list,
    keys,
    find(kind, name) {
      const lower = name.toLowerCase();
      const found = list(kind).find((o) => str(o, 'name').toLowerCase() === lower);
      if (found === undefined)
        throw new ClusnotifyError(
          CLI_KINDS[kind].notFound,
          `${kind} ${JSON.stringify(name)} not found`,
        );
      return found;
    },
    nameOf(kind, id) {
      if (typeof id !== 'string') return '';
      return str(list(kind).find((o) => o.id === id) ?? {}, 'name') || id;
    },
  };
}
