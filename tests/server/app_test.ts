import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { type Event, type EventType, Interest, type Key } from "../../lib/loop.ts";
import { frameBytes, FrameDecoder } from "../../lib/frame.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "../../server/app.ts";
import { Server } from "../../server/server.ts";
import { fakeKey } from "../fake_key.ts";
import { captureLog, drain, expectSoon, serveUntil } from "../harness.ts";
import { concat, FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";

const text = new TextEncoder();
const untext = new TextDecoder();

/** A request and the reply PROTOCOL.md prescribes for it, spelled out literally. */
const EXCHANGES: [type: string, content: string, replyType: string, reply: string][] = [
  [
    "text/json",
    '{"action":"search","value":"morpheus"}',
    "text/json",
    '{"result":"Follow the white rabbit. 🐰"}',
  ],
  [
    "text/json",
    '{"action":"search","value":"ring"}',
    "text/json",
    '{"result":"In the caves beneath the Misty Mountains. 💍"}',
  ],
  [
    "text/json",
    '{"action":"search","value":"🐶"}',
    "text/json",
    '{"result":"🐾 Playing ball! 🏐"}',
  ],
  [
    "text/json",
    '{"action":"search","value":"x"}',
    "text/json",
    '{"result":"No match for \\"x\\"."}',
  ],
  [
    "text/json",
    '{"action":"find","value":"x"}',
    "text/json",
    '{"result":"Error: invalid action \\"find\\"."}',
  ],
  [
    "binary/custom-client-binary-type",
    "hello world 123",
    "binary/custom-server-binary-type",
    "First 10 bytes of request: hello worl",
  ],
  [
    "binary/custom-client-binary-type",
    "hi",
    "binary/custom-server-binary-type",
    "First 10 bytes of request: hi",
  ],
];

function wire(parts: [string, string][]): Uint8Array {
  return concat(
    parts.map(([type, content]) =>
      frameBytes(type, type === "text/json" ? "utf-8" : "binary", text.encode(content))
    ),
  );
}

/** Decodes everything a peer received into [content-type, content] pairs. */
function replies(bytes: Uint8Array): [string, string][] {
  const d = new FrameDecoder(1 << 20);
  const out: [string, string][] = [];
  let at = 0;
  while (at < bytes.length) {
    at = d.feed(bytes, at, bytes.length);
    if (d.error) throw new Error(d.error.reason);
    if (d.message) out.push([d.message.header["content-type"], untext.decode(d.message.content)]);
  }
  return out;
}

function newServer(
  peers: ScriptedPeer[],
  rand: () => number,
  maxContent = 1 << 20,
  discardLimit = DEFAULT_APP_LIMITS.discardLimit,
) {
  const { log, err } = captureLog();
  const limits = {
    ...DEFAULT_APP_LIMITS,
    maxContent,
    discardLimit,
    highWater: 2000,
    lowWater: 500,
  };
  const sessions: AppSession[] = [];
  const server = new Server(new FakeAcceptor([...peers], rand), {
    log,
    pool: new BufferPool({ minSize: 16, maxSize: 128 }),
    newSession: () => {
      const session = new AppSession(limits, null);
      sessions.push(session);
      return session;
    },
  });
  return { server, err, sessions };
}

Deno.test("app server: pipelined requests in random pieces are all answered, in order", async () => {
  for (const seed of [1, 2, 3]) {
    const rand = random(seed);
    const plans = Array.from(
      { length: 12 },
      () => Array.from({ length: 30 }, () => EXCHANGES[Math.floor(rand() * EXCHANGES.length)]),
    );
    const peers = plans.map((plan) =>
      new ScriptedPeer(wire(plan.map(([t, c]) => [t, c])), { rand, maxRead: 57, maxWrite: 41 })
    );
    const { server, err } = newServer(peers, rand);
    await serveUntil(server, () => peers.every((p) => p.closed));
    peers.forEach((p, i) => {
      assert.deepEqual(
        replies(p.echoed),
        plans[i].map(([, , t, c]) => [t, c]),
        `seed ${seed} peer ${i}`,
      );
    });
    assert.deepEqual(err, []);
  }
});

Deno.test("app server: malformed input after good requests: answers, then the error, then FIN", async () => {
  const rand = random(9);
  const good = wire([EXCHANGES[1].slice(0, 2) as [string, string]]);
  const bad = new Uint8Array([0, 3, 0x41, 0x42, 0x43]);
  const trailing = new Uint8Array(5000); // what the peer sends after: dropped, never parsed
  const peer = new ScriptedPeer(concat([good, good, bad, trailing]), {
    rand,
    maxRead: 30,
    maxWrite: 30,
  });
  const { server } = newServer([peer], rand);
  await serveUntil(server, () => peer.closed);
  const got = replies(peer.echoed);
  assert.equal(got.length, 3);
  assert.deepEqual(got[0], ["text/json", EXCHANGES[1][3]]);
  assert.deepEqual(got[1], got[0]);
  assert.equal(got[2][0], "text/json");
  assert.match(JSON.parse(got[2][1]).error, /^JSON header is not valid JSON/);
  assert.ok(peer.finished, "the error reply is followed by FIN, not a reset");
  assert.equal(
    peer.taken,
    peer.script.length,
    "the rest was read and dropped until the peer closed",
  );
});

Deno.test("app server: a content-length above the limit gets the error reply, and the content is dropped", async () => {
  const rand = random(10);
  const header = text.encode(JSON.stringify({
    byteorder: "big",
    "content-type": "binary/x",
    "content-encoding": "binary",
    "content-length": 10_000,
  }));
  const peer = new ScriptedPeer(
    concat([new Uint8Array([0, header.length]), header, new Uint8Array(10_000)]),
    { rand, maxRead: 2000, maxWrite: 2000 },
  );
  const { server } = newServer([peer], rand, 1000);
  await serveUntil(server, () => peer.closed);
  const got = replies(peer.echoed);
  assert.deepEqual(got, [[
    "text/json",
    '{"error":"content-length 10000 exceeds the limit of 1000 bytes"}',
  ]]);
});

Deno.test("app server: a peer that pipelines without reading is paused at the high-water mark", async () => {
  const rand = random(11);
  const many = wire(
    Array.from({ length: 3000 }, () => ["text/json", EXCHANGES[0][1]] as [string, string]),
  );
  const hog = new ScriptedPeer(many, { rand, maxRead: 100, maxWrite: 100 }, { holdWrites: true });
  const other = new ScriptedPeer(wire([["text/json", EXCHANGES[2][1]]]), {
    rand,
    maxRead: 100,
    maxWrite: 100,
  });
  const { server, sessions } = newServer([hog, other], rand);
  let taken = 0;
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(
      () => sessions[0]?.stateName === "paused" || hog.taken === many.length,
      "the hog to be paused",
    );
    await expectSoon(() => other.closed, "the other peer to be served");
    taken = hog.taken;
  });
  // 2000 bytes of replies owed pause it; one more 100-byte read may land after.
  assert.ok(taken < 2200, `read ${taken} of ${many.length} bytes from a peer that never reads`);
  assert.ok(taken > 1500, `read only ${taken} bytes: it stopped well before the mark`);
  assert.deepEqual(replies(other.echoed), [["text/json", EXCHANGES[2][3]]]);
});

Deno.test("app server: content exactly at --max-content is accepted; one byte more is refused", async () => {
  const rand = random(12);
  const at = new ScriptedPeer(wire([["binary/x", "x".repeat(1000)]]), {
    rand,
    maxRead: 300,
    maxWrite: 300,
  });
  const over = new ScriptedPeer(wire([["binary/x", "x".repeat(1001)]]), {
    rand,
    maxRead: 300,
    maxWrite: 300,
  });
  const { server } = newServer([at, over], rand, 1000);
  await serveUntil(server, () => at.closed && over.closed);
  assert.deepEqual(replies(at.echoed), [[
    "binary/custom-server-binary-type",
    "First 10 bytes of request: xxxxxxxxxx",
  ]]);
  assert.deepEqual(replies(over.echoed), [[
    "text/json",
    '{"error":"content-length 1001 exceeds the limit of 1000 bytes"}',
  ]]);
});

Deno.test("app server: after an error reply, a peer that keeps sending is cut off at the discard limit", async () => {
  const rand = random(13);
  const bad = new Uint8Array([0, 2, 0x7b, 0x7d]); // a header lacking every field
  // 20,000 bytes of garbage after it, and the peer never closes.
  const peer = new ScriptedPeer(concat([bad, new Uint8Array(20_000)]), {
    rand,
    maxRead: 100,
    maxWrite: 100,
  }, { eof: false });
  const { server } = newServer([peer], rand, 1000, 5000);
  let taken = 0;
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(() => peer.closed, "the server to close the peer");
    taken = peer.taken;
  });
  assert.deepEqual(replies(peer.echoed), [[
    "text/json",
    '{"error":"JSON header lacks \\"byteorder\\""}',
  ]]);
  assert.ok(taken > 5000 && taken <= 5000 + 100 + 4, `dropped ${taken} bytes before closing`);
});

function event(type: EventType, key: Key<unknown>, n = 0): Event<unknown> {
  return { type, key, n, size: n, stream: null, error: null };
}

/** Feeds `bytes` as one read. */
function read(session: AppSession, key: Key<unknown> & { input: Uint8Array }, bytes: Uint8Array) {
  key.input = bytes;
  return session.handle(event("read", key, bytes.length));
}

Deno.test("app session: its states and interests as a request arrives, is answered, and the peer leaves", () => {
  const trace: string[] = [];
  const session = new AppSession(DEFAULT_APP_LIMITS, (l) => trace.push(l));
  const key = fakeKey();
  const request = wire([["text/json", EXCHANGES[1][1]]]);
  assert.equal(session.stateName, "reading proto-header");
  assert.equal(session.interest(key), Interest.READ);
  read(session, key, request.subarray(0, 1));
  assert.equal(session.stateName, "reading proto-header");
  read(session, key, request.subarray(1, 10));
  assert.equal(session.stateName, "reading json-header");
  read(session, key, request.subarray(10, request.length - 1));
  assert.equal(session.stateName, "reading content");
  assert.equal(read(session, key, request.subarray(request.length - 1)), false);
  assert.equal(session.interest(key), Interest.READ_WRITE, "a reply is owed");
  const reply = key.output.length;
  key.output.consume(reply - 1);
  assert.equal(session.handle(event("write", key, reply - 1)), false);
  assert.equal(session.stateName, "reading proto-header", "a byte still owed");
  key.output.consume(1);
  assert.equal(session.handle(event("write", key, 1)), false);
  assert.equal(session.stateName, "reading proto-header", "all written: ready for the next");
  assert.equal(session.interest(key), Interest.READ);
  read(session, key, request);
  assert.equal(session.interest(key), Interest.READ_WRITE, "the next reply is owed");
  const line =
    'request text/json {"action":"search","value":"ring"} -> reply text/json {"result":"In the caves beneath the Misty Mountains. 💍"}';
  assert.deepEqual(trace, [line, line]);
  assert.equal(session.handle(event("eof", key)), false, "FIN with a reply owed: not done");
  assert.equal(session.stateName, "closing");
  assert.equal(session.interest(key), Interest.WRITE);
  key.output.consume(key.output.length);
  assert.equal(session.handle(event("write", key, 1)), true, "reply written after FIN: done");
  assert.equal(session.stateName, "closed");
  assert.equal(session.interest(key), Interest.NONE);
  assert.equal(session.failure, null);
});

Deno.test("app session: binary requests are traced by size; a bad one is traced and rejected", () => {
  const trace: string[] = [];
  const session = new AppSession(DEFAULT_APP_LIMITS, (l) => trace.push(l));
  const key = fakeKey();
  read(
    session,
    key,
    concat([wire([["binary/x", "hello world 123"]]), new Uint8Array([0, 1, 0x31])]),
  );
  assert.deepEqual(trace, [
    "request binary/x 15 bytes -> reply binary/custom-server-binary-type 37 bytes",
    "malformed request: JSON header is not an object",
  ]);
  assert.equal(session.stateName, "rejecting");
  assert.equal(session.interest(key), Interest.WRITE);
  assert.equal(session.failure, null, "a peer's malformed input is not a broken connection");
  key.output.consume(key.output.length);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "discarding");
  assert.equal(session.interest(key), Interest.READ);
  assert.equal(read(session, key, new Uint8Array(10)), false, "garbage after it is dropped");
  assert.equal(key.output.length, 0, "and never answered");
  assert.equal(session.handle(event("eof", key)), true, "the peer's FIN ends it");
});

Deno.test("app session: a refusing session answers only its refusal, drops what comes, and ends at FIN", () => {
  const session = new AppSession({ ...DEFAULT_APP_LIMITS, discardLimit: 100 }, null, "server busy");
  const key = fakeKey();
  session.start(key);
  assert.equal(session.stateName, "rejecting");
  assert.deepEqual(replies(drain(key.output)), [["text/json", '{"error":"server busy"}']]);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "discarding");
  const request = wire([["text/json", EXCHANGES[0][1]]]);
  assert.equal(read(session, key, request.subarray(0, 100)), false, "100 bytes dropped: not yet");
  assert.equal(key.output.length, 0, "a request after the refusal is not answered");
  assert.equal(read(session, key, request.subarray(100, 101)), true, "101: closed");
  const other = new AppSession(DEFAULT_APP_LIMITS, null, "server busy");
  const otherKey = fakeKey();
  other.start(otherKey);
  assert.equal(other.handle(event("eof", otherKey)), false, "FIN while the refusal is still owed");
  assert.equal(other.stateName, "closing");
  const broken = new AppSession(DEFAULT_APP_LIMITS, null);
  assert.equal(
    broken.handle({ ...event("error", key), error: new Deno.errors.BrokenPipe("x") }),
    true,
  );
  assert.equal(broken.failure, "broken pipe");
  assert.equal(broken.interest(key), Interest.NONE);
});

Deno.test("app session: the default limits: 16 MiB of content, pausing past 1 MiB owed, 64 MiB dropped after an error", () => {
  const header = (length: number) => {
    const json = text.encode(JSON.stringify({
      byteorder: "big",
      "content-type": "binary/x",
      "content-encoding": "binary",
      "content-length": length,
    }));
    return concat([new Uint8Array([0, json.length]), json]);
  };
  const at = new AppSession(DEFAULT_APP_LIMITS, null);
  read(at, fakeKey(), header(16 << 20));
  assert.equal(at.stateName, "reading content", "16 MiB is allowed");
  const session = new AppSession(DEFAULT_APP_LIMITS, null);
  const key = fakeKey();
  read(session, key, header((16 << 20) + 1));
  assert.deepEqual(replies(drain(key.output)), [[
    "text/json",
    '{"error":"content-length 16777217 exceeds the limit of 16777216 bytes"}',
  ]]);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "discarding");
  // When discarding only a read's count matters: no need for 64 MiB of memory.
  assert.equal(session.handle(event("read", key, 64 << 20)), false, "64 MiB dropped: not yet");
  assert.equal(session.handle(event("read", key, 1)), true, "one byte more: closed");
  const marks = new AppSession(DEFAULT_APP_LIMITS, null);
  const owed = fakeKey();
  owed.output.push(new Uint8Array((1 << 20) - 1));
  read(marks, owed, wire([["binary/x", ""]]));
  assert.equal(marks.stateName, "paused", "past 1 MiB owed");
  owed.output.consume(owed.output.length - (1 << 19));
  marks.handle(event("write", owed, 1));
  assert.equal(marks.stateName, "reading proto-header", "512 KiB owed");
});

Deno.test("app session: a FIN with nothing owed ends it at once", () => {
  const session = new AppSession(DEFAULT_APP_LIMITS, null);
  assert.equal(session.handle(event("eof", fakeKey())), true);
  assert.equal(session.stateName, "closed");
});

Deno.test("app session: paused past the high-water mark, a read in flight is still answered; reading resumes at the low mark", () => {
  // The mark is exactly two replies: two owed keep it reading, a third pauses it.
  const reply = frameBytes("text/json", "utf-8", text.encode(EXCHANGES[0][3])).length;
  const session = new AppSession(
    { ...DEFAULT_APP_LIMITS, highWater: 2 * reply, lowWater: 100 },
    null,
  );
  const key = fakeKey();
  const one = wire([["text/json", EXCHANGES[0][1]]]);
  read(session, key, concat([one, one]));
  assert.equal(key.output.length, 2 * reply);
  assert.equal(session.stateName, "reading proto-header", `${key.output.length} owed`);
  read(session, key, one);
  assert.equal(session.stateName, "paused");
  assert.equal(session.interest(key), Interest.WRITE);
  const owed = key.output.length;
  read(session, key, one);
  assert.ok(key.output.length > owed, "the late request was answered");
  key.output.consume(key.output.length - 101);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "paused", "101 owed");
  key.output.consume(1);
  session.handle(event("write", key, 1));
  assert.equal(session.stateName, "reading proto-header", "100 owed");
});

Deno.test("app session: overloaded mid-request: server busy and FIN; what still comes is dropped, never decoded", () => {
  const session = new AppSession(DEFAULT_APP_LIMITS, null);
  const key = fakeKey();
  const value = "x".repeat(100_000);
  const big = frameBytes(
    "text/json",
    "utf-8",
    text.encode(`{"action":"search","value":"${value}"}`),
  );
  read(session, key, big.subarray(0, 50_000));
  assert.ok(session.held(key) >= 40_000, `holds ${session.held(key)} bytes of the request`);
  assert.equal(session.overloaded(key), false, "not finished: the reply goes out first");
  assert.equal(session.stateName, "rejecting");
  assert.equal(session.held(key), key.output.capacity, "the request let go; the reply held");
  const reply = drain(key.output);
  assert.deepEqual(replies(reply), [["text/json", '{"error":"server busy"}']]);
  // The rest of the body arrives while the reply is written: dropped, and nothing more is answered.
  assert.equal(read(session, key, big.subarray(50_000)), false);
  assert.equal(key.output.length, 0);
  assert.equal(session.stateName, "rejecting");
});

Deno.test("app session: a binary request holds only the 10 bytes its reply shows; the request after it is read right", () => {
  const session = new AppSession(DEFAULT_APP_LIMITS, null);
  const key = fakeKey();
  const body = new Uint8Array(100_000).fill(0x79);
  body.set(text.encode("0123456789"));
  const wire = new Uint8Array([
    ...frameBytes("binary/x", "binary", body),
    ...frameBytes("text/json", "utf-8", text.encode('{"action":"search","value":"ring"}')),
  ]);
  for (let at = 0; at < 90_000; at += 3000) {
    read(session, key, wire.subarray(at, at + 3000));
    // One pooled chunk of 4 KiB at most, however much of the body has come.
    assert.ok(session.held(key) <= 4096, `holds ${session.held(key)} bytes at ${at + 3000} read`);
  }
  read(session, key, wire.subarray(90_000));
  assert.deepEqual(replies(drain(key.output)), [
    ["binary/custom-server-binary-type", "First 10 bytes of request: 0123456789"],
    ["text/json", '{"result":"In the caves beneath the Misty Mountains. 💍"}'],
  ]);
});

Deno.test("app session: told overloaded with no request waiting, it keeps its replies and waits", () => {
  const session = new AppSession(DEFAULT_APP_LIMITS, null);
  const key = fakeKey();
  const search = frameBytes(
    "text/json",
    "utf-8",
    text.encode('{"action":"search","value":"ring"}'),
  );
  // Between requests: the reply is owed, nothing of a next request has come.
  read(session, key, search);
  assert.equal(session.overloaded(key), false);
  assert.equal(session.stateName, "reading proto-header");
  // The peer sent FIN with the reply still owed (it reads slowly): closing, never "busy".
  assert.equal(session.handle(event("eof", key)), false);
  assert.equal(session.stateName, "closing");
  assert.equal(session.overloaded(key), false);
  assert.equal(session.stateName, "closing");
  assert.equal(session.interest(key), Interest.WRITE, "still writing what it owes");
  assert.deepEqual(replies(drain(key.output)), [
    ["text/json", '{"result":"In the caves beneath the Misty Mountains. 💍"}'],
  ]);
  assert.equal(session.handle(event("write", key, 1)), true, "all written after the FIN: done");
});
