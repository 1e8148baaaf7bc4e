import assert from "node:assert/strict";
import { collectGarbage } from "../../lib/collect_garbage.ts";

Deno.test("collect garbage: a 64 MiB buffer nobody holds is freed at once", () => {
  let big: Uint8Array | null = new Uint8Array(64 << 20).fill(7);
  const held = Deno.memoryUsage().external;
  assert.equal(big[12345], 7);
  big = null;
  assert.equal(collectGarbage(), true);
  const after = Deno.memoryUsage().external;
  assert.ok(held - after >= 60 << 20, `external memory went from ${held} to ${after} bytes`);
  assert.equal("gc" in globalThis, false, "no gc() for everyone");
});
