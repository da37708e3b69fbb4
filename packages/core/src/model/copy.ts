/**
 * Copies of model objects with some fields replaced, for `apply`'s writes.
 *
 * Each helper names every field of its type once. `{ ...r, state }` would say the same, but V8
 * copies an object spread that replaces fields property by property: ~300 ns for a resource's
 * 11 fields against ~50 ns here (Node 20, docs/benchmarks.md "What changed in session 9"), and
 * every resource and group state step of every command takes this path. A field added to a type
 * is a compile error here until it is copied (the fields are required), and
 * `test/model-copy.test.ts` checks that a copy keeps every field a created object has.
 */
import type {
  GroupObject,
  NetInterfaceObject,
  NetworkObject,
  NodeObject,
  ResourceObject,
} from './types.js';

/** `r` with the fields of `p` replaced (a field of `p` that is undefined keeps `r`'s). */
export function resourceWith(r: ResourceObject, p: Partial<ResourceObject>): ResourceObject {
  return {
    id: p.id ?? r.id,
    name: p.name ?? r.name,
    typeName: p.typeName ?? r.typeName,
    groupId: p.groupId ?? r.groupId,
    state: p.state ?? r.state,
    stateSequence: p.stateSequence ?? r.stateSequence,
    dependencies: p.dependencies ?? r.dependencies,
    possibleOwners: p.possibleOwners ?? r.possibleOwners,
    restartCount: p.restartCount ?? r.restartCount,
    common: p.common ?? r.common,
    private: p.private ?? r.private,
  };
}

/** `g` with the fields of `p` replaced (a field of `p` that is undefined keeps `g`'s). */
export function groupWith(g: GroupObject, p: Partial<GroupObject>): GroupObject {
  return {
    id: p.id ?? g.id,
    name: p.name ?? g.name,
    ownerNodeId: p.ownerNodeId ?? g.ownerNodeId,
    state: p.state ?? g.state,
    stateSequence: p.stateSequence ?? g.stateSequence,
    preferredOwners: p.preferredOwners ?? g.preferredOwners,
    groupType: p.groupType ?? g.groupType,
    common: p.common ?? g.common,
    private: p.private ?? g.private,
  };
}

/**
 * `n` with the fields of `p` replaced (a field of `p` that is undefined keeps `n`'s). Nodes and
 * networks have the same fields, so one helper copies both (a field added to either type makes
 * `networkWith` below a compile error).
 */
export function nodeWith(n: NodeObject, p: Partial<NodeObject>): NodeObject {
  return {
    id: p.id ?? n.id,
    name: p.name ?? n.name,
    state: p.state ?? n.state,
    stateSequence: p.stateSequence ?? n.stateSequence,
    common: p.common ?? n.common,
    private: p.private ?? n.private,
  };
}

/** `n` with the fields of `p` replaced: {@link nodeWith}, for a network. */
export const networkWith: (n: NetworkObject, p: Partial<NetworkObject>) => NetworkObject = nodeWith;

/** `i` with the fields of `p` replaced (a field of `p` that is undefined keeps `i`'s). */
export function netInterfaceWith(
  i: NetInterfaceObject,
  p: Partial<NetInterfaceObject>,
): NetInterfaceObject {
  return {
    id: p.id ?? i.id,
    name: p.name ?? i.name,
    nodeId: p.nodeId ?? i.nodeId,
    networkId: p.networkId ?? i.networkId,
    state: p.state ?? i.state,
    stateSequence: p.stateSequence ?? i.stateSequence,
    common: p.common ?? i.common,
    private: p.private ?? i.private,
  };
}
