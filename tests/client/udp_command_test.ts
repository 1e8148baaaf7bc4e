/** `connect --udp`'s plan, summary and JSON, and `merge` of its reports, in process. */
import assert from "node:assert/strict";
import { usageMessage } from "../harness.ts";
import { parseConnectLine } from "../../client/connect_options.ts";
import { formatUdp, udpFigures, udpJson, udpPlan } from "../../client/udp_command.ts";
import { mergeUdp, udpReport } from "../../client/udp_merge.ts";
import type { UdpPlan, UdpResult } from "../../client/udp_run.ts";
import { UdpTally } from "../../client/udp_tally.ts";
import { Histogram } from "../../lib/histogram.ts";

const plan = (args: string[]) => udpPlan(parseConnectLine(["-u", ...args])!);
const fails = (args: string[]) => usageMessage("connect", () => plan(args));

Deno.test("udp plan: the defaults, written out", () => {
  assert.deepEqual(plan([]), {
    host: "127.0.0.1",
    port: 65432,
    sockets: 1,
    size: 64,
    count: 1000,
    duration: null,
    rate: 1000,
    lingerMs: 1000,
  });
});

Deno.test("udp plan: every setting taken from the line", () => {
  assert.deepEqual(
    plan([
      "--to",
      "[::1]:7",
      "-P",
      "4",
      "--size",
      "12",
      "--rate",
      "250",
      "-t",
      "2.5",
      "--timeout",
      "0.2",
    ]),
    {
      host: "::1",
      port: 7,
      sockets: 4,
      size: 12,
      count: null,
      duration: 2.5,
      rate: 250,
      lingerMs: 200,
    },
  );
  assert.equal(plan(["--size", "65507", "--messages", "3"]).size, 65507);
  assert.equal(plan(["--size", "65507", "--messages", "3"]).count, 3);
});

Deno.test("udp plan: what datagrams cannot do is a usage error", () => {
  assert.equal(fails(["--size", "11"]), "--udp datagrams are 12 to 65507 bytes (--size 11)");
  assert.equal(fails(["--size", "65508"]), "--udp datagrams are 12 to 65507 bytes (--size 65508)");
  assert.equal(fails(["hello"]), "--udp sends generated datagrams: give --size, not MESSAGE");
  assert.equal(fails(["--unix", "/tmp/s"]), "--udp sends datagrams; --unix does not apply");
  assert.equal(fails(["--to", "unix:/tmp/s"]), "--udp needs HOST:PORT");
  assert.equal(fails(["--depth", "2"]), "--udp sends datagrams; --depth does not apply");
  assert.equal(fails(["--verbose"]), "--udp sends datagrams; --verbose does not apply");
  assert.equal(
    fails(["--messages", "5", "--duration", "1"]),
    "give --messages or --duration, not both",
  );
});

/** A tally of 10 sent: 4 back (500, 500, 500 and 1,500 µs), one of them twice, one late, one changed. */
function tally(): UdpTally {
  const t = new UdpTally();
  t.sent = 10;
  t.arrived(0, 500, true);
  t.arrived(2, 500, true);
  t.arrived(1, 500, true);
  t.arrived(1, 500, true);
  t.arrived(3, 1500, true);
  t.arrived(4, 900, false);
  return t;
}

const PLAN: UdpPlan = {
  host: "127.0.0.1",
  port: 9,
  sockets: 2,
  size: 100,
  count: 5,
  duration: null,
  rate: 1000,
  lingerMs: 1000,
};

Deno.test("udp summary: counts, percentage lost, round trips and jitter", () => {
  const result: UdpResult = {
    tally: tally(),
    seconds: 0.00512,
    socketErrors: 0,
    interrupted: false,
  };
  assert.equal(
    formatUdp("127.0.0.1:9", PLAN, result),
    "udp 127.0.0.1:9: 2 sockets x 5 datagrams of 100 bytes at 1000/s each, sent in 0.01 s\n" +
      "sent 10, received 4, lost 6 (60.00%), duplicated 1, reordered 1, corrupt 1\n" +
      // Jitter: 0, 0, then |1500 - 500| / 16 = 62.5 µs.
      "round trip: p50 0.500 ms, p99 1.50 ms, max 1.50 ms; jitter 0.063 ms",
  );
  assert.equal(
    formatUdp("[::1]:9", { ...PLAN, count: null, duration: 3 }, { ...result, seconds: 2.996 }),
    "udp [::1]:9: 2 sockets for 3 s of 100 bytes at 1000/s each, sent in 3.00 s\n" +
      "sent 10, received 4, lost 6 (60.00%), duplicated 1, reordered 1, corrupt 1\n" +
      "round trip: p50 0.500 ms, p99 1.50 ms, max 1.50 ms; jitter 0.063 ms",
  );
});

Deno.test("udp summary: socket errors named; nothing back and nothing sent said so", () => {
  const none = new UdpTally();
  assert.equal(
    udpFigures(none, 0),
    "sent 0, received 0, lost 0 (0.00%), duplicated 0, reordered 0, corrupt 0\n" +
      "round trip: nothing came back",
  );
  none.sent = 3;
  assert.equal(
    udpFigures(none, 2),
    "sent 3, received 0, lost 3 (100.00%), duplicated 0, reordered 0, corrupt 0, 2 socket errors\n" +
      "round trip: nothing came back",
  );
});

Deno.test("udp JSON: every figure, and a histogram that decodes to the round trips", () => {
  const json = udpJson("127.0.0.1:9", PLAN, {
    tally: tally(),
    seconds: 0.5,
    socketErrors: 3,
    interrupted: true,
  });
  const histogram = json.rtt_histogram as string;
  delete json.rtt_histogram;
  assert.deepEqual(json, {
    mode: "udp",
    target: "127.0.0.1:9",
    sockets: 2,
    size: 100,
    rate: 1000,
    seconds: 0.5,
    sent: 10,
    received: 4,
    lost: 6,
    duplicated: 1,
    reordered: 1,
    corrupt: 1,
    socket_errors: 3,
    rtt_us: { p50: 500, p90: 1500, p99: 1500, max: 1500, mean: 750 },
    jitter_us: 62.5,
    interrupted: true,
  });
  const rtt = Histogram.decode(histogram);
  assert.equal(rtt.count, 4);
  assert.equal(rtt.max, 1500);
});

/** One `connect --udp --json` report. */
function report(over: Record<string, unknown> = {}): Record<string, unknown> {
  const rtt = new Histogram();
  rtt.record(400);
  rtt.record(800);
  return {
    mode: "udp",
    sockets: 2,
    sent: 10,
    received: 2,
    duplicated: 1,
    reordered: 1,
    corrupt: 1,
    socket_errors: 1,
    jitter_us: 30,
    rtt_histogram: rtt.encode(),
    ...over,
  };
}

Deno.test("udp merge: counts summed, round trips merged, jitter weighted by datagrams received", () => {
  const merged = mergeUdp([
    report(),
    report({ sockets: 3, sent: 20, received: 6, socket_errors: 0, jitter_us: 70 }),
  ]);
  assert.equal(merged.sockets, 5);
  assert.equal(merged.socketErrors, 1);
  const t = merged.tally;
  assert.deepEqual(
    [t.sent, t.received, t.lost, t.duplicated, t.reordered, t.corrupt],
    [30, 8, 22, 2, 2, 2],
  );
  // (30 x 2 + 70 x 6) / 8 = 60.
  assert.equal(t.jitterUs, 60);
  assert.equal(t.rtt.count, 4);
  assert.equal(t.rtt.max, 800);
  assert.equal(mergeUdp([]).tally.sent, 0);
});

Deno.test("udp merge: a report missing a figure, or inconsistent, or broken, is named", () => {
  for (
    const name of [
      "sockets",
      "sent",
      "received",
      "duplicated",
      "reordered",
      "corrupt",
      "jitter_us",
      "socket_errors",
    ]
  ) {
    const expected = `not a "sockdemo connect --udp --json" report: no "${name}" number`;
    assert.equal(udpReport(report({ [name]: undefined })), expected, name);
    assert.equal(udpReport(report({ [name]: "3" })), expected, name);
    assert.equal(udpReport(report({ [name]: -1 })), expected, name);
    assert.equal(udpReport(report({ [name]: NaN })), expected, name);
    assert.notEqual(typeof udpReport(report({ [name]: 0, received: 0 })), "string", name);
  }
  assert.equal(udpReport(report({ received: 11 })), "more datagrams received than sent");
  assert.notEqual(typeof udpReport(report({ received: 10 })), "string");
  const broken = udpReport(report({ rtt_histogram: "not base64!" }));
  assert.match(String(broken), /^its "rtt_histogram" is .+/);
  assert.throws(
    () => mergeUdp([report(), report({ sent: 1 })]),
    (e) => e instanceof SyntaxError && e.message === "more datagrams received than sent",
  );
});
