/**
 * The fault suite: misbehaving peers, signals and limits against a real
 * `sockdemo serve`, each fault followed by a good client that must be served.
 * The last test prints how many faults were tried, how many the server
 * survived, and the worst server RSS seen.
 */
import assert from "node:assert/strict";
import {
  openFds,
  rssKiB,
  runCommand,
  runSockdemo,
  ServerProcess,
  within,
} from "./sockdemo_process.ts";

const FAULTS = new URL("./foreign/faults.py", import.meta.url).pathname;
const tally = { registered: 0, tried: 0, survived: 0, worstRssKiB: 0 };

/**
 * A fault case: counted as tried when it starts and as survived only when
 * every one of its checks passed, so the summary sees failures too.
 */
function faultTest(name: string, fn: () => Promise<void>): void {
  tally.registered++;
  Deno.test(`faults: ${name}`, async () => {
    tally.tried++;
    await fn();
    tally.survived++;
  });
}

/** Runs the good client: 5 connections x 20 messages of 1000 bytes, all verified. */
async function goodClient(server: ServerProcess): Promise<void> {
  const r = await runSockdemo([
    "connect",
    "--port",
    String(server.port),
    "--conns",
    "5",
    "--messages",
    "20",
    "--size",
    "1000",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).messages, 100);
}

/** The server survived a fault if the good client is served after it. */
async function afterFault(server: ServerProcess): Promise<void> {
  await goodClient(server);
  tally.worstRssKiB = Math.max(tally.worstRssKiB, await rssKiB(server.pid));
}

/** `sockdemo connect --protocol app search ring` against `port`. */
function searchRing(port: number) {
  return runSockdemo(["connect", "--protocol", "app", "--port", String(port), "search", "ring"]);
}

async function fault(server: ServerProcess, ...args: string[]): Promise<string> {
  const r = await runCommand("python3", [FAULTS, "127.0.0.1", String(server.port), ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

faultTest("a peer that resets while the server writes ends that connection only", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    assert.match(
      await fault(server, "reset-while-writing", "8"),
      /^reset after sending \d+ bytes$/,
    );
    await afterFault(server);
  } finally {
    const stopped = await server.stop();
    assert.equal(stopped.code, 0);
    assert.match(stopped.stderr, /: (connection reset by peer|broken pipe); closed after/);
    assert.match(stopped.stdout, /^Stopped: 6 connections served, .*, 1 error$/m);
  }
});

faultTest("a peer that sends 200 MB and never reads is held to the backpressure mark", async () => {
  // Verbose, the server reports what it owes at every step of the state machine.
  const server = await ServerProcess.start(["--verbose"]);
  try {
    const before = await rssKiB(server.pid);
    const said = await fault(server, "flood", "200");
    const took = Number(/took (\d+) bytes/.exec(said)![1]);
    const grew = (await rssKiB(server.pid)) - before;
    assert.ok(took < 200 << 20, `the server took all ${took} bytes`);
    // Past 1 MiB owed it stops reading; one read in flight (at most 1 MiB) may still land.
    await server.waitFor(/^#1 state echoing -> paused \(\d+ bytes owed\)$/m, 10_000, "a pause");
    const owed = [...server.stdout.matchAll(/\((\d+) (?:bytes|still) owed/g)].map((m) => +m[1]);
    const most = Math.max(...owed);
    assert.ok(most > 1 << 20, `it paused with only ${most} bytes owed`);
    assert.ok(most <= 2 << 20, `it owed ${most} bytes at most`);
    // A safety net only: the owed bytes are the server's memory for this peer.
    assert.ok(grew < 16 * 1024, `server RSS grew by ${grew} KiB`);
    await afterFault(server);
  } finally {
    await server.stop();
  }
});

faultTest(
  "300 connections that send a byte and go silent do not hold up a good client",
  async () => {
    const server = await ServerProcess.start(["--quiet"]);
    const silent = new Deno.Command("python3", {
      args: [FAULTS, "127.0.0.1", String(server.port), "silent", "300", "30"],
      stdout: "piped",
    }).spawn();
    const reader = silent.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      assert.equal(
        (await within(reader.read(), 30_000, "the silent peers")).value?.trim(),
        "ready",
      );
      await afterFault(server);
    } finally {
      silent.kill();
      await silent.status;
      reader.releaseLock();
      await silent.stdout.cancel().catch(() => {});
      await server.stop();
    }
  },
);

faultTest("2000 connections opened and reset at once", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    assert.equal(await fault(server, "reset-many", "2000"), "reset 2000 connections");
    await afterFault(server);
  } finally {
    const stopped = await server.stop();
    assert.equal(stopped.code, 0);
    // Each reset either reached an accepted connection or a queued one; all 2005 are accounted for.
    const served = Number(/^Stopped: (\d+) connections served/m.exec(stopped.stdout)![1]);
    const aborted = Number(/(\d+) reset before accepted/.exec(stopped.stdout)?.[1] ?? 0);
    assert.equal(served + aborted, 2005);
  }
});

faultTest("SIGTERM in the middle of a 20 MB echo stream loses no byte, then exits 0", async () => {
  const server = await ServerProcess.start([]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const total = 20 << 20;
  const sent = new Uint8Array(total).map((_, i) => (i * 31 + (i >> 16)) & 0xff);
  const reading = (async () => {
    const got = new Uint8Array(total + 1);
    let n = 0;
    for (;;) {
      const r = await conn.read(got.subarray(n));
      if (r === null) return got.subarray(0, n);
      n += r;
    }
  })();
  let signalled = false;
  for (let off = 0; off < total;) {
    off += await conn.write(sent.subarray(off, Math.min(off + (1 << 20), total)));
    if (!signalled && off > total / 4) {
      signalled = true;
      server.signal("SIGTERM");
    }
  }
  await conn.closeWrite();
  const echoed = await within(reading, 60_000, "the 20 MB echo");
  conn.close();
  const stopped = await server.exited();
  assert.equal(echoed.length, total);
  assert.deepEqual(echoed, sent);
  assert.equal(stopped.code, 0);
  assert.match(stopped.stdout, /Draining 1 open connection for up to 10 s/);
  assert.match(
    stopped.stdout,
    /^Stopped: 1 connection served, 20971520 bytes in, 20971520 bytes out, 0 errors$/m,
  );
});

faultTest("a second SIGINT stops at once, exit 130", async () => {
  const server = await ServerProcess.start([]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await conn.write(new Uint8Array([1]));
  await within(conn.read(new Uint8Array(1)), 10_000, "the echo");
  server.signal("SIGINT");
  await server.waitFor(/^Draining 1 open connection/m, 10_000, "the drain");
  const stopped = await server.stop("SIGINT");
  conn.close();
  assert.equal(stopped.code, 130);
  assert.match(stopped.stdout, /1 closed unfinished$/m);
});

faultTest(
  "--max-conns closes connections past the limit at once; an app peer hears 'server busy'",
  async () => {
    const server = await ServerProcess.start(["--max-conns", "3"]);
    const held: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        held.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      }
      // A connect returns once the kernel has it; the server takes its listeners in any order.
      await server.waitFor(/\(3 open\)/, 10_000, "the three accepted");
      const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await extra.write(new Uint8Array([7]));
      const closed = await within(
        extra.read(new Uint8Array(8)),
        5000,
        "the 4th connection's close",
      );
      assert.equal(closed, null, "closed at once, nothing echoed");
      extra.close();
      // Numbers follow the server's accept order, not ours: find the one we close by its port.
      const third = held.pop()!;
      const port = (third.localAddr as Deno.NetAddr).port;
      third.close();
      await server.waitFor(
        new RegExp(`^#[123] closed 127\\.0\\.0\\.1:${port}: `, "m"),
        10_000,
        "the third connection's close",
      );
      const r = await runSockdemo(["connect", "--port", String(server.port), "--conns", "1"]);
      assert.equal(r.code, 0, "served again once below the limit");
    } finally {
      for (const c of held) c.close();
      const stopped = await server.stop();
      assert.match(stopped.stdout, /#4 refused from 127\.0\.0\.1:\d+: 3 open, the limit/);
      assert.match(stopped.stdout, /1 refused at the limit$/m);
    }
    const app = await ServerProcess.start(["--protocol", "app", "--max-conns", "1"]);
    const one = await Deno.connect({ hostname: "127.0.0.1", port: app.port });
    await app.waitFor(/^#1 accepted/m, 10_000, "the first connection");
    try {
      const r = await searchRing(app.port);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `sockdemo: 127.0.0.1:${app.port}: connection 1: server answered with an error: server busy\n`,
      );
    } finally {
      one.close();
      await app.stop();
    }
  },
);

faultTest(
  "a refused app peer that keeps its socket open does not lock new clients out",
  async () => {
    const app = await ServerProcess.start(["--protocol", "app", "--max-conns", "1"]);
    const holder = await Deno.connect({ hostname: "127.0.0.1", port: app.port });
    await app.waitFor(/^#1 accepted/m, 10_000, "the first connection");
    const refused = await Deno.connect({ hostname: "127.0.0.1", port: app.port });
    try {
      // The refusal comes with a FIN: read it to the end, then keep the socket open.
      const got = new Uint8Array(4096);
      let n = 0;
      for (;;) {
        const r = await within(refused.read(got.subarray(n)), 5000, "the refusal");
        if (r === null) break;
        n += r;
      }
      assert.match(new TextDecoder().decode(got.subarray(0, n)), /\{"error":"server busy"\}$/);
      holder.close();
      await app.waitFor(/^#1 closed /m, 10_000, "the first connection's close");
      const r = await searchRing(app.port);
      assert.equal(r.stderr, "");
      assert.equal(r.stdout, "In the caves beneath the Misty Mountains. 💍\n");
      assert.equal(r.code, 0);
    } finally {
      refused.close();
      const stopped = await app.stop();
      assert.match(stopped.stdout, /^Stopped: 2 connections served, .*, 1 refused at the limit$/m);
    }
  },
);

faultTest(
  "1000 refused peers that never close leave the server's open sockets bounded",
  async () => {
    const app = await ServerProcess.start(["--protocol", "app", "--max-conns", "1"]);
    const conns: Deno.TcpConn[] = [];
    try {
      const before = await openFds(app.pid);
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: app.port }));
      await app.waitFor(/^#1 accepted/m, 10_000, "the first connection");
      for (let i = 0; i < 1000; i++) {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: app.port }));
      }
      await app.waitFor(/^#1001 refused /m, 20_000, "the 1000th refusal");
      const during = await openFds(app.pid);
      console.log(`1000 refused peers still open: server descriptors ${before} -> ${during}`);
      // One served connection and at most 64 refusals still being said.
      assert.ok(during - before <= 1 + 64 + 2, `${during - before} more open descriptors`);
      conns.shift()!.close();
      await app.waitFor(/^#1 closed /m, 10_000, "the served connection's close");
      const r = await runSockdemo(["connect", "--protocol", "app", "--port", String(app.port)]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      for (const c of conns) c.close();
      const stopped = await app.stop();
      assert.match(stopped.stdout, /, 1000 refused at the limit$/m);
    }
  },
);

faultTest(
  "--idle-timeout closes a silent connection, not before its time, and spares a busy one",
  async () => {
    const server = await ServerProcess.start(["--idle-timeout", "1"]);
    const silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const busy = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      // Timed from here, the server's last sight of it was no later: it may not close it before 1 s.
      const opened = performance.now();
      const closed = silent.read(new Uint8Array(8)).then((r) =>
        [r, performance.now() - opened] as const
      );
      // The busy one talks every 300 ms for 2 s: never idle for 1 s.
      for (let i = 0; i < 7; i++) {
        await busy.write(new Uint8Array([i]));
        const b = new Uint8Array(1);
        const r = await within(busy.read(b), 5000, "the busy connection's echo");
        assert.equal(r, 1, `busy connection still served at ${i * 300} ms`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const [got, after] = await within(closed, 5000, "the silent connection's close");
      assert.equal(got, null, "the silent one was closed");
      assert.ok(after >= 990, `closed after ${after.toFixed(0)} ms, before its 1 s`);
    } finally {
      silent.close();
      busy.close();
      const stopped = await server.stop();
      assert.match(stopped.stdout, /#1 closed 127\.0\.0\.1:\d+: 0 bytes in, 0 out, idle for 1 s/);
      assert.match(stopped.stdout, /1 closed idle/);
    }
  },
);

faultTest("--log-format json writes one JSON object per line", async () => {
  const server = await ServerProcess.start(["--log-format", "json"], 60_000, /"event":"listening"/);
  await runSockdemo(["connect", "--port", String(server.port), "--conns", "1"]);
  const stopped = await server.stop();
  const lines = stopped.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.event), ["listening", "accepted", "closed", "stopped"]);
  for (const l of lines) {
    assert.equal(typeof l.time, "string");
    assert.equal(l.level, "info");
  }
  assert.equal(lines[2].bytes_in, 44);
  assert.equal(lines[3].served, 1);
});

faultTest(
  "connect gives up on a server that never answers, or never completes the handshake",
  async () => {
    const mute = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted: Deno.Conn[] = [];
    const accepting = (async () => {
      try {
        for await (const c of mute) accepted.push(c);
      } catch { /* closed */ }
    })();
    // A listener that never accepts and whose queue is full: connects go unanswered.
    const full = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 1 });
    const fillers = [];
    for (let i = 0; i < 4; i++) {
      fillers.push(
        Deno.connect({ hostname: "127.0.0.1", port: full.addr.port }).then((c) => c, () => null),
      );
    }
    try {
      const cases: [number, string][] = [
        [mute.addr.port, `sockdemo: 127.0.0.1:${mute.addr.port}: connection 1: no reply for 1 s\n`],
        [
          full.addr.port,
          `sockdemo: cannot connect to 127.0.0.1:${full.addr.port}: timed out after 1 s\n`,
        ],
      ];
      for (const [port, message] of cases) {
        const r = await runSockdemo([
          "connect",
          "--port",
          String(port),
          "--conns",
          "1",
          "--timeout",
          "1",
        ]);
        assert.equal(r.code, 1);
        assert.equal(r.stderr, message);
      }
    } finally {
      mute.close();
      full.close();
      await accepting;
      for (const c of accepted) c.close();
      for (const f of await Promise.all(fillers)) f?.close();
    }
  },
);

Deno.test("faults: summary", () => {
  console.log(
    `fault suite: ${tally.tried} of ${tally.registered} faults tried, the server survived ` +
      `${tally.survived}; worst server RSS ${(tally.worstRssKiB / 1024).toFixed(1)} MB`,
  );
  assert.equal(tally.survived, tally.tried);
  assert.equal(tally.tried, tally.registered, "every fault case ran");
});
