/** `relay --udp`'s per-datagram faults, with a scripted random source. */
import assert from "node:assert/strict";
import {
  faultless,
  NO_UDP_FAULTS,
  REORDER_WAIT_MS,
  type UdpFaultPlan,
  UdpFaults,
} from "../../relay/udp_faults.ts";

// Draws the given values in turn (then 0.99: no fault).
function draws(...values: number[]): () => number {
  return () => values.shift() ?? 0.99;
}

Deno.test("udp faults: none: each datagram leaves at once, in order", () => {
  const f = new UdpFaults<string>(NO_UDP_FAULTS, draws());
  f.arrive("a", 10, 0);
  f.arrive("b", 10, 0);
  assert.equal(f.nextAt, 0);
  assert.deepEqual(f.release(0), ["a", "b"]);
  assert.deepEqual(f.release(1), []);
  assert.equal(f.nextAt, Infinity);
  assert.equal(f.waiting, 0);
});

Deno.test("udp faults: loss drops, duplicate sends twice, reorder holds one until the next has passed", () => {
  const plan = { ...NO_UDP_FAULTS, loss: 0.5, duplicate: 0.5, reorder: 0.5 };
  // a: lost (0.1). b: kept, duplicated (0.2), held (0.3). c: kept, single, passes, then b twice.
  const f = new UdpFaults<string>(plan, draws(0.1, 0.9, 0.2, 0.3, 0.9, 0.9));
  f.arrive("a", 1, 0);
  f.arrive("b", 1, 0);
  assert.equal(f.waiting, 1);
  f.arrive("c", 1, 0);
  assert.deepEqual(f.release(0), ["c", "b", "b"]);
  assert.deepEqual([f.lost, f.duplicated, f.reordered], [1, 1, 1]);
});

Deno.test("udp faults: a held datagram nothing follows goes on after the wait, not counted as reordered", () => {
  const f = new UdpFaults<string>({ ...NO_UDP_FAULTS, reorder: 1 }, draws(0));
  f.arrive("x", 1, 100);
  assert.equal(f.nextAt, 100 + REORDER_WAIT_MS);
  assert.deepEqual(f.release(100 + REORDER_WAIT_MS - 1), []);
  assert.deepEqual(f.release(100 + REORDER_WAIT_MS), ["x"]);
  assert.equal(f.reordered, 0);
});

Deno.test("udp faults: delay and jitter set when each is due (jitter may reorder); bandwidth spaces them", () => {
  const f = new UdpFaults<string>({ ...NO_UDP_FAULTS, delay: 50, jitter: 10 }, draws(1, 0));
  f.arrive("late", 1, 0); // 50 + 10
  f.arrive("early", 1, 1); // 51 - 10
  assert.equal(f.nextAt, 41);
  assert.deepEqual(f.release(41), ["early"]);
  assert.deepEqual(f.release(59), []);
  assert.deepEqual(f.release(60), ["late"]);
  const b = new UdpFaults<string>({ ...NO_UDP_FAULTS, bandwidth: 1000 }, draws());
  b.arrive("one", 100, 0); // leaves at 0, the line busy for 100 ms
  b.arrive("two", 100, 0); // at 100
  b.arrive("three", 100, 250); // the line free since 200: at once
  assert.deepEqual(b.release(99), ["one"]);
  assert.deepEqual(b.release(100), ["two"]);
  assert.deepEqual(b.release(250), ["three"]);
});

Deno.test("udp faults: a draw equal to the rate is no fault (rates are shares: 0.5 faults draws below 0.5)", () => {
  const loss = new UdpFaults<string>({ ...NO_UDP_FAULTS, loss: 0.5 }, draws(0.5, 0.4999));
  loss.arrive("kept", 1, 0);
  loss.arrive("lost", 1, 0);
  assert.deepEqual([loss.release(0), loss.lost], [["kept"], 1]);
  const dup = new UdpFaults<string>({ ...NO_UDP_FAULTS, duplicate: 0.5 }, draws(0.5));
  dup.arrive("once", 1, 0);
  assert.deepEqual([dup.release(0), dup.duplicated], [["once"], 0]);
  const late = new UdpFaults<string>({ ...NO_UDP_FAULTS, reorder: 0.5 }, draws(0.5));
  late.arrive("now", 1, 0);
  assert.deepEqual([late.release(0), late.waiting], [["now"], 0]);
});

Deno.test("udp faults: one held at a time: the next passes first, even when drawn to be held too", () => {
  const f = new UdpFaults<string>({ ...NO_UDP_FAULTS, reorder: 1 }, draws(0, 0, 0));
  f.arrive("a", 1, 0);
  f.arrive("b", 1, 0);
  assert.deepEqual([f.release(0), f.reordered], [["b", "a"], 1]);
});

Deno.test("udp faults: no jitter draws nothing, so the faults after it draw as they would", () => {
  const f = new UdpFaults<string>({ ...NO_UDP_FAULTS, loss: 0.5 }, draws(0.9, 0.1));
  f.arrive("kept", 1, 0);
  f.arrive("lost", 1, 0);
  assert.deepEqual([f.release(0), f.lost], [["kept"], 1]);
});

Deno.test("udp faults: a plan is faultless only when every fault is off", () => {
  assert.equal(faultless(NO_UDP_FAULTS), true);
  const each: Partial<UdpFaultPlan>[] = [
    { loss: 0.1 },
    { duplicate: 0.1 },
    { reorder: 0.1 },
    { delay: 1 },
    { jitter: 1 },
    { bandwidth: 1000 },
  ];
  for (const fault of each) {
    assert.equal(faultless({ ...NO_UDP_FAULTS, ...fault }), false, JSON.stringify(fault));
  }
});
