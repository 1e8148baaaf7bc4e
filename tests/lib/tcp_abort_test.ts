import assert from "node:assert/strict";
import type { Stream } from "../../lib/loop.ts";
import { abortTcp } from "../../lib/tcp_abort.ts";
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

Deno.test("tcp abort: without --allow-ffi it does nothing (false), and the close sends FIN", async () => {
  const script = new URL("./tcp_abort_without_ffi.ts", import.meta.url).pathname;
  const r = await runCommand(Deno.execPath(), ["run", "--allow-net=127.0.0.1", MUTANT_ENV, script]);
  assert.equal(r.stdout, "false null\n", r.stderr);
});
