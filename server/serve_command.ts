/**
 * `sockdemo serve`: its options, their checks, and the server they ask for,
 * on this thread or on `--workers`.
 *
 * @module
 */
import { Arguments, type Options, readNamedFile } from "../lib/arguments.ts";
import { hostPort } from "../lib/host_port.ts";
import { Log, type LogFields } from "../lib/log.ts";
import { DEFAULT_APP_LIMITS } from "./app.ts";
import { formatStats, type ServerStats } from "./serve.ts";
import {
  listen,
  listenOne,
  listenUnix,
  logListenFailure,
  logTuning,
  newServer,
  type ServeConfig,
} from "./serve_config.ts";
import { ServeWorkers } from "./serve_workers.ts";
import { runPipe, stdio } from "../lib/pipe.ts";

const DEFAULT_HOST = "127.0.0.1";
/** `--max-buffer`'s default: what all connections together may hold, for serve and relay. */
export const DEFAULT_MAX_BUFFER = "256MiB";
/** `--max-buffer`'s largest value. */
export const MAX_BUFFER_LIMIT = 2 ** 50;
const DEFAULT_PORT = "65432";

/** The help of `sockdemo serve`. */
export const SERVE_HELP =
  `Usage: sockdemo serve [--protocol echo|app] [--host HOST] [--port PORT | --unix PATH]
                      [--pipe] [--tls-cert FILE --tls-key FILE]
                      [--max-content BYTES] [--max-conns N] [--max-buffer BYTES]
                      [--idle-timeout S]
                      [--drain-timeout S] [--workers N] [--log-format text|json]
                      [--quiet | --verbose]

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
  --pipe               like nc -l: serve the first connection only, joined to
                       standard input and output (binary-safe, each direction
                       ending on its own), refusing others; then exit. Lines go
                       to standard error
  --tls-cert FILE      serve TLS with this certificate chain (PEM) and...
  --tls-key FILE       ...this private key (PEM); a failed handshake ends that
                       connection only, with a line saying why
  --unix PATH          listen on a Unix-domain socket instead; a stale socket file
                       is replaced, a live one is "address already in use", and the
                       file is removed when the server stops
  --max-content BYTES  app: largest request content accepted (default 16777216)
  --max-conns N        past N open connections, close new ones at once (app:
                       after an {"error": "server busy"} reply and FIN, lingering
                       at most 1 s, 64 at a time); default no limit
  --max-buffer BYTES   what all connections together may hold (replies owed, requests
                       being read; e.g. 64MiB); past it, reads stop on those holding
                       the most until half is free, and an app request that waits
                       5 s for room gets {"error": "server busy"}; 0: no limit. With
                       --workers each gets an equal part (default 256MiB)
  --idle-timeout S     close a connection silent both ways for S seconds;
                       0 is never (default 0 for echo, 300 for app)
  --drain-timeout S    after a stop, how long open connections may finish (default 10)
  --workers N          N threads, each with a loop and a listener of its own on the
                       same port (SO_REUSEPORT, Linux only); auto: one per CPU.
                       Still one server: one numbering, one --max-conns, one drain,
                       one summary (default 1)
  --log-format F       text (default) or json: one JSON object per line (with
                       --workers, each carries "worker")
  --quiet              no per-connection lines; errors, the address and the summary only
  --verbose            also, first, the accept queue and the I/O events per turn of
                       the runtime (what decides fairness at thousands of
                       connections); then a line per read, write (partial writes
                       shown), state and interest change, with app a line per
                       request, and with --workers the connections each worker
                       accepted
  -h, --help           show this help`;

/** Runs `sockdemo serve ARGS` and resolves to the exit code. */
export async function serveCommand(args: string[]): Promise<number> {
  const config = parseServe(args);
  if (config === null) {
    console.log(SERVE_HELP);
    return 0;
  }
  if (config.pipe) return await servePipe(config);
  return await runServer(config, (address) => {
    const tls = config.tls === null ? "" : " (TLS)";
    const workers = config.workers === 1
      ? tls
      : ` (${config.workers} workers${config.tls === null ? "" : ", TLS"})`;
    return {
      text: `Listening on ${address}${workers}`,
      fields: {
        address,
        protocol: config.protocol,
        tls: config.tls !== null,
        workers: config.workers,
      },
    };
  });
}

/**
 * Runs the server `config` asks for, on this thread or its workers, until
 * signalled; `listening` words the first line once the address is known.
 * Resolves to the exit code. `serve` and `relay` share it.
 */
export async function runServer(
  config: ServeConfig,
  listening: (address: string) => { text: string; fields: LogFields },
): Promise<number> {
  const log = new Log(
    config.verbosity,
    config.logFormat,
    undefined,
    config.workers > 1 ? { worker: null } : {},
  );
  let stop: () => void;
  let finished: Promise<{ stats: ServerStats; died: boolean }>;
  if (config.workers === 1) {
    const unix = config.unix;
    const listener = unix === null ? listen(config, config.port) : await listenUnix(unix);
    if ("reason" in listener) {
      logListenFailure(log, listener);
      return 1;
    }
    const address = addressOf(Array.isArray(listener) ? listener[0] : listener);
    const line = listening(address);
    log.notice("listening", line.text, line.fields);
    logTuning(log, unix === null);
    const server = newServer(config, listener, log);
    stop = () => server.stop();
    // The socket file outlives its listener: it goes when the server does.
    finished = server.run().then((stats) => {
      if (unix !== null) removeSocket(unix);
      return { stats, died: false };
    });
  } else {
    const workers = new ServeWorkers(config, log);
    const address = await workers.listen();
    if (address === null) return 1;
    const line = listening(address);
    log.notice("listening", line.text, line.fields);
    logTuning(log, true);
    stop = () => workers.stop();
    finished = workers.run().then((outcome) => {
      const counts = outcome.accepted.map((n, i) => `${i + 1}: ${n ?? "died"}`).join(", ");
      log.debug("workers", `Accepted per worker: ${counts}`, {
        accepted: outcome.accepted.map((n) => n ?? -1).join(","),
      });
      return outcome;
    });
  }
  let signals = 0;
  const onSignal = () => {
    signals++;
    stop();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const { stats, died } = await finished;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  log.notice("stopped", formatStats(stats), {
    served: stats.accepted,
    refused: stats.refused,
    turned_away: stats.turnedAway,
    aborted: stats.aborted,
    errors: stats.failed,
    idle_closed: stats.idle,
    cut_off: stats.cutOff,
    bytes_in: stats.bytesIn,
    bytes_out: stats.bytesOut,
  });
  if (died) return 1;
  // A second signal means "now": the exit code says the drain was cut short.
  return signals > 1 ? 130 : 0;
}

/** The options `serve` and `relay` share. */
export const SERVER_OPTIONS = {
  "max-conns": { type: "string" },
  "max-buffer": { type: "string", default: DEFAULT_MAX_BUFFER },
  "drain-timeout": { type: "string", default: "10" },
  workers: { type: "string", default: "1" },
  "log-format": { type: "string", default: "text" },
  quiet: { type: "boolean", default: false },
  verbose: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** The values of {@linkcode SERVER_OPTIONS} as parsed. */
interface SharedValues {
  readonly "max-conns"?: string;
  readonly "max-buffer": string;
  readonly "drain-timeout": string;
  readonly workers: string;
  readonly "log-format": string;
  readonly quiet: boolean;
  readonly verbose: boolean;
}

/** The shared options, checked; `unix` is the socket path listened on, if any (no --workers there). */
export function serverSettings(
  a: Pick<Arguments<Options>, "fail" | "choice" | "integer" | "bytes" | "seconds" | "workers">,
  values: SharedValues,
  unix: string | null,
): Pick<
  ServeConfig,
  "maxConns" | "maxBuffer" | "drainTimeout" | "verbosity" | "logFormat" | "workers"
> {
  if (values.quiet && values.verbose) a.fail("--quiet and --verbose cannot be used together");
  const logFormat = a.choice("--log-format", values["log-format"], ["text", "json"]);
  const workers = a.workers(values.workers);
  if (unix !== null && workers > 1) {
    a.fail("--workers needs TCP (SO_REUSEPORT listeners); a Unix socket is served by one loop");
  }
  return {
    maxConns: values["max-conns"] === undefined
      ? Infinity
      : a.integer("--max-conns", values["max-conns"], 1, 10_000_000),
    maxBuffer: a.bytes("--max-buffer", values["max-buffer"], MAX_BUFFER_LIMIT),
    drainTimeout: a.seconds("--drain-timeout", values["drain-timeout"], true),
    verbosity: values.quiet ? "quiet" : values.verbose ? "verbose" : "normal",
    logFormat,
    workers,
  };
}

// The server the command line asks for, or null for --help.
function parseServe(args: string[]): ServeConfig | null {
  const a = new Arguments("serve", args, {
    protocol: { type: "string", default: "echo" },
    host: { type: "string" },
    port: { type: "string" },
    unix: { type: "string" },
    pipe: { type: "boolean", default: false },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "max-content": { type: "string" },
    "idle-timeout": { type: "string" },
    ...SERVER_OPTIONS,
  });
  const values = a.values;
  if (values.help) return null;
  const protocol = a.choice("--protocol", values.protocol, ["echo", "app"]);
  const port = a.integer("--port", values.port ?? DEFAULT_PORT, 0, 65535);
  const unix = values.unix ?? null;
  if (unix !== null && (values.host !== undefined || values.port !== undefined)) {
    a.fail("--unix takes the place of --host and --port: give one or the other");
  }
  if (unix === "") a.fail("--unix needs a path");
  const shared = serverSettings(a, values, unix);
  if (values.pipe) {
    // One connection, bytes only: nothing else applies.
    for (
      const name of [
        "protocol",
        "max-content",
        "max-conns",
        "max-buffer",
        "idle-timeout",
        "log-format",
      ]
    ) {
      if (args.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))) {
        a.fail(`--pipe serves one connection byte for byte; --${name} does not apply`);
      }
    }
    if (shared.workers > 1) a.fail("--pipe serves one connection; --workers does not apply");
  }
  let maxContent = DEFAULT_APP_LIMITS.maxContent;
  if (values["max-content"] !== undefined) {
    if (protocol !== "app") a.fail("--max-content applies to --protocol app");
    maxContent = a.integer("--max-content", values["max-content"], 0, 1 << 30);
  }
  // Echo connections may sit quietly forever; an app client that stops talking is let go.
  const idleText = values["idle-timeout"] ?? (protocol === "app" ? "300" : "0");
  return {
    protocol,
    relay: null,
    host: values.host ?? DEFAULT_HOST,
    port,
    unix,
    pipe: values.pipe,
    tls: tlsFiles(a, values["tls-cert"], values["tls-key"], unix),
    maxContent,
    idleTimeout: a.seconds("--idle-timeout", idleText, true),
    ...shared,
  };
}

function removeSocket(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone (someone removed it): nothing to clean.
  }
}

// `serve --pipe`, like `nc -l`: the first connection only, joined to standard
// input and output; the listener closes at once, so others are refused. Its
// lines go to standard error: standard output carries the peer's bytes.
async function servePipe(config: ServeConfig): Promise<number> {
  const unix = config.unix;
  const listener = unix === null ? listenOne(config) : await listenUnix(unix);
  const say = (line: string) => console.error(line);
  if ("reason" in listener) {
    say(`sockdemo: cannot listen on ${listener.address}: ${listener.reason}`);
    return 1;
  }
  const address = addressOf(listener);
  say(`Listening on ${address} (pipe: one connection${config.tls === null ? "" : ", TLS"})`);
  const encoder = new TextEncoder();
  const trace = config.verbosity === "verbose"
    ? (line: string) => Deno.stderr.writeSync(encoder.encode(`sockdemo: ${line}\n`))
    : null;
  const accepting = listener.accept();
  const conn = await accepting.finally(() => {
    listener.close();
    if (unix !== null) removeSocket(unix);
  });
  (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
  const peer = conn.remoteAddr.transport === "tcp"
    ? hostPort(conn.remoteAddr.hostname, conn.remoteAddr.port)
    : address;
  if (config.verbosity !== "quiet") say(`Accepted ${peer}; refusing others`);
  const outcome = await runPipe(Promise.resolve(conn), stdio(), peer, trace);
  trace?.(`${outcome.sent} bytes sent, ${outcome.received} received`);
  if (outcome.failure !== null) {
    say(`sockdemo: ${outcome.failure}`);
    return 1;
  }
  return 0;
}

/** `--tls-cert FILE --tls-key FILE`, both or neither, read now (their PEM travels to workers). */
export function tlsFiles(
  a: { fail(message: string): never },
  certPath: string | undefined,
  keyPath: string | undefined,
  unix: string | null,
  flag = "--tls",
): ServeConfig["tls"] {
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined) {
    a.fail(`${flag}-cert and ${flag}-key go together`);
  }
  if (unix !== null) a.fail("TLS runs over TCP, not a Unix socket");
  return {
    cert: readNamedFile("the TLS certificate", certPath),
    key: readNamedFile("the TLS key", keyPath),
  };
}

/** How log lines name where a listener listens: `HOST:PORT`, `[v6]:PORT` or `unix:PATH`. */
export function addressOf(listener: Deno.Listener): string {
  const addr = listener.addr;
  return addr.transport === "tcp"
    ? hostPort(addr.hostname, addr.port)
    : `unix:${(addr as Deno.UnixAddr).path}`;
}
