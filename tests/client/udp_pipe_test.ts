/**
 * `connect --udp --pipe` in process: standard input and output are a fake
 * stream, the far end an echo in this process. Each read is one datagram,
 * each reply is written out whole, the pipe lingers after the input ends,
 * and a closed output ends it quietly while any other failure is named.
 */
import assert from "node:assert/strict";
import { udpEcho } from "../udp_echo_peer.ts";
import { captureConsole } from "../harness.ts";
import { parseConnectLine } from "../../client/connect_options.ts";
import { udpCommand } from "../../client/udp_command.ts";
import { runUdpPipe } from "../../client/udp_pipe.ts";
import type { Stream } from "../../lib/loop.ts";

const text = new TextEncoder(), words = new TextDecoder();

/**
 * Standard input giving `chunks` (each one read), `gapMs` apart (0: at
 * once, faster than datagrams go out), then its end; output kept, each
 * write taking `writeMs`, or failing with `fail`.
 */
class FakeStdio implements Stream {
  readonly written: string[] = [];
  #next = 0;
  constructor(
    readonly chunks: string[],
    readonly gapMs = 5,
    readonly fail: Error | null = null,
    readonly writeMs = 0,
  ) {}

  async read(buf: Uint8Array): Promise<number | null> {
    if (this.gapMs > 0) await new Promise((r) => setTimeout(r, this.gapMs));
    if (this.#next === this.chunks.length) return null;
    const bytes = text.encode(this.chunks[this.#next++]);
    buf.set(bytes);
    return bytes.length;
  }

  async write(buf: Uint8Array): Promise<number> {
    if (this.fail !== null) throw this.fail;
    const text = words.decode(buf);
    if (this.writeMs > 0) await new Promise((r) => setTimeout(r, this.writeMs));
    this.written.push(text);
    return buf.length;
  }

  close(): void {}
}

Deno.test("udp pipe: each read goes out as one datagram, each reply comes out whole; it lingers after the input ends", async () => {
  const echo = udpEcho((n) => n === 1 ? "twice" : "echo");
  try {
    // An empty read is no datagram.
    const stdio = new FakeStdio(["one\n", "", "two two\n", "three\n"]);
    const started = performance.now();
    const outcome = await runUdpPipe("127.0.0.1", echo.port, 200, stdio);
    const took = performance.now() - started;
    assert.deepEqual(outcome, { sent: 3, received: 4, failure: null });
    assert.equal(echo.received, 3);
    assert.equal(stdio.written.join(""), "one\ntwo two\ntwo two\nthree\n");
    // Four reads 5 ms apart, the end 5 ms later, then 200 ms with nothing heard.
    assert.ok(took >= 220 && took < 2000, `took ${took.toFixed(0)} ms`);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp pipe: input faster than datagrams go out is queued, none lost, replies in order", async () => {
  const echo = udpEcho();
  try {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\n`);
    const stdio = new FakeStdio(lines, 0);
    const outcome = await runUdpPipe("127.0.0.1", echo.port, 300, stdio);
    assert.deepEqual(outcome, { sent: 50, received: 50, failure: null });
    assert.equal(stdio.written.join(""), lines.join(""));
  } finally {
    await echo.stop();
  }
});

Deno.test("udp pipe: the linger ends only once what is owed either way went out", async () => {
  const echo = udpEcho();
  try {
    // Each write to standard output takes 150 ms, three times the linger.
    const slow = new FakeStdio(["one", "two"], 5, null, 150);
    const outcome = await runUdpPipe("127.0.0.1", echo.port, 50, slow);
    assert.deepEqual(outcome, { sent: 2, received: 2, failure: null });
    assert.deepEqual(slow.written, ["one", "two"]);
    // No linger at all: the datagrams still queued at the end of input still go.
    const burst = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const none = await runUdpPipe("127.0.0.1", echo.port, 0, new FakeStdio(burst, 0));
    assert.equal(none.sent, 20);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(echo.received, 22);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp pipe: a reply during the linger starts it again", async () => {
  const late = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (late.addr as Deno.NetAddr).port;
  // Answers 150 ms after each datagram: within the 200 ms linger, which starts again at the reply.
  const answering = (async () => {
    const [data, from] = await late.receive();
    await new Promise((r) => setTimeout(r, 150));
    await late.send(data, from);
  })();
  try {
    const stdio = new FakeStdio(["ping"], 1);
    const started = performance.now();
    const outcome = await runUdpPipe("127.0.0.1", port, 200, stdio);
    const took = performance.now() - started;
    await answering;
    assert.deepEqual(outcome, { sent: 1, received: 1, failure: null });
    assert.deepEqual(stdio.written, ["ping"]);
    assert.ok(took >= 150 + 200 && took < 2000, `took ${took.toFixed(0)} ms`);
  } finally {
    late.close();
  }
});

Deno.test("udp pipe: ::1, and a closed output ends it quietly; any other output failure is named", async () => {
  const echo = udpEcho(undefined, "::1");
  try {
    const closed = new FakeStdio(
      ["a", "b"],
      5,
      new Deno.errors.BrokenPipe("Broken pipe (os error 32)"),
    );
    const quiet = await runUdpPipe("::1", echo.port, 5000, closed);
    assert.deepEqual([quiet.received, quiet.failure], [1, null]);
    const full = new FakeStdio(["a", "b"], 5, new Error("No space left on device (os error 28)"));
    const failed = await runUdpPipe("::1", echo.port, 5000, full);
    assert.deepEqual([failed.received, failed.failure], [1, "no space left on device"]);
  } finally {
    await echo.stop();
  }
});

Deno.test("udp pipe command: --timeout is the linger; load options refused; a failed output is exit 1 naming it", async () => {
  const echo = udpEcho();
  const interrupt = new AbortController().signal;
  const pipe = (args: string[], local: Stream) =>
    captureConsole(() =>
      udpCommand(parseConnectLine(["-u", "--pipe", "-p", String(echo.port), ...args])!, {
        interrupt,
        local,
      })
    );
  try {
    const stdio = new FakeStdio(["hello"], 1);
    const started = performance.now();
    const ok = await pipe(["--timeout", "0.1"], stdio);
    const took = performance.now() - started;
    assert.deepEqual([ok.result, ok.out, ok.err], [0, [], []]);
    assert.deepEqual(stdio.written, ["hello"]);
    assert.ok(took >= 100 && took < 1000, `a 0.1 s linger took ${took.toFixed(0)} ms`);
    const full = new FakeStdio(["a"], 1, new Error("No space left on device (os error 28)"));
    const failed = await pipe([], full);
    assert.deepEqual([failed.result, failed.err], [1, [
      "sockdemo: standard output: no space left on device",
    ]]);
    await assert.rejects(
      pipe(["--size", "100"], new FakeStdio([])),
      (e) =>
        e instanceof Error &&
        e.message === "--udp --pipe sends what standard input gives; --size does not apply",
    );
  } finally {
    await echo.stop();
  }
});
