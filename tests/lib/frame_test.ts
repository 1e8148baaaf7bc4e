import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { encodeFrame, frameBytes, FrameDecoder, type FrameErrorKind } from "../../lib/frame.ts";
import { bytes, concat } from "../fake_stream.ts";
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

// This machine's byte order, found apart from the code under test.
const HOST_ORDER = new DataView(new Uint16Array([1]).buffer).getUint8(0) === 1 ? "little" : "big";

Deno.test("frame: the header is written as the guide writes it, in the same key order, with this machine's byte order", () => {
  const q = new ByteQueue();
  encodeFrame(q, "text/json", "utf-8", text.encode("{}"));
  const wire = drain(q);
  const header = new TextDecoder().decode(wire.subarray(2, 2 + ((wire[0] << 8) | wire[1])));
  assert.equal(
    header,
    `{"byteorder":"${HOST_ORDER}","content-type":"text/json","content-encoding":"utf-8","content-length":2}`,
  );
  assert.deepEqual(wire.subarray(2 + header.length), text.encode("{}"));
  const whole = frameBytes("text/json", "utf-8", text.encode("{}"));
  assert.deepEqual(whole, wire, "frameBytes makes the same message in one array");
  const long = "binary/" + "z".repeat(300);
  const q2 = new ByteQueue();
  encodeFrame(q2, long, "binary", text.encode("abc"));
  assert.deepEqual(frameBytes(long, "binary", text.encode("abc")), drain(q2));
});

Deno.test("frame: the decoder says which part it waits for", () => {
  const q = new ByteQueue();
  encodeFrame(q, "binary/x", "binary", text.encode("abc"));
  const wire = drain(q);
  const d = new FrameDecoder(100);
  assert.equal(d.part, "proto-header");
  d.feed(wire, 0, 1);
  assert.equal(d.part, "proto-header");
  d.feed(wire, 1, 3);
  assert.equal(d.part, "json-header");
  d.feed(wire, 3, wire.length - 1);
  assert.equal(d.part, "content");
  d.feed(wire, wire.length - 1, wire.length);
  assert.equal(d.part, "proto-header");
  assert.deepEqual(d.message?.content, text.encode("abc"));
});

Deno.test("frame: a header with a byte-order mark is not JSON, as the guide's Python server finds", () => {
  const json =
    '{"byteorder":"big","content-type":"binary/x","content-encoding":"binary","content-length":0}';
  const got = decode(raw(concat([new Uint8Array([0xef, 0xbb, 0xbf]), text.encode(json)])), []);
  assert.equal(got.error, "header-json");
  assert.equal(decode(raw(json), []).error, null);
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
  // The reason is what the peer reads in the error reply; JSON syntax errors end in V8's own words.
  const cases: [string, Uint8Array, FrameErrorKind, string][] = [
    [
      "header not UTF-8",
      raw(new Uint8Array([0x7b, 0xff, 0x7d])),
      "header-utf8",
      "JSON header is not valid UTF-8",
    ],
    [
      "header not JSON",
      raw("{byteorder: little}"),
      "header-json",
      "JSON header is not valid JSON (",
    ],
    ["empty header", raw(""), "header-json", "JSON header is not valid JSON ("],
    ["header an array", raw("[1,2]"), "header-not-object", "JSON header is not an object"],
    ["header a string", raw('"hi"'), "header-not-object", "JSON header is not an object"],
    ["header null", raw("null"), "header-not-object", "JSON header is not an object"],
    [
      "missing byteorder",
      good({ byteorder: undefined }),
      "missing-field",
      'JSON header lacks "byteorder"',
    ],
    [
      "missing content-length",
      raw('{"byteorder":"big","content-type":"a","content-encoding":"b"}'),
      "missing-field",
      'JSON header lacks "content-length"',
    ],
    [
      "missing content-type",
      raw('{"byteorder":"big","content-encoding":"b","content-length":0}'),
      "missing-field",
      'JSON header lacks "content-type"',
    ],
    [
      "missing content-encoding",
      raw('{"byteorder":"big","content-type":"a","content-length":0}'),
      "missing-field",
      'JSON header lacks "content-encoding"',
    ],
    [
      "byteorder wrong",
      good({ byteorder: "middle" }),
      "field-type",
      '"byteorder" must be "little" or "big", not "middle"',
    ],
    [
      "content-type a number",
      good({ "content-type": 7 }),
      "field-type",
      '"content-type" must be a string, not 7',
    ],
    [
      "content-encoding null",
      good({ "content-encoding": null }),
      "field-type",
      '"content-encoding" must be a string, not null',
    ],
    [
      "content-length a string",
      good({ "content-length": "2" }),
      "field-type",
      '"content-length" must be a non-negative integer, not "2"',
    ],
    [
      "content-length negative",
      good({ "content-length": -1 }),
      "field-type",
      '"content-length" must be a non-negative integer, not -1',
    ],
    [
      "content-length fractional",
      good({ "content-length": 1.5 }),
      "field-type",
      '"content-length" must be a non-negative integer, not 1.5',
    ],
    [
      "content-length above the limit",
      good({ "content-length": (1 << 20) + 1 }),
      "too-large",
      "content-length 1048577 exceeds the limit of 1048576 bytes",
    ],
    [
      "text/json in latin-1",
      good({ "content-encoding": "latin-1" }),
      "text-encoding",
      'content-encoding "latin-1" is not supported for text/json (use utf-8)',
    ],
    [
      "content not UTF-8",
      raw(
        '{"byteorder":"big","content-type":"text/json","content-encoding":"utf-8","content-length":3}',
        new Uint8Array([0x7b, 0xff, 0x7d]),
      ),
      "content-utf8",
      "text/json content is not valid UTF-8",
    ],
    [
      "content not JSON",
      good({}, "search ring"),
      "content-json",
      "text/json content is not valid JSON (",
    ],
    [
      "content an array",
      good({}, "[1]"),
      "content-not-object",
      "text/json content is not a JSON object",
    ],
    [
      "content a number",
      good({}, "42"),
      "content-not-object",
      "text/json content is not a JSON object",
    ],
  ];
  for (const [name, wire, kind, reason] of cases) {
    const got = decode(wire, []);
    assert.equal(got.error, kind, name);
    assert.equal(got.messages.length, 0, name);
    const d = new FrameDecoder(1 << 20);
    d.feed(wire, 0, wire.length);
    const said = d.error?.reason ?? "";
    // The parser's own words follow, whole on one line.
    if (reason.endsWith("(")) {
      const whole = said.startsWith(reason) && said.endsWith(")") && !said.includes("\n");
      assert.ok(whole && said.length > reason.length + 8, `${name}: ${said}`);
    } else assert.equal(said, reason, name);
  }
});

Deno.test("frame: long values are cut in reasons; utf8 in any case is utf-8; long headers take two length bytes", () => {
  const d = new FrameDecoder(1 << 20);
  const bad = raw(JSON.stringify({
    byteorder: "x".repeat(50),
    "content-type": "a",
    "content-encoding": "b",
    "content-length": 0,
  }));
  d.feed(bad, 0, bad.length);
  assert.equal(d.error?.reason, `"byteorder" must be "little" or "big", not "${"x".repeat(36)}...`);
  const edge = new FrameDecoder(1 << 20);
  const forty = raw(JSON.stringify({
    byteorder: "y".repeat(38),
    "content-type": "a",
    "content-encoding": "b",
    "content-length": 0,
  }));
  edge.feed(forty, 0, forty.length);
  assert.equal(
    edge.error?.reason,
    `"byteorder" must be "little" or "big", not "${"y".repeat(38)}"`,
  );
  for (const encoding of ["UTF-8", "utf8", "Utf8"]) {
    const wire = raw(
      JSON.stringify({
        byteorder: "big",
        "content-type": "text/json",
        "content-encoding": encoding,
        "content-length": 2,
      }),
      text.encode("{}"),
    );
    assert.equal(decode(wire, []).error, null, encoding);
  }
  const q = new ByteQueue();
  const type = "binary/" + "t".repeat(300);
  encodeFrame(q, type, "binary", text.encode("abc"));
  const wire = drain(q);
  const length = (wire[0] << 8) | wire[1];
  assert.ok(wire[0] > 0, "a header of over 255 bytes");
  assert.equal(length, wire.length - 2 - 3);
  const got = decode(wire, [1, 200]);
  assert.equal(got.messages[0].type, type);
  assert.deepEqual(got.messages[0].content, text.encode("abc"));
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

Deno.test("frame: random garbage decodes the same however it is cut, and stops at its first error", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (junk, cuts) => {
        const whole = decode(junk, [], 256);
        assert.deepEqual(decode(junk, cuts, 256), whole, "cut or whole, the same outcome");
        // Fed again after an error, the decoder takes nothing: framing is lost for good.
        const d = new FrameDecoder(256);
        let at = 0;
        while (at < junk.length && d.error === null) at = d.feed(junk, at, junk.length);
        if (d.error !== null) assert.equal(d.feed(junk, at, junk.length), at);
        else assert.equal(at, junk.length, "without an error, every byte is taken");
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("frame: a header that is not JSON, or not an object, is named as such", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      let parsed: unknown, json = true;
      try {
        parsed = JSON.parse(s);
      } catch {
        json = false;
      }
      const got = decode(raw(s), []);
      if (!json) assert.equal(got.error, "header-json");
      else if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        assert.equal(got.error, "header-not-object");
      } else assert.equal(got.error, "missing-field");
    }),
    { numRuns: 1000 },
  );
});

Deno.test("frame: content-length exactly at the limit is accepted; one more is refused", () => {
  const header = (length: number) =>
    raw(JSON.stringify({
      byteorder: "big",
      "content-type": "binary/x",
      "content-encoding": "binary",
      "content-length": length,
    }));
  const at = decode(concat([header(256), new Uint8Array(256)]), [], 256);
  assert.equal(at.error, null);
  assert.equal(at.messages[0].content.length, 256);
  assert.equal(decode(header(257), [], 256).error, "too-large");
  const zero = decode(header(0), [], 0);
  assert.equal(zero.error, null);
  assert.equal(zero.messages.length, 1, "an empty content completes at once");
});

Deno.test("frame: content is held as it arrives, never allocated whole from the declared length", () => {
  const whole = frameBytes("binary/x", "binary", bytes(1_000_000));
  const d = new FrameDecoder(16 << 20);
  assert.equal(d.buffered, 0, "nothing held before any byte");
  d.drop(); // nothing to let go of: no harm
  const headerEnd = whole.length - 1_000_000;
  let at = d.feed(whole, 0, headerEnd + 100);
  assert.equal(d.part, "content");
  assert.equal(d.buffered, 4096, "100 bytes in: the smallest room");
  for (let fed = 100; fed < 500_000; fed += 7000) {
    at = d.feed(whole, at, headerEnd + fed + 7000);
    assert.ok(d.buffered <= 2 * (fed + 7000), `${d.buffered} held for ${fed + 7000} bytes`);
  }
  d.feed(whole, at, whole.length);
  assert.deepEqual(d.message!.content, bytes(1_000_000));
  assert.equal(d.buffered, 0, "nothing held once the message is out");
});

Deno.test("frame: drop lets go of a part held so far", () => {
  const whole = frameBytes("binary/x", "binary", bytes(100_000));
  const d = new FrameDecoder(1 << 20);
  d.feed(whole, 0, 50_000);
  assert.ok(d.buffered >= 40_000, `${d.buffered} held`);
  d.drop();
  assert.equal(d.buffered, 0);
});

Deno.test("frame decoder: keep holds only the start of a content; the message completes after all of it", () => {
  const wire = concat([
    frameBytes("binary/x", "binary", text.encode("abcdefgh")),
    frameBytes("text/json", "utf-8", text.encode('{"action":"search","value":"ring"}')),
  ]);
  for (const step of [1, 5, wire.length]) {
    const decoder = new FrameDecoder(
      1 << 20,
      (h) => h["content-type"] === "text/json" ? Infinity : 3,
    );
    const got: [number, string][] = [];
    let at = 0;
    while (at < wire.length) {
      const end = Math.min(wire.length, at + step);
      at = decoder.feed(wire, at, end);
      const m = decoder.message;
      if (m !== null) got.push([m.header["content-length"], new TextDecoder().decode(m.content)]);
      if (at === end) continue;
      assert.notEqual(m, null, "it stops early only at a message");
    }
    assert.deepEqual(got, [[8, "abc"], [34, '{"action":"search","value":"ring"}']], `step ${step}`);
  }
  const none = new FrameDecoder(1 << 20, () => 0);
  const first = frameBytes("binary/x", "binary", text.encode("abcdefgh"));
  assert.equal(none.feed(first, 0, first.length - 1), first.length - 1);
  assert.equal(none.message, null, "one byte of content still to come");
  none.feed(first, first.length - 1, first.length);
  const last = none.message as { content: Uint8Array } | null;
  assert.deepEqual(last?.content, new Uint8Array(0));
});
