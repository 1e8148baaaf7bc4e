import assert from "node:assert/strict";
import { runClients, type RunResult } from "../../client/connect.ts";
import { ConversationPrinter } from "../../client/conversation.ts";
import { EchoClient } from "../../client/echo.ts";
import { Intervals } from "../../client/intervals.ts";
import { PatternPayload, type Payload, TextPayload } from "../../client/payload.ts";
import { Meter } from "../../client/meter.ts";
import { Pace } from "../../client/pace.ts";
import type { Stream } from "../../lib/loop.ts";
import { random, ServerPeer } from "../fake_stream.ts";

/** Runs echo clients over fake streams from `dial`, as `sockdemo connect` does over TCP. */
function runEchoClients(options: {
  conns: number;
  depth: number;
  payloadFor: (index: number) => Payload;
  dial: () => Promise<Stream>;
  conversation?: ConversationPrinter;
}): Promise<RunResult> {
  const meter = new Meter(0);
  const printer = options.conversation ?? null;
  return runClients({
    address: "127.0.0.1:9",
    conns: options.conns,
    meter,
    dial: options.dial,
    first: (i) => new EchoClient(i, options.payloadFor(i), options.depth, meter, null, printer),
    onOpen: (client) => printer?.opened(client),
    onClose: (client) => printer?.closed(client),
  });
}

Deno.test("echo client: 20 connections over short reads and partial writes verify every message", async () => {
  for (const [seed, depth] of [[1, 1], [2, 3], [3, 8]]) {
    const rand = random(seed);
    const result = await runEchoClients({
      conns: 20,
      depth,
      payloadFor: (i) => new PatternPayload(10, 300 + i, i),
      dial: () => Promise.resolve(new ServerPeer({ rand, maxRead: 71, maxWrite: 43 })),
    });
    assert.equal(result.failure, null, `seed ${seed}`);
    const bytes = Array.from({ length: 20 }, (_, i) => 10 * (300 + i)).reduce((a, b) => a + b);
    assert.equal(result.report.messages, 200);
    assert.equal(result.report.bytes_sent, bytes);
    assert.equal(result.report.bytes_received, bytes);
    assert.equal(result.report.errors, 0);
    assert.ok(result.report.latency_us.max >= result.report.latency_us.p50);
  }
});

Deno.test("echo client: a corrupted byte is reported with its offset, exit-worthy", async () => {
  const rand = random(4);
  let n = 0;
  const result = await runEchoClients({
    conns: 3,
    depth: 2,
    payloadFor: (i) => new PatternPayload(5, 1000, i),
    dial: () =>
      Promise.resolve(
        new ServerPeer(
          { rand, maxRead: 300, maxWrite: 300 },
          n++ === 1 ? { corruptAt: 2345 } : {},
        ),
      ),
  });
  assert.equal(result.failure, "127.0.0.1:9: connection 2: echo mismatch at byte 2345");
  assert.equal(result.report.errors, 1);
  assert.equal(
    result.report.messages,
    10 + 2,
    "the two good connections and 2 messages before the bad byte",
  );
});

Deno.test("echo client: a server that closes early is a failure naming how far it got", async () => {
  const rand = random(5);
  const result = await runEchoClients({
    conns: 1,
    depth: 1,
    payloadFor: () => new PatternPayload(10, 500, 0),
    dial: () =>
      Promise.resolve(new ServerPeer({ rand, maxRead: 80, maxWrite: 80 }, { closeAfter: 700 })),
  });
  assert.equal(
    result.failure,
    "127.0.0.1:9: connection 1: server closed the connection after echoing 700 of the 1000 bytes sent",
  );
});

Deno.test("echo client: refused connections give one line with a hint and a count", async () => {
  const result = await runEchoClients({
    conns: 2,
    depth: 1,
    payloadFor: () => new TextPayload(["x"]),
    dial: () =>
      Promise.reject(new Deno.errors.ConnectionRefused("Connection refused (os error 111)")),
  });
  assert.equal(result.connected, 0);
  assert.equal(
    result.failure,
    'cannot connect to 127.0.0.1:9: connection refused (is "sockdemo serve" running?) (2 of 2 connections failed)',
  );
});

Deno.test("echo client: the guide's conversation is printed message by message", async () => {
  const rand = random(6);
  const payload = new TextPayload(["Message 1 from client.", "Message 2 from client."]);
  const lines: string[] = [];
  const result = await runEchoClients({
    conns: 1,
    depth: 1,
    payloadFor: () => payload,
    conversation: new ConversationPrinter(payload, "127.0.0.1:9", (l) => lines.push(l)),
    dial: () => Promise.resolve(new ServerPeer({ rand, maxRead: 1000, maxWrite: 1000 })),
  });
  assert.equal(result.failure, null);
  assert.equal(lines[0], "conn 1: connected to 127.0.0.1:9");
  assert.equal(lines[1], 'conn 1: sent "Message 1 from client."');
  const received = lines.filter((l) => l.startsWith("conn 1: received ")).map((l) =>
    JSON.parse(l.slice(17))
  );
  assert.equal(received.join(""), "Message 1 from client.Message 2 from client.");
  assert.equal(lines.at(-1), "conn 1: all 44 bytes came back verified; closing");
});

Deno.test("echo client: with a deadline it stops sending, and every message sent comes back verified", async () => {
  const rand = random(7);
  const meter = new Meter(0);
  const clients: EchoClient[] = [];
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 4,
    meter,
    stopAt: performance.now() + 150,
    dial: () => Promise.resolve(new ServerPeer({ rand, maxRead: 200, maxWrite: 200 })),
    first: (i) => {
      const c = new EchoClient(i, new PatternPayload(Infinity, 100, i), 3, meter, null, null);
      clients.push(c);
      return c;
    },
  });
  assert.equal(result.failure, null);
  assert.ok(meter.messages > 0);
  assert.equal(meter.messages, clients.reduce((n, c) => n + c.sent, 0), "nothing left unanswered");
  assert.ok(clients.every((c) => c.state.name === "done"));
});

Deno.test("echo client: paced, it never sends ahead of the timetable", async () => {
  const rand = random(8);
  const meter = new Meter(0);
  const start = performance.now();
  const [conns, rate, seconds] = [4, 40, 0.3];
  const result = await runClients({
    address: "127.0.0.1:9",
    conns,
    meter,
    pace: new Pace(start, conns, rate),
    stopAt: start + seconds * 1000,
    dial: () => Promise.resolve(new ServerPeer({ rand, maxRead: 200, maxWrite: 200 })),
    first: (i) =>
      new EchoClient(
        i,
        new PatternPayload(Infinity, 50, i),
        64,
        meter,
        new Pace(start, conns, rate),
        null,
      ),
  });
  assert.equal(result.failure, null);
  assert.ok(meter.messages >= 1);
  // Message i of a connection is due at i / rate s: within the run, at most rate x seconds + 1 each.
  assert.ok(meter.messages <= conns * (rate * seconds + 1), `${meter.messages} messages`);
});

Deno.test("echo client: one byte more than was sent fails the run, for generated and text messages", async () => {
  const payloads: Payload[] = [new PatternPayload(3, 100, 0), new TextPayload(["abc", "de"])];
  for (const payload of payloads) {
    let written = 0;
    const result = await runEchoClients({
      conns: 1,
      depth: 3,
      payloadFor: () => payload,
      dial: () =>
        Promise.resolve(
          new ServerPeer({ rand: random(9), maxRead: 50, maxWrite: 50 }, {
            // Echo, and after the last byte one more.
            respond: (w) => {
              written += w.length;
              if (written < payload.totalBytes) return w;
              const more = new Uint8Array(w.length + 1);
              more.set(w);
              more[w.length] = 0x41;
              return more;
            },
          }),
        ),
    });
    assert.equal(
      result.failure,
      "127.0.0.1:9: connection 1: got 1 byte more than were sent",
      `${payload.count} messages`,
    );
  }
});

Deno.test("echo client: a wrong first byte of a read is caught; bytes echoed before they were sent fail the run", async () => {
  const first = await runEchoClients({
    conns: 1,
    depth: 1,
    payloadFor: () => new PatternPayload(2, 100, 0),
    dial: () =>
      Promise.resolve(
        new ServerPeer({ rand: random(10), maxRead: 100, maxWrite: 100 }, { corruptAt: 0 }),
      ),
  });
  assert.equal(first.failure, "127.0.0.1:9: connection 1: echo mismatch at byte 0");
  // This server answers the first message with both: the second before it was sent.
  const payload = new TextPayload(["abc", "de"]);
  let answered = false;
  const ahead = await runEchoClients({
    conns: 1,
    depth: 1,
    payloadFor: () => payload,
    dial: () =>
      Promise.resolve(
        new ServerPeer({ rand: () => 0.99, maxRead: 10, maxWrite: 10 }, {
          respond: (w) => {
            if (answered) return w;
            answered = true;
            return new TextEncoder().encode("abcde");
          },
        }),
      ),
  });
  assert.equal(ahead.failure, "127.0.0.1:9: connection 1: got 2 bytes more than were sent");
});

Deno.test("echo client: at most 256 connects are in flight at once; every connection still runs", async () => {
  const rand = random(5);
  let inFlight = 0, most = 0, dials = 0;
  const result = await runEchoClients({
    conns: 1000,
    depth: 1,
    payloadFor: (i) => new PatternPayload(1, 10, i),
    dial: () => {
      inFlight++;
      most = Math.max(most, inFlight);
      // Every third connect is refused: a failed connect frees its slot too, or
      // the 333 failures would use up all 256 slots and the run would hang.
      const refuse = ++dials % 3 === 0;
      return new Promise<Stream>((resolve, reject) =>
        setTimeout(() => {
          inFlight--;
          if (refuse) {
            reject(new Deno.errors.ConnectionRefused("Connection refused (os error 111)"));
          } else resolve(new ServerPeer({ rand, maxRead: 10, maxWrite: 10 }));
        }, 1)
      );
    },
  });
  assert.equal(most, 256);
  assert.equal(result.report.messages, 667);
  assert.equal(result.report.errors, 333);
});

Deno.test("echo client: a stop while connects still wait for a slot ends the run; they are never dialed", async () => {
  const rand = random(6);
  let dials = 0;
  const meter = new Meter(0);
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 600,
    meter,
    stopAt: performance.now() + 20,
    dial: () => {
      dials++;
      return new Promise<Stream>((resolve) =>
        setTimeout(() => resolve(new ServerPeer({ rand, maxRead: 64, maxWrite: 64 })), 50)
      );
    },
    first: (i) => new EchoClient(i, new PatternPayload(1000, 10, i), 1, meter, null, null),
  });
  assert.equal(dials, 256, "only the first slots' worth were dialed");
  assert.equal(result.connected, 256);
});

Deno.test("echo client: each connection's first reply is timed from its dial, warm-up included", async () => {
  // Everything falls inside the warm-up: no message is measured, every first reply is.
  const meter = new Meter(performance.now() + 60_000);
  let dials = 0;
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 5,
    meter,
    // The third connection's server answers its connect 60 ms late.
    dial: () => {
      const peer = new ServerPeer({ rand: random(5), maxRead: 7, maxWrite: 5 });
      if (++dials !== 3) return Promise.resolve(peer);
      return new Promise((resolve) => setTimeout(() => resolve(peer), 60));
    },
    first: (i) => new EchoClient(i, new PatternPayload(3, 10, i), 1, meter, null, null),
  });
  assert.equal(result.failure, null);
  assert.equal(result.report.messages, 0);
  const first = result.report.first_reply_us!;
  assert.equal(first.count, 5, "one first reply per connection, not one per reply");
  assert.ok(first.max >= 60_000, `slowest first reply ${first.max} us`);
  assert.ok(first.max < 2_000_000, `slowest first reply ${first.max} us`);
  assert.ok(first.p50 < 60_000, `median first reply ${first.p50} us`);
});

Deno.test("echo client: an interrupt ends the run at once; what was measured is reported, marked, with no error", async () => {
  const interrupt = new AbortController();
  const meter = new Meter(0);
  const peers: ServerPeer[] = [];
  const running = runClients({
    address: "127.0.0.1:9",
    conns: 4,
    meter,
    interrupt: interrupt.signal,
    // Endless: only the interrupt can end this run.
    first: (i) => new EchoClient(i, new PatternPayload(Infinity, 100, i), 1, meter, null, null),
    dial: () => {
      const peer = new ServerPeer({ rand: random(9), maxRead: 100, maxWrite: 100 });
      peers.push(peer);
      return Promise.resolve(peer);
    },
  });
  await new Promise((r) => setTimeout(r, 200));
  const sent = performance.now();
  interrupt.abort();
  const result = await running;
  const ms = performance.now() - sent;
  assert.ok(ms < 1000, `it ended ${ms} ms after the interrupt`);
  assert.equal(result.interrupted, true);
  assert.equal(result.report.interrupted, true);
  assert.equal(result.failure, null);
  assert.equal(result.report.errors, 0);
  assert.ok(result.report.messages > 0, "what was measured stands");
  assert.ok(
    result.report.seconds >= 0.15 && result.report.seconds < 1.5,
    `${result.report.seconds} s`,
  );
  assert.ok(peers.every((p) => p.closed), "every connection was closed");
  const done = await runEchoClients({
    conns: 1,
    depth: 1,
    payloadFor: (i) => new PatternPayload(3, 10, i),
    dial: () => Promise.resolve(new ServerPeer({ rand: random(10), maxRead: 10, maxWrite: 10 })),
  });
  assert.equal(done.interrupted, false);
  assert.equal(done.report.interrupted, undefined, "a run that ran its course is not marked");
});

Deno.test("echo client: intervals of a run count its open connections, its failures, and add up to it", async () => {
  const rand = random(11);
  const meter = new Meter(0);
  meter.intervals = new Intervals(100);
  let dials = 0;
  const result = await runClients({
    address: "127.0.0.1:9",
    conns: 4,
    meter,
    stopAt: performance.now() + 350,
    // The fourth connection is refused: a failure, never open.
    dial: () =>
      ++dials === 4
        ? Promise.reject(new Deno.errors.ConnectionRefused("refused"))
        : Promise.resolve(new ServerPeer({ rand, maxRead: 200, maxWrite: 200 })),
    first: (i) => new EchoClient(i, new PatternPayload(Infinity, 100, i), 2, meter, null, null),
  });
  const intervals = result.report.intervals!;
  assert.equal(result.report.interval, 0.1);
  // 350 ms cut every 100 ms on the clock: 4 or 5 intervals.
  assert.ok(intervals.length >= 4 && intervals.length <= 5, `${intervals.length}`);
  // While it runs, the three that connected are open; at the end, none.
  assert.deepEqual(
    intervals.slice(0, -1).map((iv) => iv.open),
    intervals.slice(0, -1).map(() => 3),
  );
  assert.equal(intervals.at(-1)!.open, 0);
  assert.equal(intervals.reduce((n, iv) => n + iv.errors, 0), 1);
  assert.equal(intervals[0].errors, 1, "refused at once");
  assert.equal(intervals.reduce((n, iv) => n + iv.messages, 0), result.report.messages);
  assert.equal(intervals.reduce((n, iv) => n + iv.bytes_sent, 0), result.report.bytes_sent);
  // The first starts with the run; the last ends with it.
  assert.equal(intervals[0].start, result.report.started_at);
  assert.equal(intervals.at(-1)!.end, result.report.ended_at);
});
