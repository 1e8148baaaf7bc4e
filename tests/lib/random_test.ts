import assert from "node:assert/strict";
import { random } from "../../lib/random.ts";

const draw = (next: () => number, n: number) => Array.from({ length: n }, next);

Deno.test("random: the same seed and keys give the same sequence; other keys, another", () => {
  assert.deepEqual(draw(random(42, 7), 5), draw(random(42, 7), 5));
  assert.notDeepEqual(draw(random(42, 7), 5), draw(random(42, 8), 5));
  assert.notDeepEqual(draw(random(42, 7), 5), draw(random(43, 7), 5));
  assert.notDeepEqual(draw(random(42, 7), 5), draw(random(42, 7, 1), 5));
});

Deno.test("random: mulberry32's first output for seed 0, and floats spread over [0, 1)", () => {
  // mulberry32(0)'s first 32-bit output, as a separate Python rendering of the reference C code gives it.
  assert.equal(random(0)() * 4294967296, 1144304738);
  const values = draw(random(1), 10_000);
  assert.ok(values.every((v) => v >= 0 && v < 1));
  const low = values.filter((v) => v < 0.5).length;
  assert.ok(low > 4800 && low < 5200, `${low} of 10000 below one half`);
});
