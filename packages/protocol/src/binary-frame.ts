/**
 * Binary `notify` frames (docs/protocol.md §5 "Binary notify frames", decisions D53): a
 * version-2 port streamed with `encoding: 'binary'` gets its batches as WebSocket binary
 * messages in this layout instead of JSON text. Same content as the JSON `notify` frame
 * (`h`, `n`, `drained`); the stream's last frame (`end`) stays a JSON text frame.
 *
 * Layout, little-endian; `str` is a u32 byte length and that many bytes of UTF-8:
 *
 *     u8  kind        1 (a version-2 batch)
 *     u8  flags       bit 0: drained; the other bits 0
 *     u16 handle length, then the port handle (UTF-8)
 *     u32 count       entries that follow
 *     count × entry:
 *       u32 notifyKey
 *       u8  flags     bit 0: lost-events entry; bit 2: repeat (below); the other bits 0
 *       (lost only)   f64 count, f64 firstRevision, f64 lastRevision
 *       (not repeat)  u32 objectType
 *       (not repeat)  f64 filterFlags
 *       (not repeat)  str objectId, str parentId, str name, str type
 *       u32 buffer length, then the payload bytes
 *       f64 revision
 *
 * and nothing after the last entry. The bytes from `objectType` on are the same for every port
 * an event reaches, so a server writes them once per event. The numbers keep the JSON form's
 * rules: `filterFlags` an integer, revisions and the lost counts safe integers ≥ 0.
 *
 * A repeat entry (flag bit 2, decisions D60) leaves out `objectType`, `filterFlags` and the four
 * strings: they are those of the entry before it in the batch, which therefore exists. Not with
 * bit 0. A server sets it only on a stream that asked (`streamNotify`'s `repeat`, offered with the
 * `binary-repeat` feature): the changes of one object, batch after batch, repeat ~120 of an
 * entry's ~430 bytes otherwise.
 *
 * A grouped frame (kind 2, decisions D55) holds the batches of several ports streamed to one
 * connection, each event's bytes once however many of the ports it reaches:
 *
 *     u8  kind        2 (grouped version-2 batches)
 *     u8  flags       0
 *     u16 0
 *     u32 batches     batches that follow
 *     batches × batch:
 *       u8  flags     bit 0: drained; the other bits 0
 *       u16 handle length, then the port handle (UTF-8)
 *       u32 count     entries that follow
 *       count × entry:
 *         u32 notifyKey
 *         u8  flags   bit 0: lost-events entry; bit 1: the event's bytes follow; the other bits 0
 *         (lost only)  f64 count, f64 firstRevision, f64 lastRevision
 *         (bit 1 set)  objectType … revision, as in a kind-1 entry: the frame's next event
 *         (bit 1 clear) u32 index of an event earlier in the frame (0: its first)
 *
 * Events are numbered in the order their bytes appear, across the frame's batches. Each batch is
 * what a kind-1 frame of that port would hold; one port's batches keep their order, and a port
 * may have more than one batch in a frame.
 */
import type { IndicationV2, LostIndications } from './indication.js';
import type { MalformedServerFrame } from './server-frame.js';
import type { WireNotificationV2 } from './wire.js';

/** The kind byte of a binary frame holding a version-2 port's batch. */
export const BINARY_NOTIFY_V2 = 1;
/** The kind byte of a grouped frame: several ports' version-2 batches (D55). */
export const BINARY_NOTIFY_GROUP = 2;
/** Flag bits of the binary layouts, for encoders (a server's) other than the reference one. */
export const BinaryFlag = {
  /** A batch's flag: the port's queue was empty after the batch (the JSON frame's `drained`). */
  DRAINED: 1,
  /** An entry's flag: the lost-events indication (the JSON entry's `lost`). */
  LOST: 1,
  /** An entry's flag in a grouped frame: the event's bytes follow (else an earlier event's index). */
  EVENT: 2,
  /**
   * An entry's flag in a kind-1 frame: the entry's filter, type and strings are the previous
   * entry's and are left out (D60).
   */
  REPEAT: 4,
} as const;
const { DRAINED, LOST, EVENT, REPEAT } = BinaryFlag;
/** Bytes of the smallest entry of a kind-1 frame: a repeat entry (D60) with an empty payload. */
const MIN_ENTRY = 4 + 1 + 4 + 8;
/** Bytes of the smallest entry of a grouped frame: an index of an earlier event. */
const MIN_GROUP_ENTRY = 4 + 1 + 4;
/** Bytes of the smallest batch of a grouped frame: flags, empty handle, no entries. */
const MIN_GROUP_BATCH = 1 + 2 + 4;
/** Bytes before the handle, and between it and the first entry. */
const HEAD = 4;
const COUNT = 4;

/** A binary `notify` frame, decoded and checked: what the JSON frame would have held. */
export interface BinaryNotifyFrame {
  readonly t: 'notify';
  readonly h: string;
  /** The entries, as `JSON.parse` would give them but with `buffer` left empty … */
  readonly n: readonly WireNotificationV2[];
  /** … and each entry's payload here, at its index (views into the frame's bytes). */
  readonly buffers: readonly Uint8Array[];
  readonly drained: boolean;
}

/**
 * One entry of a binary frame, as the reference encoder takes it: a version-2 indication's
 * fields (an `IndicationV2` is one), `lost` optional.
 */
export type BinaryNotifyEntry = Omit<IndicationV2, 'version' | 'lost'> & {
  readonly lost?: LostIndications | undefined;
};

/** One port's batch of a grouped frame, as the reference encoder takes it. */
export interface BinaryNotifyBatch {
  readonly h: string;
  readonly entries: readonly BinaryNotifyEntry[];
  readonly drained: boolean;
}

/** The host's UTF-8 codecs (Node.js and browsers have both; this package builds without their types). */
const codecs = globalThis as unknown as {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label: 'utf-8', options: { fatal: true }) => { decode(b: Uint8Array): string };
};
const utf8 = new codecs.TextEncoder();
const strictUtf8 = new codecs.TextDecoder('utf-8', { fatal: true });

// In a `u` regular expression a well-formed surrogate pair is one code point, so this matches
// lone surrogates only: the UTF-16 that JSON carries and UTF-8 cannot.
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether UTF-8 carries `text` exactly (it holds no lone surrogate). */
export function utf8Exact(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The binary frame of port `h`'s batch `entries` — the layout above written the plain way.
 * The server writes the same bytes faster (it shares each event's bytes between ports); this
 * one is the format's reference, for tests and for other implementations to compare with.
 *
 * With `repeat` (a stream that asked for repeat entries, D60), an entry that is no lost-events
 * entry and whose filter, type and four strings equal the previous entry's is a repeat entry.
 *
 * @throws RangeError when a string holds a lone surrogate (see {@link utf8Exact}): such a batch
 * goes in a JSON frame.
 */
export function encodeBinaryNotifyFrame(
  h: string,
  entries: readonly BinaryNotifyEntry[],
  drained: boolean,
  repeat = false,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(HEAD);
  const handle = utf8.encode(h);
  head[0] = BINARY_NOTIFY_V2;
  head[1] = drained ? DRAINED : 0;
  new DataView(head.buffer).setUint16(2, handle.length, true);
  parts.push(head, handle, u32(entries.length));
  let previous: BinaryNotifyEntry | undefined;
  for (const e of entries) {
    if (repeat && e.lost === undefined && previous !== undefined && sameObject(previous, e)) {
      parts.push(u32(e.notifyKey), u8(REPEAT), u32(e.buffer.length), e.buffer, f64(e.revision));
      continue;
    }
    previous = e;
    parts.push(u32(e.notifyKey), u8(e.lost === undefined ? 0 : LOST));
    pushLost(parts, e);
    pushEvent(parts, e);
  }
  return joined(parts);
}

/**
 * Whether entry `b` may repeat entry `a` (D60): the same object type, filter flags, ids, name and
 * type. A server's encoder decides with this test too.
 */
export function sameObject(
  a: Pick<BinaryNotifyEntry, 'filterAndType' | 'objectId' | 'parentId' | 'name' | 'type'>,
  b: Pick<BinaryNotifyEntry, 'filterAndType' | 'objectId' | 'parentId' | 'name' | 'type'>,
): boolean {
  return (
    a.objectId === b.objectId &&
    a.filterAndType.filterFlags === b.filterAndType.filterFlags &&
    a.filterAndType.objectType === b.filterAndType.objectType &&
    a.name === b.name &&
    a.parentId === b.parentId &&
    a.type === b.type
  );
}

/**
 * The grouped frame (kind 2, D55) of `batches`, written the plain way: the reference for the
 * format, as {@link encodeBinaryNotifyFrame} is for kind 1. An entry whose event (every field
 * but the notify key, and the payload's bytes) equals an earlier entry's of the frame refers to
 * it; a lost-events entry always carries its event.
 *
 * @throws RangeError when a string holds a lone surrogate (see {@link utf8Exact}).
 */
export function encodeBinaryNotifyGroup(batches: readonly BinaryNotifyBatch[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(HEAD);
  head[0] = BINARY_NOTIFY_GROUP;
  parts.push(head, u32(batches.length));
  // Events by their bytes (lost-events entries are numbered but never referred to).
  const events = new Map<string, number>();
  let numbered = 0;
  for (const { h, entries, drained } of batches) {
    const handle = utf8.encode(h);
    const at = new DataView(new ArrayBuffer(3));
    at.setUint8(0, drained ? DRAINED : 0);
    at.setUint16(1, handle.length, true);
    parts.push(new Uint8Array(at.buffer), handle, u32(entries.length));
    for (const e of entries) {
      const event: Uint8Array[] = [];
      pushEvent(event, e);
      const bytes = joined(event);
      const key = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      const index = e.lost === undefined ? events.get(key) : undefined;
      parts.push(
        u32(e.notifyKey),
        u8((e.lost === undefined ? 0 : LOST) | (index === undefined ? EVENT : 0)),
      );
      pushLost(parts, e);
      if (index !== undefined) parts.push(u32(index));
      else {
        if (e.lost === undefined) events.set(key, numbered);
        numbered++;
        parts.push(bytes);
      }
    }
  }
  return joined(parts);
}

function pushLost(parts: Uint8Array[], e: BinaryNotifyEntry): void {
  if (e.lost !== undefined)
    parts.push(f64(e.lost.count), f64(e.lost.firstRevision), f64(e.lost.lastRevision));
}

/** The bytes of `e` from `objectType` on. */
function pushEvent(parts: Uint8Array[], e: BinaryNotifyEntry): void {
  parts.push(u32(e.filterAndType.objectType), f64(e.filterAndType.filterFlags));
  for (const s of [e.objectId, e.parentId, e.name, e.type]) {
    if (!utf8Exact(s)) throw new RangeError(`${JSON.stringify(s)} holds a lone surrogate`);
    const b = utf8.encode(s);
    parts.push(u32(b.length), b);
  }
  parts.push(u32(e.buffer.length), e.buffer, f64(e.revision));
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u8(n: number): Uint8Array {
  return Uint8Array.of(n);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function f64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, n, true);
  return b;
}

/**
 * An entry with `notifyKey` and `revision` and the rest of `e`: an entry referring to an event of
 * a grouped frame, or a repeat entry (D60). No `lost`.
 */
function withObjectOf(
  e: WireNotificationV2,
  notifyKey: number,
  revision: number,
): WireNotificationV2 {
  return {
    notifyKey,
    filterAndType: e.filterAndType,
    objectId: e.objectId,
    parentId: e.parentId,
    name: e.name,
    type: e.type,
    buffer: '',
    revision,
  };
}

/** Thrown inside the decoder only; becomes the `malformed` message. */
class Malformed {
  constructor(readonly message: string) {}
}

/**
 * Reads a binary `notify` frame and checks all of it: the layout above, nothing missing or left
 * over, every string well-formed UTF-8, every number within the JSON form's rules. Never throws.
 * The payloads are views into `bytes`: keep `bytes` unchanged while they are in use.
 *
 * @returns the frame, or `{ malformed }` saying what is wrong and at which byte.
 */
export function parseBinaryNotifyFrame(
  bytes: Uint8Array,
): BinaryNotifyFrame | MalformedServerFrame {
  try {
    return READER.frame(bytes);
  } catch (e) {
    if (e instanceof Malformed) return { malformed: `binary notify frame: ${e.message}` };
    throw e;
  }
}

/**
 * Reads a binary message of either kind — one port's batch (kind 1) or a grouped frame of
 * several (kind 2, D55) — and checks all of it as {@link parseBinaryNotifyFrame} does; in a
 * grouped frame also that every event an entry refers to came earlier in the frame. Never
 * throws. The entries of one event share its strings, `filterAndType` and payload view.
 *
 * @returns the batches in frame order, or `{ malformed }` saying what is wrong and at which byte.
 */
export function parseBinaryNotifyMessage(
  bytes: Uint8Array,
): readonly BinaryNotifyFrame[] | MalformedServerFrame {
  try {
    return READER.message(bytes);
  } catch (e) {
    if (e instanceof Malformed) return { malformed: `binary notify frame: ${e.message}` };
    throw e;
  } finally {
    READER.forgetEvents();
  }
}

/** How a message names field `name` of entry `i` (-1: a part of the frame outside the entries). */
function what(i: number, name: string): string {
  if (i < 0) return name;
  return name === '' ? `n[${i}]` : `n[${i}].${name}`;
}

type FilterAndType = WireNotificationV2['filterAndType'];

/** A Node.js Buffer's own Latin-1 decoder (this package builds without Node's types). */
interface Latin1Slicing {
  latin1Slice(start: number, end: number): string;
}

/** `bytes` when it can cut Latin-1 text itself (a Node.js Buffer), else undefined. */
function latin1Slicing(bytes: Uint8Array): Latin1Slicing | undefined {
  return typeof (bytes as Partial<Latin1Slicing>).latin1Slice === 'function'
    ? (bytes as unknown as Latin1Slicing)
    : undefined;
}

/** The last text one string field (or the handle) decoded, and the bytes it came from. */
class LastText {
  view: DataView = new DataView(new ArrayBuffer(0));
  start = 0;
  end = 0;
  text = '';
}

/**
 * Whether the `length` bytes at `a` of `x` equal those at `b` of `y`: four at a time, then the
 * rest one by one (a byte per step took ~11 % of a watcher's time, measured).
 */
function sameBytes(x: DataView, a: number, y: DataView, b: number, length: number): boolean {
  let j = 0;
  for (; j + 4 <= length; j += 4) if (x.getUint32(a + j) !== y.getUint32(b + j)) return false;
  for (; j < length; j++) if (x.getUint8(a + j) !== y.getUint8(b + j)) return false;
  return true;
}

/** Slot of {@link Reader}'s last texts for the handle; 0 … 3 are the entries' string fields. */
const HANDLE = 4;

/**
 * Reads one frame at a time (frames are read synchronously, so one reader serves them all). It
 * remembers the last text of each string field with the bytes it came from, and a field whose
 * bytes repeat — the events of one object, frame after frame to every watcher — takes that
 * text again instead of decoding it.
 */
class Reader {
  #b: Uint8Array = new Uint8Array(0);
  /** The frame as given, when it is a Node.js Buffer (its ASCII text is cut natively). */
  #node: Latin1Slicing | undefined;
  #v: DataView = new DataView(new ArrayBuffer(0));
  #at = 0;
  readonly #last: LastText[] = Array.from({ length: 5 }, () => new LastText());
  #lastFilter: FilterAndType = Object.freeze({ objectType: -1, filterFlags: -1 });
  /** Names the part of a grouped frame being read in messages (`batches[j].`; '' for kind 1). */
  #where = '';
  /** The events of the grouped frame being read, by index, and their payloads. */
  readonly #events: WireNotificationV2[] = [];
  readonly #eventBuffers: Uint8Array[] = [];

  frame(bytes: Uint8Array): BinaryNotifyFrame {
    this.#start(bytes);
    return this.#single();
  }

  message(bytes: Uint8Array): BinaryNotifyFrame[] {
    this.#start(bytes);
    const kind = this.#b[0] as number;
    if (kind === BINARY_NOTIFY_V2) return [this.#single()];
    if (kind !== BINARY_NOTIFY_GROUP)
      this.#fail(0, `kind is ${kind}, expected ${BINARY_NOTIFY_V2} or ${BINARY_NOTIFY_GROUP}`);
    if (this.#b[1] !== 0 || this.#v.getUint16(2, true) !== 0)
      this.#fail(1, `grouped frame header bytes 1-3 are not 0`);
    this.#at = HEAD;
    this.#need(COUNT, -1, 'the batch count');
    const count = this.#v.getUint32(this.#at, true);
    this.#at += COUNT;
    if (count > (this.#b.length - this.#at) / MIN_GROUP_BATCH)
      this.#fail(this.#at - COUNT, `batch count is ${count}, more than the frame has bytes for`);
    const batches = new Array<BinaryNotifyFrame>(count);
    for (let j = 0; j < count; j++) {
      this.#where = `batches[${j}].`;
      this.#need(3, -1, 'the batch header');
      const flags = this.#b[this.#at] as number;
      if ((flags & ~DRAINED) !== 0)
        this.#fail(this.#at, `${this.#where}flags are ${flags}, expected 0 or 1`);
      const handleLength = this.#v.getUint16(this.#at + 1, true);
      this.#at += 3;
      batches[j] = this.#batch(flags, handleLength, MIN_GROUP_ENTRY, true);
    }
    this.#where = '';
    this.#end();
    return batches;
  }

  /** Drops the events of the last grouped frame (its payloads are views into its bytes). */
  forgetEvents(): void {
    this.#where = '';
    this.#events.length = 0;
    this.#eventBuffers.length = 0;
  }

  #start(bytes: Uint8Array): void {
    // A plain view even of a Node.js Buffer: the payloads are cut with `subarray`, which for a
    // Buffer makes each one through Buffer's own constructor.
    this.#b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#node = latin1Slicing(bytes);
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#at = 0;
    this.#need(HEAD, -1, 'the frame header');
  }

  /** The rest of a kind-1 frame, its header checked. */
  #single(): BinaryNotifyFrame {
    const kind = this.#b[0] as number;
    if (kind !== BINARY_NOTIFY_V2) this.#fail(0, `kind is ${kind}, expected ${BINARY_NOTIFY_V2}`);
    const flags = this.#b[1] as number;
    if ((flags & ~DRAINED) !== 0) this.#fail(1, `flags are ${flags}, expected 0 or 1`);
    const handleLength = this.#v.getUint16(2, true);
    this.#at = HEAD;
    const f = this.#batch(flags, handleLength, MIN_ENTRY, false);
    this.#end();
    return f;
  }

  /** A batch from its handle on: the handle, the entry count and the entries. */
  #batch(
    flags: number,
    handleLength: number,
    minEntry: number,
    grouped: boolean,
  ): BinaryNotifyFrame {
    const h = this.#string(HANDLE, handleLength, -1, 'the port handle');
    this.#need(COUNT, -1, 'the entry count');
    const count = this.#v.getUint32(this.#at, true);
    this.#at += COUNT;
    if (count > (this.#b.length - this.#at) / minEntry)
      this.#fail(
        this.#at - COUNT,
        `${this.#where}count is ${count}, more entries than the frame has bytes for`,
      );
    const n: WireNotificationV2[] = new Array<WireNotificationV2>(count);
    const buffers: Uint8Array[] = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) this.#entry(i, n, buffers, grouped);
    return { t: 'notify', h, n, buffers, drained: flags === DRAINED };
  }

  #end(): void {
    if (this.#at !== this.#b.length)
      this.#fail(this.#at, `${this.#b.length - this.#at} bytes after the last entry`);
  }

  /** How a message names field `name` of entry `i` (-1: a part of the frame outside the entries). */
  #what(i: number, name: string): string {
    return this.#where + what(i, name);
  }

  #entry(i: number, n: WireNotificationV2[], buffers: Uint8Array[], grouped: boolean): void {
    const v = this.#v;
    this.#need(5, i, '');
    const notifyKey = v.getUint32(this.#at, true);
    const flags = this.#b[this.#at + 4] as number;
    if (
      grouped ? (flags & ~(LOST | EVENT)) !== 0 : flags !== 0 && flags !== LOST && flags !== REPEAT
    )
      this.#fail(
        this.#at + 4,
        `${this.#what(i, '')} flags are ${flags}, expected ${grouped ? '0 to 3' : '0, 1 or 4'}`,
      );
    // Only a kind-1 entry gets here with the repeat bit: a grouped frame's failed the check above.
    if (flags === REPEAT) {
      if (i === 0)
        this.#fail(
          this.#at + 4,
          `${this.#what(i, '')} repeats the entry before it, but is the first`,
        );
      this.#at += 5;
      this.#repeat(i, notifyKey, n, buffers);
      return;
    }
    this.#at += 5;
    let lost: LostIndications | undefined;
    if ((flags & LOST) !== 0) {
      const count = this.#revision(i, 'lost.count');
      const firstRevision = this.#revision(i, 'lost.firstRevision');
      const lastRevision = this.#revision(i, 'lost.lastRevision');
      lost = { count, firstRevision, lastRevision };
    }
    if (grouped && (flags & EVENT) === 0) {
      this.#need(4, i, 'event');
      const k = v.getUint32(this.#at, true);
      const e = this.#events[k];
      if (e === undefined)
        this.#fail(
          this.#at,
          `${this.#what(i, 'event')} is ${k}, the frame has ${this.#events.length} events before it`,
        );
      this.#at += 4;
      buffers[i] = this.#eventBuffers[k] as Uint8Array;
      const w = withObjectOf(e, notifyKey, e.revision);
      n[i] = lost === undefined ? w : { ...w, lost };
      return;
    }
    this.#need(12, i, 'filterAndType');
    const objectType = v.getUint32(this.#at, true);
    const filterFlags = v.getFloat64(this.#at + 4, true);
    if (!Number.isInteger(filterFlags))
      this.#fail(
        this.#at + 4,
        `${this.#what(i, 'filterAndType.filterFlags')} is ${filterFlags}, expected an integer`,
      );
    this.#at += 12;
    const objectId = this.#field(0, i, 'objectId');
    const parentId = this.#field(1, i, 'parentId');
    const name = this.#field(2, i, 'name');
    const type = this.#field(3, i, 'type');
    this.#buffer(i, buffers);
    const revision = this.#revision(i, 'revision');
    const w = {
      notifyKey,
      filterAndType: this.#filterAndType(objectType, filterFlags),
      objectId,
      parentId,
      name,
      type,
      buffer: '',
      revision,
    };
    n[i] = lost === undefined ? w : { ...w, lost };
    if (grouped) {
      this.#events.push(w);
      this.#eventBuffers.push(buffers[i] as Uint8Array);
    }
  }

  /** The rest of repeat entry `i` (D60): its payload and revision, the rest from entry `i - 1`. */
  #repeat(i: number, notifyKey: number, n: WireNotificationV2[], buffers: Uint8Array[]): void {
    this.#buffer(i, buffers);
    n[i] = withObjectOf(n[i - 1] as WireNotificationV2, notifyKey, this.#revision(i, 'revision'));
  }

  /** Entry `i`'s payload (its u32 length, then the bytes) into `buffers[i]`, a view into the frame. */
  #buffer(i: number, buffers: Uint8Array[]): void {
    this.#need(4, i, 'buffer');
    const length = this.#v.getUint32(this.#at, true);
    this.#at += 4;
    this.#need(length, i, 'buffer');
    buffers[i] = this.#b.subarray(this.#at, this.#at + length);
    this.#at += length;
  }

  /**
   * `{ objectType, filterFlags }`, the previous entry's object when both are the same: one
   * frozen object for the run of entries of one filter, not one each.
   */
  #filterAndType(objectType: number, filterFlags: number): FilterAndType {
    const last = this.#lastFilter;
    if (last.objectType === objectType && last.filterFlags === filterFlags) return last;
    this.#lastFilter = Object.freeze({ objectType, filterFlags });
    return this.#lastFilter;
  }

  /** A `str` of field `k` (0 … 3) of entry `i`. */
  #field(k: number, i: number, name: string): string {
    this.#need(4, i, name);
    const length = this.#v.getUint32(this.#at, true);
    this.#at += 4;
    return this.#string(k, length, i, name);
  }

  /** The text of the `length` bytes at the cursor, for slot `k` of the last texts. */
  #string(k: number, length: number, i: number, name: string): string {
    this.#need(length, i, name);
    const start = this.#at;
    const end = start + length;
    this.#at = end;
    const last = this.#last[k] as LastText;
    const v = this.#v;
    if (last.end - last.start === length && sameBytes(v, start, last.view, last.start, length)) {
      // Point at the new bytes, so that an old frame is not kept alive for its text.
      last.view = v;
      last.start = start;
      last.end = end;
      return last.text;
    }
    const text = this.#decode(start, end, i, name);
    last.view = v;
    last.start = start;
    last.end = end;
    last.text = text;
    return text;
  }

  /** The UTF-8 text of bytes `start` … `end`; ASCII without a decoder. */
  #decode(start: number, end: number, i: number, name: string): string {
    const b = this.#b;
    if (end - start <= 64) {
      let ascii = true;
      for (let j = start; j < end; j++)
        if ((b[j] as number) >= 0x80) {
          ascii = false;
          break;
        }
      // ASCII is Latin-1 too; a Buffer cuts it ~3x faster than building it from char codes.
      if (ascii)
        return (
          this.#node?.latin1Slice(start, end) ??
          String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[])
        );
    }
    try {
      return strictUtf8.decode(b.subarray(start, end));
    } catch {
      return this.#fail(start, `${this.#what(i, name)} is not well-formed UTF-8`);
    }
  }

  #revision(i: number, name: string): number {
    this.#need(8, i, name);
    const r = this.#v.getFloat64(this.#at, true);
    if (!Number.isSafeInteger(r) || r < 0)
      this.#fail(this.#at, `${this.#what(i, name)} is ${r}, expected a non-negative integer`);
    this.#at += 8;
    return r;
  }

  /** Fails unless `n` more bytes are there for field `name` of entry `i` (-1: of the frame). */
  #need(n: number, i: number, name: string): void {
    if (this.#b.length - this.#at < n)
      this.#fail(
        this.#at,
        `${this.#what(i, name)} runs past the end of the frame (${this.#b.length} bytes)`,
      );
  }

  #fail(at: number, message: string): never {
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    throw new Malformed(`${message} (at byte ${at})`);
  }
}

const READER = new Reader();
