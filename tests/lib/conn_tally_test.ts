import assert from "node:assert/strict";
import { ConnTally } from "../../lib/conn_tally.ts";

Deno.test("conn tally: numbers run 1, 2, 3 across everyone sharing the buffer", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(2));
  const a = new ConnTally(shared, 0), b = new ConnTally(shared, 1);
  assert.deepEqual([a.nextNumber(), b.nextNumber(), a.nextNumber()], [1, 2, 3]);
});

Deno.test("conn tally: one limit for all sharers; a refusal leaves the count as it was", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(2));
  const a = new ConnTally(shared, 0), b = new ConnTally(shared, 1);
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

Deno.test("conn tally: forgetting a sharer takes exactly its open connections off the count", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(2));
  const a = new ConnTally(shared, 0), b = new ConnTally(shared, 1);
  a.tryOpen(10);
  b.tryOpen(10);
  b.tryOpen(10);
  b.tryOpen(10);
  b.closed();
  a.forget(1);
  assert.equal(a.open, 1);
  a.forget(1); // twice is harmless
  assert.equal(b.open, 1);
  assert.equal(a.tryOpen(2), true);
  assert.equal(a.tryOpen(2), false);
});

Deno.test("conn tally: its buffer is the one to hand to the other sharers", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(2));
  assert.equal(new ConnTally(shared, 1).buffer, shared);
});

Deno.test("conn tally: numbers go on past 2^31 and stay exact up to 2^53", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(1));
  // A soak test at 8,500 connections a second passes 2^31 in under three days.
  new BigInt64Array(shared)[0] = 2_147_483_647n;
  const tally = new ConnTally(shared, 0);
  assert.equal(tally.nextNumber(), 2_147_483_648);
  assert.equal(tally.nextNumber(), 2_147_483_649);
  new BigInt64Array(shared)[0] = 9_007_199_254_740_990n;
  assert.equal(tally.nextNumber(), 9_007_199_254_740_991);
});
