import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { encodeFrame, FrameDecoder, type FrameErrorKind } from "../../lib/frame.ts";
import { concat } from "../fake_stream.ts";
import { drain } from "../harness.ts";

const text = new TextEncoder();

/** A raw message with a header given as JSON text, as a peer might send it. */
function raw(header: string | Uint8Array, content: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = typeof header === "string" ? text.encode(header) : header;
  return concat([new Uint8Array([h.length >> 8, h.length & 0xff]), h, content]);
}

interface Decoded {
  messages: { type: string; content: Uint8Array; json: unknown }[];
  error: FrameErrorKind | null;
}

/** Feeds `wire` cut at `cuts`, collecting copies of what completes. */
function decode(wire: Uint8Array, cuts: number[], max = 1 << 20): Decoded {
  const d = new FrameDecoder(max);
  const out: Decoded = { messages: [], error: null };
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, wire.length]) {
    let at = from;
    do {
      at = d.feed(wire, at, to);
      if (d.message) {
        const m = d.message;
        out.messages.push({
          type: m.header["content-type"],
          content: m.content.slice(),
          json: m.json,
        });
      }
      if (d.error) {
        out.error = d.error.kind;
        return out;
      }
    } while (at < to);
    from = to;
  }
  return out;
}

const message = fc.oneof(
  fc.record({
    type: fc.constant("text/json"),
    json: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
  }),
  fc.record({
    type: fc.constantFrom("binary/custom-client-binary-type", "image/png", ""),
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
);

Deno.test("frame: any stream of valid messages, cut anywhere, decodes to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(message, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (msgs, cuts) => {
        const q = new ByteQueue();
        const expected = msgs.map((m) => {
          const content = "json" in m ? text.encode(JSON.stringify(m.json)) : m.bytes;
          encodeFrame(q, m.type, "json" in m ? "utf-8" : "binary", content);
          return {
            type: m.type,
            content,
            json: "json" in m ? JSON.parse(JSON.stringify(m.json)) : null,
          };
        });
        const got = decode(drain(q), cuts);
        assert.equal(got.error, null);
        assert.deepEqual(got.messages, expected);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("frame: one byte at a time works as well as all at once", () => {
  const q = new ByteQueue();
  encodeFrame(q, "text/json", "utf-8", text.encode('{"action":"search","value":"🐶"}'));
  encodeFrame(q, "binary/x", "binary", text.encode("hello world 123"));
  encodeFrame(q, "binary/x", "binary", new Uint8Array(0));
  const wire = drain(q);
  const everyByte = decode(wire, Array.from({ length: wire.length }, (_, i) => i));
  const whole = decode(wire, []);
  assert.deepEqual(everyByte, whole);
  assert.equal(whole.messages.length, 3);
  assert.deepEqual(whole.messages[0].json, { action: "search", value: "🐶" });
  assert.equal(new TextDecoder().decode(whole.messages[1].content), "hello world 123");
  assert.equal(whole.messages[2].content.length, 0);
});

Deno.test("frame: the header is written as the guide writes it, in the same key order", () => {
  const q = new ByteQueue();
  encodeFrame(q, "text/json", "utf-8", text.encode("{}"));
  const wire = drain(q);
  const header = new TextDecoder().decode(wire.subarray(2, 2 + ((wire[0] << 8) | wire[1])));
  assert.match(
    header,
    /^\{"byteorder":"(little|big)","content-type":"text\/json","content-encoding":"utf-8","content-length":2\}$/,
  );
});

Deno.test("frame: every malformed case of PROTOCOL.md is a typed error", () => {
  const good = (fields: Record<string, unknown>, content = "{}") =>
    raw(
      JSON.stringify({
        byteorder: "little",
        "content-type": "text/json",
        "content-encoding": "utf-8",
        "content-length": text.encode(content).length,
        ...fields,
      }),
      text.encode(content),
    );
  const cases: [string, Uint8Array, FrameErrorKind][] = [
    ["header not UTF-8", raw(new Uint8Array([0x7b, 0xff, 0x7d])), "header-utf8"],
    ["header not JSON", raw("{byteorder: little}"), "header-json"],
    ["empty header", raw(""), "header-json"],
    ["header an array", raw("[1,2]"), "header-not-object"],
    ["header a string", raw('"hi"'), "header-not-object"],
    ["header null", raw("null"), "header-not-object"],
    ["missing byteorder", good({ byteorder: undefined }), "missing-field"],
    [
      "missing content-length",
      raw('{"byteorder":"big","content-type":"a","content-encoding":"b"}'),
      "missing-field",
    ],
    [
      "missing content-type",
      raw('{"byteorder":"big","content-encoding":"b","content-length":0}'),
      "missing-field",
    ],
    [
      "missing content-encoding",
      raw('{"byteorder":"big","content-type":"a","content-length":0}'),
      "missing-field",
    ],
    ["byteorder wrong", good({ byteorder: "middle" }), "field-type"],
    ["content-type a number", good({ "content-type": 7 }), "field-type"],
    ["content-encoding null", good({ "content-encoding": null }), "field-type"],
    ["content-length a string", good({ "content-length": "2" }), "field-type"],
    ["content-length negative", good({ "content-length": -1 }), "field-type"],
    ["content-length fractional", good({ "content-length": 1.5 }), "field-type"],
    ["content-length above the limit", good({ "content-length": (1 << 20) + 1 }), "too-large"],
    ["text/json in latin-1", good({ "content-encoding": "latin-1" }), "text-encoding"],
    [
      "content not UTF-8",
      raw(
        '{"byteorder":"big","content-type":"text/json","content-encoding":"utf-8","content-length":3}',
        new Uint8Array([0x7b, 0xff, 0x7d]),
      ),
      "content-utf8",
    ],
    ["content not JSON", good({}, "search ring"), "content-json"],
    ["content an array", good({}, "[1]"), "content-not-object"],
    ["content a number", good({}, "42"), "content-not-object"],
  ];
  for (const [name, wire, kind] of cases) {
    const got = decode(wire, []);
    assert.equal(got.error, kind, name);
    assert.equal(got.messages.length, 0, name);
  }
});

Deno.test("frame: a header whose JSON has a 'kind' key is still a header", () => {
  const wire = raw(
    '{"byteorder":"big","content-type":"text/json","content-encoding":"utf-8","content-length":15,"kind":"x"}',
    text.encode('{"kind":"json"}'),
  );
  const got = decode(wire, []);
  assert.equal(got.error, null);
  assert.deepEqual(got.messages[0].json, { kind: "json" });
});

Deno.test("frame: a content-length above the limit is refused before any content is taken", () => {
  const header = raw(JSON.stringify({
    byteorder: "little",
    "content-type": "binary/x",
    "content-encoding": "binary",
    "content-length": 50_000_000,
  }));
  const wire = concat([header, new Uint8Array(100_000)]);
  const d = new FrameDecoder(16 << 20);
  const stopped = d.feed(wire, 0, wire.length);
  assert.equal(stopped, header.length, "nothing past the header was consumed");
  assert.equal(d.error?.kind, "too-large");
  assert.equal(d.error?.reason, "content-length 50000000 exceeds the limit of 16777216 bytes");
});

Deno.test("frame: random garbage never throws out of the decoder", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (junk, cuts) => {
        const got = decode(junk, cuts, 256);
        assert.ok(got.error === null || typeof got.error === "string");
      },
    ),
    { numRuns: 2000 },
  );
  // Garbage that looks like a header, too: a plausible length prefix before random bytes.
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      decode(raw(s), []);
    }),
    { numRuns: 2000 },
  );
});
