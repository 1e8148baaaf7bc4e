import assert from "node:assert/strict";
import type { Stream } from "../../lib/loop.ts";
import { abortTcp, canAbortTcp, ipBytes, sockaddrIs } from "../../lib/tcp_abort.ts";
import { MUTANT_ENV, runCommand, within } from "../sockdemo_process.ts";

// A connection that was not reset would leave these reads waiting: each has a deadline.
const read = (conn: Deno.TcpConn, buf: Uint8Array) => within(conn.read(buf), 5000, "the read");

async function pair(): Promise<{ near: Deno.TcpConn; far: Deno.TcpConn; close: () => void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const far = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const near = await listener.accept();
  listener.close();
  return {
    near,
    far,
    close: () => {
      near.close();
      far.close();
    },
  };
}

Deno.test("tcp abort: the peer reads a reset, not an end of stream, even with a read pending here", async () => {
  const { near, far, close } = await pair();
  try {
    const pending = near.read(new Uint8Array(10)).catch(() => null);
    assert.equal(abortTcp(near), true);
    await assert.rejects(read(far, new Uint8Array(10)), Deno.errors.ConnectionReset);
    await pending;
  } finally {
    close();
  }
});

Deno.test("tcp abort: only the connection asked for is reset; its neighbours carry on", async () => {
  const one = await pair(), two = await pair();
  try {
    assert.equal(abortTcp(one.near), true);
    await two.near.write(new Uint8Array([1, 2, 3]));
    const buf = new Uint8Array(10);
    assert.equal(await read(two.far, buf), 3);
    await assert.rejects(read(one.far, buf), Deno.errors.ConnectionReset);
  } finally {
    one.close();
    two.close();
  }
});

Deno.test("tcp abort: a stream that is not TCP, or not this process's, is left alone (false)", () => {
  const read = () => Promise.resolve(null);
  const write = () => Promise.resolve(0);
  assert.equal(abortTcp({ read, write, close() {} }), false);
  const nowhere = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  assert.equal(
    abortTcp({ read, write, close() {}, localAddr: nowhere, remoteAddr: nowhere } as Stream),
    false,
  );
});

Deno.test("tcp abort: of connections sharing a port, only the one asked for is reset, either end", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dial = () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  // B first: its descriptors come before A's, so a match on one port alone would find B.
  const farB = await dial(), nearB = await listener.accept();
  const farA = await dial(), nearA = await listener.accept();
  const farC = await dial(), nearC = await listener.accept();
  const buf = new Uint8Array(10);
  try {
    assert.equal(abortTcp(farA), true, "the client end: same peer port as B's and C's");
    await assert.rejects(read(nearA, buf), Deno.errors.ConnectionReset);
    assert.equal(
      abortTcp(nearC),
      true,
      "the server end: same local port as B's and the listener's",
    );
    await assert.rejects(read(farC, buf), Deno.errors.ConnectionReset);
    await farB.write(new Uint8Array([7]));
    assert.equal(await read(nearB, buf), 1, "B carries on");
    const farD = await dial(), nearD = await listener.accept();
    await farD.write(new Uint8Array([8]));
    assert.equal(await read(nearD, buf), 1, "the listener still accepts");
    farD.close();
    nearD.close();
  } finally {
    for (const c of [farA, nearA, farB, nearB, farC, nearC]) c.close();
    listener.close();
  }
});

Deno.test("tcp abort: a Unix-domain stream is left alone (false)", () => {
  const unix = { transport: "unix", path: "/run/s" };
  const stream = {
    read: () => Promise.resolve(null),
    write: () => Promise.resolve(0),
    close() {},
    localAddr: unix,
    remoteAddr: unix,
  };
  assert.equal(abortTcp(stream as Stream), false);
});

Deno.test("tcp abort: without --allow-ffi it does nothing (false), says it cannot, and the close sends FIN", async () => {
  const script = new URL("./tcp_abort_without_ffi.ts", import.meta.url).pathname;
  const r = await runCommand(Deno.execPath(), ["run", "--allow-net=127.0.0.1", MUTANT_ENV, script]);
  assert.equal(r.stdout, "false null false\n", r.stderr);
});

/** A sockaddr_in6 for the 16 address bytes `ip` and `port`, as the kernel writes it. */
function sockaddr6(ip: number[], port: number): Uint8Array {
  const a = new Uint8Array(28);
  a[0] = 10; // AF_INET6, little-endian
  a[2] = port >> 8;
  a[3] = port & 0xff;
  a.set(ip, 8);
  return a;
}

Deno.test("tcp abort: an IPv6 socket matches only the whole address, not just the port", () => {
  const loop = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // ::1
  const other = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]; // 2001:db8::7
  assert.equal(sockaddrIs(sockaddr6(loop, 40000), ipBytes("::1")!, 40000), true);
  // Two clients from different hosts on the same ephemeral port behind [::]:P.
  assert.equal(sockaddrIs(sockaddr6(other, 40000), ipBytes("::1")!, 40000), false);
  assert.equal(sockaddrIs(sockaddr6(loop, 40001), ipBytes("::1")!, 40000), false);
  // An IPv4 client on an IPv6 listener is a mapped address.
  const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1];
  assert.equal(sockaddrIs(sockaddr6(mapped, 5), ipBytes("10.0.0.1")!, 5), true);
  assert.equal(sockaddrIs(sockaddr6(mapped, 5), ipBytes("10.0.0.2")!, 5), false);
});

Deno.test("tcp abort: an IPv4 socket matches its four bytes and port", () => {
  const v4 = new Uint8Array(16);
  v4.set([2, 0, 0x1f, 0x90, 127, 0, 0, 1]); // AF_INET, port 8080, 127.0.0.1
  assert.equal(sockaddrIs(v4, ipBytes("127.0.0.1")!, 8080), true);
  assert.equal(sockaddrIs(v4, ipBytes("127.0.0.2")!, 8080), false);
  assert.equal(sockaddrIs(v4, ipBytes("::1")!, 8080), false);
  assert.equal(sockaddrIs(v4, ipBytes("127.0.0.1")!, 8081), false);
  const unix = new Uint8Array(16);
  unix[0] = 1; // AF_UNIX
  assert.equal(sockaddrIs(unix, ipBytes("127.0.0.1")!, 0), false);
});

Deno.test("tcp abort: addresses as Deno names them, written out", () => {
  const show = (t: string) => ipBytes(t)?.join(",") ?? null;
  assert.equal(show("127.0.0.1"), "0,0,0,0,0,0,0,0,0,0,255,255,127,0,0,1");
  assert.equal(show("::1"), "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1");
  assert.equal(show("::ffff:10.0.0.1"), "0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,1");
  assert.equal(show("fe80::1%eth0"), "254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1");
  assert.equal(show("2001:db8::ff00:42:8329"), "32,1,13,184,0,0,0,0,0,0,255,0,0,66,131,41");
  assert.equal(show("1:2:3:4:5:6:7:8"), "0,1,0,2,0,3,0,4,0,5,0,6,0,7,0,8");
  for (const bad of ["x", "1:2:3:4:5:6:7", "256.1.1.1", "1::2::3", "12345::"]) {
    assert.equal(show(bad), null, bad);
  }
});

Deno.test("tcp abort: every byte of the address counts, IPv4 and mapped alike", () => {
  const v4 = new Uint8Array(16);
  v4.set([2, 0, 0, 80, 127, 0, 0, 1]); // AF_INET, port 80, 127.0.0.1
  for (const other of ["128.0.0.1", "127.1.0.1", "127.0.1.1", "127.0.0.2"]) {
    assert.equal(sockaddrIs(v4, ipBytes(other)!, 80), false, other);
  }
  assert.equal(sockaddrIs(v4, ipBytes("::ffff:127.0.0.1")!, 80), true);
  // The same last four bytes, but not a mapped IPv4 address.
  for (
    const other of ["1::ffff:127.0.0.1", "::fffe:127.0.0.1", "::feff:127.0.0.1", "::127.0.0.1"]
  ) {
    assert.equal(sockaddrIs(v4, ipBytes(other)!, 80), false, other);
  }
  const unix = new Uint8Array(28);
  unix[0] = 1; // AF_UNIX: never an IP socket, even where its bytes read as one
  assert.equal(sockaddrIs(unix, ipBytes("::")!, 0), false);
});

Deno.test("tcp abort: addresses read exactly: each octet, embedded IPv4, anchors", () => {
  const show = (t: string) => ipBytes(t)?.join(",") ?? null;
  assert.equal(show("10.20.30.40"), "0,0,0,0,0,0,0,0,0,0,255,255,10,20,30,40");
  assert.equal(show("255.255.255.255"), "0,0,0,0,0,0,0,0,0,0,255,255,255,255,255,255");
  assert.equal(show("1::10.0.0.1"), "0,1,0,0,0,0,0,0,0,0,0,0,10,0,0,1");
  assert.equal(show("::"), "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
  assert.equal(show("fe80::1%eth0.5"), "254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1");
  for (const bad of ["a1.2.3.4", "1.2.3.4x", "1.2.3.256", "1.2.3", "1:2:3:4:5:6:7:8:9", "g::1"]) {
    assert.equal(show(bad), null, bad);
  }
});

Deno.test("tcp abort: with --allow-ffi on Linux it can reset", () => {
  assert.equal(canAbortTcp(), true);
});
