/**
 * `sockdemo relay`: the relaying server its options ask for, on the
 * connection host, and the first line that says what it relays.
 *
 * @module
 */
import { addressName } from "../lib/address.ts";
import { helpText } from "../lib/command_line.ts";
import type { LogFields } from "../lib/log.ts";
import { plural } from "../lib/plural.ts";
import { whileSignalled } from "../lib/stop_signals.ts";
import { canAbortTcp } from "../lib/tcp_abort.ts";
import { runServer } from "../server/run_server.ts";
import { apiListeningLine } from "./api_relay.ts";
import { NO_FAULTS } from "./relay_flow.ts";
import type { Faults } from "./relay_flow.ts";
import { parseRelay, RELAY_SPEC } from "./relay_options.ts";
import type { RelayConfig } from "./relay_sessions.ts";
import { udpRelayCommand } from "./udp_relay_command.ts";

/** Runs `sockdemo relay ARGS` and resolves to the exit code. */
export async function relayCommand(args: string[]): Promise<number> {
  const config = parseRelay(args);
  if (config === null) {
    console.log(helpText(RELAY_SPEC));
    return 0;
  }
  if (config.command === "relay-udp") {
    return await whileSignalled(["SIGINT", "SIGTERM"], (stop) => udpRelayCommand(config, { stop }));
  }
  if (config.command === "relay-api") {
    return await runServer(config, (address) => apiListeningLine(config, address));
  }
  // Said at once: a test that relies on resets should not find out from a FIN.
  const resets = canAbortTcp();
  return await runServer(config, (address) => listeningLine(config, address, resets));
}

/**
 * The relay's first line, once it listens on `address`: where it relays, how
 * (TLS, workers), the faults and their seed, and whether its resets can be
 * RSTs (`resets`) or pass on as FINs.
 */
export function listeningLine(
  config: RelayConfig,
  address: string,
  resets: boolean,
): { text: string; fields: LogFields } {
  const target = addressName(config.to), faults = describeFaults(config);
  const how = [
    config.tls === null ? "" : "TLS in",
    config.toTls === null ? "" : "TLS out",
    config.workers === 1 ? "" : plural(config.workers, "worker"),
  ].filter((s) => s !== "");
  return {
    text: `Listening on ${address}, relaying to ${target}` +
      (how.length === 0 ? "" : ` (${how.join(", ")})`) +
      (faults === "" ? "" : `; faults: ${faults}; seed ${config.seed}`) +
      (resets ? "" : "; resets pass on as FINs (an RST needs Linux, glibc and --allow-ffi)"),
    fields: {
      address,
      protocol: "relay",
      target,
      tls: config.tls !== null,
      to_tls: config.toTls !== null,
      workers: config.workers,
      faults,
      seed: config.seed,
      resets: resets ? "rst" : "fin",
    },
  };
}

// The first line's account of the faults, e.g. "delay 50 ms, bandwidth 1000 B/s up".
function describeFaults(relay: RelayConfig): string {
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
