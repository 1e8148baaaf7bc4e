import assert from "node:assert/strict";
import { Histogram } from "../../lib/histogram.ts";
import { random } from "../fake_stream.ts";

Deno.test("histogram: percentiles are within 1.6% of the exact ones", () => {
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
    assert.ok(got >= exact && got <= exact * 1.016 + 1, `p${p}: ${got} vs ${exact}`);
  }
  assert.equal(h.max, values.at(-1));
  assert.equal(h.min, values[0]);
  assert.equal(h.count, 20000);
});

Deno.test("histogram: small values are exact and the empty histogram reads 0", () => {
  const h = new Histogram();
  assert.equal(h.percentile(99), 0);
  for (const v of [5, 6, 7, 100]) h.record(v);
  assert.equal(h.percentile(50), 6);
  assert.equal(h.percentile(100), 100);
  assert.equal(h.mean, 29.5);
});

Deno.test("histogram: merge adds counts; buckets cover every value", () => {
  const a = new Histogram(), b = new Histogram();
  a.record(10);
  b.record(1_000_000);
  b.record(-3); // counts as 0
  a.merge(b);
  assert.equal(a.count, 3);
  assert.equal(a.max, 1_000_000);
  const buckets = a.buckets();
  assert.equal(buckets.reduce((n, [, , c]) => n + c, 0), 3);
  const top = buckets.at(-1)!;
  assert.ok(top[0] <= 1_000_000 && 1_000_000 <= top[1]);
});
