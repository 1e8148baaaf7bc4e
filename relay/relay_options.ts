/**
 * `sockdemo relay`'s option table, and the {@linkcode RelayConfig} it parses to.
 *
 * @module
 */
import { address, integer, readNamedFile, seconds, share } from "../lib/checks.ts";
import type { TcpAddress } from "../lib/address.ts";
import { type CommandLine, type CommandSpec, parseCommand } from "../lib/command_line.ts";
import { HOST_OPTIONS, hostSettings, serverTls } from "../server/host_config.ts";
import { type Faults, NO_FAULTS } from "./relay_flow.ts";
import type { RelayApiConfig } from "./api_relay.ts";
import { faultToxics } from "./fault_toxics.ts";
import type { RelayConfig } from "./relay_sessions.ts";
import { type UdpRelayConfig, udpRelayConfig } from "./udp_relay_options.ts";

const FAULTS = `Faults, each for both directions unless DIR (up: client to target, down:
target to client) comes first, as in --delay up:50; give one twice for both`;
const fault = (value: string, help: string) =>
  ({ value, multiple: true, group: FAULTS, help }) as const;

/** The command line of `sockdemo relay`. */
export const RELAY_SPEC = {
  name: "relay",
  about: `Forwards every connection made to --listen to --to, both ways, on one
readiness loop: each direction with its own backpressure, a FIN passed on in
each direction on its own, a reset on one side passed on as a reset. A target
that refuses, or does not answer within --connect-timeout, closes the client
with a line saying so. Faults are off unless asked for. Prints "Listening on
ADDR, relaying to ADDR" first, a line per connection (with the target's byte
counts and the faults that fired), and a summary; signals, exit codes and the
options shared with serve behave as there.

An ADDR is PORT, :PORT, HOST:PORT, [IPv6]:PORT or unix:PATH (PORT alone: on
127.0.0.1).`,
  options: {
    listen: {
      value: "ADDR",
      check: address({ host: "127.0.0.1", anyPort: true }),
      help: "where clients connect (port 0: any free one); required but with --api",
    },
    to: {
      value: "ADDR",
      check: address({ host: "127.0.0.1" }),
      help: "where their bytes go; required but with --api",
    },
    api: {
      value: "ADDR",
      check: address({ host: "127.0.0.1", anyPort: true }),
      group: "Toxiproxy's API",
      help: "serve Toxiproxy's HTTP API here (Toxiproxy's own is localhost:8474):\n" +
        "proxies and their toxics are made and changed while it runs;\n" +
        "--listen/--to are then optional and make the proxy named relay",
    },
    config: {
      value: "FILE",
      group: "Toxiproxy's API",
      help: "with --api: make the proxies of this JSON array at the start, as\n" +
        "Toxiproxy's -config does",
    },
    "connect-timeout": {
      value: "S",
      short: "w",
      check: seconds(true),
      help: "give up on a target that has not answered in S seconds, TLS\n" +
        "handshake included, and close the client (default 10; 0: the system's)",
    },
    "listen-tls-cert": {
      value: "FILE",
      help: "terminate TLS: clients speak TLS with this certificate chain...",
    },
    "listen-tls-key": {
      value: "FILE",
      help: "...and this key (PEM); the target gets plain bytes",
    },
    "to-tls": { help: "speak TLS to the target" },
    "to-ca": { value: "FILE", help: "trust this CA certificate (PEM) for the target too" },
    "to-server-name": {
      value: "NAME",
      help: "the name the target's certificate must carry (default: the --to host)",
    },
    delay: fault("[DIR:]MS", "hold every chunk back MS milliseconds"),
    jitter: fault("[DIR:]MS", "and up to MS more or less, at random (order is kept)"),
    bandwidth: fault("[DIR:]BYTES_PER_S", "carry at most this many bytes per second"),
    "reset-after": fault("[DIR:]BYTES", "once BYTES passed, reset both sides (RST)"),
    "stall-after": fault(
      "[DIR:]BYTES",
      "once BYTES passed, pass nothing more (dropping what comes) but keep\n" +
        "the connection open",
    ),
    loss: fault("[DIR:]RATE", "--udp: drop this share (0 to 1) of datagrams"),
    duplicate: fault("[DIR:]RATE", "--udp: send this share of datagrams twice"),
    reorder: fault(
      "[DIR:]RATE",
      "--udp: hold this share of datagrams back until the next has passed",
    ),
    refuse: {
      value: "RATE",
      check: share,
      group: FAULTS,
      help: "close this share (0 to 1) of new connections at once",
    },
    seed: {
      value: "N",
      check: integer(0, 0xffffffff),
      group: FAULTS,
      help: "seed of --refuse and --jitter, so a run repeats (default: random,\n" +
        "shown in the first line)",
    },
    "idle-timeout": {
      value: "S",
      check: seconds(true),
      help: "close a connection silent both ways for S seconds (default 0: never;\n" +
        "--udp: a client's socket, default 60)",
    },
    udp: {
      short: "u",
      help: "relay UDP: each client address gets a socket of its own to --to;\n" +
        "faults apply per datagram (--loss, --duplicate, --reorder too)",
    },
    ...HOST_OPTIONS,
  },
} as const satisfies CommandSpec;

/** The relay `args` ask for (with `--api`, one run through Toxiproxy's API), or null for `--help`. */
export function parseRelay(
  args: string[],
): RelayConfig | RelayApiConfig | UdpRelayConfig | null {
  const line = parseCommand(RELAY_SPEC, args);
  if (line === null) return null;
  const v = line.values;
  if (v.udp) return udpRelayConfig(line);
  for (const name of ["loss", "duplicate", "reorder"] as const) {
    if (v[name].length > 0) line.fail(`--${name} applies to datagrams: give --udp`);
  }
  if (v.api !== undefined) return apiConfig(line);
  if (v.config !== undefined) line.fail("--config applies with --api");
  const listen = v.listen ?? line.fail("--listen ADDR is required (e.g. 127.0.0.1:8080)");
  const to = v.to ?? line.fail("--to ADDR is required (e.g. 127.0.0.1:80)");
  if (!v["to-tls"]) {
    for (const name of ["to-ca", "to-server-name"] as const) {
      if (v[name] !== undefined) line.fail(`--${name} applies with --to-tls`);
    }
  } else if (to.transport === "unix") {
    line.fail("TLS runs over TCP, not a Unix socket");
  }
  const { up, down } = parseFaults(line);
  const tls = serverTls(line, v["listen-tls-cert"], v["listen-tls-key"], "--listen-tls");
  return {
    command: "relay",
    to,
    toTls: v["to-tls"]
      ? {
        ca: v["to-ca"] === undefined ? null : readNamedFile("the CA certificate", v["to-ca"]),
        serverName: v["to-server-name"] ?? null,
      }
      : null,
    connectTimeout: v["connect-timeout"] ?? 10,
    up,
    down,
    refuse: v.refuse ?? 0,
    seed: v.seed ?? crypto.getRandomValues(new Uint32Array(1))[0],
    ...hostSettings(line, listen, tls, v["idle-timeout"] ?? 0),
  };
}

/** The parsed command line of `relay`. */
export type RelayLine = CommandLine<typeof RELAY_SPEC>;

// The faults of each direction, from `--delay [DIR:]MS` and the like.
function parseFaults(line: RelayLine): { up: Faults; down: Faults } {
  const v = line.values;
  const up: Mutable<Faults> = { ...NO_FAULTS }, down: Mutable<Faults> = { ...NO_FAULTS };
  const faults = (name: keyof typeof v, field: keyof Faults, min: number) => {
    for (const text of v[name] as string[]) {
      const dir = text.startsWith("up:") ? "up" : text.startsWith("down:") ? "down" : null;
      const value = dir === null ? text : text.slice(dir.length + 1);
      let n = 0;
      try {
        n = integer(min, Number.MAX_SAFE_INTEGER)(value);
      } catch (e) {
        line.fail(`--${name} ${(e as Error).message}`);
      }
      if (dir !== "down") up[field] = n;
      if (dir !== "up") down[field] = n;
    }
  };
  faults("delay", "delay", 0);
  faults("jitter", "jitter", 0);
  faults("bandwidth", "bandwidth", 1);
  faults("reset-after", "resetAfter", 1);
  faults("stall-after", "stallAfter", 1);
  return { up, down };
}

// `relay --api`: proxies over TCP alone, as Toxiproxy's; faults come as toxics.
function apiConfig(line: RelayLine): RelayApiConfig {
  const v = line.values, api = v.api!;
  if (api.transport !== "tcp") line.fail("--api serves HTTP over TCP, not a Unix socket");
  for (const name of ["listen-tls-cert", "listen-tls-key", "to-tls"] as const) {
    if (v[name] !== undefined && v[name] !== false) {
      line.fail(`--${name} does not apply with --api: its proxies speak plain TCP, as Toxiproxy's`);
    }
  }
  if ((v.listen === undefined) !== (v.to === undefined)) {
    line.fail("--listen and --to go together: with --api, both or neither");
  }
  for (const [name, given] of [["listen", v.listen], ["to", v.to]] as const) {
    if (given !== undefined && given.transport !== "tcp") {
      line.fail(`--${name} must be a TCP address with --api`);
    }
  }
  const faults = parseFaults(line);
  const given = faultToxics(faults.up, faults.down, v.refuse ?? 0);
  if (v.listen === undefined && given.length > 0) {
    line.fail("with --api, faults need --listen/--to (the proxy they apply to), or come as toxics");
  }
  const settings = hostSettings(line, api, null, v["idle-timeout"] ?? 0);
  return {
    command: "relay-api",
    first: v.listen === undefined
      ? null
      : { listen: v.listen as TcpAddress, to: v.to as TcpAddress, toxics: given },
    proxies: v.config === undefined
      ? null
      : { path: v.config, text: readNamedFile("the proxies of", v.config) },
    connectTimeout: v["connect-timeout"] ?? 10,
    seed: v.seed ?? crypto.getRandomValues(new Uint32Array(1))[0],
    ...settings,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
