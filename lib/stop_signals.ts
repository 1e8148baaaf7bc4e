/**
 * A run that a signal ends: while it runs, each of `signals` aborts the
 * signal it was given instead of killing the process, so what the run
 * measured so far is still reported (as iperf3 and wrk do on Ctrl-C).
 *
 * @module
 */

/**
 * Runs `run` with an AbortSignal that any of `signals` aborts; the default
 * action of each is back once it settles.
 *
 * @example
 * ```ts
 * import { whileSignalled } from "./stop_signals.ts";
 * await whileSignalled(["SIGINT"], async (stop) => {
 *   while (!stop.aborted) await new Promise((r) => setTimeout(r, 100));
 * });
 * ```
 */
export async function whileSignalled<T>(
  signals: readonly Deno.Signal[],
  run: (stop: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    return await run(stop.signal);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}
