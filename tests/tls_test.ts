/**
 * TLS: `serve --tls-cert/--tls-key` and `connect --tls [--ca] [--server-name]`,
 * with a CA and certificates made by `openssl` at test time (no key is
 * committed). Bad clients end their own connection only.
 */
import assert from "node:assert/strict";
import { hasOpenssl, makeCerts } from "../scripts/certs.ts";
import { rssKiB, runCommand, runSockdemo, ServerProcess } from "./sockdemo_process.ts";

const openssl = await hasOpenssl();
const TLS_PEER = new URL("./foreign/tls_peer.py", import.meta.url).pathname;

Deno.test({
  name: openssl
    ? "tls: verified echo, app and pipe over TLS; bad clients end only their own connection"
    : "tls: SKIPPED, needs openssl to make its certificates (apt-get install openssl)",
  ignore: !openssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockdemo-tls-" });
    try {
      await makeCerts(dir);
      const tls = ["--tls-cert", `${dir}/server.pem`, "--tls-key", `${dir}/server.key`];
      const server = await ServerProcess.start(tls);
      const trust = ["--tls", "--ca", `${dir}/ca.pem`];
      const port = String(server.port);
      try {
        assert.match(server.stdout, /^Listening on 127\.0\.0\.1:\d+ \(TLS\)$/m);
        const load = await runSockdemo([
          "connect",
          "--port",
          port,
          ...trust,
          "--conns",
          "20",
          "--messages",
          "20",
          "--size",
          "1000",
        ]);
        assert.equal(load.code, 0, load.stderr);
        assert.match(load.stdout, /^20 connections, 400 messages verified, 400000 bytes sent/m);
        assert.match(
          load.stdout,
          /^20 TLS connects \(handshake included\): p50 \d+\.\d+ ms, p99 \d+\.\d+ ms, max /m,
        );
        // Not trusted: the handshake fails, on both sides, in one line each.
        const untrusted = await runSockdemo(["connect", "--port", port, "--tls", "--conns", "1"]);
        assert.equal(untrusted.code, 1);
        assert.equal(
          untrusted.stderr,
          `sockdemo: cannot connect to 127.0.0.1:${port}: invalid peer certificate: UnknownIssuer\n`,
        );
        const wrongName = await runSockdemo([
          "connect",
          "--port",
          port,
          ...trust,
          "--server-name",
          "wrong.example",
          "--conns",
          "1",
        ]);
        assert.equal(wrongName.code, 1);
        assert.match(wrongName.stderr, /certificate not valid for name "wrong\.example"/);
        // Plain TCP on the TLS port, then garbage: each ends its own connection.
        const plain = await runSockdemo(["connect", "--port", port, "--conns", "1"]);
        assert.equal(plain.code, 1);
        const garbage = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        await garbage.write(new Uint8Array(2000).fill(0x41));
        // The server answers a TLS alert record (content type 21), not an echo, then closes.
        const reply = new Uint8Array(64);
        const n = await garbage.read(reply).catch(() => null);
        if (n !== null) assert.equal(reply[0], 21, `a TLS alert, not ${reply[0]}`);
        assert.equal(await garbage.read(reply).catch(() => null), null, "then closed");
        garbage.close();
        const named = await runSockdemo([
          "connect",
          "--host",
          "localhost",
          "--port",
          port,
          ...trust,
          "--conns",
          "2",
        ]);
        assert.equal(named.code, 0, named.stderr);
        const piped = await runSockdemo(["connect", "--pipe", "--port", port, ...trust]);
        assert.equal(piped.code, 0, piped.stderr);
        // 300 clients that start a handshake and stop: they wait, the server goes on.
        const before = await rssKiB(server.pid);
        const stalled: Deno.TcpConn[] = [];
        for (let i = 0; i < 300; i++) {
          const c = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
          await c.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // a ClientHello begun
          stalled.push(c);
        }
        await server.waitFor(/\(30[0-9] open\)/, 20_000, "the 300 stalled handshakes accepted");
        const during = await rssKiB(server.pid);
        console.log(`300 stalled TLS handshakes: server RSS ${before} -> ${during} KiB`);
        assert.ok(during - before < 64 * 1024, `RSS grew by ${during - before} KiB`);
        const after = await runSockdemo(["connect", "--port", port, ...trust, "--conns", "2"]);
        assert.equal(after.code, 0, after.stderr);
        for (const c of stalled) c.close();
      } finally {
        const out = await server.stop();
        assert.match(out.stderr, /UnknownCA/);
        assert.match(out.stderr, /BadCertificate/);
        assert.equal(out.code, 0);
      }
      // Foreign peers: Python's ssl module as client of ours, and as server for ours.
      const echoServer = await ServerProcess.start(tls);
      try {
        const py = await runCommand("python3", [
          TLS_PEER,
          "echo-client",
          String(echoServer.port),
          `${dir}/ca.pem`,
        ]);
        assert.equal(py.stdout, "echo verified\n", py.stderr);
      } finally {
        await echoServer.stop();
      }
      const pyServer = new Deno.Command("python3", {
        args: [TLS_PEER, "echo-server", `${dir}/server.pem`, `${dir}/server.key`],
        stdout: "piped",
        signal: AbortSignal.timeout(30_000),
      }).spawn();
      const lines = pyServer.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let first = "";
      while (!first.includes("\n")) first += (await lines.read()).value ?? "";
      const ours = await runSockdemo([
        "connect",
        "--port",
        first.trim(),
        ...trust,
        "--server-name",
        "localhost",
        "--conns",
        "1",
        "--messages",
        "50",
        "--size",
        "2000",
      ]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.match(ours.stdout, /^1 connection, 50 messages verified, 100000 bytes sent/m);
      await pyServer.status;
      await lines.cancel();
      // Two workers, each with its TLS listeners on the port.
      const workers = await ServerProcess.start(["--workers", "2", ...tls]);
      try {
        assert.match(workers.stdout, /^Listening on 127\.0\.0\.1:\d+ \(2 workers, TLS\)$/m);
        const r = await runSockdemo([
          "connect",
          "--port",
          String(workers.port),
          ...trust,
          "--conns",
          "20",
          "--messages",
          "5",
          "--size",
          "100",
          "--workers",
          "2",
          "--json",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.equal(report.messages, 100);
        // Each worker timed its own connects; the merged report has all 20.
        assert.equal(report.handshake_us.count, 20);
        assert.ok(
          report.handshake_us.p99 >= report.handshake_us.p50 && report.handshake_us.p50 > 0,
        );
        assert.equal(typeof report.handshake_histogram, "string");
      } finally {
        await workers.stop();
      }
      const app = await ServerProcess.start(["--protocol", "app", ...tls]);
      try {
        const r = await runSockdemo([
          "connect",
          "--protocol",
          "app",
          "--port",
          String(app.port),
          ...trust,
          "search",
          "ring",
        ]);
        assert.equal(r.stdout, "In the caves beneath the Misty Mountains. 💍\n");
        assert.equal(r.code, 0, r.stderr);
        const py = await runCommand("python3", [
          TLS_PEER,
          "app-client",
          String(app.port),
          `${dir}/ca.pem`,
        ]);
        assert.equal(py.stdout, "In the caves beneath the Misty Mountains. 💍\n", py.stderr);
      } finally {
        await app.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("tls: a missing certificate file is one line, exit 1", async () => {
  const r = await runSockdemo([
    "serve",
    "--port",
    "0",
    "--tls-cert",
    "/nonexistent/cert.pem",
    "--tls-key",
    "/nonexistent/key.pem",
  ]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    "sockdemo: cannot read the TLS certificate /nonexistent/cert.pem: no such file or directory\n",
  );
});
