/**
 * `relay --api --workers` in process: the API's thread and its workers as
 * one relay, a proxy reaching them all, and what it says when a worker
 * cannot start or cannot join a proxy.
 */
import assert from "node:assert/strict";
import type { RelayApiConfig } from "../../relay/api_relay.ts";
import { ApiWorkers } from "../../relay/api_workers.ts";
import { within } from "../sockdemo_process.ts";
import { captureLog } from "../harness.ts";
import { cEchoServer } from "../c_echo_server.ts";

const CONFIG: RelayApiConfig = {
  command: "relay-api",
  first: null,
  proxies: null,
  connectTimeout: 5,
  seed: 1,
  address: { transport: "tcp", host: "127.0.0.1", port: 0 },
  tls: null,
  maxConns: Infinity,
  maxBuffer: 0,
  idleTimeout: 0,
  drainTimeout: 10,
  verbosity: "normal",
  logFormat: "text",
  workers: 2,
  metrics: null,
};

/** `conns` connections through `port`, each echoing a byte; within 10 s, or the test fails. */
function echoThrough(port: number, conns: number): Promise<Deno.TcpConn[]> {
  return within(echoing(port, conns), 10_000, `${conns} echoes through ${port}`);
}

async function echoing(port: number, conns: number): Promise<Deno.TcpConn[]> {
  const open: Deno.TcpConn[] = [];
  for (let i = 0; i < conns; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new Uint8Array([i]));
    const got = new Uint8Array(1);
    assert.equal(await conn.read(got), 1);
    assert.equal(got[0], i);
    open.push(conn);
  }
  return open;
}

Deno.test("api workers: the API's thread and a worker relay one proxy; a stop drains both and adds them up", async () => {
  const echo = await cEchoServer();
  const { log, out, err } = captureLog();
  const first = {
    listen: { transport: "tcp", host: "127.0.0.1", port: 0 },
    to: { transport: "tcp", host: "127.0.0.1", port: echo.port },
    toxics: [],
  } as const;
  const relay = new ApiWorkers({ ...CONFIG, first }, log);
  try {
    const address = await within(relay.listen(), 30_000, "the API");
    assert.match(address ?? "", /^127\.0\.0\.1:\d+$/);
    assert.equal(relay.start(), null);
    const line = out.find((l) => l.startsWith("Proxy relay listening on "))!;
    const port = Number(/:(\d+),/.exec(line)![1]);
    const conns = await echoThrough(port, 20);
    // A proxy made through the API: the worker relays it with its toxics (none) from the first.
    const made = await fetch(`http://${address}/proxies`, {
      method: "POST",
      body: JSON.stringify({ name: "p", upstream: `127.0.0.1:${echo.port}` }),
    });
    const listen = (await made.json()).listen;
    for (const c of await echoThrough(Number(listen.split(":")[1]), 20)) c.close();
    relay.stop();
    assert.ok(
      out.some((l) =>
        /^Draining \d+ open connections for up to 10 s \(interrupt again to stop now\)$/.test(l)
      ),
      out.join("\n"),
    );
    for (const c of conns) c.close();
    relay.stop(); // again: now, and said once
    assert.equal(out.filter((l) => l.startsWith("Draining")).length, 1);
    const outcome = await within(relay.run(), 30_000, "the end");
    assert.equal(outcome.died, false);
    assert.equal(outcome.stats.accepted, 41, "20 and 20 through the proxies, 1 to the API");
    assert.equal(outcome.accepted.length, 2);
    assert.ok(
      outcome.accepted.every((n) => n !== null && n > 0),
      `both relayed: ${outcome.accepted}`,
    );
    assert.deepEqual(err, []);
  } finally {
    await echo.stop();
  }
});

Deno.test("api workers: an API port in use, or a worker that dies at its start, is one line and no relay", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busy = captureLog();
  const inUse = {
    ...CONFIG,
    address: { transport: "tcp", host: "127.0.0.1", port: taken.addr.port },
  } as const;
  assert.equal(await new ApiWorkers(inUse, busy.log).listen(), null);
  assert.deepEqual(busy.err, [
    `sockdemo: cannot listen on 127.0.0.1:${taken.addr.port}: address already in use`,
  ]);
  taken.close();
  const dying = captureLog("normal", "json");
  const url = new URL("./dying_proxy_worker.ts", import.meta.url);
  const json = { ...CONFIG, logFormat: "json" } as const;
  new ApiWorkers(json, dying.log, url).stop(); // before it listens: nobody to tell, and no harm
  const relay = new ApiWorkers(json, dying.log, url);
  assert.equal(await within(relay.listen(), 30_000, "the failure"), null);
  assert.equal(dying.out.length, 1, "nothing open: no drain line, only the death");
  const { time: _, ...death } = JSON.parse(dying.out[0]);
  assert.deepEqual(death, {
    level: "error",
    event: "worker_failed",
    worker: 1,
    reason: "Error: no luck",
  });
});

Deno.test("api workers: a worker that cannot join a proxy says which, and the relay goes on", async () => {
  const { log, err } = captureLog();
  const url = new URL("./refusing_proxy_worker.ts", import.meta.url);
  const relay = new ApiWorkers(CONFIG, log, url);
  const address = await within(relay.listen(), 30_000, "the API");
  relay.start();
  const made = await fetch(`http://${address}/proxies`, {
    method: "POST",
    body: JSON.stringify({ name: "p", upstream: "127.0.0.1:7" }),
  });
  assert.equal(made.status, 201, "this thread made it");
  await made.body?.cancel();
  const deadline = performance.now() + 5000;
  while (err.length === 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.deepEqual(err, ["sockdemo: worker 1: proxy p: in use"]);
  // Its toxics are news to a worker that never joined it: nothing happens there.
  const toxic = await fetch(`http://${address}/proxies/p/toxics`, {
    method: "POST",
    body: JSON.stringify({ type: "noop" }),
  });
  assert.equal(toxic.status, 200);
  await toxic.body?.cancel();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(err.length, 1, "the worker lives on");
  relay.stop();
  await within(relay.run(), 30_000, "the end");
  const json = captureLog("normal", "json");
  const inJson = new ApiWorkers({ ...CONFIG, logFormat: "json" }, json.log, url);
  const at = await within(inJson.listen(), 30_000, "the API");
  const second = await fetch(`http://${at}/proxies`, {
    method: "POST",
    body: JSON.stringify({ name: "q", upstream: "127.0.0.1:7" }),
  });
  await second.body?.cancel();
  const until = performance.now() + 5000;
  while (!json.out.some((l) => l.includes("proxy_failed")) && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const { time: _, ...failed } = JSON.parse(json.out.find((l) => l.includes("proxy_failed"))!);
  assert.deepEqual(failed, {
    level: "error",
    event: "proxy_failed",
    worker: 1,
    proxy: "q",
    reason: "in use",
  });
  inJson.stop();
  await within(inJson.run(), 30_000, "the end");
});

Deno.test("api workers: the real worker, failing to join, says why; closing the proxy it never joined leaves it running", async () => {
  const { log, err } = captureLog();
  const url = new URL("./failing_join_proxy_worker.ts", import.meta.url);
  const relay = new ApiWorkers(CONFIG, log, url);
  const address = await within(relay.listen(), 30_000, "the API");
  relay.start();
  const made = await fetch(`http://${address}/proxies`, {
    method: "POST",
    body: JSON.stringify({ name: "p", upstream: "127.0.0.1:7" }),
  });
  assert.equal(made.status, 201);
  await made.body?.cancel();
  const deadline = performance.now() + 5000;
  while (err.length === 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(err.length, 1);
  assert.match(
    err[0],
    /^sockdemo: worker 1: proxy p: cannot listen on 127\.0\.0\.1:\d+: address already in use$/,
  );
  const gone = await fetch(`http://${address}/proxies/p`, { method: "DELETE" });
  assert.equal(gone.status, 204);
  await gone.body?.cancel();
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(err.length, 1, `the worker lives on: ${err.join("; ")}`);
  relay.stop();
  const outcome = await within(relay.run(), 30_000, "the end");
  assert.equal(outcome.died, false);
  assert.equal(outcome.accepted[1], 0, "the worker joined nothing, so accepted nothing");
});

Deno.test("api workers: a worker that dies is said, the API's thread drains, and the outcome counts it out", async () => {
  const { log, err } = captureLog();
  const url = new URL("./crashing_proxy_worker.ts", import.meta.url);
  const relay = new ApiWorkers(CONFIG, log, url);
  assert.ok(await within(relay.listen(), 30_000, "the API"));
  const outcome = await within(relay.run(), 30_000, "the end after the death");
  assert.deepEqual(err, ["sockdemo: worker 1 failed: Error: boom in worker 1"]);
  assert.equal(outcome.died, true);
  assert.deepEqual(outcome.accepted, [0, null]);
});

Deno.test("api workers: with two workers, the outcome waits for both; the drain line in JSON", async () => {
  const echo = await cEchoServer();
  const { log, out } = captureLog("normal", "json");
  const first = {
    listen: { transport: "tcp", host: "127.0.0.1", port: 0 },
    to: { transport: "tcp", host: "127.0.0.1", port: echo.port },
    toxics: [],
  } as const;
  try {
    const three = new ApiWorkers({ ...CONFIG, workers: 3, first, logFormat: "json" }, log);
    assert.ok(await within(three.listen(), 30_000, "the API"));
    assert.equal(three.start(), null);
    const proxy = JSON.parse(out.find((l) => l.includes('"event":"proxy"'))!);
    const conns = await echoThrough(Number(proxy.address.split(":")[1]), 30);
    three.stop();
    const { time: _, ...draining } = JSON.parse(out.find((l) => l.includes('"draining"'))!);
    assert.deepEqual(draining, { level: "info", event: "draining", open: 30, seconds: 10 });
    for (const c of conns) c.close();
    const outcome = await within(three.run(), 30_000, "the end");
    assert.equal(outcome.accepted.length, 3);
    assert.ok(outcome.accepted.every((n) => n !== null), `all three reported: ${outcome.accepted}`);
    assert.equal(outcome.stats.accepted, 30);
  } finally {
    await echo.stop();
  }
});

Deno.test("api workers: when a worker dies, this thread goes on serving what it holds until it ends", async () => {
  const echo = await cEchoServer();
  const { log } = captureLog();
  const first = {
    listen: { transport: "tcp", host: "127.0.0.1", port: 0 },
    to: { transport: "tcp", host: "127.0.0.1", port: echo.port },
    toxics: [],
  } as const;
  const url = new URL("./crashing_proxy_worker.ts", import.meta.url);
  try {
    const relay = new ApiWorkers({ ...CONFIG, first }, log, url);
    const address = await within(relay.listen(), 30_000, "the API");
    relay.start();
    const proxies = await (await fetch(`http://${address}/proxies`)).json();
    const conns = await echoThrough(Number(proxies.relay.listen.split(":")[1]), 20);
    const running = relay.run();
    await new Promise((r) => setTimeout(r, 1500)); // the worker dies a second after its start
    let served = 0;
    for (const [i, c] of conns.entries()) {
      const ok = await c.write(new Uint8Array([i])).then(() => c.read(new Uint8Array(1)))
        .catch(() => null);
      if (ok === 1) served++;
      c.close();
    }
    assert.ok(served > 0 && served < 20, `${served} of 20 still served by this thread`);
    const outcome = await within(running, 30_000, "the end");
    assert.equal(outcome.died, true);
  } finally {
    await echo.stop();
  }
});
