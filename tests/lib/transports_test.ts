/** Opening transports: listeners, dials (deadline, localhost, Unix, TLS). */
import assert from "node:assert/strict";
import { hasOpenssl, makeCerts } from "../../scripts/certs.ts";
import { silentPort } from "../silent_port.ts";
import { localName } from "../../lib/address.ts";
import { readSysctl } from "../../lib/sysctl.ts";
import {
  dial,
  listen,
  listenFailure,
  MAX_TIMER_MS,
  openUdpClient,
  probe,
  removeSocket,
} from "../../lib/transports.ts";

const connectTcp = (host: string, port: number) =>
  dial({ transport: "tcp", host, port }) as Promise<Deno.TcpConn>;

Deno.test("transports dial: localhost reaches a server on ::1 alone, and one on 127.0.0.1 alone", async () => {
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

Deno.test("transports dial: nobody listening on either loopback is 'connection refused'", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  await assert.rejects(connectTcp("localhost", port), Deno.errors.ConnectionRefused);
  await assert.rejects(connectTcp("127.0.0.1", port), Deno.errors.ConnectionRefused);
});

Deno.test("transports dial: a literal address is tried alone", async () => {
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

Deno.test("transports dial: a name under .localhost is the loopback too; one that merely contains it is not", async () => {
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

Deno.test("transports dial: a host that drops SYNs is 'timed out' at the deadline, not minutes later", async () => {
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

Deno.test("transports listen: one TCP listener by default, a group on one port when asked, a probe first", async () => {
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
  assert.ok("port" in free && free.port > 0);
  assert.deepEqual(free, { transport: "tcp", host: "127.0.0.1", port: free.port });
});

// The accept queue of the listener on `port`, as `ss` shows it (Send-Q of a listening socket).
async function backlogOf(port: number): Promise<number> {
  const ss = await new Deno.Command("ss", { args: ["-ltnH", `sport = :${port}`] }).output();
  return Number(new TextDecoder().decode(ss.stdout).trim().split(/\s+/)[2]);
}

Deno.test({
  name: "transports listen: the accept queue is 4096 unless told (the kernel caps it at somaxconn)",
  ignore: !(await Deno.permissions.query({ name: "run", command: "ss" })).state.startsWith("g"),
}, async () => {
  const cap = readSysctl("net.core.somaxconn") ?? 4096;
  for (const [backlog, expected] of [[undefined, Math.min(4096, cap)], [77, 77]] as const) {
    const listeners = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 }, { backlog });
    assert.ok(Array.isArray(listeners));
    try {
      assert.equal(await backlogOf((listeners[0].addr as Deno.NetAddr).port), expected);
    } finally {
      listeners[0].close();
    }
  }
});

Deno.test("transports listen: a failure names the address; a privileged port is hinted at", () => {
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
    "transports listen: a Unix socket: a stale file is replaced, a live one refused, another file left alone",
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
  name:
    "transports dial: a Unix socket; a deadline past 2^31 ms still waits; no deadline without one",
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

const openssl = await hasOpenssl();

Deno.test({
  name:
    "transports TLS: a TLS listener, a dial that verifies it by CA and name, and one that does not",
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

Deno.test("transports UDP: a client's socket is on the loopback for a loopback target, else on every address", async () => {
  const bound = (host: string) => {
    const socket = openUdpClient(host);
    const addr = socket.addr as Deno.NetAddr;
    socket.close();
    assert.notEqual(addr.port, 0, host);
    return addr.hostname;
  };
  assert.equal(bound("127.0.0.1"), "127.0.0.1");
  assert.equal(bound("127.0.0.53"), "127.0.0.1");
  assert.equal(bound("127.10.20.30"), "127.0.0.1");
  assert.equal(bound("localhost"), "127.0.0.1");
  assert.equal(bound("::1"), "::1");
  for (
    const [host, wildcard] of [["127.0.0.1.example", "0.0.0.0"], ["a127.0.0.1", "0.0.0.0"], [
      "10.1.2.3",
      "0.0.0.0",
    ], [
      "fe80::1",
      "::",
    ]]
  ) {
    // The test task may net only the loopback: then the wildcard is asked for, and refused.
    const granted = await Deno.permissions.query({
      name: "net",
      host: wildcard === "::" ? "[::]" : wildcard,
    });
    if (granted.state === "granted") assert.equal(bound(host), wildcard, host);
    else assert.throws(() => bound(host), (e) => String(e).includes(wildcard), host);
  }
});
