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

Deno.test("http codec: a body and the next request fed together after the head are told apart", () => {
  const decoder = new HttpDecoder();
  const head = wire("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n");
  assert.equal(decoder.feed(head, 0, head.length), head.length);
  const request = () => decoder.request;
  assert.equal(request(), null);
  assert.equal(decoder.idle, false, "a head read, its body not yet");
  const rest = wire("hiGET /next HTTP/1.1\r\n\r\n");
  assert.equal(decoder.feed(rest, 0, rest.length), 2);
  assert.equal(request()?.body, "hi");
  assert.equal(decoder.idle, false, "a request not yet taken");
  decoder.next();
  assert.equal(decoder.idle, true);
  assert.equal(decoder.feed(rest, 2, 5), 5);
  assert.equal(decoder.idle, false, "part of the next head");
  decoder.feed(rest, 5, rest.length);
  assert.equal(request()?.path, "/next");
});

Deno.test("http codec: after an error nothing more is taken", () => {
  const decoder = new HttpDecoder({ maxHead: 20 });
  const long = wire("GET / HTTP/1.1\r\nX: " + "a".repeat(30));
  decoder.feed(long, 0, long.length);
  assert.equal(decoder.error?.status, 431);
  const more = wire("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  assert.equal(decoder.feed(more, 0, more.length), 0);
  assert.equal(decoder.request, null);
});

Deno.test("http codec: heads and bodies exactly at their bounds are read; a byte more is not", () => {
  const head = (n: number) => "GET / HTTP/1.1\r\nX: " + "a".repeat(n - 23) + "\r\n\r\n";
  assert.equal(head(100).length, 100);
  assert.equal(
    readAll(wire(head(100)), 1000, 1, new HttpDecoder({ maxHead: 100 })).requests.length,
    1,
  );
  assert.equal(
    readAll(wire(head(101)), 1000, 1, new HttpDecoder({ maxHead: 100 })).error?.status,
    431,
  );
  const unended = wire("GET / HTTP/1.1\r\nX: " + "a".repeat(100 - 19));
  assert.equal(unended.length, 100);
  const waiting = new HttpDecoder({ maxHead: 100 });
  waiting.feed(unended, 0, unended.length);
  const error = () => waiting.error;
  assert.equal(error(), null, "100 bytes and no end yet: not too large yet");
  waiting.feed(wire("a"), 0, 1);
  assert.equal(error()?.status, 431);
  const body = (n: number) => `POST / HTTP/1.1\r\nContent-Length: ${n}\r\n\r\n${"b".repeat(n)}`;
  assert.equal(
    readAll(wire(body(5000)), 7, 2, new HttpDecoder({ maxBody: 5000 })).requests[0].body.length,
    5000,
  );
  assert.deepEqual(readAll(wire(body(5001)), 7, 2, new HttpDecoder({ maxBody: 5000 })).error, {
    status: 413,
    reason: "body of 5001 bytes is over 5000",
  });
  const big = readAll(wire(body(100_000)), 100_000, 3, new HttpDecoder()).requests;
  assert.equal(big[0].body, "b".repeat(100_000), "read whole in one piece, past the first buffer");
});

Deno.test("http codec: the head ends at its first blank line, whatever CRs and LFs come before", () => {
  const alphabet = ["a", ":", " ", "\r", "\n", "\r\n"];
  let seed = 7;
  const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let run = 0; run < 300; run++) {
    let junk = "";
    for (let i = 0; i < 1 + rand() * 30; i++) {
      junk += alphabet[Math.floor(rand() * alphabet.length)];
    }
    const text = "GET / HTTP/1.1\r\nA: " + junk + "\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
    const end = text.indexOf("\r\n\r\n") + 4;
    const head = text.slice(0, end - 4).split("\r\n").slice(1);
    const wellFormed = head.every((line) => line.indexOf(":") > 0);
    const decoder = new HttpDecoder();
    const bytes = wire(text);
    const stopped = decoder.feed(bytes, 0, bytes.length);
    if (wellFormed) {
      assert.equal(stopped, end, JSON.stringify(junk));
      const expected = new Map(head.map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }));
      assert.deepEqual(decoder.request?.headers, expected, JSON.stringify(junk));
    } else {
      assert.equal(decoder.error?.status, 400, JSON.stringify(junk));
    }
  }
});

Deno.test("http codec: a long request line, version, header, length or path is cut to a readable size", () => {
  const reason = (request: string) => readAll(wire(request), 10_000, 1).error?.reason;
  const long = "x".repeat(200);
  assert.equal(
    reason(`GET ${long}\r\n\r\n`),
    `bad request line: ${JSON.stringify(`GET ${long}`.slice(0, 80))}`,
  );
  assert.equal(
    reason(`GET / HTTP/${long}\r\n\r\n`),
    `HTTP version not supported: ${`HTTP/${long}`.slice(0, 20)}`,
  );
  assert.equal(
    reason(`GET / HTTP/1.1\r\n${long}\r\n\r\n`),
    `bad header line: ${JSON.stringify(long.slice(0, 80))}`,
  );
  assert.equal(
    reason(`POST / HTTP/1.1\r\nContent-Length: ${long}\r\n\r\n`),
    `bad Content-Length: ${long.slice(0, 20)}`,
  );
  assert.equal(
    reason(`GET /%zz${long} HTTP/1.1\r\n\r\n`),
    `bad path: ${`/%zz${long}`.slice(0, 80)}`,
  );
  assert.equal(reason(" / HTTP/1.1\r\n\r\n"), 'bad request line: " / HTTP/1.1"', "no method");
  const spaced = readAll(wire("GET /?q=1 HTTP/1.1\r\n X-Name  :  v  \r\n\r\n"), 100, 1).requests[0];
  assert.equal(spaced.headers.get("x-name"), "v", "names and values trimmed, names lower-cased");
  assert.equal(spaced.path, "/", "the query is not the path");
});

Deno.test("http codec: every status the API sends carries its reason phrase", () => {
  const phrases: [number, string][] = [
    [200, "OK"],
    [201, "Created"],
    [204, "No Content"],
    [400, "Bad Request"],
    [403, "Forbidden"],
    [404, "Not Found"],
    [405, "Method Not Allowed"],
    [409, "Conflict"],
    [411, "Length Required"],
    [413, "Content Too Large"],
    [431, "Request Header Fields Too Large"],
    [500, "Internal Server Error"],
    [501, "Not Implemented"],
    [505, "HTTP Version Not Supported"],
  ];
  for (const [status, phrase] of phrases) {
    const line = new TextDecoder().decode(encodeResponse(status, null, true)).split("\r\n")[0];
    assert.equal(line, `HTTP/1.1 ${status} ${phrase}`);
  }
});

Deno.test("http codec: a head is searched in its own bytes, never in what the last request left", () => {
  // Fed a byte at a time, the second head's "\r\n\r" sits where the first's "\r\n\r\n" was.
  const both = wire("GET / HTTP/1.1\r\n\r\n" + "GET / HTTP/1.1\r\n\rX: y\r\n\r\n");
  const { requests, error } = readAll(both, 1, 1);
  assert.equal(error, null);
  assert.equal(requests.length, 2);
  assert.equal(requests[1].headers.get("x"), "y");
});
