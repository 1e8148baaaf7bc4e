/**
 * `connect --check` (`nc -z`): does anything answer? Each target is dialed
 * on one readiness loop, at most so many at once, and closed as soon as it
 * answers; outcomes are handed out in the targets' order, each as soon as
 * those before it are known. With a wait, a target that does not answer is
 * dialed again until it does or the wait runs out (the wait-for-it use).
 *
 * @module
 */
import type { Address, ClientTls } from "../lib/address.ts";
import { dial, type DialOptions } from "../lib/transports.ts";
import { describeError } from "../lib/describe_error.ts";
import { Interest, Loop, type Stream } from "../lib/loop.ts";

/** How a dial ended: it answered, or why not. */
export type CheckOutcome =
  | { readonly kind: "open" }
  | { readonly kind: "refused" }
  | { readonly kind: "timed out" }
  | { readonly kind: "failed"; readonly cause: string };

/** An outcome that is not "open": why a port did not answer. */
export type Unanswered = Exclude<CheckOutcome, { kind: "open" }>;

/** What to check and how. */
export interface CheckPlan {
  readonly targets: readonly Address[];
  /** At most this many dials in flight. */
  readonly inFlight: number;
  /** Seconds a dial may take (0: the system's own limit). */
  readonly timeout: number;
  readonly tls: ClientTls | null;
  /** Dial a target again until it answers or this many ms passed since the start (0: once). */
  readonly waitMs: number;
  /** Hears each target's outcome, in the targets' order. */
  readonly report: (index: number, outcome: CheckOutcome) => void;
  /** Hears each attempt that failed while waiting. */
  readonly retried?: (index: number, outcome: Unanswered) => void;
}

/** How long a waiting check sleeps between dials of a target that did not answer (ms). */
export const RETRY_MS = 100;

/**
 * Checks every target of `plan`; resolves once each is known.
 *
 * @example
 * ```ts
 * import { checkPorts } from "./port_check.ts";
 * const targets = [22, 80].map((port) => ({ transport: "tcp", host: "127.0.0.1", port } as const));
 * await checkPorts({
 *   targets, inFlight: 100, timeout: 1, tls: null, waitMs: 0,
 *   report: (i, outcome) => console.log(targets[i].port, outcome.kind),
 * });
 * ```
 */
export async function checkPorts(
  plan: CheckPlan,
  dialer: (at: Address, options: DialOptions) => Promise<Stream> = dial,
): Promise<void> {
  const loop = new Loop<number>(), targets = plan.targets, n = targets.length;
  const outcomes: (CheckOutcome | null)[] = new Array(n).fill(null);
  const retries = new Map<number, number>();
  const started = performance.now();
  let next = 0, reported = 0;
  const launch = (i: number, now: number) => {
    const left = plan.waitMs > 0 ? (started + plan.waitMs - now) / 1000 : Infinity;
    const timeout = plan.timeout > 0 ? Math.min(plan.timeout, left) : left;
    const options = { tls: plan.tls, timeout: timeout === Infinity ? 0 : Math.max(timeout, 0.001) };
    loop.connect(dialer(targets[i], options), Interest.NONE, i);
  };
  for (; next < n && next < plan.inFlight; next++) launch(next, started);
  while (reported < n) {
    let now = performance.now(), soonest = Infinity;
    for (const [i, at] of retries) {
      // Stryker disable next-line EqualityOperator: a timer that fires exactly on time is tried on the next turn, a moment later
      if (at <= now) {
        retries.delete(i);
        launch(i, now);
      } else soonest = Math.min(soonest, at);
    }
    const batch = await loop.select(soonest - now);
    now = performance.now();
    for (const ev of batch) {
      const i = ev.key.data;
      loop.unregister(ev.key); // an answer is closed at once: that is the whole check
      const outcome = ev.type === "connect" ? OPEN : failure(ev.error);
      // The last try is at the deadline itself: a wait of S seconds gives the port all of them.
      // Stryker disable next-line EqualityOperator: a failure at the very deadline tried again at it fails the same
      if (outcome.kind !== "open" && now < started + plan.waitMs) {
        plan.retried?.(i, outcome);
        retries.set(i, Math.min(now + RETRY_MS, started + plan.waitMs));
        continue;
      }
      outcomes[i] = outcome;
      if (next < n) launch(next++, now);
    }
    for (; reported < n && outcomes[reported] !== null; reported++) {
      plan.report(reported, outcomes[reported]!);
    }
  }
}

const OPEN: CheckOutcome = { kind: "open" };

function failure(error: unknown): CheckOutcome {
  if (error instanceof Deno.errors.ConnectionRefused) return { kind: "refused" };
  if (error instanceof Deno.errors.TimedOut) return { kind: "timed out" };
  return { kind: "failed", cause: describeError(error) };
}
