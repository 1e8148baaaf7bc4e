import assert from "node:assert/strict";
import { silentPort } from "../silent_port.ts";
import {
  addressName,
  type AddressOptions,
  BadAddress,
  chosenAddress,
  dial,
  parseAddress,
} from "../../lib/address.ts";

const connectTcp = (host: string, port: number) =>
  dial({ transport: "tcp", host, port }) as Promise<Deno.TcpConn>;

Deno.test("address dial: localhost reaches a server on ::1 alone, and one on 127.0.0.1 alone", async () => {
  for (const loopback of ["::1", "127.0.0.1"]) {
    const listener = Deno.listen({ hostname: loopback, port: 0 });
    const accepted = listener.accept();
    const conn = await connectTcp("localhost", listener.addr.port);
    assert.equal(conn.remoteAddr.hostname, loopback);
    conn.close();
    (await accepted).close();
    listener.close();
  }
});

Deno.test("address dial: nobody listening on either loopback is 'connection refused'", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await assert.rejects(connectTcp("localhost", port), Deno.errors.ConnectionRefused);
  await assert.rejects(connectTcp("127.0.0.1", port), Deno.errors.ConnectionRefused);
});

Deno.test("address dial: a literal address is tried alone", async () => {
  const listener = Deno.listen({ hostname: "::1", port: 0 });
  const accepted = listener.accept();
  const conn = await connectTcp("::1", listener.addr.port);
  assert.equal(conn.remoteAddr.hostname, "::1");
  conn.close();
  (await accepted).close();
  listener.close();
  // Only 127.0.0.1 listens on this port now: "::1" must not fall back to it.
  const v4 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assert.rejects(connectTcp("::1", v4.addr.port), Deno.errors.ConnectionRefused);
  v4.close();
});

Deno.test("address dial: a name under .localhost is the loopback too; one that merely contains it is not", async () => {
  const listener = Deno.listen({ hostname: "::1", port: 0 });
  const port = listener.addr.port;
  try {
    const accepted = listener.accept();
    const conn = await connectTcp("app.localhost", port);
    assert.equal(conn.remoteAddr.hostname, "::1");
    conn.close();
    (await accepted).close();
    for (const name of ["notlocalhost", "localhost.example"]) {
      // Resolved as any name would be (and not found): never taken for the loopback.
      await assert.rejects(connectTcp(name, port), (e: Error) => {
        assert.ok(!(e instanceof Deno.errors.ConnectionRefused), `${name}: ${e}`);
        return true;
      });
    }
  } finally {
    listener.close();
  }
});

Deno.test("address dial: a host that drops SYNs is 'timed out' at the deadline, not minutes later", async () => {
  const silent = await silentPort();
  try {
    const started = performance.now();
    await assert.rejects(
      dial({ transport: "tcp", host: "127.0.0.1", port: silent.port }, { timeout: 0.5 }),
      (e: Error) => e instanceof Deno.errors.TimedOut && e.message === "timed out after 0.5 s",
    );
    const ms = performance.now() - started;
    assert.ok(ms >= 490 && ms < 3000, `gave up after ${ms} ms`);
  } finally {
    await silent.close();
  }
});

Deno.test("address parse: every form a user types, the same in every command", () => {
  const d = { host: "127.0.0.1" };
  assert.deepEqual(parseAddress("8080", d), { transport: "tcp", host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseAddress(":8080", d), { transport: "tcp", host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseAddress("example.org:80", d), {
    transport: "tcp",
    host: "example.org",
    port: 80,
  });
  assert.deepEqual(parseAddress("[::1]:7", d), { transport: "tcp", host: "::1", port: 7 });
  assert.deepEqual(parseAddress("unix:/run/s.sock", d), { transport: "unix", path: "/run/s.sock" });
  assert.deepEqual(parseAddress("0", { ...d, anyPort: true }), {
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
  });
  const bad: [string, string][] = [
    ["", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not ""'],
    ["localhost", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "localhost"'],
    ["::1", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "::1"'],
    ["[::1]", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "[::1]"'],
    ["unix:", "unix: needs a path"],
    ["h:0", 'the port must be an integer from 1 to 65535, not "0"'],
    ["h:65536", 'the port must be an integer from 1 to 65535, not "65536"'],
    [":-1", 'the port must be an integer from 1 to 65535, not "-1"'],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseAddress(text, d), (e: Error) => {
      assert.ok(e instanceof BadAddress, text);
      assert.equal(e.message, message);
      return true;
    });
  }
});

Deno.test("address options: one word, or --host, --port and --unix spelled out", () => {
  const d = { host: "127.0.0.1", port: 65432 };
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const none: AddressOptions["word"] = { flag: "--to", address: undefined };
  const pick = (host?: string, port?: string, unix?: string, word = none) =>
    chosenAddress({ word, host, port, unix }, d, fail);
  assert.deepEqual(pick(), { transport: "tcp", host: "127.0.0.1", port: 65432 });
  assert.deepEqual(pick("::1", "7"), { transport: "tcp", host: "::1", port: 7 });
  assert.deepEqual(pick(undefined, undefined, "/s"), { transport: "unix", path: "/s" });
  const word = { flag: "--to", address: { transport: "tcp", host: "h", port: 1 } as const };
  assert.deepEqual(pick(undefined, undefined, undefined, word), word.address);
  const mistakes: [() => unknown, string][] = [
    [
      () => pick("h", undefined, "/s"),
      "--unix takes the place of --host and --port: give one or the other",
    ],
    [() => pick(undefined, undefined, ""), "--unix needs a path"],
    [() => pick(""), "--host needs a name or an address"],
    [() => pick(undefined, "0"), '--port must be an integer from 1 to 65535, not "0"'],
    [
      () => pick(undefined, "1", undefined, word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
  ];
  for (const [run, message] of mistakes) assert.throws(run, { message });
});

Deno.test("address names: as log lines write them", () => {
  assert.equal(addressName({ transport: "tcp", host: "127.0.0.1", port: 7 }), "127.0.0.1:7");
  assert.equal(addressName({ transport: "tcp", host: "::1", port: 7 }), "[::1]:7");
  assert.equal(addressName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});
