import { DelayLine } from "../lib/delay_line.ts";
import type { Key } from "../lib/loop.ts";
import { DEFAULT_MARKS } from "../lib/marks.ts";

/** The faults one direction of a relay injects; each is off by default. */
export interface Faults {
  /** Milliseconds every chunk is held back (0: none). */
  readonly delay: number;
  /** Up to this many milliseconds more or less, at random per chunk; order is kept (0: none). */
  readonly jitter: number;
  /** Bytes per second the direction carries at most (`Infinity`: no limit). */
  readonly bandwidth: number;
  /** Once this many bytes passed, reset both legs (`Infinity`: never). */
  readonly resetAfter: number;
  /** Once this many bytes passed, pass nothing more, keeping the connection open (`Infinity`: never). */
  readonly stallAfter: number;
}

/** No faults: bytes pass as they come. */
export const NO_FAULTS: Faults = {
  delay: 0,
  jitter: 0,
  bandwidth: Infinity,
  resetAfter: Infinity,
  stallAfter: Infinity,
};

/** What one direction of a relay is doing. */
export type FlowState =
  /** Reading its source and passing the bytes on (through its faults). */
  | "open"
  /** The source sent FIN: delivering what is held, then passing the FIN on. */
  | "ended"
  /** The FIN was passed on: nothing more goes this way. */
  | "finished"
  /** `--stall-after` fired: reading and dropping, passing nothing on, not even a FIN. */
  | "stalled"
  /** Stalled, and then the source ended: nothing more comes this way, and its FIN is kept back. */
  | "swallowed"
  /** `--reset-after` fired: delivering the last bytes allowed, then the relay resets. */
  | "cut";

/** A fault that took effect, for the closing line. */
export type Fired = "delay" | "bandwidth" | "stall-after" | "reset-after";

/** Past this many bytes owed to a destination (held or queued), its source is not read. */
const HIGH_WATER = DEFAULT_MARKS.highWater;

/**
 * One direction of a relay (`up`: client to target, `down`: back), from the
 * key it reads to the key it writes: the bytes pass straight into the
 * destination's output (a large read without a copy) or, with a delay or a
 * bandwidth, through a {@linkcode DelayLine} that lets them out on time.
 *
 * @example
 * ```ts
 * import { NO_FAULTS, RelayFlow } from "./relay_flow.ts";
 * const up = new RelayFlow("up", { ...NO_FAULTS, delay: 50 }, Math.random);
 * console.log(up.state); // "open"
 * ```
 */
export class RelayFlow {
  /** Where this direction is. */
  state: FlowState = "open";
  /** Bytes taken from the source and passed on or held. */
  passed = 0;
  /** Bytes read and dropped (stalled, or past a reset). */
  dropped = 0;
  /** The faults that took effect, in the order they first did. */
  readonly fired: Fired[] = [];
  readonly #line: DelayLine | null;
  readonly #random: () => number;

  /** Direction `name` with `faults`; `random` draws the jitter. */
  constructor(readonly name: "up" | "down", readonly faults: Faults, random: () => number) {
    this.#random = random;
    const timed = faults.delay > 0 || faults.jitter > 0 || faults.bandwidth !== Infinity;
    this.#line = timed ? new DelayLine(faults.bandwidth) : null;
  }

  /** True when its faults hold bytes back for a time (a delay, a jitter or a bandwidth). */
  get timed(): boolean {
    return this.#line !== null;
  }

  /** Bytes held back by the delay or the bandwidth, not yet queued to the destination. */
  get held(): number {
    return this.#line === null ? 0 : this.#line.length;
  }

  /** Memory the held bytes take. */
  get heldCapacity(): number {
    return this.#line === null ? 0 : this.#line.capacity;
  }

  /** When held bytes next come due (ms); `Infinity` when none are held. */
  get nextAt(): number {
    return this.#line === null ? Infinity : this.#line.nextAt;
  }

  /** Whether the source should be read: open with room at the destination, or stalled (dropping). */
  wantsRead(dest: Key<unknown>): boolean {
    if (this.state === "stalled") return true;
    // Stryker disable next-line EqualityOperator: exactly 1 MiB owed cannot be told from a byte less
    return this.state === "open" && this.held + dest.output.length < HIGH_WATER;
  }

  /** True once nothing more will come this way: the FIN passed on, or swallowed by a stall. */
  get over(): boolean {
    return this.state === "finished" || this.state === "swallowed";
  }

  /** True once nothing is held or queued for the destination. */
  delivered(dest: Key<unknown>): boolean {
    return this.held === 0 && dest.output.length === 0;
  }

  /** The `n` bytes just read from `source` at `now` (ms): passed on, held, or dropped. */
  onRead(source: Key<unknown>, dest: Key<unknown>, n: number, now: number): void {
    // A read in flight when the flow was cut or stalled still arrives: its limit
    // was reached, so nothing of it passes (reads end with the source's FIN).
    const faults = this.faults;
    let m = n;
    const limit = Math.min(faults.resetAfter, faults.stallAfter);
    if (this.passed + n >= limit) {
      m = limit - this.passed;
      this.dropped += n - m;
      this.state = faults.resetAfter <= faults.stallAfter ? "cut" : "stalled";
      this.#fire(this.state === "cut" ? "reset-after" : "stall-after");
    }
    // Stryker disable next-line ConditionalExpression: forwarding and stamping no bytes changes nothing
    if (m === 0) return;
    this.passed += m;
    const line = this.#line;
    if (line === null) {
      source.forwardInput(m, dest.output);
      return;
    }
    source.forwardInput(m, line.queue);
    let at = now;
    if (faults.delay > 0 || faults.jitter > 0) {
      this.#fire("delay");
      const jitter = faults.jitter === 0 ? 0 : (this.#random() * 2 - 1) * faults.jitter;
      at += Math.max(0, faults.delay + jitter);
    }
    // A jittered stamp earlier than the one before waits behind it: the line lets bytes out in order.
    line.hold(at);
    if (faults.bandwidth !== Infinity) this.#fire("bandwidth");
    this.release(now, dest);
  }

  /** The source sent FIN: once what is held is delivered, the destination gets it too. */
  onEof(dest: Key<unknown>): void {
    // Stalled or cut: nothing more passes, not even the end.
    if (this.state === "stalled") this.state = "swallowed";
    if (this.state !== "open") return;
    this.state = "ended";
    this.#finishIfDone(dest);
  }

  /** Queues to the destination whatever held bytes are due at `now` (ms). */
  release(now: number, dest: Key<unknown>): void {
    this.#line?.release(now, dest.output);
    this.#finishIfDone(dest);
  }

  /** Drops what is held (the connection is closing). */
  clear(): void {
    this.#line?.clear();
  }

  #finishIfDone(dest: Key<unknown>): void {
    if (this.state !== "ended" || this.held > 0) return;
    this.state = "finished";
    dest.endOutput();
  }

  #fire(fault: Fired): void {
    if (!this.fired.includes(fault)) this.fired.push(fault);
  }
}
