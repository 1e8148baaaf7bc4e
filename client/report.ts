import type { Histogram } from "../lib/histogram.ts";
import { plural } from "../lib/plural.ts";
import { round } from "../lib/round.ts";
import type { IntervalReport } from "./intervals.ts";
import type { ThresholdResult } from "./thresholds.ts";
import type { Meter } from "./meter.ts";

/** What a `connect` run counted: the parts of a {@linkcode Report} that add up across runs. */
export interface Totals {
  /** Clients running at once. */
  conns: number;
  /** Messages (or requests) whose reply came back verified in the measured window. */
  messages: number;
  /** Bytes written to the server in the measured window, whether their replies came or not. */
  bytes_sent: number;
  /** Bytes read from the server in the measured window; all verified unless the run failed. */
  bytes_received: number;
  /** Connections that failed. */
  errors: number;
  /** When the measured window began, in Unix milliseconds. */
  started_at: number;
  /** When the measured window ended, in Unix milliseconds. */
  ended_at: number;
}

/** What a `connect` run measured, as printed by `--json` (snake_case keys, latency in microseconds). */
export interface Report {
  /** Clients running at once. */
  conns: number;
  /** Messages (or requests) whose reply came back verified in the measured window. */
  messages: number;
  /** Bytes written to the server in the measured window, whether their replies came or not. */
  bytes_sent: number;
  /** Bytes read from the server in the measured window; all verified unless the run failed. */
  bytes_received: number;
  /** Connections that failed. */
  errors: number;
  /** Length of the measured window: after the warm-up, until the stop or the last reply. */
  seconds: number;
  /** `messages / seconds`. */
  messages_per_second: number;
  /** Bytes both ways per second, in millions (as `../shared/bench` counts). */
  mb_per_second: number;
  /** Round trip of a message, from when it was queued (or due, when paced) to its last byte back. */
  latency_us: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
  /** When the measured window began, in Unix milliseconds. */
  started_at: number;
  /** When the measured window ended, in Unix milliseconds. */
  ended_at: number;
  /** The latency HdrHistogram (microseconds) in its compressed base64 encoding, for `sockdemo merge`. */
  histogram: string;
  /** With `--tls`: how long connecting took, TCP and TLS handshakes together, apart from message latency. */
  handshake_us?: { count: number; p50: number; p99: number; max: number };
  /** With `--tls`: those times as an HdrHistogram, like `histogram`. */
  handshake_histogram?: string;
  /**
   * How long connections waited from their dial to their first verified
   * reply, warm-up included: the slowest is the connection a server left
   * waiting longest while it served the others. (Absent from reports made
   * before sockdemo measured it.)
   */
  first_reply_us?: { count: number; p50: number; p99: number; max: number };
  /** Those times as an HdrHistogram, like `histogram`. */
  first_reply_histogram?: string;
  /** Present (true) when a SIGINT ended the run early: the figures cover it up to then. */
  interrupted?: true;
  /** With intervals (`--interval`, on by default): their length in seconds. */
  interval?: number;
  /** The run cut into intervals on the wall clock, oldest first. */
  intervals?: IntervalReport[];
  /** With `--threshold`: each one, the run's value and whether it held. */
  thresholds?: ThresholdResult[];
}

/**
 * Derives rates and percentiles from `totals` over `seconds` measured, from
 * `latency`, (with TLS) from the `handshakes` times, and from the times
 * connections waited for their `firstReplies`.
 */
export function makeReport(
  totals: Totals,
  seconds: number,
  latency: Histogram,
  handshakes: Histogram | null = null,
  firstReplies: Histogram | null = null,
): Report {
  const secs = Math.max(seconds, 1e-9), h = latency;
  const bytes = totals.bytes_sent + totals.bytes_received;
  return {
    conns: totals.conns,
    messages: totals.messages,
    bytes_sent: totals.bytes_sent,
    bytes_received: totals.bytes_received,
    errors: totals.errors,
    seconds: round(seconds, 6),
    messages_per_second: round(totals.messages / secs, 1),
    mb_per_second: round(bytes / secs / 1e6, 3),
    latency_us: {
      p50: h.percentile(50),
      p90: h.percentile(90),
      p99: h.percentile(99),
      p99_9: h.percentile(99.9),
      max: h.max,
      mean: round(h.mean, 1),
    },
    started_at: round(totals.started_at, 3),
    ended_at: round(totals.ended_at, 3),
    histogram: h.encode(),
    ...(handshakes === null ? {} : {
      handshake_us: {
        count: handshakes.count,
        p50: handshakes.percentile(50),
        p99: handshakes.percentile(99),
        max: handshakes.max,
      },
      handshake_histogram: handshakes.encode(),
    }),
    ...(firstReplies === null ? {} : {
      first_reply_us: {
        count: firstReplies.count,
        p50: firstReplies.percentile(50),
        p99: firstReplies.percentile(99),
        max: firstReplies.max,
      },
      first_reply_histogram: firstReplies.encode(),
    }),
  };
}

/** The totals a meter counted over the measured window from `from` to `to` (`performance.now()` times). */
export function meterTotals(
  meter: Meter,
  conns: number,
  errors: number,
  from: number,
  to: number,
): Totals {
  return {
    conns,
    messages: meter.messages,
    bytes_sent: meter.bytesSent,
    bytes_received: meter.bytesReceived,
    errors,
    started_at: performance.timeOrigin + from,
    ended_at: performance.timeOrigin + to,
  };
}

/** The human summary: counts, speed and percentiles, then the latency histogram. */
export function formatReport(r: Report, latency: Histogram): string {
  const l = r.latency_us;
  return [
    `${plural(r.conns, "connection")}, ${plural(r.messages, "message")} verified, ` +
    `${r.bytes_sent} bytes sent, ${r.bytes_received} received, ${plural(r.errors, "error")} ` +
    `in ${r.seconds.toFixed(3)} s${r.interrupted === true ? " (interrupted)" : ""}`,
    `${r.messages_per_second.toFixed(0)} messages/s, ${r.mb_per_second.toFixed(2)} MB/s, ` +
    `latency p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, p99.9 ${ms(l.p99_9)}, max ${
      ms(l.max)
    }`,
    ...(r.first_reply_us === undefined || r.first_reply_us.count === 0 ? [] : [
      `first reply (from the dial) of ${plural(r.first_reply_us.count, "connection")}: p50 ${
        ms(r.first_reply_us.p50)
      }, p99 ${ms(r.first_reply_us.p99)}, max ${ms(r.first_reply_us.max)}`,
    ]),
    ...(r.handshake_us === undefined ? [] : [
      `${plural(r.handshake_us.count, "TLS connect")} (handshake included): p50 ${
        ms(r.handshake_us.p50)
      }, p99 ${ms(r.handshake_us.p99)}, max ${ms(r.handshake_us.max)}`,
    ]),
    ...drawHistogram(latency),
  ].join("\n");
}

const BAR = 40;

/**
 * The latency distribution as rows of `#`, one per bucket on a 1-2-5 scale
 * of milliseconds, from the fastest to the slowest message; empty when
 * nothing was measured.
 */
export function drawHistogram(latency: Histogram): string[] {
  const buckets = latencyBuckets(latency);
  if (buckets.length === 0) return [];
  const counts = buckets.map((b) => b[1]);
  const most = Math.max(...counts), total = latency.count;
  const labels = buckets.map(([upTo]) => `<= ${ms(upTo)}`);
  const width = Math.max(...labels.map((l) => l.length));
  return [
    "latency distribution:",
    ...counts.map((count, i) => {
      const bar = count === 0 ? "" : "#".repeat(Math.max(1, Math.round((count / most) * BAR)));
      const share = `${((count / total) * 100).toFixed(1)}%`.padStart(6);
      return `  ${labels[i].padStart(width)} ${share} ${bar}`;
    }),
  ];
}

/**
 * The latency distribution in buckets on a 1-2-5 scale: each bucket's upper
 * bound in microseconds and the messages at or under it (and over the one
 * before), from the fastest message's bucket to the slowest's.
 */
export function latencyBuckets(latency: Histogram): [upTo: number, count: number][] {
  const values = latency.values();
  if (values.length === 0) return [];
  const bounds = scale(values[0][0], values[values.length - 1][0]);
  const counts = new Array<number>(bounds.length).fill(0);
  let b = 0;
  for (const [value, count] of values) {
    while (value > bounds[b]) b++;
    counts[b] += count;
  }
  return bounds.map((bound, i) => [bound, counts[i]]);
}

// Upper bounds in microseconds on a 1-2-5 scale, from the first at or above min to the first at or above max.
function scale(min: number, max: number): number[] {
  const bounds: number[] = [];
  for (let decade = 1;; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const bound = step * decade;
      if (bound < min) continue;
      bounds.push(bound);
      if (bound >= max) return bounds;
    }
  }
}

/** Microseconds as milliseconds for a person: 3 decimals under 1 ms, 2 under 10 ms, then 1. */
export function ms(us: number): string {
  return us < 1000
    ? `${(us / 1000).toFixed(3)} ms`
    : `${(us / 1000).toFixed(us < 10000 ? 2 : 1)} ms`;
}
