import type { Filter } from './filter.js';
import { FilterList } from './filter.js';

/** Separator of cluster-database key path segments. */
export const KEY_SEPARATOR = '\\';

/**
 * The lookup structures of one port version. A change is matched by visiting only the lists
 * its (class slot, object, key path) selects, so its cost is proportional to the filters it can
 * match, not to the number of ports (ARCHITECTURE.md, "How a change flows", step 4).
 *
 * - class lists: one per (object type, event bit) — cluster-wide / whole-type filters;
 * - object maps: per object type, object id (or resource type name) → filters on that object;
 * - key maps: watched key path → filters without subtree, and → filters with subtree.
 */
export class MatchIndex {
  private readonly classLists: (FilterList | undefined)[] = [];
  private readonly objectMaps: (Map<string, FilterList> | undefined)[] = [];
  private readonly keyExact = new Map<string, FilterList>();
  private readonly keySubtree = new Map<string, FilterList>();

  /** Registers `f` for every event bit in `bits` of class slot base `base` (slot = base + bit index). */
  addClass(base: number, bits: number, f: Filter): void {
    for (let b = bits >>> 0; b !== 0; b = (b & (b - 1)) >>> 0) {
      const slot = base + bitIndex(b & -b);
      const list = this.classLists[slot];
      if (list === undefined) this.classLists[slot] = new FilterList(undefined, '', f);
      else list.add(f);
    }
  }

  addObject(objectType: number, objectId: string, f: Filter): void {
    let map = this.objectMaps[objectType];
    if (map === undefined) {
      map = new Map();
      this.objectMaps[objectType] = map;
    }
    addIn(map, objectId, f);
  }

  addKey(keyPath: string, subtree: boolean, f: Filter): void {
    addIn(subtree ? this.keySubtree : this.keyExact, keyPath, f);
  }

  /** Appends to `out` the non-empty lists a non-registry event selects. */
  collect(slot: number, objectType: number, objectId: string, out: FilterList[]): void {
    const cls = this.classLists[slot];
    if (cls !== undefined && cls.items.length > 0) out.push(cls);
    if (objectId !== '') {
      const obj = this.objectMaps[objectType]?.get(objectId);
      if (obj !== undefined) out.push(obj);
    }
  }

  /**
   * Appends to `out` the lists a registry event at `keyPath` selects: filters on the key itself,
   * subtree filters on the key or any ancestor, and — for a key created or deleted — filters on
   * its parent without subtree (docs/decisions.md, registry scope).
   */
  collectKey(keyPath: string, isNameChange: boolean, out: FilterList[]): void {
    const exact = this.keyExact.get(keyPath);
    if (exact !== undefined) out.push(exact);
    if (isNameChange && keyPath !== '') {
      const cut = keyPath.lastIndexOf(KEY_SEPARATOR);
      const parent = this.keyExact.get(cut < 0 ? '' : keyPath.slice(0, cut));
      if (parent !== undefined) out.push(parent);
    }
    if (this.keySubtree.size === 0) return;
    const root = this.keySubtree.get('');
    if (root !== undefined) out.push(root);
    if (keyPath === '') return;
    for (
      let i = keyPath.indexOf(KEY_SEPARATOR);
      i >= 0;
      i = keyPath.indexOf(KEY_SEPARATOR, i + 1)
    ) {
      const anc = this.keySubtree.get(keyPath.slice(0, i));
      if (anc !== undefined) out.push(anc);
    }
    const self = this.keySubtree.get(keyPath);
    if (self !== undefined) out.push(self);
  }
}

function addIn(map: Map<string, FilterList>, key: string, f: Filter): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, new FilterList(map, key, f));
  else list.add(f);
}

/** Index (0–31) of a single set bit. */
export function bitIndex(bit: number): number {
  return 31 - Math.clz32(bit);
}
