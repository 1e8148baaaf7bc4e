import assert from "node:assert/strict";
import { AppClient } from "../../client/app.ts";
import { type AppRequest, binaryRequest, searchRequest } from "../../client/app_request.ts";
import { runClients, type RunResult } from "../../client/connect.ts";
import { type Frame, frameBytes, FrameDecoder } from "../../lib/frame.ts";
import { Meter } from "../../client/meter.ts";
import { random, ServerPeer } from "../fake_stream.ts";

/** A fake app server: decodes what is written and answers each request with `reply(frame)`. */
function appServer(reply: (request: Frame) => Uint8Array): (written: Uint8Array) => Uint8Array {
  const decoder = new FrameDecoder(1 << 20);
  return (written) => {
    const out: number[] = [];
    let at = 0;
    while (at < written.length) {
      at = decoder.feed(written, at, written.length);
      if (decoder.error) throw new Error(decoder.error.reason);
      if (decoder.message) out.push(...reply(decoder.message));
    }
    return new Uint8Array(out);
  };
}

function encoded(type: string, content: Uint8Array): Uint8Array {
  return frameBytes(type, type === "text/json" ? "utf-8" : "binary", content);
}

const text = new TextEncoder();

/** The right replies, written out from PROTOCOL.md, by request content. */
const RIGHT: Record<string, [string, string]> = {
  '{"action":"search","value":"ring"}': [
    "text/json",
    '{"result":"In the caves beneath the Misty Mountains. 💍"}',
  ],
  '{"action":"search","value":"🐶"}': ["text/json", '{"result":"🐾 Playing ball! 🏐"}'],
  '{"action":"search","value":"nothing"}': [
    "text/json",
    '{"result":"No match for \\"nothing\\"."}',
  ],
  "hello world 123": ["binary/custom-server-binary-type", "First 10 bytes of request: hello worl"],
  "hi": ["binary/custom-server-binary-type", "First 10 bytes of request: hi"],
};

const rightly = (request: Frame) => {
  const [type, content] = RIGHT[new TextDecoder().decode(request.content)];
  return encoded(type, text.encode(content));
};

function run(
  request: AppRequest,
  options: {
    conns: number;
    perConnection: number;
    depth: number;
    seed: number;
    first?: number;
    maxRead?: number;
  },
  reply: (request: Frame) => Uint8Array = rightly,
  peer: { closeAfter?: number } = {},
): Promise<RunResult> {
  const rand = random(options.seed);
  const meter = new Meter(0);
  return runClients({
    address: "127.0.0.1:9",
    conns: options.conns,
    meter,
    dial: () =>
      Promise.resolve(
        new ServerPeer({ rand, maxRead: options.maxRead ?? 23, maxWrite: 37 }, {
          respond: appServer(reply),
          ...peer,
        }),
      ),
    first: (i) =>
      new AppClient(
        i,
        request,
        options.first ?? 0,
        options.perConnection,
        options.depth,
        meter,
        null,
        null,
      ),
  });
}

Deno.test("app client: pipelined requests over short reads and partial writes are all verified", async () => {
  for (
    const request of [
      searchRequest("ring"),
      searchRequest("🐶"),
      searchRequest("nothing"),
      binaryRequest("hello world 123"),
      binaryRequest("hi"),
    ]
  ) {
    const result = await run(request, { conns: 5, perConnection: 40, depth: 7, seed: 3 });
    assert.equal(result.failure, null, request.description);
    assert.equal(result.report.messages, 200);
  }
});

Deno.test("app client: a wrong answer, an error reply and a malformed reply each fail with a reason", async () => {
  const cases: [(r: Frame) => Uint8Array, string][] = [
    [
      () => encoded("text/json", text.encode('{"result":"nope"}')),
      'wrong answer: got "nope", expected "In the caves beneath the Misty Mountains. 💍"',
    ],
    [
      () => encoded("text/json", text.encode('{"error":"busy"}')),
      "server answered with an error: busy",
    ],
    [
      () => new Uint8Array([0, 2, 0x7b, 0x7d]),
      'the reply is not an app-protocol message (JSON header lacks "byteorder"); is the server running "--protocol app"?',
    ],
    [() => encoded("image/png", new Uint8Array(3)), "expected a text/json reply, got image/png"],
    [
      () =>
        encoded(
          "text/json",
          text.encode('{"result":"In the caves beneath the Misty Mountains. 💍","error":"busy"}'),
        ),
      "server answered with an error: busy",
    ],
    [
      () => encoded("text/json", text.encode('{"answer":"ring"}')),
      'the reply has no "result": {"answer":"ring"}',
    ],
    [
      (r) => encoded("text/json", r.content),
      'the server sent the request back unchanged: is it an echo server, not "--protocol app"?',
    ],
    // The request's bytes under another type: not an echo.
    [(r) => encoded("binary/x", r.content), "expected a text/json reply, got binary/x"],
  ];
  for (const [reply, reason] of cases) {
    const result = await run(searchRequest("ring"), {
      conns: 1,
      perConnection: 1,
      depth: 1,
      seed: 4,
    }, reply);
    assert.equal(result.failure, `127.0.0.1:9: connection 1: ${reason}`);
    assert.equal(result.report.errors, 1);
  }
});

Deno.test("app client: a binary request's reply is checked byte for byte", async () => {
  const cases: [(r: Frame) => Uint8Array, string][] = [
    [
      () =>
        encoded(
          "binary/custom-server-binary-type",
          text.encode("First 10 bytes of request: hello worm"),
        ),
      'wrong answer: got "First 10 bytes of request: hello worm"',
    ],
    [
      () =>
        encoded(
          "binary/custom-server-binary-type",
          text.encode("First 10 bytes of request: hello wor"),
        ),
      'wrong answer: got "First 10 bytes of request: hello wor"',
    ],
    [
      () => encoded("text/json", text.encode('{"result":"x"}')),
      "expected a binary/custom-server-binary-type reply, got text/json",
    ],
    [
      () => encoded("text/json", text.encode('{"error":"busy"}')),
      "server answered with an error: busy",
    ],
    [
      (r) => encoded("binary/custom-client-binary-type", r.content),
      'the server sent the request back unchanged: is it an echo server, not "--protocol app"?',
    ],
  ];
  for (const [reply, reason] of cases) {
    const result = await run(binaryRequest("hello world 123"), {
      conns: 1,
      perConnection: 1,
      depth: 1,
      seed: 5,
    }, reply);
    assert.equal(result.failure, `127.0.0.1:9: connection 1: ${reason}`);
  }
});

Deno.test("app client: requests go out as PROTOCOL.md frames them, and describe themselves", () => {
  const decode = (wire: Uint8Array) => {
    const d = new FrameDecoder(1 << 20);
    d.feed(wire, 0, wire.length);
    const { byteorder: _, ...header } = d.message!.header;
    return [header, new TextDecoder().decode(d.message!.content)];
  };
  const search = searchRequest("ring");
  assert.deepEqual(decode(search.wire), [
    { "content-type": "text/json", "content-encoding": "utf-8", "content-length": 34 },
    '{"action":"search","value":"ring"}',
  ]);
  assert.equal(search.description, 'search "ring"');
  const binary = binaryRequest("hello world 123");
  assert.deepEqual(decode(binary.wire), [
    {
      "content-type": "binary/custom-client-binary-type",
      "content-encoding": "binary",
      "content-length": 15,
    },
    "hello world 123",
  ]);
  assert.equal(binary.description, "binary 15 bytes");
});

Deno.test("app client: a long reply without a result is cut at 80 characters", async () => {
  const long = JSON.stringify({ answer: "x".repeat(200) });
  const result = await run(
    searchRequest("ring"),
    { conns: 1, perConnection: 1, depth: 1, seed: 6 },
    () => encoded("text/json", text.encode(long)),
  );
  assert.equal(
    result.failure,
    `127.0.0.1:9: connection 1: the reply has no "result": ${long.slice(0, 80)}`,
  );
});

Deno.test("app client: a server that closes first is told by the request it left unanswered", async () => {
  // It answers one request, then closes: requests 6 and 7 of the run went unanswered.
  const reply = encoded("text/json", text.encode(RIGHT['{"action":"search","value":"ring"}'][1]));
  const result = await run(
    searchRequest("ring"),
    { conns: 1, perConnection: 3, depth: 1, seed: 7, first: 5 },
    rightly,
    { closeAfter: reply.length },
  );
  assert.equal(
    result.failure,
    "127.0.0.1:9: connection 1: server closed the connection before answering request 7",
  );
});

Deno.test("app client: after its last reply it judges nothing more the server sends", async () => {
  const twice = (request: Frame) => {
    const one = rightly(request);
    const both = new Uint8Array(one.length * 2);
    both.set(one);
    both.set(one, one.length);
    return both;
  };
  const result = await run(
    searchRequest("ring"),
    // Both replies in one read: the second is there to be judged, and is not.
    { conns: 1, perConnection: 1, depth: 1, seed: 8, maxRead: 100_000 },
    twice,
  );
  assert.equal(result.failure, null);
  assert.equal(result.report.messages, 1);
});
