/**
 * TLS: `serve --tls-cert/--tls-key` and `connect --tls [--ca] [--server-name]`,
 * with a CA and certificates made by `openssl` at test time (no key is
 * committed). Bad clients end their own connection only.
 */
import assert from "node:assert/strict";
import { runCommand, runSockdemo, ServerProcess } from "./sockdemo_process.ts";

async function hasOpenssl(): Promise<boolean> {
  try {
    return (await runCommand("openssl", ["version"])).code === 0;
  } catch {
    return false;
  }
}

/** A CA, and a server certificate it signed for localhost and 127.0.0.1, in `dir`. */
async function makeCerts(dir: string): Promise<void> {
  const run = async (args: string[]) => {
    const r = await runCommand("openssl", args, 60_000);
    assert.equal(r.code, 0, r.stderr);
  };
  await run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "2",
    "-subj",
    "/CN=sockdemo test CA",
  ]);
  await run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/server.key`,
    "-out",
    `${dir}/server.csr`,
    "-subj",
    "/CN=localhost",
  ]);
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await run([
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/server.pem`,
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
  ]);
}

const openssl = await hasOpenssl();

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
        assert.match(load.stdout, /^20 connections, 400 messages verified, 400000 bytes sent/);
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
        assert.equal(await garbage.read(new Uint8Array(10)).catch(() => null) !== 1, true);
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
      } finally {
        const out = await server.stop();
        assert.match(out.stderr, /UnknownCA/);
        assert.match(out.stderr, /BadCertificate/);
        assert.equal(out.code, 0);
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
