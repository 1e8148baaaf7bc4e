/**
 * The faults of one direction of `relay --udp`, per datagram: loss,
 * duplication, reordering (one held back until the next has passed), delay
 * with jitter (which may reorder too, as a network does), and a bandwidth
 * limit. What passes comes out of {@linkcode UdpFaults.release} when due;
 * each fault is counted, so a test can compare the counts with what the
 * other end saw.
 *
 * @module
 */

/** One direction's faults; each is off by default. */
export interface UdpFaultPlan {
  /** Share of datagrams dropped (0..1). */
  readonly loss: number;
  /** Share of datagrams sent twice (0..1). */
  readonly duplicate: number;
  /** Share of datagrams held back until the next one has passed (0..1). */
  readonly reorder: number;
  /** Milliseconds each datagram is held back. */
  readonly delay: number;
  /** Up to this many ms more or less, at random per datagram. */
  readonly jitter: number;
  /** Bytes per second at most (`Infinity`: no limit). */
  readonly bandwidth: number;
}

/** No faults. */
export const NO_UDP_FAULTS: UdpFaultPlan = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  delay: 0,
  jitter: 0,
  bandwidth: Infinity,
};

/** Whether `plan` does nothing to a datagram: each would pass at once, as it came. */
export function faultless(plan: UdpFaultPlan): boolean {
  return plan.loss === 0 && plan.duplicate === 0 && plan.reorder === 0 && plan.delay === 0 &&
    plan.jitter === 0 && plan.bandwidth === Infinity;
}

// What a release of nothing returns, made once: a relay asks every client each turn.
const NOTHING: readonly never[] = [];

/** How long a datagram held back for reordering waits for a later one, at most (ms). */
export const REORDER_WAIT_MS = 50;

interface Held<T> {
  readonly at: number;
  readonly datagram: T;
}

/**
 * One direction's datagrams through its faults.
 *
 * @example
 * ```ts
 * import { NO_UDP_FAULTS, UdpFaults } from "./udp_faults.ts";
 * const faults = new UdpFaults<string>({ ...NO_UDP_FAULTS, delay: 10 }, Math.random);
 * faults.arrive("one", 4, 0);
 * console.log(faults.release(5), faults.release(10)); // [] ["one"]
 * ```
 */
export class UdpFaults<T> {
  /** Datagrams dropped by the loss. */
  lost = 0;
  /** Extra copies sent. */
  duplicated = 0;
  /** Datagrams held back and sent after a later one. */
  reordered = 0;
  readonly #plan: UdpFaultPlan;
  readonly #random: () => number;
  #queue: Held<T>[] = [];
  #held: { datagram: T; bytes: number; since: number; copies: number } | null = null;
  #free = 0;

  /** Faults as `plan` says, drawn from `random`. */
  constructor(plan: UdpFaultPlan, random: () => number) {
    this.#plan = plan;
    this.#random = random;
  }

  /** When the next datagram is due (ms); `Infinity` when none waits. */
  get nextAt(): number {
    const held = this.#held === null ? Infinity : this.#held.since + REORDER_WAIT_MS;
    return Math.min(held, this.#queue.length === 0 ? Infinity : this.#queue[0].at);
  }

  /** Datagrams waiting (held back or delayed). */
  get waiting(): number {
    return this.#queue.length + (this.#held === null ? 0 : 1);
  }

  /** A datagram of `bytes` bytes arrived at `now`. */
  arrive(datagram: T, bytes: number, now: number): void {
    const plan = this.#plan;
    if (plan.loss > 0 && this.#random() < plan.loss) {
      this.lost++;
      return;
    }
    const copies = plan.duplicate > 0 && this.#random() < plan.duplicate ? 2 : 1;
    this.duplicated += copies - 1;
    const held = this.#held;
    if (held === null && plan.reorder > 0 && this.#random() < plan.reorder) {
      // Its copy waits with it: sent ahead, it would make the held one a duplicate, not late.
      this.#held = { datagram, bytes, since: now, copies };
      return;
    }
    for (let i = 0; i < copies; i++) this.#pass(datagram, bytes, now);
    if (held !== null) {
      // Behind the one that came after it: that is the reordering.
      this.#held = null;
      this.reordered++;
      for (let i = 0; i < held.copies; i++) this.#pass(held.datagram, held.bytes, now);
    }
  }

  /** The datagrams due by `now`, in the order they leave. */
  release(now: number): readonly T[] {
    const held = this.#held;
    if (held !== null && held.since + REORDER_WAIT_MS <= now) {
      // Nothing came after it: it goes on in its place, not reordered.
      this.#held = null;
      for (let i = 0; i < held.copies; i++) this.#pass(held.datagram, held.bytes, now);
    }
    const queue = this.#queue;
    let n = 0;
    while (n < queue.length && queue[n].at <= now) n++;
    // Stryker disable next-line ConditionalExpression: splicing none gives none, only with an allocation more
    return n === 0 ? NOTHING : queue.splice(0, n).map((h) => h.datagram);
  }

  // Schedules one copy: the delay, the jitter, then the bandwidth's turn.
  #pass(datagram: T, bytes: number, now: number): void {
    const plan = this.#plan;
    let at = now + plan.delay;
    if (plan.jitter > 0) at += (this.#random() * 2 - 1) * plan.jitter;
    if (plan.bandwidth !== Infinity) {
      at = Math.max(at, this.#free);
      this.#free = at + (bytes * 1000) / plan.bandwidth;
    }
    const queue = this.#queue;
    let i = queue.length;
    while (i > 0 && queue[i - 1].at > at) i--;
    queue.splice(i, 0, { at, datagram });
  }
}
