import * as hdr from "hdr-histogram-js";

/**
 * A latency histogram in microseconds: an HdrHistogram (`hdr-histogram-js`,
 * the port autocannon uses) with 3 significant digits, so memory stays fixed
 * whatever the count and every percentile is within 0.1%.
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
  readonly #h = build();

  /**
   * A histogram read from HdrHistogram's compressed base64 encoding (what
   * {@linkcode Histogram.encode} and the Java, Go and C libraries write).
   * Throws a `SyntaxError` when `base64` is not such an encoding.
   */
  static decode(base64: string): Histogram {
    let decoded: hdr.Histogram;
    try {
      decoded = hdr.decodeFromCompressedBase64(base64);
    } catch (e) {
      throw new SyntaxError(`not an HdrHistogram: ${(e as Error).message}`);
    }
    const h = new Histogram();
    h.#add(decoded);
    return h;
  }

  /** Adds every value of `other` to this one: the histogram of both sets of values, exactly. */
  add(other: Histogram): void {
    this.#add(other.#h);
  }

  #add(other: hdr.Histogram): void {
    if (other.maxValue > HOUR_TOP) {
      throw new RangeError(`a value of ${other.maxValue} µs is past the 1 hour a histogram holds`);
    }
    this.#h.add(other);
  }

  /** This histogram in HdrHistogram's compressed base64 encoding (V2, deflate). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.#h);
  }

  /** Number of values recorded. */
  get count(): number {
    return this.#h.totalCount;
  }

  /** Largest value recorded (0 when empty). */
  get max(): number {
    return this.#h.maxValue;
  }

  /**
   * Largest value recorded as the top of its bucket (0 when empty): what a
   * copy decoded from {@linkcode Histogram.encode} reports as its max, so a
   * figure from this histogram and one from merged copies agree.
   */
  get top(): number {
    const max = this.#h.maxValue;
    // Stryker disable next-line ConditionalExpression: the library's bucket top of 0 is 0 too; this says so plainly
    return max === 0 ? 0 : (this.#h as unknown as Bucketed).highestEquivalentValue(max);
  }

  /** Mean of the values recorded (0 when empty). */
  get mean(): number {
    return this.#h.mean;
  }

  /** Empties the histogram, keeping its memory: the next interval starts from nothing. */
  reset(): void {
    this.#h.reset();
  }

  /** Records one value in microseconds, rounded; it is clamped to 1 µs .. 1 hour. */
  record(us: number): void {
    // Stryker disable next-line EqualityOperator: at exactly 1 µs or the hour, clamping changes nothing
    this.#h.recordValue(us < 1 ? 1 : us > HOUR_US ? HOUR_US : Math.round(us));
  }

  /** The value at percentile `p` (0..100); 0 when empty. */
  percentile(p: number): number {
    return this.#h.getValueAtPercentile(p);
  }

  /** Each distinct recorded value (to the histogram's precision) with its count, smallest first. */
  values(): [value: number, count: number][] {
    const out: [number, number][] = [];
    const it = (this.#h as unknown as Walkable).recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      out.push([v.valueIteratedTo, v.countAtValueIteratedTo]);
    }
    return out;
  }
}

/** The part of hdr-histogram-js's JsHistogram that knows its buckets' bounds. */
interface Bucketed {
  highestEquivalentValue(value: number): number;
}

/** The part of hdr-histogram-js's JsHistogram that walks the recorded values. */
interface Walkable {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

const HOUR_US = 3_600_000_000;

function build(): hdr.Histogram {
  // Stryker disable ObjectLiteral,BooleanLiteral: the library's defaults differ only in growing on demand, and record() clamps to the hour: these fix the memory up front
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HOUR_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
  // Stryker restore ObjectLiteral,BooleanLiteral
}

// A decoded maximum is the top of its bucket, which for the hour itself lies just past it.
const HOUR_TOP = (() => {
  const h = build();
  h.recordValue(HOUR_US);
  return hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(h)).maxValue;
})();
