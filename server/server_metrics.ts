/**
 * A server's metrics: a snapshot of its counters and gauges (plain data, so
 * a worker can post it), and the Prometheus families that snapshots make,
 * one sample per worker with `--workers`.
 *
 * @module
 */
import type { Labels, MetricFamily } from "../lib/prometheus_text.ts";
import type { Entrance } from "./entrance.ts";
import type { ServerStats } from "./server_stats.ts";
import type { Connection } from "./connection.ts";
import { liveTraffic, type Traffic } from "./traffic.ts";

/** A server's metrics at one moment. */
export interface ServerSnapshot {
  /** Its running totals, bytes counted as they move. */
  readonly stats: ServerStats;
  /** Connections open now. */
  readonly open: number;
  /** Refused connections still lingering to be told why. */
  readonly lingering: number;
  /** Connections that failed, by kind (`reset`, `timeout`, ...). */
  readonly errors: Readonly<Record<string, number>>;
  /** The buffer budget (`--max-buffer`), or null without one. */
  readonly budget: {
    readonly limit: number;
    readonly held: number;
    readonly binds: number;
    readonly throttled: number;
  } | null;
  /** Each named entrance (a relay's proxy): its labels, open connections and traffic. */
  readonly entrances: readonly {
    readonly labels: Labels;
    readonly open: number;
    readonly traffic: Traffic;
  }[];
}

/** Counts a connection that failed with `failure`: in `stats`, and under its kind in `errors`. */
export function countError(
  stats: ServerStats,
  errors: Record<string, number>,
  failure: string,
): void {
  stats.failed++;
  const kind = errorKind(failure);
  errors[kind] = (errors[kind] ?? 0) + 1;
}

/** The figures of the named entrances among `entrances`, their open connections' bytes so far included. */
export function entranceFigures(entrances: Iterable<Entrance>): ServerSnapshot["entrances"] {
  return [...entrances].filter((e) => e.labels !== null).map((e) => ({
    labels: e.labels!,
    open: e.conns.size,
    traffic: liveTraffic(e.traffic, e.conns),
  }));
}

/** `stats` with the bytes the `open` connections carried so far added. */
export function liveStats(stats: ServerStats, open: Iterable<Connection>): ServerStats {
  const live = { ...stats };
  for (const conn of open) {
    live.bytesIn += conn.key!.bytesRead;
    live.bytesOut += conn.key!.bytesWritten;
  }
  return live;
}

/** The kinds of failure, each exported (as 0 until one happens), so a rate of any is defined. */
export const ERROR_KINDS = ["connect", "reset", "broken_pipe", "timeout", "tls", "other"] as const;

/** The kind of a failure, from its one-line cause: the `kind` label of the error counter. */
export function errorKind(failure: string): string {
  if (/cannot connect to/.test(failure)) return "connect";
  if (/reset/.test(failure)) return "reset";
  if (/broken pipe/.test(failure)) return "broken_pipe";
  if (/timed out|no reply/.test(failure)) return "timeout";
  if (/TLS|certificate|handshake/i.test(failure)) return "tls";
  return "other";
}

type Sample = { labels: Labels; value: number };

/**
 * The families of `parts` (a server's snapshot, or each worker's with its
 * number): connections accepted, open, refused, turned away, aborted, idle
 * closed; bytes; errors by kind; lingering refusals; the buffer budget; and
 * per named entrance the bytes each way, named as Toxiproxy names them
 * (`direction` upstream: client to target).
 *
 * @example
 * ```ts
 * import { metricFamilies, type ServerSnapshot } from "./server_metrics.ts";
 * import { prometheusText } from "../lib/prometheus_text.ts";
 * declare const snapshot: ServerSnapshot;
 * console.log(prometheusText(metricFamilies([{ worker: null, snapshot }])));
 * ```
 */
export function metricFamilies(
  parts: readonly { readonly worker: number | "main" | null; readonly snapshot: ServerSnapshot }[],
): MetricFamily[] {
  const each = (value: (s: ServerSnapshot) => number): Sample[] =>
    parts.map((p) => ({ labels: workerLabel(p.worker), value: value(p.snapshot) }));
  const families: MetricFamily[] = [
    counter(
      "connections_accepted_total",
      "Connections accepted and served.",
      each((s) => s.stats.accepted),
    ),
    gauge("connections_open", "Connections open now.", each((s) => s.open)),
    counter(
      "connections_refused_total",
      "Connections refused at the connection limit (--max-conns).",
      each((s) => s.stats.refused),
    ),
    counter(
      "connections_turned_away_total",
      "Connections turned away at once (a relay's --refuse).",
      each((s) => s.stats.turnedAway),
    ),
    counter(
      "connections_aborted_total",
      "Connections the peer reset while they waited to be accepted.",
      each((s) => s.stats.aborted),
    ),
    counter(
      "connections_idle_closed_total",
      "Connections closed for being idle (--idle-timeout).",
      each((s) => s.stats.idle),
    ),
    counter("bytes_received_total", "Bytes read from peers.", each((s) => s.stats.bytesIn)),
    counter("bytes_sent_total", "Bytes written to peers.", each((s) => s.stats.bytesOut)),
    counter(
      "connection_errors_total",
      "Connections that ended in an error, by kind.",
      parts.flatMap((p) =>
        ERROR_KINDS.map((kind) => ({
          labels: { ...workerLabel(p.worker), kind },
          value: p.snapshot.errors[kind] ?? 0,
        }))
      ),
    ),
    gauge(
      "refusals_lingering",
      "Refused connections still being told why before they close.",
      each((s) => s.lingering),
    ),
  ];
  const budgeted = parts.filter((p) => p.snapshot.budget !== null);
  const budget = (value: (b: NonNullable<ServerSnapshot["budget"]>) => number): Sample[] =>
    budgeted.map((p) => ({ labels: workerLabel(p.worker), value: value(p.snapshot.budget!) }));
  families.push(
    gauge("buffer_limit_bytes", "The buffer budget (--max-buffer).", budget((b) => b.limit)),
    gauge(
      "buffer_held_bytes",
      "Bytes held for peers, charged to the budget.",
      budget((b) => b.held),
    ),
    counter(
      "buffer_binds_total",
      "Times the budget bound and paused reads.",
      budget((b) => b.binds),
    ),
    gauge(
      "buffer_throttled_connections",
      "Connections whose reads the budget has paused.",
      budget((b) => b.throttled),
    ),
  );
  const proxies = parts.flatMap((p) =>
    p.snapshot.entrances.map((e) => ({ ...e, labels: { ...e.labels, ...workerLabel(p.worker) } }))
  );
  const link = (direction: string, value: (t: Traffic) => number): Sample[] =>
    proxies.map((e) => ({ labels: { ...e.labels, direction }, value: value(e.traffic) }));
  families.push(
    counter(
      "proxy_received_bytes_total",
      "Bytes a proxy read: upstream from its clients, downstream from its upstream.",
      [...link("upstream", (t) => t.clientIn), ...link("downstream", (t) => t.targetIn)],
    ),
    counter(
      "proxy_sent_bytes_total",
      "Bytes a proxy wrote: upstream to its upstream, downstream to its clients.",
      [...link("upstream", (t) => t.targetOut), ...link("downstream", (t) => t.clientOut)],
    ),
    counter(
      "proxy_connections_accepted_total",
      "Connections a proxy accepted.",
      proxies.map((e) => ({ labels: e.labels, value: e.traffic.accepted })),
    ),
    gauge(
      "proxy_connections_open",
      "Connections open through a proxy.",
      proxies.map((e) => ({ labels: e.labels, value: e.open })),
    ),
  );
  return families;
}

function workerLabel(worker: number | "main" | null): Labels {
  return worker === null ? {} : { worker: String(worker) };
}

function counter(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name: `sockdemo_${name}`, help, type: "counter", samples };
}

function gauge(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name: `sockdemo_${name}`, help, type: "gauge", samples };
}
