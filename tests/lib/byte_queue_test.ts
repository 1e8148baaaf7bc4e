import assert from "node:assert/strict";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { bytes, random } from "../fake_stream.ts";

Deno.test("byte queue: random pushes and partial consumes match a plain array model", () => {
  const rand = random(99);
  const q = new ByteQueue();
  const model: number[] = [];
  let next = 0;
  for (let step = 0; step < 5000; step++) {
    if (rand() < 0.55) {
      const chunk = bytes(Math.floor(rand() * 3000), next++);
      const start = Math.floor(rand() * chunk.length);
      const end = start + Math.floor(rand() * (chunk.length - start + 1));
      q.push(chunk, start, end);
      model.push(...chunk.subarray(start, end));
    } else if (q.length > 0) {
      const head = q.peek();
      assert.ok(head.length > 0 && head.length <= q.length);
      assert.deepEqual([...head], model.slice(0, head.length));
      const n = 1 + Math.floor(rand() * head.length);
      q.consume(n);
      model.splice(0, n);
    }
    assert.equal(q.length, model.length);
  }
});

Deno.test("byte queue: a view handed to a pending write survives growth", () => {
  const q = new ByteQueue();
  q.push(bytes(1000));
  const inFlight = q.peek();
  const before = inFlight.slice();
  q.push(bytes(100_000, 1)); // grows into a new ring
  assert.deepEqual(inFlight, before);
  q.consume(inFlight.length);
  assert.deepEqual(q.peek().subarray(0, 10), bytes(100_000, 1).subarray(0, 10));
});

Deno.test("byte queue: consuming more than queued is a bug and throws", () => {
  const q = new ByteQueue();
  q.push(bytes(3));
  assert.throws(() => q.consume(4), RangeError);
});

Deno.test("byte queue: clear returns the memory", () => {
  const q = new ByteQueue();
  q.push(bytes(10_000));
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.capacity, 0);
});
