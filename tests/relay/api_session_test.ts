/**
 * The API's connections over fake streams: requests in any pieces,
 * pipelined, answered in order; Connection: close, a bad request, a
 * drain between requests, and answers piling up.
 */
import assert from "node:assert/strict";
import { ApiSession } from "../../relay/api_session.ts";
import { Server } from "../../server/server.ts";
import { FakeAcceptor, random, ScriptedPeer } from "../fake_stream.ts";
import { captureLog, serveUntil } from "../harness.ts";

const text = new TextEncoder(), untext = new TextDecoder();
const chaos = (seed: number) => ({ rand: random(seed), maxRead: 7, maxWrite: 5 });

/** A session answering each request with its method and path, as JSON. */
const echoPath = () =>
  new ApiSession((r) => ({ status: 200, body: JSON.stringify(`${r.method} ${r.path} ${r.body}`) }));

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
  const key = { owed: 0 } as unknown as Parameters<ApiSession["start"]>[0];
  idle.start(key);
  assert.equal(idle.drain(), true);
  const busy = echoPath();
  busy.start({ owed: 10 } as unknown as Parameters<ApiSession["start"]>[0]);
  assert.equal(busy.drain(), false, "an answer is still going out");
});
