/**
 * Unix-domain sockets: `serve --unix PATH` and `connect --unix PATH` in echo,
 * app and load modes, a foreign Python AF_UNIX client, stale and live socket
 * files, and the file's removal when the server stops.
 */
import assert from "node:assert/strict";
import { runCommand, runSockdemo, ServerProcess, sockdemoCommand } from "./sockdemo_process.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-unix-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// The guide's client over AF_UNIX: sends two messages, expects them echoed.
const PYTHON_ECHO = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
sent = b"Message 1 from client." + b"Message 2 from client." + bytes(range(256)) * 400
s.sendall(sent)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("verified" if got == sent else "mismatch", len(got))
`;

Deno.test("unix: serve --unix and connect --unix, echo and load; the file goes when the server stops", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/echo.sock`;
    const server = await ServerProcess.start(["--unix", path]);
    try {
      assert.match(server.stdout, new RegExp(`^Listening on unix:${path}$`, "m"));
      const guide = await runSockdemo(["connect", "--unix", path]);
      assert.equal(guide.code, 0, guide.stderr);
      assert.match(guide.stdout, new RegExp(`^conn 1: connected to unix:${path}$`, "m"));
      assert.match(guide.stdout, /all 44 bytes came back verified/);
      const load = await runSockdemo([
        "connect",
        "--unix",
        path,
        "--conns",
        "20",
        "--messages",
        "10",
        "--size",
        "1000",
        "--workers",
        "2",
      ]);
      assert.equal(load.code, 0, load.stderr);
      assert.match(load.stdout, /^20 connections, 200 messages verified, 200000 bytes sent/m);
      const foreign = await runCommand("python3", ["-c", PYTHON_ECHO, path]);
      assert.equal(foreign.stdout, "verified 102444\n", foreign.stderr);
    } finally {
      const out = await server.stop();
      assert.equal(out.code, 0);
      // A Unix peer has no name: lines name the socket it came through.
      assert.ok(out.stdout.includes(`\n#1 accepted from unix:${path} (1 open)\n`), out.stdout);
    }
    assert.equal(await exists(path), false, "the socket file is removed");
  });
});

Deno.test("unix: the app protocol over a Unix socket", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/app.sock`;
    const server = await ServerProcess.start(["--protocol", "app", "--unix", path]);
    try {
      const one = await runSockdemo([
        "connect",
        "--protocol",
        "app",
        "--unix",
        path,
        "search",
        "ring",
      ]);
      assert.equal(one.stdout, "In the caves beneath the Misty Mountains. 💍\n");
      assert.equal(one.code, 0);
      const many = await runSockdemo([
        "connect",
        "--protocol",
        "app",
        "--unix",
        path,
        "--conns",
        "5",
        "--requests",
        "4",
      ]);
      assert.equal(many.code, 0, many.stderr);
      assert.match(many.stdout, /^5 connections, 20 messages verified/m);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("unix: a stale socket file is replaced; a live one is 'address already in use'; any other file is left alone", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/s.sock`;
    // Stale: a socket file nobody listens on (a server that was killed).
    const stale = await runCommand("python3", [
      "-c",
      "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      path,
    ]);
    assert.equal(stale.code, 0, stale.stderr);
    const server = await ServerProcess.start(["--unix", path]);
    try {
      // A bound in case it wrongly takes the address over and serves.
      const live = await runSockdemo(["serve", "--unix", path], 10_000);
      assert.equal(live.code, 1);
      assert.equal(
        live.stderr,
        `sockdemo: cannot listen on unix:${path}: address already in use\n`,
      );
      const r = await runSockdemo(["connect", "--unix", path]);
      assert.equal(r.code, 0, "the first server still serves");
    } finally {
      await server.stop();
    }
    const file = `${dir}/notes.txt`;
    await Deno.writeTextFile(file, "keep me");
    const other = await runSockdemo(["serve", "--unix", file]);
    assert.equal(other.code, 1);
    assert.equal(
      other.stderr,
      `sockdemo: cannot listen on unix:${file}: address already in use (by a file that is not a socket)\n`,
    );
    assert.equal(await Deno.readTextFile(file), "keep me");
  });
});

Deno.test("unix: connecting to a path nobody serves exits 1 naming it", async () => {
  await inTempDir(async (dir) => {
    const r = await runSockdemo(["connect", "--unix", `${dir}/none.sock`, "--conns", "1"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `sockdemo: cannot connect to unix:${dir}/none.sock: no such file or directory\n`,
    );
  });
});

Deno.test("unix: on Deno's default runtime (no --allow-env for the fair one) the socket file is removed at stop too", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/first-thread.sock`;
  const [cmd, argv] = sockdemoCommand(["serve", "--unix", path, "--quiet"]);
  // Without the fair runtime's permission the server runs on the first thread, whose
  // exit removes nothing by itself (a worker's end happens to remove the file).
  const args = argv.map((arg) =>
    arg.startsWith("--allow-env=") ? "--allow-env=__STRYKER_ACTIVE_MUTANT__" : arg
  );
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
    .spawn();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = (await lines.read()).value ?? "";
    assert.match(first, /^Listening on unix:/);
    assert.equal(await exists(path), true, "the socket file is there while it serves");
    // One conversation: the loop runs, so the stop below is heard (not Deno's default for SIGINT).
    const talk = await runSockdemo(["connect", "--unix", path]);
    assert.equal(talk.code, 0, talk.stderr);
    child.kill("SIGINT");
    await lines.cancel();
    assert.equal((await child.status).code, 0);
    assert.equal(await exists(path), false, "the socket file is removed");
  } finally {
    clearTimeout(deadline);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix and tcp --verbose: the tuning line names an accept queue for TCP only", async () => {
  await inTempDir(async (dir) => {
    const unix = await ServerProcess.start(
      ["--unix", `${dir}/t.sock`, "--verbose", "--log-format", "json"],
      60_000,
      /"event":"listening"/,
    );
    const tcp = await ServerProcess.start(
      ["--verbose", "--log-format", "json"],
      60_000,
      /"event":"listening"/,
    );
    for (const server of [unix, tcp]) {
      await server.waitFor(/"event":"tuning"/, 10_000, "the tuning line");
    }
    const [u, t] = [await unix.stop("SIGTERM"), await tcp.stop("SIGTERM")];
    const tuning = (out: string) =>
      out.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.event === "tuning");
    assert.equal(tuning(u.stdout).backlog, undefined, "a Unix socket has no accept-queue tuning");
    assert.equal(typeof tuning(t.stdout).backlog, "number");
    assert.equal(tuning(t.stdout).listeners, 16);
  });
});
