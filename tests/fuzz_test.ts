/**
 * Fuzzing the server state machines: random peers (short reads, partial
 * writes, resets, EOF or not, peers that never read) against the echo and app
 * sessions on one loop, checking what must hold whatever happens: no byte lost
 * or duplicated, replies in order, no exception out of the server, and memory
 * bounded by the marks.
 *
 * `deno test` runs a short variant; `deno task fuzz` a long one (FUZZ_RUNS).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { BufferPool } from "../lib/buffer_pool.ts";
import { frameBytes, FrameDecoder } from "../lib/frame.ts";
import { Log } from "../lib/log.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "../server/app.ts";
import { EchoSession } from "../server/echo.ts";
import { Server } from "../server/server.ts";
import type { Session } from "../server/session.ts";
import { concat, FakeAcceptor, random, ScriptedPeer } from "./fake_stream.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 12);
const HIGH = 4096, LOW = 1024, MAX_READ = 2048;
const quiet = new Log("quiet", "text", { out: () => {}, err: () => {} });

/** How one fuzzed peer behaves. */
interface PeerPlan {
  readonly seed: number;
  readonly maxRead: number;
  readonly maxWrite: number;
  /** Reset once the server has read this many bytes; null: never. */
  readonly resetAt: number | null;
  /** Half-close after the script; false keeps the stream open. */
  readonly eof: boolean;
  /** Never read what the server writes. */
  readonly hog: boolean;
}

const peerPlan = fc.record({
  seed: fc.nat(),
  maxRead: fc.integer({ min: 1, max: 3000 }),
  maxWrite: fc.integer({ min: 1, max: 3000 }),
  resetAt: fc.option(fc.nat({ max: 8000 }), { freq: 4 }),
  eof: fc.boolean(),
  hog: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
});

/** Serves `peers` until each is closed or stuck by design, then stops the server. */
async function serve(peers: ScriptedPeer[], newSession: () => Session): Promise<Server> {
  const server = new Server(new FakeAcceptor([...peers], random(1)), {
    log: quiet,
    pool: new BufferPool({ minSize: 16, maxSize: MAX_READ }),
    newSession,
  });
  const running = server.run();
  // Quiet means: no peer has had a byte taken or written for a while, long
  // enough (about 200 ms) that a pause of the whole process (a garbage
  // collection, a busy machine) is not mistaken for it.
  let last = "", still = 0;
  const deadline = performance.now() + 20_000;
  while (still < 20 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    const now = peers.map((p) => `${p.taken}/${p.received.length}/${p.closed}`).join();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  server.stop();
  server.stop();
  await running; // must not throw, whatever the peers did
  assert.ok(still >= 20, "the peers never went quiet within 20 s");
  return server;
}

Deno.test("fuzz: echo keeps every byte, in order, under random short reads, partial writes, resets and EOFs", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(peerPlan, fc.integer({ min: 0, max: 8000 })), {
        minLength: 1,
        maxLength: 6,
      }),
      async (plans) => {
        // A hog sends far more than the mark, so only backpressure can keep the server below it.
        const sizeOf = ([p, size]: [PeerPlan, number]) => p.hog ? HIGH * 8 + size : size;
        const peers = plans.map((plan, i) =>
          new ScriptedPeer(
            new Uint8Array(sizeOf(plan)).map((_, j) => (j * 13 + i * 7 + (j >> 8)) & 0xff),
            { rand: random(plan[0].seed), maxRead: plan[0].maxRead, maxWrite: plan[0].maxWrite },
            {
              eof: plan[0].eof,
              holdWrites: plan[0].hog,
              resetAfter: plan[0].resetAt ?? undefined,
            },
          )
        );
        await serve(peers, () => new EchoSession({ highWater: HIGH, lowWater: LOW }));
        peers.forEach((peer, i) => {
          const [plan] = plans[i], echoed = peer.echoed;
          // Never a byte that was not sent, never out of order.
          assert.deepEqual(echoed, peer.script.subarray(0, echoed.length), `peer ${i}: prefix`);
          if (plan.hog) {
            // What the server holds for a peer that never reads stays under the mark.
            assert.ok(peer.taken <= HIGH + MAX_READ, `peer ${i}: buffered ${peer.taken}`);
          } else if (plan.resetAt === null || plan.resetAt > peer.script.length) {
            // (At exactly its length the peer resets on the read after its last byte,
            // racing the echo of that byte, as a real peer's reset would.)
            assert.equal(echoed.length, peer.script.length, `peer ${i}: everything came back`);
          }
        });
      },
    ),
    { numRuns: RUNS, endOnFailure: true },
  );
});

const REQUESTS: [string, string][] = [
  ["text/json", '{"action":"search","value":"ring"}'],
  ["text/json", '{"action":"search","value":"🐶"}'],
  ["text/json", '{"action":"nope"}'],
  ["binary/x", "hello world 123"],
  ["binary/x", ""],
];

function wire(parts: [string, string][]): Uint8Array {
  return concat(
    parts.map(([type, content]) =>
      frameBytes(type, type === "text/json" ? "utf-8" : "binary", new TextEncoder().encode(content))
    ),
  );
}

/** The [content-type, content] of each reply a peer received. */
function replies(bytes: Uint8Array): [string, string][] {
  const d = new FrameDecoder(1 << 20), out: [string, string][] = [];
  for (let at = 0; at < bytes.length;) {
    at = d.feed(bytes, at, bytes.length);
    if (d.error) throw new Error(`a reply did not decode: ${d.error.reason}`);
    if (d.message) {
      out.push([d.message.header["content-type"], new TextDecoder().decode(d.message.content)]);
    }
  }
  return out;
}

/** The reply PROTOCOL.md prescribes for each of REQUESTS, written out. */
const EXPECTED: [string, string][] = [
  ["text/json", '{"result":"In the caves beneath the Misty Mountains. 💍"}'],
  ["text/json", '{"result":"🐾 Playing ball! 🏐"}'],
  ["text/json", '{"result":"Error: invalid action \\"nope\\"."}'],
  ["binary/custom-server-binary-type", "First 10 bytes of request: hello worl"],
  ["binary/custom-server-binary-type", "First 10 bytes of request: "],
];

Deno.test("fuzz: the app server answers every whole request in order, then at most one error, under random faults", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          plan: peerPlan,
          requests: fc.array(fc.nat({ max: REQUESTS.length - 1 }), { maxLength: 12 }),
          garbage: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { freq: 2 }),
        }),
        { minLength: 1, maxLength: 5 },
      ),
      async (specs) => {
        // A hog pipelines its requests over and over, far past the mark, before any garbage.
        const peerSpecs = specs.map((s) =>
          s.plan.hog && s.requests.length > 0
            ? { ...s, requests: Array.from({ length: 200 }, () => s.requests).flat() }
            : s
        );
        const peers = peerSpecs.map(({ plan, requests, garbage }) =>
          new ScriptedPeer(
            concat([wire(requests.map((i) => REQUESTS[i])), garbage ?? new Uint8Array(0)]),
            { rand: random(plan.seed), maxRead: plan.maxRead, maxWrite: plan.maxWrite },
            { eof: plan.eof, holdWrites: plan.hog, resetAfter: plan.resetAt ?? undefined },
          )
        );
        const limits = {
          ...DEFAULT_APP_LIMITS,
          maxContent: 1 << 16,
          highWater: HIGH,
          lowWater: LOW,
        };
        await serve(peers, () => new AppSession(limits, null));
        peers.forEach((peer, i) => {
          const got = replies(peer.echoed);
          const want = peerSpecs[i].requests.map((r) => EXPECTED[r]);
          const answers = got.filter(([type, content]) =>
            !(type === "text/json" && content.startsWith('{"error"'))
          );
          assert.deepEqual(answers, want.slice(0, answers.length), `peer ${i}: answers in order`);
          assert.ok(got.length - answers.length <= 1, `peer ${i}: at most one error reply`);
          if (got.length > answers.length) {
            assert.equal(
              answers.length,
              want.length,
              `peer ${i}: the error comes after every whole request`,
            );
          }
          if (peerSpecs[i].plan.hog) {
            // Replies are at least 0.5x their requests: the mark in replies, plus a read in flight.
            assert.ok(
              peer.taken <= 2 * HIGH + MAX_READ,
              `peer ${i}: read ${peer.taken} of ${peer.script.length} bytes from a hog`,
            );
          }
        });
      },
    ),
    { numRuns: RUNS, endOnFailure: true },
  );
});
