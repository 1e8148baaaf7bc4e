/**
 * `sockdemo connect`: its options, their checks, and the run they ask for.
 *
 * @module
 */
import { helpText } from "../lib/command_line.ts";
import type { RunResult } from "./connect.ts";
import {
  type ConnectConfig,
  isLoadRun,
  isSingleRequest,
  plannedMessages,
  runConnect,
} from "./connect_config.ts";
import { runConnectWorkers, WorkersUnavailable } from "./connect_workers.ts";
import { pipeCommand } from "./pipe_command.ts";
import { Progress } from "./progress.ts";
import {
  clientTls,
  CONNECT_SPEC,
  type ConnectLine,
  parseConnectLine,
  serverAddress,
} from "./connect_options.ts";
import { formatReport } from "./report.ts";

const GUIDE_MESSAGES = ["Message 1 from client.", "Message 2 from client."];
// The exit code of a run ended by SIGINT, as a shell reports a process killed by it.
const INTERRUPTED = 130;

/** Runs `sockdemo connect ARGS` and resolves to the exit code. */
export async function connectCommand(args: string[]): Promise<number> {
  const line = parseConnectLine(args);
  if (line === null) {
    console.log(helpText(CONNECT_SPEC));
    return 0;
  }
  // A pipe is not a run of clients: its own few options.
  if (line.values.pipe) return await pipeCommand(line);
  const config = connectConfig(line);
  const wantsProgress = isLoadRun(config) && !config.json && !config.quiet &&
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
  // Ctrl-C ends the run at once, and what was measured is still reported (as iperf3 and wrk do).
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  let result: RunResult;
  try {
    result = config.workers === 1
      ? await runConnect(config, null, onTick, interrupt.signal)
      : await runConnectWorkers(config, onTick, interrupt.signal);
  } catch (e) {
    if (!(e instanceof WorkersUnavailable)) throw e;
    console.error(`sockdemo: ${e.message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  if (isSingleRequest(config)) {
    if (result.failure !== null) console.error(`sockdemo: ${result.failure}`);
    return result.interrupted ? INTERRUPTED : result.failure === null ? 0 : 1;
  }
  progress?.clear();
  if (config.json) console.log(JSON.stringify(result.report));
  else if (result.connected > 0) console.log(formatReport(result.report, result.latency));
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
  return 0;
}

// The run the command line asks for.
function connectConfig(line: ConnectLine): ConnectConfig {
  const values = line.values, positionals = line.positionals;
  const a = { fail: line.fail };
  const protocol = values.protocol ?? "echo";
  const only = (option: string, given: boolean, wanted: string) => {
    if (given && protocol !== wanted) a.fail(`${option} applies to --protocol ${wanted}`);
  };
  only("--messages", values.messages !== undefined, "echo");
  only("--size", values.size !== undefined, "echo");
  only("--requests", values.requests !== undefined, "app");
  only("--keep-alive", values["keep-alive"], "app");
  only("--verbose", values.verbose, "app");
  const count = protocol === "echo" ? values.messages : values.requests;
  const countName = protocol === "echo" ? "--messages" : "--requests";
  if (count !== undefined && values.duration !== undefined) {
    a.fail(`give ${countName} or --duration, not both`);
  }
  const at = serverAddress(line);
  const tls = clientTls(line, at);
  const conns = values.conns ?? (protocol === "app" ? 1 : 2);
  const duration = values.duration ?? null;
  const warmup = values.warmup ?? 0;
  const rate = values.rate ?? null;
  const timeout = values.timeout ?? 10;
  // Paced, the window only bounds memory when the server falls behind.
  const depth = values.depth ?? (rate === null ? 1 : 64);
  if (rate !== null && protocol === "app" && !values["keep-alive"]) {
    a.fail("--rate needs --keep-alive with --protocol app");
  }
  if (values.depth !== undefined && protocol === "app" && !values["keep-alive"]) {
    // Without keep-alive each request has a connection of its own: nothing to pipeline.
    a.fail("--depth needs --keep-alive with --protocol app");
  }
  // `auto` never asks for more workers than there are connections to share.
  // `auto` never asks for more workers than there are connections to share.
  const workers = values.workers === "auto"
    ? Math.min(navigator.hardwareConcurrency, conns)
    : values.workers ?? 1;
  const base = {
    protocol,
    address: at,
    tls,
    conns,
    workers,
    duration,
    warmup,
    rate,
    timeout,
    depth,
    json: values.json,
    quiet: values.quiet,
    verbose: values.verbose,
    keepAlive: values["keep-alive"],
    size: null,
    messages: 0,
    texts: [],
    request: { kind: "search", text: "morpheus" },
    requests: 0,
  } as const;
  let config: ConnectConfig;
  if (protocol === "echo") {
    const empty = positionals.indexOf("");
    if (empty >= 0) {
      a.fail(
        `MESSAGE ${empty + 1} is empty: an empty message sends nothing, so nothing comes back`,
      );
    }
    if ((count === undefined && duration === null) !== (values.size === undefined)) {
      a.fail("--size goes with --messages or --duration");
    }
    if (values.size !== undefined) {
      if (positionals.length > 0) a.fail("give either --size or MESSAGE arguments, not both");
      config = { ...base, messages: count ?? Infinity, size: values.size };
    } else {
      config = { ...base, texts: positionals.length > 0 ? positionals : GUIDE_MESSAGES };
    }
  } else {
    const requests = count ?? (duration === null ? 1 : Infinity);
    config = { ...base, protocol, request: appRequest((m) => a.fail(m), positionals), requests };
  }
  if (workers > 1) {
    // Each worker prints on its own: a conversation or one reply would come out in pieces.
    if (!isLoadRun(config)) {
      a.fail(
        protocol === "echo"
          ? "--workers needs a load run: give --size with --messages or --duration"
          : "--workers needs a load run: give --conns, --requests, --duration or --json",
      );
    }
    if (workers > conns) a.fail(`--workers ${workers} needs at least ${workers} --conns`);
  }
  return config;
}

// `search VALUE` or `binary TEXT`; nothing means the guide's `search morpheus`.
function appRequest(fail: (message: string) => never, words: string[]): ConnectConfig["request"] {
  const [kind, ...rest] = words;
  if (kind === undefined) return { kind: "search", text: "morpheus" };
  if (kind !== "search" && kind !== "binary") {
    fail(`unknown app request "${kind}": expected search VALUE or binary TEXT`);
  }
  if (rest.length === 0) fail(`${kind} needs ${kind === "search" ? "a VALUE" : "a TEXT"}`);
  return { kind, text: rest.join(" ") };
}
