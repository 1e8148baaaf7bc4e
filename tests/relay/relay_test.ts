/**
 * The relay in-process, over fake streams: bytes both ways through short
 * reads and partial writes, each FIN passed on by itself, backpressure, a
 * refused target, resets, and the faults that change what passes.
 */
import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { Log } from "../../lib/log.ts";
import type { Event, Key, Stream } from "../../lib/loop.ts";
import { RelaySession } from "../../relay/relay.ts";
import { addressName } from "../../lib/address.ts";
import { faultTrace, type RelayConfig, relaySessions } from "../../relay/relay_sessions.ts";
import { type Faults, NO_FAULTS } from "../../relay/relay_flow.ts";
import { Server } from "../../server/server.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer, ServerPeer } from "../fake_stream.ts";
import { fakeKey } from "../fake_key.ts";
import { captureLog, expectSoon, serveUntil } from "../harness.ts";
import { silentPort } from "../silent_port.ts";

const chaos = (seed: number, max = 700) => ({ rand: random(seed), maxRead: max, maxWrite: max });

/** A relay server for `client`, dialing `target`, with the faults given; `aborted` lists the legs it reset. */
function relay(
  client: Stream,
  target: () => Promise<Stream>,
  faults: { up?: Partial<Faults>; down?: Partial<Faults> } = {},
  logAs: Parameters<typeof captureLog> = [],
) {
  const { log, out, err } = captureLog(...logAs);
  const aborted: Stream[] = [];
  const server = new Server(new FakeAcceptor([client], random(9)), {
    log,
    pool: new BufferPool({ minSize: 64, maxSize: 4096 }),
    newSession: () =>
      new RelaySession({
        dial: target,
        target: "127.0.0.1:9",
        up: { ...NO_FAULTS, ...faults.up },
        down: { ...NO_FAULTS, ...faults.down },
        random: random(1),
        trace: logAs[0] === "verbose" ? (line) => log.debug("fault", `#1 ${line}`) : null,
        abort: (stream) => {
          aborted.push(stream);
          return true;
        },
      }),
  });
  return { server, out, err, aborted };
}

Deno.test("relay: bytes pass both ways intact through short reads and partial writes; each FIN is passed on", async () => {
  const client = new ScriptedPeer(bytes(50_000), chaos(1));
  const target = new ServerPeer(chaos(2));
  const { server, out } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relayed echo to finish");
  assert.deepEqual(client.echoed, bytes(50_000));
  assert.equal(target.written, 50_000);
  assert.equal(target.finished, true, "the client's FIN reached the target");
  assert.equal(client.finished, true, "the target's FIN reached the client");
  assert.equal(target.closed, true);
  assert.deepEqual(out, [
    "#1 accepted from peer (1 open)",
    "#1 closed peer: 50000 bytes in, 50000 out; target 127.0.0.1:9: 50000 bytes out, 50000 in (0 open)",
  ]);
});

Deno.test("relay: a client's FIN does not end the way back: the target's late bytes still arrive", async () => {
  // The target answers each byte with two, so it still has bytes to send after the client's FIN.
  const client = new ScriptedPeer(bytes(3000), chaos(3));
  const target = new ServerPeer(chaos(4), {
    respond: (w) => [...w, ...w] as unknown as Uint8Array,
  });
  const { server } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relay to finish");
  assert.equal(client.echoed.length, 6000);
  assert.equal(client.finished, true);
});

Deno.test("relay: a target that does not read stops reads from the client (backpressure)", async () => {
  const client = new ScriptedPeer(bytes(8 << 20), chaos(5, 4096), { eof: false });
  const target = new ScriptedPeer(new Uint8Array(0), chaos(6), { eof: false, holdWrites: true });
  const { server } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(() => client.taken >= 1 << 20, "the first MiB to be read");
    const before = client.taken;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.taken, before, "reads stopped");
    // 1 MiB owed, plus at most one read in flight when the mark was passed.
    assert.ok(client.taken <= (1 << 20) + 4096, `read ${client.taken} bytes`);
  });
});

Deno.test("relay: a target that refuses closes the client, with a line naming the target and the cause", async () => {
  const client = new ScriptedPeer(bytes(100), chaos(7), { eof: false });
  const { server, out, err } = relay(
    client,
    () => Promise.reject(new Deno.errors.ConnectionRefused("Connection refused (os error 111)")),
  );
  await serveUntil(server, () => client.closed, "the client to be closed");
  assert.equal(client.taken, 0, "nothing was read from the client");
  assert.deepEqual(out, ["#1 accepted from peer (1 open)"]);
  assert.deepEqual(err, [
    "sockdemo: #1 peer: cannot connect to 127.0.0.1:9: connection refused; closed after 0 bytes in, 0 out",
  ]);
});

Deno.test("relay: a client that resets has the target reset too", async () => {
  const client = new ScriptedPeer(bytes(5000), chaos(8), { eof: false, resetAfter: 2000 });
  const target = new ServerPeer(chaos(9));
  const { server, err, aborted } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relay to end");
  assert.deepEqual(aborted, [target]);
  assert.equal(err.length, 1);
  assert.match(
    err[0],
    /^sockdemo: #1 peer: client: connection reset by peer; closed after \d+ bytes in/,
  );
});

Deno.test("relay: a leg that fails otherwise (no TLS close_notify) has the other closed, not reset", async () => {
  const client = new ScriptedPeer(bytes(100), chaos(18), { eof: false });
  const target = new ScriptedPeer(bytes(10), chaos(19), { eof: false });
  const read = target.read.bind(target);
  const noCloseNotify = "peer closed connection without sending TLS close_notify";
  target.read = (buf) =>
    target.taken < 10 ? read(buf) : Promise.reject(new Deno.errors.UnexpectedEof(noCloseNotify));
  const { server, err, aborted } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relay to end");
  assert.deepEqual(aborted, []);
  assert.match(
    err[0],
    /^sockdemo: #1 peer: target 127\.0\.0\.1:9: closed without a TLS close_notify; closed after/,
  );
  assert.equal(target.closed, true);
});

Deno.test("relay: a target that resets has the client reset too", async () => {
  const client = new ScriptedPeer(bytes(5000), chaos(10), { eof: false });
  const target = new ScriptedPeer(bytes(10), chaos(11), { eof: false, resetAfter: 10 });
  const { server, err, aborted } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relay to end");
  assert.deepEqual(aborted, [client]);
  assert.match(
    err[0],
    /^sockdemo: #1 peer: target 127\.0\.0\.1:9: connection reset by peer; closed after/,
  );
});

Deno.test("relay: --reset-after delivers exactly that many bytes, then resets both legs", async () => {
  // The client takes a few bytes per write: the reset waits for all 3,000 to reach it.
  const client = new ScriptedPeer(bytes(20_000), { rand: random(12), maxRead: 700, maxWrite: 7 }, {
    eof: false,
  });
  const target = new ServerPeer(chaos(13));
  const { server, out, aborted } = relay(client, () => Promise.resolve(target), {
    down: { resetAfter: 3000 },
  });
  await serveUntil(server, () => client.closed, "the reset");
  assert.deepEqual(client.echoed, bytes(3000));
  assert.deepEqual(aborted, [client, target]);
  assert.match(out[1], /; faults: reset-after \(down\) \(0 open\)$/);
});

Deno.test("relay: --stall-after passes that many bytes, then drops the rest and keeps both legs open", async () => {
  const client = new ScriptedPeer(bytes(20_000), chaos(14));
  const target = new ServerPeer(chaos(15));
  const { server, out } = relay(client, () => Promise.resolve(target), {
    up: { stallAfter: 1000 },
  }, ["verbose"]);
  await serveUntil(server, () => true, "", async () => {
    await expectSoon(() => client.taken === 20_000, "the client's bytes to be read");
    await expectSoon(() => client.echoed.length === 1000, "the echo of what passed");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(target.written, 1000);
    assert.equal(target.finished, false, "the client's FIN was kept back");
    assert.equal(client.closed, false, "still open");
  });
  assert.deepEqual(out.filter((l) => l.includes("fired")), [
    "#1 up: --stall-after fired at 1000 bytes",
  ]);
  assert.match(
    out.at(-1)!,
    / 1000 out, the server stopped; target .*: 1000 bytes out, 1000 in; faults: stall-after \(up\) \(0 open\)$/,
  );
});

Deno.test("relay: with delay and jitter every byte still arrives, in order, and the line says which faults fired", async () => {
  const client = new ScriptedPeer(bytes(20_000), chaos(16, 300));
  const target = new ServerPeer(chaos(17, 300));
  const { server, out } = relay(client, () => Promise.resolve(target), {
    up: { delay: 2, jitter: 2 },
    down: { bandwidth: 2_000_000 },
  });
  await serveUntil(server, () => client.closed, "the delayed echo");
  assert.deepEqual(client.echoed, bytes(20_000));
  assert.match(out[1], /; faults: delay \(up\), bandwidth \(down\) \(0 open\)$/);
});

const SPEC: RelayConfig = {
  command: "relay",
  address: { transport: "tcp", host: "127.0.0.1", port: 0 },
  tls: null,
  maxConns: Infinity,
  maxBuffer: 0,
  idleTimeout: 0,
  drainTimeout: 10,
  verbosity: "quiet",
  logFormat: "text",
  workers: 1,
  metrics: null,
  to: { transport: "tcp", host: "127.0.0.1", port: 9 },
  toTls: null,
  connectTimeout: 10,
  up: NO_FAULTS,
  down: NO_FAULTS,
  refuse: 0.5,
  seed: 7,
};

Deno.test("relay: --refuse turns away the same connections for the same seed, about that share of them", () => {
  const turnedAway = (spec: RelayConfig) => {
    const admit = relaySessions(spec, new Log("quiet")).admit!;
    return Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => admit(n) !== null);
  };
  const first = turnedAway(SPEC);
  assert.deepEqual(turnedAway(SPEC), first, "the same seed, the same connections");
  assert.notDeepEqual(turnedAway({ ...SPEC, seed: 8 }), first, "another seed, others");
  assert.ok(first.length >= 80 && first.length <= 120, `${first.length} of 200 turned away`);
  assert.equal(turnedAway({ ...SPEC, refuse: 1 }).length, 200);
  assert.equal(relaySessions({ ...SPEC, refuse: 0 }, new Log("quiet")).admit, undefined);
  assert.equal(relaySessions(SPEC, new Log("quiet")).admit!(first[0]), "--refuse 0.5");
});

Deno.test("relay: --verbose names each leg's events, the states and the faults as they fire", async () => {
  const client = new ScriptedPeer(bytes(5000), chaos(20), { eof: false });
  const target = new ServerPeer(chaos(21));
  const { server, out } = relay(client, () => Promise.resolve(target), {
    up: { resetAfter: 3000 },
  }, ["verbose"]);
  await serveUntil(server, () => client.closed, "the reset");
  // These lines, in this order, among the reads and writes.
  const expected = [
    /^#1 accepted from peer \(1 open\)$/,
    /^#1 target connected$/,
    /^#1 state dialing -> relaying \(0 bytes owed\)$/,
    /^#1 client interest none -> read\+write$/,
    /^#1 target interest none -> read\+write$/,
    /^#1 client read \d+ bytes$/,
    /^#1 target wrote \d+ bytes \(\d+ still owed\)$/,
    /^#1 up: --reset-after fired at 3000 bytes$/,
    /^#1 state relaying -> resetting \(\d+ bytes owed\)$/,
    /^#1 client interest read\+write -> write$/,
    /^#1 closed peer: \d+ bytes in, \d+ out; target 127\.0\.0\.1:9: 3000 bytes out, \d+ in; faults: reset-after \(up\) \(0 open\)$/,
  ];
  assert.equal(out.filter((l) => l.includes("fired")).length, 1, "one fault, one line");
  let at = 0;
  for (const pattern of expected) {
    const found = out.findIndex((line, i) => i >= at && pattern.test(line));
    assert.ok(found >= 0, `no line ${pattern} after line ${at} of:\n${out.join("\n")}`);
    at = found + 1;
  }
});

Deno.test("relay: nothing is read from the client until the target answers", async () => {
  const client = new ScriptedPeer(bytes(1000), chaos(22));
  const target = new ServerPeer(chaos(23));
  const connected = Promise.withResolvers<Stream>();
  const { server } = relay(client, () => connected.promise);
  await serveUntil(server, () => client.closed, "the echo", async () => {
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(client.taken, 0, "not read while dialing");
    connected.resolve(target);
  });
  assert.deepEqual(client.echoed, bytes(1000));
});

Deno.test("relay: --reset-after up waits until the target has every allowed byte", async () => {
  const client = new ScriptedPeer(bytes(20_000), chaos(24, 4096), { eof: false });
  const target = new ServerPeer({ rand: random(25), maxRead: 700, maxWrite: 7 }); // slow to take writes
  const { server, aborted } = relay(client, () => Promise.resolve(target), {
    up: { resetAfter: 3000 },
  });
  await serveUntil(server, () => client.closed, "the reset");
  assert.equal(target.written, 3000);
  assert.deepEqual(aborted, [client, target]);
});

Deno.test("relay: a target that ends first still gets every byte the client sends, then the FIN", async () => {
  const client = new ScriptedPeer(bytes(50_000), chaos(26));
  // Ends its own side at once (FIN), takes writes a few bytes at a time.
  const target = new ScriptedPeer(new Uint8Array(0), {
    rand: random(27),
    maxRead: 10,
    maxWrite: 50,
  });
  const { server } = relay(client, () => Promise.resolve(target));
  await serveUntil(server, () => client.closed, "the relay to finish");
  assert.deepEqual(target.echoed, bytes(50_000));
  assert.equal(target.finished, true);
  assert.equal(client.finished, true);
});

Deno.test("relay: held bytes come due at the earlier of the two directions' times", () => {
  const client = fakeKey(bytes(5)), target = fakeKey(bytes(5));
  const session = new RelaySession({
    dial: () => Promise.resolve(null as unknown as Stream),
    target: "t",
    up: { ...NO_FAULTS, delay: 100 },
    down: { ...NO_FAULTS, delay: 1000 },
    random: random(1),
    trace: null,
  });
  session.start(client, () => target);
  assert.equal(session.wakeAt(), Infinity);
  const event = (type: "connect" | "read", k: Key<unknown>) =>
    ({ type, key: k, n: 5, size: 5, stream: null, error: null }) as Event<unknown>;
  const before = performance.now();
  session.handle(event("connect", target));
  session.handle(event("read", target)); // down: due in 1000 ms
  session.handle(event("read", client)); // up: due in 100 ms
  const due = session.wakeAt() - before;
  assert.ok(due >= 100 && due < 1000, `due in ${due} ms`);
  assert.equal(session.held(), 2 * 4096, "a chunk held back each way");
  client.output.push(bytes(5));
  assert.equal(session.held(), 3 * 4096, "and what the client is owed");
  target.output.push(bytes(5));
  assert.equal(session.held(), 4 * 4096, "and the target");
});

Deno.test("relay: with --log-format json the closing line carries the target and the faults", async () => {
  const client = new ScriptedPeer(bytes(2000), chaos(28));
  const target = new ServerPeer(chaos(29));
  const { server, out } = relay(client, () => Promise.resolve(target), {
    up: { delay: 1 },
    down: { delay: 1, bandwidth: 10_000_000 },
  }, ["normal", "json"]);
  await serveUntil(server, () => client.closed, "the relay to finish");
  const closed = JSON.parse(out[1]);
  assert.equal(closed.event, "closed");
  assert.equal(closed.target, "127.0.0.1:9");
  assert.equal(closed.target_bytes_out, 2000);
  assert.equal(closed.target_bytes_in, 2000);
  assert.equal(closed.faults, "delay (up, down), bandwidth (down)");
});

Deno.test("relay: targets are named as the command line writes them", () => {
  assert.equal(addressName({ transport: "tcp", host: "127.0.0.1", port: 7 }), "127.0.0.1:7");
  assert.equal(addressName({ transport: "tcp", host: "::1", port: 7 }), "[::1]:7");
  assert.equal(addressName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});

Deno.test("relay sessions: each dials the target within --connect-timeout, TLS as configured", async () => {
  const silent = await silentPort();
  try {
    const spec: RelayConfig = {
      ...SPEC,
      to: { transport: "tcp", host: "127.0.0.1", port: silent.port },
      connectTimeout: 0.3,
    };
    const session = relaySessions(spec, new Log("quiet")).newSession(1);
    let dialing: Promise<Stream> | null = null;
    const started = performance.now();
    session.start!(fakeKey() as Key<unknown>, (d) => {
      dialing = d;
      return fakeKey() as Key<unknown>;
    });
    await assert.rejects(dialing!, { name: "TimedOut", message: "timed out after 0.3 s" });
    const ms = performance.now() - started;
    assert.ok(ms >= 290 && ms < 2000, `gave up after ${ms} ms`);
  } finally {
    await silent.close();
  }
});

Deno.test("relay sessions: with --verbose a fault that fires is a line naming its connection", () => {
  const { log, out } = captureLog("verbose", "json");
  faultTrace(log, 7)!("up: --reset-after fired at 10 bytes");
  const { time: _, ...line } = JSON.parse(out[0]);
  assert.deepEqual(line, {
    level: "debug",
    event: "fault",
    conn: 7,
    fault: "up: --reset-after fired at 10 bytes",
  });
  assert.equal(faultTrace(new Log("normal"), 7), null);
  const text = captureLog("verbose");
  faultTrace(text.log, 7)!("down: --stall-after fired at 3 bytes");
  assert.deepEqual(text.out, ["#7 down: --stall-after fired at 3 bytes"]);
});
