/**
 * The client connection's state machine, driven by the client loop over fake
 * servers: the window of messages in flight, the end of a run, timeouts, and
 * how each failure is told.
 */
import assert from "node:assert/strict";
import { runClients, type RunResult } from "../../client/connect.ts";
import { EchoClient } from "../../client/echo.ts";
import { Meter } from "../../client/meter.ts";
import { Pace } from "../../client/pace.ts";
import { PatternPayload, type Payload, TextPayload } from "../../client/payload.ts";
import type { Stream } from "../../lib/loop.ts";
import { random, ServerPeer } from "../fake_stream.ts";
import { within } from "../sockdemo_process.ts";

function run(
  payload: (i: number) => Payload,
  dial: () => Promise<Stream>,
  options: { conns?: number; depth?: number; timeout?: number; stopAt?: number } = {},
): Promise<RunResult & { clients: EchoClient[] }> {
  const meter = new Meter(0);
  const clients: EchoClient[] = [];
  return runClients({
    address: "127.0.0.1:9",
    conns: options.conns ?? 1,
    meter,
    dial,
    timeout: options.timeout,
    stopAt: options.stopAt,
    first: (i) => {
      const c = new EchoClient(i, payload(i), options.depth ?? 1, meter, null, null);
      clients.push(c);
      return c;
    },
  }).then((r) => ({ ...r, clients }));
}

/** An echo server that notes the most bytes it was ever sent ahead of its answers. */
function windowWatcher() {
  let ahead = 0, most = 0;
  const peer = new ServerPeer({ rand: random(1), maxRead: 1000, maxWrite: 1000 }, {
    respond: (w) => {
      ahead += w.length;
      most = Math.max(most, ahead);
      return w;
    },
  });
  const read = peer.read.bind(peer);
  // Answers come late, so the client has time to fill its window.
  peer.read = async (buf) => {
    await new Promise((r) => setTimeout(r, 5));
    const n = await read(buf);
    if (n !== null) ahead -= n;
    return n;
  };
  return { peer, most: () => most };
}

Deno.test("client session: never more than --depth messages unanswered, and the whole window used", async () => {
  for (const depth of [1, 3]) {
    const watch = windowWatcher();
    const started = performance.now();
    const result = await run(
      () => new PatternPayload(20, 100, 0),
      () => Promise.resolve(watch.peer),
      { depth },
    );
    assert.equal(result.failure, null);
    assert.equal(result.report.messages, 20);
    assert.ok(watch.most() <= depth * 100, `depth ${depth}: ${watch.most()} bytes ahead`);
    assert.ok(watch.most() > (depth - 1) * 100, `depth ${depth}: the window was used`);
    // Each reply is timed from its own message, so never longer than the whole run.
    const runUs = (performance.now() - started) * 1000;
    assert.ok(result.report.latency_us.max <= runUs, `latency ${result.report.latency_us.max} us`);
  }
});

Deno.test("client session: a server that never answers fails with 'no reply'; one that never accepts with a handshake timeout", async () => {
  const mute: Stream = {
    read: () => new Promise(() => {}),
    write: (b) => Promise.resolve(b.length),
    close() {},
  };
  const silent = await run(() => new TextPayload(["x"]), () => Promise.resolve(mute), {
    timeout: 0.05,
  });
  assert.equal(silent.failure, "127.0.0.1:9: connection 1: no reply for 0.05 s");
  assert.equal(silent.clients[0].state.name, "failed");
  const never = await run(() => new TextPayload(["x"]), () => new Promise(() => {}), {
    conns: 2,
    timeout: 0.05,
  });
  assert.equal(
    never.failure,
    "cannot connect to 127.0.0.1:9: timed out after 0.05 s (2 of 2 connections failed)",
  );
  assert.equal(never.connected, 0);
});

Deno.test("client session: a connection that owes nothing is not timed out while others work", async () => {
  const rand = random(2);
  // One connection sends a single message; the other streams for longer than the timeout.
  const result = await run(
    (i) => i === 0 ? new TextPayload(["x"]) : new PatternPayload(40, 10, 1),
    () => {
      const peer = new ServerPeer({ rand, maxRead: 10, maxWrite: 10 });
      const read = peer.read.bind(peer);
      peer.read = (buf) => new Promise((r) => setTimeout(r, 5)).then(() => read(buf));
      return Promise.resolve(peer);
    },
    { conns: 2, timeout: 0.1 },
  );
  assert.equal(result.failure, null);
  assert.equal(result.report.messages, 41);
});

Deno.test("client session: a server that closes before the reply, or resets, is told apart from a refused connect", async () => {
  const rand = random(3);
  const closes = await run(
    () => new PatternPayload(2, 10, 0),
    () => Promise.resolve(new ServerPeer({ rand, maxRead: 10, maxWrite: 10 }, { closeAfter: 10 })),
  );
  assert.equal(
    closes.failure,
    "127.0.0.1:9: connection 1: server closed the connection after echoing 10 of the 20 bytes sent",
  );
  const reset: Stream = {
    read: () => Promise.reject(new Deno.errors.ConnectionReset("reset")),
    write: (b) => Promise.resolve(b.length),
    close() {},
  };
  const resets = await run(() => new TextPayload(["x"]), () => Promise.resolve(reset));
  assert.equal(resets.failure, "127.0.0.1:9: connection 1: connection reset by peer");
  assert.equal(resets.clients[0].failure?.during, "exchanging");
  const refused = await run(
    () => new TextPayload(["x"]),
    () => Promise.reject(new Deno.errors.ConnectionRefused("refused")),
  );
  assert.equal(refused.clients[0].failure?.during, "connecting");
});

Deno.test("client session: a run stopped before the handshake completes ends done, having sent nothing", async () => {
  let connect: (s: Stream) => void = () => {};
  const peer = new ServerPeer({ rand: random(4), maxRead: 10, maxWrite: 10 });
  const result = await run(
    () => new PatternPayload(Infinity, 10, 0),
    () => {
      setTimeout(() => connect(peer), 30);
      return new Promise((r) => connect = r);
    },
    { stopAt: performance.now() + 5 },
  );
  assert.equal(result.failure, null);
  assert.equal(result.clients[0].state.name, "done");
  assert.equal(result.clients[0].sent, 0);
  assert.equal(result.report.messages, 0);
  assert.equal(result.connected, 1, "the handshake under way was let finish");
});

Deno.test("client session: a connection with no messages to send is done once connected", async () => {
  const result = await run(
    () => new TextPayload([]),
    () => Promise.resolve(new ServerPeer({ rand: random(9), maxRead: 10, maxWrite: 10 })),
  );
  assert.equal(result.failure, null);
  assert.equal(result.clients[0].state.name, "done");
  assert.equal(result.connected, 1);
});

Deno.test("client session: paced messages are timed from when they were due, not when they went", async () => {
  const meter = new Meter(0);
  const start = performance.now();
  // One message due at once, sent only once connected 40 ms later and answered 30 ms after
  // that: its latency counts all 70 ms.
  const peer = new ServerPeer({ rand: random(5), maxRead: 10, maxWrite: 10 });
  const read = peer.read.bind(peer);
  peer.read = (buf) => new Promise((r) => setTimeout(r, 30)).then(() => read(buf));
  const pace = new Pace(start, 1, 10);
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 1,
    meter,
    pace,
    stopAt: start + 50,
    dial: () => new Promise((r) => setTimeout(() => r(peer), 40)),
    first: (i) => new EchoClient(i, new PatternPayload(Infinity, 10, 0), 4, meter, pace, null),
  });
  assert.equal(result.failure, null);
  assert.equal(meter.messages, 1, "one message was due within 50 ms at 10/s");
  assert.ok(meter.latency.max >= 69_000, `latency ${meter.latency.max} us`);
});

Deno.test("client session: a paced connection waiting for its next message is not timed out", async () => {
  const meter = new Meter(0);
  const start = performance.now();
  // 5 messages/s: 200 ms between them, against a 50 ms timeout for replies.
  const pace = new Pace(start, 1, 5);
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 1,
    meter,
    pace,
    timeout: 0.05,
    stopAt: start + 500,
    dial: () => Promise.resolve(new ServerPeer({ rand: random(6), maxRead: 10, maxWrite: 10 })),
    first: (i) => new EchoClient(i, new PatternPayload(Infinity, 10, 0), 4, meter, pace, null),
  });
  assert.equal(result.failure, null);
  assert.equal(meter.messages, 3, "due at 0, 200 and 400 ms");
});

Deno.test("client session: after the stop, a reply still due that never comes times out", async () => {
  let answered = 0;
  // Echoes 30 bytes (three messages), then goes mute.
  const mute = (w: Uint8Array) => {
    const n = Math.max(0, Math.min(w.length, 30 - answered));
    answered += n;
    return w.subarray(0, n);
  };
  const result = await within(
    run(
      () => new PatternPayload(Infinity, 10, 0),
      () =>
        Promise.resolve(
          new ServerPeer({ rand: random(7), maxRead: 10, maxWrite: 10 }, { respond: mute }),
        ),
      { timeout: 0.1, stopAt: performance.now() + 20 },
    ),
    5000,
    "the run to end",
  );
  assert.equal(result.failure, "127.0.0.1:9: connection 1: no reply for 0.1 s");
  assert.equal(result.report.messages, 3);
});

Deno.test("client session: its states by name, from the handshake to done", async () => {
  const states: string[] = [];
  const meter = new Meter(0);
  let client: EchoClient | null = null;
  const peer = new ServerPeer({ rand: random(8), maxRead: 10, maxWrite: 10 });
  const read = peer.read.bind(peer);
  peer.read = (buf) => {
    states.push(client!.state.name);
    return read(buf);
  };
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 1,
    meter,
    stopAt: performance.now() + 30,
    dial: () => {
      states.push(client!.state.name);
      return new Promise((r) => setTimeout(() => r(peer), 5));
    },
    first: (i) => {
      client = new EchoClient(i, new PatternPayload(Infinity, 10, 0), 1, meter, null, null);
      return client;
    },
  });
  assert.equal(result.failure, null);
  assert.equal(states[0], "connecting");
  assert.ok(states.includes("exchanging"));
  assert.equal(client!.state.name, "done");
  // At the stop a reply is always due (each reply sends the next message): finishing.
  assert.equal(states.at(-1), "finishing");
});

Deno.test("client loop: a client may go on with a next connection after a clean finish, never after a failure or the stop", async () => {
  const meter = new Meter(0);
  let dials = 0;
  const made: EchoClient[] = [];
  const client = (index: number) => {
    const c = new EchoClient(index, new TextPayload(["ab"]), 1, meter, null, null);
    made.push(c);
    return c;
  };
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 2,
    meter,
    dial: () => {
      dials++;
      return Promise.resolve(new ServerPeer({ rand: random(11), maxRead: 10, maxWrite: 10 }));
    },
    first: client,
    // Each client makes three connections in turn.
    next: (done) =>
      made.filter((c) => c.index === done.index).length < 3 ? client(done.index) : null,
  });
  assert.equal(result.failure, null);
  assert.equal(dials, 6);
  assert.equal(result.connected, 6);
  assert.equal(result.report.messages, 6);
  let tries = 0;
  const failing = await runClients({
    address: "127.0.0.1:9",
    conns: 1,
    meter: new Meter(0),
    dial: () => {
      tries++;
      return Promise.reject(new Deno.errors.ConnectionRefused("refused"));
    },
    first: (i) => new EchoClient(i, new TextPayload(["ab"]), 1, meter, null, null),
    next: (done) => new EchoClient(done.index, new TextPayload(["ab"]), 1, meter, null, null),
  });
  assert.equal(tries, 1, "no next connection after a failure");
  assert.equal(failing.report.errors, 1);
  const started = performance.now();
  let opened = 0;
  const stopped = await runClients({
    address: "127.0.0.1:9",
    conns: 1,
    meter: new Meter(0),
    stopAt: started + 30,
    dial: () => {
      opened++;
      return Promise.resolve(new ServerPeer({ rand: random(12), maxRead: 10, maxWrite: 10 }));
    },
    first: (i) => new EchoClient(i, new PatternPayload(Infinity, 10, 0), 1, meter, null, null),
    next: (done) => new EchoClient(done.index, new TextPayload(["ab"]), 1, meter, null, null),
  });
  assert.equal(stopped.failure, null);
  assert.equal(opened, 1, "no next connection once the run is stopped");
  // The measured window ends at the stop, though the last reply came after it.
  assert.ok(stopped.report.seconds <= 0.03, `${stopped.report.seconds} s`);
  assert.ok(stopped.report.seconds > 0.02, `${stopped.report.seconds} s`);
});
