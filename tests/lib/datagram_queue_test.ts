/** A datagram socket's send queue: one datagram in the output at a time, the rest copied and waiting, the excess dropped. */
import assert from "node:assert/strict";
import { DatagramQueue, QUEUE_LIMIT } from "../../lib/datagram_queue.ts";
import { fakeKey } from "../fake_key.ts";
import { drain } from "../harness.ts";

const at = (port: number): Deno.NetAddr => ({ transport: "udp", hostname: "127.0.0.1", port });

Deno.test("datagram queue: the first goes to the output with its address; the next wait, copied, for each write", () => {
  const key = fakeKey() as ReturnType<typeof fakeKey> & { stream: { to: Deno.NetAddr | null } };
  (key as unknown as { stream: unknown }).stream = { to: null };
  let armed = 0;
  const queue = new DatagramQueue(key, () => armed++, 2);
  assert.equal(QUEUE_LIMIT, 1024);
  const reused = new Uint8Array([1, 2, 3]);
  assert.equal(queue.send(reused, 3, at(1)), true);
  assert.deepEqual([key.stream.to, armed, queue.length], [at(1), 1, 0]);
  assert.equal(queue.send(reused, 2, at(2)), true);
  assert.equal(queue.send(new Uint8Array([9, 6]), 1, at(3)), true);
  reused.fill(7); // the caller's buffer is its own again
  assert.equal(queue.send(new Uint8Array([8]), 1, at(4)), false, "past the limit");
  assert.deepEqual([queue.length, queue.dropped, armed], [2, 1, 1]);
  assert.deepEqual([...drain(key.output)], [1, 2, 3]); // copied into the output as it was sent
  queue.written();
  assert.deepEqual([key.stream.to, armed, queue.length], [at(2), 2, 1]);
  assert.deepEqual([...drain(key.output)], [1, 2]);
  queue.written();
  assert.deepEqual([...drain(key.output)], [9]);
  queue.written(); // nothing waits: nothing happens
  assert.deepEqual([armed, queue.length, key.owed], [3, 0, 0]);
});
