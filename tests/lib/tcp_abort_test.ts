import assert from "node:assert/strict";
import { abortTcp } from "../../lib/tcp_abort.ts";
import { within } from "../sockdemo_process.ts";

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

Deno.test("tcp abort: a stream that is not TCP is left alone (false): its close sends FIN", () => {
  const read = () => Promise.resolve(null);
  const write = () => Promise.resolve(0);
  assert.equal(abortTcp({ read, write, close() {} }), false);
});
