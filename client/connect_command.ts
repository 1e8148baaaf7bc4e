/**
 * `sockdemo connect`: the run its options ask for (or, with `--pipe`, the
 * one connection), its progress line, its report and its exit code.
 *
 * @module
 */
import { helpText } from "../lib/command_line.ts";
import { whileSignalled } from "../lib/stop_signals.ts";
import { checkCommand } from "./check_command.ts";
import { udpCommand } from "./udp_command.ts";
import type { RunResult } from "./connect.ts";
import { isLoadRun, isSingleRequest, plannedMessages, runConnect } from "./connect_config.ts";
import { CONNECT_SPEC, connectConfig, parseConnectLine } from "./connect_options.ts";
import { runConnectWorkers, WorkersUnavailable } from "./connect_workers.ts";
import { pipeCommand } from "./pipe_command.ts";
import { Progress } from "./progress.ts";
import { formatReport } from "./report.ts";
import { writeHtmlReport } from "./html_report.ts";
import { IntervalPrinter } from "./interval_printer.ts";
import type { IntervalReport } from "./intervals.ts";
import { brokenLine, judgeThresholds } from "./thresholds.ts";

// The exit code of a run ended by SIGINT, as a shell reports a process killed by it.
const INTERRUPTED = 130;

/** Runs `sockdemo connect ARGS` and resolves to the exit code. */
export async function connectCommand(args: string[]): Promise<number> {
  const line = parseConnectLine(args);
  if (line === null) {
    console.log(helpText(CONNECT_SPEC));
    return 0;
  }
  // A pipe is not a run of clients: its own few options. Nor is a check.
  if (line.values.check) return await checkCommand(line);
  if (line.values.udp) {
    return await whileSignalled(["SIGINT"], (interrupt) => udpCommand(line, { interrupt }));
  }
  if (line.given("wait")) line.fail("--wait goes with --check");
  if (/[-,]/.test(line.values.port ?? "")) line.fail("a port list (--port 20-30,80) needs --check");
  if (line.values.pipe) return await pipeCommand(line);
  const config = connectConfig(line);
  // Interval lines take the progress line's place (iperf3's way); --json keeps them for the object.
  const lines = isLoadRun(config) && config.interval > 0 && !config.json && !config.quiet
    ? new IntervalPrinter(console.log)
    : null;
  const wantsProgress = isLoadRun(config) && lines === null && !config.json && !config.quiet &&
    Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const progress = wantsProgress
    ? new Progress(
      performance.now(),
      config.duration === null
        ? Infinity
        : performance.now() + (config.warmup + config.duration) * 1000,
      plannedMessages(config),
      (text) => Deno.stderr.writeSync(encoder.encode(text)),
    )
    : null;
  const onTick = progress === null ? undefined : (now: number, n: number) => progress.tick(now, n);
  const onInterval = lines === null ? undefined : (iv: IntervalReport) => lines.print(iv);
  let result: RunResult;
  try {
    result = await whileSignalled(["SIGINT"], (interrupt) => {
      const hooks = { onTick, onInterval, interrupt };
      return config.workers === 1
        ? runConnect(config, null, hooks)
        : runConnectWorkers(config, hooks);
    });
  } catch (e) {
    if (!(e instanceof WorkersUnavailable)) throw e;
    console.error(`sockdemo: ${e.message}`);
    return 1;
  }
  if (isSingleRequest(config)) {
    if (result.failure !== null) console.error(`sockdemo: ${result.failure}`);
    return result.interrupted ? INTERRUPTED : result.failure === null ? 0 : 1;
  }
  progress?.clear();
  const broken = judgeThresholds(config.thresholds, result.report);
  if (config.json) console.log(JSON.stringify(result.report));
  else if (result.connected > 0) console.log(formatReport(result.report, result.latency));
  for (const t of broken) console.error(`sockdemo: ${brokenLine(t)}`);
  const unwritten = config.report === null ? null : await writeHtmlReport(config.report, {
    command: ["sockdemo", "connect", ...args].join(" "),
    report: result.report,
    parts: result.parts ?? [],
  });
  if (unwritten !== null) console.error(`sockdemo: ${unwritten}`);
  if (result.interrupted) {
    console.error(
      `sockdemo: interrupted after ${result.report.seconds.toFixed(2)} s: ` +
        `the figures cover the run until then`,
    );
    return INTERRUPTED;
  }
  // A fixed count can run out inside the warm-up: then there is no figure to trust.
  const failure = result.failure ??
    (config.warmup > 0 && result.report.messages === 0
      ? `the run ended within the ${config.warmup} s warm-up, so nothing was measured ` +
        `(give --duration, or a shorter --warmup)`
      : null);
  if (failure !== null) {
    console.error(`sockdemo: ${failure}`);
    return 1;
  }
  return broken.length > 0 || unwritten !== null ? 1 : 0;
}
