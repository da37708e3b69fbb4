/**
 * The dashboard's event stream: the newest version-2 indications in a bounded ring, each
 * turned into a row once (names for the object type and flag, the payload decoded where it is
 * simple), plus a rate meter. Filtering reads the ring newest first and stops at the limit.
 */
import {
  ClusterChangeGroupV2,
  ClusterChangeNetInterfaceV2,
  ClusterChangeNetworkV2,
  ClusterChangeNodeV2,
  ClusterChangeResourceV2,
  ClusterObjectType,
  clusterGroupStateSpecName,
  clusterNetInterfaceStateSpecName,
  clusterNetworkStateSpecName,
  clusterNodeStateSpecName,
  clusterObjectTypeSpecName,
  clusterResourceStateSpecName,
  decodeDword,
  decodeUtf16z,
  v2FlagSpecName,
} from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';

/** One indication as the stream shows it. */
export interface EventRow {
  /** Arrival number (1, 2, …), unique within the page. */
  readonly seq: number;
  /** Arrival time (ms since the epoch). */
  readonly at: number;
  readonly revision: number;
  readonly objectType: number;
  /** "RESOURCE". */
  readonly typeName: string;
  /** The single flag. */
  readonly flag: number;
  /** "RESOURCE_STATE_V2" (the spec name without CLUSTER_CHANGE_). */
  readonly flagName: string;
  readonly name: string;
  readonly objectId: string;
  /** The decoded payload, or a lost-events summary; '' when there is nothing to say. */
  readonly detail: string;
  /** True for lost-events and other indications that need an operator's eye. */
  readonly alert: boolean;
}

/** What the stream is narrowed to; undefined / '' means any. */
export interface EventFilter {
  readonly objectType?: number | undefined;
  readonly flag?: number | undefined;
  /** Matches names containing this text, case-insensitively. */
  readonly object?: string | undefined;
}

/** The readable name of an object type: CLUSTER_OBJECT_TYPE_NETWORK_INTERFACE → NETWORK_INTERFACE. */
export function typeName(objectType: number): string {
  return (clusterObjectTypeSpecName(objectType) ?? `TYPE_${objectType}`).replace(
    /^CLUSTER_OBJECT_TYPE_/,
    '',
  );
}

/** The readable name of a v2 flag of `objectType`. */
export function flagName(objectType: number, flag: number): string {
  return (v2FlagSpecName(objectType, flag) ?? `0x${flag.toString(16)}`).replace(
    /^CLUSTER_CHANGE_/,
    '',
  );
}

const STATE_FLAGS: ReadonlyMap<number, readonly [number, (s: number) => string | undefined]> =
  new Map([
    [ClusterObjectType.NODE, [ClusterChangeNodeV2.STATE, clusterNodeStateSpecName]],
    [ClusterObjectType.GROUP, [ClusterChangeGroupV2.STATE, clusterGroupStateSpecName]],
    [ClusterObjectType.RESOURCE, [ClusterChangeResourceV2.STATE, clusterResourceStateSpecName]],
    [ClusterObjectType.NETWORK, [ClusterChangeNetworkV2.STATE, clusterNetworkStateSpecName]],
    [
      ClusterObjectType.NETWORK_INTERFACE,
      [ClusterChangeNetInterfaceV2.STATE, clusterNetInterfaceStateSpecName],
    ],
  ]);

/** Decodes a payload where it is simple; `nameOf` turns object ids into names. */
function detailOf(i: IndicationV2, nameOf: (id: string) => string | undefined): string {
  if (i.lost !== undefined)
    return `${i.lost.count} lost (revisions ${i.lost.firstRevision}–${i.lost.lastRevision})`;
  const b = i.buffer;
  if (b.length === 0) return '';
  const { objectType, filterFlags } = i.filterAndType;
  if (b.length === 4) {
    const n = decodeDword(b);
    const st = STATE_FLAGS.get(objectType);
    if (st !== undefined && st[0] === filterFlags) {
      const spec = st[1](n);
      if (spec === undefined) return `state ${n}`;
      // ClusterGroupPartialOnline → "Partial online", as the overview's badges say it.
      const words = spec
        .replace(/^Cluster(Node|Group|Resource|Network|NetInterface)/, '')
        .replace(/([a-z])([A-Z])/g, '$1 $2')
        .toLowerCase();
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
    return String(n);
  }
  try {
    const s = decodeUtf16z(b);
    return `→ ${nameOf(s) ?? s}`;
  } catch {
    return `${b.length} bytes`;
  }
}

/** Decoded states an operator should see highlighted. */
const ALERT_DETAILS: ReadonlySet<string> = new Set(['Failed', 'Down', 'Unknown']);

/** A bounded ring of rows with a rate meter. */
export class EventLog {
  readonly #rows: (EventRow | undefined)[];
  #next = 0;
  #seq = 0;
  /** Arrivals per whole second, for the last few seconds. */
  readonly #buckets = new Map<number, number>();

  /** @param capacity rows kept (default 5,000); older ones are forgotten. */
  constructor(readonly capacity = 5000) {
    this.#rows = new Array<EventRow | undefined>(capacity);
  }

  /** Indications received since the page loaded. */
  get total(): number {
    return this.#seq;
  }

  /** Rows held now. */
  get size(): number {
    return Math.min(this.#seq, this.capacity);
  }

  /** Arrival number of the newest row (0 before the first). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Adds an indication; `nameOf` names the ids a payload carries. */
  push(i: IndicationV2, now: number, nameOf: (id: string) => string | undefined): EventRow {
    const { objectType, filterFlags } = i.filterAndType;
    const detail = detailOf(i, nameOf);
    const row: EventRow = {
      seq: ++this.#seq,
      at: now,
      revision: i.revision,
      objectType,
      typeName: typeName(objectType),
      flag: filterFlags,
      flagName: flagName(objectType, filterFlags),
      name: i.name,
      objectId: i.objectId,
      detail,
      alert: i.lost !== undefined || ALERT_DETAILS.has(detail),
    };
    this.#rows[this.#next] = row;
    this.#next = (this.#next + 1) % this.capacity;
    const sec = Math.floor(now / 1000);
    this.#buckets.set(sec, (this.#buckets.get(sec) ?? 0) + 1);
    if (this.#buckets.size > 8)
      for (const k of this.#buckets.keys()) if (k < sec - 6) this.#buckets.delete(k);
    return row;
  }

  /** Indications per second over the last complete seconds (up to 3). */
  rate(now: number): number {
    const sec = Math.floor(now / 1000);
    let n = 0;
    for (let s = sec - 3; s < sec; s++) n += this.#buckets.get(s) ?? 0;
    return Math.round(n / 3);
  }

  /**
   * Up to `limit` rows matching `filter`, newest first, among those that arrived at or before
   * `upToSeq` (for a paused view).
   */
  query(filter: EventFilter, limit: number, upToSeq = Infinity): EventRow[] {
    const out: EventRow[] = [];
    const needle = filter.object?.trim().toLowerCase() ?? '';
    for (let k = 1; k <= this.size && out.length < limit; k++) {
      const r = this.#rows[(this.#next - k + this.capacity) % this.capacity];
      if (r === undefined) break;
      if (r.seq > upToSeq) continue;
      if (filter.objectType !== undefined && r.objectType !== filter.objectType) continue;
      if (filter.flag !== undefined && r.flag !== filter.flag) continue;
      if (needle !== '' && !r.name.toLowerCase().includes(needle)) continue;
      out.push(r);
    }
    return out;
  }
}
