/**
 * `sockdemo connect`: its options, their checks, and the run they ask for.
 *
 * @module
 */
import { Arguments } from "../lib/arguments.ts";
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
import { tlsOptions } from "./tls_options.ts";
import { formatReport } from "./report.ts";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = "65432";
const GUIDE_MESSAGES = ["Message 1 from client.", "Message 2 from client."];

/** The help of `sockdemo connect`. */
export const CONNECT_HELP =
  `Usage: sockdemo connect [--host HOST] [--port PORT | --unix PATH] [--conns N]
                        [--tls [--ca FILE] [--server-name NAME]]
                        [--messages M | --duration S] [--size BYTES | MESSAGE...]
                        [--rate R] [--warmup S] [--timeout S] [--depth D]
                        [--workers N] [--json]
       sockdemo connect --pipe [--host HOST] [--port PORT | --unix PATH] [--tls ...]
                        [--verbose]
       sockdemo connect --protocol app [search VALUE | binary TEXT] [--conns N]
                        [--requests M | --duration S] [--keep-alive] [--rate R]
                        [--warmup S] [--timeout S] [--depth D] [--workers N]
                        [--verbose] [--json]

Echo (the default): opens N connections, sends messages on each and checks
every byte that comes back. Without messages it sends the socket guide's
"Message 1 from client." and "Message 2 from client." and prints the
conversation.

Pipe (like nc): one connection; standard input goes to the socket and the
socket to standard output, byte for byte, with backpressure both ways. End of
input sends FIN; the peer's FIN ends the output; it exits 0 once both have
ended (or when standard output is closed early), 1 if refused or reset.

App: sends one search (default: search morpheus) or binary request and prints
the reply; with --conns, --requests or --duration it runs N clients making M
requests each and prints a summary. Every reply is checked.

Exits 0 when everything was verified; 1 on a runtime failure (refused, reset,
timed out, a mismatch or wrong reply, nothing measured after --warmup); 2 on a
usage error.

Options:
  --protocol P       echo (default) or app
  --host HOST        server address (default ${DEFAULT_HOST})
  --port PORT        server port (default ${DEFAULT_PORT})
  --unix PATH        connect to a Unix-domain socket instead of HOST:PORT
  --tls              speak TLS to the server (verified against the system's
                     roots and --ca; a failed handshake is a failed connect)
  --ca FILE          also trust this CA certificate (PEM): how a self-signed
                     server is trusted
  --server-name NAME the name the certificate must carry (default: --host)
  --conns N          clients at once (default 2 for echo, 1 for app)
  --messages M       echo: M generated messages per connection (needs --size)
  --size BYTES       echo: size of each generated message
  MESSAGE...         echo: send these texts instead of generated messages
  --requests M       app: requests per client (default 1)
  --keep-alive       app: one connection per client for all its requests
                     (default: a new connection per request, as the guide's client)
  --duration S       keep sending for S seconds instead of a fixed count
  --rate R           open loop: R messages per second per connection, each
                     timed from when it was due, so stalls cannot hide
  --warmup S         run S seconds first and leave them out of the figures
  --timeout S        fail a connection whose handshake, or a reply, takes over
                     S seconds (default 10; 0 waits forever)
  --depth D          messages or requests in flight per connection (default 1,
                     with --rate 64; with app it needs --keep-alive)
  --workers N        split the connections across N threads, each with a loop
                     of its own (auto: one per CPU, at most one per
                     connection); the figures are merged exactly (default 1)
  --pipe             standard input to the socket, the socket to standard output
  --verbose          app: show the header and content of each request and reply;
                     pipe: trace reads, writes and ends on standard error
  --json             print the summary as one JSON object instead, with the
                     latency HdrHistogram and the window's Unix times, which
                     "sockdemo merge" combines across runs
  -h, --help         show this help`;

/** Runs `sockdemo connect ARGS` and resolves to the exit code. */
export async function connectCommand(args: string[]): Promise<number> {
  // A pipe is not a run of clients: its own few options, checked on their own.
  if (args.includes("--pipe")) return await pipeCommand(args);
  const config = parseConnect(args);
  if (config === null) {
    console.log(CONNECT_HELP);
    return 0;
  }
  const wantsProgress = isLoadRun(config) && !config.json && Deno.stderr.isTerminal();
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
  let result: RunResult;
  try {
    result = config.workers === 1
      ? await runConnect(config, null, onTick)
      : await runConnectWorkers(config, onTick);
  } catch (e) {
    if (!(e instanceof WorkersUnavailable)) throw e;
    console.error(`sockdemo: ${e.message}`);
    return 1;
  }
  if (isSingleRequest(config)) {
    if (result.failure !== null) console.error(`sockdemo: ${result.failure}`);
    return result.failure === null ? 0 : 1;
  }
  progress?.clear();
  if (config.json) console.log(JSON.stringify(result.report));
  else if (result.connected > 0) console.log(formatReport(result.report, result.latency));
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

// The run the command line asks for, or null for --help.
function parseConnect(args: string[]): ConnectConfig | null {
  const a = new Arguments("connect", args, {
    protocol: { type: "string", default: "echo" },
    host: { type: "string" },
    port: { type: "string" },
    unix: { type: "string" },
    tls: { type: "boolean", default: false },
    ca: { type: "string" },
    "server-name": { type: "string" },
    conns: { type: "string" },
    messages: { type: "string" },
    size: { type: "string" },
    requests: { type: "string" },
    duration: { type: "string" },
    rate: { type: "string" },
    warmup: { type: "string", default: "0" },
    timeout: { type: "string", default: "10" },
    "keep-alive": { type: "boolean", default: false },
    depth: { type: "string" },
    workers: { type: "string", default: "1" },
    verbose: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  const values = a.values, positionals = a.positionals;
  if (values.help) return null;
  const protocol = a.choice("--protocol", values.protocol, ["echo", "app"]);
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
  const port = a.integer("--port", values.port ?? DEFAULT_PORT, 1, 65535);
  const unix = values.unix ?? null;
  if (unix !== null && (values.host !== undefined || values.port !== undefined)) {
    a.fail("--unix takes the place of --host and --port: give one or the other");
  }
  if (unix === "") a.fail("--unix needs a path");
  const tls = tlsOptions(a, values.tls, values.ca, values["server-name"], unix);
  const defaultConns = protocol === "app" ? "1" : "2";
  const conns = a.integer("--conns", values.conns ?? defaultConns, 1, 1_000_000);
  const duration = values.duration === undefined
    ? null
    : a.seconds("--duration", values.duration, false);
  const warmup = a.seconds("--warmup", values.warmup, true);
  const rate = values.rate === undefined ? null : a.seconds("--rate", values.rate, false);
  const timeout = a.seconds("--timeout", values.timeout, true);
  // Paced, the window only bounds memory when the server falls behind.
  const depth = a.integer("--depth", values.depth ?? (rate === null ? "1" : "64"), 1, 1_000_000);
  if (rate !== null && protocol === "app" && !values["keep-alive"]) {
    a.fail("--rate needs --keep-alive with --protocol app");
  }
  if (values.depth !== undefined && protocol === "app" && !values["keep-alive"]) {
    // Without keep-alive each request has a connection of its own: nothing to pipeline.
    a.fail("--depth needs --keep-alive with --protocol app");
  }
  // `auto` never asks for more workers than there are connections to share.
  const cpus = a.workers(values.workers);
  const workers = values.workers === "auto" ? Math.min(cpus, conns) : cpus;
  const base = {
    protocol,
    hostname: values.host ?? DEFAULT_HOST,
    port,
    unix,
    tls,
    conns,
    workers,
    duration,
    warmup,
    rate,
    timeout,
    depth,
    json: values.json,
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
      const messages = count === undefined
        ? Infinity
        : a.integer("--messages", count, 1, Number.MAX_SAFE_INTEGER);
      const size = a.integer("--size", values.size, 1, 1 << 30);
      config = { ...base, messages, size };
    } else {
      config = { ...base, texts: positionals.length > 0 ? positionals : GUIDE_MESSAGES };
    }
  } else {
    const requests = count === undefined
      ? (duration === null ? 1 : Infinity)
      : a.integer("--requests", count, 1, Number.MAX_SAFE_INTEGER);
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
