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
  // No listener is left: a run that ends unsignalled leaves nothing behind (the test's sanitizer checks).
  assert.equal(await whileSignalled(["SIGUSR2"], (stop) => Promise.resolve(stop.aborted)), false);
  await assert.rejects(
    whileSignalled(["SIGUSR2"], () => Promise.reject(new Error("failed"))),
    /failed/,
  );
});
