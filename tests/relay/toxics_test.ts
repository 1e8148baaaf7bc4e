/**
 * What each toxic does to real connections through a proxy made with the
 * API, measured as Toxiproxy's own tests measure it, and toxics changed
 * while bytes flow. Bounds are Toxiproxy's where this 2-core machine allows;
 * where it needs more, the widening is written next to the bound.
 */
import assert from "node:assert/strict";
import { silentPort } from "../silent_port.ts";
import { type ApiRun, startApi } from "./api_harness.ts";

async function post(run: ApiRun, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${run.url}${path}`, { method: "POST", body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${path}: ${res.status} ${text}`);
  return text === "" ? null : JSON.parse(text);
}

async function remove(run: ApiRun, path: string): Promise<void> {
  const res = await fetch(`${run.url}${path}`, { method: "DELETE" });
  await res.body?.cancel();
  assert.equal(res.status, 204);
}

/** A proxy named `name` to the echo server, and a connection through it. */
async function proxied(run: ApiRun, name = "p"): Promise<Deno.TcpConn> {
  const proxy = await post(run, "/proxies", {
    name,
    listen: "127.0.0.1:0",
    upstream: run.echo,
  }) as { listen: string };
  const [hostname, port] = proxy.listen.split(":");
  return await Deno.connect({ hostname, port: Number(port) });
}

/** Reads exactly `n` bytes; also how many reads it took. */
async function readExactly(
  conn: Deno.Conn,
  n: number,
): Promise<{ data: Uint8Array; reads: number }> {
  const data = new Uint8Array(n);
  let reads = 0;
  for (let at = 0; at < n;) {
    const got = await conn.read(data.subarray(at));
    if (got === null) throw new Error(`end of stream after ${at} of ${n} bytes`);
    at += got;
    reads++;
  }
  return { data, reads };
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 10)) & 0xff);

/** Milliseconds for `bytes` to go out and all of them to come back. */
async function roundTrip(conn: Deno.Conn, bytes: Uint8Array) {
  const start = performance.now();
  const writing = conn.write(bytes).then(async function more(n): Promise<void> {
    if (n < bytes.length) await more(n + await conn.write(bytes.subarray(n)));
  });
  const back = await readExactly(conn, bytes.length);
  await writing;
  return { ms: performance.now() - start, ...back };
}

Deno.test("toxics: latency holds each direction for its time, give or take the jitter", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await roundTrip(conn, new Uint8Array(1)); // connected and warm
    await post(run, "/proxies/p/toxics", {
      type: "latency",
      attributes: { latency: 100, jitter: 0 },
    });
    await post(run, "/proxies/p/toxics", {
      type: "latency",
      stream: "upstream",
      attributes: { latency: 50, jitter: 20 },
    });
    for (let i = 0; i < 3; i++) {
      const { ms } = await roundTrip(conn, new Uint8Array(100));
      // 150 ms, give or take the jitter's 20 and Toxiproxy's 10 ms per direction (x2: 2 cores, 3 loops).
      assert.ok(ms >= 130 - 1 && ms <= 150 + 20 + 40, `round trip ${ms} ms`);
    }
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: bandwidth carries 480 KB at 1,000 KB/s in 480 ms, give or take 10%", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await post(run, "/proxies/p/toxics", { type: "bandwidth", attributes: { rate: 1000 } });
    const sent = pattern(480_000);
    const { ms, data } = await roundTrip(conn, sent);
    assert.deepEqual(data, sent);
    assert.ok(ms >= 432 && ms <= 528, `480 KB in ${ms} ms`);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: the slicer cuts 480 KB into 240 to 720 reads of about 1 KB, which reassemble exactly", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    // Toxiproxy counts the toxic's chunks; through a socket a read takes whatever has come, so
    // the slices come 2 ms apart here (timers fire at 1 ms at best), for each to be a read of its own.
    await post(run, "/proxies/p/toxics", {
      type: "slicer",
      attributes: { average_size: 1024, size_variation: 512, delay: 2000 },
    });
    const sent = pattern(480_000);
    const { data, reads } = await roundTrip(conn, sent);
    assert.deepEqual(data, sent);
    assert.ok(reads >= 240 && reads <= 720, `${reads} reads`);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: reset_peer resets the client after its timeout", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await roundTrip(conn, new Uint8Array(10));
    const start = performance.now();
    await post(run, "/proxies/p/toxics", { type: "reset_peer", attributes: { timeout: 100 } });
    await assert.rejects(conn.read(new Uint8Array(10)), Deno.errors.ConnectionReset);
    const ms = performance.now() - start;
    assert.ok(ms >= 100 && ms < 1000, `reset after ${ms} ms`);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: a timeout drops what comes; removed, it closes the connections it held within 1 s", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await post(run, "/proxies/p/toxics", {
      name: "t",
      type: "timeout",
      attributes: { timeout: 0 },
    });
    await conn.write(new Uint8Array(100));
    const reading = conn.read(new Uint8Array(100)).catch(() => null);
    const early = await Promise.race([
      reading,
      new Promise((r) => setTimeout(() => r("held"), 200)),
    ]);
    assert.equal(early, "held", "nothing comes back while the timeout holds it");
    const start = performance.now();
    await remove(run, "/proxies/p/toxics/t");
    const closed = await Promise.race([
      reading,
      new Promise((r) => setTimeout(() => r("still open after 1 s"), 1000)),
    ]);
    assert.equal(closed, null, "closed");
    assert.ok(performance.now() - start < 1000);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: limit_data closes once its bytes are through; toxicity 0 leaves a connection alone", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await post(run, "/proxies/p/toxics", {
      name: "none",
      type: "timeout",
      toxicity: 0,
      attributes: { timeout: 1 },
    });
    assert.equal(
      (await roundTrip(conn, pattern(1000))).data.length,
      1000,
      "the timeout never applied",
    );
    await post(run, "/proxies/p/toxics", { type: "limit_data", attributes: { bytes: 500 } });
    await conn.write(pattern(2000));
    const { data } = await readExactly(conn, 500);
    assert.deepEqual(data, pattern(500));
    assert.equal(
      await conn.read(new Uint8Array(10)).catch(() => null),
      null,
      "closed after 500 bytes",
    );
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: 65,535 numbered values arrive complete and in order while a latency comes and goes", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    const values = new Uint8Array(65_535 * 2);
    for (let i = 0; i < 65_535; i++) [values[2 * i], values[2 * i + 1]] = [i >> 8, i & 0xff];
    let flipping = true;
    const flips = (async () => {
      let n = 0;
      while (flipping) {
        const toxic = { name: "lag", type: "latency", attributes: { latency: n % 3, jitter: 2 } };
        await post(run, "/proxies/p/toxics", toxic);
        await new Promise((r) => setTimeout(r, 2));
        await remove(run, "/proxies/p/toxics/lag");
        n++;
      }
      return n;
    })();
    let received = new Uint8Array(0);
    for (let at = 0; at < values.length; at += 1000) {
      const piece = values.subarray(at, at + 1000);
      await conn.write(piece);
      const { data } = await readExactly(conn, piece.length);
      received = new Uint8Array([...received, ...data]);
    }
    flipping = false;
    assert.ok(await flips > 5, "the toxic came and went while the values flowed");
    assert.deepEqual(received, values);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: slow_close holds the FIN back its time after the source's", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await post(run, "/proxies/p/toxics", { type: "slow_close", attributes: { delay: 200 } });
    await roundTrip(conn, new Uint8Array(10));
    const start = performance.now();
    await conn.closeWrite(); // the echo server ends too, and its FIN comes back through the toxic
    assert.equal(await conn.read(new Uint8Array(10)), null);
    const ms = performance.now() - start;
    assert.ok(ms >= 200 && ms < 1200, `FIN after ${ms} ms`);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: refuse turns away its share of new connections, the same ones for a seed", async () => {
  const outcomes: boolean[][] = [];
  for (const attempt of [0, 1]) {
    const run = startApi(42);
    try {
      const proxy = await post(run, "/proxies", {
        name: "p",
        listen: "127.0.0.1:0",
        upstream: run.echo,
      }) as { listen: string };
      await post(run, "/proxies/p/toxics", { type: "refuse", toxicity: 0.5 });
      const served: boolean[] = [];
      for (let i = 0; i < 20; i++) {
        const [hostname, port] = proxy.listen.split(":");
        const conn = await Deno.connect({ hostname, port: Number(port) });
        await conn.write(new Uint8Array([i]));
        served.push(await conn.read(new Uint8Array(1)).catch(() => null) === 1);
        conn.close();
      }
      outcomes[attempt] = served;
    } finally {
      await run.stop();
    }
  }
  const count = outcomes[0].filter((s) => s).length;
  assert.ok(count >= 4 && count <= 16, `${count} of 20 served`);
  assert.deepEqual(outcomes[1], outcomes[0], "the same connection numbers, run after run");
});

Deno.test("toxics: a toxic's new attributes apply to the open connection whole", async () => {
  const run = startApi();
  const conn = await proxied(run);
  try {
    await post(run, "/proxies/p/toxics", {
      name: "lag",
      type: "latency",
      attributes: { latency: 300 },
    });
    const slow = (await roundTrip(conn, new Uint8Array(10))).ms;
    assert.ok(slow >= 300, `${slow} ms at 300`);
    await post(run, "/proxies/p/toxics/lag", { attributes: { latency: 30 } });
    const fast = (await roundTrip(conn, new Uint8Array(10))).ms;
    assert.ok(fast >= 30 && fast < 250, `${fast} ms at 30`);
  } finally {
    conn.close();
    await run.stop();
  }
});

Deno.test("toxics: an upstream that never answers closes its client at the deadline; other proxies go on meanwhile", async () => {
  const silent = await silentPort();
  const run = startApi(1, 0.5);
  try {
    const dead = await post(run, "/proxies", {
      name: "dead",
      listen: "127.0.0.1:0",
      upstream: `127.0.0.1:${silent.port}`,
    }) as { listen: string };
    const [hostname, port] = dead.listen.split(":");
    const start = performance.now();
    const stuck = await Deno.connect({ hostname, port: Number(port) });
    const live = await proxied(run, "live");
    assert.equal(
      (await roundTrip(live, new Uint8Array(100))).data.length,
      100,
      "served while the other dials",
    );
    live.close();
    assert.equal(await stuck.read(new Uint8Array(1)).catch(() => null), null);
    const ms = performance.now() - start;
    assert.ok(ms >= 450 && ms < 5000, `closed after ${ms} ms, deadline 500`);
    stuck.close();
    assert.ok(
      run.err.some((l) =>
        l.includes(`cannot connect to 127.0.0.1:${silent.port}: timed out after 0.5 s`)
      ),
      run.err.join("\n"),
    );
  } finally {
    await run.stop();
    await silent.close();
  }
});
