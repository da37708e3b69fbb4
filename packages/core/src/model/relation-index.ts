/**
 * Relation indices of the cluster model: which resources a group holds, which groups a node
 * owns, which resources depend on a resource (§3.1.1.1.1, §3.1.1.1.4). An index is derived from
 * one persistent object map, remembered per map instance, and carried forward by `apply` write
 * by write, so a lookup costs the size of its answer instead of a scan of the cluster. States
 * the model never saw (loaded from the store, built by hand) get theirs from one scan, on the
 * first lookup.
 */
import { Map as IMap, Set as ISet } from 'immutable';

/** Key → ids of the objects filed under it. Keys with no ids are absent. */
export type Relation = IMap<string, ISet<string>>;

const NO_IDS: ISet<string> = ISet();

/**
 * How one relation is derived from a map of objects: `keysOf` lists the keys an object is filed
 * under. Remembers the relation of every map instance it was told about (weakly).
 */
export class RelationIndex<V> {
  private readonly memo = new WeakMap<IMap<string, V>, Relation>();

  constructor(private readonly keysOf: (v: V) => readonly string[]) {}

  /** The relation of `map` if it is remembered. */
  known(map: IMap<string, V>): Relation | undefined {
    return this.memo.get(map);
  }

  /** The relation of `map`: remembered, else built by one scan (and remembered). */
  of(map: IMap<string, V>): Relation {
    let rel = this.memo.get(map);
    if (rel === undefined) {
      rel = IMap<string, ISet<string>>().withMutations((m) => {
        for (const [id, v] of map)
          for (const k of this.keysOf(v)) m.set(k, (m.get(k) ?? NO_IDS).add(id));
      });
      this.memo.set(map, rel);
    }
    return rel;
  }

  /** Records that `rel` is the relation of `map`. */
  remember(map: IMap<string, V>, rel: Relation): void {
    this.memo.set(map, rel);
  }

  /** `rel` after object `id` changed from `prev` to `next` (either absent: created, deleted). */
  update(rel: Relation, id: string, prev: V | undefined, next: V | undefined): Relation {
    const before = prev === undefined ? [] : this.keysOf(prev);
    const after = next === undefined ? [] : this.keysOf(next);
    if (before === after) return rel;
    let out = rel;
    for (const k of before) {
      if (after.includes(k)) continue;
      const ids = (out.get(k) ?? NO_IDS).delete(id);
      out = ids.size === 0 ? out.delete(k) : out.set(k, ids);
    }
    for (const k of after)
      if (!before.includes(k)) out = out.set(k, (out.get(k) ?? NO_IDS).add(id));
    return out;
  }
}

/**
 * One relation followed through the writes of one apply. A remembered relation is carried
 * along from the start, so that it reaches the next state even when this apply never asks it;
 * one that is not is built only when first asked (until then writes just move the map along).
 */
export class TrackedRelation<V extends { readonly name: string }> {
  private rel: Relation | undefined;

  constructor(
    private readonly index: RelationIndex<V>,
    private map: IMap<string, V>,
  ) {
    this.rel = index.known(map);
  }

  /** Call after `map` was made from the previous map by writing object `id`. */
  wrote(map: IMap<string, V>, id: string, prev: V | undefined, next: V | undefined): void {
    if (this.rel !== undefined) this.rel = this.index.update(this.rel, id, prev, next);
    this.map = map;
  }

  /** Ids filed under `key`, in no particular order. */
  ids(key: string): ISet<string> {
    this.rel ??= this.index.of(this.map);
    return this.rel.get(key) ?? NO_IDS;
  }

  /** Objects filed under `key`, by name (the order the model acts on them and reports them in). */
  byName(key: string): V[] {
    const out = [...this.ids(key)].map((id) => this.map.get(id) as V);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Hands the relation on to the states made from the final map. */
  commit(): void {
    if (this.rel !== undefined) this.index.remember(this.map, this.rel);
  }
}
