import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";

Deno.test("buffer pool: sizes are powers of two within bounds, and released buffers are reused", () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 65536, maxFreeBytes: 4096 });
  assert.equal(pool.take(1).length, 512);
  assert.equal(pool.take(513).length, 1024);
  assert.equal(pool.take(1024).length, 1024, "a power of two is its own size");
  assert.equal(pool.take(1 << 20).length, 65536, "capped at maxSize");
  const a = pool.take(2000);
  pool.give(a);
  assert.equal(pool.freeBytes, 2048);
  assert.equal(pool.take(1500), a);
  assert.equal(pool.freeBytes, 0);
});

Deno.test("buffer pool: foreign buffers and buffers past the idle limit are dropped", () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 4096, maxFreeBytes: 4096 });
  pool.give(new Uint8Array(1000)); // not a power of two
  pool.give(new Uint8Array(8192).subarray(0, 4096)); // a view into something larger
  pool.give(new Uint8Array(64)); // below minSize
  pool.give(new Uint8Array(8192)); // above maxSize
  const roomy = new BufferPool({ minSize: 512, maxSize: 4096, maxFreeBytes: 1 << 20 });
  roomy.give(new Uint8Array(8192)); // above maxSize, with room to spare: still dropped
  assert.equal(roomy.freeBytes, 0);
  assert.equal(pool.freeBytes, 0);
  const smallest = pool.take(1);
  pool.give(smallest); // exactly minSize: kept
  assert.equal(pool.take(1), smallest);
  pool.give(pool.take(4096));
  pool.give(new Uint8Array(4096)); // over the 4096-byte idle limit
  assert.equal(pool.freeBytes, 4096);
});
