/**
 * Change records: the facts a command produced, in order. They are stored in the change log
 * with the commit, and every node turns them into indications with {@link changeEvents}, so
 * each record carries everything its indications need (names, parents, states, sequences).
 * docs/events.md maps each record to its version-1 and version-2 indications.
 */
import type { PropertyMap } from './types.js';

/** Which property set a property change is about. */
export type PropertyScope = 'common' | 'private';

interface Seq {
  /** The object's state sequence after the change. */
  readonly stateSequence: number;
}
interface PropertyChange {
  readonly scope: PropertyScope;
  /** New values of the properties that changed (a rename: `{ Name: newName }`). */
  readonly changed: PropertyMap;
  /** Names of properties that were removed. */
  readonly removed: readonly string[];
}

export type Change =
  | { readonly type: 'cluster-renamed'; readonly name: string; readonly previousName: string }
  | ({ readonly type: 'cluster-properties'; readonly clusterName: string } & PropertyChange)
  /** Quorum configuration changed, or the quorum resource changed state. */
  | {
      readonly type: 'quorum-state';
      readonly clusterName: string;
      readonly resourceId: string;
      readonly name: string;
      readonly state: number;
    }
  | ({
      readonly type: 'node-added';
      readonly id: string;
      readonly name: string;
      readonly state: number;
    } & Seq)
  | ({
      readonly type: 'node-deleted';
      readonly id: string;
      readonly name: string;
      readonly state: number;
    } & Seq)
  | ({
      readonly type: 'node-state';
      readonly id: string;
      readonly name: string;
      readonly from: number;
      readonly to: number;
    } & Seq)
  | ({
      readonly type: 'node-properties';
      readonly id: string;
      readonly name: string;
    } & PropertyChange &
      Seq)
  | ({
      readonly type: 'group-added';
      readonly id: string;
      readonly name: string;
      readonly ownerNodeId: string;
      readonly ownerNodeName: string;
      readonly groupType: number;
    } & Seq)
  | ({
      readonly type: 'group-deleted';
      readonly id: string;
      readonly name: string;
      readonly ownerNodeId: string;
      readonly ownerNodeName: string;
    } & Seq)
  | ({
      readonly type: 'group-state';
      readonly id: string;
      readonly name: string;
      readonly ownerNodeId: string;
      readonly from: number;
      readonly to: number;
    } & Seq)
  | ({
      readonly type: 'group-owner';
      readonly id: string;
      readonly name: string;
      readonly from: string;
      readonly fromName: string;
      readonly to: string;
      readonly toName: string;
    } & Seq)
  | ({
      readonly type: 'group-preferred-owners';
      readonly id: string;
      readonly name: string;
      readonly ownerNodeId: string;
      readonly owners: readonly string[];
    } & Seq)
  | ({
      readonly type: 'group-properties';
      readonly id: string;
      readonly name: string;
      readonly ownerNodeId: string;
    } & PropertyChange &
      Seq)
  | ({
      readonly type: 'resource-added';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly groupName: string;
      readonly ownerNodeId: string;
      /** The group's state sequence, for its GROUP_PROPERTY indication. */
      readonly groupStateSequence: number;
    } & Seq)
  | ({
      readonly type: 'resource-deleted';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly groupName: string;
      readonly ownerNodeId: string;
      /** The group's state sequence, for its GROUP_PROPERTY indication. */
      readonly groupStateSequence: number;
    } & Seq)
  | ({
      readonly type: 'resource-state';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly from: number;
      readonly to: number;
    } & Seq)
  | ({
      readonly type: 'resource-group';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly fromGroupId: string;
      readonly fromGroupName: string;
      readonly fromOwnerNodeId: string;
      readonly toGroupId: string;
      readonly toGroupName: string;
      readonly toOwnerNodeId: string;
      /** The groups' state sequences, for their GROUP_PROPERTY indications. */
      readonly fromGroupStateSequence: number;
      readonly toGroupStateSequence: number;
    } & Seq)
  | ({
      readonly type: 'resource-properties';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
    } & PropertyChange &
      Seq)
  | ({
      readonly type: 'resource-dependencies';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly dependencies: readonly string[];
      /** The dependency expression, as ApiGetResourceDependencyExpression would return it. */
      readonly expression: string;
    } & Seq)
  | ({
      readonly type: 'resource-dependents';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly dependents: readonly string[];
    } & Seq)
  | ({
      readonly type: 'resource-possible-owners';
      readonly id: string;
      readonly name: string;
      readonly typeName: string;
      readonly groupId: string;
      readonly owners: readonly string[];
    } & Seq)
  | { readonly type: 'restype-added'; readonly name: string }
  | { readonly type: 'restype-deleted'; readonly name: string }
  | ({ readonly type: 'restype-properties'; readonly name: string } & PropertyChange)
  | ({ readonly type: 'network-added'; readonly id: string; readonly name: string } & Seq)
  | ({ readonly type: 'network-deleted'; readonly id: string; readonly name: string } & Seq)
  | ({
      readonly type: 'network-state';
      readonly id: string;
      readonly name: string;
      readonly from: number;
      readonly to: number;
    } & Seq)
  | ({
      readonly type: 'network-properties';
      readonly id: string;
      readonly name: string;
    } & PropertyChange &
      Seq)
  | ({
      readonly type: 'netif-added';
      readonly id: string;
      readonly name: string;
      readonly nodeId: string;
      readonly nodeName: string;
      readonly networkId: string;
    } & Seq)
  | ({
      readonly type: 'netif-deleted';
      readonly id: string;
      readonly name: string;
      readonly nodeId: string;
    } & Seq)
  | ({
      readonly type: 'netif-state';
      readonly id: string;
      readonly name: string;
      readonly nodeId: string;
      readonly from: number;
      readonly to: number;
    } & Seq)
  | ({
      readonly type: 'netif-properties';
      readonly id: string;
      readonly name: string;
      readonly nodeId: string;
    } & PropertyChange &
      Seq)
  | { readonly type: 'key-created'; readonly path: string }
  | { readonly type: 'key-deleted'; readonly path: string }
  | { readonly type: 'value-set'; readonly path: string; readonly name: string }
  | { readonly type: 'value-deleted'; readonly path: string; readonly name: string }
  | { readonly type: 'key-security'; readonly path: string };

/** The `type` of every change record. */
export type ChangeType = Change['type'];
