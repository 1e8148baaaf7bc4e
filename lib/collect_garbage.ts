/**
 * A full garbage collection on demand. V8 collects its old generation only
 * when it grows, so after a burst (10,000 connections accepted, a flood of
 * bulk reads) the garbage that outlived the young generation stays in the
 * heap, and in RSS, for as long as the program allocates little: with 10,000
 * idle connections that was a third of the server's memory per connection.
 *
 * Deno has no `gc()` unless started with `--v8-flags=--expose-gc`; setting
 * that flag at run time (`node:v8`) makes V8 give the function to each new
 * context (`node:vm`), the way Node programs do it. Where the runtime refuses,
 * this does nothing and says so.
 *
 * @example
 * ```ts
 * import { collectGarbage } from "./collect_garbage.ts";
 * let big: Uint8Array | null = new Uint8Array(64 << 20).fill(1);
 * big = null;
 * console.log(collectGarbage()); // true: the 64 MiB are freed now
 * ```
 *
 * @module
 */
import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | null | undefined;

/** Runs a full garbage collection now; false where the runtime offers none. */
export function collectGarbage(): boolean {
  // Stryker disable next-line ConditionalExpression: exposing it again gives the same function
  if (gc === undefined) gc = exposeGc();
  // Stryker disable next-line ConditionalExpression,BooleanLiteral: only a runtime that refuses gets here; Deno 2.9 never does
  if (gc === null) return false;
  gc();
  return true;
}

function exposeGc(): (() => void) | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const fn = vm.runInNewContext("gc");
    // Stryker disable next-line ConditionalExpression: only a runtime that refuses gets null; Deno 2.9 never does
    return typeof fn === "function" ? fn : null;
  } catch {
    // A runtime that refuses the flag or the context: no collection on demand.
  }
  return null;
}
