/**
 * Which accept errors belong to one incoming connection (reset or gone
 * while it waited in the queue) rather than to the listener (out of file
 * descriptors): after the first the next accept may be fine at once.
 *
 * @module
 */

const ABORTED = [
  Deno.errors.NotConnected,
  Deno.errors.ConnectionAborted,
  Deno.errors.ConnectionReset,
];

/**
 * True when an accept's `error` was that one connection's, not the listener's.
 *
 * @example
 * ```ts
 * import { abortedAccept } from "./aborted_accept.ts";
 * console.log(abortedAccept(new Deno.errors.ConnectionReset("reset"))); // true
 * ```
 */
export function abortedAccept(error: unknown): boolean {
  return ABORTED.some((kind) => error instanceof kind);
}
