/**
 * One direction of the relay, driven by hand with explicit times: what its
 * faults hold, drop and let out, and when it passes the FIN on.
 */
import assert from "node:assert/strict";
import { ByteQueue } from "../../lib/byte_queue.ts";
import type { Key } from "../../lib/loop.ts";
import { faultToxics } from "../../relay/fault_toxics.ts";
import { type Faults, NO_FAULTS, RelayFlow } from "../../relay/relay_flow.ts";
import { ToxicLink } from "../../relay/toxic_link.ts";
import { bytes } from "../fake_stream.ts";
import { drain } from "../harness.ts";

/** A key as a flow sees it: a read buffer to forward from, an output, and whether it was ended. */
class FakeKey {
  readonly output = new ByteQueue();
  input: Uint8Array = new Uint8Array(0);
  ended = false;
  forwardInput(n: number, to: ByteQueue = this.output): void {
    to.push(this.input, 0, n);
  }
  endOutput(): void {
    this.ended = true;
  }
}

const asKey = (k: FakeKey) => k as unknown as Key<unknown>;

function flow(faults: Partial<Faults>, draws: number[] = []) {
  const link = new ToxicLink("upstream", () => draws.shift()!);
  link.update(faultToxics({ ...NO_FAULTS, ...faults }, NO_FAULTS), 0);
  const f = new RelayFlow("up", link);
  const source = new FakeKey(), dest = new FakeKey();
  const read = (data: Uint8Array, now = 0) => {
    source.input = data;
    f.onRead(asKey(source), asKey(dest), data.length, now);
  };
  return { f, source, dest, read, d: asKey(dest) };
}

Deno.test("relay flow: without faults a read goes straight to the destination", () => {
  const { f, dest, read } = flow({});
  read(bytes(100));
  assert.deepEqual(drain(dest.output), bytes(100));
  assert.equal(f.passed, 100);
  assert.equal(f.held, 0);
  assert.equal(f.nextAt, Infinity);
  assert.deepEqual(f.fired, []);
});

Deno.test("relay flow: --delay holds each read for its time exactly", () => {
  const { f, dest, read, d } = flow({ delay: 50 });
  read(bytes(10, 1), 1000);
  read(bytes(10, 2), 1020);
  assert.equal(f.held, 20);
  assert.equal(f.nextAt, 1050);
  f.release(1049, d);
  assert.equal(dest.output.length, 0);
  f.release(1050, d);
  assert.deepEqual(drain(dest.output), bytes(10, 1));
  assert.equal(f.nextAt, 1070);
  f.release(1070, d);
  assert.deepEqual(drain(dest.output), bytes(10, 2));
  assert.deepEqual(f.fired, ["delay"]);
});

Deno.test("relay flow: --jitter adds up to that much more or less, from the draws", () => {
  const { f, d, read } = flow({ delay: 50, jitter: 10 }, [1, 0, 0.5, 0.75]);
  read(bytes(1), 0); // 50 + 10
  assert.equal(f.nextAt, 60);
  f.release(60, d);
  read(bytes(1), 100); // 50 - 10
  assert.equal(f.nextAt, 140);
  f.release(140, d);
  read(bytes(1), 200); // 50
  assert.equal(f.nextAt, 250);
  f.release(250, d);
  read(bytes(1), 300); // 50 + 5
  assert.equal(f.nextAt, 355);
});

Deno.test("relay flow: jitter alone never schedules before the read, and counts as a delay", () => {
  const { f, read } = flow({ jitter: 10 }, [0]);
  read(bytes(1), 500); // 0 - 10, held to 0
  assert.equal(f.nextAt, Infinity, "let out at once");
  assert.deepEqual(f.fired, ["delay"]);
});

Deno.test("relay flow: --bandwidth paces what passes and is named as fired", () => {
  const { f, dest, read, d } = flow({ bandwidth: 1000 }); // 10-byte quanta, 10 ms apart
  read(bytes(30), 0);
  assert.equal(dest.output.length, 10, "the first quantum at once");
  assert.equal(f.nextAt, 10);
  f.release(10, d);
  assert.equal(dest.output.length, 20);
  assert.deepEqual(f.fired, ["bandwidth"]);
});

Deno.test("relay flow: --reset-after passes exactly that many bytes, then drops and is cut", () => {
  const { f, dest, read } = flow({ resetAfter: 100 });
  read(bytes(60));
  read(bytes(60, 1)); // crosses the limit: 40 pass
  assert.equal(f.state, "cut");
  assert.equal(f.passed, 100);
  assert.equal(f.dropped, 20);
  read(bytes(5)); // in flight when it was cut
  assert.equal(f.dropped, 25);
  assert.equal(drain(dest.output).length, 100);
  assert.deepEqual(f.fired, ["reset-after"]);
  assert.equal(f.wantsRead(asKey(dest)), false);
});

Deno.test("relay flow: a read that reaches the limit exactly fires it; a reset wins a tie with a stall", () => {
  const exact = flow({ resetAfter: 100, stallAfter: 100 });
  exact.read(bytes(100));
  assert.equal(exact.f.state, "cut");
  assert.equal(exact.f.dropped, 0);
  const stall = flow({ resetAfter: 101, stallAfter: 100 });
  stall.read(bytes(100));
  assert.equal(stall.f.state, "stalled");
  assert.deepEqual(stall.f.fired, ["stall-after"]);
  const under = flow({ resetAfter: 101 });
  under.read(bytes(100));
  assert.equal(under.f.state, "open");
});

Deno.test("relay flow: a stalled direction keeps reading and dropping, and swallows the FIN", () => {
  const { f, dest, read, d } = flow({ stallAfter: 10 });
  read(bytes(30));
  assert.equal(f.state, "stalled");
  assert.equal(f.wantsRead(d), true, "reads go on, however much is owed");
  read(bytes(1000));
  assert.equal(f.dropped, 1020);
  assert.equal(dest.output.length, 10);
  assert.equal(f.over, false);
  f.onEof(d);
  assert.equal(f.state, "swallowed");
  assert.equal(f.over, true);
  assert.equal(dest.ended, false, "no FIN passed on");
  assert.equal(f.wantsRead(d), false);
});

Deno.test("relay flow: a FIN passes on once what is held is out, not before", () => {
  const { f, dest, read, d } = flow({ delay: 10 });
  read(bytes(5), 0);
  f.onEof(d);
  assert.equal(f.state, "ended");
  assert.equal(f.over, false);
  assert.equal(dest.ended, false);
  assert.equal(f.wantsRead(d), false);
  f.release(10, d);
  assert.equal(f.state, "finished");
  assert.equal(f.over, true);
  assert.equal(dest.ended, true);
  const plain = flow({});
  plain.f.release(0, plain.d); // no line: nothing to let out, and no harm
  plain.f.onEof(plain.d);
  assert.equal(plain.dest.ended, true, "nothing held: at once");
});

Deno.test("relay flow: reads stop at 1 MiB owed, what a rate holds counting; a latency's bytes are in flight", () => {
  const paced = flow({ bandwidth: 1000 });
  paced.read(new Uint8Array(600_000), 0);
  assert.equal(paced.f.wantsRead(paced.d), true);
  paced.dest.output.push(new Uint8Array(500_000));
  assert.equal(paced.f.wantsRead(paced.d), false, "600,000 held for the rate + 500,000 queued");
  paced.f.clear();
  assert.equal(paced.f.held, 0);
  assert.equal(paced.f.wantsRead(paced.d), true);
  assert.equal(paced.f.delivered(paced.d), false, "500,000 still queued");
  drain(paced.dest.output);
  assert.equal(paced.f.delivered(paced.d), true);
  // A latency does not cap throughput: its bytes are on the wire, up to 64 MiB of them.
  const slow = flow({ delay: 100 });
  slow.read(new Uint8Array(30 << 20), 0);
  assert.equal(slow.f.wantsRead(slow.d), true, "30 MiB in flight");
  slow.read(new Uint8Array(34 << 20), 1);
  assert.equal(slow.f.wantsRead(slow.d), false, "64 MiB in flight");
  slow.f.release(100, slow.d);
  assert.equal(slow.f.wantsRead(slow.d), false, "30 MiB out, but over 1 MiB owed");
  drain(slow.dest.output);
  assert.equal(slow.f.wantsRead(slow.d), true);
});

Deno.test("relay flow: bytes held when --reset-after fires are delivered before the reset", () => {
  const { f, dest, read, d } = flow({ delay: 10, resetAfter: 100 });
  read(bytes(150), 0);
  assert.equal(f.state, "cut");
  assert.equal(f.delivered(d), false, "100 bytes held");
  f.release(10, d);
  assert.equal(f.delivered(d), false, "100 bytes queued, not yet written");
  assert.deepEqual(drain(dest.output), bytes(100));
  assert.equal(f.delivered(d), true);
});

Deno.test("relay flow: the memory it holds back counts whole chunks; none without a line", () => {
  const timed = flow({ delay: 10 });
  timed.read(bytes(100), 0);
  assert.equal(timed.f.heldCapacity, 4096, "one chunk of the queue's smallest");
  timed.f.release(10, timed.d);
  assert.equal(timed.f.heldCapacity, 0);
  const plain = flow({});
  plain.read(bytes(100), 0);
  assert.equal(plain.f.heldCapacity, 0);
});

Deno.test("relay flow: only a delay, a jitter or a bandwidth makes a direction timed", () => {
  assert.equal(flow({}).f.timed, false);
  assert.equal(flow({ resetAfter: 10, stallAfter: 20 }).f.timed, false);
  assert.equal(flow({ delay: 1 }).f.timed, true);
  assert.equal(flow({ jitter: 1 }).f.timed, true);
  assert.equal(flow({ bandwidth: 1000 }).f.timed, true);
});

Deno.test("relay flow: slices due together still leave one at a time, each once the last is written", () => {
  const link = new ToxicLink("upstream", () => 0.5);
  const slicer = { average_size: 10, size_variation: 0, delay: 0 };
  link.update(
    [{ name: "s", type: "slicer", stream: "upstream", toxicity: 1, attributes: slicer }],
    0,
  );
  const f = new RelayFlow("up", link);
  const source = new FakeKey(), dest = new FakeKey();
  source.input = bytes(30);
  f.onRead(asKey(source), asKey(dest), 30, 0);
  assert.equal(dest.output.length, 7, "the first slice alone (30 cut in halves: 7, 8, 7, 8)");
  f.release(0, asKey(dest));
  assert.equal(dest.output.length, 7, "the next waits for the write");
  assert.equal(f.nextAt, Infinity, "and nothing is due meanwhile: no spin");
  dest.output.consume(7);
  f.release(0, asKey(dest));
  assert.equal(dest.output.length, 8);
  assert.deepEqual(f.fired, ["slicer"]);
});
