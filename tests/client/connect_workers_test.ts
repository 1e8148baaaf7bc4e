/**
 * `connect --workers`: the clients split across workers, the results merged
 * exactly, and the histogram readable by HdrHistogram's Java library.
 */
import assert from "node:assert/strict";
import type { ConnectConfig } from "../../client/connect_config.ts";
import type { IntervalReport } from "../../client/intervals.ts";
import { runConnectWorkers } from "../../client/connect_workers.ts";
import { Histogram } from "../../lib/histogram.ts";
import { cEchoServer } from "../c_echo_server.ts";
import { MUTANT_ENV, runCommand, runSockdemo } from "../sockdemo_process.ts";

const FAKE = new URL("./fake_connect_worker.ts", import.meta.url);

// A run of `conns` clients on 2 workers; the fake worker reads its mode from the host name.
function config(mode: string, conns: number): ConnectConfig {
  return {
    protocol: "echo",
    address: { transport: "tcp", host: mode, port: 9 },
    tls: null,
    conns,
    workers: 2,
    duration: null,
    warmup: 0,
    rate: null,
    timeout: 10,
    depth: 1,
    json: true,
    interval: 1,
    thresholds: [],
    report: null,
    quiet: false,
    verbose: false,
    keepAlive: false,
    size: 10,
    messages: 3,
    texts: [],
    request: { kind: "search", text: "morpheus" },
    requests: 0,
  };
}

Deno.test("connect workers: shares split the clients in order; counts and connections add up", async () => {
  const result = await runConnectWorkers(config("shares", 11), {}, FAKE);
  // Worker 1 takes clients 0..4 (first 0, 5 of them), worker 2 clients 5..10.
  assert.equal(result.connected, 0 * 100 + 5 + 5 * 100 + 6);
  assert.equal(result.report.conns, 11);
  assert.equal(result.report.messages, 6);
  assert.equal(result.report.bytes_sent, 60);
  assert.equal(result.latency.count, 6);
  assert.equal(result.report.latency_us.max, 200);
  assert.equal(result.failure, null);
  assert.equal(result.firstFailure, null);
  // Each worker's own report, by name, for the HTML report's parts.
  assert.deepEqual(result.parts?.map((p) => [p.name, p.report.conns]), [["worker 1", 5], [
    "worker 2",
    6,
  ]]);
});

Deno.test("connect workers: a worker's failure is the run's, with how many of all connections failed", async () => {
  const result = await runConnectWorkers(config("fail", 10), {}, FAKE);
  assert.equal(result.report.errors, 2);
  assert.equal(result.firstFailure, "127.0.0.1:9: connection 6: boom");
  assert.equal(result.failure, "127.0.0.1:9: connection 6: boom (2 of 10 connections failed)");
});

Deno.test("connect workers: a worker that dies fails the run naming it; the others' figures stay", async () => {
  const result = await runConnectWorkers(config("die", 10), {}, FAKE);
  assert.equal(result.failure, "worker 2 failed: Error: worker trouble");
  assert.equal(result.firstFailure, "worker 2 failed: Error: worker trouble");
  assert.equal(result.report.messages, 3);
  assert.equal(result.connected, 5);
});

Deno.test("connect workers: the progress line hears the messages of all workers together", async () => {
  const ticks: number[] = [];
  await runConnectWorkers(
    config("progress", 10),
    { onTick: (_now, messages) => ticks.push(messages) },
    FAKE,
  );
  assert.ok(ticks.length > 0, "ticked");
  assert.equal(Math.max(...ticks), 14);
});

Deno.test("connect --workers without read access to its worker module: one line, exit 1", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const connect = await runCommand(Deno.execPath(), [
    "run",
    "--allow-net",
    MUTANT_ENV,
    main,
    "connect",
    "--port",
    "9",
    "--conns",
    "2",
    "--size",
    "8",
    "--messages",
    "1",
    "--workers",
    "2",
  ]);
  assert.equal(connect.code, 1);
  assert.match(
    connect.stderr,
    /^sockdemo: workers need read access to \S+\/client\/connect_worker\.ts \(run with --allow-read, or use the compiled binary\)\n$/,
  );
});

const DECODE_JAVA = new URL("../foreign/Decode.java", import.meta.url).pathname;
const HDR_JAR = "/usr/share/java/hdrhistogram.jar";

async function has(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return (await runCommand("java", ["-version"])).code === 0;
  } catch {
    return false;
  }
}

Deno.test("connect --workers 2 --json against the C echo server: exact counts, one merged histogram", async () => {
  const server = await cEchoServer();
  try {
    const r = await runSockdemo([
      "connect",
      "--port",
      String(server.port),
      "--conns",
      "10",
      "--messages",
      "500",
      "--size",
      "100",
      "--workers",
      "2",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.conns, 10);
    assert.equal(report.messages, 5000);
    assert.equal(report.bytes_sent, 500_000);
    assert.equal(report.bytes_received, 500_000);
    assert.equal(report.errors, 0);
    assert.ok(report.ended_at > report.started_at);
    const latency = Histogram.decode(report.histogram);
    assert.equal(latency.count, 5000);
    assert.equal(latency.percentile(99), report.latency_us.p99);
  } finally {
    await server.stop();
  }
});

const java = await has(HDR_JAR);
Deno.test({
  name: java
    ? "connect --json: HdrHistogram's Java library reads the histogram to the same count and p99"
    : `connect --json: SKIPPED, the Java check needs java and ${HDR_JAR} ` +
      "(apt-get install default-jdk-headless libhdrhistogram-java)",
  ignore: !java,
  async fn() {
    const server = await cEchoServer();
    try {
      const r = await runSockdemo([
        "connect",
        "--port",
        String(server.port),
        "--conns",
        "4",
        "--messages",
        "750",
        "--size",
        "64",
        "--workers",
        "2",
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      const path = await Deno.makeTempFile();
      try {
        await Deno.writeTextFile(path, report.histogram + "\n");
        const decoded = await runCommand("sh", [
          "-c",
          `java -cp ${HDR_JAR} ${DECODE_JAVA} < ${path}`,
        ], 60_000);
        assert.equal(decoded.code, 0, decoded.stderr);
        const [count, _p50, p99] = decoded.stdout.trim().split(" ").map(Number);
        assert.equal(count, 3000);
        assert.equal(p99, report.latency_us.p99);
      } finally {
        await Deno.remove(path);
      }
    } finally {
      await server.stop();
    }
  },
});

Deno.test("connect workers: without a progress line nothing ticks, however long the run", async () => {
  const result = await runConnectWorkers(config("progress", 10), {}, FAKE);
  assert.equal(result.report.messages, 6);
});

Deno.test("connect workers: intervals are merged per wall-clock slot, in order, as the workers close them", async () => {
  const heard: IntervalReport[] = [];
  await runConnectWorkers(config("intervals", 10), { onInterval: (iv) => heard.push(iv) }, FAKE);
  const T = 1_790_000_000_000;
  assert.deepEqual(
    heard.map((iv) => [iv.start - T, iv.end - T, iv.seconds, iv.messages, iv.bytes_sent, iv.open]),
    [
      // Second 0: worker 2 began halfway; the slot's time is the union, 1 s.
      [0, 1000, 1, 2, 20, 10],
      [1000, 2000, 1, 2, 20, 10],
      // Worker 1 had ended: the last slot is worker 2's alone.
      [2000, 2500, 0.5, 1, 10, 5],
    ],
  );
  assert.deepEqual(heard.map((iv) => iv.latency_us.max), [200, 200, 200]);
  assert.deepEqual(heard.map((iv) => iv.latency_us.p50), [100, 100, 200]);
});
