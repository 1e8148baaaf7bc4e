/**
 * `sockdemo connect`'s option table (every mode: echo, app and `--pipe`),
 * and the {@linkcode ConnectConfig} it parses to.
 *
 * @module
 */
import { type Address, chosenAddress, type ClientTls } from "../lib/address.ts";
import {
  address,
  BadValue,
  choice,
  integer,
  readNamedFile,
  seconds,
  workers,
} from "../lib/checks.ts";
import { type CommandLine, type CommandSpec, parseCommand } from "../lib/command_line.ts";
import { type ConnectConfig, isLoadRun } from "./connect_config.ts";
import { parseThreshold } from "./thresholds.ts";

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 65432;
const ECHO = "Echo", APP = "App", LOAD = "Load runs (echo and app)", CHECK = "Port checks";

/** The command line of `sockdemo connect`. */
export const CONNECT_SPEC = {
  name: "connect",
  operands: "[MESSAGE... | search VALUE | binary TEXT]",
  about: `Echo (the default): opens N connections, sends messages on each and checks
every byte that comes back. Without messages it sends the socket guide's
"Message 1 from client." and "Message 2 from client." and prints the
conversation.

Pipe (--pipe, like nc): one connection; standard input goes to the socket
and the socket to standard output, byte for byte, with backpressure both
ways. End of input sends FIN; the peer's FIN ends the output; it exits 0 once
both have ended (or when standard output is closed early), 1 if refused or reset.

App: sends one search (default: search morpheus) or binary request and prints
the reply; with --conns, --requests or --duration it runs N clients making M
requests each and prints a summary. Every reply is checked.

A load run stopped by SIGINT prints what it measured so far, marked as
interrupted, and exits 130. Exits 0 when everything was verified;
1 on a runtime failure (refused, reset, timed out, a mismatch or wrong reply,
nothing measured after --warmup); 2 on a usage error.

An ADDR is PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:PATH.`,
  options: {
    protocol: { value: "P", check: choice("echo", "app"), help: "echo (default) or app" },
    pipe: { help: "standard input to the socket, the socket to standard output" },
    udp: {
      short: "u",
      help: "UDP: datagrams of --size (default 64) at --rate per socket\n" +
        "(default 1000/s), --conns sockets, --messages each (default 1000)\n" +
        "or for --duration; each is checked when it comes back: lost,\n" +
        "duplicated, reordered, round trips and jitter; --timeout S waits\n" +
        "S (default 1) for the last",
    },
    check: {
      short: "z",
      group: CHECK,
      help: "like nc -z: connect and close; exit 0 if it answered, else 1. With\n" +
        "a port list (--port 20-30,80) each port is tried, a line printed\n" +
        "for each that answered, in the order the list gives, at most --conns\n" +
        "(default 100) at once; exit 0 if any did. --verbose names the others too",
    },
    wait: {
      value: "S",
      check: seconds(false),
      group: CHECK,
      help: "with --check: try again until it answers or S seconds pass\n" +
        "(wait-for-it)",
    },
    to: {
      value: "ADDR",
      check: address({ host: DEFAULT_HOST }),
      help: "the server, in one word (instead of --host, --port, --unix)",
    },
    host: { value: "HOST", help: `server address (default ${DEFAULT_HOST})` },
    port: { value: "PORT", short: "p", help: `server port (default ${DEFAULT_PORT})` },
    unix: { value: "PATH", help: "connect to a Unix-domain socket instead of HOST:PORT" },
    tls: {
      help: "speak TLS to the server (verified against the system's roots and\n" +
        "--ca; a failed handshake is a failed connect)",
    },
    ca: {
      value: "FILE",
      help: "also trust this CA certificate (PEM): how a self-signed server is trusted",
    },
    "server-name": {
      value: "NAME",
      help: "the name the certificate must carry (default: the host)",
    },
    timeout: {
      value: "S",
      check: seconds(true),
      help: "fail a connection whose connect and handshake, or a reply, takes\n" +
        "over S seconds (default 10; 0 waits forever)",
    },
    messages: {
      value: "M",
      check: integer(1, Number.MAX_SAFE_INTEGER),
      group: ECHO,
      help: "M generated messages per connection (needs --size)",
    },
    size: {
      value: "BYTES",
      check: integer(1, 1 << 30),
      group: ECHO,
      help: "size of each generated message; MESSAGE... sends those texts instead",
    },
    requests: {
      value: "M",
      check: integer(1, Number.MAX_SAFE_INTEGER),
      group: APP,
      help: "requests per client (default 1)",
    },
    "keep-alive": {
      group: APP,
      help: "one connection per client for all its requests (default: a new\n" +
        "connection per request, as the guide's client)",
    },
    conns: {
      value: "N",
      short: "P",
      check: integer(1, 1_000_000),
      group: LOAD,
      help: "clients at once (default 2 for echo, 1 for app)",
    },
    duration: {
      value: "S",
      short: "t",
      check: seconds(false),
      group: LOAD,
      help: "keep sending for S seconds instead of a fixed count",
    },
    rate: {
      value: "R",
      check: seconds(false),
      group: LOAD,
      help: "open loop: R messages per second per connection, each timed from\n" +
        "when it was due, so stalls cannot hide",
    },
    warmup: {
      value: "S",
      check: seconds(true),
      group: LOAD,
      help: "run S seconds first and leave them out of the figures",
    },
    depth: {
      value: "D",
      check: integer(1, 1_000_000),
      group: LOAD,
      help: "messages or requests in flight per connection (default 1, with\n" +
        "--rate 64; with app it needs --keep-alive)",
    },
    workers: {
      value: "N",
      check: workers,
      group: LOAD,
      help: "split the connections across N threads, each with a loop of its\n" +
        "own (auto: one per CPU, at most one per connection); the figures are\n" +
        "merged exactly (default 1)",
    },
    interval: {
      value: "S",
      short: "i",
      check: intervalSeconds,
      group: LOAD,
      help: "print a line every S seconds (aligned on the clock): messages/s,\n" +
        "MB/s, p50/p99/max latency, errors and connections open; --json\n" +
        "holds them too (default 1; 0: none)",
    },
    threshold: {
      value: "EXPR",
      multiple: true,
      check: parseThreshold,
      group: LOAD,
      help: "fail the run (exit 1) unless EXPR holds, e.g. p99<5ms, p99.9<20ms,\n" +
        "errors==0, rate>10000 (messages/s), mbps>100; metrics p50 p90 p99\n" +
        "p99.9 max mean (us, ms or s; ms by default) errors messages rate\n" +
        "mbps; repeatable",
    },
    report: {
      value: "FILE",
      group: LOAD,
      help: "also write the run as one HTML page: throughput and latency over\n" +
        "time, the percentile spectrum, the histogram, each worker beside\n" +
        "the whole (self-contained: it opens offline)",
    },
    json: {
      short: "J",
      group: LOAD,
      help: "print the summary as one JSON object instead, with the latency\n" +
        'HdrHistogram and the window\'s Unix times, which "sockdemo merge"\n' +
        "combines across runs",
    },
    quiet: {
      short: "q",
      help: "no conversation and no progress line: the summary and errors only",
    },
    verbose: {
      short: "v",
      help: "app: show the header and content of each request and reply;\n" +
        "pipe: trace reads, writes and ends on standard error",
    },
  },
} as const satisfies CommandSpec;

/** The parsed command line of `connect`. */
export type ConnectLine = CommandLine<typeof CONNECT_SPEC>;

/** Parses `args`; null for `--help`, in any mode. */
export function parseConnectLine(args: string[]): ConnectLine | null {
  return parseCommand(CONNECT_SPEC, args);
}

/** The server `line` names: `--to ADDR`, or `--host`, `--port` and `--unix`. */
export function serverAddress(line: ConnectLine): Address {
  const v = line.values, word = { flag: "--to", address: v.to };
  const defaults = { host: DEFAULT_HOST, port: DEFAULT_PORT };
  return chosenAddress({ word, host: v.host, port: v.port, unix: v.unix }, defaults, line.fail);
}

/** `--tls` with its `--ca FILE` (read now: its PEM travels to workers) and `--server-name`. */
export function clientTls(line: ConnectLine, at: Address): ClientTls | null {
  const v = line.values;
  if (!v.tls) {
    if (v.ca !== undefined) line.fail("--ca goes with --tls");
    if (v["server-name"] !== undefined) line.fail("--server-name goes with --tls");
    return null;
  }
  if (at.transport === "unix") line.fail("--tls runs over TCP, not --unix");
  const ca = v.ca === undefined ? null : readNamedFile("the CA certificate", v.ca);
  return { ca, serverName: v["server-name"] ?? null };
}

const GUIDE_MESSAGES = ["Message 1 from client.", "Message 2 from client."];

/** The run `line` asks for (not `--pipe`: that is a connection, not a run). */
export function connectConfig(line: ConnectLine): ConnectConfig {
  const values = line.values, positionals = line.positionals, a = line;
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
    interval: values.interval ?? 1,
    thresholds: values.threshold,
    report: values.report ?? null,
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
  const needsLoad = values.threshold.length > 0
    ? "--threshold"
    : values.report !== undefined
    ? "--report"
    : null;
  if (needsLoad !== null && !isLoadRun(config)) {
    a.fail(
      `${needsLoad} needs a load run: give --size with --messages or --duration (echo), ` +
        "or --conns, --requests or --duration (app)",
    );
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

// Seconds between interval lines: 0 for none, else 0.1 s to an hour in whole milliseconds.
function intervalSeconds(text: string): number {
  const value = /^\d+(\.\d{1,3})?$/.test(text) ? Number(text) : NaN;
  if (!(value === 0 || (value >= 0.1 && value <= 3600))) {
    throw new BadValue(
      `must be 0 (no intervals) or from 0.1 to 3600 seconds, to the millisecond, not "${text}"`,
    );
  }
  return value;
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
