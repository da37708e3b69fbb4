import { Buffer } from 'node:buffer';
import { openSync, read } from 'node:fs';

/** Bytes of one chunk of a {@link ByteLog}; a record that could exceed it gets a chunk of its own. */
export const BYTE_LOG_CHUNK_BYTES = 4 * 1024 * 1024;

/** Int32 slots per record in the index: chunk number, start, split, end. */
const SLOTS = 4;

/** `/dev/zero`, opened once per process (see `ByteLog.#prepareSpare`); null where there is none. */
let zeroFd: number | null | undefined;
function devZero(): number | null {
  if (zeroFd === undefined) {
    try {
      zeroFd = openSync('/dev/zero', 'r');
    } catch {
      zeroFd = null;
    }
  }
  return zeroFd;
}

/**
 * An append-only log of text records kept as UTF-8 outside the JS heap, for the memory store's
 * history. Each record is two strings written back to back (a commit's head and its change
 * records), so a reader can decode either the whole record or only its second part.
 *
 * Why off-heap: a log held as strings and parsed objects survives every young-generation
 * collection and is copied by each one until it is promoted, then marked by every full
 * collection; with a long history most of the server's collector time was the log. Bytes in
 * `Buffer` chunks are neither traced nor copied, and the index is one `Int32Array`.
 *
 * Records are numbered from 0 in append order; {@link ByteLog.dropFirst} forgets the oldest, and
 * a chunk is released once no held record lies in it.
 *
 * New chunks come with their pages already in memory where possible: the first write to a page
 * of fresh memory is a page fault, and with the log written at tens of MB/s those faults were
 * ~9 % of a busy server's time (~12 µs each, measured in the live benchmark). So the log keeps
 * one spare chunk: a released one (its pages still resident), or a fresh one that `/dev/zero`
 * is read into on the thread pool, which takes the faults there.
 */
export class ByteLog {
  /** Chunks from chunk number `#firstChunk` on; the last one is being filled. */
  #chunks: Buffer[] = [];
  #firstChunk = 0;
  /** Bytes used in the last chunk. */
  #used = 0;
  /** `SLOTS` int32 per held record, the oldest at slot `#head * SLOTS`. */
  #index = new Int32Array(1024 * SLOTS);
  #head = 0;
  #count = 0;
  /** UTF-8 bytes of the held records. */
  #bytes = 0;
  /** A standard chunk whose pages are resident, for the next chunk (see the class comment). */
  #spare: Buffer | undefined = undefined;
  #preparing = false;

  /** Records held. */
  get length(): number {
    return this.#count;
  }

  /** UTF-8 bytes of the records held (what {@link ByteLog.chunkBytes} holds, less the slack). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of chunk memory held (for tests and metrics). */
  get chunkBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** Appends the record `first + second`. */
  append(first: string, second: string): void {
    let chunk = this.#chunks[this.#chunks.length - 1];
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: most records need no count.
    if (chunk === undefined || this.#used + (first.length + second.length) * 3 > chunk.length) {
      const bytes = Buffer.byteLength(first) + Buffer.byteLength(second);
      if (chunk === undefined || this.#used + bytes > chunk.length) {
        chunk = this.#newChunk(bytes);
        this.#chunks.push(chunk);
        this.#used = 0;
      }
    }
    const start = this.#used;
    const split = start + chunk.write(first, start, 'utf8');
    const end = split + chunk.write(second, split, 'utf8');
    this.#used = end;
    this.#bytes += end - start;
    let at = (this.#head + this.#count) * SLOTS;
    if (at + SLOTS > this.#index.length) {
      this.#compactIndex();
      at = this.#count * SLOTS;
    }
    const index = this.#index;
    index[at] = this.#firstChunk + this.#chunks.length - 1;
    index[at + 1] = start;
    index[at + 2] = split;
    index[at + 3] = end;
    this.#count++;
  }

  /**
   * The bytes of the first string of held record `i` (0 = the oldest held), copied (small
   * copies come from Node's shared pool): a view would keep its whole chunk alive after the
   * record is forgotten. No decoding until someone reads them.
   */
  firstBytes(i: number): Buffer {
    const at = this.#at(i);
    return Buffer.from(
      this.#chunk(at).subarray(this.#index[at + 1] as number, this.#index[at + 2] as number),
    );
  }

  /** The second string of held record `i`. */
  second(i: number): string {
    const at = this.#at(i);
    return this.#chunk(at).toString('utf8', this.#index[at + 2], this.#index[at + 3]);
  }

  /** Forgets the `n` oldest records (all of them when `n` exceeds the count). */
  dropFirst(n: number): void {
    const k = Math.min(n, this.#count);
    if (k <= 0) return;
    let bytes = 0;
    for (let i = 0; i < k; i++) bytes += this.#recordBytes(i);
    this.#drop(k, bytes);
  }

  /**
   * Forgets the oldest records until the held ones take at most `maxBytes`, keeping at least
   * `keep` records whatever their size. Returns how many it forgot.
   */
  dropToBytes(maxBytes: number, keep: number): number {
    let k = 0;
    let bytes = 0;
    while (this.#bytes - bytes > maxBytes && this.#count - k > keep)
      bytes += this.#recordBytes(k++);
    if (k > 0) this.#drop(k, bytes);
    return k;
  }

  /** UTF-8 bytes of held record `i`. */
  #recordBytes(i: number): number {
    const at = (this.#head + i) * SLOTS;
    return (this.#index[at + 3] as number) - (this.#index[at + 1] as number);
  }

  /** Forgets the `k` (> 0) oldest records, which take `bytes`. */
  #drop(k: number, bytes: number): void {
    this.#bytes -= bytes;
    this.#head += k;
    this.#count -= k;
    if (this.#count === 0) {
      // Nothing held: keep only the chunk being filled.
      this.#release(this.#firstChunk + this.#chunks.length - 1);
      this.#head = 0;
      return;
    }
    this.#release(this.#index[this.#head * SLOTS] as number);
  }

  /** Drops every chunk numbered below `chunkNo`, keeping one as the spare if there is none. */
  #release(chunkNo: number): void {
    const drop = chunkNo - this.#firstChunk;
    if (drop <= 0) return;
    const dropped = this.#chunks.splice(0, drop);
    this.#firstChunk = chunkNo;
    if (this.#spare === undefined)
      this.#spare = dropped.find((c) => c.length === BYTE_LOG_CHUNK_BYTES);
  }

  /** A chunk for a record of `bytes`: the spare when it fits, and another spare on its way. */
  #newChunk(bytes: number): Buffer {
    if (bytes > BYTE_LOG_CHUNK_BYTES) return Buffer.allocUnsafeSlow(bytes);
    const spare = this.#spare;
    this.#spare = undefined;
    this.#prepareSpare();
    return spare ?? Buffer.allocUnsafeSlow(BYTE_LOG_CHUNK_BYTES);
  }

  /**
   * Makes a spare chunk with its pages resident: reading `/dev/zero` into fresh memory on the
   * thread pool faults the pages in there, off the event loop. Nothing is made where there is no
   * `/dev/zero`; a failed read leaves the log without a spare.
   */
  #prepareSpare(): void {
    if (this.#spare !== undefined || this.#preparing) return;
    const fd = devZero();
    if (fd === null) return;
    this.#preparing = true;
    const chunk = Buffer.allocUnsafeSlow(BYTE_LOG_CHUNK_BYTES);
    read(fd, chunk, 0, chunk.length, null, (error) => {
      this.#preparing = false;
      if (error === null) this.#spare ??= chunk;
    });
  }

  #at(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.#count)
      throw new RangeError(`record ${i} is not held (0..${this.#count - 1})`);
    return (this.#head + i) * SLOTS;
  }

  #chunk(at: number): Buffer {
    return this.#chunks[(this.#index[at] as number) - this.#firstChunk] as Buffer;
  }

  /** Moves the held entries to the front of the index, growing it when over half full. */
  #compactIndex(): void {
    const used = this.#count * SLOTS;
    const from = this.#head * SLOTS;
    if (used * 2 > this.#index.length) {
      const grown = new Int32Array(this.#index.length * 2);
      grown.set(this.#index.subarray(from, from + used));
      this.#index = grown;
    } else this.#index.copyWithin(0, from, from + used);
    this.#head = 0;
  }
}
