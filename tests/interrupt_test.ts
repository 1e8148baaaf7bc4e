/**
 * Ctrl-C during a `connect` load run: the summary of what was measured so
 * far, marked as interrupted, and exit 130 (as iperf3 and wrk print theirs).
 */
import assert from "node:assert/strict";
import { type Outcome, ServerProcess, sockdemoCommand, within } from "./sockdemo_process.ts";

/** Runs `sockdemo args`, sends SIGINT once it has run `afterMs`, and returns how it ended. */
async function interrupted(args: string[], afterMs: number): Promise<Outcome & { ms: number }> {
  const [cmd, argv] = sockdemoCommand(args);
  const child = new Deno.Command(cmd, { args: argv, stdout: "piped", stderr: "piped" }).spawn();
  const output = child.output();
  await new Promise((r) => setTimeout(r, afterMs));
  const sent = performance.now();
  child.kill("SIGINT");
  const out = await within(output, 20_000, "the interrupted run to end");
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
    ms: performance.now() - sent,
  };
}

Deno.test("connect: SIGINT during a 60 s load run prints the summary so far, marked, and exits 130", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    const port = String(server.port);
    const run = ["connect", "-p", port, "--conns", "4", "--size", "64", "--duration", "60"];
    const text = await interrupted(run, 2500);
    assert.equal(text.code, 130, text.stderr);
    assert.ok(text.ms < 5000, `it ended ${text.ms} ms after the signal`);
    assert.match(
      text.stdout,
      /^4 connections, [1-9]\d* messages verified, .* 0 errors in \d+\.\d{3} s \(interrupted\)$/m,
    );
    assert.match(
      text.stderr,
      /^sockdemo: interrupted after \d+\.\d\d s: the figures cover the run until then$/m,
    );
    const json = await interrupted([...run, "--json"], 2500);
    assert.equal(json.code, 130, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.interrupted, true);
    assert.equal(report.errors, 0);
    assert.ok(report.messages > 0, "what was measured is reported");
    assert.ok(report.seconds > 0.5 && report.seconds < 10, `a window of ${report.seconds} s`);
  } finally {
    await server.stop();
  }
});

Deno.test("connect --workers 2: SIGINT reaches every worker; one report of both, marked", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    const run = [
      "connect",
      "-p",
      String(server.port),
      "--conns",
      "4",
      "--size",
      "64",
      "--duration",
      "60",
      "--workers",
      "2",
      "--json",
    ];
    const out = await interrupted(run, 3000);
    assert.equal(out.code, 130, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.equal(report.interrupted, true);
    assert.equal(report.conns, 4);
    assert.ok(report.messages > 0);
  } finally {
    await server.stop();
  }
});
