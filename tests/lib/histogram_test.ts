import assert from "node:assert/strict";
import fc from "fast-check";
import * as hdr from "hdr-histogram-js";
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

Deno.test("histogram: encoded and decoded, the same values come back", () => {
  const h = new Histogram();
  for (const us of [90, 110, 130, 5000]) h.record(us);
  const back = Histogram.decode(h.encode());
  assert.equal(back.count, 4);
  assert.deepEqual(back.values().map(([v, c]) => [v, c]), [[90, 1], [110, 1], [130, 1], [5003, 1]]);
});

Deno.test("histogram: what is not an HdrHistogram encoding is a SyntaxError naming the problem", () => {
  assert.throws(() => Histogram.decode("garbage"), {
    name: "SyntaxError",
    message: "not an HdrHistogram: Invalid string. Length must be a multiple of 4",
  });
  assert.throws(() => Histogram.decode(""), {
    name: "SyntaxError",
    message: "not an HdrHistogram: Encoding not supported, only V2 is supported",
  });
});

Deno.test("histogram: add() of an empty histogram changes nothing", () => {
  const h = new Histogram();
  h.record(42);
  h.add(new Histogram());
  assert.deepEqual(h.values(), [[42, 1]]);
});

Deno.test("histogram: merging any split of a set of values gives the histogram of the whole (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 3_600_000_000 }), fc.nat({ max: 4 })), {
        maxLength: 300,
      }),
      (values) => {
        const whole = new Histogram();
        const parts = [
          new Histogram(),
          new Histogram(),
          new Histogram(),
          new Histogram(),
          new Histogram(),
        ];
        for (const [v, part] of values) {
          whole.record(v);
          parts[part].record(v);
        }
        // Through the wire encoding, as workers and merge pass them.
        const merged = new Histogram();
        for (const part of parts) merged.add(Histogram.decode(part.encode()));
        assert.deepEqual(merged.values(), whole.values());
        assert.equal(merged.count, values.length);
        for (const p of [50, 90, 99, 99.9]) assert.equal(merged.percentile(p), whole.percentile(p));
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("histogram: a foreign histogram with a value past the hour is a RangeError, not a wrong merge", () => {
  const foreign = hdr.build({ highestTrackableValue: 7_200_000_000, autoResize: false });
  foreign.recordValue(7_000_000_000); // nearly 2 hours
  assert.throws(() => Histogram.decode(hdr.encodeIntoCompressedBase64(foreign)), {
    name: "RangeError",
    message: /^a value of 700\d+ µs is past the 1 hour a histogram holds$/,
  });
  const hour = hdr.build({ highestTrackableValue: 7_200_000_000, autoResize: false });
  hour.recordValue(3_600_000_000); // the hour itself still fits
  assert.equal(Histogram.decode(hdr.encodeIntoCompressedBase64(hour)).count, 1);
});

Deno.test("histogram: the mean of what was recorded; 0 when empty", () => {
  const h = new Histogram();
  assert.equal(h.mean, 0);
  h.record(100);
  h.record(300);
  assert.equal(h.mean, 200);
});

Deno.test("histogram: reset empties it; top is the max's bucket top, as a decoded copy's max", () => {
  const h = new Histogram();
  assert.equal(h.top, 0);
  h.record(5);
  assert.equal(h.top, 5);
  // 4,000 µs: buckets 2 µs wide there, [4000, 4002).
  h.record(4000);
  assert.equal(h.max, 4000);
  assert.equal(h.top, 4001);
  assert.equal(Histogram.decode(h.encode()).max, 4001);
  h.reset();
  assert.deepEqual([h.count, h.max, h.top], [0, 0, 0]);
  h.record(7);
  assert.deepEqual([h.count, h.max], [1, 7]);
});
