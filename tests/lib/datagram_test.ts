/** UDP sockets as loop streams: one datagram per read and per write, the sender kept, a server's socket handed out once. */
import assert from "node:assert/strict";
import {
  DATAGRAM_READ,
  DatagramAcceptor,
  DatagramStream,
  MAX_DATAGRAM,
} from "../../lib/datagram.ts";
import { openUdp } from "../../lib/transports.ts";

Deno.test("datagram stream: each write one datagram to `to`; each read one datagram and who sent it", async () => {
  assert.equal(MAX_DATAGRAM, 65_507);
  assert.equal(DATAGRAM_READ, 65_536);
  const a = new DatagramStream(openUdp("127.0.0.1", 0));
  const b = new DatagramStream(openUdp("127.0.0.1", 0), null);
  try {
    assert.equal(a.readSize, 65_536);
    assert.equal(a.addr.hostname, "127.0.0.1");
    assert.notEqual(a.addr.port, 0);
    assert.equal(b.to, null);
    a.to = b.addr;
    assert.equal(await a.write(new Uint8Array([1, 2, 3])), 3);
    assert.equal(await a.write(new Uint8Array([4])), 1);
    const buf = new Uint8Array(DATAGRAM_READ);
    assert.equal(await b.read(buf), 3);
    assert.deepEqual(buf.subarray(0, 3), new Uint8Array([1, 2, 3]));
    assert.deepEqual(b.from, a.addr);
    assert.equal(await b.read(buf), 1);
    assert.equal(buf[0], 4);
    // An empty datagram reads as 0 bytes, not as an end.
    assert.equal(await a.write(new Uint8Array(0)), 0);
    assert.equal(await b.read(buf), 0);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("datagram acceptor: hands its socket out once, then waits until closed", async () => {
  const acceptor = new DatagramAcceptor(openUdp("127.0.0.1", 0));
  const port = acceptor.addr.port;
  assert.notEqual(port, 0);
  const socket = await acceptor.accept() as DatagramStream;
  assert.equal(socket.addr.port, port);
  let settled = false;
  const next = acceptor.accept().finally(() => settled = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "a second accept waits");
  acceptor.close();
  await assert.rejects(next, (e) => e instanceof Deno.errors.BadResource && e.message === "closed");
  // The socket handed out is its connection's to close.
  socket.to = socket.addr;
  assert.equal(await socket.write(new Uint8Array([9])), 1);
  socket.close();
});

Deno.test("datagram acceptor: closed before handing its socket out, it closes the socket", () => {
  const acceptor = new DatagramAcceptor(openUdp("127.0.0.1", 0));
  const port = acceptor.addr.port;
  acceptor.close();
  acceptor.close(); // twice is once
  // The port is free again.
  const again = openUdp("127.0.0.1", port);
  again.close();
});
