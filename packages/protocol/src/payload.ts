/**
 * Codecs for the `buffer` payloads of version-2 indications (§3.1.4.2.138 payload table) and
 * for PROPERTY_LIST (§2.2.3.10). All integers are little-endian; strings are UTF-16LE with a
 * terminating NUL (docs/decisions.md, "Payload encodings"). Pure: no host APIs.
 */

/** CLUSPROP_SYNTAX values used in property lists (§2.2.3.10.1). */
export const ClusPropSyntax = {
  ENDMARK: 0x00000000,
  NAME: 0x00040003,
  LIST_VALUE_BINARY: 0x00010001,
  LIST_VALUE_DWORD: 0x00010002,
  LIST_VALUE_SZ: 0x00010003,
  LIST_VALUE_EXPAND_SZ: 0x00010004,
  LIST_VALUE_MULTI_SZ: 0x00010005,
  LIST_VALUE_ULARGE_INTEGER: 0x00010006,
  LIST_VALUE_LONG: 0x00010007,
} as const;
export type ClusPropSyntax = (typeof ClusPropSyntax)[keyof typeof ClusPropSyntax];

/**
 * A property value as clusnotify models it: an unsigned 32-bit integer (DWORD), a negative
 * 32-bit integer (LONG), a string (SZ), or a list of strings (MULTI_SZ).
 */
export type PropertyValue = number | string | readonly string[];

/** A set of named property values. */
export type PropertyMap = Readonly<Record<string, PropertyValue>>;

/** A malformed payload; `offset` is where decoding stopped. */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

/** Bytes of the blocks payloads are cut from (see {@link cut}). */
const SLAB_BYTES = 16 * 1024;
/** Payloads larger than this get an allocation of their own. */
const SLAB_PIECE_MAX = 2048;

/**
 * Whether a Uint16Array keeps its units little-endian here (every platform Node.js and the
 * browsers run on). Then UTF-16LE text is written and read through one, a unit per element,
 * instead of a DataView call per unit; elsewhere the DataView path does it.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The units of `buffer` as a Uint16Array when they can be read as UTF-16LE that way. */
function unitsOf(buffer: ArrayBufferLike, byteOffset: number, byteLength: number) {
  return LITTLE_ENDIAN && byteOffset % 2 === 0
    ? new Uint16Array(buffer, byteOffset, byteLength >> 1)
    : undefined;
}

/**
 * Memory a payload is written to or read from: a DataView and (see {@link LITTLE_ENDIAN}) the
 * same bytes as UTF-16 units, both from `base` of the memory's start; offsets given to the
 * functions below count from the payload's first byte.
 */
interface Memory {
  readonly view: DataView;
  readonly units: Uint16Array | undefined;
  base: number;
}

/** The memory of the whole of `buffer` (`base` 0). */
function memoryOver(buffer: ArrayBuffer): Memory {
  return { view: new DataView(buffer), units: unitsOf(buffer, 0, buffer.byteLength), base: 0 };
}

let slab = new ArrayBuffer(SLAB_BYTES);
let slabMemory = memoryOver(slab);
let slabUsed = 0;

/**
 * `n` zeroed bytes for a payload, of its own, with the {@link Memory} to write them through:
 * cut from a shared block unless large. One event makes one or two payloads, and a typed array
 * allocation of more than 64 bytes costs V8 a backing store of its own (~0.6 µs measured,
 * against ~0.03 µs for a piece of a block), a DataView ~0.1 µs: the block's views serve every
 * piece cut from it. A piece is never handed out twice, so it starts zeroed as a new array
 * does; a block lives while any payload cut from it does. Pieces start at multiples of 4 bytes
 * (UTF-16 units and DWORDs aligned); pieces cut one after another lie at distinct offsets of
 * their block, which the server's frame cache tells the changes of one commit apart by
 * (docs/benchmarks.md, "The frame cache told the changes of one commit apart").
 *
 * The returned memory object is the block's own (its `base` set to the piece): use it before
 * the next cut.
 */
function cut(n: number): { out: Uint8Array; memory: Memory } {
  if (n > SLAB_PIECE_MAX) {
    const own = new ArrayBuffer(n);
    return { out: new Uint8Array(own), memory: memoryOver(own) };
  }
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabMemory = memoryOver(slab);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabMemory.base = slabUsed;
  slabUsed += (n + 3) & ~3;
  return { out, memory: slabMemory };
}

/**
 * The memory of a payload to read (`base` 0). Its DataView is made on first use: text read as
 * units in place needs none.
 */
class ReadMemory implements Memory {
  readonly base = 0;
  readonly units: Uint16Array | undefined;
  #view: DataView | undefined;

  constructor(private readonly bytes: Uint8Array) {
    this.units = unitsOf(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get view(): DataView {
    const b = this.bytes;
    return (this.#view ??= new DataView(b.buffer, b.byteOffset, b.byteLength));
  }
}

/** A 4-byte little-endian unsigned integer (the DWORD payloads: states, group type). */
export function encodeDword(value: number): Uint8Array {
  const { out } = cut(4);
  const v = value >>> 0;
  out[0] = v & 0xff;
  out[1] = (v >>> 8) & 0xff;
  out[2] = (v >>> 16) & 0xff;
  out[3] = v >>> 24;
  return out;
}

/** Reads a DWORD payload. */
export function decodeDword(buffer: Uint8Array): number {
  if (buffer.length !== 4)
    throw new PayloadError(`a DWORD payload is 4 bytes, got ${buffer.length}`, 0);
  return new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, true);
}

function utf16Length(s: string): number {
  return (s.length + 1) * 2;
}

/** Writes `s` and its NUL at `offset` of `m`; returns the offset after them. */
function writeUtf16z(m: Memory, offset: number, s: string): number {
  const at = m.base + offset;
  const units = m.units;
  if (units !== undefined && at % 2 === 0) {
    const k = at >> 1;
    for (let i = 0; i < s.length; i++) units[k + i] = s.charCodeAt(i);
    units[k + s.length] = 0;
  } else {
    const view = m.view;
    for (let i = 0; i < s.length; i++) view.setUint16(at + i * 2, s.charCodeAt(i), true);
    view.setUint16(at + s.length * 2, 0, true);
  }
  return offset + utf16Length(s);
}

/** A NUL-terminated UTF-16LE string (IDs in OWNER_NODE_V2, OWNER_GROUP_V2, DELETED_V2 …). */
export function encodeUtf16z(s: string): Uint8Array {
  const { out, memory } = cut(utf16Length(s));
  writeUtf16z(memory, 0, s);
  return out;
}

/**
 * The host's UTF-16LE decoder, where it has one (Node.js and the browsers do; this package
 * builds without their types).
 */
const utf16Decoder = ((): { decode(units: Uint16Array): string } | undefined => {
  const host = globalThis as unknown as {
    TextDecoder?: new (label: 'utf-16le') => { decode(units: Uint16Array): string };
  };
  try {
    return host.TextDecoder === undefined ? undefined : new host.TextDecoder('utf-16le');
  } catch {
    return undefined;
  }
})();

/** Text of the units `from` … `to` (exclusive) of `units`, in pieces the call stack takes. */
function textOf(units: Uint16Array, from: number, to: number): string {
  const PIECE = 4096;
  if (to - from <= PIECE)
    return String.fromCharCode.apply(null, units.subarray(from, to) as unknown as number[]);
  let text = '';
  for (let k = from; k < to; k += PIECE)
    text += String.fromCharCode.apply(
      null,
      units.subarray(k, Math.min(k + PIECE, to)) as unknown as number[],
    );
  return text;
}

/**
 * The NUL-terminated UTF-16LE string at `offset` of `m`, ending by `end`; `next` is the offset
 * after its NUL. Every unit is kept as it is (lone surrogates too).
 */
function readUtf16z(m: Memory, offset: number, end: number): { value: string; next: number } {
  const units = m.units;
  if (units !== undefined && offset % 2 === 0) {
    const from = offset >> 1;
    const limit = from + Math.floor((end - offset) / 2);
    let j = from;
    let surrogates = false;
    for (; j < limit; j++) {
      const u = units[j] as number;
      if (u === 0) break;
      if (u >= 0xd800 && u <= 0xdfff) surrogates = true;
    }
    if (j === limit) throw new PayloadError('unterminated UTF-16 string', j * 2);
    // The decoder would replace a lone surrogate; text with surrogates is cut unit by unit.
    const value =
      surrogates || utf16Decoder === undefined
        ? textOf(units, from, j)
        : utf16Decoder.decode(units.subarray(from, j));
    return { value, next: j * 2 + 2 };
  }
  const view = m.view;
  const codes: number[] = [];
  let i = offset;
  for (;;) {
    if (i + 2 > end) throw new PayloadError('unterminated UTF-16 string', i);
    const c = view.getUint16(i, true);
    i += 2;
    if (c === 0) break;
    codes.push(c);
  }
  return { value: textOf(Uint16Array.from(codes), 0, codes.length), next: i };
}

/** Reads a NUL-terminated UTF-16LE string payload. */
export function decodeUtf16z(buffer: Uint8Array): string {
  const { value, next } = readUtf16z(new ReadMemory(buffer), 0, buffer.byteLength);
  if (next !== buffer.byteLength) throw new PayloadError('bytes after the string terminator', next);
  return value;
}

/** A MULTI_SZ: each string NUL-terminated, then one more NUL (an empty list is one NUL). */
export function encodeMultiSz(list: readonly string[]): Uint8Array {
  let size = 2;
  for (const s of list) size += utf16Length(s);
  const { out, memory } = cut(size);
  let at = 0;
  for (const s of list) at = writeUtf16z(memory, at, s);
  memory.view.setUint16(memory.base + at, 0, true);
  return out;
}

function readMultiSz(m: Memory, offset: number, end: number): string[] {
  const view = m.view;
  const list: string[] = [];
  let at = offset;
  for (;;) {
    if (at + 2 > end) throw new PayloadError('unterminated MULTI_SZ', at);
    if (view.getUint16(at, true) === 0) {
      if (at + 2 !== end) throw new PayloadError('bytes after the MULTI_SZ terminator', at + 2);
      return list;
    }
    const { value, next } = readUtf16z(m, at, end);
    list.push(value);
    at = next;
  }
}

/** Reads a MULTI_SZ payload. */
export function decodeMultiSz(buffer: Uint8Array): string[] {
  return readMultiSz(new ReadMemory(buffer), 0, buffer.byteLength);
}

/** `n` rounded up to a multiple of 4; arithmetic, not bitwise, so that sizes read from the wire
 * (up to 0xFFFFFFFF) neither wrap nor turn negative. */
const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

function valueSyntax(v: PropertyValue): { syntax: number; size: number } {
  if (typeof v === 'number') {
    return {
      syntax: v < 0 ? ClusPropSyntax.LIST_VALUE_LONG : ClusPropSyntax.LIST_VALUE_DWORD,
      size: 4,
    };
  }
  if (typeof v === 'string') return { syntax: ClusPropSyntax.LIST_VALUE_SZ, size: utf16Length(v) };
  let size = 2;
  for (const s of v) size += utf16Length(s);
  return { syntax: ClusPropSyntax.LIST_VALUE_MULTI_SZ, size };
}

/**
 * A PROPERTY_LIST (§2.2.3.10): DWORD count, then per property a CLUSPROP_SYNTAX_NAME entry,
 * one value entry and an ENDMARK; each entry is {syntax DWORD, size DWORD, data padded to 4}.
 */
export function encodePropertyList(props: PropertyMap): Uint8Array {
  const names = Object.keys(props);
  let size = 4;
  for (const name of names) {
    const v = valueSyntax(props[name] as PropertyValue);
    size += 8 + pad4(utf16Length(name)) + 8 + pad4(v.size) + 4;
  }
  const { out, memory } = cut(size);
  const view = memory.view;
  const base = memory.base;
  view.setUint32(base, names.length, true);
  let at = 4;
  for (const name of names) {
    const value = props[name] as PropertyValue;
    view.setUint32(base + at, ClusPropSyntax.NAME, true);
    view.setUint32(base + at + 4, utf16Length(name), true);
    writeUtf16z(memory, at + 8, name);
    at += 8 + pad4(utf16Length(name));
    const { syntax, size: vsize } = valueSyntax(value);
    view.setUint32(base + at, syntax, true);
    view.setUint32(base + at + 4, vsize, true);
    if (typeof value === 'number') {
      if (value < 0) view.setInt32(base + at + 8, value, true);
      else view.setUint32(base + at + 8, value, true);
    } else if (typeof value === 'string') writeUtf16z(memory, at + 8, value);
    else {
      let p = at + 8;
      for (const s of value) p = writeUtf16z(memory, p, s);
      view.setUint16(base + p, 0, true);
    }
    at += 8 + pad4(vsize);
    view.setUint32(base + at, ClusPropSyntax.ENDMARK, true);
    at += 4;
  }
  return out;
}

/** Reads a PROPERTY_LIST written by {@link encodePropertyList} (one value per property). */
export function decodePropertyList(buffer: Uint8Array): Record<string, PropertyValue> {
  const memory = new ReadMemory(buffer);
  const view = memory.view;
  const end = buffer.byteLength;
  need(0, 4, end);
  const count = view.getUint32(0, true);
  const out: Record<string, PropertyValue> = {};
  let at = 4;
  for (let i = 0; i < count; i++) {
    need(at, 8, end);
    if (view.getUint32(at, true) !== ClusPropSyntax.NAME)
      throw new PayloadError('expected a property name', at);
    const nameSize = view.getUint32(at + 4, true);
    need(at + 8, pad4(nameSize), end);
    const nameRead = readUtf16z(memory, at + 8, at + 8 + nameSize);
    if (nameRead.next !== at + 8 + nameSize)
      throw new PayloadError('property name size does not match its string', at + 4);
    const name = nameRead.value;
    at += 8 + pad4(nameSize);
    need(at, 8, end);
    const syntax = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    need(at + 8, pad4(size), end);
    const data = at + 8;
    switch (syntax) {
      case ClusPropSyntax.LIST_VALUE_DWORD:
      case ClusPropSyntax.LIST_VALUE_LONG:
        if (size !== 4) throw new PayloadError(`a DWORD or LONG value is 4 bytes, got ${size}`, at);
        put(
          out,
          name,
          syntax === ClusPropSyntax.LIST_VALUE_LONG
            ? view.getInt32(data, true)
            : view.getUint32(data, true),
        );
        break;
      case ClusPropSyntax.LIST_VALUE_SZ:
      case ClusPropSyntax.LIST_VALUE_EXPAND_SZ: {
        const sz = readUtf16z(memory, data, data + size);
        if (sz.next !== data + size)
          throw new PayloadError('value size does not match its string', at + 4);
        put(out, name, sz.value);
        break;
      }
      case ClusPropSyntax.LIST_VALUE_MULTI_SZ:
        put(out, name, readMultiSz(memory, data, data + size));
        break;
      default:
        throw new PayloadError(`unsupported value syntax 0x${syntax.toString(16)}`, at);
    }
    at += 8 + pad4(size);
    need(at, 4, end);
    if (view.getUint32(at, true) !== ClusPropSyntax.ENDMARK)
      throw new PayloadError('expected an end mark', at);
    at += 4;
  }
  if (at !== end) throw new PayloadError('bytes after the last property', at);
  return out;
}

/** Fails unless a property list of `end` bytes has `n` bytes at `at`. */
function need(at: number, n: number, end: number): void {
  if (at + n > end) throw new PayloadError('property list is truncated', at);
}

/**
 * Sets property `name` of `out`. A property named "__proto__" is defined, not assigned, so
 * that it does not replace the object's prototype.
 */
function put(out: Record<string, PropertyValue>, name: string, value: PropertyValue): void {
  if (name === '__proto__')
    Object.defineProperty(out, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else out[name] = value;
}
