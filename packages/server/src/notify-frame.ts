/**
 * The bytes of `notify` frames (docs/protocol.md "Streams") and of `getNotifyV2` results for
 * version-2 ports, written straight into a buffer: no string per frame, no object per
 * indication. One event reaches many ports and every copy differs only in its notify key (and,
 * for registry events, its relative name), so the encoder writes the rest of an event once and
 * copies those bytes for every other port it reaches. Each result is a whole WebSocket text
 * frame whose payload is the UTF-8 of exactly the text `JSON.stringify` would write with
 * `toWireNotification` entries — or, from a binary encoder, a WebSocket binary frame of exactly
 * the bytes `encodeBinaryNotifyFrame` writes (docs/protocol.md §5, D53).
 *
 * Why bytes: a frame built as a string is a tree of concatenations, flattened when it is
 * written; large frames outlived young-generation collections and were most of what the
 * server's collector copied during a replay (docs/benchmarks.md, "frames written as bytes").
 */
import { Buffer } from 'node:buffer';
import {
  BINARY_NOTIFY_GROUP,
  BINARY_NOTIFY_V2,
  BinaryFlag,
  sameObject,
  toWireNotification,
  utf8Exact,
} from '@clusnotify/protocol';
import type { IndicationV2 } from '@clusnotify/protocol';

/**
 * Bytes kept free at the start of the scratch buffer for the WebSocket frame header (RFC 6455
 * §5.2: 2 bytes, plus 2 or 8 for an extended payload length; a server's frames are not masked).
 */
const HEADER_ROOM = 10;
/** First header byte of a final WebSocket frame (FIN) with opcode 1, text (RFC 6455 §5.2). */
const TEXT_OPCODE = 0x81;
/** First header byte of a final WebSocket frame (FIN) with opcode 2, binary. */
const BINARY_OPCODE = 0x82;

/** The filter of an empty cache slot: no event has it. */
const NO_FILTER_AND_TYPE = Object.freeze({ objectType: -1, filterFlags: -1 });

/** Slots of the cache of serialised events (a power of two). */
const TAIL_SLOTS = 1024;
/** Slots an event may sit in (a power of two): the cache is {@link WAYS}-way associative. */
const WAYS = 4;
/**
 * Bytes of the arena the cached events' bytes are kept in, written round and round: room for
 * every slot's event at a few hundred bytes each. An event larger than a quarter of it is not
 * cached.
 */
const ARENA_BYTES = 512 * 1024;
/** Bytes of the blocks shared frames are cut from (see `NotifyFrameEncoder.#out`). */
const OUT_BLOCK_BYTES = 256 * 1024;
/** Frames larger than this are always buffers of their own. */
const OUT_PIECE_MAX = 64 * 1024;
/** Bytes the scratch buffer starts with, and is cut back to after a frame that grew it past {@link SCRATCH_KEEP}. */
const SCRATCH_START = 64 * 1024;
const SCRATCH_KEEP = 1024 * 1024;
/** Slots of the table of a grouped frame's events it starts with, and the most it keeps after a frame. */
const GROUP_TABLE_START = 1024;
const GROUP_TABLE_KEEP = 16 * 1024;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const NOTIFY_KEY = ascii('{"notifyKey":');
const FILTER_AND_TYPE = ascii(',"filterAndType":{"objectType":');
const FILTER_FLAGS = ascii(',"filterFlags":');
const OBJECT_ID = ascii('},"objectId":');
const PARENT_ID = ascii(',"parentId":');
const NAME = ascii(',"name":');
const TYPE = ascii(',"type":');
const BUFFER = ascii(',"buffer":"');
const REVISION = ascii('","revision":');
const BASE64 = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const EQUALS = 0x3d;

/**
 * Where the serialised rest of one event (everything after its notify key) was written: the
 * fields it was made from, and its bytes in the encoder's cache arena (or, while `gen` is the
 * current frame's, in the scratch buffer). Slots are reused, so caching allocates nothing.
 */
class TailSlot {
  filterAndType: IndicationV2['filterAndType'] = NO_FILTER_AND_TYPE;
  objectId = '';
  parentId = '';
  name = '';
  type = '';
  buffer: Uint8Array | undefined = undefined;
  revision = -1;
  /** The arena lap the bytes were copied in; -1 while they are in the scratch buffer only. */
  lap = -1;
  start = 0;
  end = 0;
  /** The frame number the bytes were written in (see `lap`). */
  gen = -1;
}

/** One port's batch for a grouped frame (see {@link NotifyFrameEncoder.groupFrame}). */
export interface GroupBatch {
  readonly h: string;
  readonly list: readonly IndicationV2[];
  readonly drained: boolean;
  /** Its stream asked for repeat entries (D60): a batch sent alone, as kind 1, may use them. */
  readonly repeat?: boolean;
}

const { DRAINED, LOST, EVENT, REPEAT } = BinaryFlag;

/**
 * Encodes `notify` frames and `getNotifyV2` results of version-2 indications. One per server:
 * an event streamed to many connections is serialised once. A cached event is used only when
 * every field and the payload object match, so two events that happen to share a payload are
 * still encoded exactly.
 */
export class NotifyFrameEncoder {
  /**
   * @param binary a binary encoder writes `binaryFrameV2` (docs/protocol.md §5 "Binary notify
   * frames", D53), a JSON one `frameV2` and `resultV2`. One encoder per format: the cached bytes
   * are the format's.
   */
  constructor(readonly binary = false) {}

  /**
   * The block frames of up to {@link OUT_PIECE_MAX} bytes are cut from when their caller says
   * they may be shared (`shared`), one after another, never twice: a frame of its own above
   * 4 KiB is a backing store of its own for V8 (`Buffer.allocUnsafe`), ~3.5 % of the server at
   * 100 watchers with a connection each (docs/benchmarks.md, "What moved in session 19"). A
   * frame a stalled socket keeps keeps its whole block, so the server asks for shared frames
   * only for a socket that holds nothing unsent, whose frame leaves at once (or at the end of
   * the pass) and lets the block go; a socket with bytes queued gets frames of their own and
   * holds at most the one block its first unsent frame came from.
   */
  #out = Buffer.allocUnsafeSlow(0);
  #outUsed = 0;

  /**
   * The arena (its first {@link ARENA_BYTES}) and the scratch buffer (the rest) in one buffer.
   * The arena keeps the cached events' bytes, copied out of each frame as it is made (see
   * {@link TailSlot}), apart from the frames so that a sent frame is garbage once written:
   * frames the cache pointed at lived for a quarter of a second at 1,000 changes/s, past two
   * young-generation collections, and their promotion kept the server in full collections
   * every ~100 ms (docs/benchmarks.md, "The frame cache keeps its own bytes"). One buffer
   * so that bytes move between them with `copyWithin`: ~22 ns for an event's few hundred
   * bytes, where `Buffer#copy` between two buffers costs ~59 ns (it makes a view of the source
   * each time; measured on Node 20). A scratch buffer that must grow takes a bigger one with
   * the arena copied over.
   */
  #mem = Buffer.allocUnsafeSlow(ARENA_BYTES + SCRATCH_START);
  /** Where frames are written; a view of {@link #mem} after the arena. */
  #scratch = this.#mem.subarray(ARENA_BYTES);
  /** Set while a binary frame is written when a string holds text UTF-8 cannot carry. */
  #inexact = false;
  #pos = 0;
  #gen = 0;
  /** Where the next cached event's bytes go in the arena. */
  #arenaAt = 0;
  #lap = 0;
  readonly #slots: TailSlot[] = Array.from({ length: TAIL_SLOTS }, () => new TailSlot());
  /** Slots written in the current frame, their bytes copied into the arena once it is made. */
  readonly #pending: TailSlot[] = [];
  /**
   * The grouped frame being written: its events by index (none at a lost-events entry's), and a
   * table of them by hash (index + 1; 0 empty).
   */
  readonly #groupEvents: (IndicationV2 | undefined)[] = [];
  #groupTable = new Int32Array(GROUP_TABLE_START);
  #writes = 0;
  #copies = 0;

  /**
   * Events serialised (`written`) and events copied from bytes serialised before (`copied`),
   * since the encoder was made; lost-events entries are in neither.
   */
  get counts(): { readonly written: number; readonly copied: number } {
    return { written: this.#writes, copied: this.#copies };
  }

  /**
   * A WebSocket text frame (header and payload, ready to write to the socket) of
   * `{ t: 'notify', h, n: list.map(toWireNotification), drained }`. For a JSON encoder.
   * `shared`: the frame may be cut from a block shared with other frames (see {@link #out}).
   */
  frameV2(h: string, list: readonly IndicationV2[], drained: boolean, shared = false): Buffer {
    this.#json();
    this.#begin();
    this.#text(`{"t":"notify","h":${JSON.stringify(h)},"n":[`);
    this.#entries(list);
    this.#text(drained ? '],"drained":true}' : '],"drained":false}');
    return this.#finish(TEXT_OPCODE, shared);
  }

  /**
   * A WebSocket binary frame of port `h`'s batch (the bytes `encodeBinaryNotifyFrame` writes,
   * with the same `repeat`), or undefined for a batch with a string UTF-8 cannot carry (a lone
   * surrogate): send that one as JSON. For a binary encoder. `shared` as for {@link frameV2}.
   */
  binaryFrameV2(
    h: string,
    list: readonly IndicationV2[],
    drained: boolean,
    shared = false,
    repeat = false,
  ): Buffer | undefined {
    if (!this.binary) throw new Error('binaryFrameV2 on a JSON encoder');
    this.#begin();
    this.#inexact = false;
    this.#room(2);
    this.#scratch[this.#pos] = BINARY_NOTIFY_V2;
    this.#scratch[this.#pos + 1] = drained ? DRAINED : 0;
    this.#pos += 2;
    this.#handle(h);
    this.#u32(list.length);
    this.#binaryEntries(list, repeat);
    return this.#finishBinary(shared);
  }

  /**
   * A WebSocket binary frame of a grouped frame (kind 2, docs/protocol.md §5, D55) holding
   * `batches` in order, each event's bytes once: an entry whose event the frame already holds
   * refers to it by index. Undefined for batches with a string UTF-8 cannot carry: send those
   * one by one, as JSON where {@link binaryFrameV2} says so. For a binary encoder. `shared` as
   * for {@link frameV2}.
   */
  groupFrame(batches: readonly GroupBatch[], shared = false): Buffer | undefined {
    if (!this.binary) throw new Error('groupFrame on a JSON encoder');
    this.#begin();
    this.#inexact = false;
    this.#room(8);
    this.#scratch[this.#pos] = BINARY_NOTIFY_GROUP;
    this.#scratch[this.#pos + 1] = 0;
    this.#scratch.writeUInt16LE(0, this.#pos + 2);
    this.#scratch.writeUInt32LE(batches.length, this.#pos + 4);
    this.#pos += 8;
    let events = 0;
    for (const { h, list, drained } of batches) {
      this.#byte(drained ? DRAINED : 0);
      this.#handle(h);
      this.#u32(list.length);
      for (let k = 0; k < list.length; k++) {
        const i = list[k] as IndicationV2;
        this.#u32(i.notifyKey);
        if (i.lost !== undefined) {
          this.#byte(LOST | EVENT);
          this.#lost(i, i.lost);
          events++;
          continue;
        }
        const seen = this.#numbered(i, events);
        if (seen >= 0) {
          this.#byte(0);
          this.#u32(seen);
          continue;
        }
        this.#byte(EVENT);
        this.#tail(i);
        events++;
      }
    }
    this.#forgetNumbered();
    return this.#finishBinary(shared);
  }

  /**
   * The index of `i`'s event in the grouped frame being written, or -1 after numbering it
   * `next`: an exact table of the frame's events (open addressing), apart from the byte cache,
   * whose pairs may give an event's place to another within one frame.
   */
  #numbered(i: IndicationV2, next: number): number {
    let table = this.#groupTable;
    const events = this.#groupEvents;
    let at = eventHash(i) & (table.length - 1);
    for (let v = table[at] as number; v !== 0; v = table[at] as number) {
      if (sameEvent(events[v - 1] as IndicationV2, i)) return v - 1;
      at = (at + 1) & (table.length - 1);
    }
    events[next] = i;
    table[at] = next + 1;
    if ((next + 1) * 2 > table.length) {
      table = new Int32Array(table.length * 2);
      for (let k = 0; k <= next; k++) {
        // A lost-events entry takes an event number but no place in the table (never referred to).
        const e = events[k];
        if (e === undefined) continue;
        let a = eventHash(e) & (table.length - 1);
        while (table[a] !== 0) a = (a + 1) & (table.length - 1);
        table[a] = k + 1;
      }
      this.#groupTable = table;
    }
    return -1;
  }

  #forgetNumbered(): void {
    this.#groupEvents.length = 0;
    if (this.#groupTable.length > GROUP_TABLE_KEEP)
      this.#groupTable = new Int32Array(GROUP_TABLE_START);
    else this.#groupTable.fill(0);
  }

  /**
   * A WebSocket text frame of the result of a successful `getNotifyV2` call `id` (ApiGetNotifyV2,
   * §3.1.4.2.138):
   * `{ t: 'result', id, r: { type: 'ok', status: 0, notifications: list.map(toWireNotification) } }`.
   */
  resultV2(id: number, list: readonly IndicationV2[]): Buffer {
    this.#json();
    this.#begin();
    this.#text(
      `{"t":"result","id":${JSON.stringify(id)},"r":{"type":"ok","status":0,"notifications":[`,
    );
    this.#entries(list);
    this.#text(']}}');
    return this.#finish(TEXT_OPCODE, false);
  }

  #json(): void {
    if (this.binary) throw new Error('a JSON frame from a binary encoder');
  }

  #begin(): void {
    this.#pos = HEADER_ROOM;
    this.#gen++;
    this.#pending.length = 0;
  }

  /** A port handle of a binary layout: its UTF-8 bytes after their length (u16). */
  #handle(h: string): void {
    this.#room(2);
    const at = this.#pos;
    this.#pos += 2;
    this.#text(h);
    this.#scratch.writeUInt16LE(this.#pos - at - 2, at);
  }

  /** The binary frame written since {@link #begin}, or undefined when UTF-8 cannot carry it. */
  #finishBinary(shared: boolean): Buffer | undefined {
    if (this.#inexact) {
      // The slots this frame wrote keep no bytes: they were never copied to the arena, and
      // their bytes in the scratch buffer belong to this frame's generation only.
      this.#pending.length = 0;
      return undefined;
    }
    return this.#finish(BINARY_OPCODE, shared);
  }

  #finish(opcode: number, shared: boolean): Buffer {
    // The header goes right before the payload; `from` is where the frame starts.
    const from = writeHeader(this.#scratch, HEADER_ROOM, this.#pos - HEADER_ROOM, opcode);
    const frame = this.#frameBuffer(this.#pos - from, shared);
    this.#scratch.copy(frame, 0, from, this.#pos);
    for (const slot of this.#pending) this.#keep(slot);
    this.#pending.length = 0;
    if (this.#scratch.length > SCRATCH_KEEP) this.#resize(SCRATCH_START, 0);
    return frame;
  }

  /** `n` bytes for a frame: cut from the shared block when `shared` and small enough. */
  #frameBuffer(n: number, shared: boolean): Buffer {
    if (!shared || n > OUT_PIECE_MAX) return Buffer.allocUnsafe(n);
    if (this.#outUsed + n > this.#out.length) {
      this.#out = Buffer.allocUnsafeSlow(OUT_BLOCK_BYTES);
      this.#outUsed = 0;
    }
    const frame = this.#out.subarray(this.#outUsed, this.#outUsed + n);
    this.#outUsed += n;
    return frame;
  }

  /** Copies the bytes of `slot` (in the scratch buffer) into the arena, or forgets them. */
  #keep(slot: TailSlot): void {
    const n = slot.end - slot.start;
    if (n > ARENA_BYTES / 4) {
      slot.gen = -1;
      slot.lap = -1;
      return;
    }
    if (this.#arenaAt + n > ARENA_BYTES) {
      this.#arenaAt = 0;
      this.#lap++;
    }
    this.#mem.copyWithin(this.#arenaAt, ARENA_BYTES + slot.start, ARENA_BYTES + slot.end);
    slot.lap = this.#lap;
    slot.start = this.#arenaAt;
    slot.end = this.#arenaAt + n;
    this.#arenaAt += n;
  }

  #entries(list: readonly IndicationV2[]): void {
    for (let k = 0; k < list.length; k++) {
      if (k > 0) this.#byte(COMMA);
      const i = list[k] as IndicationV2;
      if (i.lost !== undefined) {
        this.#text(JSON.stringify(toWireNotification(i)));
        continue;
      }
      this.#bytes(NOTIFY_KEY);
      this.#number(i.notifyKey);
      this.#tail(i);
    }
  }

  /**
   * The entries of a binary frame: per port the notify key and flags, then the event's bytes;
   * with `repeat`, of an entry of the same object as the one before it only the payload and
   * revision (D60: written here, not from the cache, as they are a copy of the payload anyway).
   */
  #binaryEntries(list: readonly IndicationV2[], repeat: boolean): void {
    let previous: IndicationV2 | undefined;
    for (let k = 0; k < list.length; k++) {
      const i = list[k] as IndicationV2;
      this.#u32(i.notifyKey);
      if (i.lost !== undefined) {
        this.#byte(LOST);
        this.#lost(i, i.lost);
      } else if (repeat && previous !== undefined && sameObject(previous, i)) {
        this.#byte(REPEAT);
        this.#u32(i.buffer.length);
        this.#bytes(i.buffer);
        this.#f64(i.revision);
        continue;
      } else {
        this.#byte(0);
        this.#tail(i);
      }
      previous = i;
    }
  }

  /** A lost-events entry after its notify key and flags: the counts, then the event's fields. */
  #lost(i: IndicationV2, lost: NonNullable<IndicationV2['lost']>): void {
    this.#f64(lost.count);
    this.#f64(lost.firstRevision);
    this.#f64(lost.lastRevision);
    this.#binaryFields(i);
  }

  /**
   * Writes everything of `i` after its notify key, from the cache when it holds the event. The
   * cache is four-way: an event may sit in any slot of its set of {@link WAYS}, and a new one
   * replaces the set's oldest, so the two states one resource passes through in one commit (the
   * same fields but the payload) do not keep pushing each other out, nor do three of a busy
   * commit's changes that share a set. Two-way until session 18: a commit of 64 changes of one
   * resource met three in one pair often enough that 137,214 of 3.2 M events were serialised
   * in the notify-frame benchmark's busy workload; 36,146 four-way (32,000 at least).
   */
  #tail(i: IndicationV2): void {
    const h = eventHash(i) & (TAIL_SLOTS - WAYS);
    const slots = this.#slots;
    let oldest = slots[h] as TailSlot;
    for (let k = h; k < h + WAYS; k++) {
      const slot = slots[k] as TailSlot;
      if (this.#copied(slot, i)) return;
      if (slot.gen < oldest.gen) oldest = slot;
    }
    this.#writeTail(i, oldest);
  }

  /** Copies the cached bytes of `slot` when it holds `i` and they are at hand; false otherwise. */
  #copied(slot: TailSlot, i: IndicationV2): boolean {
    if (!sameEvent(slot, i)) return false;
    const n = slot.end - slot.start;
    this.#room(n);
    if (slot.gen === this.#gen) this.#scratch.copyWithin(this.#pos, slot.start, slot.end);
    else if (
      // Still in the arena: written this lap, or last lap beyond what this lap has overwritten.
      slot.lap >= 0 &&
      (slot.lap === this.#lap || (slot.lap === this.#lap - 1 && slot.start >= this.#arenaAt))
    )
      this.#mem.copyWithin(ARENA_BYTES + this.#pos, slot.start, slot.end);
    else return false;
    this.#pos += n;
    this.#copies++;
    return true;
  }

  #writeTail(i: IndicationV2, slot: TailSlot): void {
    const start = this.#pos;
    if (this.binary) this.#binaryFields(i);
    else this.#jsonFields(i);
    // A slot rewritten within this frame is already pending: listing it twice would move its
    // offsets twice when the frame is made.
    if (slot.gen !== this.#gen) this.#pending.push(slot);
    this.#writes++;
    slot.filterAndType = i.filterAndType;
    slot.objectId = i.objectId;
    slot.parentId = i.parentId;
    slot.name = i.name;
    slot.type = i.type;
    slot.buffer = i.buffer;
    slot.revision = i.revision;
    slot.lap = -1;
    slot.start = start;
    slot.end = this.#pos;
    slot.gen = this.#gen;
  }

  /** An event's fields after its notify key, as JSON (the rest of a `toWireNotification` entry). */
  #jsonFields(i: IndicationV2): void {
    const { objectType, filterFlags } = i.filterAndType;
    this.#bytes(FILTER_AND_TYPE);
    this.#number(objectType);
    this.#bytes(FILTER_FLAGS);
    this.#number(filterFlags);
    this.#bytes(OBJECT_ID);
    this.#string(i.objectId);
    this.#bytes(PARENT_ID);
    this.#string(i.parentId);
    this.#bytes(NAME);
    this.#string(i.name);
    this.#bytes(TYPE);
    this.#string(i.type);
    this.#bytes(BUFFER);
    this.#base64(i.buffer);
    this.#bytes(REVISION);
    this.#number(i.revision);
    this.#byte(CLOSE_BRACE);
  }

  /** An event's fields after its notify key and flags, in the binary layout. */
  #binaryFields(i: IndicationV2): void {
    this.#u32(i.filterAndType.objectType);
    this.#f64(i.filterAndType.filterFlags);
    this.#str(i.objectId);
    this.#str(i.parentId);
    this.#str(i.name);
    this.#str(i.type);
    this.#u32(i.buffer.length);
    this.#bytes(i.buffer);
    this.#f64(i.revision);
  }

  #u32(n: number): void {
    this.#room(4);
    this.#scratch.writeUInt32LE(n, this.#pos);
    this.#pos += 4;
  }

  #f64(n: number): void {
    this.#room(8);
    this.#scratch.writeDoubleLE(n, this.#pos);
    this.#pos += 8;
  }

  /** Writes `s` as a binary `str`: its UTF-8 length, then the UTF-8; ASCII without a byte copy of a string. */
  #str(s: string): void {
    const n = s.length;
    this.#room(4 + n * 3);
    const b = this.#scratch;
    const at = this.#pos + 4;
    let k = 0;
    for (; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) break;
      b[at + k] = c;
    }
    let length = k;
    if (k < n) {
      if (!utf8Exact(s)) this.#inexact = true;
      length = b.write(s, at, 'utf8');
    }
    b.writeUInt32LE(length, this.#pos);
    this.#pos = at + length;
  }

  /** Makes room for `n` more bytes in the scratch buffer. */
  #room(n: number): void {
    if (this.#pos + n <= this.#scratch.length) return;
    this.#resize(Math.max(this.#scratch.length * 2, this.#pos + n), this.#pos);
  }

  /** Gives the scratch buffer `bytes`, keeping the arena and its first `keep` bytes. */
  #resize(bytes: number, keep: number): void {
    const mem = Buffer.allocUnsafeSlow(ARENA_BYTES + bytes);
    this.#mem.copy(mem, 0, 0, ARENA_BYTES + keep);
    this.#mem = mem;
    this.#scratch = mem.subarray(ARENA_BYTES);
  }

  #byte(b: number): void {
    this.#room(1);
    this.#scratch[this.#pos++] = b;
  }

  #bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#scratch.set(b, this.#pos);
    this.#pos += b.length;
  }

  /** Writes `s` as UTF-8. */
  #text(s: string): void {
    this.#room(s.length * 3);
    this.#pos += this.#scratch.write(s, this.#pos, 'utf8');
  }

  /** Writes `n` as `JSON.stringify` does. */
  #number(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) return this.#text(JSON.stringify(n));
    let digits = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
    this.#room(digits);
    const s = this.#scratch;
    let at = this.#pos + digits;
    this.#pos = at;
    let v = n;
    do {
      s[--at] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** Writes `s` as a JSON string, as `JSON.stringify` does; printable ASCII without a byte copy of a string. */
  #string(s: string): void {
    const n = s.length;
    this.#room(n + 2);
    const b = this.#scratch;
    let at = this.#pos;
    b[at++] = QUOTE;
    for (let k = 0; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH)
        return this.#text(JSON.stringify(s)); // escapes and non-ASCII: from the start
      b[at++] = c;
    }
    b[at++] = QUOTE;
    this.#pos = at;
  }

  /** Writes `bytes` as standard base64 with padding (RFC 4648 §4). */
  #base64(bytes: Uint8Array): void {
    const len = bytes.length;
    this.#room(Math.ceil(len / 3) * 4);
    const b = this.#scratch;
    let at = this.#pos;
    let i = 0;
    for (; i + 2 < len; i += 3) {
      const v =
        ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
      b[at++] = BASE64[v >> 18] as number;
      b[at++] = BASE64[(v >> 12) & 63] as number;
      b[at++] = BASE64[(v >> 6) & 63] as number;
      b[at++] = BASE64[v & 63] as number;
    }
    const rest = len - i;
    if (rest > 0) {
      const v = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
      b[at++] = BASE64[v >> 18] as number;
      b[at++] = BASE64[(v >> 12) & 63] as number;
      b[at++] = rest === 2 ? (BASE64[(v >> 6) & 63] as number) : EQUALS;
      b[at++] = EQUALS;
    }
    this.#pos = at;
  }
}

/**
 * A hash of `i`'s event (not its notify key) from its numbers, lengths, the payload's first and
 * last bytes and its offset in its `ArrayBuffer`, mixed so that the events of consecutive
 * revisions, alike in everything else, spread over the whole table (the low bits pick a slot).
 *
 * The offset tells apart the changes of one commit: they share their revision and often
 * everything else but a counter mid-payload (one busy resource), and the payload encoders cut
 * the payloads of one commit from one block one after another (`cut` in
 * @clusnotify/protocol). Until session 17 the hash had no such part: all of those changes fell
 * in one set of slots and pushed each other out, and at 1,000 watchers almost every
 * indication was serialised again (docs/benchmarks.md, "The frame cache told the changes of
 * one commit apart"). Reading the whole payload would cost each port's copy as much as the
 * copy itself; a number per payload object from a WeakMap cost ~0.7 µs per event.
 */
function eventHash(i: IndicationV2): number {
  const { objectType, filterFlags } = i.filterAndType;
  const buffer = i.buffer;
  const n = buffer.length;
  let x = Math.imul(i.revision | 0, 0x9e3779b1);
  x ^= Math.imul(objectType + (filterFlags % 8191) * 61, 0x85ebca6b);
  x ^= Math.imul(
    i.name.length * 131 +
      i.objectId.length +
      n * 7 +
      buffer.byteOffset * 40503 +
      (n > 0 ? (buffer[0] as number) * 17 + (buffer[n - 1] as number) * 3 : 0),
    0xc2b2ae35,
  );
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  return x ^ (x >>> 13);
}

/**
 * Whether `a` (an indication, or a cache slot) is of `i`'s event: every field the same, the
 * payload the same object.
 */
function sameEvent(a: EventFields, i: IndicationV2): boolean {
  return (
    a.buffer === i.buffer &&
    a.revision === i.revision &&
    a.name === i.name &&
    a.objectId === i.objectId &&
    a.filterAndType.filterFlags === i.filterAndType.filterFlags &&
    a.filterAndType.objectType === i.filterAndType.objectType &&
    a.parentId === i.parentId &&
    a.type === i.type
  );
}

/** The fields of an event {@link sameEvent} compares. */
type EventFields = Pick<
  IndicationV2,
  'filterAndType' | 'objectId' | 'parentId' | 'name' | 'type' | 'revision'
> & { readonly buffer: Uint8Array | undefined };

/**
 * Writes the header of an unmasked, final WebSocket frame (`first`: FIN and opcode) whose
 * `length`-byte payload starts at `at` in `b`, right before it (RFC 6455 §5.2); returns where
 * the header starts. `at` must leave room for it ({@link HEADER_ROOM}).
 */
function writeHeader(b: Buffer, at: number, length: number, first = TEXT_OPCODE): number {
  if (length < 126) {
    b[at - 2] = first;
    b[at - 1] = length;
    return at - 2;
  }
  if (length < 0x10000) {
    b[at - 4] = first;
    b[at - 3] = 126;
    b.writeUInt16BE(length, at - 2);
    return at - 4;
  }
  b[at - 10] = first;
  b[at - 9] = 127;
  b.writeUInt32BE(Math.floor(length / 0x100000000), at - 8);
  b.writeUInt32BE(length >>> 0, at - 4);
  return at - 10;
}

/**
 * `text` as one unmasked, final WebSocket text frame (RFC 6455 §5.2), header and UTF-8 payload
 * in one buffer: the server writes it to the socket in one call.
 */
export function websocketTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(HEADER_ROOM + length);
  frame.write(text, HEADER_ROOM, 'utf8');
  return frame.subarray(writeHeader(frame, HEADER_ROOM, length));
}
