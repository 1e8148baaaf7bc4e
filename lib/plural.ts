/**
 * `n` and `noun`, with an `s` unless `n` is 1: "1 error", "0 errors".
 *
 * @example
 * ```ts
 * import { plural } from "./plural.ts";
 * console.log(plural(1, "message"), plural(2, "message")); // 1 message 2 messages
 * ```
 */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
