import { Histogram } from "../lib/histogram.ts";
import type { Intervals } from "./intervals.ts";

/**
 * Counts what a run measures: messages (or requests) that came back
 * verified with their round-trip latency in an HdrHistogram, and the bytes
 * that crossed the wire. Messages started before `measureFrom` (the
 * warm-up), and bytes moved before it, are not counted.
 *
 * @example
 * ```ts
 * import { Meter } from "./meter.ts";
 * const meter = new Meter(0);
 * meter.record(performance.now() - 1.5, performance.now());
 * console.log(meter.messages, meter.latency.max >= 1500); // 1 true
 * ```
 */
export class Meter {
  /** Round-trip latency of each counted message, in microseconds. */
  readonly latency: Histogram = new Histogram();
  /** With TLS: how long each connect took, handshake included, in microseconds; else null. */
  handshakes: Histogram | null = null;
  /**
   * How long each connection waited from its dial to its first verified
   * reply, in microseconds, whatever the warm-up: the slowest shows a
   * connection the server left waiting while it served the others.
   */
  readonly firstReplies: Histogram = new Histogram();
  /** Messages counted. */
  messages = 0;
  /** Bytes written to the server, verified or not. */
  bytesSent = 0;
  /** Bytes read from the server, verified or not. */
  bytesReceived = 0;
  /** The run cut into intervals, when it is (`--interval`). */
  intervals: Intervals | null = null;

  /** A meter that ignores messages started before `measureFrom` (a `performance.now()` time). */
  constructor(readonly measureFrom: number) {}

  /** A message started at `startedAt` (queued, or due when paced) came back verified at `now`. */
  record(startedAt: number, now: number): void {
    if (startedAt < this.measureFrom) return;
    const us = (now - startedAt) * 1000;
    this.latency.record(us);
    this.messages++;
    this.intervals?.record(us);
  }

  /** A connect (with its TLS handshake) took `ms` milliseconds; counted whatever the warm-up. */
  connected(ms: number): void {
    (this.handshakes ??= new Histogram()).record(ms * 1000);
  }

  /** A connection dialed at `dialedAt` had its first reply verified at `now`; counted whatever the warm-up. */
  firstReply(dialedAt: number, now: number): void {
    this.firstReplies.record((now - dialedAt) * 1000);
  }

  /** `sent` bytes were written and `received` read at `now`. */
  moved(now: number, sent: number, received: number): void {
    if (now < this.measureFrom) return;
    this.bytesSent += sent;
    this.bytesReceived += received;
    this.intervals?.moved(sent, received);
  }
}
