/**
 * Helpers for the cluster-model tests: GUIDs from a counter, applying command lists that
 * must succeed, refusals that must leave the state as it was, and the bootstrapped cluster.
 */
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE } from '@clusnotify/protocol';
import type { ErrorCode } from '@clusnotify/protocol';
import { allDocuments, apply, defaultClusterCommands, emptyClusterState } from '@clusnotify/core';
import type { Applied, Change, ClusterState, Command } from '@clusnotify/core';

/** A source of GUIDs 00000000-0000-4000-8000-000000000001, …002, … */
export function guids(start = 1): () => string {
  let n = start;
  return () => `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, '0')}`;
}

/** The id of the test cluster. */
export const CLUSTER_ID = 'c0000000-0000-4000-8000-000000000000';

/** An empty cluster named CLUSTER1. */
export function empty(): ClusterState {
  return emptyClusterState({ id: CLUSTER_ID, name: 'CLUSTER1' });
}

/** Applies one command that must succeed. */
export function ok(state: ClusterState, command: Command): Applied {
  const r = apply(state, command);
  assert.equal(r.type, 'ok', `${JSON.stringify(command)} → ${JSON.stringify(r)}`);
  if (r.type !== 'ok') throw new Error('unreachable');
  return r;
}

/** Applies commands in order, each of which must succeed; returns the state and every record. */
export function run(
  state: ClusterState,
  commands: readonly Command[],
): { state: ClusterState; changes: Change[] } {
  const changes: Change[] = [];
  let s = state;
  for (const c of commands) {
    const r = ok(s, c);
    s = r.state;
    changes.push(...r.changes);
  }
  return { state: s, changes };
}

/** Every document of the state as sorted JSON: equal strings mean equal states. */
export function snapshot(state: ClusterState): string {
  const docs = allDocuments(state).map((d) => JSON.stringify(d));
  docs.sort();
  return docs.join('\n');
}

/**
 * Applies a command that must be refused with `code` (and the catalogue's status for it, or
 * `status` when given), and checks that the state it was given is unchanged.
 */
export function refused(
  state: ClusterState,
  command: unknown,
  code: ErrorCode,
  status?: number,
): void {
  const before = snapshot(state);
  const r = apply(state, command as Command);
  assert.equal(r.type, 'error', `${JSON.stringify(command)} was accepted`);
  if (r.type !== 'error') return;
  assert.equal(r.code, code, `${JSON.stringify(command)}: ${r.message}`);
  assert.equal(r.status, status ?? ERROR_CATALOGUE[code].status);
  assert.equal(r.status, ERROR_CATALOGUE[code].status);
  assert.ok(r.message.length > 0);
  assert.equal('state' in r, false, 'a failure carries no state');
  assert.equal(snapshot(state), before, 'a refused command leaves the state unchanged');
}

/** The object of `map` named `name` (exact spelling). */
export function named<T extends { readonly name: string }>(
  map: { values(): Iterable<T> },
  name: string,
): T {
  for (const o of map.values()) if (o.name === name) return o;
  throw new Error(`no object named ${name}`);
}

/** The bootstrapped default cluster (defaultClusterCommands), with the id source used. */
export function bootstrapped(): { state: ClusterState; newId: () => string } {
  const newId = guids();
  const { state } = run(empty(), defaultClusterCommands(newId));
  return { state, newId };
}

/** The `type` of each record. */
export function types(changes: readonly Change[]): string[] {
  return changes.map((c) => c.type);
}

/** `[name, from, to]` of every resource-state record (names, for readable assertions). */
export function resourceSteps(changes: readonly Change[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const c of changes) if (c.type === 'resource-state') out.push([c.name, c.from, c.to]);
  return out;
}

/** `[name, to]` of every group-state record. */
export function groupSteps(changes: readonly Change[]): [string, number][] {
  const out: [string, number][] = [];
  for (const c of changes) if (c.type === 'group-state') out.push([c.name, c.to]);
  return out;
}
