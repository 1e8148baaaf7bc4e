/**
 * The length of the union of time windows `[from, to]`: windows that overlap
 * count their shared time once, and a gap between them counts for nothing.
 *
 * @example
 * ```ts
 * import { unionLength } from "./union_length.ts";
 * console.log(unionLength([[0, 10], [5, 15], [20, 25]])); // 20
 * ```
 */
export function unionLength(windows: readonly (readonly [number, number])[]): number {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  let total = 0, end = -Infinity;
  for (const [from, to] of sorted) {
    // Only the part of this window past everything counted so far is new.
    total += Math.max(0, to - Math.max(from, end));
    end = Math.max(end, to);
  }
  return total;
}
