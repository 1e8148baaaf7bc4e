import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { bytes, random } from "../fake_stream.ts";

Deno.test("byte queue: random pushes of all three kinds and partial consumes match a plain array model", () => {
  const rand = random(99);
  const pool = new BufferPool({ minSize: 64, maxSize: 8192 });
  const q = new ByteQueue(pool);
  const model: number[] = [];
  let next = 0;
  for (let step = 0; step < 5000; step++) {
    const r = rand();
    if (r < 0.35) {
      const chunk = bytes(Math.floor(rand() * 3000), next++);
      const start = Math.floor(rand() * chunk.length);
      const end = start + Math.floor(rand() * (chunk.length - start + 1));
      q.push(chunk, start, end);
      model.push(...chunk.subarray(start, end));
    } else if (r < 0.45) {
      const buf = pool.take(1 + Math.floor(rand() * 8000));
      const n = Math.floor(rand() * buf.length);
      buf.set(bytes(n, next++));
      q.pushOwned(buf, 0, n);
      model.push(...buf.subarray(0, n));
    } else if (r < 0.55) {
      const view = bytes(Math.floor(rand() * 500), next++);
      q.pushView(view);
      model.push(...view);
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

Deno.test("byte queue: a view handed to a pending write is untouched by later pushes", () => {
  const q = new ByteQueue();
  q.push(bytes(1000));
  const inFlight = q.peek();
  const before = inFlight.slice();
  q.push(bytes(100_000, 1));
  assert.deepEqual(inFlight, before);
  q.consume(inFlight.length);
  assert.deepEqual(q.peek().subarray(0, 10), bytes(100_000, 1).subarray(0, 10));
});

Deno.test("byte queue: consumed pooled chunks go back to the pool; views and discarded chunks do not", () => {
  const pool = new BufferPool({ minSize: 1024, maxSize: 4096 });
  const q = new ByteQueue(pool);
  q.push(bytes(5000));
  q.pushView(bytes(100));
  assert.equal(pool.freeBytes, 0);
  q.consume(q.length);
  assert.equal(pool.freeBytes, 2 * 4096, "both pooled chunks returned, the view not");
  const owned = pool.take(4096);
  q.pushOwned(owned, 0, 10);
  q.discard();
  assert.equal(pool.freeBytes, 4096, "a discarded chunk is not reused: a write may still hold it");
  q.push(bytes(10));
  assert.equal(pool.freeBytes, 0);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(pool.freeBytes, 4096);
});

Deno.test("byte queue: consuming more than queued is a bug and throws", () => {
  const q = new ByteQueue();
  q.push(bytes(3));
  assert.throws(() => q.consume(4), RangeError);
});
