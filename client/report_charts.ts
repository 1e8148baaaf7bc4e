import { Histogram } from "../lib/histogram.ts";
import { round } from "../lib/round.ts";
import type { Chart, Series } from "../lib/svg_chart.ts";
import type { IntervalReport } from "./intervals.ts";
import { latencyBuckets, type Report } from "./report.ts";
import { slotOf } from "./interval_merge.ts";

/** A report with the name it goes by in a chart's legend: "worker 2", a file's name. */
export interface NamedReport {
  readonly name: string;
  readonly report: Report;
}

// The spectrum's x axis: 1 / (1 - percentile), labelled with the percentile.
const SPECTRUM_TICKS = [
  [1, "0%"],
  [10, "90%"],
  [100, "99%"],
  [1000, "99.9%"],
  [10_000, "99.99%"],
  [100_000, "99.999%"],
  [1_000_000, "99.9999%"],
] as const;

/**
 * The charts of a run's HTML report, from the merged report and (with
 * workers, or files merged) its parts: throughput and p50/p99/max latency
 * over time from the intervals, the latency percentile spectrum on
 * HdrHistogram's 1/(1-percentile) axis, and the latency histogram.
 *
 * @example
 * ```ts
 * import { reportCharts } from "./report_charts.ts";
 * import type { Report } from "./report.ts";
 * declare const report: Report; // from `connect --json`
 * console.log(reportCharts(report, []).map((c) => c.id));
 * // ["throughput", "latency-over-time", "spectrum", "histogram"]
 * ```
 */
export function reportCharts(merged: Report, parts: readonly NamedReport[]): Chart[] {
  const origin = merged.intervals?.[0]?.start ?? merged.started_at;
  const all = { name: parts.length > 0 ? "all" : "run", report: merged };
  // A line over the intervals of `r`: at each one's end, its `y`.
  const overTime = (r: NamedReport, y: (interval: IntervalReport) => number): Series => ({
    name: r.name,
    points: (r.report.intervals ?? []).map((iv) => [round((iv.end - origin) / 1000, 3), y(iv)]),
  });
  const time = { title: "seconds since the start" };
  const latencyMs = (us: number) => round(us / 1000, 3);
  return [
    {
      id: "throughput",
      title: "Throughput per interval",
      x: time,
      y: { title: "messages/s" },
      series: [
        overTime(all, (iv) => iv.messages_per_second),
        ...parts.map((r) => alongside(merged, r, origin)),
      ],
    },
    {
      id: "latency-over-time",
      title: "Latency per interval (all connections)",
      x: time,
      y: { title: "latency (ms)", log: true },
      series: (["p50", "p99", "max"] as const).map((p) => ({
        name: p,
        points: overTime(all, (iv) => latencyMs(iv.latency_us[p])).points,
      })),
    },
    {
      id: "spectrum",
      title: "Latency by percentile",
      x: { title: "percentile", log: true, ticks: SPECTRUM_TICKS },
      y: { title: "latency (ms)" },
      series: [all, ...parts].map((r) => ({
        name: r.name,
        points: spectrum(Histogram.decode(r.report.histogram)),
      })),
    },
    {
      id: "histogram",
      title: "Latency histogram (all connections)",
      kind: "bars",
      x: { title: "latency up to (ms)", log: true, label: (v) => String(v) },
      y: { title: "share of messages (%)" },
      series: [{
        name: all.name,
        points: latencyBuckets(Histogram.decode(merged.histogram)).map(([upTo, count]) => [
          latencyMs(upTo),
          round((count / Math.max(1, merged.messages)) * 100, 3),
        ]),
      }],
    },
  ];
}

/**
 * Points of the percentile spectrum: x is 1 / (1 - p) at ten steps a decade,
 * up to where one message in the count is left; y the latency there, in ms.
 */
export function spectrum(latency: Histogram): [number, number][] {
  const count = latency.count;
  const points: [number, number][] = [];
  for (let step = 0; 10 ** (step / 10) <= count; step++) {
    const x = 10 ** (step / 10);
    points.push([round(x, 3), round(latency.percentile(100 * (1 - 1 / x)) / 1000, 3)]);
  }
  return points;
}

// A part's rate in each of the whole's intervals, 0 in one where the part did
// not run (a worker that started a second after another): lines that line up.
function alongside(whole: Report, part: NamedReport, origin: number): Series {
  const everyMs = (whole.interval ?? 0) * 1000;
  // Stryker disable next-line ArrayDeclaration: any made-up interval has no slot of the whole's
  const own = new Map((part.report.intervals ?? []).map((iv) => [slotOf(iv.start, everyMs), iv]));
  return {
    name: part.name,
    points: (whole.intervals ?? []).map((iv) => [
      round((iv.end - origin) / 1000, 3),
      own.get(slotOf(iv.start, everyMs))?.messages_per_second ?? 0,
    ]),
  };
}
