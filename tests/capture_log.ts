import { Log, type Verbosity } from "../lib/log.ts";

/** A Log that keeps its lines in memory, for assertions. */
export function captureLog(
  verbosity: Verbosity = "normal",
): { log: Log; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  const log = new Log(verbosity, "text", { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { log, out, err };
}
