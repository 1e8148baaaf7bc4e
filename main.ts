/**
 * sockdemo's command line: parses arguments and wires a server or client
 * together. The mechanisms live in `lib/`, the protocols in `server/` and
 * `client/`.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import denoJson from "./deno.json" with { type: "json" };
import { AppClient } from "./client/app.ts";
import { AppPrinter } from "./client/app_printer.ts";
import { type AppRequest, binaryRequest, searchRequest } from "./client/app_request.ts";
import { runClients, type RunResult } from "./client/connect.ts";
import { ConversationPrinter } from "./client/conversation.ts";
import { EchoClient } from "./client/echo.ts";
import { Meter } from "./client/meter.ts";
import { Pace } from "./client/pace.ts";
import { PatternPayload, type Payload, TextPayload } from "./client/payload.ts";
import { Progress } from "./client/progress.ts";
import { formatReport } from "./client/report.ts";
import { describeError } from "./lib/describe_error.ts";
import { hostPort } from "./lib/host_port.ts";
import { Log } from "./lib/log.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "./server/app.ts";
import { EchoSession } from "./server/echo.ts";
import { formatStats, Server } from "./server/serve.ts";

const VERSION = denoJson.version;
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = "65432";
const GUIDE_MESSAGES = ["Message 1 from client.", "Message 2 from client."];

const HELP = `sockdemo ${VERSION}: TCP echo and app-protocol server and client on a readiness loop

Usage:
  sockdemo serve   [--protocol echo|app] [--host HOST] [--port PORT]
                   [--max-content BYTES] [--max-conns N] [--idle-timeout S]
                   [--drain-timeout S] [--log-format text|json] [--quiet | --verbose]
  sockdemo connect [--host HOST] [--port PORT] [--conns N]
                   [--messages M | --duration S] [--size BYTES | MESSAGE...]
                   [--rate R] [--warmup S] [--timeout S] [--depth D] [--json]
  sockdemo connect --protocol app [search VALUE | binary TEXT] [--host HOST] [--port PORT]
                   [--conns N] [--requests M | --duration S] [--keep-alive] [--rate R]
                   [--warmup S] [--timeout S] [--depth D] [--verbose] [--json]
  sockdemo --help | --version

Commands:
  serve     answer whoever connects: echo every byte, or the app protocol
  connect   talk to a server and verify every byte or reply that comes back

Exit codes: 0 success, 1 a runtime failure (refused, reset, timed out, a wrong
reply, port in use), 2 a usage error, 130 serve stopped by a second signal.

Run "sockdemo serve --help" or "sockdemo connect --help" for what each option means.`;

const SERVE_HELP = `Usage: sockdemo serve [--protocol echo|app] [--host HOST] [--port PORT]
                      [--max-content BYTES] [--max-conns N] [--idle-timeout S]
                      [--drain-timeout S] [--log-format text|json] [--quiet | --verbose]

Runs a server. Prints "Listening on HOST:PORT" first, then a line per
connection accepted and closed. SIGINT or SIGTERM stops accepting at once and
lets the open connections finish (up to --drain-timeout), then prints a
summary and exits 0; a second signal closes everything at once (exit 130).
Exits 1 when it cannot listen (port in use, unknown host), 2 on a usage error.

Options:
  --protocol P         echo (default): write back every byte read;
                       app: answer length-prefixed JSON-header requests
  --host HOST          address to listen on (default ${DEFAULT_HOST})
  --port PORT          port to listen on, 0 for any free one (default ${DEFAULT_PORT})
  --max-content BYTES  app: largest request content accepted (default 16777216)
  --max-conns N        past N open connections, close new ones at once (app:
                       after an {"error": "server busy"} reply and FIN, lingering
                       at most 1 s, 64 at a time); default no limit
  --idle-timeout S     close a connection silent both ways for S seconds;
                       0 is never (default 0 for echo, 300 for app)
  --drain-timeout S    after a stop, how long open connections may finish (default 10)
  --log-format F       text (default) or json: one JSON object per line
  --quiet              no per-connection lines; errors, the address and the summary only
  --verbose            also a line per read, write (partial writes shown), state and
                       interest change, and with app a line per request
  -h, --help           show this help`;

const CONNECT_HELP = `Usage: sockdemo connect [--host HOST] [--port PORT] [--conns N]
                        [--messages M | --duration S] [--size BYTES | MESSAGE...]
                        [--rate R] [--warmup S] [--timeout S] [--depth D] [--json]
       sockdemo connect --protocol app [search VALUE | binary TEXT] [--conns N]
                        [--requests M | --duration S] [--keep-alive] [--rate R]
                        [--warmup S] [--timeout S] [--depth D] [--verbose] [--json]

Echo (the default): opens N connections, sends messages on each and checks
every byte that comes back. Without messages it sends the socket guide's
"Message 1 from client." and "Message 2 from client." and prints the
conversation.

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
  --verbose          app: show the header and content of each request and reply
  --json             print the summary as one JSON object instead
  -h, --help         show this help`;

/** A mistake in the command line: exit 2 with a hint to the command's help. */
class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

/** Runs sockdemo with `args` and resolves to the process's exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "serve":
        return await serve(rest);
      case "connect":
        return await connect(rest);
      case "--help":
      case "-h":
        console.log(HELP);
        return 0;
      case "--version":
      case "-V":
        console.log(`sockdemo ${VERSION}`);
        return 0;
      case undefined:
        throw new UsageError("missing command: serve or connect", "");
      default:
        throw new UsageError(
          command.startsWith("-")
            ? `unknown option "${command}"`
            : `unknown command "${command}": expected serve or connect`,
          "",
        );
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.command === "" ? "sockdemo --help" : `sockdemo ${e.command} --help`;
    console.error(`sockdemo: ${e.message} (try "${help}")`);
    return 2;
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse("serve", args, {
    protocol: { type: "string", default: "echo" },
    host: { type: "string", default: DEFAULT_HOST },
    port: { type: "string", default: DEFAULT_PORT },
    "max-content": { type: "string" },
    "max-conns": { type: "string" },
    "idle-timeout": { type: "string" },
    "drain-timeout": { type: "string", default: "10" },
    "log-format": { type: "string", default: "text" },
    quiet: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const protocol = protocolOf("serve", values.protocol);
  if (values.quiet && values.verbose) {
    throw new UsageError("--quiet and --verbose cannot be used together", "serve");
  }
  const format = values["log-format"];
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format must be text or json, not "${format}"`, "serve");
  }
  const port = integer("serve", "--port", values.port, 0, 65535);
  let maxContent = DEFAULT_APP_LIMITS.maxContent;
  if (values["max-content"] !== undefined) {
    if (protocol !== "app") {
      throw new UsageError("--max-content applies to --protocol app", "serve");
    }
    maxContent = integer("serve", "--max-content", values["max-content"], 0, 1 << 30);
  }
  const maxConns = values["max-conns"] === undefined
    ? Infinity
    : integer("serve", "--max-conns", values["max-conns"], 1, 10_000_000);
  // Echo connections may sit quietly forever; an app client that stops talking is let go.
  const idleText = values["idle-timeout"] ?? (protocol === "app" ? "300" : "0");
  const idleTimeout = seconds("serve", "--idle-timeout", idleText, true);
  const drainTimeout = seconds("serve", "--drain-timeout", values["drain-timeout"], true);
  const host = values.host;
  const log = new Log(values.quiet ? "quiet" : values.verbose ? "verbose" : "normal", format);
  let listener: Deno.TcpListener;
  try {
    // A deep backlog so bursts of thousands of connects are not refused.
    listener = Deno.listen({ hostname: host, port, tcpBacklog: 4096 });
  } catch (e) {
    const address = hostPort(host, port);
    const cause = describeError(e);
    const hint = cause === "permission denied" && port < 1024
      ? " (ports below 1024 need privileges)"
      : "";
    log.error("listen_failed", `sockdemo: cannot listen on ${address}: ${cause}${hint}`, {
      address,
      reason: cause,
    });
    return 1;
  }
  const address = hostPort(listener.addr.hostname, listener.addr.port);
  log.notice("listening", `Listening on ${address}`, { address, protocol });
  const limits = { ...DEFAULT_APP_LIMITS, maxContent };
  const trace = (n: number) =>
    log.verbose ? (line: string) => log.debug("request", `#${n} ${line}`, { conn: n }) : null;
  const server = new Server(listener, {
    log,
    maxConns,
    idleTimeout,
    drainTimeout,
    newSession: protocol === "echo"
      ? () => new EchoSession()
      : (n) => new AppSession(limits, trace(n)),
    // An app peer hears why it is turned away; an echo peer just sees the close.
    refusal: protocol === "echo"
      ? undefined
      : (n) => new AppSession({ ...limits, discardLimit: 64 * 1024 }, trace(n), "server busy"),
  });
  let signals = 0;
  const stop = () => {
    signals++;
    server.stop();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const stats = await server.run();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  log.notice("stopped", formatStats(stats), {
    served: stats.accepted,
    refused: stats.refused,
    aborted: stats.aborted,
    errors: stats.failed,
    idle_closed: stats.idle,
    cut_off: stats.cutOff,
    bytes_in: stats.bytesIn,
    bytes_out: stats.bytesOut,
  });
  // A second signal means "now": the exit code says the drain was cut short.
  return signals > 1 ? 130 : 0;
}

async function connect(args: string[]): Promise<number> {
  const { values, positionals } = parse("connect", args, {
    protocol: { type: "string", default: "echo" },
    host: { type: "string", default: DEFAULT_HOST },
    port: { type: "string", default: DEFAULT_PORT },
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
    verbose: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(CONNECT_HELP);
    return 0;
  }
  const protocol = protocolOf("connect", values.protocol);
  const only = (option: string, given: boolean, wanted: Protocol) => {
    if (given && protocol !== wanted) {
      throw new UsageError(`${option} applies to --protocol ${wanted}`, "connect");
    }
  };
  only("--messages", values.messages !== undefined, "echo");
  only("--size", values.size !== undefined, "echo");
  only("--requests", values.requests !== undefined, "app");
  only("--keep-alive", values["keep-alive"], "app");
  only("--verbose", values.verbose, "app");
  const count = protocol === "echo" ? values.messages : values.requests;
  const countName = protocol === "echo" ? "--messages" : "--requests";
  if (count !== undefined && values.duration !== undefined) {
    throw new UsageError(`give ${countName} or --duration, not both`, "connect");
  }
  const port = integer("connect", "--port", values.port, 1, 65535);
  const defaultConns = protocol === "app" ? "1" : "2";
  const conns = integer("connect", "--conns", values.conns ?? defaultConns, 1, 1_000_000);
  const duration = values.duration === undefined
    ? null
    : seconds("connect", "--duration", values.duration, false);
  const warmup = seconds("connect", "--warmup", values.warmup, true);
  const rate = values.rate === undefined ? null : seconds("connect", "--rate", values.rate, false);
  const timeout = seconds("connect", "--timeout", values.timeout, true);
  // Paced, the window only bounds memory when the server falls behind.
  const depth = integer(
    "connect",
    "--depth",
    values.depth ?? (rate === null ? "1" : "64"),
    1,
    1_000_000,
  );
  if (rate !== null && protocol === "app" && !values["keep-alive"]) {
    throw new UsageError("--rate needs --keep-alive with --protocol app", "connect");
  }
  if (values.depth !== undefined && protocol === "app" && !values["keep-alive"]) {
    // Without keep-alive each request has a connection of its own: nothing to pipeline.
    throw new UsageError("--depth needs --keep-alive with --protocol app", "connect");
  }
  const empty = (positionals as string[]).indexOf("");
  if (empty >= 0 && protocol === "echo") {
    throw new UsageError(
      `MESSAGE ${empty + 1} is empty: an empty message sends nothing, so nothing comes back`,
      "connect",
    );
  }
  const address = hostPort(values.host, port);
  const now = performance.now();
  const meter = new Meter(warmup > 0 ? now + warmup * 1000 : 0);
  const stopAt = duration === null ? Infinity : now + (warmup + duration) * 1000;
  const pace = rate === null ? null : new Pace(now, conns, rate);
  const common = { hostname: values.host, port, conns, meter, stopAt, pace, timeout };
  const load = (total: number | null) => {
    if (values.json || !Deno.stderr.isTerminal()) return {};
    const encoder = new TextEncoder();
    const progress = new Progress(meter, now, stopAt, total, (text) => {
      Deno.stderr.writeSync(encoder.encode(text));
    });
    return { onTick: (t: number) => progress.tick(t), progress };
  };
  let result: RunResult;
  let ticker: ReturnType<typeof load> = {};
  if (protocol === "echo") {
    if ((count === undefined && duration === null) !== (values.size === undefined)) {
      throw new UsageError("--size goes with --messages or --duration", "connect");
    }
    let payloadFor: (index: number) => Payload;
    let printer: ConversationPrinter | null = null;
    if (values.size !== undefined) {
      if (positionals.length > 0) {
        throw new UsageError("give either --size or MESSAGE arguments, not both", "connect");
      }
      const messages = count === undefined
        ? Infinity
        : integer("connect", "--messages", count, 1, Number.MAX_SAFE_INTEGER);
      const size = integer("connect", "--size", values.size, 1, 1 << 30);
      payloadFor = (index) => new PatternPayload(messages, size, index);
      ticker = load(Number.isFinite(messages) ? messages * conns : null);
    } else {
      const text = new TextPayload(positionals.length > 0 ? positionals : GUIDE_MESSAGES);
      if (!values.json) printer = new ConversationPrinter(text, address, console.log);
      payloadFor = () => text;
    }
    result = await runClients({
      ...common,
      ...ticker,
      first: (i) => new EchoClient(i, payloadFor(i), depth, meter, pace, printer),
      onOpen: (client) => printer?.opened(client),
      onClose: (client) => printer?.closed(client),
    });
  } else {
    const request = appRequest(positionals);
    const requests = count === undefined
      ? (duration === null ? 1 : Infinity)
      : integer("connect", "--requests", count, 1, Number.MAX_SAFE_INTEGER);
    const keepAlive = values["keep-alive"];
    const single = conns === 1 && requests === 1 && !values.json;
    const printer = new AppPrinter(address, { verbose: values.verbose, results: single });
    // Without keep-alive each request gets its own connection, as the guide's client does.
    const perConnection = keepAlive ? requests : 1;
    const session = (index: number, first: number) =>
      new AppClient(
        index,
        request,
        first,
        perConnection,
        keepAlive ? depth : 1,
        meter,
        pace,
        printer,
      );
    if (!single) ticker = load(Number.isFinite(requests) ? requests * conns : null);
    result = await runClients({
      ...common,
      ...ticker,
      first: (i) => session(i, 0),
      next: (done) => {
        const first = done.first + done.count;
        return first < requests ? session(done.index, first) : null;
      },
    });
    if (single) {
      if (result.failure !== null) console.error(`sockdemo: ${result.failure}`);
      return result.failure === null ? 0 : 1;
    }
  }
  ticker.progress?.clear();
  if (values.json) console.log(JSON.stringify(result.report));
  else if (result.connected > 0) console.log(formatReport(result.report, meter.latency));
  // A fixed count can run out inside the warm-up: then there is no figure to trust.
  const failure = result.failure ??
    (warmup > 0 && meter.messages === 0
      ? `the run ended within the ${warmup} s warm-up, so nothing was measured ` +
        `(give --duration, or a shorter --warmup)`
      : null);
  if (failure !== null) {
    console.error(`sockdemo: ${failure}`);
    return 1;
  }
  return 0;
}

// A positive number of seconds (or per second), decimals allowed; zero only where it means "none".
function seconds(command: string, name: string, text: string, zero: boolean): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 || (zero && value === 0))) {
    throw new UsageError(
      `${name} must be a ${zero ? "non-negative" : "positive"} number, not "${text}"`,
      command,
    );
  }
  return value;
}

type Protocol = "echo" | "app";

function protocolOf(command: string, text: string): Protocol {
  if (text === "echo" || text === "app") return text;
  throw new UsageError(`--protocol must be echo or app, not "${text}"`, command);
}

// `search VALUE` or `binary TEXT`; nothing means the guide's `search morpheus`.
function appRequest(words: string[]): AppRequest {
  const [kind, ...rest] = words;
  if (kind === undefined) return searchRequest("morpheus");
  if (kind !== "search" && kind !== "binary") {
    throw new UsageError(
      `unknown app request "${kind}": expected search VALUE or binary TEXT`,
      "connect",
    );
  }
  if (rest.length === 0) {
    throw new UsageError(`${kind} needs ${kind === "search" ? "a VALUE" : "a TEXT"}`, "connect");
  }
  const text = rest.join(" ");
  return kind === "search" ? searchRequest(text) : binaryRequest(text);
}

type Options = NonNullable<ParseArgsConfig["options"]>;

// parseArgs in strict mode, with its errors turned into one-line usage errors.
function parse<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({
      args: attachValues(args, options),
      options,
      strict: true,
      allowPositionals: positionals,
    });
  } catch (e) {
    // Node's messages run to several sentences and lines; the first says what is wrong.
    const message = (e as Error).message.split("\n")[0].split(". ")[0].replace(/\.$/, "");
    throw new UsageError(message[0].toLowerCase() + message.slice(1), command);
  }
}

// `--port -1` is `--port=-1`: parseArgs would call the value "ambiguous", where
// the range check below says what is wrong with it.
function attachValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return out.concat(args.slice(i));
    const option = arg.startsWith("--") ? options[arg.slice(2)] : undefined;
    if (option?.type === "string" && i + 1 < args.length && args[i + 1].startsWith("-")) {
      out.push(`${arg}=${args[++i]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

function integer(command: string, name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(
      `${name} must be an integer from ${min} to ${max}, not "${text}"`,
      command,
    );
  }
  return value;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    // A bug, not a user error: one line, still no stack trace for the user.
    console.error(`sockdemo: internal error: ${describeError(e)}`);
    code = 1;
  }
  Deno.exit(code);
}
