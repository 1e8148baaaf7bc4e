/**
 * A child process as loop streams: its output read through buffers smaller
 * than its chunks loses nothing, its input's end reaches it, its standard
 * error and exit are streams too, and `end` kills one that ignores SIGTERM.
 */
import assert from "node:assert/strict";
import { cannotRun, Child } from "../../lib/child.ts";
import { Interest, Loop } from "../../lib/loop.ts";

const text = new TextDecoder();

async function readAll(stream: { read(buf: Uint8Array): Promise<number | null> }, size: number) {
  const buf = new Uint8Array(size), parts: number[] = [];
  for (let n = await stream.read(buf); n !== null; n = await stream.read(buf)) {
    assert.ok(n > 0 && n <= size, `a read of ${n} into ${size}`);
    parts.push(...buf.subarray(0, n));
  }
  return new Uint8Array(parts);
}

Deno.test("child: 300 KB through cat, read 100 bytes at a time, comes back whole; the FIN ends it with exit 0", async () => {
  const child = Child.spawn({ command: "cat", args: [], env: {} });
  const sent = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
  const reading = readAll(child.stdio, 100);
  assert.equal(await child.stdio.write(sent), 300_000);
  await child.stdio.closeWrite!();
  assert.deepEqual(await reading, sent);
  assert.equal(await child.exit.read(new Uint8Array(1)), null);
  assert.deepEqual({ ...child.status }, { success: true, code: 0, signal: null });
  assert.equal(Child.describe(child.status!), "exit 0");
  assert.ok(child.pid > 0);
  child.stdio.close();
});

Deno.test("child: its environment, its standard error, its exit code", async () => {
  const child = Child.spawn({
    command: "/bin/sh",
    args: ["-c", 'echo "$GREETING" >&2; printf out; exit 3'],
    env: { GREETING: "hello from the environment" },
  });
  const [out, err] = await Promise.all([readAll(child.stdio, 2), readAll(child.stderr, 5)]);
  assert.equal(text.decode(out), "out");
  assert.equal(text.decode(err), "hello from the environment\n");
  assert.equal(Child.describe(await child.exited), "exit 3");
  await assert.rejects(child.stderr.write(new Uint8Array(1)), {
    name: "NotSupported",
    message: "standard error is read-only",
  });
  await assert.rejects(child.exit.write(new Uint8Array(1)), {
    name: "NotSupported",
    message: "an exit is read-only",
  });
  child.stdio.close();
  child.stderr.close();
  child.exit.close();
});

Deno.test("child: closing its streams ends it (SIGTERM); one that ignores SIGTERM is killed after the grace", async () => {
  const sleeper = Child.spawn({ command: "sleep", args: ["30"], env: {} }, 5000);
  sleeper.stdio.close();
  assert.equal(Child.describe(await sleeper.exited), "killed by SIGTERM");
  const stubborn = Child.spawn({
    command: "python3",
    args: [
      "-c",
      "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(30)",
    ],
    env: {},
  }, 400);
  const buf = new Uint8Array(16);
  let said = "";
  while (!said.endsWith("\n")) {
    said += text.decode(buf.subarray(0, (await stubborn.stdio.read(buf))!));
  }
  assert.equal(said, "ready\n");
  const started = performance.now();
  stubborn.end(400);
  stubborn.end(400); // once
  const status = await stubborn.exited;
  const took = performance.now() - started;
  assert.equal(Child.describe(status), "killed by SIGKILL");
  assert.ok(took >= 390 && took < 3000, `killed after ${took.toFixed(0)} ms`);
  stubborn.end(400); // after its exit: nothing to do
  stubborn.stdio.close();
});

Deno.test("child: the loop drives it like a socket; its exit is an eof event", async () => {
  const child = Child.spawn({
    command: "/bin/sh",
    args: ["-c", 'read line; echo "got $line"'],
    env: {},
  });
  const loop = new Loop<string>();
  const io = loop.register(child.stdio, Interest.READ_WRITE, "io");
  loop.register(child.exit, Interest.READ, "exit");
  io.output.push(new TextEncoder().encode("x\n"), 0, 2);
  const seen: string[] = [];
  while (loop.size > 0) {
    for (const ev of await loop.select()) {
      seen.push(`${ev.key.data} ${ev.type}`);
      if (ev.type === "read") seen.push(text.decode(ev.key.input.subarray(0, ev.n)));
      if (ev.type === "eof") loop.unregister(ev.key);
      else if (ev.type === "write") loop.modify(ev.key, Interest.READ);
    }
  }
  assert.deepEqual(seen.filter((s) => !s.startsWith("exit")), [
    "io write",
    "io read",
    "got x\n",
    "io eof",
  ]);
  assert.ok(seen.includes("exit eof"));
});

Deno.test("child: cannotRun says why a program cannot be run, before any connection", () => {
  assert.equal(cannotRun("cat"), null);
  assert.equal(cannotRun("/bin/sh"), null);
  assert.equal(cannotRun("no-such-program-here"), "not found in PATH");
  assert.equal(cannotRun("/no/such/file"), "no such file");
  assert.equal(cannotRun("/tmp"), "not a file");
  assert.equal(cannotRun(new URL(import.meta.url).pathname), "not executable");
});

Deno.test("child: asked to end twice, it hears SIGTERM once, then SIGKILL after the grace", async () => {
  const child = Child.spawn({
    command: "/bin/sh",
    args: ["-c", 'trap "echo TERM" TERM; echo ready; while :; do sleep 0.02; done'],
    env: {},
  }, 600);
  const buf = new Uint8Array(64);
  let said = "";
  while (!said.includes("ready\n")) {
    said += text.decode(buf.subarray(0, (await child.stdio.read(buf))!));
  }
  child.end(600);
  await new Promise((r) => setTimeout(r, 200));
  child.end(600);
  const status = await child.exited;
  while (true) {
    const n = await child.stdio.read(buf);
    if (n === null) break;
    said += text.decode(buf.subarray(0, n));
  }
  assert.equal(said, "ready\nTERM\n");
  assert.equal(Child.describe(status), "killed by SIGKILL");
  child.stdio.close();
});
