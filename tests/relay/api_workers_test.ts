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
};

async function echoThrough(port: number, conns: number): Promise<Deno.TcpConn[]> {
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
    relay.stop();
    assert.deepEqual(out.slice(-1), [
      "Draining 20 open connections for up to 10 s (interrupt again to stop now)",
    ]);
    for (const c of conns) c.close();
    const outcome = await within(relay.run(), 30_000, "the end");
    assert.equal(outcome.died, false);
    assert.equal(outcome.stats.accepted, 20);
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
  const dying = captureLog();
  const url = new URL("./dying_proxy_worker.ts", import.meta.url);
  const relay = new ApiWorkers(CONFIG, dying.log, url);
  assert.equal(await within(relay.listen(), 30_000, "the failure"), null);
  assert.deepEqual(dying.err, ["sockdemo: worker 1 failed: Error: no luck"]);
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
