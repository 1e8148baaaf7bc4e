/**
 * `sockdemo relay --api` as a user runs it: the command line's proxy and
 * its faults listed as toxics, a toxic removed while it runs, a proxy from
 * --config, and a clean stop.
 */
import assert from "node:assert/strict";
import { cEchoServer } from "./c_echo_server.ts";
import { MUTANT_ENV, runCommand, ServerProcess } from "./sockdemo_process.ts";

/** Milliseconds for one byte to go through `port` and back. */
async function echoMs(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const start = performance.now();
    await conn.write(new Uint8Array([7]));
    assert.equal(await conn.read(new Uint8Array(1)), 1);
    return performance.now() - start;
  } finally {
    conn.close();
  }
}

Deno.test("relay --api: --listen/--to make the proxy named relay, its faults toxics the API lists and removes", async () => {
  const echo = await cEchoServer();
  const dir = await Deno.makeTempDir();
  const config = `${dir}/proxies.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify([{ name: "other", listen: "127.0.0.1:0", upstream: `127.0.0.1:${echo.port}` }]),
  );
  const api = await ServerProcess.start(
    [
      ...["--api", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--to", `127.0.0.1:${echo.port}`],
      ...["--delay", "down:150", "--seed", "9", "--config", config],
    ],
    60_000,
    /^Toxiproxy API on http:\/\/127\.0\.0\.1:\d+; seed 9\n/,
    "relay",
  );
  try {
    const url = `http://127.0.0.1:${api.port}`;
    const [, port] = await api.waitFor(
      /Proxy relay listening on 127\.0\.0\.1:(\d+), relaying to/,
      10_000,
      "the proxy",
    );
    const proxies = await (await fetch(`${url}/proxies`)).json();
    assert.deepEqual(Object.keys(proxies).sort(), ["other", "relay"]);
    assert.deepEqual(proxies.relay.toxics, [{
      name: "latency_downstream",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 150, jitter: 0 },
    }]);
    const slow = await echoMs(Number(port));
    assert.ok(slow >= 150 && slow < 1000, `${slow} ms with --delay down:150`);
    const gone = await fetch(`${url}/proxies/relay/toxics/latency_downstream`, {
      method: "DELETE",
    });
    assert.equal(gone.status, 204);
    const fast = await echoMs(Number(port));
    assert.ok(fast < 100, `${fast} ms once the toxic is gone`);
    const other = proxies.other.listen.split(":")[1];
    assert.ok(await echoMs(Number(other)) < 1000);
    const out = await api.stop("SIGTERM");
    assert.equal(out.code, 0, out.stderr);
    // The API's kept-alive connections close at the stop: nothing is left unfinished.
    assert.match(
      out.stdout,
      /Stopped: \d+ connections served, \d+ bytes in, \d+ bytes out, 0 errors\n$/,
    );
  } finally {
    await echo.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay --api: a --config it cannot use is one line naming the file, and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/bad.json`;
  await Deno.writeTextFile(config, JSON.stringify([{ name: "x" }]));
  try {
    const api = await ServerProcess.start(
      ["--api", "127.0.0.1:0", "--config", config],
      60_000,
      /^Toxiproxy API on /,
      "relay",
    );
    const out = await api.exited();
    assert.equal(out.code, 1);
    assert.match(
      out.stderr,
      new RegExp(`^sockdemo: --config ${config}: missing required field: upstream\\n`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay --api --workers 2: connections land on both threads, and every change reaches all of them", async () => {
  const echo = await cEchoServer();
  const api = await ServerProcess.start(
    [
      ...["--api", "127.0.0.1:0", "--workers", "2", "--verbose", "--log-format", "json"],
      ...["--listen", "127.0.0.1:0", "--to", `127.0.0.1:${echo.port}`, "--delay", "down:100"],
    ],
    60_000,
    /"event":"listening"/,
    "relay",
  );
  try {
    const url = `http://127.0.0.1:${api.port}`;
    const [, port] = await api.waitFor(
      /"event":"proxy".*"address":"127\.0\.0\.1:(\d+)"/,
      10_000,
      "the proxy",
    );
    const twenty = () => Promise.all(Array.from({ length: 20 }, () => echoMs(Number(port))));
    const slow = await twenty();
    assert.ok(slow.every((ms) => ms >= 100), `the command line's delay, on either thread: ${slow}`);
    const path = `${url}/proxies/relay/toxics`;
    const removed = await fetch(`${path}/latency_downstream`, { method: "DELETE" });
    assert.equal(removed.status, 204);
    await new Promise((r) => setTimeout(r, 200)); // the workers take it up
    const fast = await twenty();
    assert.ok(fast.every((ms) => ms < 100), `none once it is gone: ${fast}`);
    const toxic = { name: "lag", type: "latency", attributes: { latency: 100 } };
    const added = await fetch(path, { method: "POST", body: JSON.stringify(toxic) });
    assert.equal(added.status, 200, await added.text());
    await new Promise((r) => setTimeout(r, 200));
    const again = await twenty();
    assert.ok(again.every((ms) => ms >= 100), `a toxic added reaches every thread: ${again}`);
    // /metrics on the API's port: each thread's count of the proxy's connections (workers post
    // every half second), together the 60 made.
    await new Promise((r) => setTimeout(r, 700));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const accepted = [...metrics.matchAll(
      /^sockdemo_proxy_connections_accepted_total\{proxy="relay",[^}]*worker="(\w+)"\} (\d+)$/gm,
    )].map((m) => [m[1], Number(m[2])] as const);
    assert.deepEqual(accepted.map(([w]) => w), ["main", "1"], metrics);
    assert.equal(accepted.reduce((n, [, v]) => n + v, 0), 60);
    const held = await Promise.all(
      Array.from({ length: 10 }, () => Deno.connect({ hostname: "127.0.0.1", port: Number(port) })),
    );
    await new Promise((r) => setTimeout(r, 200));
    const gone = await fetch(`${url}/proxies/relay`, { method: "DELETE" });
    assert.equal(gone.status, 204);
    const ends = await Promise.all(held.map((c) => c.read(new Uint8Array(1)).catch(() => null)));
    assert.deepEqual(
      ends,
      new Array(10).fill(null),
      "a deleted proxy's connections close, on every thread",
    );
    for (const c of held) c.close();
    const out = await api.stop("SIGTERM");
    assert.equal(out.code, 0, out.stderr);
    const events = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const workers = events.filter((e) => e.event === "accepted").map((e) => e.worker);
    assert.ok(
      workers.includes(null) && workers.includes(1),
      `accepted on both threads: ${workers}`,
    );
    assert.equal(
      events.filter((e) => e.event === "proxy").length,
      1,
      "said once, not by each thread",
    );
    // (The API's own kept-alive connection may still be open: the drain closes it at once.)
    assert.ok(events.filter((e) => e.event === "draining").length <= 1, "one drain line at most");
  } finally {
    await echo.stop();
  }
});

Deno.test("relay --api: --listen on a port in use is one line naming it, and exit 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const api = await ServerProcess.start(
      ["--api", "127.0.0.1:0", "--listen", `127.0.0.1:${taken.addr.port}`, "--to", "127.0.0.1:7"],
      60_000,
      /^Toxiproxy API on /,
      "relay",
    );
    const out = await api.exited();
    assert.equal(out.code, 1);
    assert.equal(
      out.stderr,
      `sockdemo: cannot listen on 127.0.0.1:${taken.addr.port}: address already in use\n`,
    );
  } finally {
    taken.close();
  }
});

Deno.test("relay --api --workers without read access to its worker module: one line, exit 1", async () => {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const relay = await runCommand(Deno.execPath(), [
    ...["run", "--allow-net", MUTANT_ENV, main],
    ...["relay", "--api", "127.0.0.1:0", "--workers", "2"],
  ]);
  assert.equal(relay.code, 1);
  assert.match(
    relay.stderr,
    /^sockdemo: workers need read access to \S+\/relay\/proxy_worker\.ts \(run with --allow-read, or use the compiled binary\)\n$/,
  );
});

Deno.test("relay --api alone: no proxy until one is made; its first line in JSON; a clean stop", async () => {
  const api = await ServerProcess.start(
    ["--api", "127.0.0.1:0", "--seed", "4", "--log-format", "json"],
    60_000,
    /"event":"listening"/,
    "relay",
  );
  const proxies = await (await fetch(`http://127.0.0.1:${api.port}/proxies`)).json();
  assert.deepEqual(proxies, {});
  const out = await api.stop("SIGTERM");
  assert.equal(out.code, 0, out.stderr);
  const { time: _, ...first } = JSON.parse(out.stdout.split("\n")[0]);
  assert.deepEqual(first, {
    level: "info",
    event: "listening",
    address: `127.0.0.1:${api.port}`,
    protocol: "toxiproxy-api",
    seed: 4,
  });
});

Deno.test("relay --api: a --config it cannot use, one thread or two, is an error event in JSON, and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/bad.json`;
  await Deno.writeTextFile(config, JSON.stringify([{ name: "x" }]));
  try {
    for (const workers of ["1", "2"]) {
      const api = await ServerProcess.start(
        ["--api", "127.0.0.1:0", "--config", config, "--log-format", "json", "--workers", workers],
        60_000,
        /"event":"listening"/,
        "relay",
      );
      const out = await api.exited();
      assert.equal(out.code, 1, `--workers ${workers}`);
      const failed = out.stdout.split("\n").filter((l) => l.includes('"start_failed"'));
      assert.equal(failed.length, 1, `--workers ${workers}: ${out.stdout}`);
      const { time: _, ...event } = JSON.parse(failed[0]);
      assert.deepEqual(event, {
        level: "error",
        ...(workers === "2" ? { worker: null } : {}),
        event: "start_failed",
        reason: `--config ${config}: missing required field: upstream`,
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay --api --workers 2 --verbose: the tuning line names the accept queue; the per-worker counts as fields", async () => {
  const api = await ServerProcess.start(
    ["--api", "127.0.0.1:0", "--workers", "2", "--verbose", "--log-format", "json"],
    60_000,
    /"event":"listening"/,
    "relay",
  );
  await api.waitFor(/"event":"tuning"/, 10_000, "the tuning line");
  const out = await api.stop("SIGTERM");
  assert.equal(out.code, 0);
  const events = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const tuning = events.find((e) => e.event === "tuning");
  assert.equal(typeof tuning.backlog, "number", JSON.stringify(tuning));
  assert.equal(tuning.listeners, 16);
  const workers = events.find((e) => e.event === "workers");
  assert.equal(workers.accepted, "0,0", "nothing accepted by either thread but the API's own");
});
