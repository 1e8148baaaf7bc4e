/**
 * `connect --check` (`-z`): an open port, a refused one and a dropped one,
 * each with its exact exit code and line; a 1,000-port range in port order;
 * waiting for a port that opens later; the usage errors.
 */
import assert from "node:assert/strict";
import { runSockdemo, ServerProcess } from "../sockdemo_process.ts";
import { silentPort } from "../silent_port.ts";

// A port nothing listens on (bound, then let go).
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

Deno.test("check: open exits 0 with one line; refused and dropped exit 1 saying why; --quiet keeps the error only", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = listener.addr.port, closed = freePort();
  const silent = await silentPort();
  try {
    const yes = await runSockdemo(["connect", "--check", "--port", String(open)]);
    assert.deepEqual([yes.code, yes.stdout, yes.stderr], [0, `127.0.0.1:${open} open\n`, ""]);
    const quiet = await runSockdemo(["connect", "-z", "-q", "-p", String(open)]);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, "", ""]);
    const no = await runSockdemo(["connect", "-z", "-p", String(closed)]);
    assert.deepEqual([no.code, no.stdout, no.stderr], [
      1,
      "",
      `sockdemo: 127.0.0.1:${closed} did not answer: refused\n`,
    ]);
    const started = performance.now();
    const dropped = await runSockdemo([
      "connect",
      "-z",
      "-p",
      String(silent.port),
      "--timeout",
      "0.5",
    ]);
    const took = performance.now() - started;
    assert.deepEqual([dropped.code, dropped.stdout, dropped.stderr], [
      1,
      "",
      `sockdemo: 127.0.0.1:${silent.port} did not answer: timed out\n`,
    ]);
    assert.ok(took >= 500 && took < 5000, `a 0.5 s timeout took ${took.toFixed(0)} ms`);
  } finally {
    listener.close();
    await silent.close();
  }
});

Deno.test("check: a 1,000-port range is done within seconds, a line per open port in port order; --verbose names the rest", async () => {
  const listeners = [0, 1, 2].map(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = listeners.map((l) => l.addr.port).sort((a, b) => a - b);
  const first = Math.max(1, Math.min(ports[0] - 300, 65535 - 999));
  try {
    const started = performance.now();
    const range = `${first}-${first + 999}`;
    const out = await runSockdemo(["connect", "-z", "--port", range]);
    const took = performance.now() - started;
    assert.equal(out.code, 0, out.stderr);
    assert.ok(took < 10_000, `1,000 ports took ${took.toFixed(0)} ms`);
    const lines = out.stdout.trim().split("\n");
    const seen = lines.map((l) => Number(/^127\.0\.0\.1:(\d+) open$/.exec(l)![1]));
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), "in port order");
    for (const port of ports.filter((p) => p <= first + 999)) assert.ok(seen.includes(port));
    const list = `${ports[0]},${freePort()}`;
    const verbose = await runSockdemo(["connect", "-z", "-v", "--port", list, "--conns", "1"]);
    assert.equal(verbose.code, 0);
    assert.match(
      verbose.stdout,
      new RegExp(`^127\\.0\\.0\\.1:${ports[0]} open\\n127\\.0\\.0\\.1:\\d+ refused\\n$`),
    );
  } finally {
    for (const l of listeners) l.close();
  }
  const none = await runSockdemo(["connect", "-z", "--port", `${freePort()},${freePort()}`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^sockdemo: none of 2 ports answered\n$/);
});

Deno.test("check: --wait tries again until the port answers, or says it did not within the time", async () => {
  const port = freePort();
  const waiting = runSockdemo(["connect", "-z", "-p", String(port), "--wait", "10"]);
  await new Promise((r) => setTimeout(r, 400));
  const server = await ServerProcess.start(["--port", String(port)]).catch(() => null);
  if (server === null) {
    // Another program took the free port meanwhile: nothing to learn this time.
    await waiting;
    return;
  }
  try {
    const out = await waiting;
    assert.deepEqual([out.code, out.stdout], [0, `127.0.0.1:${port} open\n`]);
  } finally {
    await server.stop();
  }
  const started = performance.now();
  const never = await runSockdemo(["connect", "-z", "-p", String(freePort()), "--wait", "0.5"]);
  const took = performance.now() - started;
  assert.equal(never.code, 1);
  assert.match(
    never.stderr,
    /^sockdemo: 127\.0\.0\.1:\d+ did not answer within 0\.5 s: refused\n$/,
  );
  assert.ok(took >= 500 && took < 5000, `a 0.5 s wait took ${took.toFixed(0)} ms`);
});

Deno.test("check: a Unix socket answers too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-check-" });
  const path = `${dir}/s.sock`;
  const server = await ServerProcess.start(["--unix", path]);
  try {
    const out = await runSockdemo(["connect", "-z", "--unix", path]);
    assert.deepEqual([out.code, out.stdout], [0, `unix:${path} open\n`]);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check: usage errors are one line and exit 2", async () => {
  const cases: [string[], string][] = [
    [["--wait", "1"], "--wait goes with --check"],
    [["--port", "20-30"], "a port list (--port 20-30,80) needs --check"],
    [["-z", "--size", "10"], "--check only connects and closes; --size does not apply"],
    [["-z", "--json"], "--check only connects and closes; --json does not apply"],
    [["-z", "hello"], "--check sends nothing: give no MESSAGE"],
    [
      ["-z", "--port", "20-30", "--wait", "1"],
      "--wait waits for one address: give one port, not a list",
    ],
    [["-z", "--port", "30-20"], "--port the range 30-20 runs backwards: give 20-30"],
    [["-z", "--port", "0-5"], "--port port 0 is out of range 1-65535"],
    [
      ["-z", "--port", "80,x"],
      '--port "x" is not a port or a range of ports (e.g. 80, 20-30, 22,80)',
    ],
    [
      ["-z", "--to", "127.0.0.1:1", "--port", "1,2"],
      "a port list goes with --host, not --to or --unix",
    ],
    [["-z", "--wait", "0"], '--wait must be a positive number up to 1000000000, not "0"'],
  ];
  for (const [args, message] of cases) {
    const out = await runSockdemo(["connect", ...args]);
    assert.equal(out.code, 2, args.join(" "));
    assert.equal(
      out.stderr,
      `sockdemo: ${message} (try "sockdemo connect --help")\n`,
      args.join(" "),
    );
  }
});
