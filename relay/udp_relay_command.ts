/**
 * Runs `relay --udp`: the listening line, the relay until SIGINT or
 * SIGTERM, then a summary with each direction's faults counted.
 *
 * @module
 */
import { addressName } from "../lib/address.ts";
import { describeError } from "../lib/describe_error.ts";
import { Log } from "../lib/log.ts";
import { random } from "../lib/random.ts";
import type { UdpFaultPlan } from "./udp_faults.ts";
import { type FaultCounts, UdpRelay } from "./udp_relay.ts";
import type { UdpRelayConfig } from "./udp_relay_options.ts";

/** What a UDP relay is given besides its config: its stop (SIGINT, SIGTERM), and where its lines go. */
export interface UdpRelayHooks {
  readonly stop: AbortSignal;
  readonly log?: Log;
}

/** Relays datagrams as `config` says until stopped; resolves to the exit code. */
export async function udpRelayCommand(
  config: UdpRelayConfig,
  hooks: UdpRelayHooks,
): Promise<number> {
  const log = hooks.log ?? new Log(config.verbosity, config.logFormat);
  let relay: UdpRelay;
  try {
    relay = new UdpRelay({
      listen: config.listen,
      target: config.to,
      up: config.up,
      down: config.down,
      random: random(config.seed),
      idleMs: config.idleTimeout * 1000,
      log,
    });
  } catch (e) {
    const address = addressName(config.listen), reason = describeError(e);
    log.error("listen_failed", `sockdemo: cannot listen on ${address}: ${reason}`, {
      address,
      reason,
    });
    return 1;
  }
  const at = relay.addr, address = `${at.hostname}:${at.port}`, target = addressName(config.to);
  const faults = [describe("up", config.up), describe("down", config.down)].filter((f) => f !== "");
  log.notice(
    "listening",
    `Listening on ${address} (UDP), relaying to ${target}` +
      (faults.length === 0 ? "" : `; faults: ${faults.join("; ")}; seed ${config.seed}`),
    { address, protocol: "relay-udp", target, faults: faults.join("; "), seed: config.seed },
  );
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal aborts once, and stopping twice is stopping
  hooks.stop.addEventListener("abort", () => relay.stop(), { once: true });
  const totals = await relay.run();
  const f = totals.faults;
  log.notice(
    "stopped",
    `Stopped: ${totals.clients} clients, ${totals.up} datagrams up, ${totals.down} down; ` +
      `up: ${counts(f.up)}; down: ${counts(f.down)}` +
      // Stryker disable next-line ConditionalExpression,StringLiteral: a queue drops only past 1,024 datagrams waiting, which loopback never leaves
      (totals.dropped === 0 ? "" : `; ${totals.dropped} dropped by full queues`),
    {
      clients: totals.clients,
      up: totals.up,
      down: totals.down,
      lost_up: f.up.lost,
      lost_down: f.down.lost,
      duplicated_up: f.up.duplicated,
      duplicated_down: f.down.duplicated,
      reordered_up: f.up.reordered,
      reordered_down: f.down.reordered,
      dropped: totals.dropped,
    },
  );
  return 0;
}

function counts(f: FaultCounts): string {
  return `${f.lost} lost, ${f.duplicated} duplicated, ${f.reordered} reordered`;
}

// "up: loss 0.1, delay 50 ms", or "" when that direction has no fault.
function describe(dir: string, plan: UdpFaultPlan): string {
  const parts = [
    plan.loss > 0 ? `loss ${plan.loss}` : "",
    plan.duplicate > 0 ? `duplicate ${plan.duplicate}` : "",
    plan.reorder > 0 ? `reorder ${plan.reorder}` : "",
    plan.delay > 0 ? `delay ${plan.delay} ms` : "",
    plan.jitter > 0 ? `jitter ${plan.jitter} ms` : "",
    plan.bandwidth !== Infinity ? `bandwidth ${plan.bandwidth} B/s` : "",
  ].filter((p) => p !== "");
  return parts.length === 0 ? "" : `${dir}: ${parts.join(", ")}`;
}
