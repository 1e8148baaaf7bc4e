/**
 * `connect --report` as a user sees it: a 10 s run on 4 workers, its page
 * opened in headless Chromium, its charts' data read back through the DOM,
 * and a screenshot kept in `test_artifacts/`.
 */
import assert from "node:assert/strict";
import type { Report } from "../../client/report.ts";
import { cEchoServer } from "../c_echo_server.ts";
import { chromiumPath, visit } from "../chromium.ts";
import { runSockdemo } from "../sockdemo_process.ts";

const ARTIFACTS = new URL("../../test_artifacts/", import.meta.url).pathname;

interface Probed {
  title: string;
  charts: {
    id: string;
    title: string;
    axes: { which: string; title: string; log: string; ticks: string[] }[];
    series: { name: string; points: string; marks: number }[];
  }[];
  parts: string[];
  summary: string;
}

// Reads every chart back from the page: axes, tick labels, each series' data.
const PROBE = `(() => ({
  title: document.title,
  charts: [...document.querySelectorAll("svg.chart")].map((svg) => ({
    id: svg.id,
    title: svg.querySelector("text.title").textContent,
    axes: [...svg.querySelectorAll("g.axis")].map((a) => ({
      which: a.classList.contains("x") ? "x" : "y",
      title: a.querySelector(".axis-title").textContent,
      log: a.dataset.log,
      ticks: [...a.querySelectorAll("g.tick text")].map((t) => t.textContent),
    })),
    series: [...svg.querySelectorAll("g.series")].map((s) => ({
      name: s.dataset.name,
      points: s.dataset.points,
      marks: s.querySelectorAll("polyline, rect").length,
    })),
  })),
  parts: [...document.querySelectorAll("#parts tr td:first-child")].map((td) => td.textContent),
  summary: document.querySelector("#summary pre").textContent,
}))()`;

const points = (text: string) => text.split(" ").map((p) => p.split(",").map(Number));

Deno.test({
  name:
    "connect --report: a 10 s run on 4 workers opens in Chromium in under 2 s, no console errors, its data in the charts",
  ignore: chromiumPath() === null,
  async fn() {
    const server = await cEchoServer();
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/run.html`;
      const run = await runSockdemo([
        "connect",
        "--to",
        `127.0.0.1:${server.port}`,
        "--conns",
        "8",
        "--workers",
        "4",
        "--size",
        "64",
        "--duration",
        "10",
        "--json",
        "--report",
        file,
      ], 60_000);
      assert.equal(run.code, 0, run.stderr);
      const report: Report = JSON.parse(run.stdout);
      const size = (await Deno.stat(file)).size;
      console.log(`report: ${size} bytes`);
      const seen = await visit<Probed>(chromiumPath()!, `file://${file}`, PROBE);
      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await Deno.writeFile(`${ARTIFACTS}report.png`, seen.screenshot);
      console.log(`loaded in ${seen.loadMs.toFixed(0)} ms; screenshot in ${ARTIFACTS}report.png`);
      assert.deepEqual(seen.errors, []);
      assert.ok(seen.loadMs < 2000, `loaded in ${seen.loadMs} ms`);
      assert.match(seen.probed.title, /^sockdemo report: \d{4}-\d\d-\d\dT/);

      const charts = Object.fromEntries(seen.probed.charts.map((c) => [c.id, c]));
      assert.deepEqual(Object.keys(charts), [
        "throughput",
        "latency-over-time",
        "spectrum",
        "histogram",
      ]);
      const workers = ["worker 1", "worker 2", "worker 3", "worker 4"];
      const intervals = report.intervals!;
      // Each worker runs its 10 s from when it started: together they span a little more.
      assert.ok(intervals.length >= 10 && intervals.length <= 12, `${intervals.length} intervals`);

      // Throughput: the merged intervals' rates, and each worker's line beside them.
      const throughput = charts["throughput"];
      assert.deepEqual(throughput.series.map((s) => s.name), ["all", ...workers]);
      assert.deepEqual(
        points(throughput.series[0].points).map((p) => p[1]),
        intervals.map((iv) => iv.messages_per_second),
      );
      // Its x is the end of each interval, in seconds from the first one's start: the last near 10.
      const lastX = points(throughput.series[0].points).at(-1)![0];
      assert.ok(lastX >= 10 && lastX < 10.5, `last at ${lastX} s`);
      for (const s of throughput.series) assert.equal(points(s.points).length, intervals.length);
      assert.deepEqual(throughput.axes.map((a) => [a.which, a.title, a.log]), [
        ["x", "seconds since the start", "false"],
        ["y", "messages/s", "false"],
      ]);
      assert.ok(throughput.axes[0].ticks.includes("10"), throughput.axes[0].ticks.join());

      // Latency over time: p50, p99, max per interval, in ms, on a log axis.
      const overTime = charts["latency-over-time"];
      assert.deepEqual(overTime.series.map((s) => s.name), ["p50", "p99", "max"]);
      assert.deepEqual(
        points(overTime.series[1].points).map((p) => p[1]),
        intervals.map((iv) => Math.round(iv.latency_us.p99) / 1000),
      );
      assert.equal(overTime.axes[1].log, "true");

      // The spectrum: percentiles on 1/(1-p), labelled as percentiles; the merged p50 at x = 2.
      const spectrum = charts["spectrum"];
      assert.deepEqual(spectrum.series.map((s) => s.name), ["all", ...workers]);
      assert.deepEqual(spectrum.axes[0].ticks.slice(0, 4), ["0%", "90%", "99%", "99.9%"]);
      const all = points(spectrum.series[0].points);
      const atTwo = all.find((p) => Math.abs(p[0] - 1.995) < 0.01)!;
      assert.ok(atTwo !== undefined, "a point near x = 2");
      assert.ok(all.every((p, i) => i === 0 || p[1] >= all[i - 1][1]), "rises with the percentile");

      // The histogram: one bar per bucket, the shares adding up to all messages.
      const bars = charts["histogram"].series[0];
      const shares = points(bars.points).map((p) => p[1]);
      assert.equal(bars.marks, shares.length);
      assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) < 0.01, `${shares}`);

      assert.deepEqual(seen.probed.parts, [...workers, "all"]);
      assert.match(
        seen.probed.summary,
        new RegExp(`8 connections, ${report.messages} messages verified`),
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
