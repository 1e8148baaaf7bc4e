import assert from "node:assert/strict";
import { dial } from "../../lib/address.ts";

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
