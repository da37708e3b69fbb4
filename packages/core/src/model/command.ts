/**
 * Commands: what a client, the CLI, the demo workload or the failover policy asks the model to
 * do. Objects are named by id or by name (names compare without regard to case). Create
 * commands carry the new object's GUID, chosen by the caller, so that the model stays
 * deterministic.
 */
import type { PropertyScope } from './change.js';
import type { PropertyValue, RegistryValue } from './types.js';

/** Properties to set; `null` removes a property. */
export type PropertyUpdate = Readonly<Record<string, PropertyValue | null>>;

interface SetProps {
  readonly scope?: PropertyScope;
  readonly properties: PropertyUpdate;
}

export type Command =
  | { readonly type: 'cluster.rename'; readonly name: string }
  | ({ readonly type: 'cluster.set-properties' } & SetProps)
  | { readonly type: 'quorum.set'; readonly resource: string }
  | { readonly type: 'node.create'; readonly id: string; readonly name: string }
  | { readonly type: 'node.delete'; readonly node: string }
  | { readonly type: 'node.rename'; readonly node: string; readonly name: string }
  | { readonly type: 'node.pause'; readonly node: string }
  | { readonly type: 'node.resume'; readonly node: string }
  | { readonly type: 'node.down'; readonly node: string }
  | { readonly type: 'node.up'; readonly node: string }
  | ({ readonly type: 'node.set-properties'; readonly node: string } & SetProps)
  | {
      readonly type: 'group.create';
      readonly id: string;
      readonly name: string;
      /** Owner node; default: the best up node. */
      readonly node?: string;
      readonly preferredOwners?: readonly string[];
      readonly groupType?: number;
    }
  | { readonly type: 'group.delete'; readonly group: string }
  | { readonly type: 'group.rename'; readonly group: string; readonly name: string }
  | { readonly type: 'group.online'; readonly group: string }
  | { readonly type: 'group.offline'; readonly group: string }
  /** Move to `node`, or to the best other node when left out. */
  | { readonly type: 'group.move'; readonly group: string; readonly node?: string }
  | {
      readonly type: 'group.set-preferred-owners';
      readonly group: string;
      readonly nodes: readonly string[];
    }
  | ({ readonly type: 'group.set-properties'; readonly group: string } & SetProps)
  | {
      readonly type: 'resource.create';
      readonly id: string;
      readonly name: string;
      readonly resourceType: string;
      readonly group: string;
      readonly dependencies?: readonly string[];
      readonly possibleOwners?: readonly string[];
      readonly properties?: Readonly<Record<string, PropertyValue>>;
    }
  | { readonly type: 'resource.delete'; readonly resource: string }
  | { readonly type: 'resource.rename'; readonly resource: string; readonly name: string }
  | { readonly type: 'resource.online'; readonly resource: string }
  | { readonly type: 'resource.offline'; readonly resource: string }
  /** The resource fails; the restart policy then restarts it or fails its group over. */
  | { readonly type: 'resource.fail'; readonly resource: string }
  | { readonly type: 'resource.move'; readonly resource: string; readonly group: string }
  | {
      readonly type: 'resource.set-dependencies';
      readonly resource: string;
      readonly dependencies: readonly string[];
    }
  | {
      readonly type: 'resource.set-possible-owners';
      readonly resource: string;
      readonly nodes: readonly string[];
    }
  | ({ readonly type: 'resource.set-properties'; readonly resource: string } & SetProps)
  | { readonly type: 'restype.create'; readonly name: string; readonly dllName: string }
  | { readonly type: 'restype.delete'; readonly name: string }
  /** Renames a resource type; its resources follow. */
  | { readonly type: 'restype.rename'; readonly name: string; readonly newName: string }
  | ({ readonly type: 'restype.set-properties'; readonly name: string } & SetProps)
  | { readonly type: 'network.create'; readonly id: string; readonly name: string }
  | { readonly type: 'network.delete'; readonly network: string }
  | { readonly type: 'network.rename'; readonly network: string; readonly name: string }
  | { readonly type: 'network.set-state'; readonly network: string; readonly state: number }
  | ({ readonly type: 'network.set-properties'; readonly network: string } & SetProps)
  | {
      readonly type: 'netif.create';
      readonly id: string;
      readonly node: string;
      readonly network: string;
      /** Default: "<node> - <network>". */
      readonly name?: string;
    }
  | { readonly type: 'netif.delete'; readonly netInterface: string }
  | { readonly type: 'netif.rename'; readonly netInterface: string; readonly name: string }
  | { readonly type: 'netif.set-state'; readonly netInterface: string; readonly state: number }
  | ({ readonly type: 'netif.set-properties'; readonly netInterface: string } & SetProps)
  | { readonly type: 'key.create'; readonly path: string }
  | { readonly type: 'key.delete'; readonly path: string }
  | { readonly type: 'key.set-security'; readonly path: string; readonly security: string }
  | {
      readonly type: 'value.set';
      readonly path: string;
      readonly name: string;
      readonly value: RegistryValue;
    }
  | { readonly type: 'value.delete'; readonly path: string; readonly name: string };

/** The `type` of every command. */
export type CommandType = Command['type'];
