/**
 * The toxics of one direction of one relayed connection, as they stand:
 * which apply to it (each toxic's toxicity is drawn once per connection),
 * since when, and what they add up to (the delay, the rate, the slices,
 * the byte limits, the deadlines). Toxics come and go while the connection
 * runs: {@linkcode ToxicLink.update} takes up the proxy's list as it is
 * now, keeping each unchanged toxic's draw and counts.
 *
 * @module
 */
import type { Direction, ToxicSpec } from "./toxic_spec.ts";

/** What a byte limit does once reached. */
export type LimitAction =
  /** `limit_data`: the connection closes once the bytes allowed are delivered. */
  | "close"
  /** `reset_after`: both legs are reset once the bytes allowed are delivered. */
  | "reset"
  /** `stall_after`: nothing more passes (dropped), the connection stays open. */
  | "stall";

/** How slices are cut: Toxiproxy's slicer. */
export interface Slicing {
  readonly average: number;
  readonly variation: number;
  /** Between one slice and the next, in ms. */
  readonly delayMs: number;
}

// One toxic as this link holds it.
interface Held {
  readonly spec: ToxicSpec;
  /** Drawn once from its toxicity: whether it acts on this connection. */
  readonly applies: boolean;
  /** When it began to act (ms). */
  readonly since: number;
  /** Bytes passed since (for the byte limits). */
  passed: number;
}

const LIMITS: Readonly<Record<string, LimitAction>> = {
  limit_data: "close",
  reset_after: "reset",
  stall_after: "stall",
};

/**
 * One direction's toxics on one connection.
 *
 * @example
 * ```ts
 * import { ToxicLink } from "./toxic_link.ts";
 * import { parseToxic } from "./toxic_spec.ts";
 * const link = new ToxicLink("downstream", Math.random);
 * link.update([parseToxic('{"type":"latency","attributes":{"latency":100}}')], 0);
 * console.log(link.latency, link.timed); // 100 true
 * ```
 */
export class ToxicLink {
  /** Milliseconds every chunk is held back. */
  latency!: number;
  /** Up to this many ms more or less per chunk, never below zero (order is kept). */
  jitter!: number;
  /** Bytes per second at most (`Infinity`: no limit). */
  rate!: number;
  /** How chunks are sliced; null: they are not. */
  slicing!: Slicing | null;
  /** Milliseconds the FIN is held back after the source's (`slow_close`). */
  slowClose!: number;
  /** A `timeout` applies: what comes is dropped. */
  dropping!: boolean;
  /** When a `timeout` closes the connection (`Infinity`: never). */
  closeAt!: number;
  /** When a `reset_peer` resets it (`Infinity`: never). */
  resetAt!: number;
  /** True once a `timeout` that held the connection was removed: it closes, as in Toxiproxy. */
  released = false;
  /** The types of the toxics that apply, for the closing line. */
  applied!: string[];
  #held: Held[] = [];
  // Those of #held that apply and are byte limits.
  #limits!: Held[];

  /** The link of `direction`, with no toxics yet; `random` draws the toxicities. */
  constructor(readonly direction: Direction, readonly random: () => number) {
    this.#derive();
  }

  /** True when something holds bytes back for a time: a latency, a rate, slices. */
  timed!: boolean;
  /** True when a byte limit applies (`limit_data`, `reset_after`, `stall_after`). */
  limited!: boolean;

  /** Takes up the proxy's toxics as they are at `now` (those of the other direction are skipped). */
  update(specs: readonly ToxicSpec[], now: number): void {
    const next: Held[] = [];
    for (const spec of specs) {
      if (spec.stream !== this.direction) continue;
      const old = this.#held.find((h) => h.spec.name === spec.name && h.spec.type === spec.type);
      if (old === undefined) {
        next.push({ spec, applies: this.#draw(spec.toxicity), since: now, passed: 0 });
      } else {
        const applies = old.spec.toxicity === spec.toxicity
          ? old.applies
          : this.#draw(spec.toxicity);
        next.push({ spec, applies, since: old.since, passed: old.passed });
      }
    }
    for (const old of this.#held) {
      if (!old.applies || old.spec.type !== "timeout") continue;
      const kept = next.find((h) => h.spec.name === old.spec.name && h.spec.type === "timeout");
      if (kept?.applies !== true) this.released = true;
    }
    this.#held = next;
    this.#derive();
  }

  /** Bytes that may pass before a byte limit acts, and what it does then (ask only when `limited`). */
  limit(): { readonly bytes: number; readonly action: LimitAction | null } {
    let bytes = Infinity, action: LimitAction | null = null;
    for (const h of this.#limits) {
      const kind = LIMITS[h.spec.type];
      const left = Math.max(0, h.spec.attributes.bytes - h.passed);
      if (left < bytes) [bytes, action] = [left, kind];
    }
    return { bytes, action };
  }

  /** `n` bytes passed on: the byte limits count them. */
  count(n: number): void {
    for (const h of this.#limits) h.passed += n;
  }

  /** This chunk's hold: the latency give or take the jitter, never below zero. */
  delay(): number {
    if (this.jitter === 0) return this.latency;
    const low = Math.max(0, this.latency - this.jitter);
    return low + this.random() * (this.latency + this.jitter - low);
  }

  // Only a toxicity between 0 and 1 takes a draw: the jitter's sequence is the same without one.
  #draw(toxicity: number): boolean {
    if (toxicity >= 1 || toxicity <= 0) return toxicity >= 1;
    // Stryker disable next-line EqualityOperator: a draw exactly equal to the toxicity has no weight
    return this.random() < toxicity;
  }

  #derive(): void {
    let latency = 0, jitter = 0, rate = Infinity, slowClose = 0;
    let slicing: Slicing | null = null, dropping = false, closeAt = Infinity, resetAt = Infinity;
    const applied: string[] = [];
    for (const { spec, applies, since } of this.#held) {
      if (!applies) continue;
      const a = spec.attributes;
      if (!applied.includes(spec.type)) applied.push(spec.type);
      switch (spec.type) {
        case "latency":
          latency += a.latency;
          jitter += a.jitter;
          break;
        case "bandwidth":
          rate = Math.min(rate, a.rate * 1000);
          break;
        case "slicer":
          slicing ??= {
            average: a.average_size,
            variation: a.size_variation,
            delayMs: a.delay / 1000,
          };
          break;
        case "slow_close":
          slowClose += a.delay;
          break;
        case "timeout":
          dropping = true;
          if (a.timeout > 0) closeAt = Math.min(closeAt, since + a.timeout);
          break;
        case "reset_peer":
          resetAt = Math.min(resetAt, since + a.timeout);
          break;
      }
    }
    Object.assign(this, { latency, jitter, rate, slicing, slowClose, dropping, closeAt, resetAt });
    this.applied = applied;
    this.timed = latency > 0 || jitter > 0 || rate !== Infinity || slicing !== null;
    this.#limits = this.#held.filter((h) => h.applies && LIMITS[h.spec.type] !== undefined);
    this.limited = this.#limits.length > 0;
  }
}

/**
 * Where to cut `size` bytes into slices of about `average` bytes, give or
 * take `variation` (Toxiproxy's way: halves, each moved at random, until
 * each is within the variation of the average); the sizes, in order.
 */
export function sliceSizes(size: number, s: Slicing, random: () => number): number[] {
  const out: number[] = [];
  const cut = (start: number, end: number): void => {
    if (end - start - s.average <= s.variation) {
      out.push(end - start);
      return;
    }
    const shift = Math.floor(random() * (2 * s.variation + 1)) - s.variation;
    // Over the average and the variation, and the variation under the average: inside (start, end).
    const mid = start + ((end - start) >> 1) + shift;
    cut(start, mid);
    cut(mid, end);
  };
  if (size > 0) cut(0, size);
  return out;
}
