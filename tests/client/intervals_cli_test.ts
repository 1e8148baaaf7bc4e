/**
 * `connect --interval` and `--threshold` as a user runs them: a server
 * paused mid-run shows in the intervals, in text and in `--json`; a broken
 * threshold fails the run, naming itself.
 */
import assert from "node:assert/strict";
import type { Report } from "../../client/report.ts";
import { cEchoServer } from "../c_echo_server.ts";
import { type Outcome, runSockdemo, sockdemoCommand } from "../sockdemo_process.ts";

// A run whose standard output can be read as it comes.
function liveRun(args: string[]): { stdout(): string; done: Promise<Outcome> } {
  const [cmd, argv] = sockdemoCommand(args);
  const child = new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "piped" }).spawn();
  let out = "";
  const reading = (async () => {
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) out += text;
  })();
  const done = (async () => {
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
      reading,
    ]);
    return { code: status.code, stdout: out, stderr };
  })();
  return { stdout: () => out, done };
}

const load = (port: number, ...more: string[]) => [
  "connect",
  "--to",
  `127.0.0.1:${port}`,
  "--conns",
  "4",
  "--size",
  "64",
  ...more,
];

Deno.test({
  name:
    "connect --interval: a server stopped for 2.3 s of a 6 s run shows as empty intervals, live, then a 2 s max",
  async fn() {
    const server = await cEchoServer();
    try {
      const json = runSockdemo(load(server.port, "--duration", "6", "--json"), 30_000);
      const live = liveRun(load(server.port, "--duration", "6"));
      await new Promise((r) => setTimeout(r, 2000));
      Deno.kill(server.pid, "SIGSTOP");
      // A stop of 2.3 s holds a whole second, which ends within 2 s of the stop: its empty line is
      // printed then, while the server is still stopped, not once it resumes.
      const emptyLine = /s +0 +0\.00 +- +- +- +0 +4\n/;
      const deadline = performance.now() + 2300;
      while (!emptyLine.test(live.stdout()) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const printedWhileStopped = emptyLine.test(live.stdout());
      await new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())));
      Deno.kill(server.pid, "SIGCONT");
      const [j, t] = await Promise.all([json, live.done]);
      assert.ok(printedWhileStopped, `no empty interval printed during the stop:\n${t.stdout}`);
      assert.equal(j.code, 0, j.stderr);
      assert.equal(t.code, 0, t.stderr);

      const report: Report = JSON.parse(j.stdout);
      const intervals = report.intervals!;
      assert.equal(report.interval, 1);
      // 6 s cut on whole seconds: 6 intervals, or 7 with a partial first and last.
      assert.ok(intervals.length === 6 || intervals.length === 7, `${intervals.length} intervals`);
      assert.equal(intervals.reduce((n, iv) => n + iv.messages, 0), report.messages);
      assert.equal(intervals.reduce((n, iv) => n + iv.bytes_sent, 0), report.bytes_sent);
      assert.ok(intervals[0].messages > 100, "served before the stop");
      assert.ok(intervals.at(-1)!.messages > 100, "served after it");
      // Two seconds stopped hold at least one whole second with nothing in it.
      const empty = intervals.filter((iv) => iv.messages === 0);
      assert.ok(empty.length >= 1, "an empty interval");
      assert.ok(empty.every((iv) => iv.messages_per_second === 0 && iv.latency_us.max === 0));
      // The messages held through the stop came back after it, about 2 s late.
      const maxes = intervals.map((iv) => iv.latency_us.max);
      const slowest = Math.max(...maxes);
      assert.ok(slowest >= 1_900_000 && slowest < 3_000_000, `slowest ${slowest} µs`);
      assert.ok(maxes.indexOf(slowest) > intervals.indexOf(empty[0]), "after the empty one");
      assert.ok(intervals.every((iv) => iv.open === 4 || iv === intervals.at(-1)));

      const lines = t.stdout.split("\n");
      assert.match(
        lines[0],
        /^ +interval +messages\/s +MB\/s +p50 +p99 +max +errors +open$/,
      );
      const rows = lines.filter((l) => /^ +\d+\.\d\d-\d+\.\d\d s /.test(l));
      assert.ok(rows.length === 6 || rows.length === 7, t.stdout);
      assert.ok(rows.some((r) => /s +0 +0\.00 +- +- +- +0 +4$/.test(r)), t.stdout);
      assert.ok(rows.some((r) => / (19\d\d|2\d\d\d)\.\d ms +0 +[04]$/.test(r)), t.stdout);
      assert.match(t.stdout, /4 connections, \d+ messages verified/);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "connect: no interval lines with --quiet or --interval 0; 0.5 s lines with --interval 0.5",
  async fn() {
    const server = await cEchoServer();
    try {
      const quiet = await runSockdemo(load(server.port, "--duration", "1", "--quiet"));
      const none = await runSockdemo(load(server.port, "--duration", "1", "-i", "0", "--json"));
      const half = await runSockdemo(load(server.port, "--duration", "1.2", "--interval", "0.5"));
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.doesNotMatch(quiet.stdout, /interval/);
      assert.match(quiet.stdout, /^4 connections/);
      const report: Report = JSON.parse(none.stdout);
      assert.equal(report.intervals, undefined);
      assert.equal(report.interval, undefined);
      // 1.2 s cut at each half second: 3 or 4 lines.
      const rows = half.stdout.split("\n").filter((l) => /^ +\d+\.\d\d-\d+\.\d\d s /.test(l));
      assert.ok(rows.length === 3 || rows.length === 4, half.stdout);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "connect --threshold: a broken one is named on its line and exits 1; kept ones exit 0; --json lists each",
  async fn() {
    const server = await cEchoServer();
    try {
      const args = load(server.port, "--messages", "200");
      const broken = await runSockdemo([
        ...args,
        "--threshold",
        "errors==0",
        "--threshold",
        "rate>1000000000",
        "--threshold",
        "p99<1us",
      ]);
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /4 connections, 800 messages verified/);
      const lines = broken.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, broken.stderr);
      assert.match(lines[0], /^sockdemo: threshold rate>1000000000 broken: rate was \d+(\.\d)?$/);
      assert.match(lines[1], /^sockdemo: threshold p99<1us broken: p99 was \d+\.\d+ ms$/);

      const kept = await runSockdemo([
        ...args,
        "--threshold",
        "errors==0",
        "--threshold",
        "messages==800",
        "--json",
      ]);
      assert.equal(kept.code, 0, kept.stderr);
      assert.equal(kept.stderr, "");
      const report: Report = JSON.parse(kept.stdout);
      assert.deepEqual(report.thresholds, [
        { threshold: "errors==0", metric: "errors", value: 0, ok: true },
        { threshold: "messages==800", metric: "messages", value: 800, ok: true },
      ]);
    } finally {
      await server.stop();
    }
  },
});
