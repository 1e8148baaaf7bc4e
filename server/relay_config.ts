import { connectTcp } from "../lib/connect_tcp.ts";
import { connectTls, type TlsClientOptions } from "../lib/connect_tls.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log } from "../lib/log.ts";
import type { Stream } from "../lib/loop.ts";
import { random } from "../lib/random.ts";
import { RelaySession } from "./relay.ts";
import type { Faults } from "./relay_flow.ts";

/** Where a relay forwards to. */
export type Target =
  | { readonly transport: "tcp"; readonly host: string; readonly port: number }
  | { readonly transport: "unix"; readonly path: string };

/** A `relay` run as the command line asked for it: plain data, so workers can be handed it. */
export interface RelaySpec {
  readonly to: Target;
  /** TLS to the target (origination), or null for plain. */
  readonly toTls: TlsClientOptions | null;
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
 * The target as log lines name it: `HOST:PORT`, `[v6]:PORT` or `unix:PATH`.
 *
 * @example
 * ```ts
 * import { targetName } from "./relay_config.ts";
 * console.log(targetName({ transport: "tcp", host: "::1", port: 7 })); // "[::1]:7"
 * ```
 */
export function targetName(to: Target): string {
  return to.transport === "tcp" ? hostPort(to.host, to.port) : `unix:${to.path}`;
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
 * import { relaySessions, type RelaySpec } from "./relay_config.ts";
 * declare const spec: RelaySpec;
 * const { newSession, admit } = relaySessions(spec, new Log("normal"));
 * ```
 */
export function relaySessions(spec: RelaySpec, log: Log): {
  newSession: (number: number) => RelaySession;
  admit: ((number: number) => string | null) | undefined;
} {
  const to = spec.to, tls = spec.toTls, target = targetName(to);
  const dial = (): Promise<Stream> =>
    to.transport === "unix"
      ? Deno.connect({ transport: "unix", path: to.path })
      : tls === null
      ? connectTcp(to.host, to.port)
      : connectTls(to.host, to.port, tls);
  const refusal = `--refuse ${spec.refuse}`;
  // A sequence of its own per connection, apart from its jitter.
  // Stryker disable next-line EqualityOperator: a draw exactly equal to the rate has no weight
  const refused = (number: number) => random(spec.seed, number, 1)() < spec.refuse;
  return {
    newSession: (number) =>
      new RelaySession({
        dial,
        target,
        up: spec.up,
        down: spec.down,
        random: random(spec.seed, number),
        trace: log.verbose
          ? (line) => log.debug("fault", `#${number} ${line}`, { conn: number, fault: line })
          : null,
      }),
    admit: spec.refuse === 0 ? undefined : (number) => refused(number) ? refusal : null,
  };
}
