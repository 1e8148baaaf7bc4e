import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { bytes, random } from "../fake_stream.ts";
import { drain } from "../harness.ts";

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
  assert.throws(() => q.consume(4), new RangeError("consume(4) beyond length 3"));
});

Deno.test("byte queue: an empty queue peeks empty; empty pushes leave nothing at the head", () => {
  const pool = new BufferPool({ minSize: 1024, maxSize: 4096 });
  const q = new ByteQueue(pool);
  assert.equal(q.peek().length, 0);
  const owned = pool.take(1024);
  q.pushOwned(owned, 5, 5);
  assert.equal(pool.freeBytes, 1024, "an empty owned buffer goes straight back to the pool");
  q.pushView(new Uint8Array(0));
  q.push(bytes(10), 3, 3);
  assert.equal(q.length, 0);
  assert.equal(q.peek().length, 0);
  q.push(bytes(10));
  assert.deepEqual(q.peek(), bytes(10), "the head holds the bytes, not an empty chunk");
});

Deno.test("byte queue: an owned buffer is queued from its offset and returns to the pool once written", () => {
  const pool = new BufferPool({ minSize: 1024, maxSize: 4096 });
  const q = new ByteQueue(pool);
  const owned = pool.take(4096);
  owned.set(bytes(4096));
  q.pushOwned(owned, 100, 300);
  assert.equal(q.length, 200);
  assert.deepEqual(q.peek(), bytes(4096).subarray(100, 300));
  q.consume(200);
  assert.equal(pool.freeBytes, 4096);
  assert.equal(pool.take(4096), owned, "the same buffer is handed out again");
});

Deno.test("byte queue: a borrowed view never goes to the pool, even one of a pool size", () => {
  const pool = new BufferPool({ minSize: 1024, maxSize: 4096 });
  const q = new ByteQueue(pool);
  const view = new Uint8Array(4096).fill(3);
  q.pushView(view);
  q.consume(4096);
  assert.equal(pool.freeBytes, 0);
  assert.notEqual(pool.take(4096), view);
});

Deno.test("byte queue: one consume may span several chunks and stop inside one", () => {
  const q = new ByteQueue(new BufferPool({ minSize: 16, maxSize: 16 }));
  const all = bytes(100);
  for (let at = 0; at < 100; at += 10) q.pushView(all.subarray(at, at + 10));
  q.consume(3);
  q.consume(25);
  assert.equal(q.length, 72);
  assert.deepEqual(q.peek(), all.subarray(28, 30));
  assert.deepEqual(drain(q), all.subarray(28));
});

Deno.test("byte queue: small pushes pack into one chunk, so one write() sends them all", () => {
  const q = new ByteQueue(new BufferPool({ minSize: 16, maxSize: 1 << 16 }));
  for (let i = 0; i < 10; i++) q.push(bytes(10, i));
  assert.equal(q.peek().length, 100);
  // Owned buffers with room to spare are filled too: they are the queue's.
  const pool = new BufferPool({ minSize: 1024, maxSize: 4096 });
  const owned = new ByteQueue(pool);
  owned.pushOwned(pool.take(4096), 0, 100);
  owned.push(bytes(50));
  assert.equal(owned.peek().length, 150);
});

Deno.test("byte queue: a big push takes a chunk of the next pool size, and the next push fills it first", () => {
  const q = new ByteQueue(new BufferPool({ minSize: 16, maxSize: 1 << 16 }));
  const src = bytes(12_000);
  q.push(src, 5000, 10_000);
  q.push(src, 0, 5000);
  assert.equal(q.peek().length, 8192, "5000 bytes took an 8 KiB chunk, then 3192 more fit in it");
  assert.deepEqual(
    drain(q),
    new Uint8Array([...src.subarray(5000, 10_000), ...src.subarray(0, 5000)]),
  );
});

Deno.test("byte queue: after a discard the queue works as new", () => {
  const q = new ByteQueue();
  q.push(bytes(50));
  q.discard();
  assert.equal(q.length, 0);
  assert.equal(q.peek().length, 0);
  q.push(bytes(7, 1));
  assert.deepEqual(q.peek(), bytes(7, 1));
});

Deno.test("byte queue: transfer moves whole chunks without a copy and splits the last one by copying", () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 8192 });
  const from = new ByteQueue(pool), to = new ByteQueue(pool);
  const a = pool.take(1000), b = pool.take(1000);
  a.set(bytes(1000, 1));
  b.set(bytes(1000, 2));
  from.pushOwned(a, 0, 1000);
  from.pushOwned(b, 0, 1000);
  from.transfer(to, 1300);
  assert.equal(to.length, 1300);
  assert.equal(from.length, 700);
  assert.equal(to.peek().buffer, a.buffer, "the whole first chunk changed queues as it was");
  assert.equal(from.peek().buffer, b.buffer, "the split chunk stays, less what left");
  assert.deepEqual(
    drain(to),
    new Uint8Array([...bytes(1000, 1), ...bytes(1000, 2).subarray(0, 300)]),
  );
  assert.deepEqual(drain(from), bytes(1000, 2).subarray(300));
  assert.throws(() => from.transfer(to, 1), new RangeError("transfer(1) beyond length 0"));
});

Deno.test("byte queue: random transfers between two queues keep every byte in order", () => {
  const rand = random(7);
  const pool = new BufferPool({ minSize: 64, maxSize: 8192 });
  const from = new ByteQueue(pool), to = new ByteQueue(pool);
  const sent: number[] = [];
  for (let step = 0; step < 2000; step++) {
    if (rand() < 0.5) {
      const chunk = bytes(Math.floor(rand() * 3000), step);
      from.push(chunk);
      sent.push(...chunk);
    } else {
      from.transfer(to, Math.floor(rand() * (from.length + 1)));
    }
    assert.equal(from.length + to.length, sent.length);
  }
  from.transfer(to, from.length);
  assert.deepEqual(drain(to), new Uint8Array(sent));
});

Deno.test("byte queue: capacity counts the whole buffer of each chunk until it leaves", () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 8192 });
  const q = new ByteQueue(pool), other = new ByteQueue(pool);
  assert.equal(q.capacity, 0);
  q.push(bytes(100)); // a chunk of at least 4096
  assert.equal(q.capacity, 4096);
  q.push(bytes(100)); // fits in the same chunk
  assert.equal(q.capacity, 4096);
  q.pushOwned(pool.take(1024), 0, 10);
  assert.equal(q.capacity, 4096 + 1024);
  q.pushView(bytes(50));
  assert.equal(q.capacity, 4096 + 1024 + 50);
  q.consume(150); // part of the first chunk: it stays whole
  assert.equal(q.capacity, 4096 + 1024 + 50);
  q.consume(50); // the rest of it
  assert.equal(q.capacity, 1024 + 50);
  q.transfer(other, 10); // the owned chunk, whole
  assert.equal(q.capacity, 50);
  assert.equal(other.capacity, 1024);
  q.discard();
  assert.equal(q.capacity, 0);
  other.clear();
  assert.equal(other.capacity, 0);
});

Deno.test("byte queue: takeAll gives every byte, in order, as one array, and leaves the queue empty", () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 8192 });
  const q = new ByteQueue(pool);
  q.push(bytes(5000, 1));
  q.pushView(bytes(30, 2));
  q.consume(100);
  assert.deepEqual(q.takeAll(), new Uint8Array([...bytes(5000, 1).subarray(100), ...bytes(30, 2)]));
  assert.equal(q.length, 0);
  assert.equal(q.capacity, 0);
  assert.deepEqual(q.takeAll(), new Uint8Array(0));
});
