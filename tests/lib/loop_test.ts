import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { type Event, Interest, type Key, Loop, type Stream } from "../../lib/loop.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";

// No select() in these tests waits longer: an event that never comes fails the test, not the suite.
const LIMIT_MS = 5000;

/**
 * `loop.select()` bounded by a deadline shared by a whole test: past it the
 * test fails with `what` instead of hanging.
 */
function selector<T>(loop: Loop<T>, what: string, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  return async (): Promise<Iterable<Event<T>>> => {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    return await loop.select(left);
  };
}

// A minimal echo dispatcher written against the loop's API alone, as a user would.
async function echoAll(loop: Loop<string>, until: () => boolean): Promise<Event<string>[]> {
  const seen: Event<string>[] = [];
  const draining = new Set<Key<string>>();
  const select = selector(loop, "the echo to finish");
  while (!until()) {
    for (const ev of await select()) {
      seen.push({ ...ev }); // events are reused after the next select(): keep a copy
      const key = ev.key;
      if (ev.type === "accept") loop.register(ev.stream!, Interest.READ, "conn");
      else if (ev.type === "read") {
        key.output.push(key.input, 0, ev.n);
        loop.modify(key, Interest.READ_WRITE);
      } else if (ev.type === "error" || key.output.length === 0 && draining.has(key)) {
        loop.unregister(key);
      } else if (ev.type === "eof") {
        draining.add(key);
        if (key.output.length === 0) loop.unregister(key);
        else loop.modify(key, Interest.WRITE);
      } else if (ev.type === "write" && key.output.length === 0) {
        loop.modify(key, Interest.READ);
      }
    }
  }
  return seen;
}

Deno.test("loop: 20 peers with random short reads and partial writes get every byte back in order", async () => {
  for (const seed of [1, 2, 3]) {
    const rand = random(seed);
    const peers = Array.from(
      { length: 20 },
      (_, i) => new ScriptedPeer(bytes(3000 + i * 37, i), { rand, maxRead: 97, maxWrite: 61 }),
    );
    const loop = new Loop<string>({ pool: new BufferPool({ minSize: 16, maxSize: 128 }) });
    const listener = loop.listen(new FakeAcceptor([...peers], rand), "listener");
    // A peer is done when its FIN was seen and the loop closed it; the echo must be whole by then
    // only if output drained first, so wait for all bytes to come back.
    await echoAll(loop, () => peers.every((p) => p.echoed.length === p.script.length));
    for (const [i, p] of peers.entries()) {
      assert.deepEqual(p.echoed, p.script, `seed ${seed} peer ${i}`);
    }
    loop.unregister(listener);
  }
});

Deno.test("loop: a reset is an error event for that connection alone", async () => {
  const rand = random(7);
  const good = new ScriptedPeer(bytes(5000), { rand, maxRead: 300, maxWrite: 300 });
  const bad = new ScriptedPeer(bytes(5000, 1), { rand, maxRead: 300, maxWrite: 300 }, {
    resetAfter: 1000,
  });
  const loop = new Loop<string>();
  loop.listen(new FakeAcceptor([bad, good], rand), "listener");
  const seen = await echoAll(loop, () => good.echoed.length === 5000 && bad.closed);
  const errors = seen.filter((e) => e.type === "error");
  assert.equal(errors.length, 1);
  assert.ok(errors[0].error instanceof Deno.errors.ConnectionReset);
  assert.deepEqual(good.echoed, good.script);
});

Deno.test("loop: no read is issued while interest lacks READ, and none after EOF", async () => {
  let reads = 0;
  let resolveRead: (n: number | null) => void = () => {};
  const stream: Stream = {
    read() {
      reads++;
      return new Promise((resolve) => resolveRead = resolve);
    },
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
  const loop = new Loop<null>();
  const key = loop.register(stream, Interest.NONE, null);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(reads, 0, "interest NONE issues nothing");
  loop.modify(key, Interest.READ);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(reads, 1);
  resolveRead(null);
  const types = [...await loop.select(LIMIT_MS)].map((e) => e.type);
  assert.deepEqual(types, ["eof"]);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(reads, 1, "the loop never reads past end of stream");
});

Deno.test("loop: unregister closes the stream and swallows what it had pending", async () => {
  const rand = random(3);
  const peer = new ScriptedPeer(bytes(10), { rand, maxRead: 10, maxWrite: 10 }, {
    eof: false,
    holdWrites: true,
  });
  const loop = new Loop<null>();
  const key = loop.register(peer, Interest.READ, null);
  key.output.push(bytes(100));
  loop.modify(key, Interest.READ_WRITE);
  const first = [...await loop.select(LIMIT_MS)].map((e) => e.type);
  assert.deepEqual(first, ["read"]);
  loop.wakeup(); // re-arms: a read that never settles, a write held forever
  await loop.select(LIMIT_MS);
  loop.unregister(key);
  assert.equal(peer.closed, true);
  assert.equal(loop.size, 0);
  await new Promise((r) => setTimeout(r, 10));
  loop.wakeup();
  assert.deepEqual([...await loop.select(LIMIT_MS)], [], "cancelled operations produce no events");
});

Deno.test("loop: events of a key unregistered earlier in the same batch are skipped", async () => {
  const streams: Stream[] = [0, 1].map(() => ({
    read: () => Promise.resolve(1),
    write: (b: Uint8Array) => Promise.resolve(b.length),
    close() {},
  }));
  const loop = new Loop<number>();
  const keys = streams.map((s, i) => loop.register(s, Interest.READ, i));
  await new Promise((r) => setTimeout(r, 0));
  const handled: number[] = [];
  loop.wakeup();
  await loop.select(LIMIT_MS); // issues both reads
  await new Promise((r) => setTimeout(r, 0));
  for (const ev of await loop.select(LIMIT_MS)) {
    handled.push(ev.key.data);
    for (const k of keys) if (k !== ev.key) loop.unregister(k);
  }
  assert.equal(handled.length, 1);
});

Deno.test("loop: partial writes continue from where they stopped, and show as n < size", async () => {
  const taken: number[] = [];
  const stream: Stream = {
    read: () => new Promise(() => {}),
    write: (b) => {
      const n = Math.min(3, b.length);
      taken.push(n);
      return Promise.resolve(n);
    },
    close() {},
  };
  const loop = new Loop<null>();
  const key: Key<null> = loop.register(stream, Interest.WRITE, null);
  key.output.push(bytes(10));
  const copy = (batch: Iterable<Event<null>>) => [...batch].map((e) => ({ ...e }));
  const events = [];
  const select = selector(loop, "the output to drain");
  while (key.output.length > 0) events.push(...copy(await select()));
  const written = events.filter((e) => e.type === "write").reduce((n, e) => n + e.n, 0);
  assert.equal(written, taken.reduce((a, b) => a + b, 0));
  assert.equal(written, 10);
  assert.equal(key.output.length, 0);
  const offered = events.filter((e) => e.type === "write").reduce((n, e) => n + e.size, 0);
  assert.ok(offered > written, "partial writes show as n < size");
});

Deno.test("loop: connect delivers a connect event, then the stream is driven", async () => {
  const rand = random(5);
  const peer = new ScriptedPeer(bytes(50), { rand, maxRead: 50, maxWrite: 50 });
  const loop = new Loop<null>();
  const key = loop.connect(Promise.resolve(peer), Interest.READ, null);
  assert.equal(key.stream, null);
  const types: string[] = [];
  const select = selector(loop, "end of stream");
  while (!types.includes("eof")) for (const ev of await select()) types.push(ev.type);
  assert.equal(types[0], "connect");
  assert.equal(key.stream, peer);
  const failed = loop.connect(
    Promise.reject(new Deno.errors.ConnectionRefused("refused")),
    0,
    null,
  );
  const [ev] = [...await loop.select(LIMIT_MS)];
  assert.equal(ev.key, failed);
  assert.equal(ev.type, "error");
  loop.unregister(key);
  loop.unregister(failed);
});

Deno.test("loop: read buffers start small, grow while reads fill them, shrink when reads get small", async () => {
  const sizes: number[] = [];
  // The peer has 200 KB ready, then trickles 10-byte messages.
  let bulk = 200_000, small = 12;
  const stream: Stream = {
    read(buf) {
      sizes.push(buf.length);
      if (bulk > 0) {
        const n = Math.min(bulk, buf.length);
        bulk -= n;
        return Promise.resolve(n);
      }
      return Promise.resolve(small-- > 0 ? 10 : null);
    },
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
  const loop = new Loop<null>({ pool: new BufferPool({ minSize: 512, maxSize: 65536 }) });
  loop.register(stream, Interest.READ, null);
  let eof = false;
  const select = selector(loop, "end of stream");
  while (!eof) for (const ev of await select()) eof = ev.type === "eof";
  assert.deepEqual(
    sizes.slice(0, 5),
    [512, 2048, 8192, 32768, 65536],
    "x4 while reads fill the buffer",
  );
  assert.ok(sizes.slice(5, 8).every((s) => s === 65536), "capped at the pool's largest");
  assert.deepEqual(
    sizes.slice(8),
    [32768, 16384, 8192, 4096, 2048, 1024, 512, 512, 512, 512, 512, 512],
    "halved on each small read, down to the smallest",
  );
});

Deno.test("loop: a read of exactly a quarter of its buffer keeps the size; less halves it", async () => {
  const sizes: number[] = [];
  const script = [512, 512, 511, 100];
  const stream: Stream = {
    read(buf) {
      sizes.push(buf.length);
      const n = script.shift();
      return Promise.resolve(n === undefined ? null : n);
    },
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
  const loop = new Loop<null>({ pool: new BufferPool({ minSize: 512, maxSize: 65536 }) });
  loop.register(stream, Interest.READ, null);
  let eof = false;
  const select = selector(loop, "end of stream");
  while (!eof) for (const ev of await select()) eof = ev.type === "eof";
  // 512 fills 512: x4. 512 is a quarter of 2048: kept. 511 is less: halved.
  assert.deepEqual(sizes, [512, 2048, 2048, 1024, 512]);
});

Deno.test("loop: forwardInput hands a well-filled read buffer to the output instead of copying", async () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 16384 });
  let first = true;
  const stream: Stream = {
    read(buf) {
      if (!first) return new Promise(() => {});
      first = false;
      buf.fill(7, 0, buf.length);
      return Promise.resolve(buf.length);
    },
    write: () => new Promise(() => {}),
    close() {},
  };
  const loop = new Loop<null>({ pool });
  const key = loop.register(stream, Interest.READ, null);
  const [ev] = [...await loop.select(LIMIT_MS)];
  assert.equal(ev.n, 512);
  key.forwardInput(ev.n); // 512 bytes: below the threshold, copied
  assert.equal(key.input.length, 512, "a small read is copied; the buffer stays for the next read");
  const big = pool.take(16384);
  big.fill(9);
  (key as unknown as { input: Uint8Array }).input = big; // as if a 16 KiB read had filled it
  key.forwardInput(16384);
  assert.equal(key.input.length, 0, "the buffer now belongs to the output");
  key.output.consume(512);
  assert.equal(key.output.peek().buffer, big.buffer, "queued without a copy");
  loop.unregister(key);
});

Deno.test("loop: select(timeout) returns an empty batch when nothing happens; wakeup() returns at once", async () => {
  const loop = new Loop<null>();
  const started = performance.now();
  assert.deepEqual([...await loop.select(30)], []);
  assert.ok(performance.now() - started >= 29, "it waited for the timeout");
  const waiting = loop.select(LIMIT_MS);
  loop.wakeup();
  assert.deepEqual([...await waiting], []);
  loop.wakeup(); // before select: the next one returns at once
  const early = performance.now();
  assert.deepEqual([...await loop.select(LIMIT_MS)], []);
  assert.ok(performance.now() - early < 1000);
  assert.deepEqual([...await loop.select(0)], [], "a zero timeout only polls");
});

Deno.test("loop: counts bytes each way, and a read event gives its buffer's size", async () => {
  let served = false;
  const stream: Stream = {
    read(buf) {
      if (served) return new Promise(() => {});
      served = true;
      buf.fill(1, 0, 100);
      return Promise.resolve(100);
    },
    write: (b) => Promise.resolve(Math.min(b.length, 30)),
    close() {},
  };
  const loop = new Loop<null>({ pool: new BufferPool({ minSize: 512, maxSize: 4096 }) });
  assert.equal(loop.size, 0);
  const key = loop.register(stream, Interest.READ, null);
  assert.equal(loop.size, 1);
  const [read] = [...await loop.select(LIMIT_MS)].map((e) => ({ ...e }));
  assert.deepEqual([read.type, read.n, read.size], ["read", 100, 512]);
  assert.equal(key.bytesRead, 100);
  key.output.push(new Uint8Array(50));
  loop.modify(key, Interest.WRITE);
  const [w1] = [...await loop.select(LIMIT_MS)].map((e) => ({ ...e }));
  assert.deepEqual([w1.type, w1.n, w1.size], ["write", 30, 50]);
  const [w2] = [...await loop.select(LIMIT_MS)].map((e) => ({ ...e }));
  assert.deepEqual([w2.type, w2.n, w2.size], ["write", 20, 20]);
  assert.equal(key.bytesWritten, 50);
  loop.unregister(key);
  loop.unregister(key); // twice is harmless
  assert.equal(loop.size, 0);
});

Deno.test("loop: endOutput sends FIN once everything queued is written, not before", async () => {
  const writes: number[] = [];
  let fins = 0, release: () => void = () => {};
  const stream: Stream = {
    read: () => new Promise(() => {}),
    write: (b) => {
      writes.push(b.length);
      return new Promise((r) => release = () => r(b.length));
    },
    close() {},
    closeWrite: () => {
      fins++;
      return Promise.resolve();
    },
  };
  const loop = new Loop<null>();
  const key = loop.register(stream, Interest.WRITE, null);
  key.output.push(new Uint8Array(10));
  key.endOutput();
  assert.equal(fins, 0, "10 bytes still owed");
  loop.wakeup();
  await loop.select(LIMIT_MS); // issues the write
  assert.equal(fins, 0, "the write is in flight");
  release();
  await loop.select(LIMIT_MS);
  assert.equal(fins, 1);
  const idle = loop.register({ ...stream }, Interest.NONE, null);
  idle.endOutput();
  assert.equal(fins, 2, "nothing owed: FIN at once");
  idle.endOutput();
  assert.equal(fins, 3);
  loop.unregister(key);
  loop.unregister(idle);
});

Deno.test("loop: forwardInput hands over a buffer from 8 KiB filled at least half; smaller is copied", () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 32768 });
  const cases: [number, number, boolean][] = [
    [16384, 8192, true],
    [16384, 8191, false],
    [16384, 16384, true],
    [8192, 8192, true],
    [32768, 16384, true],
    [32768, 16383, false],
  ];
  for (const [size, n, handed] of cases) {
    const loop = new Loop<null>({ pool });
    const key = loop.register(
      {
        read: () => new Promise(() => {}),
        write: () => new Promise(() => {}),
        close() {},
      },
      Interest.NONE,
      null,
    );
    const buf = pool.take(size);
    (key as unknown as { input: Uint8Array }).input = buf;
    key.forwardInput(n);
    assert.equal(key.input.length === 0, handed, `${n} of ${size}`);
    assert.equal(key.output.length, n);
    assert.equal(key.output.peek().buffer === buf.buffer, handed, `${n} of ${size}: no copy`);
    loop.unregister(key);
  }
});

Deno.test("loop: a buffer still being read into or written from never goes back to the pool", async () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 512 });
  const loop = new Loop<null>({ pool });
  const hold = () => new Promise<never>(() => {});
  const key = loop.register({ read: hold, write: hold, close() {} }, Interest.READ_WRITE, null);
  key.output.push(new Uint8Array(100));
  loop.wakeup();
  await loop.select(LIMIT_MS); // a read and a write now pending
  loop.unregister(key);
  assert.equal(pool.freeBytes, 0, "neither the read buffer nor the output chunk");
  const quiet = loop.register({ read: hold, write: hold, close() {} }, Interest.NONE, null);
  quiet.output.push(new Uint8Array(100));
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.unregister(quiet);
  assert.equal(pool.freeBytes, 512, "nothing pending: its output chunk is reused");
});

Deno.test("loop: a connect that completes after unregister, or an accept after the listener closed, closes the stream", async () => {
  const closed: string[] = [];
  const stream = (name: string): Stream => ({
    read: () => new Promise(() => {}),
    write: (b) => Promise.resolve(b.length),
    close: () => closed.push(name),
  });
  const loop = new Loop<null>();
  let dialed: (s: Stream) => void = () => {};
  const key = loop.connect(new Promise((r) => dialed = r), Interest.READ, null);
  loop.unregister(key);
  dialed(stream("late connect"));
  let accepted: (s: Stream) => void = () => {};
  const listener = loop.listen({
    accept: () => new Promise((r) => accepted = r),
    close: () => closed.push("listener"),
  }, null);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.unregister(listener);
  accepted(stream("late accept"));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual([...closed].sort(), ["late accept", "late connect", "listener"]);
  loop.wakeup();
  assert.deepEqual([...await loop.select(LIMIT_MS)], [], "and no event comes of them");
});

Deno.test("loop: a listener accepts again at once, and an accept error is an error event", async () => {
  const conn = (): Stream => ({
    read: () => new Promise(() => {}),
    write: (b) => Promise.resolve(b.length),
    close() {},
  });
  const queue: (Stream | Error)[] = [conn(), new Deno.errors.ConnectionAborted("aborted"), conn()];
  let accepts = 0;
  const loop = new Loop<string>();
  const listener = loop.listen({
    accept: () => {
      accepts++;
      const next = queue.shift();
      if (next === undefined) return new Promise(() => {});
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    close() {},
  }, "listener");
  const seen: string[] = [];
  const select = selector(loop, "three listener events");
  while (seen.length < 3) {
    for (const ev of await select()) {
      seen.push(ev.type);
      if (ev.type === "accept") assert.ok(ev.stream !== null);
      else assert.ok(ev.error instanceof Deno.errors.ConnectionAborted);
    }
  }
  assert.deepEqual(seen, ["accept", "error", "accept"], "it accepts again after an error");
  assert.ok(accepts >= 3);
  loop.modify(listener, Interest.NONE);
  loop.unregister(listener);
});

/** A stream whose reads and writes settle when the test says so. */
function controlled() {
  const reads: ((n: number | null) => void)[] = [];
  const readFails: ((e: Error) => void)[] = [];
  const writes: ((n: number) => void)[] = [];
  const writeFails: ((e: Error) => void)[] = [];
  const stream: Stream = {
    read: () =>
      new Promise((resolve, reject) => {
        reads.push(resolve);
        readFails.push(reject);
      }),
    write: () =>
      new Promise((resolve, reject) => {
        writes.push(resolve);
        writeFails.push(reject);
      }),
    close() {},
  };
  return { stream, reads, readFails, writes, writeFails };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("loop: select() with no timeout waits for an event, however long", async () => {
  const loop = new Loop<null>();
  let returned = false;
  const waiting = loop.select().then((b) => {
    returned = true;
    return [...b];
  });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(returned, false, "still waiting after 30 ms");
  loop.wakeup();
  assert.deepEqual(await waiting, []);
});

Deno.test("loop: select(0) polls without waiting for a timer", async () => {
  const loop = new Loop<null>();
  let fired = false;
  setTimeout(() => fired = true, 0);
  await loop.select(0);
  assert.equal(fired, false, "returned before a timer set earlier fired");
  await tick();
  assert.equal(fired, true);
});

Deno.test("loop: a read or write that settles after unregister neither wakes the loop nor throws", async () => {
  const c = controlled();
  const loop = new Loop<null>();
  const key = loop.register(c.stream, Interest.READ_WRITE, null);
  key.output.push(bytes(10));
  loop.wakeup();
  await loop.select(LIMIT_MS); // a read and a write now pending
  loop.unregister(key);
  c.reads[0](5);
  c.writes[0](10);
  await tick();
  let fired = false;
  setTimeout(() => fired = true, 10);
  assert.deepEqual([...await loop.select(50)], []);
  assert.equal(fired, true, "select waited its whole timeout: nothing woke it");
  const failing = controlled();
  const other = loop.register(failing.stream, Interest.READ, null);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.unregister(other);
  failing.readFails[0](new Deno.errors.ConnectionReset("late"));
  await tick();
  let fired2 = false;
  setTimeout(() => fired2 = true, 10);
  assert.deepEqual([...await loop.select(50)], []);
  assert.equal(fired2, true, "a late error does not wake it either");
});

Deno.test("loop: after a read or write error the key may go on, and its next operations are issued", async () => {
  const c = controlled();
  const loop = new Loop<null>();
  const key = loop.register(c.stream, Interest.READ_WRITE, null);
  key.output.push(bytes(10));
  loop.wakeup();
  await loop.select(LIMIT_MS);
  c.readFails[0](new Deno.errors.Interrupted("read interrupted"));
  c.writeFails[0](new Deno.errors.Interrupted("write interrupted"));
  const types = [...await loop.select(LIMIT_MS)].map((e) => e.type);
  assert.deepEqual(types, ["error", "error"]);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(c.reads.length, 2, "a second read was issued");
  assert.equal(c.writes.length, 2, "a second write was issued");
  loop.unregister(key);
});

Deno.test("loop: a read event not yet handed out keeps its bytes, even if the key is modified meanwhile", async () => {
  const chunks = [bytes(8, 1), bytes(8, 2)];
  const stream: Stream = {
    read(buf) {
      const next = chunks.shift();
      if (next === undefined) return new Promise(() => {});
      buf.set(next);
      return Promise.resolve(next.length);
    },
    write: (b) => Promise.resolve(b.length),
    close() {},
  };
  const loop = new Loop<null>({ pool: new BufferPool({ minSize: 16, maxSize: 16 }) });
  const key = loop.register(stream, Interest.READ, null);
  loop.wakeup();
  await loop.select(LIMIT_MS); // issues read 1, which settles at once
  await tick();
  loop.modify(key, Interest.READ); // asks for reads again before the event was handed out
  const [ev] = [...await loop.select(LIMIT_MS)];
  assert.equal(ev.type, "read");
  assert.deepEqual(key.input.subarray(0, ev.n), bytes(8, 1), "not overwritten by a second read");
  loop.unregister(key);
});

Deno.test("loop: a listener without READ interest accepts nothing, and never has two accepts pending", async () => {
  let pending = 0, most = 0, accepts = 0;
  const loop = new Loop<null>();
  const listener = loop.listen({
    accept: () => {
      accepts++;
      pending++;
      most = Math.max(most, pending);
      return new Promise(() => {});
    },
    close() {},
  }, null);
  loop.modify(listener, Interest.NONE);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(accepts, 0);
  loop.modify(listener, Interest.READ);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.modify(listener, Interest.READ);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(accepts, 1);
  assert.equal(most, 1);
  loop.unregister(listener);
});

Deno.test("loop: a key that wants to write but owes nothing issues no write", async () => {
  const c = controlled();
  const loop = new Loop<null>();
  const key = loop.register(c.stream, Interest.WRITE, null);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  assert.equal(c.writes.length, 0);
  loop.unregister(key);
});

Deno.test("loop: a key that read and has no read pending gives its buffer back to the pool on unregister", async () => {
  const pool = new BufferPool({ minSize: 512, maxSize: 512 });
  const c = controlled();
  const loop = new Loop<null>({ pool });
  const key = loop.register(c.stream, Interest.READ, null);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  c.reads[0](3);
  await loop.select(LIMIT_MS);
  loop.modify(key, Interest.NONE);
  loop.wakeup();
  await loop.select(LIMIT_MS);
  loop.unregister(key);
  assert.equal(pool.freeBytes, 512);
});

Deno.test("loop: FIN on a stream without closeWrite, or before the handshake, does not throw", () => {
  const loop = new Loop<null>();
  const bare = loop.register(
    {
      read: () => new Promise(() => {}),
      write: (b) => Promise.resolve(b.length),
      close() {},
    },
    Interest.NONE,
    null,
  );
  bare.endOutput();
  const dialing = loop.connect(new Promise(() => {}), Interest.NONE, null);
  dialing.endOutput();
  loop.unregister(bare);
  loop.unregister(dialing);
});

Deno.test("loop: unregister forgives a stream closed twice, not any other failure to close", () => {
  const loop = new Loop<null>();
  const stream = (fail: Error): Stream => ({
    read: () => new Promise(() => {}),
    write: (b) => Promise.resolve(b.length),
    close() {
      throw fail;
    },
  });
  const twice = loop.register(stream(new Deno.errors.BadResource("closed")), Interest.NONE, null);
  loop.unregister(twice);
  const broken = loop.register(stream(new TypeError("a bug")), Interest.NONE, null);
  assert.throws(() => loop.unregister(broken), TypeError);
});

Deno.test("loop: readLimit caps the buffer of new reads; outputMemory needs no queue", async () => {
  const loop = new Loop<string>({ pool: new BufferPool({ minSize: 64, maxSize: 1 << 20 }) });
  const sizes: number[] = [];
  const stream: Stream = {
    // Every read fills its buffer, so without a cap each would be four times the last.
    read: (buf) => {
      sizes.push(buf.length);
      return Promise.resolve(buf.length);
    },
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
  const key = loop.register(stream, Interest.READ, "s");
  assert.equal(key.outputMemory, 0);
  loop.readLimit = 4096;
  while (sizes.length < 6) await loop.select();
  assert.deepEqual(sizes, [64, 256, 1024, 4096, 4096, 4096]);
  loop.readLimit = 10; // below the pool's smallest: the smallest
  while (sizes.length < 7) await loop.select();
  assert.equal(sizes[6], 64);
  key.output.push(bytes(10));
  assert.equal(key.outputMemory, key.output.capacity);
  assert.ok(key.outputMemory >= 10);
  loop.unregister(key);
});

Deno.test("loop: accepts already in the batch when their listener closes are closed and counted", async () => {
  const closed: string[] = [];
  const stream = (name: string): Stream => ({
    read: () => new Promise(() => {}),
    write: (b) => Promise.resolve(b.length),
    close: () => closed.push(name),
  });
  // Settles as it is awaited, so three queued connects make one batch of three accepts.
  const settled = (s: Stream) =>
    ({ then: (ok: (s: Stream) => void) => ok(s) }) as unknown as Promise<Stream>;
  const loop = new Loop<string>();
  let n = 0;
  const listener = loop.listen({
    accept: () => n < 3 ? settled(stream(`conn ${++n}`)) : new Promise(() => {}),
    close: () => closed.push("listener"),
  }, "listener");
  const seen: string[] = [];
  let served: Stream | null = null;
  for (const ev of await loop.select(LIMIT_MS)) {
    seen.push(`${ev.type} ${ev.key.data}`);
    served = ev.stream;
    // A stop while the first is handled: nobody will serve the other two.
    if (seen.length === 1) loop.unregister(listener);
  }
  assert.deepEqual(seen, ["accept listener"]);
  served!.close(); // the handler's to close
  assert.deepEqual(closed.sort(), ["conn 1", "conn 2", "conn 3", "listener"]);
  assert.equal(loop.abandonedAccepts, 2);
});

Deno.test("loop: a stream that names its read size gets a buffer of that size from its first read", async () => {
  const sizes: number[] = [];
  const message: Stream & { readSize: number } = {
    readSize: 65_536,
    read: (buf) => {
      sizes.push(buf.length);
      return Promise.resolve(sizes.length < 3 ? 10 : null);
    },
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
  const plain: Stream = { ...message, readSize: undefined } as unknown as Stream;
  const loop = new Loop<string>({ pool: new BufferPool({ minSize: 64, maxSize: 1 << 20 }) });
  loop.register(message, Interest.READ, "message");
  while (loop.size > 0) {
    for (const ev of await loop.select()) if (ev.type === "eof") loop.unregister(ev.key);
  }
  assert.deepEqual(sizes, [65_536, 65_536, 65_536], "small reads never shrink it");
  sizes.length = 0;
  loop.register(plain, Interest.READ, "plain");
  while (loop.size > 0) {
    for (const ev of await loop.select()) if (ev.type === "eof") loop.unregister(ev.key);
  }
  assert.deepEqual(sizes, [64, 64, 64], "a plain stream starts at the pool's smallest");
});

Deno.test("loop: a wait past what a timer holds (2^31 ms) still waits, until woken", async () => {
  const loop = new Loop<null>();
  const started = performance.now();
  setTimeout(() => loop.wakeup(), 50);
  await loop.select(2 ** 31);
  const took = performance.now() - started;
  assert.ok(took >= 45, `select(2^31) returned after ${took.toFixed(0)} ms`);
});
