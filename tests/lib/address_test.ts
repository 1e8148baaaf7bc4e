import assert from "node:assert/strict";
import { hasOpenssl, makeCerts } from "../../scripts/certs.ts";
import { silentPort } from "../silent_port.ts";
import {
  addressName,
  type AddressOptions,
  BadAddress,
  chosenAddress,
  dial,
  listen,
  listenFailure,
  localName,
  MAX_TIMER_MS,
  parseAddress,
  probe,
  removeSocket,
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
  assert.deepEqual(parseAddress("h:65535", d), { transport: "tcp", host: "h", port: 65535 });
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
    ["h:", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "h:"'],
    ["h:1:2", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "h:1:2"'],
    ["h:080000", 'the port must be an integer from 1 to 65535, not "080000"'],
    ["h:1x", 'the port must be an integer from 1 to 65535, not "1x"'],
    ["h:x1", 'the port must be an integer from 1 to 65535, not "x1"'],
    ["h: 5", 'the port must be an integer from 1 to 65535, not " 5"'],
    ["h:5 ", 'the port must be an integer from 1 to 65535, not "5 "'],
    ["x1", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "x1"'],
    ["1x", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "1x"'],
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
    [
      () => pick("h", undefined, undefined, word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [
      () => pick(undefined, undefined, "/s", word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [
      () => pick(undefined, "1", "/s"),
      "--unix takes the place of --host and --port: give one or the other",
    ],
  ];
  for (const [run, message] of mistakes) assert.throws(run, { message });
});

Deno.test("address names: as log lines write them", () => {
  assert.equal(addressName({ transport: "tcp", host: "127.0.0.1", port: 7 }), "127.0.0.1:7");
  assert.equal(addressName({ transport: "tcp", host: "::1", port: 7 }), "[::1]:7");
  assert.equal(addressName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});

Deno.test("address listen: one TCP listener by default, a group on one port when asked, a probe first", async () => {
  const one = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 });
  assert.ok(Array.isArray(one) && one.length === 1);
  const port = (one[0].addr as Deno.NetAddr).port;
  // The group's probe finds the port taken: one failure, nothing left open.
  const taken = await listen({ transport: "tcp", host: "127.0.0.1", port }, { count: 3 });
  assert.deepEqual(taken, { address: `127.0.0.1:${port}`, reason: "address already in use" });
  // Probed by a coordinator: the group is opened as it is, and fails the same.
  const probed = await listen({ transport: "tcp", host: "127.0.0.1", port }, {
    count: 2,
    probed: true,
  });
  assert.deepEqual(probed, { address: `127.0.0.1:${port}`, reason: "address already in use" });
  one[0].close();
  const group = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 }, { count: 3 });
  assert.ok(Array.isArray(group) && group.length === 3);
  const ports = new Set(group.map((l) => (l.addr as Deno.NetAddr).port));
  assert.equal(ports.size, 1, "one port for the group, found by the probe");
  assert.ok(!ports.has(0));
  // The group accepts on that port (SO_REUSEPORT): a dial reaches one of them.
  const conn = await dial({ transport: "tcp", host: "127.0.0.1", port: [...ports][0] });
  conn.close();
  // A worker's group, probed by its coordinator, opens beside its siblings' on the same port.
  const sibling = await listen({ transport: "tcp", host: "127.0.0.1", port: [...ports][0] }, {
    count: 2,
    probed: true,
  });
  assert.ok(Array.isArray(sibling) && sibling.length === 2, JSON.stringify(sibling));
  for (const l of [...group, ...sibling]) l.close();
  const free = probe({ transport: "tcp", host: "127.0.0.1", port: 0 });
  assert.ok("port" in free && free.port > 0 && free.host === "127.0.0.1");
});

Deno.test("address listen: a failure names the address; a privileged port is hinted at", () => {
  const tcp = (port: number) => ({ transport: "tcp", host: "0.0.0.0", port }) as const;
  const denied = new Deno.errors.PermissionDenied("Permission denied (os error 13)");
  assert.deepEqual(listenFailure(tcp(80), denied), {
    address: "0.0.0.0:80",
    reason: "permission denied (ports below 1024 need privileges)",
  });
  assert.deepEqual(
    listenFailure(tcp(1023), denied).reason,
    "permission denied (ports below 1024 need privileges)",
  );
  assert.deepEqual(listenFailure(tcp(1024), denied).reason, "permission denied");
  assert.deepEqual(listenFailure({ transport: "unix", path: "/s" }, denied), {
    address: "unix:/s",
    reason: "permission denied",
  });
  assert.deepEqual(
    listenFailure(tcp(80), new Deno.errors.AddrInUse("x")).reason,
    "address already in use",
  );
});

// Deno asks net access for a Unix socket's path, which the test task's loopback-only
// permission does not give: there, tests/unix_test.ts covers them through sockdemo itself.
const unixAllowed = (await Deno.permissions.query({ name: "net" })).state === "granted";

Deno.test({
  name:
    "address listen: a Unix socket: a stale file is replaced, a live one refused, another file left alone",
  ignore: !unixAllowed,
}, async () => {
  const dir = await Deno.makeTempDir();
  const at = { transport: "unix", path: `${dir}/s.sock` } as const;
  try {
    const first = await listen(at);
    assert.ok(Array.isArray(first));
    assert.equal(localName(first[0].addr), `unix:${dir}/s.sock`);
    assert.deepEqual(await listen(at), {
      address: `unix:${dir}/s.sock`,
      reason: "address already in use",
    });
    first[0].close();
    // Whether or not the close removed it, a socket file nobody answers on is taken over.
    if (!(await exists(at.path))) {
      const killed = new Deno.Command("python3", {
        args: ["-c", `import socket; s = socket.socket(socket.AF_UNIX); s.bind("${at.path}")`],
      });
      assert.equal((await killed.output()).code, 0);
    }
    const again = await listen(at);
    assert.ok(Array.isArray(again), JSON.stringify(again));
    again[0].close();
    removeSocket(at);
    assert.equal(await exists(at.path), false);
    removeSocket(at); // gone already: nothing to do
    await Deno.writeTextFile(at.path, "left behind");
    removeSocket(at);
    assert.equal(await exists(at.path), false, "the file is removed");
    removeSocket({ transport: "tcp", host: "h", port: 1 }); // no file
    await Deno.writeTextFile(at.path, "not a socket");
    assert.deepEqual(await listen(at), {
      address: `unix:${dir}/s.sock`,
      reason: "address already in use (by a file that is not a socket)",
    });
    assert.equal(await Deno.readTextFile(at.path), "not a socket", "left alone");
    assert.deepEqual(await listen({ transport: "unix", path: `${dir}/no/such/dir/s.sock` }), {
      address: `unix:${dir}/no/such/dir/s.sock`,
      reason: "no such file or directory",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test({
  name: "address dial: a Unix socket; a deadline past 2^31 ms still waits; no deadline without one",
  ignore: !unixAllowed,
}, async () => {
  const dir = await Deno.makeTempDir();
  const at = { transport: "unix", path: `${dir}/d.sock` } as const;
  try {
    const listeners = await listen(at);
    assert.ok(Array.isArray(listeners));
    const accepted = listeners[0].accept();
    const conn = await dial(at, { timeout: 0 });
    (await accepted).close();
    conn.close();
    listeners[0].close();
    const tcp = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 });
    assert.ok(Array.isArray(tcp));
    const port = (tcp[0].addr as Deno.NetAddr).port;
    // A billion seconds, past what setTimeout holds: it must not fire at once.
    const far = await dial({ transport: "tcp", host: "127.0.0.1", port }, { timeout: 1e9 });
    far.close();
    (await tcp[0].accept()).close();
    tcp[0].close();
    assert.equal(MAX_TIMER_MS, 2_147_483_647);
    await assert.rejects(dial({ transport: "tcp", host: "127.0.0.1", port }, { timeout: 5 }), {
      name: "ConnectionRefused",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("address names: a listener's own address, TCP or Unix", () => {
  assert.equal(localName({ transport: "tcp", hostname: "::1", port: 9 }), "[::1]:9");
  assert.equal(localName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});

const openssl = await hasOpenssl();

Deno.test({
  name:
    "address TLS: a TLS listener, a dial that verifies it by CA and name, and one that does not",
  ignore: !openssl,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await makeCerts(dir);
      const [cert, key, ca] = ["server.pem", "server.key", "ca.pem"].map((f) =>
        Deno.readTextFileSync(`${dir}/${f}`)
      );
      const listeners = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 }, {
        tls: { cert, key },
      });
      assert.ok(Array.isArray(listeners));
      const port = (listeners[0].addr as Deno.NetAddr).port;
      const at = { transport: "tcp", host: "127.0.0.1", port } as const;
      const served = (async () => {
        const conn = await listeners[0].accept();
        const buf = new Uint8Array(5);
        const n = await conn.read(buf);
        await conn.write(buf.subarray(0, n ?? 0));
        conn.close();
      })();
      const conn = await dial(at, { tls: { ca, serverName: "localhost" } });
      await conn.write(new TextEncoder().encode("hello"));
      const back = new Uint8Array(5);
      assert.equal(await conn.read(back), 5);
      assert.equal(new TextDecoder().decode(back), "hello");
      conn.close();
      await served;
      // The handshake is part of the dial: an unverified server is a failed dial.
      const refusing = (async () => {
        for (let i = 0; i < 3; i++) {
          const c = await listeners[0].accept() as Deno.TlsConn;
          await c.handshake().catch(() => {});
          c.close();
        }
      })();
      await assert.rejects(
        dial(at, { tls: { ca: null, serverName: "localhost" } }),
        /UnknownIssuer/,
      );
      await assert.rejects(
        dial(at, { tls: { ca, serverName: "other.example" } }),
        /NotValidForName|certificate/i,
      );
      // Without a name, the host dialed is the name: 127.0.0.1 is in the certificate.
      const byHost = await dial(at, { tls: { ca, serverName: null } });
      byHost.close();
      await refusing;
      // A handshake that ends after the deadline: the dial has failed, and the late connection is closed.
      const started = performance.now();
      await assert.rejects(dial(at, { tls: { ca, serverName: "localhost" }, timeout: 0.2 }), {
        name: "TimedOut",
        message: "timed out after 0.2 s",
      });
      assert.ok(performance.now() - started < 2000);
      const late = await listeners[0].accept() as Deno.TlsConn;
      await late.handshake();
      const ended = await Promise.race([
        late.read(new Uint8Array(1)).then((n) => n === null ? "closed" : "data", () => "closed"),
        new Promise((r) => setTimeout(() => r("still open"), 3000)),
      ]);
      assert.equal(ended, "closed");
      late.close();
      listeners[0].close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
