/**
 * What `relay --udp` takes from the relay's command line, checked.
 *
 * @module
 */
import { BadValue, integer, share } from "../lib/checks.ts";
import type { TcpAddress } from "../lib/address.ts";
import type { RelayLine } from "./relay_options.ts";
import { NO_UDP_FAULTS, type UdpFaultPlan } from "./udp_faults.ts";
import type { Verbosity } from "../lib/log.ts";
import type { LogFormat } from "../lib/log.ts";

/** A `relay --udp` run. */
export interface UdpRelayConfig {
  readonly command: "relay-udp";
  readonly listen: TcpAddress;
  readonly to: TcpAddress;
  readonly up: UdpFaultPlan;
  readonly down: UdpFaultPlan;
  readonly seed: number;
  /** Seconds a client may be silent both ways before its socket is closed (0: never). */
  readonly idleTimeout: number;
  readonly verbosity: Verbosity;
  readonly logFormat: LogFormat;
}

// What is about streams, TLS, threads or the API: none of it is UDP's.
const NOT_WITH_UDP = [
  "api",
  "config",
  "connect-timeout",
  "listen-tls-cert",
  "listen-tls-key",
  "to-tls",
  "to-ca",
  "to-server-name",
  "reset-after",
  "stall-after",
  "refuse",
  "max-conns",
  "max-buffer",
  "workers",
  "metrics",
] as const;

/** The UDP relay `line` asks for; usage errors for what does not apply. */
export function udpRelayConfig(line: RelayLine): UdpRelayConfig {
  const v = line.values;
  line.refuse(NOT_WITH_UDP, "--udp relays datagrams");
  const listen = v.listen ?? line.fail("--listen ADDR is required (e.g. 127.0.0.1:5353)");
  const to = v.to ?? line.fail("--to ADDR is required (e.g. 127.0.0.1:53)");
  if (listen.transport !== "tcp" || to.transport !== "tcp") {
    line.fail("--udp needs HOST:PORT addresses, not unix:PATH");
  }
  if (v.quiet && v.verbose) line.fail("--quiet and --verbose cannot be used together");
  const up: Record<string, number> = { ...NO_UDP_FAULTS }, down = { ...up };
  const each = (name: "loss" | "duplicate" | "reorder" | "delay" | "jitter" | "bandwidth") => {
    const check = name === "delay" || name === "jitter"
      ? integer(0, 3_600_000)
      : name === "bandwidth"
      ? integer(1, Number.MAX_SAFE_INTEGER)
      : share;
    for (const text of v[name]) {
      const dir = text.startsWith("up:") ? "up" : text.startsWith("down:") ? "down" : null;
      let n = 0;
      try {
        n = check(dir === null ? text : text.slice(dir.length + 1));
      } catch (e) {
        // Stryker disable next-line ConditionalExpression: the checks throw nothing but BadValue
        if (!(e instanceof BadValue)) throw e;
        line.fail(`--${name} ${e.message}`);
      }
      if (dir !== "down") up[name] = n;
      if (dir !== "up") down[name] = n;
    }
  };
  for (const name of ["loss", "duplicate", "reorder", "delay", "jitter", "bandwidth"] as const) {
    each(name);
  }
  return {
    command: "relay-udp",
    listen: listen as TcpAddress,
    to: to as TcpAddress,
    up: up as unknown as UdpFaultPlan,
    down: down as unknown as UdpFaultPlan,
    seed: v.seed ?? crypto.getRandomValues(new Uint32Array(1))[0],
    idleTimeout: v["idle-timeout"] ?? 60,
    verbosity: v.quiet ? "quiet" : v.verbose ? "verbose" : "normal",
    logFormat: v["log-format"] ?? "text",
  };
}
