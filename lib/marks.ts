/**
 * Backpressure thresholds, in bytes owed to one peer: above the high mark a
 * connection stops reading from the other side, at or below the low one it
 * reads again. Every stream sockdemo moves bytes on (echo, app, relay,
 * pipe) keeps these, defined here once.
 *
 * @example
 * ```ts
 * import { DEFAULT_MARKS } from "./marks.ts";
 * console.log(DEFAULT_MARKS.highWater); // 1048576
 * ```
 *
 * @module
 */

/** Backpressure thresholds, in bytes owed to one peer. */
export interface Marks {
  /** Stop reading from the peer above this. */
  readonly highWater: number;
  /** Read again once the debt is at or below this. */
  readonly lowWater: number;
}

/** 1 MiB high, 512 KiB low: enough to keep a bulk sender streaming. */
export const DEFAULT_MARKS: Marks = { highWater: 1 << 20, lowWater: 1 << 19 };
