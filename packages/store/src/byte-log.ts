import { Buffer } from 'node:buffer';
import { openSync, read } from 'node:fs';
import { brotliCompress, brotliDecompress, brotliDecompressSync, constants } from 'node:zlib';

/** Bytes of one chunk of a {@link ByteLog}; a record that could exceed it gets a chunk of its own. */
export const BYTE_LOG_CHUNK_BYTES = 4 * 1024 * 1024;

/** Int32 slots per record in the index: chunk number, start, split, end. */
const SLOTS = 4;

/** Unpacked chunks a log keeps at hand for readers of packed history. */
const UNPACKED_CACHE = 2;

/** A packed chunk is kept only when it takes at most this share of the raw bytes. */
const PACK_WORTH = 0.9;

/** Brotli at quality 1: ~1-8 ms per 4 MiB chunk of commit JSON here, 4-60 times smaller. */
const PACK_PARAMS = {
  [constants.BROTLI_PARAM_QUALITY]: 1,
  [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
};

/**
 * Output buffer of a packing step: each step is a round trip to the thread pool, and most chunks
 * pack into less than this.
 */
const PACK_OUTPUT_BYTES = 256 * 1024;

/** Output buffer for unpacking `chunk`: its raw size, so that it takes one step. */
function unpackOutputBytes(chunk: Chunk): number {
  return Math.max(64 * 1024, chunk.used + 1);
}

/** One chunk of a {@link ByteLog}. */
interface Chunk {
  /** The raw bytes (being filled, or sealed), or once `state` is 'packed' the packed form. */
  data: Buffer;
  /** Bytes of records in the chunk (raw); grows while it is the last chunk. */
  used: number;
  /**
   * 'raw' may be packed; 'packing' is being read on the thread pool (its raw buffer must not be
   * written: never a spare); 'packed' holds the packed form; 'kept' did not pack well enough.
   */
  state: 'raw' | 'packing' | 'packed' | 'kept';
}

/** Options of a {@link ByteLog}. */
export interface ByteLogOptions {
  /**
   * Raw bytes of the newest history kept as written; sealed chunks older than that are packed
   * (Brotli, on the thread pool). Default: never pack.
   */
  readonly packAbove?: number;
  /** Bytes of a chunk; default {@link BYTE_LOG_CHUNK_BYTES} (tests use smaller ones). */
  readonly chunkBytes?: number;
}

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
 *
 * A log given `packAbove` keeps only its newest history as written: once the raw bytes held pass
 * that, the oldest sealed chunks are packed with Brotli on the thread pool, and the raw buffer
 * of each becomes the spare. Commit JSON packs 4-60 times, so the same memory holds that much
 * more history (decision D52). Reading a packed record unpacks its chunk into a small cache:
 * {@link ByteLog.unpack} does it on the thread pool; a plain read of an uncached one unpacks on
 * the spot (~2-5 ms per 4 MiB chunk).
 */
export class ByteLog {
  /** Chunks from chunk number `#firstChunk` on; the last one is being filled. */
  #chunks: Chunk[] = [];
  #firstChunk = 0;
  /** `SLOTS` int32 per held record, the oldest at slot `#head * SLOTS`. */
  #index = new Int32Array(1024 * SLOTS);
  #head = 0;
  #count = 0;
  /** Memory of the held records: UTF-8 bytes, or their share of a packed chunk (a fraction). */
  #bytes = 0;
  /** A standard chunk whose pages are resident, for the next chunk (see the class comment). */
  #spare: Buffer | undefined = undefined;
  #preparing = false;
  readonly #chunkBytes: number;
  readonly #packAbove: number;
  /** A chunk is being packed. */
  #packing = false;
  /** Settles the promise of {@link ByteLog.packed}. */
  #packedWaiters: (() => void)[] = [];
  /** Unpacked copies of packed chunks, the most recently used last. */
  #unpacked: { no: number; raw: Buffer }[] = [];

  /** A log; with `options.packAbove`, one that packs its older history. */
  constructor(options: ByteLogOptions = {}) {
    this.#chunkBytes = options.chunkBytes ?? BYTE_LOG_CHUNK_BYTES;
    this.#packAbove = options.packAbove ?? Infinity;
  }

  /** Records held. */
  get length(): number {
    return this.#count;
  }

  /**
   * Memory the records held take: their UTF-8 bytes, or for a packed chunk their share of its
   * packed size (what {@link ByteLog.chunkBytes} holds, less the slack).
   */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of chunk memory held (for tests and metrics), packed chunks at their packed size. */
  get chunkBytes(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.data.length;
    return n;
  }

  /** Chunks held in packed form. */
  get packedChunks(): number {
    let n = 0;
    for (const c of this.#chunks) if (c.state === 'packed') n++;
    return n;
  }

  /** Appends the record `first + second`. */
  append(first: string, second: string): void {
    let last = this.#chunks[this.#chunks.length - 1];
    // A UTF-16 code unit takes at most 3 bytes of UTF-8: most records need no count.
    if (last === undefined || last.used + (first.length + second.length) * 3 > last.data.length) {
      const bytes = Buffer.byteLength(first) + Buffer.byteLength(second);
      if (last === undefined || last.used + bytes > last.data.length) {
        const sealed = last;
        last = { data: this.#newChunk(bytes), used: 0, state: 'raw' };
        this.#chunks.push(last);
        if (sealed !== undefined) this.#pack();
      }
    }
    const chunk = last.data;
    const start = last.used;
    const split = start + chunk.write(first, start, 'utf8');
    const end = split + chunk.write(second, split, 'utf8');
    last.used = end;
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
      this.#raw(at).subarray(this.#index[at + 1] as number, this.#index[at + 2] as number),
    );
  }

  /** The second string of held record `i`. */
  second(i: number): string {
    const at = this.#at(i);
    return this.#raw(at).toString('utf8', this.#index[at + 2], this.#index[at + 3]);
  }

  /** Whether held record `i` reads without unpacking (its chunk is raw, or unpacked at hand). */
  readable(i: number): boolean {
    const no = this.#index[this.#at(i)] as number;
    const chunk = this.#chunkNo(no);
    return chunk.state !== 'packed' || this.#unpacked.some((u) => u.no === no);
  }

  /**
   * Unpacks the chunk of held record `i` on the thread pool, into the cache the reads use.
   * Resolves when done, also when the record was forgotten meanwhile; rejects if unpacking fails.
   */
  unpack(i: number): Promise<void> {
    const no = this.#index[this.#at(i)] as number;
    const chunk = this.#chunkNo(no);
    if (chunk.state !== 'packed') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      brotliDecompress(chunk.data, { chunkSize: unpackOutputBytes(chunk) }, (error, raw) => {
        if (error !== null) reject(error);
        else {
          if (no >= this.#firstChunk) this.#cache(no, raw);
          resolve();
        }
      });
    });
  }

  /** Resolves once no chunk is being packed (for tests and orderly shutdown). */
  packed(): Promise<void> {
    if (!this.#packing) return Promise.resolve();
    return new Promise<void>((resolve) => this.#packedWaiters.push(resolve));
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

  /** Memory of held record `i`: its UTF-8 bytes, or their share of its packed chunk. */
  #recordBytes(i: number): number {
    const at = (this.#head + i) * SLOTS;
    const raw = (this.#index[at + 3] as number) - (this.#index[at + 1] as number);
    const chunk = this.#chunkNo(this.#index[at] as number);
    return chunk.state === 'packed' ? (raw * chunk.data.length) / chunk.used : raw;
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
      this.#bytes = 0; // no fractions of packed chunks left over
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
    this.#unpacked = this.#unpacked.filter((u) => u.no >= chunkNo);
    // A chunk being packed is still read on the thread pool: never a spare (the collector takes it).
    this.#spare ??= dropped.find(
      (c) => (c.state === 'raw' || c.state === 'kept') && c.data.length === this.#chunkBytes,
    )?.data;
  }

  /**
   * Packs the oldest raw sealed chunk on the thread pool when the raw bytes held exceed
   * `packAbove`, one chunk at a time; each packing that ends starts the next check.
   */
  #pack(): void {
    if (this.#packing || this.#packAbove === Infinity) return;
    let raw = this.#chunks[this.#chunks.length - 1]?.used ?? 0;
    let oldest = -1;
    for (let c = this.#chunks.length - 2; c >= 0; c--) {
      const chunk = this.#chunks[c] as Chunk;
      if (chunk.state === 'packed') continue;
      raw += chunk.used - (c === 0 ? this.#firstHeldStart() : 0);
      if (chunk.state === 'raw') oldest = c;
    }
    if (oldest < 0 || raw <= this.#packAbove) return;
    const chunk = this.#chunks[oldest] as Chunk;
    const no = this.#firstChunk + oldest;
    const raw0 = chunk.data;
    chunk.state = 'packing';
    this.#packing = true;
    brotliCompress(
      raw0.subarray(0, chunk.used),
      {
        params: { ...PACK_PARAMS, [constants.BROTLI_PARAM_SIZE_HINT]: chunk.used },
        chunkSize: PACK_OUTPUT_BYTES,
      },
      (error, packed) => {
        this.#packing = false;
        const held = no >= this.#firstChunk;
        if (error !== null || packed.length > chunk.used * PACK_WORTH) chunk.state = 'kept';
        else {
          chunk.state = 'packed';
          if (held) {
            const start = no === this.#firstChunk ? this.#firstHeldStart() : 0;
            this.#bytes -= ((chunk.used - start) * (chunk.used - packed.length)) / chunk.used;
          }
          chunk.data = packed;
        }
        // The raw buffer of a chunk packed while held is free now: the next spare. (One forgotten
        // meanwhile is left to the collector.)
        if (held && chunk.state === 'packed' && raw0.length === this.#chunkBytes)
          this.#spare ??= raw0;
        const waiters = this.#packedWaiters;
        this.#packedWaiters = [];
        this.#pack();
        if (this.#packing) this.#packedWaiters = waiters;
        else for (const w of waiters) w();
      },
    );
  }

  /** Where the oldest held record starts in its chunk (0 when nothing is held). */
  #firstHeldStart(): number {
    return this.#count === 0 ? 0 : (this.#index[this.#head * SLOTS + 1] as number);
  }

  /** Keeps `raw` as the unpacked copy of chunk `no`, forgetting the least recently used. */
  #cache(no: number, raw: Buffer): void {
    this.#unpacked = this.#unpacked.filter((u) => u.no !== no);
    this.#unpacked.push({ no, raw });
    if (this.#unpacked.length > UNPACKED_CACHE) this.#unpacked.shift();
  }

  /** A chunk for a record of `bytes`: the spare when it fits, and another spare on its way. */
  #newChunk(bytes: number): Buffer {
    if (bytes > this.#chunkBytes) return Buffer.allocUnsafeSlow(bytes);
    const spare = this.#spare;
    this.#spare = undefined;
    this.#prepareSpare();
    return spare ?? Buffer.allocUnsafeSlow(this.#chunkBytes);
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
    const chunk = Buffer.allocUnsafeSlow(this.#chunkBytes);
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

  /** Held chunk number `no`. */
  #chunkNo(no: number): Chunk {
    return this.#chunks[no - this.#firstChunk] as Chunk;
  }

  /** The raw bytes of the chunk of the record at index slot `at`, unpacked if need be. */
  #raw(at: number): Buffer {
    const no = this.#index[at] as number;
    const chunk = this.#chunkNo(no);
    if (chunk.state !== 'packed') return chunk.data;
    const cached = this.#unpacked.find((u) => u.no === no);
    if (cached !== undefined) {
      if (this.#unpacked[this.#unpacked.length - 1] !== cached) this.#cache(no, cached.raw);
      return cached.raw;
    }
    const raw = brotliDecompressSync(chunk.data, { chunkSize: unpackOutputBytes(chunk) });
    this.#cache(no, raw);
    return raw;
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
