import assert from "node:assert/strict";
import { encodeResponse, HttpDecoder } from "../../lib/http_codec.ts";
import { random } from "../fake_stream.ts";

const wire = (s: string) => new TextEncoder().encode(s);
const TWO =
  "POST /proxies/a%20b/toxics?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" +
  'Content-Length: 13\r\n\r\n{"name":"ü"}' + "GET /version HTTP/1.1\r\nConnection: close\r\n\r\n";

/** Feeds `bytes` in random pieces of 1..max; returns each request read and the error, if any. */
function readAll(bytes: Uint8Array, max: number, seed: number, decoder = new HttpDecoder()) {
  const rand = random(seed), requests = [];
  for (let at = 0; at < bytes.length && decoder.error === null;) {
    const end = Math.min(bytes.length, at + 1 + Math.floor(rand() * max));
    while (at < end && decoder.error === null) {
      at = decoder.feed(bytes, at, end);
      if (decoder.request !== null) {
        requests.push(decoder.request);
        decoder.next();
      }
    }
  }
  return { requests, error: decoder.error };
}

Deno.test("http codec: requests in any pieces come out whole, one after another, body and all", () => {
  for (const max of [1, 2, 7, 64, 10_000]) {
    for (const seed of [1, 2, 3]) {
      const { requests, error } = readAll(wire(TWO), max, seed);
      assert.equal(error, null);
      assert.equal(requests.length, 2, `pieces of up to ${max}`);
      const [post, get] = requests;
      assert.equal(post.method, "POST");
      assert.equal(post.path, "/proxies/a b/toxics");
      assert.equal(post.body, '{"name":"ü"}');
      assert.equal(post.headers.get("content-type"), "application/json");
      assert.equal(post.keepAlive, true);
      assert.deepEqual([get.method, get.path, get.body, get.keepAlive], [
        "GET",
        "/version",
        "",
        false,
      ]);
    }
  }
});

Deno.test("http codec: HTTP/1.0 closes unless it asks to keep alive", () => {
  const one = readAll(wire("GET / HTTP/1.0\r\n\r\n"), 100, 1).requests[0];
  assert.equal(one.keepAlive, false);
  const kept = readAll(wire("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 100, 1);
  assert.equal(kept.requests[0].keepAlive, true);
});

Deno.test("http codec: what cannot be a request is refused with its status and why", () => {
  const cases: [string, number, string][] = [
    ["GET /\r\n\r\n", 400, 'bad request line: "GET /"'],
    ["GET x HTTP/1.1\r\n\r\n", 400, 'bad request line: "GET x HTTP/1.1"'],
    ["GET / HTTP/2.0\r\n\r\n", 505, "HTTP version not supported: HTTP/2.0"],
    ["GET / HTTP/1.1\r\nno colon\r\n\r\n", 400, 'bad header line: "no colon"'],
    ["GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400, 'bad header line: ": empty name"'],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      501,
      "Transfer-Encoding is not supported: send Content-Length",
    ],
    ["POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length: -1"],
    ["POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400, "bad Content-Length: 1e3"],
    [
      "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n",
      413,
      "body of 1048577 bytes is over 1048576",
    ],
    ["GET /%zz HTTP/1.1\r\n\r\n", 400, "bad path: /%zz"],
    ["POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n\xff", 400, "body is not UTF-8"],
  ];
  for (const [request, status, reason] of cases) {
    const bytes = request.includes("\xff")
      ? Uint8Array.from([...request].map((c) => c.charCodeAt(0)))
      : wire(request);
    const { requests, error } = readAll(bytes, 5, 1);
    assert.deepEqual(requests, [], request);
    assert.deepEqual(error, { status, reason }, request);
  }
  const latin = Uint8Array.from([...wire("GET /"), 0xff, ...wire(" HTTP/1.1\r\n\r\n")]);
  assert.deepEqual(readAll(latin, 5, 1).error, {
    status: 400,
    reason: "request head is not UTF-8",
  });
});

Deno.test("http codec: a head past its bound is refused as soon as it is too long, ended or not", () => {
  const endless = wire("GET / HTTP/1.1\r\nX: " + "a".repeat(200));
  const small = new HttpDecoder({ maxHead: 100 });
  const stopped = small.feed(endless, 0, endless.length);
  assert.ok(stopped <= endless.length);
  assert.deepEqual(small.error, { status: 431, reason: "request head too large" });
  const ended = wire("GET / HTTP/1.1\r\nX: " + "a".repeat(90) + "\r\n\r\n");
  const atOnce = new HttpDecoder({ maxHead: 100 });
  atOnce.feed(ended, 0, ended.length);
  assert.deepEqual(atOnce.error, { status: 431, reason: "request head too large" });
  const fits = wire("GET / HTTP/1.1\r\nX: " + "a".repeat(60) + "\r\n\r\n");
  assert.equal(readAll(fits, 3, 1, new HttpDecoder({ maxHead: 100 })).requests.length, 1);
});

Deno.test("http codec: feed stops where a request ends, leaving the next one's bytes", () => {
  const bytes = wire(TWO);
  const decoder = new HttpDecoder();
  const first = decoder.feed(bytes, 0, bytes.length);
  assert.equal(new TextDecoder().decode(bytes.subarray(first, first + 12)), "GET /version");
  assert.equal(decoder.feed(bytes, first, bytes.length), first, "nothing more until next()");
  decoder.next();
  assert.equal(decoder.feed(bytes, first, bytes.length), bytes.length);
  assert.equal(decoder.request?.path, "/version");
});

Deno.test("http codec: responses carry their status, type, length and, when asked, Connection: close", () => {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(
    text(encodeResponse(201, '{"a":"é"}', true)),
    'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"é"}',
  );
  assert.equal(
    text(encodeResponse(204, null, false)),
    "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
  );
  assert.equal(
    text(encodeResponse(404, null, true)),
    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
  );
  assert.equal(
    text(encodeResponse(599, null, true)),
    "HTTP/1.1 599 Unknown\r\nContent-Length: 0\r\n\r\n",
  );
});
