/**
 * The relay's Toxiproxy API, driven by Toxiproxy's own npm client
 * (unchanged) and by plain HTTP for the status codes and error bodies.
 */
import assert from "node:assert/strict";
import { Toxiproxy } from "toxiproxy-node-client";
import { ApiError } from "../../relay/api_error.ts";
import type { ProxyHost } from "../../relay/proxy_table.ts";
import { ProxyTable } from "../../relay/proxy_table.ts";
import { answerApi } from "../../relay/toxiproxy_api.ts";
import { startApi } from "./api_harness.ts";

/** Sends `text` through the proxy at `address` and reads it back (the upstream echoes). */
async function roundTrip(address: string, text: string): Promise<string> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const bytes = new TextEncoder().encode(text);
    await conn.write(bytes);
    const got = new Uint8Array(bytes.length);
    for (let at = 0; at < got.length;) {
      const n = await conn.read(got.subarray(at));
      if (n === null) throw new Error(`closed after ${at} bytes`);
      at += n;
    }
    return new TextDecoder().decode(got);
  } finally {
    conn.close();
  }
}

/** The status and JSON body of one plain request. */
async function call(url: string, method: string, body?: string, headers: HeadersInit = {}) {
  const res = await fetch(url, { method, body, headers });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

Deno.test("relay api: the Toxiproxy client makes, lists, changes and deletes a proxy; bytes pass", async () => {
  const run = startApi();
  try {
    const client = new Toxiproxy(run.url);
    const proxy = await client.createProxy({
      name: "echo",
      listen: "127.0.0.1:0",
      upstream: run.echo,
    });
    assert.equal(proxy.name, "echo");
    assert.match(proxy.listen, /^127\.0\.0\.1:[1-9]\d*$/, "the port bound, not 0");
    assert.equal(proxy.upstream, run.echo);
    assert.equal(proxy.enabled, true);
    assert.equal(
      await roundTrip(proxy.listen, "hello through the proxy"),
      "hello through the proxy",
    );
    assert.deepEqual(Object.keys(await client.getAll()), ["echo"]);
    assert.equal((await client.get("echo")).listen, proxy.listen);
    const disabled = await proxy.update({
      enabled: false,
      listen: proxy.listen,
      upstream: proxy.upstream,
    });
    assert.equal(disabled.enabled, false);
    await assert.rejects(roundTrip(proxy.listen, "x"), "a disabled proxy does not listen");
    const again = await disabled.update({
      enabled: true,
      listen: proxy.listen,
      upstream: run.echo,
    });
    assert.equal(await roundTrip(again.listen, "back"), "back");
    await again.remove();
    assert.deepEqual(await client.getAll(), {});
    await assert.rejects(client.get("echo"), /status code 404/);
  } finally {
    await run.stop();
  }
});

Deno.test("relay api: populate makes or replaces proxies; reset enables all and clears toxics; version", async () => {
  const run = startApi();
  try {
    const client = new Toxiproxy(run.url);
    const made = await client.populate([
      { name: "a", listen: "127.0.0.1:0", upstream: run.echo },
      { name: "b", listen: "127.0.0.1:0", upstream: run.echo, enabled: false },
    ]);
    assert.deepEqual(Object.keys(made).sort(), ["a", "b"]);
    assert.equal(made.b.enabled, false);
    await made.a.addToxic({
      name: "slow",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 10, jitter: 0 },
    });
    await client.reset();
    const all = await client.getAll();
    assert.equal(all.b.enabled, true);
    assert.deepEqual((await call(`${run.url}/proxies/a/toxics`, "GET")).body, []);
    assert.equal(await roundTrip(all.b.listen, "b works"), "b works");
    assert.equal(await client.getVersion(), '{"version":"2.12.0-sockdemo"}');
  } finally {
    await run.stop();
  }
});

Deno.test("relay api: toxics are added, listed, read, changed and removed through the client", async () => {
  const run = startApi();
  try {
    const proxy = await new Toxiproxy(run.url).createProxy({
      name: "p",
      listen: "127.0.0.1:0",
      upstream: run.echo,
    });
    const toxic = await proxy.addToxic({
      name: "lag",
      type: "latency",
      stream: "upstream",
      toxicity: 0.5,
      attributes: { latency: 100, jitter: 5 },
    });
    assert.deepEqual(toxic.toJson(), {
      name: "lag",
      type: "latency",
      stream: "upstream",
      toxicity: 0.5,
      attributes: { latency: 100, jitter: 5 },
    });
    const read = await proxy.getToxic<{ latency: number; jitter: number }>("lag");
    assert.equal(read.attributes.latency, 100);
    const changed = await read.update({ ...read.toJson(), attributes: { latency: 50, jitter: 5 } });
    assert.deepEqual(changed.attributes, { latency: 50, jitter: 5 });
    const listed = (await call(`${run.url}/proxies/p/toxics`, "GET")).body;
    assert.deepEqual(listed.map((t: { name: string }) => t.name), ["lag"]);
    await changed.remove();
    assert.deepEqual((await call(`${run.url}/proxies/p`, "GET")).body.toxics, []);
  } finally {
    await run.stop();
  }
});

Deno.test("relay api: every wrong request is a 4xx with Toxiproxy's error body, and the relay goes on", async () => {
  const run = startApi();
  try {
    const u = run.url, echo = run.echo;
    const proxy = JSON.stringify({ name: "p", listen: "127.0.0.1:0", upstream: echo });
    assert.equal((await call(`${u}/proxies`, "POST", proxy)).status, 201);
    const cases: [string, string, string | undefined, number, string][] = [
      ["GET", "/proxies/nope", undefined, 404, "proxy not found"],
      ["POST", "/proxies", proxy, 409, "proxy already exists"],
      [
        "POST",
        "/proxies",
        "{",
        400,
        "bad request body: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
      ],
      [
        "POST",
        "/proxies",
        JSON.stringify({ listen: "127.0.0.1:0", upstream: echo }),
        400,
        "missing required field: name",
      ],
      ["POST", "/proxies", JSON.stringify({ name: "q" }), 400, "missing required field: upstream"],
      [
        "POST",
        "/proxies",
        JSON.stringify({ name: "q", upstream: "nowhere" }),
        400,
        'upstream must be HOST:PORT, not "nowhere"',
      ],
      [
        "POST",
        "/proxies",
        JSON.stringify({ name: "q", upstream: echo, enabled: "yes" }),
        400,
        "enabled must be true or false",
      ],
      [
        "POST",
        "/proxies",
        JSON.stringify({ name: "q", upstream: echo, colour: 1 }),
        400,
        "unknown field for a proxy: colour (known: name, listen, upstream, enabled, toxics)",
      ],
      [
        "PATCH",
        "/proxies/p",
        JSON.stringify({ name: "r" }),
        400,
        "a proxy's name cannot change (p)",
      ],
      ["GET", "/proxies/p/toxics/nope", undefined, 404, "toxic not found"],
      ["DELETE", "/proxies/p/toxics/nope", undefined, 404, "toxic not found"],
      [
        "POST",
        "/proxies/p/toxics",
        JSON.stringify({ type: "bandwidth", attributes: { rate: -1 } }),
        400,
        "bandwidth rate must be a whole number of KB/s from 1 to 1000000000, not -1",
      ],
      ["POST", "/proxies/nope/toxics", JSON.stringify({ type: "noop" }), 404, "proxy not found"],
      [
        "POST",
        "/populate",
        JSON.stringify({ name: "p" }),
        400,
        "bad request body: populate takes a JSON array of proxies",
      ],
      ["PUT", "/proxies", undefined, 405, "method not allowed: PUT"],
      ["GET", "/nowhere", undefined, 404, "no such route: GET /nowhere"],
      ["GET", "/version/x", undefined, 404, "no such route: GET /version/x"],
      ["POST", "/reset/x", undefined, 404, "no such route: POST /reset/x"],
      ["POST", "/populate/x", "[]", 404, "no such route: POST /populate/x"],
      ["GET", "/other/p", undefined, 404, "no such route: GET /other/p"],
      ["GET", "/other/p/toxics", undefined, 404, "no such route: GET /other/p/toxics"],
      ["GET", "/proxies/p/other", undefined, 404, "no such route: GET /proxies/p/other"],
      ["GET", "/other/p/toxics/t", undefined, 404, "no such route: GET /other/p/toxics/t"],
      ["GET", "/proxies/p/other/t", undefined, 404, "no such route: GET /proxies/p/other/t"],
      ["GET", "/proxies/p/toxics/t/x", undefined, 404, "no such route: GET /proxies/p/toxics/t/x"],
      ["PUT", "/version", undefined, 405, "method not allowed: PUT"],
      ["GET", "/reset", undefined, 405, "method not allowed: GET"],
      ["GET", "/populate", undefined, 405, "method not allowed: GET"],
      ["PUT", "/proxies/p", undefined, 405, "method not allowed: PUT"],
      ["DELETE", "/proxies/p/toxics", undefined, 405, "method not allowed: DELETE"],
      ["PUT", "/proxies/p/toxics/t", undefined, 405, "method not allowed: PUT"],
    ];
    for (const [method, path, body, status, error] of cases) {
      assert.deepEqual(
        await call(`${u}${path}`, method, body),
        { status, body: { error, status } },
        `${method} ${path}`,
      );
    }
    const noop = JSON.stringify({ type: "noop" });
    assert.equal((await call(`${u}/proxies/p/toxics`, "POST", noop)).status, 200);
    assert.deepEqual(await call(`${u}/proxies/p/toxics`, "POST", noop), {
      status: 409,
      body: { error: "toxic already exists", status: 409 },
    });
    assert.deepEqual(
      await call(`${u}/version`, "GET", undefined, { "User-Agent": "Mozilla/5.0" }),
      {
        status: 403,
        body: { error: "User agent not allowed", status: 403 },
      },
    );
    assert.deepEqual(await call(`${u}/proxies/p/toxics/noop_downstream`, "DELETE"), {
      status: 204,
      body: null,
    });
    const listen = (await call(`${u}/proxies/p`, "GET")).body.listen;
    assert.equal(await roundTrip(listen, "still relaying"), "still relaying");
  } finally {
    await run.stop();
  }
});

Deno.test("relay api: a proxy disabled or deleted closes its open connections; one on a port in use is a 500", async () => {
  const run = startApi();
  try {
    const client = new Toxiproxy(run.url);
    const proxy = await client.createProxy({
      name: "p",
      listen: "127.0.0.1:0",
      upstream: run.echo,
    });
    const [hostname, port] = proxy.listen.split(":");
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(new Uint8Array([1]));
    assert.equal(await conn.read(new Uint8Array(1)), 1);
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: run.echo });
    const after = await Promise.race([
      conn.read(new Uint8Array(1)).catch(() => null),
      new Promise((r) => setTimeout(() => r("still open after 2 s"), 2000)),
    ]);
    assert.equal(after, null, "the open connection was closed");
    conn.close();
    assert.ok(
      run.out.some((l) => /closed 127\.0\.0\.1:\d+: .*the proxy was disabled/.test(l)),
      run.out.join("\n"),
    );
    const taken = await call(
      `${run.url}/proxies`,
      "POST",
      JSON.stringify({ name: "q", listen: run.echo, upstream: run.echo }),
    );
    assert.equal(taken.status, 500);
    assert.equal(taken.body.error, `cannot listen on ${run.echo}: address already in use`);
  } finally {
    await run.stop();
  }
});

Deno.test("relay api: PATCH changes a proxy or a toxic as POST does; a fault that is no API error is not hidden", async () => {
  const run = startApi();
  try {
    const u = run.url;
    await call(`${u}/proxies`, "POST", JSON.stringify({ name: "p", upstream: run.echo }));
    const proxy = await call(`${u}/proxies/p`, "PATCH", JSON.stringify({ enabled: false }));
    assert.equal(proxy.body.enabled, false);
    await call(`${u}/proxies/p/toxics`, "POST", JSON.stringify({ name: "t", type: "noop" }));
    const toxic = await call(`${u}/proxies/p/toxics/t`, "PATCH", JSON.stringify({ toxicity: 0.5 }));
    assert.deepEqual([toxic.status, toxic.body.toxicity], [200, 0.5]);
    const lines = run.out.filter((l) => l.startsWith("Proxy "));
    assert.match(lines[0], /^Proxy p listening on 127\.0\.0\.1:\d+, relaying to 127\.0\.0\.1:\d+$/);
  } finally {
    await run.stop();
  }
  const broken: ProxyHost = {
    open() {
      throw new TypeError("a bug");
    },
  };
  const request = {
    method: "POST",
    path: "/proxies",
    headers: new Map(),
    body: JSON.stringify({ name: "p", upstream: "127.0.0.1:7" }),
    keepAlive: true,
  };
  assert.throws(() => answerApi(new ProxyTable(broken), request), TypeError);
  const version = { ...request, method: "GET", path: "/version", body: "" };
  assert.deepEqual(answerApi(new ProxyTable(broken), version), {
    status: 200,
    body: '{"version":"2.12.0-sockdemo"}',
  }, "no User-Agent at all is no browser");
  assert.ok(new ApiError(404, "x") instanceof Error);
});

Deno.test("relay api: a proxy's first line carries its name, address and target as fields", async () => {
  const run = startApi(1, 5, "json");
  try {
    const made = await call(
      `${run.url}/proxies`,
      "POST",
      JSON.stringify({ name: "p", upstream: run.echo }),
    );
    const event = run.out.map((l) => JSON.parse(l)).find((e) => e.event === "proxy");
    assert.deepEqual(
      { proxy: event.proxy, address: event.address, target: event.target },
      { proxy: "p", address: made.body.listen, target: run.echo },
    );
  } finally {
    await run.stop();
  }
});
