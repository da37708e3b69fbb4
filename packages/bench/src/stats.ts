/**
 * Figures from samples: the median of runs, and a latency histogram with bounded memory that
 * worker processes fill and the coordinator merges (one sample per delivered event would not
 * fit at a million deliveries per second).
 */

/** The median of `xs` (the lower middle one for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** Buckets per doubling: the histogram's values are within 2^(1/32) - 1 ≈ 2.2 % of a sample. */
const PER_OCTAVE = 32;
/** Smallest value kept apart from zero, in the histogram's unit (1 µs when fed microseconds). */
const FLOOR = 1;
/** Octaves above FLOOR: 1 µs … 2^30 µs ≈ 18 min. */
const OCTAVES = 30;
const BUCKETS = PER_OCTAVE * OCTAVES + 1;

/**
 * A log-bucketed histogram of non-negative values (the benchmark feeds microseconds): fixed
 * memory (≈ 1,000 counters), mergeable, percentiles within ~2.2 % of the exact sample.
 * Values below 1 fall into the first bucket; values above the top into the last.
 */
export class Histogram {
  readonly counts: number[];
  total = 0;
  max = 0;

  constructor(counts?: readonly number[]) {
    this.counts = counts === undefined ? new Array<number>(BUCKETS).fill(0) : [...counts];
    if (this.counts.length !== BUCKETS)
      throw new RangeError(`a histogram has ${BUCKETS} buckets, got ${this.counts.length}`);
    for (const c of this.counts) this.total += c;
  }

  /** Adds one sample. */
  record(value: number): void {
    const i =
      value <= FLOOR
        ? 0
        : Math.min(BUCKETS - 1, Math.ceil(Math.log2(value / FLOOR) * PER_OCTAVE - 1e-9));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
    if (value > this.max) this.max = value;
  }

  /** Adds every sample of `other`. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.max = Math.max(this.max, other.max);
  }

  /**
   * The value at percentile `p` (0–100): the upper edge of the bucket holding the sample of
   * that rank, capped at the largest sample. NaN when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.min(this.total, Math.max(1, Math.ceil((this.total * p) / 100)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, FLOOR * 2 ** (i / PER_OCTAVE));
    }
    return this.max;
  }

  /** A plain copy for `process.send` (JSON). */
  toJSON(): { counts: number[]; max: number } {
    return { counts: this.counts, max: this.max };
  }

  /** The inverse of {@link Histogram.toJSON}. */
  static fromJSON(j: { counts: readonly number[]; max: number }): Histogram {
    const h = new Histogram(j.counts);
    h.max = j.max;
    return h;
  }
}
