/** The messages an echo client sends, and how it judges the bytes that come back. */
import assert from "node:assert/strict";
import { PatternPayload, TextPayload } from "../../client/payload.ts";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { drain } from "../harness.ts";

const text = new TextEncoder();

Deno.test("payload: the guide's two messages, their offsets and their bytes", () => {
  const p = new TextPayload(["Message 1 from client.", "Message 2 from client."]);
  assert.equal(p.count, 2);
  assert.equal(p.totalBytes, 44);
  assert.deepEqual([p.end(0), p.end(1)], [22, 44]);
  assert.equal(p.text(1), "Message 2 from client.");
  const q = new ByteQueue();
  p.push(q, 1);
  assert.deepEqual(drain(q), text.encode("Message 2 from client."));
  p.push(q, 0);
  assert.deepEqual(drain(q), text.encode("Message 1 from client."));
});

Deno.test("payload: text messages are UTF-8, measured in bytes", () => {
  const p = new TextPayload(["🐶", "é"]);
  assert.deepEqual([p.end(0), p.end(1), p.totalBytes], [4, 6, 6]);
});

Deno.test("payload: text echo is checked at its offset; a byte past the last message never matches", () => {
  const p = new TextPayload(["abc", "de"]);
  const echo = text.encode("xxabcdez");
  assert.equal(p.mismatch(echo, 2, 7, 0), -1, "the whole stream from the start");
  assert.equal(p.mismatch(echo, 4, 7, 2), -1, "its tail at offset 2");
  assert.equal(p.mismatch(echo, 2, 8, 0), 7, "one extra byte, at the index of that byte");
  assert.equal(p.mismatch(text.encode("abXde"), 0, 5, 0), 2);
  assert.equal(p.mismatch(text.encode("e"), 0, 1, 4), -1);
  assert.equal(p.mismatch(text.encode("ee"), 0, 2, 4), 1);
});

Deno.test("payload: generated messages are sized, offset and checked, one extra byte caught", () => {
  const p = new PatternPayload(3, 5, 7);
  assert.equal(p.count, 3);
  assert.equal(p.totalBytes, 15);
  assert.deepEqual([p.end(0), p.end(1), p.end(2)], [5, 10, 15]);
  assert.equal(p.text(), null);
  const q = new ByteQueue();
  for (let i = 0; i < 3; i++) p.push(q, i);
  const stream = drain(q);
  assert.equal(stream.length, 15);
  assert.equal(p.mismatch(stream, 0, 15, 0), -1);
  assert.equal(p.mismatch(stream, 5, 15, 5), -1);
  const q2 = new ByteQueue();
  p.push(q2, 1);
  assert.deepEqual(drain(q2), stream.subarray(5, 10), "message 1 is bytes 5..10 of the stream");
  const longer = new Uint8Array(16);
  longer.set(stream);
  longer[15] = stream[0];
  assert.equal(p.mismatch(longer, 0, 16, 0), 15, "the 16th byte is one too many");
  assert.equal(p.mismatch(longer, 10, 16, 10), 15);
  const bad = stream.slice();
  bad[12] ^= 1;
  assert.equal(p.mismatch(bad, 0, 16, 0), 12, "a wrong byte before the extra one is found first");
  assert.equal(p.mismatch(bad, 0, 15, 0), 12);
  const first = longer.slice();
  first[0] ^= 1;
  assert.equal(p.mismatch(first, 0, 16, 0), 0, "a wrong first byte, then one too many");
  assert.notDeepEqual(drain(pushed(new PatternPayload(1, 15, 8))), stream, "seeds differ");
});

function pushed(p: PatternPayload): ByteQueue {
  const q = new ByteQueue();
  p.push(q, 0);
  return q;
}
