/**
 * `sockdemo relay` as users run it: foreign clients through the relay to
 * bench/'s C echo server and to sockdemo servers over Unix sockets and TLS,
 * the faults with their outcomes counted in bytes, and the command line.
 */
import assert from "node:assert/strict";
import { silentPort } from "./silent_port.ts";
import { cEchoServer } from "./c_echo_server.ts";
import { hasOpenssl, makeCerts } from "../scripts/certs.ts";
import { MUTANT_ENV, runCommand, runSockdemo, ServerProcess, within } from "./sockdemo_process.ts";

const FOREIGN_CLIENT = new URL("./foreign/echo_client.py", import.meta.url).pathname;
const PEER = new URL("./foreign/relay_peer.py", import.meta.url).pathname;

/** `sockdemo relay --listen 127.0.0.1:0 --to TO ...extra`, listening. */
function relay(to: string, extra: string[] = []): Promise<ServerProcess> {
  return ServerProcess.start(
    ["--listen", "127.0.0.1:0", "--to", to, ...extra],
    60_000,
    extra.includes("json") ? /"event":"listening"/ : /^Listening on /,
    "relay",
  );
}

async function peer(...args: string[]): Promise<string> {
  const r = await runCommand("python3", [PEER, ...args], 60_000);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout.trim();
}

Deno.test("relay: 200 foreign echo clients through the relay to the C echo server are all verified; 50 MB with a FIN comes back whole", async () => {
  const echo = await cEchoServer();
  const proxy = await relay(`127.0.0.1:${echo.port}`, ["--quiet"]);
  try {
    const py = await runCommand("python3", [
      FOREIGN_CLIENT,
      "127.0.0.1",
      String(proxy.port),
      "200",
      "1000",
      "5",
    ]);
    assert.equal(py.code, 0, py.stdout + py.stderr);
    assert.match(py.stdout, /verified 200 of 200 connections/);
    assert.equal(
      await peer("bulk", "127.0.0.1", String(proxy.port), "52428800"),
      "verified 52428800 bytes",
    );
  } finally {
    const out = await proxy.stop("SIGTERM");
    await echo.stop();
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /Stopped: 201 connections served, 53428800 bytes in, 53428800 bytes out, 0 errors\n$/,
    );
  }
});

Deno.test("relay: TCP to a Unix socket, with every line of the relayed connections", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-relay-" });
  const path = `${dir}/echo.sock`;
  const server = await ServerProcess.start(["--unix", path, "--quiet"]);
  const proxy = await relay(`unix:${path}`);
  try {
    assert.match(proxy.stdout, /^Listening on 127\.0\.0\.1:\d+, relaying to unix:\S+echo\.sock\n/);
    assert.equal(
      await peer("bulk", "127.0.0.1", String(proxy.port), "5000000"),
      "verified 5000000 bytes",
    );
    const r = await runSockdemo(["connect", "--port", String(proxy.port), "--conns", "20"]);
    assert.equal(r.code, 0, r.stderr);
    await proxy.waitFor(/#21 closed /, 10_000, "the last closing line");
    assert.match(
      proxy.stdout,
      /#1 closed 127\.0\.0\.1:\d+: 5000000 bytes in, 5000000 out; target unix:\S+: 5000000 bytes out, 5000000 in \(\d+ open\)/,
    );
  } finally {
    await proxy.stop();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

const openssl = await hasOpenssl();

Deno.test({
  name: openssl
    ? "relay: TLS termination in front of the C echo server, and TLS origination to a TLS server"
    : "relay: TLS SKIPPED, needs openssl to make its certificates (apt-get install openssl)",
  ignore: !openssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockdemo-relay-tls-" });
    await makeCerts(dir);
    const echo = await cEchoServer();
    const tlsServer = await ServerProcess.start([
      "--tls-cert",
      `${dir}/server.pem`,
      "--tls-key",
      `${dir}/server.key`,
      "--quiet",
    ]);
    const terminate = await relay(`127.0.0.1:${echo.port}`, [
      "--listen-tls-cert",
      `${dir}/server.pem`,
      "--listen-tls-key",
      `${dir}/server.key`,
    ]);
    const originate = await relay(`localhost:${tlsServer.port}`, [
      "--to-tls",
      "--to-ca",
      `${dir}/ca.pem`,
    ]);
    try {
      assert.match(
        terminate.stdout,
        /^Listening on 127\.0\.0\.1:\d+, relaying to 127\.0\.0\.1:\d+ \(TLS in\)\n/,
      );
      assert.match(originate.stdout, /, relaying to localhost:\d+ \(TLS out\)\n/);
      const viaTls = await runSockdemo([
        "connect",
        "--port",
        String(terminate.port),
        "--tls",
        "--ca",
        `${dir}/ca.pem`,
        "--conns",
        "20",
        "--messages",
        "10",
        "--size",
        "5000",
      ]);
      assert.equal(viaTls.code, 0, viaTls.stderr);
      assert.match(
        viaTls.stdout,
        /^20 connections, 200 messages verified, 1000000 bytes sent, 1000000 received, 0 errors/m,
      );
      // Plain in, TLS out: any plain client reaches the TLS server.
      assert.equal(
        await peer("bulk", "127.0.0.1", String(originate.port), "3000000"),
        "verified 3000000 bytes",
      );
      // A client that does not speak TLS to the terminating relay ends only its own connection.
      assert.equal(
        await peer("count", "127.0.0.1", String(terminate.port), "100"),
        "received 7, then end of stream",
      );
    } finally {
      for (const p of [terminate, originate, tlsServer]) await p.stop();
      await echo.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("relay: --reset-after sends a reset after exactly that many bytes, each way", async () => {
  const echo = await cEchoServer();
  const down = await relay(`127.0.0.1:${echo.port}`, ["--reset-after", "down:10000", "--verbose"]);
  try {
    // The client sends 50,000 bytes; exactly 10,000 come back, then a reset.
    assert.equal(
      await peer("count", "127.0.0.1", String(down.port), "50000"),
      "received 10000, then reset",
    );
    await down.waitFor(
      /\n#1 down: --reset-after fired at 10000 bytes\n/,
      10_000,
      "the fault's line",
    );
    await down.waitFor(/; faults: reset-after \(down\) \(0 open\)\n/, 10_000, "the closing line");
  } finally {
    await down.stop();
    await echo.stop();
  }
  // Up: a sink behind the relay counts exactly 10,000 bytes, then the reset.
  const sink = new Deno.Command("python3", { args: [PEER, "sink"], stdout: "piped" }).spawn();
  const lines = sink.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await lines.read()).value);
  const up = await relay(`127.0.0.1:${port}`, [
    "--reset-after",
    "up:10000",
    "--verbose",
    "--log-format",
    "json",
  ]);
  try {
    assert.equal(
      await peer("count", "127.0.0.1", String(up.port), "50000"),
      "received 0, then reset",
    );
    await up.waitFor(
      /"event":"fault","conn":1,"fault":"up: --reset-after fired at 10000 bytes"/,
      10_000,
      "the fault's JSON line",
    );
    let rest = "";
    for (let r = await lines.read(); !r.done; r = await lines.read()) rest += r.value;
    assert.equal(rest.trim(), "got 10000, then reset");
  } finally {
    await up.stop();
    try {
      sink.kill();
    } catch {
      // It ended by itself, as it should once its connection ended.
    }
    await sink.status;
  }
});

Deno.test("relay: --refuse with a seed turns away the same connections on every run, about that share", async () => {
  const echo = await cEchoServer();
  const pattern = async (seed: string) => {
    const proxy = await relay(`127.0.0.1:${echo.port}`, ["--refuse", "0.5", "--seed", seed]);
    try {
      assert.match(proxy.stdout, new RegExp(`; faults: refuse 0\\.5; seed ${seed}\\n`));
      return await peer("attempts", "127.0.0.1", String(proxy.port), "40");
    } finally {
      const out = await proxy.stop();
      assert.match(out.stdout, /, \d+ turned away \(--refuse\)\n$/);
    }
  };
  try {
    const first = await pattern("7");
    assert.equal(await pattern("7"), first);
    assert.notEqual(await pattern("8"), first);
    const refused = first.split("").filter((c) => c === "c").length;
    assert.ok(refused >= 12 && refused <= 28, `${refused} of 40 refused: ${first}`);
  } finally {
    await echo.stop();
  }
});

Deno.test("relay: a refused target closes the client with a line naming the target; usage errors exit 2", async () => {
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = gone.addr.port;
  gone.close();
  const proxy = await relay(`127.0.0.1:${port}`);
  try {
    assert.equal(
      await peer("count", "127.0.0.1", String(proxy.port), "0"),
      "received 0, then end of stream",
    );
  } finally {
    const out = await proxy.stop();
    assert.match(
      out.stderr,
      new RegExp(
        `^sockdemo: #1 127\\.0\\.0\\.1:\\d+: cannot connect to 127\\.0\\.0\\.1:${port}: connection refused; closed after 0 bytes in, 0 out\\n$`,
      ),
    );
  }
  const cases: [string[], string][] = [
    [["--listen", "127.0.0.1:0"], "--to ADDR is required (e.g. 127.0.0.1:80)"],
    [["--to", "127.0.0.1:1"], "--listen ADDR is required (e.g. 127.0.0.1:8080)"],
    [
      ["--listen", "127.0.0.1", "--to", "x:1"],
      '--listen must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "127.0.0.1"',
    ],
    [["--listen", "a:0", "--to", "x:1", "--to-ca", "ca.pem"], "--to-ca applies with --to-tls"],
    [
      ["--listen", "a:0", "--to", "x:1", "--refuse", "2"],
      '--refuse must be a number from 0 to 1, not "2"',
    ],
    [
      ["--listen", "a:0", "--to", "x:1", "--delay", "sideways:5"],
      '--delay must be an integer from 0 to 9007199254740991, not "sideways:5"',
    ],
  ];
  const unreadable = await runSockdemo([
    "relay",
    "--listen",
    "a:0",
    "--to",
    "x:1",
    "--to-tls",
    "--to-ca",
    "/nonexistent/ca.pem",
  ]);
  assert.equal(unreadable.code, 1);
  assert.equal(
    unreadable.stderr,
    "sockdemo: cannot read the CA certificate /nonexistent/ca.pem: no such file or directory\n",
  );
  for (const [args, message] of cases) {
    const r = await runSockdemo(["relay", ...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, `sockdemo: ${message} (try "sockdemo relay --help")\n`);
  }
});

Deno.test("relay: --workers 2 shares the port as one relay; --idle-timeout closes a silent connection", async () => {
  const echo = await cEchoServer();
  const proxy = await relay(`127.0.0.1:${echo.port}`, [
    "--workers",
    "2",
    "--idle-timeout",
    "0.5",
    "--log-format",
    "json",
  ]);
  try {
    assert.match(proxy.stdout, /"event":"listening".*"protocol":"relay".*"workers":2/);
    const r = await runSockdemo(["connect", "--port", String(proxy.port), "--conns", "50"]);
    assert.equal(r.code, 0, r.stderr);
    const silent = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    const line = await proxy.waitFor(/\{[^\n]*"reason":"idle for 0\.5 s"[^\n]*\}/, 10_000);
    assert.equal(JSON.parse(line[0]).conn, 51);
    silent.close();
  } finally {
    const out = await proxy.stop();
    await echo.stop();
    const closed = out.stdout.split("\n").filter((l) => l.includes('"event":"closed"'));
    assert.equal(closed.length, 51);
    const workers = new Set(closed.map((l) => JSON.parse(l).worker));
    assert.deepEqual([...workers].sort(), [1, 2], "both workers relayed some");
  }
});

Deno.test("relay --connect-timeout: a target that drops SYNs closes the client at the deadline, in one line", async () => {
  const silent = await silentPort();
  const proxy = await relay(`127.0.0.1:${silent.port}`, ["--connect-timeout", "0.5"]);
  try {
    const started = performance.now();
    // Bounded: without a deadline the client would wait the kernel's two minutes of SYN retries.
    const r = await runCommand(
      "python3",
      [PEER, "count", "127.0.0.1", String(proxy.port), "0"],
      10_000,
    );
    assert.equal(r.stdout.trim(), "received 0, then end of stream");
    const ms = performance.now() - started;
    assert.ok(ms >= 450 && ms < 5000, `the client was closed after ${ms} ms`);
  } finally {
    const out = await proxy.stop();
    await silent.close();
    assert.match(
      out.stderr,
      new RegExp(
        `^sockdemo: #1 127\\.0\\.0\\.1:\\d+: cannot connect to 127\\.0\\.0\\.1:${silent.port}: ` +
          `timed out after 0\\.5 s; closed after 0 bytes in, 0 out\\n$`,
      ),
    );
  }
});

Deno.test("relay --listen PORT --to :PORT: the short forms of an address work as in every command", async () => {
  const echo = await cEchoServer();
  const proxy = await ServerProcess.start(
    ["--listen", "0", "--to", `:${echo.port}`, "--quiet"],
    60_000,
    /^Listening on 127\.0\.0\.1:\d+, relaying to 127\.0\.0\.1:\d+\n/,
    "relay",
  );
  try {
    assert.equal(
      await peer("bulk", "127.0.0.1", String(proxy.port), "100000"),
      "verified 100000 bytes",
    );
  } finally {
    await proxy.stop();
    await echo.stop();
  }
});

Deno.test("relay without --allow-ffi says at start that resets pass on as FINs", async () => {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const plain = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", MUTANT_ENV, main, "relay", "--listen", "0", "--to", "1"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = plain.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await within(reader.read(), 30_000, "the first line");
  plain.kill("SIGTERM");
  reader.releaseLock();
  await plain.stdout.cancel().catch(() => {});
  await plain.stderr.cancel();
  await plain.status;
  assert.match(
    first.value ?? "",
    /^Listening on 127\.0\.0\.1:\d+, relaying to 127\.0\.0\.1:1; resets pass on as FINs \(an RST needs Linux, glibc and --allow-ffi\)\n/,
  );
  // With FFI (as every other relay here runs) the line says nothing of it.
  const proxy = await relay("127.0.0.1:1");
  const out = await proxy.stop();
  assert.doesNotMatch(out.stdout, /FINs/);
});
