/**
 * The API's connections over fake streams: requests in any pieces,
 * pipelined, answered in order; Connection: close, a bad request, a
 * drain between requests, and answers piling up.
 */
import assert from "node:assert/strict";
import { type Event, type EventType, Interest, type Key } from "../../lib/loop.ts";
import { HttpSession } from "../../server/http_session.ts";
import { Server } from "../../server/server.ts";
import { fakeKey } from "../fake_key.ts";
import { FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";
import { captureLog, serveUntil } from "../harness.ts";

const text = new TextEncoder(), untext = new TextDecoder();
const chaos = (seed: number) => ({ rand: random(seed), maxRead: 7, maxWrite: 5 });

/** A session answering each request with its method and path, as JSON. */
const echoPath = () =>
  new HttpSession((r) => ({
    status: 200,
    body: JSON.stringify(`${r.method} ${r.path} ${r.body}`),
  }));

async function serve(peers: ScriptedPeer[], session = echoPath) {
  const { log } = captureLog();
  const server = new Server(new FakeAcceptor([...peers], random(1)), { log, newSession: session });
  await serveUntil(server, () => peers.every((p) => p.closed), "the answers");
  return peers.map((p) => untext.decode(p.echoed));
}

const answer = (body: string, close = false) =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
  (close ? "Connection: close\r\n" : "") + `\r\n${body}`;

Deno.test("api session: pipelined requests in pieces are answered in order; the last closes", async () => {
  const requests = "GET /a HTTP/1.1\r\n\r\n" +
    "POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi" +
    "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n";
  for (const seed of [1, 2, 3]) {
    const [got] = await serve([
      new ScriptedPeer(text.encode(requests), chaos(seed), { eof: false }),
    ]);
    assert.equal(
      got,
      answer('"GET /a "') + answer('"POST /b hi"') + answer('"GET /c "', true),
    );
  }
});

Deno.test("api session: what cannot be a request gets its status and closes; a FIN after a request still gets the answer", async () => {
  const bad = new ScriptedPeer(text.encode("NONSENSE\r\n\r\nGET / HTTP/1.1\r\n\r\n"), chaos(4), {
    eof: false,
  });
  const half = new ScriptedPeer(text.encode("GET /x HTTP/1.1\r\n\r\n"), chaos(5));
  const [refused, answered] = await serve([bad, half]);
  const body = '{"error":"bad request line: \\"NONSENSE\\"","status":400}';
  assert.equal(
    refused,
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
  assert.equal(answered, answer('"GET /x "'));
});

Deno.test("api session: a drain closes an idle connection at once, and a busy one after its answer", () => {
  const idle = echoPath();
  assert.equal(idle.drain(), false, "not started: no key yet, nothing to tell");
  const key = { owed: 0 } as unknown as Parameters<HttpSession["start"]>[0];
  idle.start(key);
  assert.equal(idle.drain(), true);
  const busy = echoPath();
  busy.start({ owed: 10 } as unknown as Parameters<HttpSession["start"]>[0]);
  assert.equal(busy.drain(), false, "an answer is still going out");
});

/** One event of `key`, as the loop hands it out. */
function event(type: EventType, key: Key<unknown>, n = 0, error: unknown = null): Event<unknown> {
  return { type, key, n, size: n, stream: null, error };
}

/** A session on a fake key: `read(text)` hands it a read; `written()` takes what it owes out. */
function byHand(answer = echoPath) {
  const session = answer(), key = fakeKey();
  session.start(key);
  const read = (text: string) => {
    const bytes = text === "" ? new Uint8Array(0) : new TextEncoder().encode(text);
    key.input = bytes;
    return session.handle(event("read", key, bytes.length));
  };
  const written = () => {
    const n = key.owed;
    key.output.consume(n);
    return session.handle(event("write", key, n));
  };
  return { session, key, read, written };
}

Deno.test("api session: by hand, each state says its name and what it wants of the loop", () => {
  const { session, key, read, written } = byHand();
  assert.equal(session.stateName, "serving");
  assert.equal(session.interest(key), Interest.READ);
  assert.equal(read("GET /a HTTP/1.1\r\n\r\n"), false);
  assert.equal(session.interest(key), Interest.READ_WRITE, "an answer is owed");
  assert.equal(written(), false);
  assert.equal(session.interest(key), Interest.READ);
  assert.equal(read("GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"), false);
  assert.equal(session.stateName, "closing");
  assert.equal(session.interest(key), Interest.WRITE);
  assert.equal(read("GET /c HTTP/1.1\r\n\r\n"), false, "a read in flight after the last answer");
  assert.equal(key.owed, answer('"GET /b "', true).length, "is dropped, unanswered");
  assert.equal(written(), true, "the last answer out: finished");
  assert.equal(session.stateName, "closed");
  assert.equal(session.interest(key), Interest.NONE);
  assert.equal(session.failure, null);
});

Deno.test("api session: answers piling past 64 KiB pause the reading until they are out", () => {
  const big = () =>
    new HttpSession(() => ({ status: 200, body: JSON.stringify("x".repeat(40_000)) }));
  const { session, key, read, written } = byHand(big);
  read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(session.stateName, "serving", "40 KB owed");
  read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(session.stateName, "paused", "80 KB owed");
  assert.equal(session.interest(key), Interest.WRITE);
  key.output.consume(1000);
  session.handle(event("write", key, 1000));
  assert.equal(session.stateName, "paused", "not until all is out");
  written();
  assert.equal(session.stateName, "serving");
});

Deno.test("api session: a FIN with answers owed writes them first; a broken connection says why", () => {
  const owing = byHand();
  owing.read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(owing.session.handle(event("eof", owing.key)), false);
  assert.equal(owing.session.stateName, "closing");
  assert.equal(owing.written(), true);
  const idle = byHand();
  assert.equal(idle.session.handle(event("eof", idle.key)), true, "nothing owed: done at once");
  const broken = byHand();
  const reset = new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)");
  assert.equal(broken.session.handle(event("error", broken.key, 0, reset)), true);
  assert.equal(broken.session.stateName, "failed");
  assert.equal(broken.session.failure, "connection reset by peer");
});

Deno.test("api session: a drain mid-request lets its answer go out, closing after it", () => {
  const { session, key, read } = byHand();
  read("GET /a HTTP/1.1\r\n");
  assert.equal(session.drain(), false, "half a request read");
  read("\r\n");
  assert.equal(new TextDecoder().decode(key.output.takeAll()), answer('"GET /a "', true));
  assert.equal(session.stateName, "closing");
  const owing = byHand();
  owing.read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(owing.session.drain(), false, "an answer owed");
  assert.equal(owing.written(), false);
  assert.equal(owing.session.drain(), true, "now idle");
});

Deno.test("api session: exactly 64 KiB of answers owed still reads; a byte more pauses", () => {
  const sized = (total: number) => () => {
    // The head of a 200 with a 5-digit length is 74 bytes.
    const body = JSON.stringify("x".repeat(total - 74 - 2));
    return new HttpSession(() => ({ status: 200, body }));
  };
  const at = byHand(sized(65536));
  at.read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(at.key.owed, 65536);
  assert.equal(at.session.stateName, "serving");
  const over = byHand(sized(65537));
  over.read("GET / HTTP/1.1\r\n\r\n");
  assert.equal(over.key.owed, 65537);
  assert.equal(over.session.stateName, "paused");
});
