/**
 * `sockdemo merge FILE...`: one report from the `connect --json` reports of
 * runs made on many machines or processes.
 *
 * @module
 */
import { type CommandSpec, helpText, parseCommand } from "../lib/command_line.ts";
import { describeError } from "../lib/describe_error.ts";
import { Histogram } from "../lib/histogram.ts";
import { mergeReports } from "./merge.ts";
import { writeHtmlReport } from "./html_report.ts";
import { IntervalPrinter } from "./interval_printer.ts";
import { formatReport, type Report } from "./report.ts";
import { brokenLine, judgeThresholds, parseThreshold } from "./thresholds.ts";
import { tallyJson, udpFigures } from "./udp_command.ts";
import { mergeUdp, udpReport } from "./udp_merge.ts";

/** The command line of `sockdemo merge`. */
export const MERGE_SPEC = {
  name: "merge",
  operands: "FILE...",
  about: `Combines the reports of "sockdemo connect --json" runs made at once on many
machines or processes into one: counts are summed, percentiles come from the
merged latency histograms (never averaged), and rates are over the union of
the runs' time windows. Each FILE holds one report per line; "-" reads
standard input. Reports of "connect --udp --json" runs merge the same way
(sent, received, lost, duplicated, reordered; round trips; jitter weighted
by datagrams received), but not with TCP runs.

Exits 0 when every run verified everything, 1 when a run had errors or a file
cannot be read or is not such a report, 2 on a usage error.`,
  options: {
    json: {
      short: "J",
      help: "print the merged report as one JSON object (with its histogram)",
    },
    report: {
      value: "FILE",
      help: "also write the merged runs as one HTML page with charts, each\n" +
        'input beside the whole, as "connect --report"',
    },
    threshold: {
      value: "EXPR",
      multiple: true,
      check: parseThreshold,
      help: 'fail (exit 1) unless EXPR holds of the merged figures, as "connect\n' +
        '--threshold" (p99<5ms, errors==0, rate>10000, ...); repeatable',
    },
  },
} as const satisfies CommandSpec;

const NUMBERS = ["conns", "messages", "bytes_sent", "bytes_received", "errors"] as const;
const TIMES = ["started_at", "ended_at"] as const;

/** Runs `sockdemo merge ARGS` and resolves to the exit code. */
export async function mergeCommand(args: string[]): Promise<number> {
  const a = parseCommand(MERGE_SPEC, args);
  if (a === null) {
    console.log(helpText(MERGE_SPEC));
    return 0;
  }
  if (a.positionals.length === 0) a.fail('give the files of "connect --json" reports to merge');
  const reports: Report[] = [];
  const names: string[] = [];
  const udp: Record<string, unknown>[] = [];
  for (const file of a.positionals) {
    let text: string;
    try {
      text = file === "-"
        ? await new Response(Deno.stdin.readable).text()
        : await Deno.readTextFile(file);
    } catch (e) {
      console.error(`sockdemo: cannot read ${file}: ${describeError(e)}`);
      return 1;
    }
    const name = file === "-" ? "standard input" : file;
    const lines = text.split("\n");
    // A file of several reports names each by its line.
    const several = lines.filter((l) => l.trim() !== "").length > 1;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "") continue;
      const datagrams = udpLine(lines[i]);
      if (typeof datagrams === "string") {
        console.error(`sockdemo: ${name} line ${i + 1}: ${datagrams}`);
        return 1;
      }
      if (datagrams !== null) {
        udp.push(datagrams);
        continue;
      }
      const problem = check(lines[i]);
      if (typeof problem === "string") {
        console.error(`sockdemo: ${name} line ${i + 1}: ${problem}`);
        return 1;
      }
      reports.push(problem);
      names.push(several ? `${name} line ${i + 1}` : name);
    }
  }
  if (udp.length > 0) {
    if (reports.length > 0) {
      console.error("sockdemo: the reports mix UDP and TCP runs: merge each kind apart");
      return 1;
    }
    return printUdp(udp, a.values.json);
  }
  if (reports.length === 0) {
    console.error(`sockdemo: no reports in ${a.positionals.join(", ")}`);
    return 1;
  }
  const cuts = new Set(reports.map((r) => r.interval));
  if (cuts.size > 1) {
    console.error(
      `sockdemo: the runs were cut into different intervals (${
        [...cuts].map((c) => c === undefined ? "none" : `${c} s`).join(", ")
      }): give them all the same --interval`,
    );
    return 1;
  }
  const { report, latency } = mergeReports(reports);
  const broken = judgeThresholds(a.values.threshold, report);
  if (a.values.json) console.log(JSON.stringify(report));
  else {
    const lines = new IntervalPrinter(console.log);
    for (const interval of report.intervals ?? []) lines.print(interval);
    console.log(formatReport(report, latency));
  }
  for (const t of broken) console.error(`sockdemo: ${brokenLine(t)}`);
  const unwritten = a.values.report === undefined ? null : await writeHtmlReport(a.values.report, {
    command: ["sockdemo", "merge", ...args].join(" "),
    report,
    parts: reports.map((r, i) => ({ name: names[i], report: r })),
  });
  if (unwritten !== null) {
    console.error(`sockdemo: ${unwritten}`);
    return 1;
  }
  if (report.errors > 0) {
    console.error(
      `sockdemo: ${report.errors} of ${report.conns} connections failed across ${reports.length} runs`,
    );
    return 1;
  }
  return broken.length > 0 ? 1 : 0;
}

// The report on `line`, or what is wrong with it.
function check(line: string): Report | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON (expected the output of "sockdemo connect --json")';
  }
  if (typeof value !== "object" || value === null) return "not a JSON object";
  const r = value as Record<string, unknown>;
  for (const name of [...NUMBERS, ...TIMES]) {
    if (typeof r[name] !== "number" || !(r[name] as number >= 0)) {
      return `not a "sockdemo connect --json" report: no "${name}" number`;
    }
  }
  if (typeof r.histogram !== "string") {
    return 'no "histogram": the report comes from a sockdemo older than merge';
  }
  try {
    Histogram.decode(r.histogram);
  } catch (e) {
    return `its "histogram" is ${(e as Error).message}`;
  }
  if (r.interval !== undefined) {
    const wrong = checkIntervals(r.interval, r.intervals);
    if (wrong !== null) return wrong;
  }
  return r as unknown as Report;
}

const INTERVAL_NUMBERS = [
  "start",
  "end",
  "messages",
  "bytes_sent",
  "bytes_received",
  "errors",
  "open",
] as const;

// What is wrong with a report's intervals, or null.
function checkIntervals(interval: unknown, intervals: unknown): string | null {
  if (typeof interval !== "number" || !(interval > 0)) return 'its "interval" is not a length';
  if (!Array.isArray(intervals)) return 'it has an "interval" but no "intervals" list';
  for (const [i, item] of intervals.entries()) {
    const iv = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    for (const name of INTERVAL_NUMBERS) {
      if (typeof iv[name] !== "number" || !(iv[name] as number >= 0)) {
        return `interval ${i + 1} has no "${name}" number`;
      }
    }
    try {
      Histogram.decode(String(iv.histogram));
    } catch (e) {
      return `the "histogram" of interval ${i + 1} is ${(e as Error).message}`;
    }
  }
  return null;
}

// A `connect --udp --json` report on `line`, checked; null when the line is no UDP report.
function udpLine(line: string): Record<string, unknown> | string | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null; // said by check()
  }
  const r = value as Record<string, unknown> | null;
  if (typeof r !== "object" || r === null || r.mode !== "udp") return null;
  const one = udpReport(r);
  return typeof one === "string" ? one : r;
}

// The merged UDP runs, as connect --udp prints one; exit 1 if any datagram came back changed.
function printUdp(reports: Record<string, unknown>[], json: boolean): number {
  const { tally, sockets, socketErrors } = mergeUdp(reports);
  if (json) {
    const fields = tallyJson(tally, socketErrors);
    console.log(JSON.stringify({ mode: "udp", runs: reports.length, sockets, ...fields }));
  } else {
    console.log(`udp: ${reports.length} runs merged, ${sockets} sockets`);
    console.log(udpFigures(tally, socketErrors));
  }
  return tally.corrupt > 0 ? 1 : 0;
}
