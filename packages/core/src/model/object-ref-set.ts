/**
 * A set of object references kept in the order first added. The model's commands and the
 * service's batches collect the documents they touched in one; a set of joined `kind\0id`
 * strings made and hashed a string for every write (2–3 % of a busy server's time).
 */
import type { ObjectKind, ObjectRef } from './types.js';

export class ObjectRefSet {
  private readonly ids = new Map<ObjectKind, Set<string>>();
  private readonly list: ObjectRef[] = [];

  /** Adds `ref` unless an equal reference is in the set. */
  add(ref: ObjectRef): void {
    let ids = this.ids.get(ref.kind);
    if (ids === undefined) {
      ids = new Set();
      this.ids.set(ref.kind, ids);
    }
    if (ids.has(ref.id)) return;
    ids.add(ref.id);
    this.list.push(ref);
  }

  /** Adds `{ kind, id }` unless it is in the set (no object made when it is). */
  addKey(kind: ObjectKind, id: string): void {
    const ids = this.ids.get(kind);
    if (ids?.has(id) === true) return;
    this.add({ kind, id });
  }

  /** The references, in the order first added (a view: do not keep it past further adds). */
  values(): readonly ObjectRef[] {
    return this.list;
  }
}
