/**
 * Standard base64 (RFC 4648 §4) for `buffer` payloads on the wire: portable code, with Node.js's
 * native decoder used for longer text where it is at hand.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes bytes as base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      (ALPHABET[n >> 18] as string) +
      (ALPHABET[(n >> 12) & 63] as string) +
      (ALPHABET[(n >> 6) & 63] as string) +
      (ALPHABET[n & 63] as string);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += (ALPHABET[n >> 18] as string) + (ALPHABET[(n >> 12) & 63] as string) + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out +=
      (ALPHABET[n >> 18] as string) +
      (ALPHABET[(n >> 12) & 63] as string) +
      (ALPHABET[(n >> 6) & 63] as string) +
      '=';
  }
  return out;
}

/** `=`, the padding character. */
const PAD = 61;
/**
 * Sextet of each ASCII character; -1 for characters outside the alphabet. Int32 on purpose:
 * a -1 shifted left stays negative, so one sign test checks a whole quad (see fromBase64).
 */
const SEXTET = new Int32Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes padded base64; undefined when `text` is not valid base64: a length that is not a
 * multiple of 4, a character outside the alphabet, or `=` anywhere but the last one or two
 * places. Bits left over by padding are ignored.
 *
 * Hot on the client (every indication's `buffer`, docs/protocol.md §5): it reads a quad at a
 * time and tests a quad's four sextets with one sign check instead of a branch per character.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  const pad =
    length === 0 || text.charCodeAt(length - 1) !== PAD
      ? 0
      : text.charCodeAt(length - 2) !== PAD
        ? 1
        : 2;
  const bytes = (length / 4) * 3 - pad;
  if (nodeBuffer !== undefined && length >= NATIVE_FROM) return fromBase64Native(text, bytes);
  const out = allocate(bytes);
  // Quads without padding; the padded last quad is decoded after the loop.
  const whole = pad === 0 ? length : length - 4;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const n = quad(
      text.charCodeAt(i),
      text.charCodeAt(i + 1),
      text.charCodeAt(i + 2),
      text.charCodeAt(i + 3),
    );
    if (n < 0) return undefined;
    out[o] = n >> 16;
    out[o + 1] = (n >> 8) & 255;
    out[o + 2] = n & 255;
    o += 3;
  }
  if (pad !== 0) {
    // `A` (sextet 0) stands in for the padding: its bits are the ones ignored.
    const A = 65;
    const n = quad(
      text.charCodeAt(whole),
      text.charCodeAt(whole + 1),
      pad === 1 ? text.charCodeAt(whole + 2) : A,
      A,
    );
    if (n < 0) return undefined;
    out[o] = n >> 16;
    if (pad === 1) out[o + 1] = (n >> 8) & 255;
  }
  return out;
}

/** The part of Node.js's `Buffer` the decoder uses. */
interface NodeBuffer {
  from(text: string, encoding: 'base64'): Uint8Array;
}

/** Node.js's `Buffer` where there is one (the protocol package also runs in browsers). */
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** Base64 text from this length on is decoded natively where Node.js's `Buffer` is at hand. */
const NATIVE_FROM = 32;

/**
 * {@link fromBase64} by Node.js's native decoder: ~140 ns against ~560 ns in JS for a 344-character
 * payload, a seventh of a watcher's work per indication (docs/benchmarks.md). The native decoder
 * is lenient — it skips characters outside the alphabet and whitespace, stops at `=`, and takes
 * the URL-safe `-` and `_` too — so the text is valid exactly when no `-` or `_` is in it and it
 * decodes to the `bytes` its length and padding call for: every skipped or early-ending
 * character leaves fewer sextets, hence fewer bytes. Returns a plain `Uint8Array` view (cut from
 * Node's shared pool, as small Buffers are), not the Buffer itself.
 */
function fromBase64Native(text: string, bytes: number): Uint8Array | undefined {
  if (text.includes('-') || text.includes('_')) return undefined;
  const b = (nodeBuffer as NodeBuffer).from(text, 'base64');
  return b.length === bytes ? new Uint8Array(b.buffer, b.byteOffset, b.length) : undefined;
}

/** The decoded form of an empty `buffer` (no payload), shared: it has no bytes to change. */
const NO_BYTES = new Uint8Array(0);

/**
 * A wire `buffer` (docs/protocol.md §3) decoded: the shared empty array for '' (no payload),
 * else {@link fromBase64}'s result (undefined when it is not padded base64).
 */
export function decodeWireBuffer(text: string): Uint8Array | undefined {
  return text === '' ? NO_BYTES : fromBase64(text);
}

/** Bytes of a block that small decoded payloads are cut from (the size of Node's Buffer pool). */
const BLOCK_BYTES = 8 * 1024;
/** Payloads up to this many bytes are cut from a shared block; larger ones get their own. */
const BLOCK_MAX = 1024;
let block = new Uint8Array(0);
let blockUsed = 0;

/**
 * `n` zeroed bytes. Small ones are a view cut from a shared block: a typed array of more than
 * 64 bytes of its own costs an allocation outside the JS heap, which was about 40 % of decoding
 * a 240-byte payload. A view may keep its block (8 KiB) alive, as a Node Buffer keeps its pool.
 */
function allocate(n: number): Uint8Array {
  if (n > BLOCK_MAX) return new Uint8Array(n);
  if (blockUsed + n > block.length) {
    block = new Uint8Array(BLOCK_BYTES);
    blockUsed = 0;
  }
  const out = block.subarray(blockUsed, blockUsed + n);
  blockUsed += n;
  return out;
}

/** The 24 bits of four base64 characters (char codes); negative when one is not in the alphabet. */
function quad(c0: number, c1: number, c2: number, c3: number): number {
  if ((c0 | c1 | c2 | c3) > 127) return -1;
  return (
    ((SEXTET[c0] as number) << 18) |
    ((SEXTET[c1] as number) << 12) |
    ((SEXTET[c2] as number) << 6) |
    (SEXTET[c3] as number)
  );
}
