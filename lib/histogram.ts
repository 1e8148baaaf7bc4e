/**
 * A latency histogram with fixed memory and about 1.6% relative precision.
 *
 * Values are whole microseconds. Below 128 each value has its own bucket;
 * above, every power of two is split into 64 buckets (the HdrHistogram
 * layout), so recording is O(1), memory is 13 KiB whatever the count, and a
 * percentile is read back as the highest value of its bucket.
 *
 * @example
 * ```ts
 * import { Histogram } from "./histogram.ts";
 * const h = new Histogram();
 * for (const us of [90, 110, 130, 5000]) h.record(us);
 * console.log(h.percentile(50), h.max); // 110 5000
 * ```
 */
export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;
  #min = Infinity;
  #sum = 0;

  /** Number of values recorded. */
  get count(): number {
    return this.#count;
  }

  /** Largest value recorded, exactly (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /** Smallest value recorded, exactly (0 when empty). */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  /** Arithmetic mean of the values recorded (0 when empty). */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** Records one value in microseconds; negatives count as 0, huge ones are clamped. */
  record(us: number): void {
    const v = us <= 0 ? 0 : Math.min(Math.round(us), MAX_VALUE);
    this.#counts[bucketOf(v)]++;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    if (v < this.#min) this.#min = v;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: Histogram): void {
    if (other.#count === 0) return;
    for (let i = 0; i < BUCKETS; i++) this.#counts[i] += other.#counts[i];
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#max = Math.max(this.#max, other.#max);
    this.#min = Math.min(this.#min, other.#min);
  }

  /** The value at percentile `p` (0..100): the top of its bucket, never above max. */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(highestOf(i), this.#max);
    }
    return this.#max;
  }

  /** Non-empty buckets as [lowest, highest, count], lowest first, for drawing. */
  buckets(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#counts[i] > 0) out.push([lowestOf(i), highestOf(i), this.#counts[i]]);
    }
    return out;
  }
}

const SUB_BITS = 7; // values below 2^7 are exact
const HALF = 1 << (SUB_BITS - 1); // buckets per power of two above that
const MAX_VALUE = 2 ** 31 - 1; // about 35 minutes in microseconds
const BUCKETS = (31 - SUB_BITS + 1) * HALF + HALF * 2;

function bucketOf(v: number): number {
  if (v < 1 << SUB_BITS) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS + 1;
  return shift * HALF + (v >>> shift);
}

function lowestOf(i: number): number {
  if (i < 1 << SUB_BITS) return i;
  const shift = (i >> (SUB_BITS - 1)) - 1;
  return (i - shift * HALF) * 2 ** shift;
}

function highestOf(i: number): number {
  if (i < 1 << SUB_BITS) return i;
  const shift = (i >> (SUB_BITS - 1)) - 1;
  return (i - shift * HALF + 1) * 2 ** shift - 1;
}
