/**
 * What every server needs from its command line, whatever its sessions do:
 * where to listen, the limits, the drain, the workers and the log. serve
 * and relay each extend it with their own part, and share its options.
 *
 * @module
 */
import type { Address, ServerTls, TcpAddress } from "../lib/address.ts";
import {
  address as addressCheck,
  bytes,
  choice,
  integer,
  readNamedFile,
  seconds,
  workers,
} from "../lib/checks.ts";
import type { CommandLine, CommandSpec } from "../lib/command_line.ts";
import type { LogFormat, Verbosity } from "../lib/log.ts";

/** A server as its command line asked for it: plain data, so each worker can be handed it. */
export interface HostConfig {
  /** Where to listen (TCP port 0: any free one). */
  readonly address: Address;
  /** TLS: the certificate chain and private key in PEM; null for plain. */
  readonly tls: ServerTls | null;
  /** Past this many open connections, new ones are refused. */
  readonly maxConns: number;
  /** Bytes all connections together may hold (0: no limit); each worker gets an equal part. */
  readonly maxBuffer: number;
  /** Seconds a connection may be silent both ways (0: forever). */
  readonly idleTimeout: number;
  /** Seconds open connections may finish after a stop. */
  readonly drainTimeout: number;
  readonly verbosity: Verbosity;
  readonly logFormat: LogFormat;
  /** Threads, each with a loop and listeners of its own (1: this thread alone). */
  readonly workers: number;
  /** Where to serve Prometheus metrics, or null for nowhere. */
  readonly metrics: TcpAddress | null;
}

/** `--max-buffer`'s default: what all connections together may hold. */
export const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;
/** `--max-buffer`'s largest value. */
export const MAX_BUFFER_LIMIT = 2 ** 50;

const SHARED = "Shared by serve and relay";

/** The options every server takes; the command adds `--idle-timeout`, whose default differs. */
export const HOST_OPTIONS = {
  "max-conns": {
    value: "N",
    check: integer(1, 10_000_000),
    group: SHARED,
    help: "past N open connections, refuse new ones at once (app: after an\n" +
      '{"error": "server busy"} reply and FIN, lingering at most 1 s, 64 at a\n' +
      "time); default: no limit",
  },
  "max-buffer": {
    value: "BYTES",
    check: bytes(MAX_BUFFER_LIMIT),
    group: SHARED,
    help: "what all connections together may hold (e.g. 64MiB); past it, reads\n" +
      "stop on those holding the most until half is free, and an app request\n" +
      'waiting 5 s for room hears {"error": "server busy"}; 0: no limit. With\n' +
      "--workers each gets an equal part (default 256MiB)",
  },
  "drain-timeout": {
    value: "S",
    check: seconds(true),
    group: SHARED,
    help: "after a stop, how long open connections may finish (default 10)",
  },
  workers: {
    value: "N",
    check: workers,
    group: SHARED,
    help: "N threads, each with a loop and listeners of its own on the same port\n" +
      "(SO_REUSEPORT, Linux only); auto: one per CPU. Still one server: one\n" +
      "numbering, one --max-conns, one drain, one summary (default 1)",
  },
  metrics: {
    value: "ADDR",
    check: addressCheck({ host: "127.0.0.1", anyPort: true }),
    group: SHARED,
    help: "serve Prometheus metrics at http://ADDR/metrics (e.g. 9464; port 0:\n" +
      "any free one, named on its line): connections, bytes, errors by kind,\n" +
      "refusals, the buffer budget; per worker, and for a relay per proxy\n" +
      'and direction ("worker", "proxy", "direction" labels)',
  },
  "log-format": {
    value: "F",
    check: choice("text", "json"),
    group: SHARED,
    help: "text (default) or json: one JSON object per line, all on standard\n" +
      'output (with --workers each carries "worker")',
  },
  quiet: {
    short: "q",
    group: SHARED,
    help: "no per-connection lines: errors, the address and the summary only",
  },
  verbose: {
    short: "v",
    group: SHARED,
    help: "also, first, the accept queue and the I/O events per turn of the\n" +
      "runtime; then a line per read, write (partial writes shown), state and\n" +
      "interest change of each connection",
  },
} as const;

/** The checked values of {@linkcode HOST_OPTIONS}, for `address` and its `tls`. */
export function hostSettings(
  line: CommandLine<CommandSpec & { options: typeof HOST_OPTIONS }>,
  address: Address,
  tls: ServerTls | null,
  idleTimeout: number,
): HostConfig {
  const v = line.values;
  if (v.quiet && v.verbose) line.fail("--quiet and --verbose cannot be used together");
  const workers = v.workers === "auto" ? navigator.hardwareConcurrency : v.workers ?? 1;
  if (address.transport === "unix" && workers > 1) {
    line.fail("--workers needs TCP (SO_REUSEPORT listeners); a Unix socket is served by one loop");
  }
  if (address.transport === "unix" && tls !== null) {
    line.fail("TLS runs over TCP, not a Unix socket");
  }
  const metrics = v.metrics ?? null;
  if (metrics !== null && metrics.transport !== "tcp") {
    line.fail("--metrics serves HTTP over TCP: give [HOST:]PORT, not a Unix socket");
  }
  return {
    address,
    tls,
    maxConns: v["max-conns"] ?? Infinity,
    maxBuffer: v["max-buffer"] ?? DEFAULT_MAX_BUFFER,
    idleTimeout,
    drainTimeout: v["drain-timeout"] ?? 10,
    verbosity: v.quiet ? "quiet" : v.verbose ? "verbose" : "normal",
    logFormat: v["log-format"] ?? "text",
    workers,
    metrics,
  };
}

/**
 * `FLAG-cert FILE` and `FLAG-key FILE`, both or neither, read now (their PEM
 * travels to workers); null for plain.
 */
export function serverTls(
  line: { fail(message: string): never },
  certPath: string | undefined,
  keyPath: string | undefined,
  flag: string,
): ServerTls | null {
  if (certPath === undefined && keyPath === undefined) return null;
  if (certPath === undefined || keyPath === undefined) {
    line.fail(`${flag}-cert and ${flag}-key go together`);
  }
  return {
    cert: readNamedFile("the TLS certificate", certPath),
    key: readNamedFile("the TLS key", keyPath),
  };
}
