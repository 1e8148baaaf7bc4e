/**
 * Timeouts long enough to mean "forever": a wait past what `setTimeout`
 * holds (2^31-1 ms) must idle quietly, not fire at once and spin.
 */
import assert from "node:assert/strict";
import { ServerProcess } from "./sockdemo_process.ts";

Deno.test("serve --idle-timeout 3000000 --drain-timeout 3000000: one idle client, no warning, no spin", async () => {
  const server = await ServerProcess.start([
    "--idle-timeout",
    "3000000",
    "--drain-timeout",
    "3000000",
  ]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await server.waitFor(/#1 accepted/, 10_000, "the accept line");
    // An idle second: the bug wrote about 900 TimeoutOverflowWarning lines in it.
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    conn.close();
  }
  await server.waitFor(/#1 closed/, 10_000, "the close line");
  const out = await server.stop("SIGINT");
  assert.equal(out.code, 0);
  assert.doesNotMatch(out.stderr, /TimeoutOverflowWarning/);
  assert.equal(out.stderr, "");
});
