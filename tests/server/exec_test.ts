/**
 * `serve --exec` and `--sh-exec` end to end: a program per connection,
 * bytes verified both ways by a foreign client, half-close each way, the
 * child's environment, standard error and exit status in the lines, children
 * that exit early, never read or ignore SIGTERM, and no child left behind.
 */
import assert from "node:assert/strict";
import { hasOpenssl, makeCerts } from "../../scripts/certs.ts";
import { waitUntil } from "../harness.ts";
import { MUTANT_ENV, runCommand, runSockdemo, ServerProcess, within } from "../sockdemo_process.ts";

const PEER = new URL("../foreign/exec_peer.py", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

// The processes whose parent is `pid`, as "PID STATE" lines (Z: a zombie).
async function childrenOf(pid: number): Promise<string[]> {
  const ps = await runCommand("ps", ["-o", "pid=,stat=", "--ppid", String(pid)]);
  return ps.stdout.trim().split("\n").filter((line) => line.trim() !== "");
}

// Reads to the end without closing (a readable stream's end would close the connection).
async function readAll(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(64 * 1024), decoder = new TextDecoder();
  let text = "";
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  return text + decoder.decode();
}

Deno.test("exec: 200 connections to --exec cat, verified by a Python client that half-closes; each child exits 0 and none is left", async () => {
  const server = await ServerProcess.start(["--exec", "cat"]);
  try {
    assert.match(server.stdout, /^Listening on 127\.0\.0\.1:\d+ \(each connection: cat\)$/m);
    const peer = await runCommand("python3", [PEER, String(server.port), "200", "70000", "same"]);
    assert.equal(peer.stdout, "verified 200\n", peer.stderr);
    const closed = () => (server.stdout.match(/^#\d+ closed /gm) ?? []).length;
    assert.ok(await waitUntil(() => closed() === 200, 20_000), `${closed()} closing lines`);
    const lines = server.stdout.match(/^#\d+ closed .*$/gm) ?? [];
    assert.equal(lines.length, 200);
    for (const line of lines) {
      assert.match(
        line,
        /^#\d+ closed 127\.0\.0\.1:\d+: (\d+) bytes in, \1 out; cat \(pid \d+\): \1 bytes in, \1 out; exit 0 \(\d+ open\)$/,
      );
    }
    assert.deepEqual(await childrenOf(server.pid), []);
  } finally {
    const out = await server.stop();
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /^Stopped: 200 connections served, \d+ bytes in, \d+ bytes out, 0 errors$/m,
    );
  }
});

Deno.test("exec: --sh-exec gets the peer's address in its environment; its standard error comes out as lines, its exit status in the closing line", async () => {
  const script = 'echo "$SOCKDEMO_REMOTE_ADDR $SOCKDEMO_REMOTE_PORT $SOCKDEMO_LOCAL_PORT ' +
    '$SOCKDEMO_CONN $SOCKDEMO_PROTO"; echo "from the child" >&2; printf "no newline" >&2; ' +
    "tr a-z A-Z; exit 7";
  const server = await ServerProcess.start(["--sh-exec", script]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const local = (conn.localAddr as Deno.NetAddr).port;
    await conn.write(new TextEncoder().encode("hello"));
    await conn.closeWrite();
    const expected = `127.0.0.1 ${local} ${server.port} 1 tcp\nHELLO`;
    assert.equal(await readAll(conn), expected);
    const line = await server.waitFor(/^#1 closed .*$/m, 10_000, "the closing line");
    const out = expected.length;
    assert.equal(
      line[0],
      `#1 closed 127.0.0.1:${local}: 5 bytes in, ${out} out; ` +
        line[0].match(/sh \(pid \d+\)/)![0] + `: 5 bytes in, ${out} out; exit 7 (0 open)`,
    );
  } finally {
    const done = await server.stop();
    assert.equal(done.code, 0);
    assert.match(done.stderr, /^#1 stderr: from the child\n#1 stderr: no newline\n/m);
  }
});

Deno.test("exec: a child that exits early ends its own connection only; the next one is served", async () => {
  const server = await ServerProcess.start(["--sh-exec", "head -c 5"]);
  try {
    // This peer keeps sending after the child stopped reading: it still gets
    // the child's output and its end, then a reset for the bytes that went nowhere.
    const greedy = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const reading = readAll(greedy).catch((e) => `error: ${e}`);
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const sending = (async () => {
      try {
        for (let i = 0; i < 256; i++) await greedy.write(chunk);
        return "all sent";
      } catch (e) {
        return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe
          ? "reset"
          : `${e}`;
      }
    })();
    assert.equal(await within(reading, 10_000, "the greedy peer's reading"), "aaaaa");
    assert.equal(await within(sending, 10_000, "the greedy peer's sending"), "reset");
    greedy.close();
    await server.waitFor(
      /^#1 closed 127\.0\.0\.1:\d+: \d+ bytes in, 5 out; sh \(pid \d+\): \d+ bytes in, 5 out; exit 0; it closed its input early \(0 open\)$/m,
      10_000,
      "#1's closing line",
    );
    const polite = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await polite.write(new TextEncoder().encode("0123456789"));
    await polite.closeWrite();
    assert.equal(await readAll(polite), "01234");
    await server.waitFor(/^#2 closed .*; exit 0 \(\d+ open\)$/m, 10_000, "#2's closing line");
  } finally {
    const out = await server.stop();
    assert.equal(out.code, 0);
  }
});

Deno.test("exec: a child that never reads holds back its peer (bounded), and a stop ends it", async () => {
  const server = await ServerProcess.start(["--drain-timeout", "0.3", "--exec", "sleep", "30"]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    for (;;) {
      const wrote = await Promise.race([
        conn.write(chunk),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000)),
      ]);
      if (wrote === null) break;
      sent += wrote;
      assert.ok(sent < 64 * 1024 * 1024, "the server took 64 MiB for a child that never reads");
    }
    const [child] = await childrenOf(server.pid);
    assert.match(child, /^\s*\d+ S/);
    const out = await server.stop();
    assert.equal(out.code, 0);
    assert.match(
      out.stdout,
      /^#1 closed .*; sleep \(pid \d+\): \d+ bytes in, 0 out; still running, ended \(0 open\)$/m,
    );
    const pid = Number(child.trim().split(/\s+/)[0]);
    const ps = await runCommand("ps", ["-o", "stat=", "-p", String(pid)]);
    assert.equal(ps.stdout.trim(), "", "the child is gone");
    conn.close();
  } finally {
    await server.stop().catch(() => {});
  }
});

Deno.test("exec: a child that ignores SIGTERM is killed 2 s later, and the server waits for it", async () => {
  const ignoring = "import signal, sys, time\n" +
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" +
    "print('ready', flush=True)\n" +
    "time.sleep(30)";
  const server = await ServerProcess.start([
    "--drain-timeout",
    "0.2",
    "--exec",
    "python3",
    "-c",
    ignoring,
  ]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const buf = new Uint8Array(16);
    let said = "";
    while (!said.endsWith("\n")) {
      const n = await within(conn.read(buf), 10_000, "the child's first line");
      said += new TextDecoder().decode(buf.subarray(0, n ?? 0));
    }
    assert.equal(said, "ready\n");
    const [child] = await childrenOf(server.pid);
    const pid = Number(child.trim().split(/\s+/)[0]);
    const started = performance.now();
    const out = await server.stop();
    const took = performance.now() - started;
    assert.equal(out.code, 0);
    // 0.2 s of drain, then 2 s of grace: a tight lower bound, a loose upper one.
    assert.ok(took >= 2150, `exited after ${took.toFixed(0)} ms, before the grace ran out`);
    assert.ok(took < 8000, `exited after ${took.toFixed(0)} ms`);
    const ps = await runCommand("ps", ["-o", "stat=", "-p", String(pid)]);
    assert.equal(ps.stdout.trim(), "", "the child is gone");
  } finally {
    conn.close();
    await server.stop().catch(() => {});
  }
});

Deno.test("exec: a Unix socket and --workers 2 serve children too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-exec-" });
  const path = `${dir}/exec.sock`;
  const unix = await ServerProcess.start([
    "--unix",
    path,
    "--sh-exec",
    'printf "$SOCKDEMO_PROTO "; cat',
  ]);
  try {
    // The test runner may not open Unix sockets itself: a Python peer does.
    const peer = await runCommand("python3", [
      "-c",
      "import socket, sys\n" +
      "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'over unix')\n" +
      "s.shutdown(socket.SHUT_WR); out = b''\n" +
      "while (d := s.recv(100)): out += d\n" +
      "print(out.decode())",
      path,
    ]);
    assert.equal(peer.stdout, "unix over unix\n", peer.stderr);
  } finally {
    assert.equal((await unix.stop()).code, 0);
    await Deno.remove(dir, { recursive: true });
  }
  const workers = await ServerProcess.start(["--workers", "2", "--exec", "cat"]);
  try {
    const peer = await runCommand("python3", [PEER, String(workers.port), "40", "20000", "same"]);
    assert.equal(peer.stdout, "verified 40\n", peer.stderr);
  } finally {
    const out = await workers.stop();
    assert.equal(out.code, 0);
    assert.match(out.stdout, /^Stopped: 40 connections served/m);
    assert.deepEqual(await childrenOf(workers.pid), []);
  }
});

const openssl = await hasOpenssl();
Deno.test({
  name: openssl
    ? "exec: over TLS, the child sees plain bytes"
    : "exec: over TLS: SKIPPED, needs openssl to make its certificates",
  ignore: !openssl,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sockdemo-exec-tls-" });
    try {
      await makeCerts(dir);
      const tls = ["--tls-cert", `${dir}/server.pem`, "--tls-key", `${dir}/server.key`];
      const server = await ServerProcess.start([...tls, "--sh-exec", "tr a-z A-Z"]);
      try {
        const conn = await Deno.connectTls({
          hostname: "localhost",
          port: server.port,
          caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)],
        });
        await conn.write(new TextEncoder().encode("secret"));
        await conn.closeWrite();
        assert.equal(await readAll(conn), "SECRET");
      } finally {
        assert.equal((await server.stop()).code, 0);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("exec: usage errors exit 2, a program that cannot run exits 1, each with one line", async () => {
  const cases: [string[], number, string][] = [
    [
      ["serve", "--exec"],
      2,
      'sockdemo: --exec needs a program: --exec CMD [ARG...], last on the line (try "sockdemo serve --help")\n',
    ],
    [
      ["serve", "--protocol", "app", "--exec", "cat"],
      2,
      'sockdemo: --exec serves each connection with a program; --protocol does not apply (try "sockdemo serve --help")\n',
    ],
    [
      ["serve", "--sh-exec", "cat", "--exec", "cat"],
      2,
      'sockdemo: --exec and --sh-exec cannot be used together: give one program (try "sockdemo serve --help")\n',
    ],
    [
      ["serve", "--pipe", "--sh-exec", "cat"],
      2,
      'sockdemo: --sh-exec serves each connection with a program; --pipe does not apply (try "sockdemo serve --help")\n',
    ],
    [
      ["serve", "--sh-exec", " "],
      2,
      "sockdemo: --sh-exec needs a command line: --sh-exec 'LINE' (try \"sockdemo serve --help\")\n",
    ],
    [
      ["serve", "--port", "0", "--exec", "no-such-program-here"],
      1,
      "sockdemo: cannot run no-such-program-here: not found in PATH\n",
    ],
    [["serve", "--port", "0", "--exec", MAIN], 1, `sockdemo: cannot run ${MAIN}: not executable\n`],
  ];
  for (const [args, code, stderr] of cases) {
    const out = await runSockdemo(args);
    assert.equal(out.code, code, args.join(" "));
    assert.equal(out.stderr.split("\n")[0] + "\n", stderr, args.join(" "));
  }
  const bare = await runCommand(Deno.execPath(), [
    "run",
    "--allow-net",
    MUTANT_ENV,
    MAIN,
    "serve",
    "--port",
    "0",
    "--exec",
    "cat",
  ]);
  assert.equal(bare.code, 1);
  assert.equal(
    bare.stderr,
    "sockdemo: cannot run cat: running programs is not allowed (deno run --allow-run, as the serve task does)\n",
  );
});

Deno.test("exec: --max-conns bounds the children: a connection past it is closed at once and starts none", async () => {
  const server = await ServerProcess.start(["--max-conns", "2", "--exec", "cat"]);
  const conns: Deno.Conn[] = [];
  try {
    const hello = new TextEncoder().encode("hi");
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      await conn.write(hello);
      const buf = new Uint8Array(2);
      assert.equal(await conn.read(buf), 2); // cat is running: its echo came back
    }
    assert.equal((await childrenOf(server.pid)).length, 2);
    const third = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    conns.push(third);
    const closed = await third.read(new Uint8Array(8)).catch(() => null);
    assert.equal(closed, null, "the third connection is closed at once");
    assert.match(server.stdout, /^#3 refused from 127\.0\.0\.1:\d+: 2 open, the limit$/m);
    assert.equal((await childrenOf(server.pid)).length, 2, "and no child started for it");
  } finally {
    for (const conn of conns) conn.close();
    const out = await server.stop();
    assert.equal(out.code, 0, out.stderr);
  }
  assert.deepEqual(await childrenOf(server.pid), []);
});

Deno.test("exec: a stop waits for a child that is still working, within the drain timeout", async () => {
  const server = await ServerProcess.start([
    "--drain-timeout",
    "5",
    "--sh-exec",
    "sleep 0.6; echo done",
  ]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await server.waitFor(/^#1 accepted /m, 10_000, "the accept line");
    const started = performance.now();
    server.signal("SIGINT");
    assert.equal(await within(readAll(conn), 10_000, "the child's output"), "done\n");
    await conn.closeWrite(); // the peer's end: both directions are over
    const out = await server.exited();
    const took = performance.now() - started;
    assert.equal(out.code, 0);
    assert.match(
      out.stdout,
      /^#1 closed .*; sh \(pid \d+\): 0 bytes in, 5 out; exit 0 \(0 open\)$/m,
    );
    assert.ok(took >= 400 && took < 5000, `the stop took ${took.toFixed(0)} ms`);
  } finally {
    conn.close();
    await server.stop().catch(() => {});
  }
});
