/** Helpers shared by the in-process tests: a capturing log, a server run, a queue drained. */
import assert from "node:assert/strict";
import type { ByteQueue } from "../lib/byte_queue.ts";
import { UsageError } from "../lib/command_line.ts";
import { Log, type LogFormat, type Verbosity } from "../lib/log.ts";
import type { Server } from "../server/server.ts";

/** A Log that keeps its lines in memory, for assertions. */
export function captureLog(
  verbosity: Verbosity = "normal",
  format: LogFormat = "text",
): { log: Log; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const log = new Log(verbosity, format, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { log, out, err };
}

/**
 * Runs `server` until `done()`, then stops it for good (drain, then close
 * what is left). Meanwhile `during` drives the peers, if given. Past
 * `timeoutMs` it stops the server all the same and fails, naming `what` it
 * was waiting for.
 */
export async function serveUntil(
  server: Server,
  done: () => boolean,
  what = "the peers to finish",
  during: () => Promise<void> = () => Promise.resolve(),
  timeoutMs = 10_000,
): Promise<void> {
  const running = server.run();
  let reached = false;
  try {
    await during();
    reached = await waitUntil(done, timeoutMs);
  } finally {
    server.stop(); // drain...
    server.stop(); // ...and close whatever is left now: a peer that never reads would not finish
    await running;
  }
  if (!reached) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
}

/** Polls `done()` every millisecond; false if it still fails after `timeoutMs`. */
export async function waitUntil(done: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}

/** Like {@linkcode waitUntil}, but throws naming `what` when the time is up. */
export async function expectSoon(
  done: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (!await waitUntil(done, timeoutMs)) {
    throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** Everything queued, as one array; the queue ends empty. */
export function drain(q: ByteQueue): Uint8Array {
  const out = new Uint8Array(q.length);
  for (let at = 0; q.length > 0;) {
    const v = q.peek();
    out.set(v, at);
    at += v.length;
    q.consume(v.length);
  }
  return out;
}

/**
 * The message of the usage error that `run` (one parse of `command`'s
 * command line) throws; fails when it throws anything else, or nothing.
 */
export function usageMessage(command: string, run: () => unknown): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.command, command);
    return e.message;
  }
  throw new Error(`no usage error from ${command}`);
}

/** Runs `run` with `console.log` and `console.error` kept in memory, one entry per call. */
export async function captureConsole<T>(
  run: () => Promise<T>,
): Promise<{ result: T; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => err.push(parts.join(" "));
  try {
    return { result: await run(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
