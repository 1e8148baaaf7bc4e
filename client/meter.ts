import { Histogram } from "../lib/histogram.ts";

/**
 * Counts what a run measures: messages (or requests) that came back
 * verified, their bytes, and their round-trip latency in an HdrHistogram.
 * Messages started before `measureFrom` (the warm-up) are not counted.
 *
 * @example
 * ```ts
 * import { Meter } from "./meter.ts";
 * const meter = new Meter(0);
 * meter.record(performance.now() - 1.5, performance.now(), 64, 64);
 * console.log(meter.messages, meter.latency.max >= 1500); // 1 true
 * ```
 */
export class Meter {
  /** Round-trip latency of each counted message, in microseconds. */
  readonly latency: Histogram = new Histogram();
  /** Messages counted. */
  messages = 0;
  /** Bytes those messages sent. */
  bytesSent = 0;
  /** Bytes their replies brought back. */
  bytesReceived = 0;

  /** A meter that ignores messages started before `measureFrom` (a `performance.now()` time). */
  constructor(readonly measureFrom: number) {}

  /**
   * A message started at `startedAt` (queued, or due when paced) came back
   * verified at `now`, having sent `bytesOut` and received `bytesIn` bytes.
   */
  record(startedAt: number, now: number, bytesOut: number, bytesIn: number): void {
    if (startedAt < this.measureFrom) return;
    this.latency.record((now - startedAt) * 1000);
    this.messages++;
    this.bytesSent += bytesOut;
    this.bytesReceived += bytesIn;
  }
}
