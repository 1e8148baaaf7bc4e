/**
 * `sockdemo relay`: its options, their checks, and the relaying server they
 * ask for (the serve loop, with a relay session per connection).
 *
 * @module
 */
import { Arguments, type Options, readNamedFile } from "../lib/arguments.ts";
import { plural } from "../lib/plural.ts";
import { type RelaySpec, type Target, targetName } from "./relay_config.ts";
import { type Faults, NO_FAULTS } from "./relay_flow.ts";
import { runServer, SERVER_OPTIONS, serverSettings, tlsFiles } from "./serve_command.ts";
import type { ServeConfig } from "./serve_config.ts";

/** The help of `sockdemo relay`. */
export const RELAY_HELP =
  `Usage: sockdemo relay --listen ADDR --to ADDR [--listen-tls-cert FILE --listen-tls-key FILE]
                      [--to-tls [--to-ca FILE] [--to-server-name NAME]]
                      [--delay [DIR:]MS] [--jitter [DIR:]MS] [--bandwidth [DIR:]BYTES_PER_S]
                      [--reset-after [DIR:]BYTES] [--stall-after [DIR:]BYTES]
                      [--refuse RATE] [--seed N]
                      [--max-conns N] [--max-buffer BYTES] [--idle-timeout S]
                      [--drain-timeout S] [--workers N]
                      [--log-format text|json] [--quiet | --verbose]

Forwards every connection made to --listen to --to, both ways, on one
readiness loop: each direction with its own backpressure, a FIN passed on in
each direction on its own, a reset on one side passed on as a reset. A target
that refuses closes the client with a line saying so. Faults are off unless
asked for. Prints "Listening on ADDR, relaying to ADDR" first, a line per
connection (with the target's byte counts and the faults that fired), and a
summary; signals, exit codes and the options shared with serve behave as there.

An ADDR is HOST:PORT, [IPv6]:PORT or unix:PATH.

Options:
  --listen ADDR             where clients connect (port 0: any free one)
  --to ADDR                 where their bytes go
  --listen-tls-cert FILE    terminate TLS: clients speak TLS with this certificate
  --listen-tls-key FILE     chain and key (PEM); the target gets plain bytes
  --to-tls                  speak TLS to the target
  --to-ca FILE              trust this CA certificate (PEM) for the target too
  --to-server-name NAME     the name the target's certificate must carry
                            (default: the --to host)
Faults, each for both directions unless DIR (up: client to target, down:
target to client) is given, as in --delay up:50; give one twice for both:
  --delay MS                hold every chunk back MS milliseconds
  --jitter MS               and up to MS more or less, at random (order is kept)
  --bandwidth BYTES_PER_S   carry at most this many bytes per second
  --reset-after BYTES       once BYTES passed, reset both sides (RST)
  --stall-after BYTES       once BYTES passed, pass nothing more (dropping what
                            comes) but keep the connection open
  --refuse RATE             close this share (0 to 1) of new connections at once
  --seed N                  seed of --refuse and --jitter, so a run repeats
                            (default: random, shown in the first line)
Shared with serve:
  --max-conns N             past N open connections, close new ones at once
  --max-buffer BYTES        what all connections together may hold, both legs and
                            the faults' held bytes (default 256MiB; 0: no limit)
  --idle-timeout S          close a connection silent both ways for S seconds
                            (default 0: never)
  --drain-timeout S         after a stop, how long connections may finish (default 10)
  --workers N               N threads sharing the port (Linux); auto: one per CPU
  --log-format F            text (default) or json
  --quiet                   no per-connection lines
  --verbose                 also a line per read, write and state change of each
                            leg ("client", "target"), and per fault that fires
  -h, --help                show this help`;

/** Runs `sockdemo relay ARGS` and resolves to the exit code. */
export async function relayCommand(args: string[]): Promise<number> {
  const config = parseRelay(args);
  if (config === null) {
    console.log(RELAY_HELP);
    return 0;
  }
  const relay = config.relay!;
  const target = targetName(relay.to);
  const faults = describeFaults(relay);
  return await runServer(config, (address) => {
    const how = [
      config.tls === null ? "" : "TLS in",
      relay.toTls === null ? "" : "TLS out",
      config.workers === 1 ? "" : plural(config.workers, "worker"),
    ].filter((s) => s !== "");
    return {
      text: `Listening on ${address}, relaying to ${target}` +
        (how.length === 0 ? "" : ` (${how.join(", ")})`) +
        (faults === "" ? "" : `; faults: ${faults}; seed ${relay.seed}`),
      fields: {
        address,
        protocol: "relay",
        target,
        tls: config.tls !== null,
        to_tls: relay.toTls !== null,
        workers: config.workers,
        faults,
        seed: relay.seed,
      },
    };
  });
}

// The relay the command line asks for, or null for --help.
function parseRelay(args: string[]): ServeConfig | null {
  const many = { type: "string", multiple: true } as const;
  const a = new Arguments("relay", args, {
    listen: { type: "string" },
    to: { type: "string" },
    "listen-tls-cert": { type: "string" },
    "listen-tls-key": { type: "string" },
    "to-tls": { type: "boolean", default: false },
    "to-ca": { type: "string" },
    "to-server-name": { type: "string" },
    delay: many,
    jitter: many,
    bandwidth: many,
    "reset-after": many,
    "stall-after": many,
    refuse: { type: "string" },
    seed: { type: "string" },
    "idle-timeout": { type: "string", default: "0" },
    ...SERVER_OPTIONS,
  });
  const values = a.values;
  if (values.help) return null;
  const listen = address(
    a,
    "--listen",
    values.listen ?? a.fail("--listen ADDR is required (e.g. 127.0.0.1:8080)"),
  );
  const to = address(a, "--to", values.to ?? a.fail("--to ADDR is required (e.g. 127.0.0.1:80)"));
  const unix = listen.transport === "unix" ? listen.path : null;
  const shared = serverSettings(a, values, unix);
  if (!values["to-tls"]) {
    for (const name of ["to-ca", "to-server-name"] as const) {
      if (values[name] !== undefined) a.fail(`--${name} applies with --to-tls`);
    }
  } else if (to.transport === "unix") {
    a.fail("TLS runs over TCP, not a Unix socket");
  }
  const up: Mutable<Faults> = { ...NO_FAULTS }, down: Mutable<Faults> = { ...NO_FAULTS };
  const fault = (flag: string, field: keyof Faults, texts: string[] | undefined, min: number) => {
    for (const text of texts ?? []) {
      const [, dir, value] = /^(?:(up|down):)?(.*)$/.exec(text)!;
      const n = a.integer(flag, value, min, Number.MAX_SAFE_INTEGER);
      if (dir !== "down") up[field] = n;
      if (dir !== "up") down[field] = n;
    }
  };
  fault("--delay", "delay", values.delay, 0);
  fault("--jitter", "jitter", values.jitter, 0);
  fault("--bandwidth", "bandwidth", values.bandwidth, 1);
  fault("--reset-after", "resetAfter", values["reset-after"], 1);
  fault("--stall-after", "stallAfter", values["stall-after"], 1);
  const refuse = values.refuse === undefined ? 0 : Number(values.refuse);
  if (!(/^\d+(\.\d+)?$/.test(values.refuse ?? "0") && refuse <= 1)) {
    a.fail(`--refuse must be a number from 0 to 1, not "${values.refuse}"`);
  }
  const seed = values.seed === undefined
    ? crypto.getRandomValues(new Uint32Array(1))[0]
    : a.integer("--seed", values.seed, 0, 0xffffffff);
  const relay: RelaySpec = {
    to,
    toTls: values["to-tls"]
      ? {
        ca: values["to-ca"] === undefined
          ? null
          : readNamedFile("the CA certificate", values["to-ca"]),
        serverName: values["to-server-name"] ?? null,
      }
      : null,
    up,
    down,
    refuse,
    seed,
  };
  return {
    protocol: "relay",
    relay,
    host: listen.transport === "tcp" ? listen.host : "",
    port: listen.transport === "tcp" ? listen.port : 0,
    unix,
    pipe: false,
    tls: tlsFiles(a, values["listen-tls-cert"], values["listen-tls-key"], unix, "--listen-tls"),
    maxContent: 0,
    idleTimeout: a.seconds("--idle-timeout", values["idle-timeout"], true),
    ...shared,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// `HOST:PORT`, `[v6]:PORT` or `unix:PATH`.
function address(
  a: Pick<Arguments<Options>, "fail" | "integer">,
  flag: string,
  text: string,
): Target {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") a.fail(`${flag} unix: needs a path`);
    return { transport: "unix", path };
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d+)$/.exec(text);
  if (m === null) a.fail(`${flag} must be HOST:PORT, [IPv6]:PORT or unix:PATH, not "${text}"`);
  const port = a.integer(`${flag}'s port`, m[3], 0, 65535);
  return { transport: "tcp", host: m[1] ?? m[2], port };
}

// The first line's account of the faults, e.g. "delay 50 ms, bandwidth 1000 B/s up".
function describeFaults(relay: RelaySpec): string {
  const parts: string[] = [];
  const each = (field: keyof Faults, name: string, unit: string) => {
    const u = relay.up[field], d = relay.down[field], off = NO_FAULTS[field];
    if (u === off && d === off) return;
    const show = (v: number) => v === off ? "off" : `${v}${unit}`;
    parts.push(u === d ? `${name} ${show(u)}` : `${name} ${show(u)} up, ${show(d)} down`);
  };
  each("delay", "delay", " ms");
  each("jitter", "jitter", " ms");
  each("bandwidth", "bandwidth", " B/s");
  each("resetAfter", "reset-after", " bytes");
  each("stallAfter", "stall-after", " bytes");
  if (relay.refuse > 0) parts.push(`refuse ${relay.refuse}`);
  return parts.join(", ");
}
