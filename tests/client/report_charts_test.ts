/** The HTML report's charts: what each one plots from a report, written out. */
import assert from "node:assert/strict";
import { intervalReport } from "../../client/intervals.ts";
import type { Report } from "../../client/report.ts";
import { reportCharts, spectrum } from "../../client/report_charts.ts";
import { Histogram } from "../../lib/histogram.ts";

const B = 1_790_000_000_000;

function report(values: number[], intervals: [number, number, number[]][]): Report {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return {
    conns: 1,
    messages: values.length,
    bytes_sent: 0,
    bytes_received: 0,
    errors: 0,
    seconds: 2,
    messages_per_second: 0,
    mb_per_second: 0,
    latency_us: { p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0, mean: 0 },
    // The window's start as the report gives it, a little before the first interval's.
    started_at: B + 450,
    ended_at: B + 2500,
    histogram: h.encode(),
    interval: 1,
    intervals: intervals.map(([from, to, us]) => {
      const ih = new Histogram();
      for (const v of us) ih.record(v);
      const counts = { messages: us.length, sent: 0, received: 0 };
      return intervalReport(B + from, B + to, (to - from) / 1000, counts, 0, 1, ih);
    }),
  };
}

Deno.test("report charts: throughput and latency per interval, at each interval's end", () => {
  const r = report([100, 200, 300, 4000], [[500, 1000, [100, 200]], [1000, 2000, [300, 4000]]]);
  const [throughput, overTime, , histogram] = reportCharts(r, []);
  assert.equal(throughput.id, "throughput");
  assert.equal(throughput.title, "Throughput per interval");
  assert.deepEqual([throughput.x.title, throughput.y.title], [
    "seconds since the start",
    "messages/s",
  ]);
  // One run: its line is "run"; x is seconds from the first interval's start to each end.
  assert.deepEqual(throughput.series, [{ name: "run", points: [[0.5, 4], [1.5, 2]] }]);
  assert.equal(overTime.id, "latency-over-time");
  assert.equal(overTime.title, "Latency per interval (all connections)");
  assert.deepEqual([overTime.y.title, overTime.y.log], ["latency (ms)", true]);
  assert.deepEqual(overTime.series, [
    { name: "p50", points: [[0.5, 0.1], [1.5, 0.3]] },
    // 4 ms is in HdrHistogram's bucket [4000, 4002) µs: percentiles and max report its top.
    { name: "p99", points: [[0.5, 0.2], [1.5, 4.001]] },
    { name: "max", points: [[0.5, 0.2], [1.5, 4.001]] },
  ]);
  assert.equal(histogram.id, "histogram");
  assert.equal(histogram.kind, "bars");
  assert.equal(histogram.title, "Latency histogram (all connections)");
  assert.deepEqual([histogram.x.title, histogram.x.log, histogram.y.title], [
    "latency up to (ms)",
    true,
    "share of messages (%)",
  ]);
  // Buckets of 0.1, 0.2, 0.5, 1, 2 and 5 ms: one message in each of 0.1, 0.2, 0.5 and 5.
  assert.deepEqual(histogram.series, [{
    name: "run",
    points: [[0.1, 25], [0.2, 25], [0.5, 25], [1, 0], [2, 0], [5, 25]],
  }]);
  assert.equal(histogram.x.label!(0.5), "0.5");
});

Deno.test("report charts: the spectrum on 1/(1-p), labelled as percentiles, each part beside the whole", () => {
  const a = report([100, 100, 100, 1000], [[500, 1000, [100]]]);
  const b = report([200], [[500, 1000, [200]]]);
  const whole = report([100, 100, 100, 1000, 200], [[500, 1000, [100, 200]]]);
  const [throughput, , spectrumChart] = reportCharts(whole, [
    { name: "a.json", report: a },
    { name: "b.json", report: b },
  ]);
  assert.deepEqual(throughput.series.map((s) => s.name), ["all", "a.json", "b.json"]);
  assert.equal(spectrumChart.id, "spectrum");
  assert.equal(spectrumChart.title, "Latency by percentile");
  assert.deepEqual([spectrumChart.x.title, spectrumChart.x.log, spectrumChart.y.title], [
    "percentile",
    true,
    "latency (ms)",
  ]);
  assert.deepEqual(spectrumChart.x.ticks, [
    [1, "0%"],
    [10, "90%"],
    [100, "99%"],
    [1000, "99.9%"],
    [10_000, "99.99%"],
    [100_000, "99.999%"],
    [1_000_000, "99.9999%"],
  ]);
  assert.deepEqual(spectrumChart.series.map((s) => s.name), ["all", "a.json", "b.json"]);
  assert.deepEqual(spectrumChart.series[2].points, [[1, 0.2]]);
});

Deno.test("spectrum: ten points a decade, up to one message in the count; none for nothing", () => {
  const h = new Histogram();
  for (let i = 1; i <= 10; i++) h.record(i * 100);
  // x = 10^(k/10) for k = 0..10; y the value of the ceil((1 - 1/x) * 10)th message, in ms
  // (HdrHistogram's rule), so x = 5.012 (80.05%) is the 9th: 0.9 ms.
  assert.deepEqual(spectrum(h), [
    [1, 0.1],
    [1.259, 0.3],
    [1.585, 0.4],
    [1.995, 0.5],
    [2.512, 0.7],
    [3.162, 0.7],
    [3.981, 0.8],
    [5.012, 0.9],
    [6.31, 0.9],
    [7.943, 0.9],
    [10, 0.9],
  ]);
  assert.deepEqual(spectrum(new Histogram()), []);
});

Deno.test("report charts: a run without intervals (--interval 0) draws its spectrum and histogram, nothing over time", () => {
  const r = { ...report([100, 200], []), interval: undefined, intervals: undefined };
  const charts = reportCharts(r, []);
  assert.deepEqual(charts[0].series, [{ name: "run", points: [] }]);
  assert.deepEqual(charts[1].series.map((s) => s.points), [[], [], []]);
  // Two messages: up to x = 2 (the 50th percentile), every point is the ceil(p * 2) = 1st: 0.1 ms.
  assert.deepEqual(charts[2].series[0].points, [
    [1, 0.1],
    [1.259, 0.1],
    [1.585, 0.1],
    [1.995, 0.1],
  ]);
  const empty = reportCharts({ ...report([100], []), intervals: [] }, []);
  assert.deepEqual(empty[0].series, [{ name: "run", points: [] }]);
});

Deno.test("report charts: each part's throughput lines up with the whole's intervals, 0 where it did not run", () => {
  const whole = report([1, 2, 3, 4], [[500, 1000, [1, 2]], [1000, 2000, [3]], [2000, 2300, [4]]]);
  // This worker started a second late, and ended early within the last slot.
  const late = report([3, 4], [[1200, 2000, [3]], [2000, 2100, [4]]]);
  const [throughput] = reportCharts(whole, [{ name: "worker 2", report: late }]);
  assert.deepEqual(throughput.series[1], {
    name: "worker 2",
    points: [[0.5, 0], [1.5, 1.3], [1.8, 10]], // its own rates (1 message in 0.8 s, rounded; 1 in 0.1 s)
  });
  // A part that measured no intervals lies at 0 along the whole's; a whole without any draws no line.
  const none = { ...report([1], []), interval: undefined, intervals: undefined };
  const [beside] = reportCharts(whole, [{ name: "worker 3", report: none }]);
  assert.deepEqual(beside.series[1].points, [[0.5, 0], [1.5, 0], [1.8, 0]]);
  const [flat] = reportCharts(none, [{ name: "worker 2", report: late }]);
  assert.deepEqual(flat.series, [{ name: "all", points: [] }, { name: "worker 2", points: [] }]);
});
