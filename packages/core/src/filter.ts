import type { NotifyPort } from './notify-port.js';
import { forEachOf, withItem } from './one-or-more.js';
import type { OneOrMore } from './one-or-more.js';

/**
 * One registered filter (§3.1.1.8: "a set of event filters … each with a 32-bit client
 * context value"). Immutable once registered; it lives until its port is unblocked or closed.
 */
/**
 * How a filter selects events, for matching one port on its own (replay): cluster-wide (v1),
 * one object (v1), one key (v1), whole type (v2), one object (v2), one key (v2).
 */
export type FilterScope = 'cluster' | 'object' | 'key' | 'type2' | 'object2' | 'key2';

export class Filter {
  /** False once the port is unblocked or closed; dead filters are skipped and compacted away. */
  live = true;
  /**
   * The index lists this filter stands in, so that removal needs no search: the one list itself
   * (most filters stand in one), an array from the second on. An idle server holds a filter per
   * port, so the one-list case keeps no array (~56 B).
   */
  lists: OneOrMore<FilterList> | undefined = undefined;

  constructor(
    /** Registration order across the engine: indications of one change follow it. */
    readonly id: number,
    readonly port: NotifyPort,
    readonly notifyKey: number,
    /** v1: CLUSTER_CHANGE bits; v2: flags of `objectType`'s enumeration (scope modifiers removed). */
    readonly mask: number,
    /** Registry filters: the watched key (`''` = root); reported names are relative to it. */
    readonly keyPath: string,
    readonly scope: FilterScope,
    /** v2: the object type; v1: 0. */
    readonly objectType: number,
    /** Per-object filters: the object id (v2 resource types: the type name); else ''. */
    readonly objectId: string,
    /** Registry filters: watching the subtree. */
    readonly subtree: boolean,
  ) {}
}

/**
 * The filters registered under one index key, in registration order (ids ascending).
 * Removal is lazy: a dead filter stays until dead entries outnumber live ones.
 */
export class FilterList {
  /** Exact-size while it holds one filter (most lists do). */
  items: Filter[];
  dead = 0;

  constructor(
    /** The map this list is stored in, so an emptied list can be dropped from it. */
    readonly owner: Map<string, FilterList> | undefined,
    readonly key: string,
    first: Filter,
  ) {
    this.items = [first];
    linkFilter(first, this);
  }

  add(f: Filter): void {
    this.items.push(f);
    linkFilter(f, this);
  }

  /** Records that one of its filters died; compacts when more than half are dead. */
  noteDead(): void {
    this.dead++;
    if (this.dead * 2 < this.items.length) return;
    this.items = this.items.filter((f) => f.live);
    this.dead = 0;
    if (this.items.length === 0 && this.owner !== undefined) this.owner.delete(this.key);
  }
}

function linkFilter(f: Filter, list: FilterList): void {
  f.lists = withItem(f.lists, list);
}

/** Marks `f` dead (its port was unblocked or closed) and tells the lists it stands in. */
export function retireFilter(f: Filter): void {
  f.live = false;
  forEachOf(f.lists, (list) => list.noteDead());
}
