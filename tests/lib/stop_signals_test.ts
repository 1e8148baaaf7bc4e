/** A run that a signal ends: the signal aborts the run's own stop instead of killing the process. */
import assert from "node:assert/strict";
import { whileSignalled } from "../../lib/stop_signals.ts";

Deno.test("stop signals: SIGTERM or SIGUSR1 stops the run and not the process; the listeners go with the run", async () => {
  for (const signal of ["SIGTERM", "SIGUSR1"] as const) {
    const started = performance.now();
    const result = await whileSignalled(["SIGUSR1", "SIGTERM"], async (stop) => {
      setTimeout(() => Deno.kill(Deno.pid, signal), 50);
      while (!stop.aborted) await new Promise((r) => setTimeout(r, 5));
      return "stopped";
    });
    const took = performance.now() - started;
    assert.equal(result, "stopped", signal);
    assert.ok(took >= 50 && took < 2000, `${signal} stopped it after ${took.toFixed(0)} ms`);
  }
  // Once the run is over, its listener is gone: the signal no longer stops it.
  let finished: AbortSignal | null = null;
  await whileSignalled(["SIGUSR1"], (stop) => Promise.resolve(finished = stop));
  const keepAlive = () => {}; // the default action of SIGUSR1 would end the test
  Deno.addSignalListener("SIGUSR1", keepAlive);
  try {
    Deno.kill(Deno.pid, "SIGUSR1");
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    Deno.removeSignalListener("SIGUSR1", keepAlive);
  }
  assert.equal(finished!.aborted, false);
  assert.equal(await whileSignalled(["SIGUSR2"], (stop) => Promise.resolve(stop.aborted)), false);
  await assert.rejects(
    whileSignalled(["SIGUSR2"], () => Promise.reject(new Error("failed"))),
    /failed/,
  );
});
