/**
 * What `clusnotify watch` registers: `--class`, `--object` and `--key` turned into port filters
 * for `client.openPort` (objects by name).
 */
import {
  ClusterChange,
  ClusterChangeFamily,
  ClusterChangeRegistryV2,
  ClusterObjectType,
  V2_FAMILIES,
} from '@clusnotify/protocol';
import type { PortFilter } from '@clusnotify/client';
import { UsageError } from './usage-error.js';

/** The classes `--class` accepts: object type (v2) and CLUSTER_CHANGE bits (v1). */
export const WATCH_CLASSES = {
  node: { objectType: ClusterObjectType.NODE, v1: ClusterChangeFamily.NODE },
  group: { objectType: ClusterObjectType.GROUP, v1: ClusterChangeFamily.GROUP },
  resource: { objectType: ClusterObjectType.RESOURCE, v1: ClusterChangeFamily.RESOURCE },
  restype: { objectType: ClusterObjectType.RESOURCE_TYPE, v1: ClusterChangeFamily.RESOURCE_TYPE },
  network: { objectType: ClusterObjectType.NETWORK, v1: ClusterChangeFamily.NETWORK },
  netinterface: {
    objectType: ClusterObjectType.NETWORK_INTERFACE,
    v1: ClusterChangeFamily.NET_INTERFACE,
  },
  registry: {
    objectType: ClusterObjectType.REGISTRY,
    v1: ClusterChangeFamily.REGISTRY | ClusterChangeFamily.REGISTRY_SUBTREE,
  },
  quorum: { objectType: ClusterObjectType.QUORUM, v1: ClusterChange.QUORUM_STATE },
  cluster: { objectType: ClusterObjectType.CLUSTER, v1: ClusterChange.CLUSTER_PROPERTY },
} as const;

/** A key of {@link WATCH_CLASSES}. */
export type WatchClass = keyof typeof WATCH_CLASSES;

/** Classes a version-1 port can watch one object of (ApiAddNotify<Kind>). */
const V1_OBJECT_CLASSES: ReadonlySet<WatchClass> = new Set([
  'node',
  'group',
  'resource',
  'network',
  'netinterface',
]);

/** One thing to watch, before it is shaped for a port version. */
export type WatchSpec =
  | { readonly kind: 'class'; readonly cls: WatchClass }
  | { readonly kind: 'object'; readonly cls: WatchClass; readonly name: string }
  | { readonly kind: 'key'; readonly path: string; readonly subtree: boolean };

/** Parses a `--class` value. */
export function parseClass(v: string): WatchClass {
  if (!Object.hasOwn(WATCH_CLASSES, v))
    throw new UsageError(
      `--class must be one of ${Object.keys(WATCH_CLASSES).join(', ')}, got ${JSON.stringify(v)}`,
    );
  return v as WatchClass;
}

/** Parses an `--object <type>:<name>` value for a port of `version`. */
export function parseObject(v: string, version: 1 | 2): WatchSpec {
  const i = v.indexOf(':');
  if (i <= 0 || i === v.length - 1)
    throw new UsageError(`--object must be <type>:<name>, got ${JSON.stringify(v)}`);
  const cls = parseClass(v.slice(0, i));
  if (cls === 'quorum' || cls === 'cluster' || (version === 1 && !V1_OBJECT_CLASSES.has(cls)))
    throw new UsageError(`--object cannot name a ${cls} on a version-${version} port`);
  return { kind: 'object', cls, name: v.slice(i + 1) };
}

/** The registrable v2 flags of an object type (every flag but the client-only ones). */
function v2Flags(objectType: number): number {
  const f = V2_FAMILIES[objectType as ClusterObjectType];
  return f === undefined ? 0 : (f.all & ~f.clientOnly) >>> 0;
}

function keyFlags(subtree: boolean): number {
  const all = v2Flags(ClusterObjectType.REGISTRY);
  return subtree ? all : (all & ~ClusterChangeRegistryV2.SUBTREE) >>> 0;
}

/** The filters of `specs` for `client.openPort`; notify keys are the spec's index. */
export function portFilters(specs: readonly WatchSpec[], version: 1 | 2): PortFilter[] {
  return specs.map((s, notifyKey): PortFilter => {
    switch (s.kind) {
      case 'class': {
        const c = WATCH_CLASSES[s.cls];
        return version === 1
          ? { kind: 'cluster', filter: c.v1, notifyKey }
          : { kind: 'v2', objectType: c.objectType, filterFlags: v2Flags(c.objectType), notifyKey };
      }
      case 'object': {
        const c = WATCH_CLASSES[s.cls];
        return version === 1
          ? { kind: 'object', objectType: c.objectType, name: s.name, filter: c.v1, notifyKey }
          : {
              kind: 'v2',
              objectType: c.objectType,
              filterFlags: v2Flags(c.objectType),
              name: s.name,
              notifyKey,
            };
      }
      case 'key':
        return version === 1
          ? {
              kind: 'key',
              path: s.path,
              filter: ClusterChangeFamily.REGISTRY,
              watchSubtree: s.subtree,
              notifyKey,
            }
          : {
              kind: 'v2',
              objectType: ClusterObjectType.REGISTRY,
              filterFlags: keyFlags(s.subtree),
              name: s.path,
              notifyKey,
            };
    }
  });
}
