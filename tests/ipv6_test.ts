/**
 * IPv6 and names: `serve --host ::1` and `--host ::`, `connect --host ::1`,
 * addresses shown as `[::1]:PORT`, and `--host localhost` reaching whichever
 * loopback answers. Loopback only.
 */
import assert from "node:assert/strict";
import { runSockdemo, ServerProcess } from "./sockdemo_process.ts";

const load = (host: string, port: number) => [
  "connect",
  "--host",
  host,
  "--port",
  String(port),
  "--conns",
  "3",
  "--messages",
  "5",
  "--size",
  "100",
];

Deno.test("ipv6: serve --host ::1 shows [::1]:PORT; connect --host ::1 verifies every byte", async () => {
  const server = await ServerProcess.start(["--host", "::1"]);
  try {
    assert.match(server.stdout, /^Listening on \[::1\]:\d+$/m);
    const r = await runSockdemo(load("::1", server.port));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^3 connections, 15 messages verified, 1500 bytes sent, 1500 received/m);
  } finally {
    const out = await server.stop();
    assert.match(out.stdout, /^#1 accepted from \[::1\]:\d+ \(1 open\)$/m);
    assert.match(out.stdout, /^Stopped: 3 connections served, 1500 bytes in, 1500 bytes out/m);
  }
});

Deno.test("ipv6: serve --host :: takes both IPv6 and IPv4 clients", async () => {
  const server = await ServerProcess.start(["--host", "::"]);
  try {
    assert.match(server.stdout, /^Listening on \[::\]:\d+$/m);
    for (const host of ["::1", "127.0.0.1"]) {
      const r = await runSockdemo(load(host, server.port));
      assert.equal(r.code, 0, `${host}: ${r.stderr}`);
    }
  } finally {
    const out = await server.stop();
    assert.match(out.stdout, /^Stopped: 6 connections served/m);
  }
});

Deno.test("names: connect --host localhost reaches a server on ::1 alone", async () => {
  const server = await ServerProcess.start(["--host", "::1"]);
  try {
    const r = await runSockdemo(["connect", "--host", "localhost", "--port", String(server.port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^conn 1: connected to localhost:${server.port}$`, "m"));
    assert.match(r.stdout, /all 44 bytes came back verified/);
  } finally {
    await server.stop();
  }
});
