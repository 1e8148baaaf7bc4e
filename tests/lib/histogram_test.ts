import assert from "node:assert/strict";
import { Histogram } from "../../lib/histogram.ts";
import { random } from "../fake_stream.ts";

Deno.test("histogram: percentiles are within 0.1% of the exact ones", () => {
  const rand = random(1);
  const h = new Histogram();
  const values: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const v = Math.round(Math.exp(rand() * 16)); // 1 us .. 9 s, spread over decades
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [1, 50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1];
    const got = h.percentile(p);
    assert.ok(Math.abs(got - exact) <= exact * 0.001 + 1, `p${p}: ${got} vs ${exact}`);
  }
  assert.ok(Math.abs(h.max - values.at(-1)!) <= values.at(-1)! * 0.001);
  assert.equal(h.count, 20000);
});

Deno.test("histogram: the empty histogram reads 0; out-of-range values are clamped, not thrown", () => {
  const h = new Histogram();
  assert.equal(h.percentile(99), 0);
  assert.equal(h.max, 0);
  h.record(-5);
  h.record(1e13);
  assert.equal(h.count, 2);
  const [low, high] = h.values();
  assert.deepEqual(low, [1, 1], "a negative is clamped to 1 us");
  assert.ok(high[0] >= 3_599_000_000 && high[1] === 1, "a huge one to an hour");
});

Deno.test("histogram: values() lists each distinct value once with its count", () => {
  const h = new Histogram();
  h.record(10);
  h.record(1_000_000);
  h.record(10);
  assert.equal(h.count, 3);
  assert.deepEqual(h.values().map(([v, c]) => [v >= 999_000 ? "big" : v, c]), [[10, 2], [
    "big",
    1,
  ]]);
});
