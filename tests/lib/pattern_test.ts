import assert from "node:assert/strict";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { Pattern } from "../../lib/pattern.ts";
import { drain } from "../harness.ts";

function take(p: Pattern, offset: number, n: number): Uint8Array {
  const q = new ByteQueue();
  p.pushTo(q, offset, n);
  return drain(q);
}

Deno.test("pattern: a stream read in pieces equals the stream read whole, past the table's period", () => {
  const p = new Pattern(5);
  const whole = take(p, 0, 200_000);
  const a = take(p, 0, 65_000), b = take(p, 65_000, 135_000);
  assert.deepEqual(whole, new Uint8Array([...a, ...b]));
  assert.equal(p.mismatch(whole, 0, whole.length, 0), -1);
  assert.equal(p.mismatch(whole, 70_000, 150_000, 70_000), -1);
});

Deno.test("pattern: mismatch points at the first wrong byte; seeds give different streams", () => {
  const p = new Pattern(1);
  const data = take(p, 1000, 5000);
  data[3210] ^= 1;
  assert.equal(p.mismatch(data, 0, data.length, 1000), 3210);
  assert.equal(
    p.mismatch(data, 0, data.length, 1001) >= 0,
    true,
    "a shifted stream does not match",
  );
  assert.notDeepEqual(take(new Pattern(2), 0, 64), take(p, 0, 64));
});

Deno.test("pattern: the word-at-a-time compare finds the exact byte at any alignment", () => {
  const p = new Pattern(9);
  for (let bufShift = 0; bufShift < 8; bufShift++) {
    for (const streamOffset of [0, 1, 2, 3, 65519, 65522, 131_000]) {
      const data = take(p, streamOffset, 300);
      const buf = new Uint8Array(bufShift + 300);
      buf.set(data, bufShift);
      assert.equal(p.mismatch(buf, bufShift, buf.length, streamOffset), -1);
      for (const bad of [0, 1, 5, 150, 297, 299]) {
        buf[bufShift + bad] ^= 0x40;
        assert.equal(p.mismatch(buf, bufShift, buf.length, streamOffset), bufShift + bad);
        buf[bufShift + bad] ^= 0x40;
      }
    }
  }
});
