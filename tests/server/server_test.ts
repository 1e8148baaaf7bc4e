/**
 * The server's dispatch, through a probe session whose every answer the
 * test sets: when ticks come, what the buffer budget is charged and what
 * happens when it clears or a connection waits too long, read sizes,
 * admission's turn-aways and refusals, the drain's notice and tidying.
 */
import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { type Event, Interest, type Key } from "../../lib/loop.ts";
import { EchoSession } from "../../server/echo.ts";
import { Server, type ServerOptions } from "../../server/server.ts";
import type { Session } from "../../server/session.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";
import { captureLog, expectSoon, serveUntil } from "../harness.ts";

const chaos = (seed: number, maxRead = 64) => ({ rand: random(seed), maxRead, maxWrite: 64 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A session that reads whatever comes, ends at end of stream, and otherwise does what the test says. */
class Probe implements Session {
  readonly stateName = "probing";
  readonly failure = null;
  /** When it wants its next tick. */
  wake = Infinity;
  /** Its next tick finishes it. */
  finishOnTick = false;
  /** Bytes it tells the budget it holds. */
  heldBytes = 0;
  /** When each tick came, and whether its connection was closed by then. */
  readonly ticks: { at: number; closed: boolean }[] = [];
  /** How often it heard it is overloaded. */
  overloads = 0;
  #key: Key<unknown> | null = null;

  start(key: Key<unknown>): void {
    this.#key = key;
  }
  handle(ev: Event<unknown>): boolean {
    return ev.type === "eof" || ev.type === "error";
  }
  interest(): Interest {
    return Interest.READ;
  }
  wakeAt(): number {
    return this.wake;
  }
  tick(now: number): boolean {
    this.ticks.push({ at: now, closed: this.#key!.closed });
    this.wake = Infinity;
    return this.finishOnTick;
  }
  held(): number {
    return this.heldBytes;
  }
  overloaded(): boolean {
    this.overloads++;
    return true;
  }
}

function server(
  peers: ScriptedPeer[],
  sessions: (n: number) => Session,
  options: Partial<ServerOptions> = {},
) {
  const { log, out } = captureLog();
  const acceptor = new FakeAcceptor([...peers], random(peers.length));
  const server = new Server(acceptor, { log, newSession: sessions, ...options });
  return { server, out, acceptor };
}

Deno.test("server: with no listener at all it serves nothing and stops when asked", async () => {
  const { log, out } = captureLog();
  const server = new Server([], { log, newSession: () => new Probe() });
  const running = server.run();
  server.stop();
  const stats = await running;
  assert.equal(stats.accepted, 0);
  assert.deepEqual(out, []);
});

Deno.test("server: a session's tick comes when it asks, moves when it asks again, and never after it closed", async () => {
  const start = performance.now();
  const moved = new Probe(), closing = new Probe();
  moved.wake = start + 100;
  closing.wake = start + 100;
  // The first peer says something at once, which moves its tick to 300 ms; the second ends at once.
  const talker = new ScriptedPeer(bytes(3), chaos(1), { eof: false });
  const quitter = new ScriptedPeer(new Uint8Array(0), chaos(2));
  const sessions = [moved, closing];
  const origHandle = moved.handle.bind(moved);
  moved.handle = (ev) => {
    if (ev.type === "read" && moved.ticks.length === 0) moved.wake = start + 300;
    return origHandle(ev);
  };
  const { server: s } = server([talker, quitter], (n) => sessions[n - 1]);
  await serveUntil(s, () => moved.ticks.length === 1 && quitter.closed, "the tick", async () => {
    await sleep(500);
  });
  assert.equal(moved.ticks.length, 1, "one tick, not one at the old time and one at the new");
  const at = moved.ticks[0].at - start;
  assert.ok(at >= 300 && at < 1300, `ticked at ${at} ms, asked for 300`);
  assert.deepEqual(closing.ticks, [], "a closed connection is never ticked");
});

Deno.test("server: a connection the budget stopped reads again once it clears, with no event of its own", async () => {
  const start = performance.now();
  // 200,000 + 100,000 held is past the 262,144 budget; when the first closes, 100,000 is under half.
  const big = new Probe(), waiting = new Probe();
  big.heldBytes = 200_000;
  big.wake = start + 200;
  big.finishOnTick = true;
  waiting.heldBytes = 100_000;
  const bigPeer = new ScriptedPeer(new Uint8Array(0), chaos(3), { eof: false });
  const waitingPeer = new ScriptedPeer(bytes(2000), chaos(4, 10), { eof: false });
  const sessions = [big, waiting];
  const { server: s, out } = server([bigPeer, waitingPeer], (n) => sessions[n - 1], {
    maxBuffer: 262_144,
    busyTimeout: 0.5,
  });
  await serveUntil(s, () => performance.now() - start > 700, "0.7 s", async () => {
    await sleep(100);
    assert.equal(waitingPeer.taken, 0, "nothing read while the budget binds");
    await expectSoon(() => waitingPeer.taken === 2000, "the reads to resume", 3000);
    assert.ok(bigPeer.closed);
  });
  assert.equal(waiting.overloads, 0, "let read before its busy time: never told it is overloaded");
  assert.ok(!out.some((l) => l.includes("server busy")), out.join("\n"));
  assert.ok(out.some((l) => l.startsWith("Buffer budget clear (100000 held)")), out.join("\n"));
});

Deno.test("server: a connection the budget stops for its busy time is told so and closed, saying why", async () => {
  const start = performance.now();
  const stuck = new Probe();
  stuck.heldBytes = 300_000;
  const peer = new ScriptedPeer(bytes(10), chaos(5), { eof: false });
  const { server: s, out } = server([peer], () => stuck, {
    maxBuffer: 262_144,
    busyTimeout: 0.3,
  });
  await serveUntil(s, () => peer.closed, "the busy close", undefined, 3000);
  const after = peer.closedAt - start;
  assert.ok(after >= 300 && after < 1300, `closed after ${after} ms, busy time 300`);
  assert.equal(stuck.overloads, 1);
  assert.equal(peer.taken, 0);
  assert.ok(out.includes("#1 server busy: no room for it in the buffer budget for 0.3 s"));
  assert.ok(
    out.includes("#1 closed peer: 0 bytes in, 0 out, server busy (0 open)"),
    out.join("\n"),
  );
});

Deno.test("server: under a buffer budget each read is sized to a sixteenth of a connection's share", async () => {
  const peer = new ScriptedPeer(bytes(200_000), {
    rand: random(6),
    maxRead: 65536,
    maxWrite: 65536,
  });
  const { server: s } = server([peer], () => new EchoSession(), {
    pool: new BufferPool({ minSize: 64, maxSize: 65536 }),
    maxBuffer: 262_144,
  });
  await serveUntil(s, () => peer.closed, "the echo");
  assert.deepEqual(peer.echoed, bytes(200_000));
  assert.equal(peer.biggestRead, 16384, "262,144 / 16, not the pool's 65,536");
});

Deno.test("server: peers turned away are counted, named in a line, and closed unread", async () => {
  const peers = [1, 2, 3, 4].map((i) => new ScriptedPeer(bytes(5, i), chaos(i)));
  const { server: s, out } = server(peers, () => new EchoSession(), {
    admit: (n) => n % 2 === 0 ? "--refuse 0.5" : null,
  });
  await serveUntil(s, () => peers.every((p) => p.closed), "every peer");
  assert.equal(s.stats.turnedAway, 2);
  assert.equal(s.stats.accepted, 2);
  assert.deepEqual([peers[1].taken, peers[3].taken], [0, 0]);
  assert.deepEqual(peers[0].echoed, bytes(5, 1));
  assert.ok(out.includes("#2 turned away from peer: --refuse 0.5"), out.join("\n"));
  assert.ok(out.includes("#4 turned away from peer: --refuse 0.5"));
});

Deno.test("server: a refused peer still lingering when the server stops is closed with the rest", async () => {
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(7), { eof: false });
  const refused = new ScriptedPeer(new Uint8Array(0), chaos(8), { eof: false });
  const { server: s, acceptor } = server([holder], () => new Probe(), {
    maxConns: 1,
    refusal: () => new Probe(),
    refusalLinger: 60,
  });
  await serveUntil(s, () => s.stats.refused === 1, "the refusal", async () => {
    await sleep(50);
    acceptor.offer(refused);
  }, 3000);
  assert.ok(refused.closed, "closed by the stop, not left open for its 60 s");
  assert.ok(holder.closed);
});

Deno.test("server: a refused peer that keeps talking is still closed at its linger time, once", async () => {
  const start = performance.now();
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(9), { eof: false });
  // Talks a byte every 50 ms while it lingers: that must not make it one of the idle.
  const refused = new ScriptedPeer(bytes(20), chaos(10, 1), { eof: false, readDelayMs: 50 });
  const { server: s } = server([holder, refused], () => new Probe(), {
    maxConns: 1,
    idleTimeout: 0.6,
    refusal: () => new Probe(),
    refusalLinger: 0.3,
  });
  await serveUntil(s, () => holder.closed && refused.closed, "both closes", async () => {
    await sleep(900);
  }, 3000);
  const lingered = refused.closedAt - start, idled = holder.closedAt - start;
  assert.ok(lingered >= 300 && lingered < 550, `refused peer closed after ${lingered} ms`);
  assert.ok(idled >= 600 && idled < 1600, `holder closed after ${idled} ms`);
  assert.equal(s.stats.idle, 1, "only the holder was idle");
});

Deno.test("server: a stop with nothing open says nothing of a drain, nor does one told not to", async () => {
  for (
    const [open, announce, said] of [[0, undefined, 0], [1, false, 0], [1, undefined, 1]] as const
  ) {
    const peers = open === 0
      ? []
      : [new ScriptedPeer(new Uint8Array(0), chaos(11), { eof: false })];
    const { server: s, out } = server(peers, () => new Probe(), { announceDrain: announce });
    const running = s.run();
    await expectSoon(() => s.stats.accepted === open, "the accept");
    s.stop();
    s.stop();
    await running;
    const lines = out.filter((l) => l.startsWith("Draining"));
    assert.equal(lines.length, said, `${open} open, announceDrain ${announce}`);
    if (said) {
      assert.equal(
        lines[0],
        "Draining 1 open connection for up to 10 s (interrupt again to stop now)",
      );
    }
  }
});

Deno.test("server: a Unix listener's peers, nameless, are named by its socket", async () => {
  const peer = Object.assign(new ScriptedPeer(bytes(3), chaos(12)), {
    remoteAddr: { transport: "unix", path: "" },
  });
  const { log, out } = captureLog();
  const acceptor = Object.assign(new FakeAcceptor([peer], random(1)), {
    addr: { transport: "unix", path: "/run/probe.sock" },
  });
  const s = new Server(acceptor, { log, newSession: () => new EchoSession() });
  await serveUntil(s, () => peer.closed, "the echo");
  assert.deepEqual(out, [
    "#1 accepted from unix:/run/probe.sock (1 open)",
    "#1 closed unix:/run/probe.sock: 3 bytes in, 3 out (0 open)",
  ]);
});

/** 500 peers that each say a byte and leave: 1,000 connections opened or closed. */
const burst = () => Array.from({ length: 500 }, (_, i) => new ScriptedPeer(bytes(1, i), chaos(i)));

Deno.test("server: tidying waits for a quiet second after the burst: not while a peer keeps talking", async () => {
  // One byte every 100 ms for 1.5 s, then it leaves: the last event of the run.
  const chatty = new ScriptedPeer(bytes(15), chaos(13, 1), { readDelayMs: 100 });
  const peers = [chatty, ...burst()];
  const collected: number[] = [];
  const { log, out } = captureLog("verbose");
  const acceptor = new FakeAcceptor([...peers], random(14));
  const s = new Server(acceptor, {
    log,
    newSession: () => new EchoSession(),
    collect: () => {
      collected.push(performance.now());
      const until = performance.now() + 30;
      while (performance.now() < until) { /* a collection takes time */ }
      return true;
    },
  });
  await serveUntil(s, () => collected.length > 0, "the collection", undefined, 5000);
  assert.equal(collected.length, 1);
  const quiet = collected[0] - chatty.closedAt;
  assert.ok(quiet >= 950 && quiet < 2000, `collected ${quiet} ms after the last event`);
  const line = out.find((l) => l.includes("garbage collection"))!;
  const ms = Number(/\((\d+) ms\)$/.exec(line)![1]);
  assert.ok(ms >= 30 && ms < 1000, line);
});

Deno.test("server: a collection that could not run says nothing", async () => {
  const peers = burst();
  let tried = 0;
  const { log, out } = captureLog("verbose");
  const s = new Server(new FakeAcceptor([...peers], random(15)), {
    log,
    newSession: () => new EchoSession(),
    collect: () => {
      tried++;
      return false;
    },
  });
  await serveUntil(s, () => tried > 0, "the try", undefined, 5000);
  assert.deepEqual(out.filter((l) => l.includes("garbage collection")), []);
});
