/**
 * The relay's command-line faults as toxics, so that they run on the one
 * fault engine and a proxy made from `--listen/--to` lists them through the
 * API like any other: `--delay`/`--jitter` a `latency`, `--bandwidth` a
 * `bandwidth` (its bytes per second in KB/s, fractions kept), `--reset-after`
 * and `--stall-after` sockdemo's `reset_after` and `stall_after`, `--refuse`
 * a `refuse` whose toxicity is the share refused.
 *
 * @module
 */
import type { Faults } from "./relay_flow.ts";
import type { Direction, ToxicSpec } from "./toxic_spec.ts";

/**
 * The toxics `up` and `down` (client to target, and back) and `refuse` make,
 * named as Toxiproxy names a toxic by default (`TYPE_STREAM`).
 *
 * @example
 * ```ts
 * import { faultToxics } from "./fault_toxics.ts";
 * import { NO_FAULTS } from "./relay_flow.ts";
 * const toxics = faultToxics({ ...NO_FAULTS, delay: 50 }, NO_FAULTS);
 * // [{ name: "latency_upstream", type: "latency", stream: "upstream", toxicity: 1,
 * //    attributes: { latency: 50, jitter: 0 } }]
 * ```
 */
export function faultToxics(up: Faults, down: Faults, refuse = 0): ToxicSpec[] {
  const out = [...directionToxics(up, "upstream"), ...directionToxics(down, "downstream")];
  if (refuse > 0) {
    out.push({
      name: "refuse",
      type: "refuse",
      stream: "downstream",
      toxicity: refuse,
      attributes: {},
    });
  }
  return out;
}

function directionToxics(f: Faults, stream: Direction): ToxicSpec[] {
  const out: ToxicSpec[] = [];
  const add = (type: ToxicSpec["type"], attributes: Record<string, number>) =>
    out.push({ name: `${type}_${stream}`, type, stream, toxicity: 1, attributes });
  if (f.delay > 0 || f.jitter > 0) add("latency", { latency: f.delay, jitter: f.jitter });
  if (f.bandwidth !== Infinity) add("bandwidth", { rate: f.bandwidth / 1000 });
  // A reset wins a tie with a stall: it comes first.
  if (f.resetAfter !== Infinity) add("reset_after", { bytes: f.resetAfter });
  if (f.stallAfter !== Infinity) add("stall_after", { bytes: f.stallAfter });
  return out;
}
