/**
 * The JSON text of `notify` frames (docs/protocol.md "Streams") for version-2 ports, built
 * without an object per indication: one event reaches many ports, and every copy differs only in
 * its notify key (and, for registry events, its relative name). The encoder serialises the rest
 * of an event once and reuses it for every port it reaches. The text parses to exactly the
 * frame `JSON.stringify` would write with `toWireNotification` entries (and is the same text
 * for indications made by the engine).
 */
import { toBase64 } from './base64.js';
import type { IndicationV2 } from './indication.js';
import { toWireNotification } from './wire.js';

/** What a cached tail was made from; a hit must match all of it. */
interface Tail {
  readonly objectType: number;
  readonly filterFlags: number;
  readonly objectId: string;
  readonly parentId: string;
  readonly name: string;
  readonly type: string;
  readonly revision: number;
  /** `,"filterAndType":…,"revision":N}` — everything after the notify key. */
  readonly json: string;
}

/**
 * Encodes `notify` frames of version-2 indications. Keeps, per event payload (the `buffer` every
 * copy of an event shares), the serialised rest of the indication; the cache holds its entries
 * weakly, so it lives as long as the indications do. A cached entry is used only when every
 * field matches, so two events that happen to share a payload object are still encoded exactly.
 */
export class NotifyFrameEncoder {
  readonly #tails = new WeakMap<Uint8Array, Tail>();

  /** The text of `{ t: 'notify', h, n: list.map(toWireNotification), drained }`. */
  frameV2(h: string, list: readonly IndicationV2[], drained: boolean): string {
    return `${this.#entries(`{"t":"notify","h":${JSON.stringify(h)},"n":[`, list)}],"drained":${drained ? 'true' : 'false'}}`;
  }

  /**
   * The text of the result frame of a successful `getNotifyV2` call `id` (ApiGetNotifyV2,
   * §3.1.4.2.138):
   * `{ t: 'result', id, r: { type: 'ok', status: 0, notifications: list.map(toWireNotification) } }`.
   */
  resultV2(id: number, list: readonly IndicationV2[]): string {
    return `${this.#entries(`{"t":"result","id":${JSON.stringify(id)},"r":{"type":"ok","status":0,"notifications":[`, list)}]}}`;
  }

  #entries(head: string, list: readonly IndicationV2[]): string {
    let out = head;
    for (let i = 0; i < list.length; i++) {
      if (i > 0) out += ',';
      out += this.entry(list[i] as IndicationV2);
    }
    return out;
  }

  /** The text of one indication as `JSON.stringify(toWireNotification(i))` gives it. */
  entry(i: IndicationV2): string {
    if (i.lost !== undefined) return JSON.stringify(toWireNotification(i));
    return `{"notifyKey":${i.notifyKey}${this.#tail(i)}`;
  }

  #tail(i: IndicationV2): string {
    const buffer = i.buffer;
    // Empty payloads are one shared object for many events: not a key.
    if (buffer.length === 0) return tailOf(i).json;
    const hit = this.#tails.get(buffer);
    if (
      hit !== undefined &&
      hit.revision === i.revision &&
      hit.name === i.name &&
      hit.objectId === i.objectId &&
      hit.filterFlags === i.filterAndType.filterFlags &&
      hit.objectType === i.filterAndType.objectType &&
      hit.parentId === i.parentId &&
      hit.type === i.type
    )
      return hit.json;
    const t = tailOf(i);
    this.#tails.set(buffer, t);
    return t.json;
  }
}

function tailOf(i: IndicationV2): Tail {
  const { objectType, filterFlags } = i.filterAndType;
  return {
    objectType,
    filterFlags,
    objectId: i.objectId,
    parentId: i.parentId,
    name: i.name,
    type: i.type,
    revision: i.revision,
    json:
      `,"filterAndType":{"objectType":${objectType},"filterFlags":${filterFlags}}` +
      `,"objectId":${JSON.stringify(i.objectId)},"parentId":${JSON.stringify(i.parentId)}` +
      `,"name":${JSON.stringify(i.name)},"type":${JSON.stringify(i.type)}` +
      `,"buffer":"${i.buffer.length === 0 ? '' : toBase64(i.buffer)}","revision":${i.revision}}`,
  };
}
