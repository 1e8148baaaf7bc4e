/**
 * `connect --udp`'s run, in process, against an echo in this process that
 * drops, doubles or changes the datagrams it is told to: every figure of
 * the tally exact, the pacing, the linger, the end of a timed run and of
 * an interrupted one; then the command's lines and exit codes.
 */
import assert from "node:assert/strict";
import { captureConsole } from "../harness.ts";
import { udpEcho } from "../udp_echo_peer.ts";
import { parseConnectLine } from "../../client/connect_options.ts";
import { udpCommand } from "../../client/udp_command.ts";
import { runUdp, type UdpPlan } from "../../client/udp_run.ts";

const plan = (port: number, over: Partial<UdpPlan> = {}): UdpPlan => ({
  host: "127.0.0.1",
  port,
  sockets: 1,
  size: 64,
  count: 50,
  duration: null,
  rate: 1000,
  lingerMs: 1000,
  ...over,
});

Deno.test("udp run: every datagram of every socket back, paced at the rate, no linger once all came back", async () => {
  const echo = udpEcho();
  try {
    const started = performance.now();
    const r = await runUdp(plan(echo.port, { sockets: 2 }));
    const took = performance.now() - started;
    const t = r.tally;
    assert.deepEqual(
      [t.sent, t.received, t.lost, t.duplicated, t.reordered, t.corrupt, t.rtt.count],
      [100, 100, 0, 0, 0, 0, 100],
    );
    assert.equal(echo.received, 100);
    assert.deepEqual([r.socketErrors, r.interrupted], [0, false]);
    // Round trips through an echo in this very process: two system calls and more (a round trip
    // under 1 µs, or a wrong one, is recorded as 1), well under 50 ms.
    assert.ok(
      t.rtt.percentile(50) >= 5 && t.rtt.max < 50_000,
      `p50 ${t.rtt.percentile(50)} µs, max ${t.rtt.max} µs`,
    );
    // 50 datagrams 1 ms apart, each allowed 1 ms early: at least 48 ms from first to last.
    assert.ok(r.seconds >= 0.048 && r.seconds < 0.8, `sent in ${r.seconds} s`);
    assert.ok(took < 900, `all back, yet the run took ${took.toFixed(0)} ms of a 1,000 ms linger`);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp run: dropped, doubled and changed datagrams counted exactly; the run lingers for the lost", async () => {
  // Of each ten: the 4th dropped, the 6th sent twice, the 8th changed.
  const echo = udpEcho((n) =>
    ["echo", "echo", "echo", "drop", "echo", "twice", "echo", "change"][n % 10] as never ?? "echo"
  );
  try {
    const started = performance.now();
    const r = await runUdp(plan(echo.port, { count: 40, rate: 2000, lingerMs: 300 }));
    const took = performance.now() - started;
    const t = r.tally;
    assert.deepEqual(
      [t.sent, t.received, t.lost, t.duplicated, t.reordered, t.corrupt],
      [40, 32, 8, 4, 0, 4],
    );
    assert.ok(took >= 300 + 19 && took < 3000, `a 300 ms linger took ${took.toFixed(0)} ms in all`);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp run: --duration sends for that long at the rate; ::1 works as 127.0.0.1 does", async () => {
  const echo = udpEcho(undefined, "::1");
  try {
    const r = await runUdp(
      plan(echo.port, { host: "::1", count: null, duration: 0.2, rate: 100, size: 12 }),
    );
    const t = r.tally;
    // Due at 0, 10, ... 190 ms, and the one due at 200 ms may leave 1 ms early.
    assert.ok(t.sent >= 18 && t.sent <= 21, `${t.sent} sent`);
    assert.equal(t.received, t.sent);
    assert.ok(r.seconds >= 0.17 && r.seconds < 0.2, `sent in ${r.seconds} s`);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp run: many sockets at a high rate: each datagram goes out alone, none run together", async () => {
  const echo = udpEcho();
  try {
    const r = await runUdp(plan(echo.port, { sockets: 4, count: 100, rate: 5000, size: 100 }));
    const t = r.tally;
    assert.deepEqual([t.sent, t.received, t.corrupt, t.duplicated], [400, 400, 0, 0]);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp run: a socket held up catches up, so the rate holds over the run", async () => {
  const echo = udpEcho();
  // 50 ms into the run, this process is busy for 60 ms: nothing can be sent meanwhile.
  const stall = setTimeout(() => {
    const until = performance.now() + 60;
    while (performance.now() < until) { /* busy */ }
  }, 50);
  try {
    const r = await runUdp(plan(echo.port, { count: null, duration: 0.3, rate: 1000, size: 12 }));
    // Due every millisecond for 300 ms: the 60 missed are made up after the stall.
    assert.ok(r.tally.sent >= 290 && r.tally.sent <= 301, `${r.tally.sent} sent`);
    assert.equal(r.tally.received, r.tally.sent);
  } finally {
    clearTimeout(stall);
    await echo.stop();
  }
});

Deno.test("udp run: an interrupt ends the run at once, with what came back so far", async () => {
  const echo = udpEcho();
  const interrupt = new AbortController();
  const timer = setTimeout(() => interrupt.abort(), 150);
  try {
    const started = performance.now();
    const r = await runUdp(
      plan(echo.port, { count: 1000, rate: 100, interrupt: interrupt.signal }),
    );
    const took = performance.now() - started;
    assert.equal(r.interrupted, true);
    assert.ok(took >= 150 && took < 1000, `interrupted after ${took.toFixed(0)} ms`);
    assert.ok(r.tally.sent >= 10 && r.tally.sent <= 17, `${r.tally.sent} sent in 150 ms at 100/s`);
  } finally {
    clearTimeout(timer);
    await echo.stop();
  }
});

async function command(args: string[]) {
  const line = parseConnectLine(["--udp", ...args])!;
  const interrupt = new AbortController().signal;
  const { result, out, err } = await captureConsole(() => udpCommand(line, { interrupt }));
  return { code: result, out, err };
}

Deno.test("udp command: the summary and exit 0; --json instead; --quiet keeps the summary", async () => {
  const echo = udpEcho();
  const port = String(echo.port);
  try {
    const run = await command(["-p", port, "--messages", "20", "--size", "100", "-P", "2"]);
    assert.equal(run.code, 0);
    assert.deepEqual(run.err, []);
    assert.equal(run.out.length, 1);
    const lines = run.out[0].split("\n");
    assert.match(
      lines[0],
      new RegExp(
        `^udp 127\\.0\\.0\\.1:${port}: 2 sockets x 20 datagrams of 100 bytes at 1000/s each, sent in 0\\.0[12] s$`,
      ),
    );
    assert.equal(
      lines[1],
      "sent 40, received 40, lost 0 (0.00%), duplicated 0, reordered 0, corrupt 0",
    );
    assert.match(
      lines[2],
      /^round trip: p50 \d+\.\d+ ms, p99 \d+\.\d+ ms, max \d+\.\d+ ms; jitter \d+\.\d+ ms$/,
    );
    const json = await command(["-p", port, "--messages", "5", "--json"]);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.out[0]);
    assert.deepEqual(
      [report.mode, report.target, report.sockets, report.size, report.sent, report.received],
      ["udp", `127.0.0.1:${port}`, 1, 64, 5, 5],
    );
    const six = udpEcho(undefined, "::1");
    const v6 = await command(["--to", `[::1]:${six.port}`, "--messages", "2"]);
    await six.stop();
    assert.match(v6.out[0], new RegExp(`^udp \\[::1\\]:${six.port}: 1 sockets x 2 datagrams `));
    const quiet = await command(["-p", port, "--messages", "5", "-q"]);
    assert.equal(quiet.code, 0);
    assert.match(quiet.out[0], /\nsent 5, received 5, lost 0 /);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp command: nothing back is exit 1 naming the address; a changed datagram is exit 1 too", async () => {
  const silent = udpEcho(() => "drop");
  try {
    const none = await command(["-p", String(silent.port), "--messages", "3", "--timeout", "0.1"]);
    assert.equal(none.code, 1);
    assert.match(
      none.out[0],
      /\nsent 3, received 0, lost 3 \(100\.00%\).*\nround trip: nothing came back$/,
    );
    assert.deepEqual(none.err, [
      `sockdemo: no datagram came back from 127.0.0.1:${silent.port} (is a UDP echo server there?)`,
    ]);
    const quiet = await command([
      "-p",
      String(silent.port),
      "--messages",
      "3",
      "--timeout",
      "0.1",
      "-q",
    ]);
    assert.deepEqual([quiet.code, quiet.out.length, quiet.err.length], [1, 0, 1]);
  } finally {
    await silent.stop();
  }
  const changing = udpEcho((n) => n === 1 ? "change" : "echo");
  try {
    const changed = await command([
      "-p",
      String(changing.port),
      "--messages",
      "3",
      "--timeout",
      "0.1",
    ]);
    assert.equal(changed.code, 1);
    assert.deepEqual(changed.err, ["sockdemo: 1 datagrams came back changed or cut short"]);
  } finally {
    await changing.stop();
  }
});

Deno.test("udp command: an interrupt (SIGINT) ends the run with exit 130, and the summary of what was sent", async () => {
  const echo = udpEcho();
  const interrupt = new AbortController();
  const timer = setTimeout(() => interrupt.abort(), 200);
  try {
    const line = parseConnectLine([
      "--udp",
      "-p",
      String(echo.port),
      "--messages",
      "1000",
      "--rate",
      "100",
    ])!;
    const run = await captureConsole(() => udpCommand(line, { interrupt: interrupt.signal }));
    assert.equal(run.result, 130);
    assert.match(run.err[0], /^sockdemo: interrupted after 0\.[12]\d s$/);
    assert.match(run.out[0], /\nsent (1\d|2[0-2]), received /);
  } finally {
    clearTimeout(timer);
    await echo.stop();
  }
});
