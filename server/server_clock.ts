/**
 * The server's one clock: a timer heap for everything time-bound (each
 * connection's tick and busy time, and the server's own timers for the idle
 * and linger deadlines, the drain and tidying, kept here).
 *
 * @module
 */
import { TimerHeap } from "../lib/timer_heap.ts";
import type { Due } from "./connection.ts";

/**
 * A timer heap with the server's own timers, each made once.
 *
 * @example
 * ```ts
 * import { ServerClock } from "./server_clock.ts";
 * const clock = new ServerClock();
 * clock.arm(5000, Infinity, Infinity);
 * console.log(clock.timers.nextAt); // 5000
 * ```
 */
export class ServerClock {
  /** Every timer of the server, earliest first. */
  readonly timers = new TimerHeap<Due>();
  /** The oldest idle connection may have been idle too long. */
  readonly idle: Due = { kind: "idle", at: Infinity, slot: -1 };
  /** The oldest refused connection may have lingered long enough. */
  readonly linger: Due = { kind: "linger", at: Infinity, slot: -1 };
  /** The drain's time is up. */
  readonly drain: Due = { kind: "drain", at: Infinity, slot: -1 };
  /** The loop may have been quiet long enough to tidy the heap. */
  readonly tidy: Due = { kind: "tidy", at: Infinity, slot: -1 };

  /** Moves the idle, linger and tidy timers to the deadlines the server's parts now give. */
  arm(idle: number, linger: number, tidy: number): void {
    const timers = this.timers;
    timers.schedule(this.idle, idle);
    timers.schedule(this.linger, linger);
    timers.schedule(this.tidy, tidy);
  }
}
