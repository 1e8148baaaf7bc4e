import { DelayLine } from "../lib/delay_line.ts";
import type { Key } from "../lib/loop.ts";
import { DEFAULT_MARKS } from "../lib/marks.ts";
import { sliceSizes, type ToxicLink } from "./toxic_link.ts";

/** The faults of the command line for one direction; each is off by default. */
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
  /** Reading its source and passing the bytes on (through its toxics). */
  | "open"
  /** The source sent FIN: delivering what is held, then passing the FIN on. */
  | "ended"
  /** The FIN was passed on: nothing more goes this way. */
  | "finished"
  /** A stall or a timeout: reading and dropping, passing nothing on, not even a FIN. */
  | "stalled"
  /** Stalled, and then the source ended: nothing more comes this way, and its FIN is kept back. */
  | "swallowed"
  /** A reset-after fired: delivering the last bytes allowed, then the relay resets. */
  | "cut"
  /** A limit_data fired: delivering the last bytes allowed, then the relay closes. */
  | "limited";

/** A toxic that took effect, as the closing line names it (the command line's own by their flags). */
export type Fired =
  | "delay"
  | "bandwidth"
  | "stall-after"
  | "reset-after"
  | "slicer"
  | "timeout"
  | "limit_data"
  | "slow_close"
  | "reset_peer";

/** Past this many bytes owed to a destination (queued, or held for a rate), its source is not read. */
const HIGH_WATER = DEFAULT_MARKS.highWater;
/** Past this many bytes held for a latency alone (in flight, as on a long wire), its source is not read. */
const IN_FLIGHT = 64 << 20;

/**
 * One direction of a relay (`up`: client to target, `down`: back), from the
 * key it reads to the key it writes, through its {@linkcode ToxicLink}: the
 * bytes pass straight into the destination's output (a large read without
 * a copy) or, while anything holds them for a time, through a
 * {@linkcode DelayLine} that lets them out on time and in order, even as
 * toxics come and go.
 *
 * @example
 * ```ts
 * import { RelayFlow } from "./relay_flow.ts";
 * import { ToxicLink } from "./toxic_link.ts";
 * const up = new RelayFlow("up", new ToxicLink("upstream", Math.random));
 * console.log(up.state); // "open"
 * ```
 */
export class RelayFlow {
  /** Where this direction is. */
  state: FlowState = "open";
  /** Bytes taken from the source and passed on or held. */
  passed = 0;
  /** Bytes read and dropped (stalled, timed out, or past a limit). */
  dropped = 0;
  /** The toxics that took effect, in the order they first did. */
  readonly fired: Fired[] = [];
  #line: DelayLine | null = null;
  // Slices wait for the one before to be written, so each goes out in a write of its own.
  #blocked = false;
  // When the last slice may leave.
  #lastSlice = -Infinity;
  // When the FIN may pass (slow_close), once the source ended.
  #finAt = -Infinity;

  /** Direction `name`, faulted by `link`. */
  constructor(readonly name: "up" | "down", readonly link: ToxicLink) {}

  /** True when its toxics hold bytes back for a time (a latency, a rate, slices). */
  get timed(): boolean {
    return this.link.timed;
  }

  /** Bytes held back, not yet queued to the destination. */
  get held(): number {
    return this.#line === null ? 0 : this.#line.length;
  }

  /** Memory the held bytes take. */
  get heldCapacity(): number {
    return this.#line === null ? 0 : this.#line.capacity;
  }

  /** When held bytes (or a slowed FIN) next come due (ms); `Infinity` when nothing does. */
  get nextAt(): number {
    const line = this.#line;
    const bytes = line === null || this.#blocked ? Infinity : line.nextAt;
    return this.state === "ended" && this.held === 0 ? Math.min(bytes, this.#finAt) : bytes;
  }

  /** Whether the source should be read: open with room ahead, or stalled (dropping). */
  wantsRead(dest: Key<unknown>): boolean {
    if (this.state === "stalled") return true;
    if (this.state !== "open") return false;
    // Bytes held for a rate are owed like queued ones; those held for a latency are in flight.
    const owed = dest.output.length + (this.link.rate === Infinity ? 0 : this.held);
    // Stryker disable next-line EqualityOperator: exactly 1 MiB owed cannot be told from a byte less
    return owed < HIGH_WATER && this.held < IN_FLIGHT;
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
    const link = this.link;
    // A read in flight when the flow stalled, was cut or limited still arrives: none of it passes.
    if (this.state !== "open") {
      this.dropped += n;
      return;
    }
    if (link.dropping) {
      this.state = "stalled";
      this.#fire("timeout");
      this.dropped += n;
      return;
    }
    let m = n;
    if (link.limited) {
      const limit = link.limit();
      if (n >= limit.bytes) {
        m = limit.bytes;
        this.dropped += n - m;
        const action = limit.action;
        this.state = action === "reset" ? "cut" : action === "stall" ? "stalled" : "limited";
        this.#fire(
          action === "reset" ? "reset-after" : action === "stall" ? "stall-after" : "limit_data",
        );
      }
      link.count(m);
    }
    // Stryker disable next-line ConditionalExpression: forwarding and stamping no bytes changes nothing
    if (m === 0) return;
    this.passed += m;
    let line = this.#line;
    if (line === null && !link.timed) {
      source.forwardInput(m, dest.output);
      return;
    }
    line ??= this.#line = new DelayLine(link.rate);
    source.forwardInput(m, line.queue);
    if (link.latency > 0 || link.jitter > 0) this.#fire("delay");
    if (link.rate !== Infinity) this.#fire("bandwidth");
    // A stamp earlier than the one before waits behind it: the line lets bytes out in order.
    const at = now + link.delay(), slicing = link.slicing;
    if (slicing === null) {
      line.hold(at);
    } else {
      this.#fire("slicer");
      line.separate = true;
      // Each slice leaves its delay after the one before, as Toxiproxy's do, one chunk after another.
      let t = at;
      for (const size of sliceSizes(m, slicing, link.random)) {
        t = Math.max(t, this.#lastSlice + slicing.delayMs);
        line.hold(t, size);
        this.#lastSlice = t;
      }
    }
    this.release(now, dest);
  }

  /** The source sent FIN at `now`: once what is held is delivered (and any slow_close is up), the destination gets it too. */
  onEof(dest: Key<unknown>, now = 0): void {
    // Stalled or cut: nothing more passes, not even the end.
    if (this.state === "stalled") this.state = "swallowed";
    if (this.state !== "open") return;
    this.state = "ended";
    if (this.link.slowClose > 0) this.#fire("slow_close");
    this.#finAt = now + this.link.slowClose;
    this.#finishIfDone(dest, now);
  }

  /** Queues to the destination whatever held bytes are due at `now` (ms); also after each write of it. */
  release(now: number, dest: Key<unknown>): void {
    const line = this.#line;
    if (line !== null) {
      this.#blocked = line.release(now, dest.output) === 0 && line.separate &&
        dest.output.length > 0;
    }
    this.#finishIfDone(dest, now);
  }

  /** The toxics changed (the link took them up): rates, and a timeout that now drops. */
  retune(): void {
    this.#line?.setRate(this.link.rate);
    if (this.#line !== null && this.link.slicing === null) this.#line.separate = false;
    if (this.state === "open" && this.link.dropping) {
      this.state = "stalled";
      this.#fire("timeout");
    }
  }

  /** True when slices wait for writes of `dest` to go out. */
  get slicing(): boolean {
    return this.#line !== null && this.#line.separate;
  }

  /** Drops what is held (the connection is closing). */
  clear(): void {
    this.#line?.clear();
  }

  #finishIfDone(dest: Key<unknown>, now: number): void {
    if (this.state !== "ended" || this.held > 0 || now < this.#finAt) return;
    this.state = "finished";
    dest.endOutput();
  }

  #fire(fault: Fired): void {
    if (!this.fired.includes(fault)) this.fired.push(fault);
  }
}
