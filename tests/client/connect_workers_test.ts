/**
 * `connect --workers`: the clients split across workers, the results merged
 * exactly, and the histogram readable by HdrHistogram's Java library.
 */
import assert from "node:assert/strict";
import { Histogram } from "../../lib/histogram.ts";
import { runCommand, runSockdemo } from "../sockdemo_process.ts";

const ECHO_SERVER_C = new URL("../../bench/echo_server.c", import.meta.url).pathname;
const DECODE_JAVA = new URL("../foreign/Decode.java", import.meta.url).pathname;
const HDR_JAR = "/usr/share/java/hdrhistogram.jar";

// The C echo server of bench/, built for the test, on a free port.
async function cEchoServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = await Deno.makeTempDir();
  const binary = `${dir}/echo_server`;
  const built = await runCommand("gcc", ["-O2", "-o", binary, ECHO_SERVER_C]);
  assert.equal(built.code, 0, built.stderr);
  const child = new Deno.Command(binary, { args: ["0"], stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = (await reader.read()).value ?? "";
  const port = Number(/Listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
  return {
    port,
    stop: async () => {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

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
