import { Histogram } from "../lib/histogram.ts";
import { unionLength } from "../lib/union_length.ts";
import { mergeIntervals } from "./interval_merge.ts";
import { makeReport, type Report } from "./report.ts";

/** Reports merged into one, with the merged latency histogram it was derived from. */
export interface Merged {
  /** The report of all the runs together. */
  readonly report: Report;
  /** Every measured message of every run. */
  readonly latency: Histogram;
}

/**
 * Merges the reports of runs made at once by workers, processes or machines:
 * counts are summed, percentiles come from the sum of the latency
 * histograms (never from averaging percentiles), and rates are over the
 * union of the measured windows, so runs that overlap count their shared
 * time once and a gap between runs counts for nothing.
 *
 * @example
 * ```ts
 * import { mergeReports } from "./merge.ts";
 * import type { Report } from "./report.ts";
 * declare const a: Report, b: Report; // from `sockdemo connect --json`
 * const { report } = mergeReports([a, b]);
 * console.log(report.messages === a.messages + b.messages); // true
 * ```
 */
export function mergeReports(parts: readonly Report[]): Merged {
  const latency = new Histogram();
  const totals = {
    conns: 0,
    messages: 0,
    bytes_sent: 0,
    bytes_received: 0,
    errors: 0,
    started_at: Infinity,
    ended_at: -Infinity,
  };
  let handshakes: Histogram | null = null, firstReplies: Histogram | null = null;
  for (const part of parts) {
    latency.add(Histogram.decode(part.histogram));
    if (part.handshake_histogram !== undefined) {
      (handshakes ??= new Histogram()).add(Histogram.decode(part.handshake_histogram));
    }
    if (part.first_reply_histogram !== undefined) {
      (firstReplies ??= new Histogram()).add(Histogram.decode(part.first_reply_histogram));
    }
    totals.conns += part.conns;
    totals.messages += part.messages;
    totals.bytes_sent += part.bytes_sent;
    totals.bytes_received += part.bytes_received;
    totals.errors += part.errors;
    totals.started_at = Math.min(totals.started_at, part.started_at);
    totals.ended_at = Math.max(totals.ended_at, part.ended_at);
  }
  if (parts.length === 0) totals.started_at = totals.ended_at = 0;
  const report = makeReport(totals, unionSeconds(parts), latency, handshakes, firstReplies);
  // One interrupted part makes the whole an interrupted run.
  if (parts.some((p) => p.interrupted === true)) report.interrupted = true;
  // Intervals merge only when every part was cut the same way (merge's checks say so first).
  const every = parts[0]?.interval;
  // Stryker disable next-line ConditionalExpression: a report without "interval" has no "intervals" either
  if (every !== undefined && parts.every((p) => p.interval === every && p.intervals)) {
    report.interval = every;
    report.intervals = mergeIntervals(parts.map((p) => p.intervals!), every * 1000);
  }
  return { report, latency };
}

// The length of the union of the runs' windows, in seconds.
function unionSeconds(parts: readonly Report[]): number {
  return unionLength(parts.map((p) => [p.started_at, p.ended_at] as const)) / 1000;
}
