/**
 * A set of one or more items kept as the item itself while it is alone, an array from the
 * second on. An idle server holds thousands of ports, filters and parked reads that each hold
 * one such item; an array of one costs ~56 bytes more (docs/architecture.md, "Bounds"). The
 * items are never arrays themselves.
 */
export type OneOrMore<T extends object> = T | T[];

/** `set` with `item` appended (an array grows in place). */
export function withItem<T extends object>(set: OneOrMore<T> | undefined, item: T): OneOrMore<T> {
  if (set === undefined) return item;
  if (!Array.isArray(set)) return [set, item];
  set.push(item);
  return set;
}

/**
 * `set` without `item` (its first occurrence; an array shrinks in place), or undefined once
 * nothing is left.
 */
export function withoutItem<T extends object>(
  set: OneOrMore<T> | undefined,
  item: T,
): OneOrMore<T> | undefined {
  if (!Array.isArray(set)) return set === item ? undefined : set;
  const i = set.indexOf(item);
  if (i >= 0) set.splice(i, 1);
  return set.length === 0 ? undefined : set;
}

/** The first item of `set`, if any. */
export function firstOf<T extends object>(set: OneOrMore<T> | undefined): T | undefined {
  return Array.isArray(set) ? set[0] : set;
}

/** How many items `set` holds. */
export function countOf<T extends object>(set: OneOrMore<T> | undefined): number {
  return set === undefined ? 0 : Array.isArray(set) ? set.length : 1;
}

/** The items of `set` in order (for a single item, a new array of it). */
export function itemsOf<T extends object>(set: OneOrMore<T> | undefined): readonly T[] {
  return set === undefined ? [] : Array.isArray(set) ? set : [set];
}

/** Calls `f` on every item of `set`, in order, without making an array. */
export function forEachOf<T extends object>(
  set: OneOrMore<T> | undefined,
  f: (item: T) => void,
): void {
  if (set === undefined) return;
  if (!Array.isArray(set)) return f(set);
  for (const item of set) f(item);
}
