import assert from "node:assert/strict";
import { abortTcp } from "../../lib/tcp_abort.ts";

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
    await assert.rejects(far.read(new Uint8Array(10)), Deno.errors.ConnectionReset);
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
    assert.equal(await two.far.read(buf), 3);
    await assert.rejects(one.far.read(buf), Deno.errors.ConnectionReset);
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
