/**
 * What a relay serves each connection with: a session that dials the target
 * (within `--connect-timeout`) with its faults and its own seeded jitter,
 * and the `--refuse` decision.
 *
 * @module
 */
import { type Address, addressName, type ClientTls } from "../lib/address.ts";
import { dial } from "../lib/transports.ts";
import type { Log } from "../lib/log.ts";
import type { Stream } from "../lib/loop.ts";
import { random } from "../lib/random.ts";
import type { Sessions } from "../server/host.ts";
import type { HostConfig } from "../server/host_config.ts";
import { RelaySession } from "./relay.ts";
import type { Faults } from "./relay_flow.ts";
import type { ToxicSpec } from "./toxic_spec.ts";

/** A `relay` run as the command line asked for it: plain data, so workers can be handed it. */
export interface RelayConfig extends HostConfig {
  readonly command: "relay";
  /** Where to forward. */
  readonly to: Address;
  /** TLS to the target (origination), or null for plain. */
  readonly toTls: ClientTls | null;
  /** Seconds a dial to the target may take, handshake included (0: the system's limit). */
  readonly connectTimeout: number;
  /** Faults from client to target. */
  readonly up: Faults;
  /** Faults from target to client. */
  readonly down: Faults;
  /** The share of new connections closed at once (0: none). */
  readonly refuse: number;
  /** Seeds `--refuse` and the jitter: the same seed repeats a run. */
  readonly seed: number;
}

/**
 * What a server needs to relay as `spec` says: a session per connection
 * (dialing the target, with its faults and its own seeded jitter) and the
 * `--refuse` decision, made from the seed and the connection's number so
 * the same connections are turned away on every run.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { type RelayConfig, relaySessions } from "./relay_sessions.ts";
 * declare const spec: RelayConfig;
 * const { newSession, admit } = relaySessions(spec, new Log("normal"));
 * ```
 */
export function relaySessions(spec: RelayConfig, log: Log): Sessions {
  const to = spec.to, target = addressName(to);
  const options = { tls: spec.toTls, timeout: spec.connectTimeout };
  const dialTarget = (): Promise<Stream> => dial(to, options);
  const refusal = `--refuse ${spec.refuse}`;
  const refused = (number: number) => drawn(spec.seed, number, spec.refuse);
  return {
    // Named as the API names the proxy --listen/--to make (the server adds where it listens).
    labels: { proxy: "relay", upstream: target },
    newSession: (number) =>
      new RelaySession({
        dial: dialTarget,
        target,
        up: spec.up,
        down: spec.down,
        random: random(spec.seed, number),
        trace: faultTrace(log, number),
      }),
    ...(spec.refuse === 0 ? {} : { admit: (number: number) => refused(number) ? refusal : null }),
  };
}

/**
 * Why connection `number` is turned away by a `refuse` toxic among
 * `toxics` (each refuses its toxicity's share), or null to serve it.
 */
export function refusedBy(
  toxics: readonly ToxicSpec[],
  seed: number,
  number: number,
): string | null {
  for (const t of toxics) {
    if (t.type === "refuse" && drawn(seed, number, t.toxicity)) return `toxic ${t.name}`;
  }
  return null;
}

// Whether connection `number` falls in the `share` refused: a sequence of its own, apart from its jitter.
function drawn(seed: number, number: number, share: number): boolean {
  // Stryker disable next-line EqualityOperator: a draw exactly equal to the rate has no weight
  return random(seed, number, 1)() < share;
}

/** With `--verbose`, where connection `number`'s faults say they fired; otherwise null. */
export function faultTrace(log: Log, number: number): ((line: string) => void) | null {
  return log.verbose
    ? (line) => log.debug("fault", `#${number} ${line}`, { conn: number, fault: line })
    : null;
}
