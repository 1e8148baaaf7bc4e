/**
 * `connect --report`: one self-contained HTML page, its parts written out
 * (the page in Chromium: report_chromium_test.ts).
 */
import assert from "node:assert/strict";
import { htmlReport, writeHtmlReport } from "../../client/html_report.ts";
import { VERSION } from "../../lib/version.ts";
import type { Report } from "../../client/report.ts";
import { Histogram } from "../../lib/histogram.ts";
import { cEchoServer } from "../c_echo_server.ts";
import { runSockdemo } from "../sockdemo_process.ts";

function smallReport(): Report {
  const h = new Histogram();
  for (const us of [100, 200, 5000]) h.record(us);
  return {
    conns: 1,
    messages: 3,
    bytes_sent: 30,
    bytes_received: 30,
    errors: 0,
    seconds: 1,
    messages_per_second: 3,
    mb_per_second: 0,
    latency_us: { p50: 200, p90: 5000, p99: 5000, p99_9: 5000, max: 5000, mean: 1766.7 },
    started_at: 1_790_000_000_000,
    ended_at: 1_790_000_001_000,
    histogram: h.encode(),
  };
}

Deno.test("html report: nothing to fetch (no script, link, image or import), the command escaped", () => {
  const html = htmlReport({
    command: `sockdemo connect --threshold "p99<5ms" <&>`,
    report: smallReport(),
    parts: [],
  });
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|src=|href=|url\(|@import/i);
  // The only URL is SVG's namespace, which is a name, not a fetch.
  assert.deepEqual([...new Set(html.match(/https?:\/\/[^"]+/g))], ["http://www.w3.org/2000/svg"]);
  assert.match(html, /sockdemo connect --threshold &quot;p99&lt;5ms&quot; &lt;&amp;&gt;/);
  assert.match(html, /3 messages verified/);
  assert.doesNotMatch(html, /id="parts"/);
});

Deno.test("html report: the run's facts, its summary, a thresholds table and the parts, written out", () => {
  const base = smallReport();
  const report: Report = {
    ...base,
    interval: 1,
    intervals: [],
    interrupted: true,
    thresholds: [
      { threshold: "p99<1ms", metric: "p99", value: 5000, ok: false },
      { threshold: "errors==0", metric: "errors", value: 0, ok: true },
    ],
  };
  const part = {
    ...base,
    conns: 3,
    messages: 1234,
    messages_per_second: 567.4,
    mb_per_second: 1.234,
  };
  const html = htmlReport({
    command: "sockdemo merge a.json",
    report,
    parts: [{ name: "a.json", report: part }, { name: "b.json", report: part }],
  });
  // 1,790,000,000 s after the epoch: 20,717 days and 51,200 s, 2026-09-21 at 14:13:20.
  assert.ok(
    html.startsWith(
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n' +
        "<title>sockdemo report: 2026-09-21T14:13:20.000Z</title>\n<style>body{font:14px/1.4 system-ui",
    ),
    html,
  );
  assert.match(
    html,
    /svg\.chart\{display:block;[^<]*<\/style><\/head><body>\n<h1>sockdemo report<\/h1>\n/,
  );
  assert.ok(
    html.includes(
      '<section id="parameters"><h2>Run</h2><table>' +
        "<tr><th>command</th><td>sockdemo merge a.json</td></tr>" +
        `<tr><th>sockdemo</th><td>${VERSION}</td></tr>` +
        "<tr><th>started</th><td>2026-09-21T14:13:20.000Z</td></tr>" +
        "<tr><th>measured</th><td>1.000 s</td></tr>" +
        "<tr><th>connections</th><td>1</td></tr>" +
        "<tr><th>interval</th><td>1 s</td></tr>" +
        "<tr><th>interrupted</th><td>yes</td></tr>" +
        "</table></section>",
    ),
    html,
  );
  assert.ok(
    html.includes(
      "</pre>" +
        '<table id="thresholds"><tr><th>threshold</th><th>value</th><th>held</th></tr>' +
        "<tr><td>p99&lt;1ms</td><td>5000</td><td>NO</td></tr>" +
        "<tr><td>errors==0</td><td>0</td><td>yes</td></tr></table></section>",
    ),
  );
  assert.match(
    html,
    /<section id="summary"><h2>Summary<\/h2><pre>1 connection, 3 messages verified/,
  );
  assert.match(
    html,
    /<section id="charts"><h2>Charts<\/h2><svg id="throughput"[^]*<\/svg>\n<svg id="latency-over-time"/,
  );
  assert.ok(
    html.includes(
      '<section id="parts"><h2>Parts</h2><table><tr><th>part</th><th>connections</th>' +
        "<th>messages</th><th>messages/s</th><th>MB/s</th><th>p50</th><th>p99</th><th>max</th>" +
        "<th>errors</th></tr>" +
        "<tr><td>a.json</td><td>3</td><td>1234</td><td>567</td><td>1.23</td>" +
        "<td>0.200 ms</td><td>5.00 ms</td><td>5.00 ms</td><td>0</td></tr>" +
        "<tr><td>b.json</td><td>3</td><td>1234</td><td>567</td><td>1.23</td>" +
        "<td>0.200 ms</td><td>5.00 ms</td><td>5.00 ms</td><td>0</td></tr>" +
        "<tr><td>all</td><td>1</td><td>3</td><td>3</td><td>0.00</td>" +
        "<td>0.200 ms</td><td>5.00 ms</td><td>5.00 ms</td><td>0</td></tr>" +
        "</table></section>\n</body></html>\n",
    ),
    html,
  );
});

Deno.test("html report: a run without intervals, interruption or thresholds says so plainly", () => {
  const html = htmlReport({ command: "c", report: smallReport(), parts: [] });
  assert.match(html, /<tr><th>interval<\/th><td>none<\/td><\/tr><\/table>/);
  assert.doesNotMatch(html, /interrupted|id="thresholds"/);
  assert.match(html, /<\/pre><\/section>/);
  // No parts: nothing between the charts and the end.
  assert.ok(html.endsWith("</svg></section>\n\n</body></html>\n"), html.slice(-80));
  const empty = htmlReport({
    command: "c",
    report: { ...smallReport(), thresholds: [] },
    parts: [],
  });
  assert.doesNotMatch(empty, /id="thresholds"/);
});

Deno.test("html report: written to a file, or why not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const input = { command: "c", report: smallReport(), parts: [] };
    assert.equal(await writeHtmlReport(`${dir}/r.html`, input), null);
    assert.equal(await Deno.readTextFile(`${dir}/r.html`), htmlReport(input));
    assert.equal(
      await writeHtmlReport(`${dir}/no/r.html`, input),
      `cannot write the report to ${dir}/no/r.html: no such file or directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connect --report to a file that cannot be written: the run's summary, then exit 1 naming it", async () => {
  const server = await cEchoServer();
  try {
    const r = await runSockdemo([
      "connect",
      "--to",
      `127.0.0.1:${server.port}`,
      "--size",
      "8",
      "--messages",
      "10",
      "--report",
      "/nonexistent-dir/run.html",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /2 connections, 20 messages verified/);
    assert.equal(
      r.stderr,
      "sockdemo: cannot write the report to /nonexistent-dir/run.html: no such file or directory\n",
    );
  } finally {
    await server.stop();
  }
});
