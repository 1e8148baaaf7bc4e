/**
 * The reference to beat: a plain Deno echo server with one async function per
 * connection, the way most Deno code is written. Not part of sockdemo.
 *
 * Usage: deno run --allow-net bench/deno_echo.ts [PORT]
 */
const port = Number(Deno.args[0] ?? 7002);
const listener = Deno.listen({ hostname: "127.0.0.1", port, tcpBacklog: 4096 });
console.log(`listening on ${port}`);

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
    }
  } catch {
    // A reset peer ends its own connection only.
  } finally {
    conn.close();
  }
}

for await (const conn of listener) {
  conn.setNoDelay(true);
  echo(conn);
}
