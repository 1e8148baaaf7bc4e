/**
 * The serve loop in-process, over fake streams: the connection limit and
 * what happens to refused peers, the idle timeout, the drain, listener
 * errors and the lines a user reads.
 */
import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { Log } from "../../lib/log.ts";
import { frameBytes, FrameDecoder } from "../../lib/frame.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "../../server/app.ts";
import { EchoSession } from "../../server/echo.ts";
import { Server, type ServerOptions } from "../../server/server.ts";
import { formatStats } from "../../server/server_stats.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";
import { captureLog, expectSoon, serveUntil } from "../harness.ts";

const chaos = (seed: number) => ({ rand: random(seed), maxRead: 64, maxWrite: 64 });
const text = new TextEncoder();

function echoServer(acceptor: FakeAcceptor, options: Partial<ServerOptions> = {}) {
  const { log, out, err } = captureLog();
  const server = new Server(acceptor, {
    log,
    pool: new BufferPool({ minSize: 16, maxSize: 256 }),
    newSession: () => new EchoSession(),
    ...options,
  });
  return { server, out, err };
}

const SEARCH_RING = frameBytes(
  "text/json",
  "utf-8",
  text.encode('{"action":"search","value":"ring"}'),
);

/** The content of each app reply in `bytes`, as text. */
function replyContents(bytes: Uint8Array): string[] {
  const d = new FrameDecoder(1 << 20), out: string[] = [];
  for (let at = 0; at < bytes.length;) {
    at = d.feed(bytes, at, bytes.length);
    if (d.error) throw new Error(d.error.reason);
    if (d.message) out.push(new TextDecoder().decode(d.message.content));
  }
  return out;
}

function appServer(acceptor: FakeAcceptor, options: Partial<ServerOptions> = {}) {
  const { log, out } = captureLog();
  const server = new Server(acceptor, {
    log,
    newSession: () => new AppSession(DEFAULT_APP_LIMITS, null),
    refusal: () => new AppSession(DEFAULT_APP_LIMITS, null, "server busy"),
    ...options,
  });
  return { server, out };
}

Deno.test("serve: past --max-conns a new connection is closed unread; once a slot frees, the next is served", async () => {
  const holder = new ScriptedPeer(bytes(100), chaos(1), { eof: false });
  const acceptor = new FakeAcceptor([holder], random(1));
  const { server, out } = echoServer(acceptor, { maxConns: 1 });
  const late = new ScriptedPeer(bytes(10, 1), chaos(2));
  const next = new ScriptedPeer(bytes(50, 2), chaos(3));
  await serveUntil(server, () => next.closed, "the refused and the next peer", async () => {
    await expectSoon(() => holder.echoed.length === 100, "the first peer's echo");
    acceptor.offer(late);
    await expectSoon(() => late.closed, "the peer past the limit to be closed");
    assert.equal(late.taken, 0, "nothing was read from the refused peer");
    assert.equal(late.received.length, 0, "nothing was echoed to the refused peer");
    holder.hangUp();
    await expectSoon(() => holder.closed, "the first peer to be closed");
    acceptor.offer(next);
  });
  assert.deepEqual(next.echoed, next.script);
  assert.equal(server.stats.accepted, 2);
  assert.equal(server.stats.refused, 1);
  assert.deepEqual(out, [
    "#1 accepted from peer (1 open)",
    "#2 refused from peer: 1 open, the limit",
    "#1 closed peer: 100 bytes in, 100 out (0 open)",
    "#3 accepted from peer (1 open)",
    "#3 closed peer: 50 bytes in, 50 out (0 open)",
  ]);
});

Deno.test("serve: a refused app peer that never closes does not lock the next client out", async () => {
  const holder = new ScriptedPeer(SEARCH_RING, chaos(4), { eof: false });
  const refused = new ScriptedPeer(SEARCH_RING, chaos(5), { eof: false });
  const next = new ScriptedPeer(SEARCH_RING, chaos(6));
  const acceptor = new FakeAcceptor([holder], random(2));
  // A long linger: the refused peer is still there when the next one comes.
  const { server } = appServer(acceptor, { maxConns: 1, refusalLinger: 30 });
  await serveUntil(server, () => next.closed, "the next client", async () => {
    await expectSoon(() => holder.received.length > 0, "the first client's reply");
    acceptor.offer(refused);
    await expectSoon(() => refused.finished, "the refusal and its FIN");
    assert.deepEqual(replyContents(refused.echoed), ['{"error":"server busy"}']);
    holder.hangUp();
    await expectSoon(() => holder.closed, "the first client to be closed");
    acceptor.offer(next);
    await expectSoon(() => next.closed, "the next client to be served");
    assert.equal(refused.closed, false, "the refused peer still lingers");
  });
  assert.deepEqual(replyContents(next.echoed), [
    '{"result":"In the caves beneath the Misty Mountains. 💍"}',
  ]);
  assert.equal(server.stats.refused, 1);
  assert.equal(server.stats.accepted, 2);
});

Deno.test("serve: a refused peer is closed once its linger time is up, whatever it does", async () => {
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(7), { eof: false });
  // It keeps sending, slowly, and never closes: neither its bytes nor its silence keep it.
  const refused = new ScriptedPeer(new Uint8Array(100_000), chaos(8), {
    eof: false,
    readDelayMs: 5,
  });
  const acceptor = new FakeAcceptor([holder, refused], random(3));
  const { server } = appServer(acceptor, { maxConns: 1, refusalLinger: 0.2 });
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(() => refused.closed, "the refused peer to be closed");
    assert.equal(holder.closed, false, "the connection being served is untouched");
  });
  const lingered = refused.closedAt - acceptor.handedAt.get(refused)!;
  assert.ok(lingered >= 200, `closed after ${lingered.toFixed(1)} ms, before its 200 ms`);
  assert.ok(refused.taken < refused.script.length, "closed before the peer was done");
});

Deno.test("serve: refused peers lingering at once are bounded; past the bound they are closed at once", async () => {
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(9), { eof: false });
  const refused = Array.from(
    { length: 5 },
    (_, i) => new ScriptedPeer(new Uint8Array(0), chaos(10 + i), { eof: false }),
  );
  const acceptor = new FakeAcceptor([holder, ...refused], random(4));
  const { server } = appServer(acceptor, { maxConns: 1, maxLingering: 2, refusalLinger: 30 });
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(
      () => refused[0].finished && refused[1].finished && refused.slice(2).every((p) => p.closed),
      "two refusals and three closes",
    );
    assert.deepEqual(refused.map((p) => p.closed), [false, false, true, true, true]);
  });
  assert.deepEqual(refused.map((p) => p.received.length > 0), [true, true, false, false, false]);
  assert.equal(server.stats.refused, 5);
});

Deno.test("serve: --idle-timeout closes a silent connection, never before its time, and spares a busy one", async () => {
  const silent = new ScriptedPeer(new Uint8Array(0), chaos(20), { eof: false });
  // Talks every 40 ms for about 400 ms: never silent for the 150 ms timeout.
  const busy = new ScriptedPeer(bytes(10), { ...chaos(21), maxRead: 1 }, { readDelayMs: 40 });
  const acceptor = new FakeAcceptor([silent, busy], random(5));
  const { server, out } = echoServer(acceptor, { idleTimeout: 0.15 });
  await serveUntil(server, () => silent.closed && busy.closed, "both peers to be closed");
  const idle = silent.closedAt - acceptor.handedAt.get(silent)!;
  assert.ok(idle >= 150, `the silent peer was closed after ${idle.toFixed(1)} ms`);
  assert.deepEqual(busy.echoed, busy.script, "the busy one was served to the end");
  assert.equal(server.stats.idle, 1);
  assert.ok(
    out.includes("#1 closed peer: 0 bytes in, 0 out, idle for 0.15 s (1 open)"),
    out.join("\n"),
  );
  assert.ok(out.includes("#2 closed peer: 10 bytes in, 10 out (0 open)"), out.join("\n"));
});

Deno.test("serve: a stop drains open connections to the end; a second stop cuts them off", async () => {
  const streaming = new ScriptedPeer(bytes(500), { ...chaos(30), maxRead: 10 }, {
    readDelayMs: 1,
  });
  const acceptor = new FakeAcceptor([streaming], random(6));
  const { server, out } = echoServer(acceptor, { drainTimeout: 30 });
  const running = server.run();
  await expectSoon(() => streaming.taken > 0, "the first bytes");
  server.stop();
  const stats = await running;
  assert.deepEqual(streaming.echoed, streaming.script, "drained: every byte came back");
  assert.equal(stats.cutOff, 0);
  assert.equal(out[1], "Draining 1 open connection for up to 30 s (interrupt again to stop now)");
  assert.equal(acceptor.closed, true, "no longer accepting");

  const stuck = new ScriptedPeer(bytes(10), chaos(31), { eof: false });
  const second = echoServer(new FakeAcceptor([stuck], random(7)), { drainTimeout: 30 });
  const again = second.server.run();
  await expectSoon(() => stuck.echoed.length === 10, "the echo");
  second.server.stop();
  second.server.stop();
  assert.equal((await again).cutOff, 1);
  assert.ok(stuck.closed);
  assert.equal(
    second.out.at(-1),
    "#1 closed peer: 10 bytes in, 10 out, the server stopped (0 open)",
  );
});

Deno.test("serve: a drain that times out closes what is left and says so", async () => {
  const stuck = new ScriptedPeer(bytes(10), chaos(32), { eof: false });
  const { server, out } = echoServer(new FakeAcceptor([stuck], random(8)), {
    drainTimeout: 0.05,
  });
  const running = server.run();
  await expectSoon(() => stuck.echoed.length === 10, "the echo");
  const stopped = performance.now();
  server.stop();
  const stats = await running;
  assert.ok(performance.now() - stopped >= 50, "the drain lasted its time");
  assert.equal(stats.cutOff, 1);
  assert.equal(out.at(-1), "#1 closed peer: 10 bytes in, 10 out, the drain timed out (0 open)");
  assert.equal(
    formatStats(stats),
    "Stopped: 1 connection served, 10 bytes in, 10 bytes out, 0 errors, 1 closed unfinished",
  );
});

Deno.test("serve: a connection reset before it was accepted is counted; accepting goes on at once", async () => {
  const good = new ScriptedPeer(bytes(30), chaos(40));
  const acceptor = new FakeAcceptor([
    new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)"),
    new Deno.errors.ConnectionAborted("Software caused connection abort (os error 103)"),
    new Deno.errors.NotConnected("Transport endpoint is not connected (os error 107)"),
    good,
  ], random(9));
  const { server, out, err } = echoServer(acceptor);
  await serveUntil(server, () => good.closed, "the good peer");
  assert.deepEqual(good.echoed, good.script);
  assert.equal(server.stats.aborted, 3);
  assert.deepEqual(err, []);
  assert.equal(out[0], "a connection was connection reset by peer before it was accepted");
});

Deno.test("serve: any other accept failure (out of descriptors) pauses accepting briefly, then goes on", async () => {
  const good = new ScriptedPeer(bytes(30), chaos(41));
  const acceptor = new FakeAcceptor(
    [new Error("Too many open files (os error 24)"), good],
    random(10),
  );
  const { server, err } = echoServer(acceptor);
  const started = performance.now();
  await serveUntil(server, () => good.closed, "the good peer after the pause");
  assert.ok(performance.now() - started >= 100, "accepting paused for 100 ms");
  assert.deepEqual(good.echoed, good.script);
  assert.deepEqual(err, ["sockdemo: accept failed: too many open files; retrying in 100 ms"]);
  assert.equal(server.stats.aborted, 0);
});

Deno.test("serve: the summary line counts each kind of ending, in words", () => {
  const stats = {
    accepted: 1,
    refused: 2,
    aborted: 3,
    failed: 1,
    idle: 4,
    cutOff: 5,
    unserved: 9,
    turnedAway: 8,
    bytesIn: 6,
    bytesOut: 7,
  };
  assert.equal(
    formatStats(stats),
    "Stopped: 1 connection served, 6 bytes in, 7 bytes out, 1 error, 2 refused at the limit, " +
      "8 turned away (--refuse), 3 reset before accepted, 4 closed idle, 5 closed unfinished, " +
      "9 accepted at the stop and closed unserved",
  );
  assert.equal(
    formatStats({
      ...stats,
      accepted: 0,
      refused: 0,
      aborted: 0,
      failed: 2,
      idle: 0,
      cutOff: 0,
      unserved: 0,
      turnedAway: 0,
    }),
    "Stopped: 0 connections served, 6 bytes in, 7 bytes out, 2 errors",
  );
});

Deno.test("serve: with --log-format json every line is an event with its fields", async () => {
  const lines: string[] = [];
  const log = new Log("verbose", "json", { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  // Reads take 5 bytes at once and writes 3: one read, then a partial write.
  const holder = new ScriptedPeer(bytes(5), { rand: () => 0.99, maxRead: 5, maxWrite: 3 }, {
    eof: false,
  });
  const late = new ScriptedPeer(bytes(3), chaos(51));
  const reset = new ScriptedPeer(bytes(40), chaos(52), { resetAfter: 0 });
  const acceptor = new FakeAcceptor([
    holder,
    new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)"),
  ], random(11));
  const server = new Server(acceptor, {
    log,
    maxConns: 1,
    drainTimeout: 0.01,
    newSession: () => new EchoSession({ highWater: 2, lowWater: 1 }),
  });
  const running = server.run();
  try {
    await expectSoon(() => holder.echoed.length === 5, "the echo");
    acceptor.offer(late);
    await expectSoon(() => late.closed, "the refusal");
    holder.hangUp();
    await expectSoon(() => holder.closed, "the first peer's close");
    acceptor.offer(reset);
    await expectSoon(() => reset.closed, "the reset peer's close");
    acceptor.offer(new ScriptedPeer(new Uint8Array(0), chaos(53), { eof: false }));
    await expectSoon(() => lines.some((l) => l.includes('"conn":4')), "the fourth accept");
  } finally {
    server.stop();
    await running;
  }
  const events = lines.map((l) => JSON.parse(l));
  for (const e of events) {
    assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    delete e.time;
  }
  const first = (event: string, extra: Record<string, unknown> = {}) =>
    events.find((e) => e.event === event && Object.entries(extra).every(([k, v]) => e[k] === v));
  assert.deepEqual(first("accepted"), {
    level: "info",
    event: "accepted",
    conn: 1,
    peer: "peer",
    open: 1,
  });
  assert.deepEqual(first("aborted"), {
    level: "info",
    event: "aborted",
    reason: "connection reset by peer",
  });
  assert.deepEqual(first("read"), { level: "debug", event: "read", conn: 1, bytes: 5 });
  assert.deepEqual(first("interest"), {
    level: "debug",
    event: "interest",
    conn: 1,
    from: "read",
    to: "write",
  });
  assert.deepEqual(first("state"), {
    level: "debug",
    event: "state",
    conn: 1,
    from: "echoing",
    to: "paused",
    owed: 5,
  });
  const write = first("write")!;
  assert.deepEqual(Object.keys(write), ["level", "event", "conn", "bytes", "offered", "owed"]);
  assert.equal(write.bytes < write.offered, true, "a partial write shows as bytes < offered");
  assert.deepEqual(first("refused"), {
    level: "info",
    event: "refused",
    conn: 2,
    peer: "peer",
    open: 1,
  });
  assert.deepEqual(first("eof"), { level: "debug", event: "eof", conn: 1 });
  assert.deepEqual(first("closed", { conn: 1 }), {
    level: "info",
    event: "closed",
    conn: 1,
    peer: "peer",
    bytes_in: 5,
    bytes_out: 5,
    open: 0,
    reason: "done",
  });
  assert.deepEqual(first("error", { conn: 3 }), {
    level: "debug",
    event: "error",
    conn: 3,
    reason: "connection reset by peer",
  });
  assert.deepEqual(first("failed"), {
    level: "error",
    event: "failed",
    conn: 3,
    peer: "peer",
    bytes_in: 0,
    bytes_out: 0,
    open: 0,
    reason: "connection reset by peer",
  });
  assert.deepEqual(first("draining"), {
    level: "info",
    event: "draining",
    open: 1,
    seconds: 0.01,
  });
  assert.deepEqual(first("closed", { conn: 4 }), {
    level: "info",
    event: "closed",
    conn: 4,
    peer: "peer",
    bytes_in: 0,
    bytes_out: 0,
    open: 0,
    reason: "the drain timed out",
  });
});

Deno.test("serve: log lines name a peer by address, IPv6 in brackets, a Unix one by path, and turn Nagle off", async () => {
  const peers = [
    { transport: "tcp", hostname: "127.0.0.1", port: 5555 },
    { transport: "tcp", hostname: "::1", port: 6666 },
    { transport: "unix", path: "/tmp/s" },
    // Unix peers are nameless: lines name the socket listened on (a fake acceptor has none).
    { transport: "unix", path: null },
  ].map((remoteAddr, i) => {
    const peer = new ScriptedPeer(bytes(3, i), chaos(60 + i));
    const noDelay: boolean[] = [];
    Object.assign(peer, { remoteAddr, setNoDelay: (on: boolean) => noDelay.push(on) });
    return { peer, noDelay };
  });
  const { server, out } = echoServer(new FakeAcceptor(peers.map((p) => p.peer), random(12)));
  await serveUntil(server, () => peers.every((p) => p.peer.closed));
  for (const expected of ["127.0.0.1:5555", "[::1]:6666", "unix:/tmp/s", "unix"]) {
    assert.ok(
      out.some((l) => new RegExp(`^#\\d accepted from ${RegExp.escape(expected)} \\(`).test(l)),
      `${expected} in:\n${out.join("\n")}`,
    );
    assert.ok(out.some((l) => l.includes(` closed ${expected}: 3 bytes in, 3 out`)), expected);
  }
  assert.deepEqual(peers.map((p) => p.noDelay), [[true], [true], [true], [true]]);
});

Deno.test("serve: reads use the server's buffer pool, so its largest size bounds a read", async () => {
  const peer = new ScriptedPeer(bytes(5000), { ...chaos(70), maxRead: 5000 });
  const { server } = echoServer(new FakeAcceptor([peer], random(13)));
  await serveUntil(server, () => peer.closed);
  assert.deepEqual(peer.echoed, peer.script);
  assert.equal(peer.biggestRead, 256, "the pool's largest buffer");
});

Deno.test("serve: with nothing else happening, a silent connection is closed at its idle timeout", async () => {
  const silent = new ScriptedPeer(new Uint8Array(0), chaos(71), { eof: false });
  const acceptor = new FakeAcceptor([silent], random(14));
  const { server } = echoServer(acceptor, { idleTimeout: 0.1 });
  await serveUntil(server, () => silent.closed, "the idle close");
  assert.ok(silent.closedAt - acceptor.handedAt.get(silent)! >= 100);
});

Deno.test("serve: a silent refused peer is closed after the default 1 s, with nothing else happening", async () => {
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(72), { eof: false });
  const refused = new ScriptedPeer(new Uint8Array(0), chaos(73), { eof: false });
  const acceptor = new FakeAcceptor([holder, refused], random(15));
  const { server } = appServer(acceptor, { maxConns: 1 });
  await serveUntil(server, () => refused.closed, "the refused peer's close");
  const lingered = refused.closedAt - acceptor.handedAt.get(refused)!;
  assert.ok(lingered >= 1000, `closed after ${lingered.toFixed(0)} ms`);
  assert.deepEqual(replyContents(refused.echoed), ['{"error":"server busy"}']);
});

Deno.test("serve: a refused peer's place among the lingering is freed when it goes", async () => {
  const holder = new ScriptedPeer(new Uint8Array(0), chaos(74), { eof: false });
  const first = [0, 1].map((i) => new ScriptedPeer(new Uint8Array(0), chaos(75 + i)));
  const later = new ScriptedPeer(new Uint8Array(0), chaos(77), { eof: false });
  const acceptor = new FakeAcceptor([holder, ...first], random(16));
  const { server } = appServer(acceptor, { maxConns: 1, maxLingering: 2, refusalLinger: 30 });
  await serveUntil(server, () => later.finished, "the third refusal", async () => {
    // The first two hear the refusal, then leave (their FIN): two places free again.
    await expectSoon(() => first.every((p) => p.closed), "the first two refusals");
    assert.ok(first.every((p) => p.received.length > 0));
    acceptor.offer(later);
  });
  assert.deepEqual(replyContents(later.echoed), ['{"error":"server busy"}']);
});

Deno.test("serve: an accept failure is logged as a JSON event too", async () => {
  const lines: string[] = [];
  const log = new Log("normal", "json", { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  const good = new ScriptedPeer(bytes(5), chaos(78));
  const server = new Server(
    new FakeAcceptor([new Error("Too many open files (os error 24)"), good], random(17)),
    { log, newSession: () => new EchoSession() },
  );
  await serveUntil(server, () => good.closed);
  const { time: _, ...event } = JSON.parse(lines[0]);
  assert.deepEqual(event, {
    level: "error",
    event: "accept_failed",
    reason: "too many open files",
  });
});

Deno.test("server: one full garbage collection once quiet after 1,000 connections opened or closed; none after 998", async () => {
  // Each peer is accepted and then closed: two of the thousand.
  for (const [count, expected] of [[500, 1], [499, 0]]) {
    const peers = Array.from({ length: count }, (_, i) => new ScriptedPeer(bytes(3, i), chaos(i)));
    let collections = 0;
    const { log, out } = captureLog("verbose");
    const { server } = echoServer(new FakeAcceptor([...peers], random(count)), {
      log,
      collect: () => {
        // A server that collected again and again would spin here: end it.
        if (++collections > 3) throw new Error("collected again and again");
        return true;
      },
    });
    await serveUntil(server, () => peers.every((p) => p.closed), `${count} echoes`, async () => {
      await expectSoon(() => peers.every((p) => p.closed), `${count} echoes`);
      // Quiet for over the second it waits, then some: one collection, not one per quiet turn.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(collections, expected, `${count} connections, still serving`);
    });
    assert.equal(collections, expected, `${count} connections, stopped`);
    const said = out.filter((l) => l.includes("garbage collection"));
    assert.equal(said.length, expected);
    if (expected === 1) {
      assert.match(
        said[0],
        /^quiet after 1000 connections opened or closed: full garbage collection \(\d+ ms\)$/,
      );
    }
    peers.forEach((p, i) => assert.deepEqual(p.echoed, bytes(3, i)));
  }
});
