import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { ByteQueue } from "../../lib/byte_queue.ts";
import { type Event, type EventType, Interest, type Key } from "../../lib/loop.ts";
import { EchoSession } from "../../server/echo.ts";
import { Server } from "../../server/server.ts";
import { fakeKey } from "../fake_key.ts";
import { captureLog, serveUntil } from "../harness.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";

Deno.test("echo server: 30 peers with short reads and partial writes get every byte back, then are closed", async () => {
  for (const seed of [11, 12]) {
    const rand = random(seed);
    const peers = Array.from(
      { length: 30 },
      (_, i) => new ScriptedPeer(bytes(2000 + 101 * i, i), { rand, maxRead: 89, maxWrite: 53 }),
    );
    const { log, err } = captureLog();
    const server = new Server(new FakeAcceptor([...peers], rand), {
      log,
      pool: new BufferPool({ minSize: 16, maxSize: 64 }),
      newSession: () => new EchoSession({ highWater: 300, lowWater: 100 }),
    });
    await serveUntil(server, () => peers.every((p) => p.closed));
    for (const [i, p] of peers.entries()) {
      assert.deepEqual(p.echoed, p.script, `seed ${seed} peer ${i}`);
    }
    const total = peers.reduce((n, p) => n + p.script.length, 0);
    const { accepted, failed, bytesIn, bytesOut } = server.stats;
    assert.deepEqual({ accepted, failed, bytesIn, bytesOut }, {
      accepted: 30,
      failed: 0,
      bytesIn: total,
      bytesOut: total,
    });
    assert.deepEqual(err, []);
  }
});

Deno.test("echo server: a peer that never reads cannot make it buffer past the high-water mark", async () => {
  const rand = random(21);
  const hog = new ScriptedPeer(bytes(1_000_000), { rand, maxRead: 4096, maxWrite: 4096 }, {
    holdWrites: true,
  });
  const good = new ScriptedPeer(bytes(20_000, 1), { rand, maxRead: 700, maxWrite: 700 });
  const { log } = captureLog();
  const server = new Server(new FakeAcceptor([hog, good], rand), {
    log,
    pool: new BufferPool({ minSize: 512, maxSize: 4096 }),
    newSession: () => new EchoSession({ highWater: 64 * 1024, lowWater: 32 * 1024 }),
  });
  await serveUntil(server, () => good.closed);
  // Let the hog's side settle: it can only have been read up to the mark plus one read buffer.
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(hog.taken <= 64 * 1024 + 4096, `read ${hog.taken} bytes from a peer that never reads`);
  assert.ok(hog.taken >= 64 * 1024, "it read up to the mark");
  assert.deepEqual(good.echoed, good.script, "the other peer was served meanwhile");
});

Deno.test("echo server: after the peer's FIN it finishes writing what it owes, then closes", async () => {
  const rand = random(31);
  // Reads far outpace writes, so most of the echo is still owed when the FIN arrives.
  const peer = new ScriptedPeer(bytes(20_000), { rand, maxRead: 5000, maxWrite: 97 });
  const { log, out } = captureLog();
  const server = new Server(new FakeAcceptor([peer], rand), {
    log,
    newSession: () => new EchoSession(),
  });
  await serveUntil(server, () => peer.closed);
  assert.deepEqual(peer.echoed, peer.script);
  assert.match(out.at(-1)!, /^#1 closed peer: 20000 bytes in, 20000 out \(0 open\)$/);
});

Deno.test("echo server: a reset ends that connection only, with a log line", async () => {
  const rand = random(41);
  const bad = new ScriptedPeer(bytes(9000), { rand, maxRead: 500, maxWrite: 500 }, {
    resetAfter: 3000,
  });
  const good = new ScriptedPeer(bytes(9000, 2), { rand, maxRead: 500, maxWrite: 500 });
  const { log, err } = captureLog();
  const server = new Server(new FakeAcceptor([bad, good], rand), {
    log,
    newSession: () => new EchoSession(),
  });
  await serveUntil(server, () => good.closed && bad.closed);
  assert.deepEqual(good.echoed, good.script);
  assert.equal(server.stats.failed, 1);
  assert.equal(err.length, 1);
  assert.match(err[0], /^sockdemo: #1 peer: connection reset by peer; closed after \d+ bytes in/);
});

Deno.test("echo server: --verbose shows reads, whole and partial writes, state and interest changes", async () => {
  const rand = random(51);
  const peer = new ScriptedPeer(bytes(3000), { rand, maxRead: 1000, maxWrite: 100 });
  const bad = new ScriptedPeer(bytes(10), { rand, maxRead: 10, maxWrite: 10 }, { resetAfter: 0 });
  const { log, out } = captureLog("verbose");
  const server = new Server(new FakeAcceptor([peer, bad], rand), {
    log,
    newSession: () => new EchoSession({ highWater: 300, lowWater: 100 }),
  });
  await serveUntil(server, () => peer.closed && bad.closed);
  assert.ok(out.some((l) => /^#1 read \d+ bytes$/.test(l)));
  const partial = /^#1 wrote (\d+) of (\d+) bytes \(partial write; \d+ still owed\)$/;
  assert.ok(out.some((l) => partial.test(l)));
  for (const l of out) {
    const m = partial.exec(l);
    if (m !== null) assert.ok(Number(m[1]) < Number(m[2]), l);
  }
  assert.ok(out.some((l) => /^#1 wrote \d+ bytes \(\d+ still owed\)$/.test(l)), "a whole write");
  assert.ok(out.some((l) => /^#1 state echoing -> paused \(\d+ bytes owed\)$/.test(l)));
  assert.ok(out.some((l) => /^#1 state paused -> echoing \(\d+ bytes owed\)$/.test(l)));
  assert.ok(out.some((l) => l === "#1 interest read -> read+write"));
  assert.ok(out.some((l) => l === "#1 read end of stream (peer half-closed)"));
  assert.ok(out.includes("#2 error: connection reset by peer"));
  // A line for each change, none for what stayed the same.
  assert.ok(!out.some((l) => /state (\S+) -> \1 /.test(l)), "no state 'change' to itself");
  assert.ok(!out.some((l) => /interest (\S+) -> \1$/.test(l)), "no interest 'change' to itself");
});

/** A key with `owed` bytes in its output, read into a 64 KiB `input`. */
function owingKey(owed = 0) {
  const output = new ByteQueue(new BufferPool({ minSize: 1 << 16, maxSize: 1 << 16 }));
  output.push(new Uint8Array(owed));
  return fakeKey(new Uint8Array(1 << 16), output);
}

function event(type: EventType, key: Key<unknown>, n = 0): Event<unknown> {
  return { type, key, n, size: n, stream: null, error: null };
}

Deno.test("echo session: the default marks pause past 1 MiB owed and resume at 512 KiB", () => {
  const session = new EchoSession();
  const key = owingKey((1 << 20) - 10);
  assert.equal(session.handle(event("read", key, 10)), false);
  assert.equal(session.stateName, "echoing", "exactly 1 MiB owed: still reading");
  assert.equal(session.interest(key), Interest.READ_WRITE);
  session.handle(event("read", key, 1));
  assert.equal(session.stateName, "paused", "one byte past 1 MiB: paused");
  assert.equal(session.interest(key), Interest.WRITE);
  key.output.consume(key.output.length - (1 << 19) - 1);
  session.handle(event("write", key, 100));
  assert.equal(session.stateName, "paused", "512 KiB + 1 owed: still paused");
  key.output.consume(1);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "echoing", "512 KiB owed: reading again");
});

Deno.test("echo session: a read in flight while paused is kept; FIN drains what is owed, then closes", () => {
  const session = new EchoSession({ highWater: 100, lowWater: 50 });
  const key = owingKey(0);
  session.handle(event("read", key, 101));
  assert.equal(session.stateName, "paused");
  session.handle(event("read", key, 20));
  assert.equal(key.output.length, 121, "the late read's bytes are owed too");
  assert.equal(session.stateName, "paused");
  key.output.consume(121);
  session.handle(event("write", key, 121));
  assert.equal(session.stateName, "echoing");
  assert.equal(session.interest(key), Interest.READ, "nothing owed: read only");
  key.output.push(new Uint8Array(5));
  assert.equal(session.handle(event("eof", key)), false, "owes 5 at FIN: not done");
  assert.equal(session.stateName, "draining");
  assert.equal(session.interest(key), Interest.WRITE);
  key.output.consume(4);
  assert.equal(session.handle(event("write", key, 4)), false, "1 still owed");
  key.output.consume(1);
  assert.equal(session.handle(event("write", key, 1)), true, "all written: done");
  assert.equal(session.stateName, "closed");
  assert.equal(session.failure, null);
  assert.equal(session.interest(key), Interest.NONE);
  const reset = new EchoSession();
  assert.equal(
    reset.handle({ ...event("error", key), error: new Deno.errors.ConnectionReset("x") }),
    true,
  );
  assert.equal(reset.failure, "connection reset by peer");
  assert.equal(reset.stateName, "failed");
  assert.equal(reset.interest(key), Interest.NONE);
  const idle = new EchoSession();
  assert.equal(idle.handle(event("eof", owingKey(0))), true, "FIN with nothing owed: done at once");
});
