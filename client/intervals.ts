import { Histogram } from "../lib/histogram.ts";
import { round } from "../lib/round.ts";

/** One interval of a run, as `--json` prints it (latency in microseconds, times in Unix ms). */
export interface IntervalReport {
  /** When the interval began: a multiple of the interval's length, or the run's start. */
  start: number;
  /** When it ended: the next multiple, or the run's end. */
  end: number;
  /** Time measured in it (less than `end - start` only when merged runs left a gap). */
  seconds: number;
  /** Messages (or requests) whose reply came back verified in it. */
  messages: number;
  /** `messages / seconds`. */
  messages_per_second: number;
  /** Bytes written to the server in it. */
  bytes_sent: number;
  /** Bytes read from the server in it. */
  bytes_received: number;
  /** Bytes both ways per second, in millions. */
  mb_per_second: number;
  /** Round trips of the messages verified in it (to HdrHistogram's precision, 0.1%). */
  latency_us: { p50: number; p99: number; max: number };
  /** Connections that failed in it. */
  errors: number;
  /** Connections open at its end. */
  open: number;
  /** Its latency HdrHistogram, compressed base64, so `merge` rebuilds it exactly. */
  histogram: string;
}

/**
 * Cuts a run into intervals aligned on the wall clock (multiples of
 * `everyMs` in Unix time, as runs on other machines cut theirs, so `merge`
 * lines them up): counts each interval's messages, bytes, errors and
 * latency, and hands each one to `onInterval` as it closes. The run's loop
 * calls {@linkcode Intervals.roll} when it wakes, and wakes by
 * {@linkcode Intervals.boundary}, so a stall shows as intervals with nothing
 * in them.
 *
 * @example
 * ```ts
 * import { Intervals } from "./intervals.ts";
 * const intervals = new Intervals(1000, (iv) => console.log(iv.messages));
 * intervals.begin(performance.now());
 * intervals.record(250);
 * intervals.roll(intervals.boundary, 2); // prints 1
 * ```
 */
export class Intervals {
  /** The intervals closed so far, oldest first. */
  readonly done: IntervalReport[] = [];
  /** When the open interval ends (a `performance.now()` time); none before `begin`. */
  boundary = Infinity;
  readonly #latency = new Histogram();
  #start = 0;
  #messages = 0;
  #sent = 0;
  #received = 0;
  #errors = 0;

  /** Intervals of `everyMs`; `onInterval` hears each as it closes. */
  constructor(
    readonly everyMs: number,
    readonly onInterval: (interval: IntervalReport) => void = () => {},
  ) {}

  /** The first interval begins at `from` (a `performance.now()` time) and ends on the next multiple. */
  begin(from: number): void {
    this.#start = from;
    this.boundary = nextBoundary(from, this.everyMs);
  }

  /** A message took `us` microseconds, in the open interval. */
  record(us: number): void {
    this.#latency.record(us);
    this.#messages++;
  }

  /** `sent` bytes were written and `received` read, in the open interval. */
  moved(sent: number, received: number): void {
    this.#sent += sent;
    this.#received += received;
  }

  /** A connection failed, in the open interval. */
  failed(): void {
    this.#errors++;
  }

  /** Closes every interval that ended by `now` (empty ones too), with `open` connections. */
  roll(now: number, open: number): void {
    while (now >= this.boundary) {
      this.#close(this.boundary, open);
      this.boundary += this.everyMs;
    }
  }

  /** The run ended at `end`: closes the intervals up to it, the last one partial. */
  finish(end: number, open: number): void {
    this.roll(end, open);
    if (end > this.#start) this.#close(end, open);
  }

  #close(end: number, open: number): void {
    const origin = performance.timeOrigin;
    const interval = intervalReport(
      origin + this.#start,
      origin + end,
      (end - this.#start) / 1000,
      { messages: this.#messages, sent: this.#sent, received: this.#received },
      this.#errors,
      open,
      this.#latency,
    );
    this.done.push(interval);
    this.#start = end;
    this.#messages =
      this.#sent =
      this.#received =
      this.#errors =
        0;
    this.#latency.reset();
    this.onInterval(interval);
  }
}

/**
 * An interval's report from its counts: `start` and `end` in Unix ms,
 * `seconds` measured, and the latency of its messages.
 */
export function intervalReport(
  start: number,
  end: number,
  seconds: number,
  counts: { messages: number; sent: number; received: number },
  errors: number,
  open: number,
  latency: Histogram,
): IntervalReport {
  const secs = Math.max(seconds, 1e-9);
  return {
    start: round(start, 3),
    end: round(end, 3),
    seconds: round(seconds, 6),
    messages: counts.messages,
    messages_per_second: round(counts.messages / secs, 1),
    bytes_sent: counts.sent,
    bytes_received: counts.received,
    mb_per_second: round((counts.sent + counts.received) / secs / 1e6, 3),
    // The max as its bucket's top, as percentiles are and as a merged copy's is.
    latency_us: { p50: latency.percentile(50), p99: latency.percentile(99), max: latency.top },
    errors,
    open,
    histogram: latency.encode(),
  };
}

// The first multiple of `everyMs` in Unix time after `from` (a performance.now() time), as a performance.now() time.
function nextBoundary(from: number, everyMs: number): number {
  const origin = performance.timeOrigin;
  return (Math.floor((origin + from) / everyMs) + 1) * everyMs - origin;
}
