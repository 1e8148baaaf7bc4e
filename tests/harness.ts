/** Helpers shared by the in-process tests: a capturing log, a server run, a queue drained. */
import type { ByteQueue } from "../lib/byte_queue.ts";
import { Log, type Verbosity } from "../lib/log.ts";
import type { Server } from "../server/serve.ts";

/** A Log that keeps its lines in memory, for assertions. */
export function captureLog(
  verbosity: Verbosity = "normal",
): { log: Log; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const log = new Log(verbosity, "text", { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { log, out, err };
}

/** Runs `server` until `done()`, then stops it for good (drain, then close what is left). */
export async function serveUntil(server: Server, done: () => boolean): Promise<void> {
  const running = server.run();
  while (!done()) await new Promise((r) => setTimeout(r, 1));
  server.stop(); // drain...
  server.stop(); // ...and close whatever is left now: a peer that never reads would not finish
  await running;
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
