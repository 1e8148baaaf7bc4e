import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { DelayLine } from "../../lib/delay_line.ts";
import { bytes } from "../fake_stream.ts";
import { drain } from "../harness.ts";

Deno.test("delay line: bytes leave at their time, not before, in the order they came", () => {
  const line = new DelayLine(Infinity), out = new ByteQueue();
  assert.equal(line.nextAt, Infinity);
  line.queue.push(bytes(10, 1));
  line.hold(150);
  line.queue.push(bytes(20, 2));
  line.hold(120); // stamped earlier than the bytes before it: waits behind them
  line.queue.push(bytes(30, 3));
  line.hold(200);
  assert.equal(line.length, 60);
  assert.equal(line.nextAt, 150);
  assert.equal(line.release(149, out), 0);
  assert.equal(out.length, 0);
  assert.equal(line.release(150, out), 30, "the first two go together");
  assert.equal(line.nextAt, 200);
  assert.equal(line.release(199, out), 0);
  assert.equal(line.release(250, out), 30);
  assert.equal(line.nextAt, Infinity);
  assert.equal(line.length, 0);
  assert.deepEqual(drain(out), new Uint8Array([...bytes(10, 1), ...bytes(20, 2), ...bytes(30, 3)]));
});

Deno.test("delay line: unstamped bytes wait for their stamp", () => {
  const line = new DelayLine(Infinity), out = new ByteQueue();
  line.queue.push(bytes(5));
  assert.equal(line.nextAt, Infinity);
  assert.equal(line.release(1e9, out), 0);
  line.hold(0);
  line.hold(10); // nothing new: no stamp
  assert.equal(line.release(0, out), 5);
  assert.equal(line.nextAt, Infinity);
});

Deno.test("delay line: a rate lets out one 10 ms quantum at a time, spaced by its transmission time", () => {
  const line = new DelayLine(1000), out = new ByteQueue(); // 1000 B/s: quanta of 10 bytes, 10 ms each
  line.queue.push(bytes(100));
  line.hold(0);
  assert.equal(line.release(0, out), 10);
  assert.equal(line.nextAt, 10);
  assert.equal(line.release(9, out), 0);
  assert.equal(line.release(10, out), 10);
  assert.equal(line.release(25, out), 10, "a late release does not let out more than its share");
  assert.equal(line.nextAt, 30);
  let t = 30;
  while (line.length > 0) {
    line.release(t, out);
    t += 10;
  }
  assert.equal(t, 100, "100 bytes at 1000 B/s took 100 ms");
  assert.deepEqual(drain(out), bytes(100));
});

Deno.test("delay line: an idle link does not bank its idle time", () => {
  const line = new DelayLine(100_000), out = new ByteQueue(); // quanta of 1,000 bytes, 10 ms each
  line.queue.push(bytes(1000));
  line.hold(0);
  line.release(0, out);
  line.queue.push(bytes(10_000));
  line.hold(1000); // due at 1 s, released only at 5 s: the link was idle for 5 s
  assert.equal(line.release(5000, out), 2000, "one quantum, and at most one more of catch-up");
  assert.equal(line.nextAt, 5010);
});

Deno.test("delay line: bytes held, let out and held again, many times over, all come out in order", () => {
  const line = new DelayLine(Infinity), out = new ByteQueue();
  const sent: number[] = [];
  for (let i = 0; i < 300; i++) {
    const chunk = bytes(1 + (i % 7), i);
    line.queue.push(chunk);
    sent.push(...chunk);
    line.hold(i);
    if (i % 3 === 0) line.release(i - 1, out);
  }
  line.release(299, out);
  assert.equal(out.length, sent.length);
  assert.deepEqual(drain(out), new Uint8Array(sent));
  assert.equal(line.length, 0);
});

Deno.test("delay line: a rate and a delay together: held until due, then paced", () => {
  const line = new DelayLine(100_000), out = new ByteQueue(); // quanta of 1000 bytes, 10 ms
  line.queue.push(bytes(3000));
  line.hold(50);
  assert.equal(line.release(49, out), 0);
  assert.equal(line.release(50, out), 1000);
  assert.equal(line.nextAt, 60);
  assert.equal(line.release(70, out), 2000);
});

Deno.test("delay line: a large chunk let out whole is not copied; clear drops what is held", () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 1 << 16 });
  const line = new DelayLine(Infinity, pool), out = new ByteQueue(pool);
  const buf = pool.take(20_000);
  line.queue.pushOwned(buf, 0, 20_000);
  line.hold(1);
  line.release(1, out);
  assert.equal(out.peek().buffer, buf.buffer);
  line.queue.push(bytes(10));
  line.hold(2);
  line.clear();
  assert.equal(line.length, 0);
  assert.equal(line.nextAt, Infinity);
  assert.equal(line.release(1e9, out), 0);
});

Deno.test("delay line: its capacity is the memory of the chunks it holds", () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 1 << 16 });
  const line = new DelayLine(Infinity, pool);
  assert.equal(line.capacity, 0);
  line.queue.push(bytes(100)); // one chunk of the queue's smallest, 4096
  assert.equal(line.capacity, 4096);
  line.hold(0);
  line.release(0, new ByteQueue(pool));
  assert.equal(line.capacity, 0);
});

Deno.test("delay line: separate stamps leave one at a time, each only into an empty queue", () => {
  const line = new DelayLine(Infinity);
  line.separate = true;
  line.queue.push(new Uint8Array(30));
  line.hold(0, 10);
  line.hold(0, 20);
  const out = new ByteQueue();
  assert.equal(line.release(5, out), 10, "the first slice alone");
  assert.equal(line.release(5, out), 0, "the next waits for the queue to empty");
  out.consume(10);
  assert.equal(line.release(5, out), 20);
  assert.equal(line.length, 0);
});

Deno.test("delay line: a rate lifted lets what waits for it out at once; a rate changed paces from then on", () => {
  const lifted = new DelayLine(1000); // 10-byte quanta, 10 ms apart
  lifted.queue.push(new Uint8Array(100));
  lifted.hold(0);
  const out = new ByteQueue();
  assert.equal(lifted.release(0, out), 10);
  lifted.setRate(Infinity);
  assert.equal(lifted.release(0, out), 90);
  const slowed = new DelayLine(1000);
  slowed.queue.push(new Uint8Array(100));
  slowed.hold(0);
  assert.equal(slowed.release(0, out), 10);
  slowed.setRate(500); // 5-byte quanta
  assert.equal(slowed.release(0, out), 0, "the link is still busy with the first quantum");
  assert.equal(slowed.release(10, out), 5);
  assert.equal(slowed.nextAt, 20, "5 bytes at 500 B/s: 10 ms");
});
