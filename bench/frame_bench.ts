/** Micro-benchmarks of the app decoder: `deno task bench:micro`. */
import { ByteQueue } from "../lib/byte_queue.ts";
import { encodeFrame, frameBytes, FrameDecoder } from "../lib/frame.ts";

const REQUESTS = 1000;
const request = frameBytes(
  "text/json",
  "utf-8",
  new TextEncoder().encode('{"action":"search","value":"morpheus"}'),
);
const wire = new Uint8Array(request.length * REQUESTS);
for (let i = 0; i < REQUESTS; i++) wire.set(request, i * request.length);

function decodeIn(piece: number): number {
  const decoder = new FrameDecoder(1 << 20);
  let messages = 0;
  for (let from = 0; from < wire.length; from += piece) {
    const to = Math.min(from + piece, wire.length);
    for (let at = from; at < to;) {
      at = decoder.feed(wire, at, to);
      if (decoder.message !== null) messages++;
    }
  }
  if (messages !== REQUESTS) throw new Error(`decoded ${messages}`);
  return messages;
}

Deno.bench("frame decoder: 1000 pipelined requests in one read", { group: "decode" }, () => {
  decodeIn(wire.length);
});
Deno.bench("frame decoder: 1000 requests in 64-byte reads", { group: "decode" }, () => {
  decodeIn(64);
});
Deno.bench("frame decoder: 1000 requests one byte at a time", { group: "decode" }, () => {
  decodeIn(1);
});
Deno.bench("frame encoder: 1000 replies", () => {
  const out = new ByteQueue();
  const content = new TextEncoder().encode('{"result":"Follow the white rabbit. 🐰"}');
  for (let i = 0; i < REQUESTS; i++) encodeFrame(out, "text/json", "utf-8", content);
  out.clear();
});
