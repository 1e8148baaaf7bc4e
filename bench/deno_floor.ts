/**
 * The floor of any Deno echo server: one async function per connection and
 * nothing else, on 16 `reusePort` listeners with an accept queue of 4,096, as
 * sockdemo listens. Not part of sockdemo: `bench/floor.sh` runs it beside
 * `sockdemo serve` and the C server to show how much of the gap to C is
 * Deno's own. Run it with `DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=64`, or its
 * connections starve at thousands (see docs/performance.md, "Fairness").
 *
 * Usage: deno run --allow-net --unstable-net bench/deno_floor.ts PORT
 */
const port = Number(Deno.args[0] ?? 7003);

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
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

async function serve(listener: Deno.TcpListener): Promise<void> {
  for await (const conn of listener) {
    conn.setNoDelay(true);
    echo(conn);
  }
}

for (let i = 0; i < 16; i++) {
  serve(Deno.listen({ hostname: "127.0.0.1", port, reusePort: true, tcpBacklog: 4096 }));
}
console.log(`listening on ${port}`);
