/**
 * `sockdemo serve`'s option table, and the {@linkcode ServeConfig} it parses to.
 *
 * @module
 */
import { type Address, chosenAddress } from "../lib/address.ts";
import { address, choice, integer, seconds } from "../lib/checks.ts";
import { type CommandLine, type CommandSpec, parseCommand } from "../lib/command_line.ts";
import { DEFAULT_APP_LIMITS } from "./app.ts";
import { HOST_OPTIONS, type HostConfig, hostSettings, serverTls } from "./host_config.ts";

/** A `serve` run: the host's settings and what each connection is answered with. */
export interface ServeConfig extends HostConfig {
  readonly command: "serve";
  readonly protocol: "echo" | "app";
  /** App: the largest request content accepted. */
  readonly maxContent: number;
  /** Serve one connection joined to standard input and output (`nc -l`), then stop. */
  readonly pipe: boolean;
  /** Serve UDP: echo each datagram to its sender. */
  readonly udp: boolean;
  /** Serve each connection with a program of its own (`--exec`, `--sh-exec`); null: no program. */
  readonly exec: ExecCommand | null;
}

/** The program `--exec` or `--sh-exec` runs for each connection. */
export interface ExecCommand {
  /** What is run: the program, or `/bin/sh` for a shell line. */
  readonly command: string;
  readonly args: readonly string[];
  /** How lines name it: the words given, or the shell line. */
  readonly name: string;
}

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 65432;

/** The command line of `sockdemo serve`. */
export const SERVE_SPEC = {
  name: "serve",
  about: `Runs a server. Prints "Listening on ADDRESS" first, then a line per
connection accepted and closed. SIGINT or SIGTERM stops accepting at once and
lets the open connections finish (up to --drain-timeout), then prints a
summary and exits 0; a second signal closes everything at once (exit 130).
Exits 1 when it cannot listen (port in use, unknown host), 2 on a usage error.

With --exec or --sh-exec, each connection starts a program: its standard
error comes out as "#N stderr: LINE" lines, and the closing line says how it
ended ("exit 0", "killed by SIGTERM"). Its environment names the connection:
SOCKDEMO_REMOTE_ADDR, SOCKDEMO_REMOTE_PORT, SOCKDEMO_LOCAL_ADDR,
SOCKDEMO_LOCAL_PORT, SOCKDEMO_PROTO (tcp or unix) and SOCKDEMO_CONN. A stop
waits for the children as for any connection (--drain-timeout), then ends
them: SIGTERM, and SIGKILL 2 s later; the server exits after the last.

An ADDR is PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:PATH.`,
  options: {
    protocol: {
      value: "P",
      check: choice("echo", "app"),
      help: "echo (default): write back every byte read;\n" +
        "app: answer length-prefixed JSON-header requests",
    },
    listen: {
      value: "ADDR",
      check: address({ host: DEFAULT_HOST, anyPort: true }),
      help: "where to listen, in one word (instead of --host, --port, --unix)",
    },
    host: { value: "HOST", help: `address to listen on (default ${DEFAULT_HOST})` },
    port: {
      value: "PORT",
      short: "p",
      help: `port to listen on, 0 for any free one (default ${DEFAULT_PORT})`,
    },
    unix: {
      value: "PATH",
      help: "listen on a Unix-domain socket instead; a stale socket file is\n" +
        'replaced, a live one is "address already in use", and the file is\n' +
        "removed when the server stops",
    },
    exec: {
      value: "CMD [ARG...]",
      help: "serve each connection with a program of its own (ncat -e): its\n" +
        "standard input and output are the connection. Every word after CMD\n" +
        "is one of its arguments, so --exec comes last. Needs --allow-run",
    },
    "sh-exec": {
      value: "LINE",
      help: 'the same with /bin/sh -c LINE (ncat --sh-exec): "sort | uniq -c"',
    },
    udp: {
      short: "u",
      help: "serve UDP instead: echo each datagram to its sender, as one\n" +
        "datagram (the socket is one connection in the lines and totals)",
    },
    pipe: {
      help: "like nc -l: serve the first connection only, joined to standard\n" +
        "input and output (binary-safe, each direction ending on its own),\n" +
        "refusing others; then exit. Lines go to standard error",
    },
    "tls-cert": { value: "FILE", help: "serve TLS with this certificate chain (PEM) and..." },
    "tls-key": {
      value: "FILE",
      help: "...this private key (PEM); a failed handshake ends that connection\n" +
        "only, with a line saying why",
    },
    "max-content": {
      value: "BYTES",
      check: integer(0, 1 << 30),
      help: `app: largest request content accepted (default ${DEFAULT_APP_LIMITS.maxContent})`,
    },
    "idle-timeout": {
      value: "S",
      check: seconds(true),
      help: "close a connection silent both ways for S seconds; 0 is never\n" +
        "(default 0 for echo, 300 for app)",
    },
    ...HOST_OPTIONS,
  },
} as const satisfies CommandSpec;

// One connection, bytes only: none of these apply to `--pipe`.
const NOT_WITH_PIPE = [
  "protocol",
  "max-content",
  "max-conns",
  "max-buffer",
  "idle-timeout",
  "log-format",
  "workers",
] as const;

// Connections, TLS, programs and protocols: none of it is UDP's.
const NOT_WITH_UDP = [
  "protocol",
  "max-content",
  "pipe",
  "unix",
  "tls-cert",
  "tls-key",
  "exec",
  "sh-exec",
  "workers",
  "max-conns",
  "idle-timeout",
] as const;

/** The server `args` ask for, or null for `--help`. */
export function parseServe(args: string[]): ServeConfig | null {
  const { own, program } = splitExec(args);
  const line = parseCommand(SERVE_SPEC, own);
  if (line === null) return null;
  const v = line.values;
  const protocol = v.protocol ?? "echo";
  const exec = execCommand(line, program);
  if (v.udp) line.refuse(NOT_WITH_UDP, "--udp echoes datagrams");
  if (v.pipe) line.refuse(NOT_WITH_PIPE, "--pipe serves one connection byte for byte");
  if (v["max-content"] !== undefined && protocol !== "app") {
    line.fail("--max-content applies to --protocol app");
  }
  const at = listenAddress(line);
  const tls = serverTls(line, v["tls-cert"], v["tls-key"], "--tls");
  // Echo connections may sit quietly forever; an app client that stops talking is let go.
  const idle = v["idle-timeout"] ?? (protocol === "app" ? 300 : 0);
  return {
    command: "serve",
    protocol,
    maxContent: v["max-content"] ?? DEFAULT_APP_LIMITS.maxContent,
    pipe: v.pipe,
    udp: v.udp,
    exec,
    ...hostSettings(line, at, tls, idle),
  };
}

function listenAddress(line: CommandLine<typeof SERVE_SPEC>): Address {
  const v = line.values, word = { flag: "--listen", address: v.listen };
  const defaults = { host: DEFAULT_HOST, port: DEFAULT_PORT, anyPort: true };
  return chosenAddress({ word, host: v.host, port: v.port, unix: v.unix }, defaults, line.fail);
}

// `--exec CMD ARG...` takes every word after it: those are CMD's, not ours.
function splitExec(args: string[]): { own: string[]; program: string[] } {
  const at = args.findIndex((arg) => arg === "--exec" || arg.startsWith("--exec="));
  if (at < 0) return { own: args, program: [] };
  const first = args[at] === "--exec" ? args.slice(at + 1, at + 2) : [args[at].slice(7)];
  const program = [...first, ...args.slice(at + (args[at] === "--exec" ? 2 : 1))];
  // In one word, so a program named like an option ("-x") is not read as one.
  return { own: [...args.slice(0, at), `--exec=${program[0] ?? ""}`], program };
}

// What --exec or --sh-exec runs, checked against what they cannot go with.
function execCommand(
  line: CommandLine<typeof SERVE_SPEC>,
  program: string[],
): ExecCommand | null {
  const v = line.values, shell = v["sh-exec"];
  if (v.exec === undefined && shell === undefined) return null;
  const flag = v.exec !== undefined ? "--exec" : "--sh-exec";
  if (v.exec !== undefined && shell !== undefined) {
    line.fail("--exec and --sh-exec cannot be used together: give one program");
  }
  line.refuse(["pipe", "protocol", "max-content"], `${flag} serves each connection with a program`);
  if (shell !== undefined) {
    if (shell.trim() === "") line.fail("--sh-exec needs a command line: --sh-exec 'LINE'");
    return { command: "/bin/sh", args: ["-c", shell], name: shell };
  }
  if ((program[0] ?? "") === "") {
    line.fail("--exec needs a program: --exec CMD [ARG...], last on the line");
  }
  return { command: program[0], args: program.slice(1), name: program.join(" ") };
}
