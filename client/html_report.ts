import { describeError } from "../lib/describe_error.ts";
import { escapeXml } from "../lib/escape_xml.ts";
import { svgChart } from "../lib/svg_chart.ts";
import { formatReport, ms, type Report } from "./report.ts";
import { type NamedReport, reportCharts } from "./report_charts.ts";
import { Histogram } from "../lib/histogram.ts";
import { VERSION } from "../lib/version.ts";

/** What an HTML report shows. */
export interface HtmlReportInput {
  /** The command line that made the run (or merged the runs), as typed. */
  readonly command: string;
  /** The run's report, or the runs' merged report. */
  readonly report: Report;
  /** With workers or files merged: each part, beside the merged figures. */
  readonly parts: readonly NamedReport[];
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:10px;overflow:auto}
svg.chart{display:block;margin:12px 0;max-width:100%;height:auto}`;

/**
 * A run's report as one self-contained HTML page: no script, no style sheet
 * or font to fetch, the charts drawn as inline SVG, so it opens anywhere,
 * offline. It shows the command and the run's parameters, the summary as
 * `connect` prints it, the charts of {@linkcode reportCharts} and, with
 * parts, a table of each.
 *
 * @example
 * ```ts
 * import { htmlReport } from "./html_report.ts";
 * import type { Report } from "./report.ts";
 * declare const report: Report; // from `connect --json`
 * await Deno.writeTextFile("run.html", htmlReport({ command: "sockdemo connect ...", report, parts: [] }));
 * ```
 */
export function htmlReport(input: HtmlReportInput): string {
  const { report, parts } = input;
  const latency = Histogram.decode(report.histogram);
  const started = new Date(report.started_at).toISOString();
  const facts: [string, string][] = [
    ["command", input.command],
    ["sockdemo", VERSION],
    ["started", started],
    ["measured", `${report.seconds.toFixed(3)} s`],
    ["connections", String(report.conns)],
    ["interval", report.interval === undefined ? "none" : `${report.interval} s`],
    ...(report.interrupted === true ? [["interrupted", "yes"] as [string, string]] : []),
  ];
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>sockdemo report: ${escapeXml(started)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>sockdemo report</h1>`,
    `<section id="parameters"><h2>Run</h2><table>${
      facts.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("")
    }</table></section>`,
    `<section id="summary"><h2>Summary</h2><pre>${escapeXml(formatReport(report, latency))}</pre>${
      thresholds(report)
    }</section>`,
    `<section id="charts"><h2>Charts</h2>${
      reportCharts(report, parts).map(svgChart).join("\n")
    }</section>`,
    parts.length === 0 ? "" : partsTable(report, parts),
    "</body></html>",
    "",
  ].join("\n");
}

/** Writes `input`'s report to `path`; null when written, else why it could not be. */
export async function writeHtmlReport(
  path: string,
  input: HtmlReportInput,
): Promise<string | null> {
  try {
    await Deno.writeTextFile(path, htmlReport(input));
    return null;
  } catch (e) {
    return `cannot write the report to ${path}: ${describeError(e)}`;
  }
}

function thresholds(report: Report): string {
  const list = report.thresholds ?? [];
  if (list.length === 0) return "";
  return `<table id="thresholds"><tr><th>threshold</th><th>value</th><th>held</th></tr>${
    list.map((t) =>
      `<tr><td>${escapeXml(t.threshold)}</td><td>${t.value}</td><td>${
        t.ok ? "yes" : "NO"
      }</td></tr>`
    ).join("")
  }</table>`;
}

function partsTable(merged: Report, parts: readonly NamedReport[]): string {
  const row = (name: string, r: Report) =>
    `<tr><td>${escapeXml(name)}</td><td>${r.conns}</td><td>${r.messages}</td><td>${
      r.messages_per_second.toFixed(0)
    }</td><td>${r.mb_per_second.toFixed(2)}</td><td>${ms(r.latency_us.p50)}</td><td>${
      ms(r.latency_us.p99)
    }</td><td>${ms(r.latency_us.max)}</td><td>${r.errors}</td></tr>`;
  return `<section id="parts"><h2>Parts</h2><table><tr><th>part</th><th>connections</th>` +
    `<th>messages</th><th>messages/s</th><th>MB/s</th><th>p50</th><th>p99</th><th>max</th>` +
    `<th>errors</th></tr>${parts.map((p) => row(p.name, p.report)).join("")}${
      row("all", merged)
    }</table></section>`;
}
