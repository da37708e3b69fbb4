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

/** Bytes of the blocks payloads are cut from (see {@link payloadBytes}). */
const SLAB_BYTES = 16 * 1024;
/** Payloads larger than this get an allocation of their own. */
const SLAB_PIECE_MAX = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * `n` zeroed bytes for a payload, of its own: cut from a shared block unless large. One event
 * makes one or two payloads, and a typed array allocation of more than 64 bytes costs V8 a
 * backing store of its own (~0.6 µs measured, against ~0.03 µs for a piece of a block); DWORD
 * payloads were cut from a block already. A piece is never handed out twice, so it starts
 * zeroed as a new array does; a block lives while any payload cut from it does. Payloads cut
 * one after another lie at distinct offsets of their block, which the server's frame cache
 * tells the changes of one commit apart by (docs/benchmarks.md, "The frame cache told the
 * changes of one commit apart").
 */
function payloadBytes(n: number): Uint8Array {
  if (n > SLAB_PIECE_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed += n;
  return out;
}

/** A DataView over exactly the bytes of `bytes`. */
const viewOf = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A 4-byte little-endian unsigned integer (the DWORD payloads: states, group type). */
export function encodeDword(value: number): Uint8Array {
  const out = payloadBytes(4);
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

function writeUtf16z(view: DataView, offset: number, s: string): number {
  for (let i = 0; i < s.length; i++) view.setUint16(offset + i * 2, s.charCodeAt(i), true);
  view.setUint16(offset + s.length * 2, 0, true);
  return offset + utf16Length(s);
}

/** A NUL-terminated UTF-16LE string (IDs in OWNER_NODE_V2, OWNER_GROUP_V2, DELETED_V2 …). */
export function encodeUtf16z(s: string): Uint8Array {
  const out = payloadBytes(utf16Length(s));
  writeUtf16z(viewOf(out), 0, s);
  return out;
}

function readUtf16z(view: DataView, offset: number, end: number): { value: string; next: number } {
  const codes: number[] = [];
  let i = offset;
  for (;;) {
    if (i + 2 > end) throw new PayloadError('unterminated UTF-16 string', i);
    const c = view.getUint16(i, true);
    i += 2;
    if (c === 0) break;
    codes.push(c);
  }
  let value = '';
  for (let k = 0; k < codes.length; k += 4096)
    value += String.fromCharCode(...codes.slice(k, k + 4096));
  return { value, next: i };
}

/** Reads a NUL-terminated UTF-16LE string payload. */
export function decodeUtf16z(buffer: Uint8Array): string {
  const { value, next } = readUtf16z(viewOf(buffer), 0, buffer.byteLength);
  if (next !== buffer.byteLength) throw new PayloadError('bytes after the string terminator', next);
  return value;
}

/** A MULTI_SZ: each string NUL-terminated, then one more NUL (an empty list is one NUL). */
export function encodeMultiSz(list: readonly string[]): Uint8Array {
  let size = 2;
  for (const s of list) size += utf16Length(s);
  const out = payloadBytes(size);
  const view = viewOf(out);
  let at = 0;
  for (const s of list) at = writeUtf16z(view, at, s);
  view.setUint16(at, 0, true);
  return out;
}

function readMultiSz(view: DataView, offset: number, end: number): string[] {
  const list: string[] = [];
  let at = offset;
  for (;;) {
    if (at + 2 > end) throw new PayloadError('unterminated MULTI_SZ', at);
    if (view.getUint16(at, true) === 0) {
      if (at + 2 !== end) throw new PayloadError('bytes after the MULTI_SZ terminator', at + 2);
      return list;
    }
    const { value, next } = readUtf16z(view, at, end);
    list.push(value);
    at = next;
  }
}

/** Reads a MULTI_SZ payload. */
export function decodeMultiSz(buffer: Uint8Array): string[] {
  return readMultiSz(viewOf(buffer), 0, buffer.byteLength);
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
  const out = payloadBytes(size);
  const view = viewOf(out);
  view.setUint32(0, names.length, true);
  let at = 4;
  for (const name of names) {
    const value = props[name] as PropertyValue;
    view.setUint32(at, ClusPropSyntax.NAME, true);
    view.setUint32(at + 4, utf16Length(name), true);
    writeUtf16z(view, at + 8, name);
    at += 8 + pad4(utf16Length(name));
    const { syntax, size: vsize } = valueSyntax(value);
    view.setUint32(at, syntax, true);
    view.setUint32(at + 4, vsize, true);
    if (typeof value === 'number') {
      if (value < 0) view.setInt32(at + 8, value, true);
      else view.setUint32(at + 8, value, true);
    } else if (typeof value === 'string') writeUtf16z(view, at + 8, value);
    else {
      let p = at + 8;
      for (const s of value) p = writeUtf16z(view, p, s);
      view.setUint16(p, 0, true);
    }
    at += 8 + pad4(vsize);
    view.setUint32(at, ClusPropSyntax.ENDMARK, true);
    at += 4;
  }
  return out;
}

/** Reads a PROPERTY_LIST written by {@link encodePropertyList} (one value per property). */
export function decodePropertyList(buffer: Uint8Array): Record<string, PropertyValue> {
  const view = viewOf(buffer);
  const end = buffer.byteLength;
  const need = (at: number, n: number): void => {
    if (at + n > end) throw new PayloadError('property list is truncated', at);
  };
  need(0, 4);
  const count = view.getUint32(0, true);
  const out: Record<string, PropertyValue> = {};
  // defineProperty, not assignment: a property named "__proto__" must not replace the prototype.
  const put = (name: string, value: PropertyValue): void => {
    Object.defineProperty(out, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  let at = 4;
  for (let i = 0; i < count; i++) {
    need(at, 8);
    if (view.getUint32(at, true) !== ClusPropSyntax.NAME)
      throw new PayloadError('expected a property name', at);
    const nameSize = view.getUint32(at + 4, true);
    need(at + 8, pad4(nameSize));
    const nameRead = readUtf16z(view, at + 8, at + 8 + nameSize);
    if (nameRead.next !== at + 8 + nameSize)
      throw new PayloadError('property name size does not match its string', at + 4);
    const name = nameRead.value;
    at += 8 + pad4(nameSize);
    need(at, 8);
    const syntax = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    need(at + 8, pad4(size));
    const data = at + 8;
    switch (syntax) {
      case ClusPropSyntax.LIST_VALUE_DWORD:
      case ClusPropSyntax.LIST_VALUE_LONG:
        if (size !== 4) throw new PayloadError(`a DWORD or LONG value is 4 bytes, got ${size}`, at);
        put(
          name,
          syntax === ClusPropSyntax.LIST_VALUE_LONG
            ? view.getInt32(data, true)
            : view.getUint32(data, true),
        );
        break;
      case ClusPropSyntax.LIST_VALUE_SZ:
      case ClusPropSyntax.LIST_VALUE_EXPAND_SZ: {
        const sz = readUtf16z(view, data, data + size);
        if (sz.next !== data + size)
          throw new PayloadError('value size does not match its string', at + 4);
        put(name, sz.value);
        break;
      }
      case ClusPropSyntax.LIST_VALUE_MULTI_SZ:
        put(name, readMultiSz(view, data, data + size));
        break;
      default:
        throw new PayloadError(`unsupported value syntax 0x${syntax.toString(16)}`, at);
    }
    at += 8 + pad4(size);
    need(at, 4);
    if (view.getUint32(at, true) !== ClusPropSyntax.ENDMARK)
      throw new PayloadError('expected an end mark', at);
    at += 4;
  }
  if (at !== end) throw new PayloadError('bytes after the last property', at);
  return out;
}
