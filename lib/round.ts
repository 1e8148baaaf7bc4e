/**
 * `x` rounded to `digits` decimal places, for figures a report prints.
 *
 * @example
 * ```ts
 * import { round } from "./round.ts";
 * console.log(round(2 / 3, 3)); // 0.667
 * ```
 */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
