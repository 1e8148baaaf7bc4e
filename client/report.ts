import type { Histogram } from "../lib/histogram.ts";

/** What a `connect` run did, as printed by `--json` (snake_case keys, latency in microseconds). */
export interface Report {
  /** Connections asked for. */
  conns: number;
  /** Messages (or requests) whose reply was received and verified. */
  messages: number;
  /** Bytes that left the client. */
  bytes_sent: number;
  /** Bytes that came back, all verified. */
  bytes_received: number;
  /** Connections that failed. */
  errors: number;
  /** Wall time from the first connect to the last close. */
  seconds: number;
  /** `messages / seconds`. */
  messages_per_second: number;
  /** Bytes both ways per second, in millions (as `../shared/bench` counts). */
  mb_per_second: number;
  /** Round-trip time of a message, from queueing it to its last byte back. */
  latency_us: { p50: number; p90: number; p99: number; max: number };
}

/** The counts a run adds up, before rates are derived. */
export interface Totals {
  /** Connections asked for. */
  conns: number;
  /** Verified messages. */
  messages: number;
  /** Bytes sent. */
  bytesSent: number;
  /** Bytes received. */
  bytesReceived: number;
  /** Failed connections. */
  errors: number;
  /** Elapsed seconds. */
  seconds: number;
}

/** Derives rates and percentiles from a run's totals and latency histogram. */
export function makeReport(t: Totals, latency: Histogram): Report {
  const secs = Math.max(t.seconds, 1e-9);
  return {
    conns: t.conns,
    messages: t.messages,
    bytes_sent: t.bytesSent,
    bytes_received: t.bytesReceived,
    errors: t.errors,
    seconds: round(t.seconds, 6),
    messages_per_second: round(t.messages / secs, 1),
    mb_per_second: round((t.bytesSent + t.bytesReceived) / secs / 1e6, 3),
    latency_us: {
      p50: latency.percentile(50),
      p90: latency.percentile(90),
      p99: latency.percentile(99),
      max: latency.max,
    },
  };
}

/** The human summary: two lines, counts then speed. */
export function formatReport(r: Report): string {
  const l = r.latency_us;
  const conns = r.conns === 1 ? "1 connection" : `${r.conns} connections`;
  return `${conns}, ${r.messages} messages verified, ${r.bytes_sent} bytes sent, ` +
    `${r.bytes_received} received, ${r.errors} errors in ${r.seconds.toFixed(3)} s\n` +
    `${r.messages_per_second.toFixed(0)} messages/s, ${r.mb_per_second.toFixed(2)} MB/s, ` +
    `latency p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`;
}

function ms(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
