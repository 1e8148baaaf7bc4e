/**
 * `serve --workers`: several loops on one port that behave as one server.
 */
import assert from "node:assert/strict";
import type { ServeConfig } from "../../server/serve_options.ts";
import { ServeWorkers } from "../../server/serve_workers.ts";
import { captureLog, waitUntil } from "../harness.ts";
import { MUTANT_ENV, runCommand, runSockdemo, ServerProcess, within } from "../sockdemo_process.ts";

const FOREIGN_CLIENT = new URL("../foreign/echo_client.py", import.meta.url).pathname;

Deno.test("serve --workers 2: 200 foreign connections all verified; the JSON log shows both workers accepted", async () => {
  const server = await ServerProcess.start(
    ["--workers", "2", "--log-format", "json"],
    60_000,
    /"event":"listening"/,
  );
  try {
    const r = await runCommand("python3", [
      FOREIGN_CLIENT,
      "127.0.0.1",
      String(server.port),
      "200",
    ]);
    assert.equal(r.stdout.trim(), "verified 200 of 200 connections");
    assert.equal(r.code, 0);
    // The client is done; the server sees each close a moment later.
    const closed = () => server.stdout.match(/"event":"closed"/g)?.length ?? 0;
    assert.ok(await waitUntil(() => closed() === 200, 10_000), `${closed()} of 200 closed`);
  } finally {
    const out = await server.stop("SIGTERM");
    const lines = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const listening = lines.filter((l) => l.event === "listening");
    assert.equal(listening.length, 1, "one Listening line");
    assert.equal(listening[0].workers, 2);
    const accepted = lines.filter((l) => l.event === "accepted");
    assert.equal(accepted.length, 200);
    const byWorker = new Map<number, number>();
    for (const l of accepted) byWorker.set(l.worker, (byWorker.get(l.worker) ?? 0) + 1);
    assert.deepEqual([...byWorker.keys()].sort(), [1, 2]);
    // Numbers come from one counter: 1..200, each once.
    const numbers = accepted.map((l) => l.conn).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: 200 }, (_, i) => i + 1));
    assert.equal(lines.filter((l) => l.event === "draining").length, 0, "nothing open to drain");
    const stopped = lines.filter((l) => l.event === "stopped");
    assert.equal(stopped.length, 1, "one summary");
    assert.equal(stopped[0].served, 200);
    assert.equal(stopped[0].bytes_in, 200 * 44);
    assert.equal(out.code, 0);
  }
});

Deno.test("serve --workers 2: SIGTERM during a 20 MB echo delivers every byte, one drain line, exit 0", async () => {
  const server = await ServerProcess.start(["--workers", "2"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const total = 20 << 20;
  const sent = new Uint8Array(total).map((_, i) => (i * 31 + (i >> 16)) & 0xff);
  const reading = (async () => {
    const got = new Uint8Array(total + 1);
    let n = 0;
    for (;;) {
      const r = await conn.read(got.subarray(n));
      if (r === null) return got.subarray(0, n);
      n += r;
    }
  })();
  let signalled = false;
  for (let off = 0; off < total;) {
    off += await conn.write(sent.subarray(off, Math.min(off + (1 << 20), total)));
    if (!signalled && off > total / 4) {
      signalled = true;
      server.signal("SIGTERM");
    }
  }
  await conn.closeWrite();
  const echoed = await within(reading, 60_000, "the 20 MB echo");
  conn.close();
  const stopped = await server.exited();
  assert.equal(echoed.length, total);
  assert.deepEqual(echoed, sent);
  assert.equal(stopped.code, 0);
  assert.equal(stopped.stdout.match(/Draining/g)?.length, 1, stopped.stdout);
  assert.match(stopped.stdout, /^Draining 1 open connection for up to 10 s/m);
  assert.match(
    stopped.stdout,
    /^Stopped: 1 connection served, 20971520 bytes in, 20971520 bytes out, 0 errors$/m,
  );
});

Deno.test("serve --workers 2 --max-conns 10: exactly 10 open across both workers", async () => {
  const server = await ServerProcess.start(["--workers", "2", "--max-conns", "10"]);
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    // Each asks for an echo of one byte: served ones answer, refused ones see the close.
    const answers = await Promise.all(conns.map(async (c) => {
      const buf = new Uint8Array(1);
      try {
        await c.write(new Uint8Array([7]));
        return await within(c.read(buf), 10_000, "an echo or a close") === 1 ? "echo" : "closed";
      } catch {
        return "closed"; // reset: refused with our byte unread
      }
    }));
    assert.equal(answers.filter((a) => a === "echo").length, 10);
    assert.equal(answers.filter((a) => a === "closed").length, 20);
    // One of the ten leaves: the shared count lets exactly one more in.
    conns[answers.indexOf("echo")].close();
    conns.splice(answers.indexOf("echo"), 1);
    await server.waitFor(/closed .*\(9 open\)/, 10_000, "the close");
    const late = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conns.push(late);
    await late.write(new Uint8Array([9]));
    const got = new Uint8Array(1);
    assert.equal(await within(late.read(got), 10_000, "the late echo"), 1);
    assert.equal(got[0], 9);
  } finally {
    for (const c of conns) c.close();
    const out = await server.stop();
    assert.match(out.stdout, /^Stopped: 11 connections served, .*, 20 refused at the limit$/m);
  }
});

/** `n` connections to `port`. */
function connectMany(port: number, n: number): Promise<Deno.TcpConn[]> {
  return Promise.all(
    Array.from({ length: n }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
}

/** True when `c` echoes `byte`; false when it is closed or reset instead. */
async function echo(c: Deno.TcpConn, byte: number): Promise<boolean> {
  try {
    await c.write(new Uint8Array([byte]));
    const got = new Uint8Array(1);
    return await within(c.read(got), 10_000, "an echo or a close") === 1 && got[0] === byte;
  } catch {
    return false;
  }
}

const CONFIG: ServeConfig = {
  command: "serve",
  protocol: "echo",
  address: { transport: "tcp", host: "127.0.0.1", port: 0 },
  pipe: false,
  exec: null,
  udp: false,
  tls: null,
  maxContent: 0,
  maxConns: Infinity,
  maxBuffer: 0,
  idleTimeout: 0,
  drainTimeout: 10,
  verbosity: "normal",
  logFormat: "text",
  workers: 2,
  metrics: null,
};

Deno.test("serve --workers: a worker that cannot listen stops them all; listen() says so in one line", async () => {
  const { log, out, err } = captureLog();
  const url = new URL("./failing_serve_worker.ts", import.meta.url);
  const workers = new ServeWorkers(CONFIG, log, url);
  assert.equal(await within(workers.listen(), 30_000, "the failure"), null);
  assert.equal(err.length, 1);
  assert.match(err[0], /^sockdemo: cannot listen on 127\.0\.0\.1:\d+: address already in use$/);
  assert.deepEqual(out, []);
});

Deno.test("serve --workers: a worker that dies before it listens: no server, and the cause", async () => {
  const { log, err } = captureLog();
  const url = new URL("./dying_serve_worker.ts", import.meta.url);
  const workers = new ServeWorkers(CONFIG, log, url);
  assert.equal(await within(workers.listen(), 30_000, "the failure"), null);
  assert.deepEqual(err, ["sockdemo: worker 2 failed: Error: no luck"]);
  await within(workers.run(), 10_000, "the end");
});

Deno.test("serve --workers --log-format json: a worker's death is an error event naming the worker", async () => {
  const { log, out, err } = captureLog("normal", "json");
  const url = new URL("./dying_serve_worker.ts", import.meta.url);
  const workers = new ServeWorkers({ ...CONFIG, logFormat: "json" }, log, url);
  assert.equal(await within(workers.listen(), 30_000, "the failure"), null);
  assert.deepEqual(err, [], "in JSON every line goes to standard output");
  assert.equal(out.length, 1);
  const { time: _, ...line } = JSON.parse(out[0]);
  assert.deepEqual(line, {
    level: "error",
    event: "worker_failed",
    worker: 2,
    reason: "Error: no luck",
  });
  await within(workers.run(), 10_000, "the end");
});

Deno.test("serve --workers: a worker that dies is reported with its error; the others drain and the outcome says so", async () => {
  const { log, out, err } = captureLog();
  const crashing = new URL("./crashing_serve_worker.ts", import.meta.url);
  const workers = new ServeWorkers(CONFIG, log, crashing);
  const address = await within(workers.listen(), 30_000, "the workers listening");
  assert.match(address ?? "", /^127\.0\.0\.1:\d+$/);
  const port = Number(address!.split(":")[1]);
  // Twenty connections, so both workers hold some (all on one: a chance in 500,000).
  const conns = await connectMany(port, 20);
  const before = await Promise.all(conns.map((c, i) => echo(c, i)));
  assert.equal(before.filter((ok) => ok).length, 20, "all served before the death");
  const running = workers.run();
  assert.equal(await waitUntil(() => err.length > 0, 10_000), true, "the death reported");
  assert.deepEqual(err, ["sockdemo: worker 2 failed: Error: boom in worker 2"]);
  // Worker 1 drains: its connections are still served until they close.
  const after = await Promise.all(conns.map((c, i) => echo(c, 100 + i)));
  const alive = after.filter((ok) => ok).length;
  assert.ok(alive > 0 && alive < 20, `${alive} of 20 still served after the death`);
  for (const c of conns) c.close();
  const outcome = await within(running, 30_000, "the end after a worker died");
  assert.equal(outcome.died, true);
  assert.deepEqual(outcome.accepted, [alive, null]);
  // The drain counts the connections still open: the dead worker's went with it.
  assert.deepEqual(out, [
    `Draining ${alive} open connection${
      alive === 1 ? "" : "s"
    } for up to 10 s (interrupt again to stop now)`,
  ]);
});

Deno.test("serve --workers: a worker that dies during a drain does not cut the others' drain short", async () => {
  const { log, err } = captureLog();
  const crashing = new URL("./crashing_serve_worker.ts", import.meta.url);
  const workers = new ServeWorkers(CONFIG, log, crashing);
  const address = await within(workers.listen(), 30_000, "the workers listening");
  const port = Number(address!.split(":")[1]);
  const conns = await connectMany(port, 20);
  const before = await Promise.all(conns.map((c, i) => echo(c, i)));
  assert.equal(before.filter((ok) => ok).length, 20, "all served before the stop");
  const running = workers.run();
  workers.stop(); // SIGTERM: both drain; then worker 2 dies (2 s after it started)
  assert.equal(await waitUntil(() => err.length > 0, 10_000), true, "the death reported");
  const after = await Promise.all(conns.map((c, i) => echo(c, 100 + i)));
  const alive = after.filter((ok) => ok).length;
  assert.ok(alive > 0 && alive < 20, `${alive} of 20 still served after the death`);
  for (const c of conns) c.close();
  const outcome = await within(running, 30_000, "the end after a worker died");
  assert.equal(outcome.died, true);
  assert.deepEqual(outcome.accepted, [alive, null]);
});

Deno.test("serve --workers 2: a port in use is one line and exit 1, like one worker", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await runSockdemo(["serve", "--workers", "2", "--port", String(holder.addr.port)]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `sockdemo: cannot listen on 127.0.0.1:${holder.addr.port}: address already in use\n`,
    );
  } finally {
    holder.close();
  }
});

Deno.test("serve --workers 2 --verbose: the summary is followed by what each worker accepted", async () => {
  const server = await ServerProcess.start(["--workers", "2", "--verbose"]);
  try {
    const r = await runSockdemo([
      "connect",
      "--port",
      String(server.port),
      "--conns",
      "6",
      "--messages",
      "2",
      "--size",
      "10",
    ]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    const out = await server.stop();
    assert.equal(out.code, 0);
    const m = /^Accepted per worker: 1: (\d+), 2: (\d+)$/m.exec(out.stdout);
    assert.ok(m !== null, out.stdout.slice(-500));
    assert.equal(Number(m[1]) + Number(m[2]), 6);
    assert.match(
      out.stdout,
      /^Stopped: 6 connections served, 120 bytes in, 120 bytes out, 0 errors$/m,
    );
  }
});

Deno.test("serve --workers 2: a second SIGINT stops every worker at once, exit 130, one draining event", async () => {
  const server = await ServerProcess.start(
    ["--workers", "2", "--log-format", "json"],
    60_000,
    /"event":"listening"/,
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(new Uint8Array([1]));
  await within(conn.read(new Uint8Array(1)), 10_000, "the echo");
  server.signal("SIGINT");
  await server.waitFor(/"event":"draining"/, 10_000, "the drain");
  const stopped = await server.stop("SIGINT");
  conn.close();
  assert.equal(stopped.code, 130);
  const lines = stopped.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const draining = lines.filter((l) => l.event === "draining");
  assert.equal(draining.length, 1);
  assert.equal(draining[0].open, 1);
  assert.equal(draining[0].seconds, 10);
  assert.equal(draining[0].worker, null);
  assert.equal(lines.find((l) => l.event === "stopped").cut_off, 1);
});

Deno.test("serve --workers without read access to its worker module: one line, exit 1", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const serve = await runCommand(Deno.execPath(), [
    "run",
    "--allow-net",
    MUTANT_ENV,
    main,
    "serve",
    "--port",
    "0",
    "--workers",
    "2",
  ]);
  assert.equal(serve.code, 1);
  assert.match(
    serve.stderr,
    /^sockdemo: workers need read access to \S+\/server\/serve_worker\.ts \(run with --allow-read, or use the compiled binary\)\n$/,
  );
  const json = await runCommand(Deno.execPath(), [
    "run",
    "--allow-net",
    MUTANT_ENV,
    main,
    "serve",
    "--port",
    "0",
    "--workers",
    "2",
    "--log-format",
    "json",
  ]);
  // JSON lines, errors included, all go to standard output.
  assert.equal(json.stderr, "");
  const { time: _, ...line } = JSON.parse(json.stdout);
  assert.equal(line.event, "workers_failed");
  assert.match(line.reason, /^workers need read access to /);
});
