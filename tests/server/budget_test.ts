/**
 * The server's buffer budget (`--max-buffer`) over fake streams: peers that
 * never read are held to it together, a good client is served meanwhile,
 * every byte comes back once they read, and an app request that cannot fit
 * hears `server busy`.
 */
import assert from "node:assert/strict";
import { BufferBudget } from "../../lib/buffer_budget.ts";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { frameBytes, FrameDecoder } from "../../lib/frame.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "../../server/app.ts";
import { EchoSession } from "../../server/echo.ts";
import { Server } from "../../server/server.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";
import { captureLog, expectSoon, serveUntil } from "../harness.ts";

const chaos = (seed: number) => ({ rand: random(seed), maxRead: 4096, maxWrite: 4096 });

Deno.test("budget: bound past the limit, cleared at the low mark; while bound only those holding almost nothing read", () => {
  const budget = new BufferBudget(1000);
  assert.equal(budget.low, 500);
  assert.equal(budget.charge(1000), null, "at the limit: not past it");
  assert.equal(budget.binding, false);
  assert.equal(budget.mayRead(999_999, 1), true, "unbound, anyone reads");
  assert.equal(budget.charge(1), "bound");
  assert.equal(budget.charge(100), null);
  assert.equal(budget.share(4), 250);
  assert.equal(budget.share(0), 1000);
  assert.equal(budget.mayRead(3, 4), true, "under a sixty-fourth of the share (3.9)");
  assert.equal(budget.mayRead(4, 4), false);
  assert.equal(budget.charge(-600), null, "501: above the low mark");
  assert.equal(budget.charge(-1), "cleared");
  assert.equal(budget.total, 500);
  assert.equal(budget.mayRead(999_999, 4), true);
  const even = new BufferBudget(6400);
  even.charge(6401);
  assert.equal(even.mayRead(99, 1), true, "6,400 / 64 = 100");
  assert.equal(even.mayRead(100, 1), false, "at a sixty-fourth: no more");
});

Deno.test("budget: reads are a sixteenth of the share, at least 8 KiB, and room is kept for them in flight", () => {
  const big = new BufferBudget(256 << 20);
  assert.equal(big.readSize(1000), 16384, "268,435 / 16 = 16,777, down to a power of two");
  assert.equal(big.reserve, 16_384_000, "1,000 reads of 16 KiB in flight");
  assert.equal(big.charge(268_435_456 - 16_384_000), null, "at the limit less the reserve");
  assert.equal(big.charge(1), "bound");
  const small = new BufferBudget(32 << 20);
  assert.equal(small.readSize(1000), 8192, "2,097 is under the 8 KiB floor");
  assert.equal(small.reserve, 8_192_000);
  const tiny = new BufferBudget(1 << 20);
  assert.equal(tiny.readSize(100), 8192);
  assert.equal(tiny.reserve, 262_144, "819,200 in flight, but at most a quarter of the limit");
  assert.equal(tiny.readSize(1), 65536, "1 MiB / 16");
  assert.equal(tiny.reserve, 65536);
});

Deno.test("budget: peers that never read are held to it together; a good client is served meanwhile; all comes back", async () => {
  const BUDGET = 256 * 1024, SIZE = 400_000;
  const hogs = [1, 2, 3, 4].map((i) =>
    new ScriptedPeer(bytes(SIZE, i), chaos(i), { eof: false, holdWrites: true })
  );
  const good = new ScriptedPeer(bytes(20_000, 9), { ...chaos(9), maxRead: 100 }, {
    readDelayMs: 2,
  });
  const { log, out } = captureLog();
  const acceptor = new FakeAcceptor([...hogs], random(5));
  const server = new Server(acceptor, {
    log,
    pool: new BufferPool({ minSize: 64, maxSize: 65536 }),
    newSession: () => new EchoSession(),
    maxBuffer: BUDGET,
  });
  await serveUntil(server, () => hogs.every((h) => h.closed), "every hog's echo", async () => {
    // Four hogs could owe 1 MiB each (their own mark): together they stop near the budget.
    await expectSoon(
      () => out.some((l) => l.startsWith("Buffer budget of 262144 bytes reached")),
      "the budget to bind",
    );
    await new Promise((r) => setTimeout(r, 100));
    const taken = hogs.reduce((n, h) => n + h.taken, 0);
    assert.ok(taken <= BUDGET + 4 * 65536, `the hogs got ${taken} bytes in`);
    acceptor.offer(good);
    await expectSoon(() => good.closed, "the good client's echo");
    assert.deepEqual(good.echoed, bytes(20_000, 9));
    for (const h of hogs) {
      h.startReading();
      h.hangUp();
    }
  });
  hogs.forEach((h, i) => assert.deepEqual(h.echoed, bytes(SIZE, i + 1), `hog ${i + 1}`));
  assert.ok(
    out.some((l) =>
      /^Buffer budget clear \(\d+ held\): reading from every connection again$/.test(l)
    ),
  );
});

Deno.test("budget: an app request that cannot fit waits, then hears server busy; a small one is answered", async () => {
  // JSON, whose content must be held whole (binary content is read past but for 10 bytes).
  const big = frameBytes(
    "text/json",
    "utf-8",
    new TextEncoder().encode(`{"action":"search","value":"${"x".repeat(3 << 20)}"}`),
  );
  const small = frameBytes(
    "text/json",
    "utf-8",
    new TextEncoder().encode('{"action":"search","value":"ring"}'),
  );
  const hog = new ScriptedPeer(big, chaos(11), { eof: false });
  const { log, out } = captureLog();
  const acceptor = new FakeAcceptor([hog], random(6));
  const server = new Server(acceptor, {
    log,
    pool: new BufferPool({ minSize: 64, maxSize: 65536 }),
    newSession: () => new AppSession(DEFAULT_APP_LIMITS, null),
    maxBuffer: 1 << 20,
    busyTimeout: 0.2,
  });
  const polite = new ScriptedPeer(small, chaos(12));
  await serveUntil(server, () => hog.closed && polite.closed, "both replies", async () => {
    await expectSoon(
      () => out.some((l) => l.startsWith("Buffer budget of 1048576 bytes reached")),
      "the budget to bind",
    );
    assert.ok(hog.taken < 2 << 20, `the request is held at ${hog.taken} bytes, not read whole`);
    acceptor.offer(polite);
    await expectSoon(() => hog.received.length > 0, "the busy reply");
    hog.hangUp();
  });
  const reply = (peer: ScriptedPeer) => {
    const d = new FrameDecoder(1 << 20);
    d.feed(peer.echoed, 0, peer.echoed.length);
    return new TextDecoder().decode(d.message!.content);
  };
  assert.equal(reply(hog), '{"error":"server busy"}');
  assert.equal(reply(polite), '{"result":"In the caves beneath the Misty Mountains. 💍"}');
  assert.ok(
    out.some((l) => /^#1 server busy: no room for it in the buffer budget for 0\.2 s$/.test(l)),
  );
});
