import assert from "node:assert/strict";
import { rssKiB, runCommand, runSockdemo, ServerProcess } from "./sockdemo_process.ts";

const APP_CLIENT = new URL("./foreign/app_client.py", import.meta.url).pathname;
const encoder = new TextEncoder();

interface Reply {
  header: Record<string, unknown>;
  content: string;
}

/** Runs the foreign Python client; returns its replies and whether the server closed. */
async function python(
  port: number,
  ...args: string[]
): Promise<{ replies: Reply[]; closed: boolean }> {
  const r = await runCommand("python3", [APP_CLIENT, "127.0.0.1", String(port), ...args]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n").filter((l) => l !== "");
  const closed = lines.at(-1) === "closed";
  return { replies: (closed ? lines.slice(0, -1) : lines).map((l) => JSON.parse(l)), closed };
}

function result(reply: Reply): unknown {
  return JSON.parse(reply.content).result;
}

/** A raw message: 2-byte length, header bytes as given, content. */
function raw(header: string | Uint8Array, content: string | Uint8Array = ""): string {
  const h = typeof header === "string" ? encoder.encode(header) : header;
  const c = typeof content === "string" ? encoder.encode(content) : content;
  const bytes = new Uint8Array([h.length >> 8, h.length & 0xff, ...h, ...c]);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function header(fields: Record<string, unknown>, content = "{}"): string {
  return JSON.stringify({
    byteorder: "little",
    "content-type": "text/json",
    "content-encoding": "utf-8",
    "content-length": encoder.encode(content).length,
    ...fields,
  });
}

Deno.test("app serve: the guide's client bytes get PROTOCOL.md's answers", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const expected: [string, string][] = [
      ["morpheus", "Follow the white rabbit. 🐰"],
      ["ring", "In the caves beneath the Misty Mountains. 💍"],
      ["🐶", "🐾 Playing ball! 🏐"],
      ["nothing", 'No match for "nothing".'],
    ];
    for (const [value, answer] of expected) {
      const { replies } = await python(server.port, "search", value);
      assert.equal(replies.length, 1);
      assert.equal(replies[0].header["content-type"], "text/json");
      assert.equal(replies[0].header["content-encoding"], "utf-8");
      assert.equal(result(replies[0]), answer);
    }
    const { replies } = await python(server.port, "binary", "hello world 123");
    assert.deepEqual(replies[0].header, {
      byteorder: replies[0].header.byteorder,
      "content-type": "binary/custom-server-binary-type",
      "content-encoding": "binary",
      "content-length": 37,
    });
    assert.equal(replies[0].content, "First 10 bytes of request: hello worl");
  } finally {
    await server.stop();
  }
});

Deno.test("app serve: 200 pipelined requests on one connection are answered in order", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const { replies } = await python(server.port, "pipeline", "200");
    assert.equal(replies.length, 200);
    const answers = [
      "Follow the white rabbit. 🐰",
      "In the caves beneath the Misty Mountains. 💍",
      "🐾 Playing ball! 🏐",
      'No match for "nothing".',
    ];
    replies.forEach((r, i) => assert.equal(result(r), answers[i % 4], `reply ${i}`));
  } finally {
    await server.stop();
  }
});

Deno.test("app serve: a request sent one byte per write is answered", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const { replies } = await python(server.port, "bytewise", "ring");
    assert.equal(result(replies[0]), "In the caves beneath the Misty Mountains. 💍");
  } finally {
    await server.stop();
  }
});

Deno.test("app serve: every malformed case gets an error reply and a close; the next client is served", async () => {
  const server = await ServerProcess.start([
    "--protocol",
    "app",
    "--quiet",
    "--max-content",
    "1000",
  ]);
  const cases: [string, string, RegExp][] = [
    ["header not UTF-8", raw(new Uint8Array([0x7b, 0xff, 0x7d])), /not valid UTF-8/],
    ["header not JSON", raw("{byteorder}"), /JSON header is not valid JSON/],
    ["header not an object", raw("[1, 2]"), /JSON header is not an object/],
    [
      "field missing",
      raw('{"byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8"}'),
      /lacks "content-length"/,
    ],
    [
      "field of the wrong type",
      raw(header({ "content-type": 3 })),
      /"content-type" must be a string/,
    ],
    [
      "content-length negative",
      raw(header({ "content-length": -4 })),
      /"content-length" must be a non-negative integer, not -4/,
    ],
    ["content-length fractional", raw(header({ "content-length": 2.5 })), /not 2.5/],
    [
      "content-length above the limit",
      raw(header({ "content-length": 1001 })),
      /exceeds the limit of 1000 bytes/,
    ],
    [
      "unknown content-encoding for text/json",
      raw(header({ "content-encoding": "utf-16" }), "{}"),
      /"utf-16" is not supported for text\/json/,
    ],
    ["content not a JSON object", raw(header({}, '"ring"'), '"ring"'), /not a JSON object/],
    ["content not JSON", raw(header({}, "ring"), "ring"), /content is not valid JSON/],
  ];
  try {
    const r = await runCommand("python3", [
      APP_CLIENT,
      "127.0.0.1",
      String(server.port),
      "cases",
      ...cases.map((c) => c[1]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const outcomes = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(outcomes.length, cases.length);
    cases.forEach(([name, , reason], i) => {
      const { replies, closed, good } = outcomes[i];
      assert.equal(replies.length, 1, name);
      assert.equal(replies[0].header["content-type"], "text/json", name);
      const body = JSON.parse(replies[0].content);
      assert.deepEqual(Object.keys(body), ["error"], name);
      assert.match(body.error, reason, name);
      assert.ok(closed, `${name}: the server closes the connection`);
      assert.equal(result(good[0]), "Follow the white rabbit. 🐰", `the client after ${name}`);
    });
    // A good request, then garbage on the same connection: the good one is answered first.
    const mixed = await python(
      server.port,
      "raw",
      raw(
        header({}, '{"action": "search", "value": "ring"}'),
        '{"action": "search", "value": "ring"}',
      ) + "0002ffff",
    );
    assert.equal(result(mixed.replies[0]), "In the caves beneath the Misty Mountains. 💍");
    assert.match(JSON.parse(mixed.replies[1].content).error, /not valid UTF-8/);
    assert.ok(mixed.closed);
  } finally {
    const stopped = await server.stop();
    assert.equal(stopped.code, 0);
  }
});

Deno.test("app serve: 300 clients that send one byte and stop do not keep a good client waiting", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  const slow: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 300; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new Uint8Array([0]));
      slow.push(conn);
    }
    const { replies } = await python(server.port, "search", "ring");
    assert.equal(result(replies[0]), "In the caves beneath the Misty Mountains. 💍");
  } finally {
    for (const conn of slow) conn.close();
    await server.stop();
  }
});

Deno.test("app serve: a 50 MB body is refused unread, memory stays bounded, the next client is served", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const before = await rssKiB(server.pid);
    const { replies, closed } = await python(server.port, "body", "50000000");
    const after = await rssKiB(server.pid);
    assert.match(
      JSON.parse(replies[0].content).error,
      /content-length 50000000 exceeds the limit of 16777216 bytes/,
    );
    assert.ok(closed);
    // Nothing near the 50 MB was kept: the body was dropped as it arrived.
    assert.ok(after - before < 16 * 1024, `RSS grew by ${after - before} KiB`);
    const good = await python(server.port, "search", "morpheus");
    assert.equal(result(good.replies[0]), "Follow the white rabbit. 🐰");
  } finally {
    await server.stop();
  }
});

Deno.test("app connect: search prints the result alone; binary prints the reply", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const port = String(server.port);
    const ring = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      port,
      "search",
      "ring",
    ]);
    assert.equal(ring.code, 0, ring.stderr);
    assert.equal(ring.stdout, "In the caves beneath the Misty Mountains. 💍\n");
    const dog = await runSockdemo(["connect", "--protocol", "app", "--port", port, "search", "🐶"]);
    assert.equal(dog.stdout, "🐾 Playing ball! 🏐\n");
    const binary = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      port,
      "binary",
      "hello",
      "world",
      "123",
    ]);
    assert.equal(binary.stdout, "First 10 bytes of request: hello worl\n");
    // A request bigger than any one buffer goes out whole.
    const big = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      port,
      "binary",
      "y".repeat(100_000),
    ]);
    assert.equal(big.stdout, "First 10 bytes of request: yyyyyyyyyy\n", big.stderr);
    const verbose = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      port,
      "--verbose",
      "search",
      "ring",
    ]);
    assert.equal(verbose.stdout, "In the caves beneath the Misty Mountains. 💍\n");
    assert.match(
      verbose.stderr,
      /^sending to 127\.0\.0\.1:\d+: header \{"byteorder":"(little|big)","content-type":"text\/json","content-encoding":"utf-8","content-length":34\}$/m,
    );
    assert.match(
      verbose.stderr,
      /^sending to 127\.0\.0\.1:\d+: content \{"action":"search","value":"ring"\}$/m,
    );
    assert.match(
      verbose.stderr,
      /^received from 127\.0\.0\.1:\d+: content \{"result":"In the caves beneath the Misty Mountains\. 💍"\}$/m,
    );
  } finally {
    await server.stop();
  }
});

Deno.test("app connect: load mode, with and without keep-alive, checks every reply", async () => {
  const server = await ServerProcess.start(["--protocol", "app", "--quiet"]);
  try {
    const port = String(server.port);
    for (const extra of [[], ["--keep-alive"], ["--keep-alive", "--depth", "8"]]) {
      const r = await runSockdemo([
        "connect",
        "--protocol",
        "app",
        "--port",
        port,
        "--conns",
        "20",
        "--requests",
        "25",
        "--json",
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.messages, 500, extra.join(" "));
      assert.equal(report.errors, 0);
      assert.equal(report.conns, 20);
    }
  } finally {
    const stopped = await server.stop();
    // 20 x 25 connections without keep-alive, 20 each with it.
    assert.match(stopped.stdout, /^Stopped: 540 connections served/m);
  }
});

Deno.test("app connect: an error reply, or a server that is not an app server, exits 1 with one line", async () => {
  const strict = await ServerProcess.start(["--protocol", "app", "--quiet", "--max-content", "5"]);
  const echo = await ServerProcess.start(["--quiet"]);
  try {
    const refused = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      String(strict.port),
      "binary",
      "too long for it",
    ]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `sockdemo: 127.0.0.1:${strict.port}: connection 1: server answered with an error: content-length 15 exceeds the limit of 5 bytes\n`,
    );
    const wrong = await runSockdemo([
      "connect",
      "--protocol",
      "app",
      "--port",
      String(echo.port),
      "search",
      "ring",
    ]);
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `sockdemo: 127.0.0.1:${echo.port}: connection 1: the server sent the request back unchanged: is it an echo server, not "--protocol app"?\n`,
    );
  } finally {
    await strict.stop();
    await echo.stop();
  }
});
