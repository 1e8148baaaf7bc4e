/**
 * `relay --udp` in process, between client sockets of the test and an echo
 * in this process: each client's replies find it through a socket of its
 * own; a silent client's socket closes after the idle timeout; faults are
 * applied per direction and counted; the command's lines and its stop.
 */
import assert from "node:assert/strict";
import { captureLog } from "../harness.ts";
import { udpEcho } from "../udp_echo_peer.ts";
import { NO_UDP_FAULTS, type UdpFaultPlan } from "../../relay/udp_faults.ts";
import { UdpRelay, type UdpRelayPlan } from "../../relay/udp_relay.ts";
import { udpRelayCommand } from "../../relay/udp_relay_command.ts";
import type { UdpRelayConfig } from "../../relay/udp_relay_options.ts";

const text = new TextEncoder(), words = new TextDecoder();

/** A client socket of the test, sending to `port`. */
class Client {
  readonly socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  constructor(readonly port: number) {}
  get name(): string {
    return `127.0.0.1:${(this.socket.addr as Deno.NetAddr).port}`;
  }
  send(word: string): Promise<number> {
    return this.socket.send(text.encode(word), {
      transport: "udp",
      hostname: "127.0.0.1",
      port: this.port,
    });
  }
  /** The next datagram, or null after `ms`. */
  async receive(ms = 2000): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((r) => timer = setTimeout(() => r(null), ms));
    const got = this.socket.receive().then(([data]) => words.decode(data));
    try {
      return await Promise.race([got, late]);
    } finally {
      clearTimeout(timer);
    }
  }
  close(): void {
    this.socket.close();
  }
}

function relayTo(port: number, over: Partial<UdpRelayPlan> = {}) {
  const { log, out } = captureLog();
  const relay = new UdpRelay({
    listen: { host: "127.0.0.1", port: 0 },
    target: { host: "127.0.0.1", port },
    up: NO_UDP_FAULTS,
    down: NO_UDP_FAULTS,
    random: Math.random,
    idleMs: 60_000,
    log,
    ...over,
  });
  return { relay, out, running: relay.run() };
}

Deno.test("udp relay: each client's datagrams go through a socket of its own, and each gets its own replies", async () => {
  const echo = udpEcho();
  const { relay, out, running } = relayTo(echo.port);
  const a = new Client(relay.addr.port), b = new Client(relay.addr.port);
  try {
    for (let i = 0; i < 5; i++) {
      await a.send(`a${i}`);
      assert.equal(await a.receive(), `a${i}`);
      await b.send(`b${i}`);
      assert.equal(await b.receive(), `b${i}`);
    }
    relay.stop();
    const totals = await running;
    assert.deepEqual(totals, {
      clients: 2,
      up: 10,
      down: 10,
      faults: {
        up: { lost: 0, duplicated: 0, reordered: 0 },
        down: { lost: 0, duplicated: 0, reordered: 0 },
      },
      dropped: 0,
    });
    assert.deepEqual(out, [
      `#1 new client ${a.name} (1 open)`,
      `#2 new client ${b.name} (2 open)`,
      `#1 closed ${a.name}: 5 datagrams up, 5 down, the relay stopped (1 open)`,
      `#2 closed ${b.name}: 5 datagrams up, 5 down, the relay stopped (0 open)`,
    ]);
  } finally {
    relay.stop();
    await running;
    a.close();
    b.close();
    await echo.stop();
  }
});

Deno.test("udp relay: a client silent past the idle timeout has its socket closed; its next datagram makes a new one", async () => {
  const echo = udpEcho();
  const { relay, out, running } = relayTo(echo.port, { idleMs: 150 });
  const a = new Client(relay.addr.port);
  try {
    await a.send("first");
    assert.equal(await a.receive(), "first");
    const quiet = performance.now();
    while (out.length < 2 && performance.now() - quiet < 3000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const closedAfter = performance.now() - quiet;
    assert.deepEqual(out, [
      `#1 new client ${a.name} (1 open)`,
      `#1 closed ${a.name}: 1 datagrams up, 1 down, idle for 0.15 s (0 open)`,
    ]);
    assert.ok(
      closedAfter >= 140 && closedAfter < 1500,
      `closed after ${closedAfter.toFixed(0)} ms`,
    );
    // Each datagram, and each reply, keeps it open.
    await a.send("again");
    assert.equal(await a.receive(), "again");
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 80));
      await a.send(`still ${i}`);
      assert.equal(await a.receive(), `still ${i}`);
    }
    assert.equal(out.length, 3);
    assert.equal(out[2], `#2 new client ${a.name} (1 open)`);
    relay.stop();
    assert.equal((await running).clients, 2);
  } finally {
    relay.stop();
    await running;
    a.close();
    await echo.stop();
  }
});

Deno.test("udp relay: faults each way: lost up, doubled down, and delayed, counted per direction", async () => {
  const echo = udpEcho();
  const plan = (over: Partial<UdpFaultPlan>) => ({ ...NO_UDP_FAULTS, ...over });
  const lossy = relayTo(echo.port, { up: plan({ loss: 1 }), down: plan({ duplicate: 1 }) });
  const slow = relayTo(echo.port, { up: plan({ delay: 100 }) });
  const a = new Client(lossy.relay.addr.port), b = new Client(slow.relay.addr.port);
  try {
    for (let i = 0; i < 4; i++) await a.send(`lost ${i}`);
    assert.equal(await a.receive(300), null);
    assert.equal(echo.received, 0);
    lossy.relay.stop();
    const lost = await lossy.running;
    assert.deepEqual(lost.faults, {
      up: { lost: 4, duplicated: 0, reordered: 0 },
      down: { lost: 0, duplicated: 0, reordered: 0 },
    });
    const sent = performance.now();
    await b.send("late");
    assert.equal(await b.receive(), "late");
    const took = performance.now() - sent;
    assert.ok(took >= 100 && took < 1500, `a 100 ms delay took ${took.toFixed(0)} ms`);
  } finally {
    lossy.relay.stop();
    slow.relay.stop();
    await lossy.running;
    await slow.running;
    a.close();
    b.close();
    await echo.stop();
  }
  const doubling = udpEcho();
  const twice = relayTo(doubling.port, { down: plan({ duplicate: 1 }) });
  const c = new Client(twice.relay.addr.port);
  try {
    await c.send("echo");
    assert.deepEqual([await c.receive(), await c.receive()], ["echo", "echo"]);
    twice.relay.stop();
    assert.deepEqual((await twice.running).faults.down, { lost: 0, duplicated: 1, reordered: 0 });
  } finally {
    twice.relay.stop();
    await twice.running;
    c.close();
    await doubling.stop();
  }
});

Deno.test("udp relay: a burst each way is queued, none lost; an empty datagram is not relayed; no idle timeout, no expiry", async () => {
  const echo = udpEcho();
  const { relay, out, running } = relayTo(echo.port, { idleMs: 0 });
  const a = new Client(relay.addr.port);
  try {
    await a.send("");
    const burst = Array.from({ length: 200 }, (_, i) => `datagram ${i}`);
    for (const word of burst) await a.send(word);
    const back: (string | null)[] = [];
    for (let i = 0; i < burst.length; i++) back.push(await a.receive());
    assert.deepEqual(back, burst);
    assert.equal(echo.received, 200);
    await new Promise((r) => setTimeout(r, 100));
    relay.stop();
    const totals = await running;
    assert.deepEqual([totals.clients, totals.up, totals.down, totals.dropped], [1, 200, 200, 0]);
    assert.deepEqual(out, [
      `#1 new client ${a.name} (1 open)`,
      `#1 closed ${a.name}: 200 datagrams up, 200 down, the relay stopped (0 open)`,
    ]);
  } finally {
    relay.stop();
    await running;
    a.close();
    await echo.stop();
  }
});

Deno.test("udp relay: each datagram held back goes behind the next one, and is counted as reordered", async () => {
  const echo = udpEcho();
  const { relay, running } = relayTo(echo.port, { up: { ...NO_UDP_FAULTS, reorder: 1 } });
  const a = new Client(relay.addr.port);
  try {
    // Every datagram is held back, so each pair swaps: b a d c.
    for (const word of ["a", "b", "c", "d"]) await a.send(word);
    const back = [];
    for (let i = 0; i < 4; i++) back.push(await a.receive());
    assert.deepEqual(back, ["b", "a", "d", "c"]);
    relay.stop();
    assert.deepEqual((await running).faults, {
      up: { lost: 0, duplicated: 0, reordered: 2 },
      down: { lost: 0, duplicated: 0, reordered: 0 },
    });
  } finally {
    relay.stop();
    await running;
    a.close();
    await echo.stop();
  }
});

const CONFIG: UdpRelayConfig = {
  command: "relay-udp",
  listen: { transport: "tcp", host: "127.0.0.1", port: 0 },
  to: { transport: "tcp", host: "127.0.0.1", port: 9 },
  up: NO_UDP_FAULTS,
  down: NO_UDP_FAULTS,
  seed: 7,
  idleTimeout: 60,
  verbosity: "normal",
  logFormat: "text",
};

Deno.test("udp relay command: the listening line with each direction's faults, the summary at the stop", async () => {
  const echo = udpEcho();
  const { log, out } = captureLog();
  const stop = new AbortController();
  const config: UdpRelayConfig = {
    ...CONFIG,
    to: { transport: "tcp", host: "127.0.0.1", port: echo.port },
    up: { ...NO_UDP_FAULTS, loss: 0.5, duplicate: 0.25, reorder: 0.1 },
    down: { ...NO_UDP_FAULTS, delay: 20, jitter: 5, bandwidth: 1000 },
  };
  const running = udpRelayCommand(config, { log, stop: stop.signal });
  try {
    const port = Number(/^Listening on 127\.0\.0\.1:(\d+) /.exec(out[0])![1]);
    assert.equal(
      out[0],
      `Listening on 127.0.0.1:${port} (UDP), relaying to 127.0.0.1:${echo.port}; faults: ` +
        "up: loss 0.5, duplicate 0.25, reorder 0.1; down: delay 20 ms, jitter 5 ms, bandwidth 1000 B/s; seed 7",
    );
    stop.abort();
    assert.equal(await running, 0);
    assert.equal(
      out[1],
      "Stopped: 0 clients, 0 datagrams up, 0 down; up: 0 lost, 0 duplicated, 0 reordered; " +
        "down: 0 lost, 0 duplicated, 0 reordered",
    );
  } finally {
    stop.abort();
    await running;
    await echo.stop();
  }
});

Deno.test("udp relay command: no faults, no fault words; a port in use is exit 1 naming it", async () => {
  const { log, out, err } = captureLog();
  const stop = new AbortController();
  const running = udpRelayCommand(CONFIG, { log, stop: stop.signal });
  assert.match(out[0], /^Listening on 127\.0\.0\.1:\d+ \(UDP\), relaying to 127\.0\.0\.1:9$/);
  stop.abort();
  assert.equal(await running, 0);
  const holder = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const taken = (holder.addr as Deno.NetAddr).port;
  try {
    const code = await udpRelayCommand(
      { ...CONFIG, listen: { transport: "tcp", host: "127.0.0.1", port: taken } },
      { log, stop: new AbortController().signal },
    );
    assert.equal(code, 1);
    assert.deepEqual(err, [
      `sockdemo: cannot listen on 127.0.0.1:${taken}: address already in use`,
    ]);
    const json = captureLog("normal", "json");
    const listen = { transport: "tcp", host: "127.0.0.1", port: taken } as const;
    const stop = new AbortController().signal;
    assert.equal(await udpRelayCommand({ ...CONFIG, listen }, { log: json.log, stop }), 1);
    const { time: _, ...line } = JSON.parse(json.out[0]);
    assert.deepEqual(line, {
      level: "error",
      event: "listen_failed",
      address: `127.0.0.1:${taken}`,
      reason: "address already in use",
    });
  } finally {
    holder.close();
  }
});

Deno.test("udp relay command: --log-format json lines carry each figure; --idle-timeout is in seconds", async () => {
  const echo = udpEcho();
  const { log, out } = captureLog("normal", "json");
  const stop = new AbortController();
  const config: UdpRelayConfig = {
    ...CONFIG,
    to: { transport: "tcp", host: "127.0.0.1", port: echo.port },
    up: { ...NO_UDP_FAULTS, duplicate: 1 },
    down: { ...NO_UDP_FAULTS, delay: 1 },
    idleTimeout: 0.15,
    logFormat: "json",
  };
  const running = udpRelayCommand(config, { log, stop: stop.signal });
  const lines = () => out.map((l) => JSON.parse(l)).map(({ time: _, ...rest }) => rest);
  try {
    const port = lines()[0].address.split(":")[1];
    const a = new Client(Number(port));
    await a.send("twice");
    assert.deepEqual([await a.receive(), await a.receive()], ["twice", "twice"]);
    const quiet = performance.now();
    while (out.length < 3 && performance.now() - quiet < 3000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const closedAfter = performance.now() - quiet;
    assert.ok(
      closedAfter >= 140 && closedAfter < 1500,
      `closed after ${closedAfter.toFixed(0)} ms`,
    );
    a.close();
    stop.abort();
    assert.equal(await running, 0);
    assert.deepEqual(lines(), [
      {
        level: "info",
        event: "listening",
        address: `127.0.0.1:${port}`,
        protocol: "relay-udp",
        target: `127.0.0.1:${echo.port}`,
        faults: "up: duplicate 1; down: delay 1 ms",
        seed: 7,
      },
      { level: "info", event: "client", conn: 1, peer: a.name, open: 1 },
      {
        level: "info",
        event: "closed",
        conn: 1,
        peer: a.name,
        up: 1,
        down: 2,
        reason: "idle for 0.15 s",
      },
      {
        level: "info",
        event: "stopped",
        clients: 1,
        up: 1,
        down: 2,
        lost_up: 0,
        lost_down: 0,
        duplicated_up: 1,
        duplicated_down: 0,
        reordered_up: 0,
        reordered_down: 0,
        dropped: 0,
      },
    ]);
  } finally {
    stop.abort();
    await running;
    await echo.stop();
  }
});
