/**
 * Relation indices of the cluster model: which resources a group holds, which groups a node
 * owns, which resources depend on a resource (§3.1.1.1.1, §3.1.1.1.4). An index is derived from
 * one persistent object map and carried forward by `apply` write by write (apply.ts keeps the
 * indices of each state it made), so a lookup costs the size of its answer instead of a scan of
 * the cluster. States the model never saw (loaded from the store, built by hand) get theirs from
 * one scan, on the first lookup.
 */
import { Map as IMap } from 'immutable';

/**
 * Key → ids of the objects filed under it, in the order filed. Keys with no ids are absent. The
 * id lists are plain arrays, copied on write: the model walks a group's resources on every
 * resource state step, which an array does several times faster than a persistent set, and the
 * lists change only when an object is created, deleted or moves.
 */
export type Relation = IMap<string, readonly string[]>;

const NO_IDS: readonly string[] = Object.freeze([]);

/** How one relation is derived from a map of objects: `keysOf` lists the keys an object is filed under. */
export class RelationIndex<V> {
  constructor(private readonly keysOf: (v: V) => readonly string[]) {}

  /** The relation of `map`, by one scan. */
  build(map: IMap<string, V>): Relation {
    const lists = new Map<string, string[]>();
    for (const [id, v] of map)
      for (const k of this.keysOf(v)) {
        const ids = lists.get(k);
        if (ids === undefined) lists.set(k, [id]);
        // An object lists a key once (the model makes dependency lists unique; a document
        // edited by hand may not): its id is then the last one filed under that key.
        else if (ids[ids.length - 1] !== id) ids.push(id);
      }
    return IMap(lists);
  }

  /** `rel` after object `id` changed from `prev` to `next` (either absent: created, deleted). */
  update(rel: Relation, id: string, prev: V | undefined, next: V | undefined): Relation {
    const before = prev === undefined ? NO_KEYS : this.keysOf(prev);
    const after = next === undefined ? NO_KEYS : this.keysOf(next);
    if (sameKeys(before, after)) return rel;
    let out = rel;
    for (const k of before) {
      if (after.includes(k)) continue;
      const ids = (out.get(k) ?? NO_IDS).filter((x) => x !== id);
      out = ids.length === 0 ? out.delete(k) : out.set(k, ids);
    }
    for (const k of after)
      if (!before.includes(k)) {
        const ids = out.get(k) ?? NO_IDS;
        if (!ids.includes(id)) out = out.set(k, [...ids, id]);
      }
    return out;
  }
}

const NO_KEYS: readonly string[] = [];

/** Whether two key lists are equal (a state step keeps an object's keys: no work then). */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One relation followed through the writes of one apply, from the relation of the state it
 * started from (`rel`, when known). One that is not known is built only when first asked (until
 * then writes just move the map along); built from the starting map, it is handed to `built` so
 * that the starting state keeps it too.
 */
export class TrackedRelation<V extends { readonly name: string }> {
  private readonly start: IMap<string, V>;

  constructor(
    private readonly index: RelationIndex<V>,
    private map: IMap<string, V>,
    private rel: Relation | undefined,
    private readonly built: (rel: Relation) => void,
  ) {
    this.start = map;
  }

  /** Call after `map` was made from the previous map by writing object `id`. */
  wrote(map: IMap<string, V>, id: string, prev: V | undefined, next: V | undefined): void {
    if (this.rel !== undefined) this.rel = this.index.update(this.rel, id, prev, next);
    this.map = map;
  }

  /** Ids filed under `key`, in no particular order. */
  ids(key: string): readonly string[] {
    if (this.rel === undefined) {
      this.rel = this.index.build(this.map);
      if (this.map === this.start) this.built(this.rel);
    }
    return this.rel.get(key) ?? NO_IDS;
  }

  /** Objects filed under `key`, by name (the order the model acts on them and reports them in). */
  byName(key: string): V[] {
    const out = [...this.ids(key)].map((id) => this.map.get(id) as V);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The relation of the final map, for the state made from it (undefined: never built). */
  relation(): Relation | undefined {
    return this.rel;
  }
}
