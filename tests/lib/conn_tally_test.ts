import assert from "node:assert/strict";
import { ConnTally } from "../../lib/conn_tally.ts";

Deno.test("conn tally: numbers run 1, 2, 3 across everyone sharing the buffer", () => {
  const shared = new SharedArrayBuffer(ConnTally.BYTES);
  const a = new ConnTally(shared), b = new ConnTally(shared);
  assert.deepEqual([a.nextNumber(), b.nextNumber(), a.nextNumber()], [1, 2, 3]);
});

Deno.test("conn tally: one limit for all sharers; a refusal leaves the count as it was", () => {
  const shared = new SharedArrayBuffer(ConnTally.BYTES);
  const a = new ConnTally(shared), b = new ConnTally(shared);
  assert.equal(a.tryOpen(2), true);
  assert.equal(b.tryOpen(2), true);
  assert.equal(a.tryOpen(2), false);
  assert.equal(b.open, 2);
  a.closed();
  assert.equal(b.open, 1);
  assert.equal(b.tryOpen(2), true);
  assert.equal(a.open, 2);
});

Deno.test("conn tally: without a limit every connection opens; a tally of its own starts at 0", () => {
  const t = new ConnTally();
  for (let i = 0; i < 5; i++) assert.equal(t.tryOpen(Infinity), true);
  assert.equal(t.open, 5);
  assert.equal(t.nextNumber(), 1);
});
