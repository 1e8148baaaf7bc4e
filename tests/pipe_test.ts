/**
 * `connect --pipe`, sockdemo's `nc`: standard input to the socket and the
 * socket to standard output, each direction ending on its own.
 */
import assert from "node:assert/strict";
import { runSockdemo, ServerProcess, sockdemoCommand, within } from "./sockdemo_process.ts";

const PEER = new URL("./foreign/pipe_peer.py", import.meta.url).pathname;

/** `sockdemo connect --pipe ARGS` fed `input`; its exit code and both outputs, bytes exact. */
async function pipe(args: string[], input: Uint8Array) {
  const [cmd, argv] = sockdemoCommand(["connect", "--pipe", ...args]);
  const child = new Deno.Command(cmd, {
    args: argv,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    // Every case here ends in well under a second; a pipe that never ends fails the test.
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  const writing = writer.write(input).then(() => writer.close()).catch(() => {});
  const out = await child.output();
  await writing;
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** A foreign Python peer in `mode`; resolves once it listens. */
async function peer(mode: string) {
  const child = new Deno.Command("python3", {
    args: [PEER, mode],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await lines.read()).value ?? "";
  const port = Number(text.split("\n")[0]);
  const rest = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return text.split("\n").slice(1).join("\n");
      text += value;
    }
  })();
  return { port, output: rest, status: child.status };
}

Deno.test("pipe: a banner, one request line, its answer: standard output is byte-exact", async () => {
  const server = await peer("banner");
  const r = await pipe(["--port", String(server.port)], new TextEncoder().encode("ping 42\n"));
  assert.equal(r.stderr, "");
  assert.equal(r.code, 0);
  assert.equal(
    new TextDecoder().decode(r.stdout),
    "220 sockdemo test banner\r\nyou said: ping 42\n",
  );
  await server.status;
});

Deno.test("pipe: 5 MB of random bytes through the echo server come back identical", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    const input = new Uint8Array(5 << 20);
    for (let i = 0; i < input.length; i += 65536) {
      crypto.getRandomValues(input.subarray(i, Math.min(i + 65536, input.length)));
    }
    const r = await pipe(["--port", String(server.port)], input);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, input.length);
    assert.deepEqual(r.stdout, input);
  } finally {
    await server.stop();
  }
});

Deno.test("pipe: the peer's FIN ends the output while all of the input is still sent", async () => {
  const server = await peer("early");
  const r = await pipe(["--port", String(server.port)], new Uint8Array(1 << 20).fill(7));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(new TextDecoder().decode(r.stdout), "bye\n");
  assert.equal((await within(server.output, 30_000, "the peer's count")).trim(), "1048576");
});

Deno.test("pipe: standard output closed early (| head -c 10) ends quietly, exit 0", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    const [cmd, argv] = sockdemoCommand(["connect", "--pipe", "--port", String(server.port)]);
    const child = new Deno.Command(cmd, {
      args: argv,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    const writing = (async () => {
      try {
        for (let i = 0; i < 64; i++) await writer.write(new Uint8Array(1 << 20).fill(65));
        await writer.close();
      } catch {
        // It stopped reading its input: expected.
      }
    })();
    const reader = child.stdout.getReader();
    let got = 0;
    while (got < 10) got += (await reader.read()).value?.length ?? 0;
    await reader.cancel();
    const stderr = new TextDecoder().decode(
      (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
    );
    const status = await child.status;
    await writing;
    assert.equal(stderr, "");
    assert.equal(status.code, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("pipe: a refused connection is one line on standard error, exit 1", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  const r = await runSockdemo(["connect", "--pipe", "--port", String(port)]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `sockdemo: cannot connect to 127.0.0.1:${port}: connection refused\n`);
  assert.equal(r.stdout, "");
});

/** `sockdemo serve --pipe ARGS` fed `input`; resolves with its address once it listens. */
async function servePipe(args: string[], input: Uint8Array) {
  const [cmd, argv] = sockdemoCommand(["serve", "--pipe", ...args]);
  const child = new Deno.Command(cmd, {
    args: argv,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  const writing = writer.write(input).then(() => writer.close()).catch(() => {});
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("\n")) err += (await lines.read()).value ?? "";
  const rest = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return err;
      err += value;
    }
  })();
  const done = (async () => {
    const out = new Uint8Array(await new Response(child.stdout).arrayBuffer());
    await writing;
    return { code: (await child.status).code, stdout: out, stderr: await rest };
  })();
  return { first: err.split("\n")[0], done };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

for (const transport of ["tcp", "unix"]) {
  Deno.test(`pipe: serve --pipe < file and connect --pipe > copy over ${transport}: the same SHA-256`, async () => {
    const file = new Uint8Array(8 << 20);
    for (let i = 0; i < file.length; i += 65536) {
      crypto.getRandomValues(file.subarray(i, Math.min(i + 65536, file.length)));
    }
    const dir = await Deno.makeTempDir();
    try {
      const where = transport === "tcp" ? ["--port", "0"] : ["--unix", `${dir}/p.sock`];
      const server = await servePipe(where, file);
      const m = /^Listening on (127\.0\.0\.1:(\d+)|unix:(\S+)) \(pipe: one connection\)$/.exec(
        server.first,
      );
      assert.ok(m !== null, server.first);
      const target = transport === "tcp" ? ["--port", m[2]] : ["--unix", m[3]];
      const copy = await pipe(target, new Uint8Array(0));
      assert.equal(copy.code, 0, copy.stderr);
      const served = await within(server.done, 30_000, "serve --pipe to end");
      assert.equal(served.code, 0, served.stderr);
      assert.equal(copy.stdout.length, file.length);
      assert.equal(await sha256(copy.stdout), await sha256(file));
      // Others are refused once it has its one connection.
      if (transport === "tcp") {
        await assert.rejects(
          Deno.connect({ hostname: "127.0.0.1", port: Number(m[2]) }),
          Deno.errors.ConnectionRefused,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("pipe: while serve --pipe has its one connection, others are refused", async () => {
  const [cmd, argv] = sockdemoCommand(["serve", "--pipe", "--port", "0"]);
  const child = new Deno.Command(cmd, {
    args: argv,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  const waitFor = async (re: RegExp) => {
    while (!re.test(err)) err += (await lines.read()).value ?? "";
    return re.exec(err)!;
  };
  const port = Number((await waitFor(/Listening on 127\.0\.0\.1:(\d+)/))[1]);
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  await waitFor(/Accepted 127\.0\.0\.1:\d+; refusing others/);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
  // Both directions end: our FIN, and its input's end.
  await first.closeWrite();
  await child.stdin.close();
  const got = await new Response(first.readable).arrayBuffer();
  assert.equal(got.byteLength, 0);
  assert.equal((await child.status).code, 0);
  await lines.cancel();
  await child.stdout.cancel();
});
