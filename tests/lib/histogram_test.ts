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
  assert.equal(h.min, 1);
});

Deno.test("histogram: merge adds counts; values() lists every count once", () => {
  const a = new Histogram(), b = new Histogram();
  a.record(10);
  b.record(1_000_000);
  b.record(10);
  a.merge(b);
  assert.equal(a.count, 3);
  assert.deepEqual(a.values().map(([v, c]) => [v >= 999_000 ? "big" : v, c]), [[10, 2], [
    "big",
    1,
  ]]);
  a.reset();
  assert.equal(a.count, 0);
});
