/**
 * UDP end to end: `serve --udp` against a Python peer, `connect --udp`
 * against a Python echo server, and `relay --udp` injecting loss,
 * duplication and reordering that `connect --udp` counts exactly; loss
 * rates within statistical bounds; the usage errors.
 */
import assert from "node:assert/strict";
import { Histogram } from "../lib/histogram.ts";
import { runCommand, runSockdemo, ServerProcess, sockdemoCommand } from "./sockdemo_process.ts";

const PEER = new URL("./foreign/udp_peer.py", import.meta.url).pathname;

function freeUdpPort(): number {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

/** A Python UDP echo server; `stop` kills it. */
async function pythonEcho(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = new Deno.Command("python3", { args: [PEER, "echo", "0"], stdout: "piped" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  return {
    port: Number(/^ready (\d+)/.exec(text)![1]),
    stop: async () => {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    },
  };
}

Deno.test("udp: serve --udp echoes each datagram to its sender, from 1 byte to 65,507, two peers in turn", async () => {
  const server = await ServerProcess.start(["--udp"]);
  try {
    assert.match(server.stdout, /^Listening on 127\.0\.0\.1:\d+ \(UDP\)$/m);
    const peer = await runCommand("python3", [
      PEER,
      "send",
      String(server.port),
      "1",
      "1000",
      "65507",
      "64",
    ]);
    assert.equal(peer.stdout, "verified 4\n", peer.stderr);
  } finally {
    const out = await server.stop();
    assert.equal(out.code, 0);
    assert.match(
      out.stdout,
      /^#1 closed udp socket 127\.0\.0\.1:\d+: 66572 bytes in, 66572 out; 4 datagrams in, 4 out \(0 open\)$/m,
    );
  }
});

Deno.test("udp: connect --udp against a Python echo server: every datagram back; --json; nothing there is exit 1", async () => {
  const echo = await pythonEcho();
  try {
    const out = await runSockdemo([
      "connect",
      "--udp",
      "--port",
      String(echo.port),
      "--conns",
      "2",
      "--messages",
      "300",
      "--rate",
      "2000",
      "--size",
      "200",
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /^udp 127\.0\.0\.1:\d+: 2 sockets x 300 datagrams of 200 bytes at 2000\/s each, sent in \d+\.\d\d s$/m,
    );
    assert.match(
      out.stdout,
      /^sent 600, received 600, lost 0 \(0\.00%\), duplicated 0, reordered 0, corrupt 0$/m,
    );
    assert.match(
      out.stdout,
      /^round trip: p50 \d+\.\d+ ms, p99 \d+\.\d+ ms, max \d+\.\d+ ms; jitter \d+\.\d+ ms$/m,
    );
    const json = JSON.parse(
      (await runSockdemo([
        "connect",
        "-u",
        "-p",
        String(echo.port),
        "--messages",
        "50",
        "--rate",
        "1000",
        "--json",
      ])).stdout,
    );
    assert.deepEqual(
      [
        json.mode,
        json.sockets,
        json.size,
        json.sent,
        json.received,
        json.lost,
        json.duplicated,
        json.reordered,
        json.corrupt,
      ],
      ["udp", 1, 64, 50, 50, 0, 0, 0, 0],
    );
    assert.ok(json.rtt_us.p50 > 0 && json.rtt_us.p99 >= json.rtt_us.p50 && json.rtt_us.max > 0);
    assert.equal(typeof json.rtt_histogram, "string");
  } finally {
    await echo.stop();
  }
  const nobody = await runSockdemo([
    "connect",
    "-u",
    "-p",
    String(freeUdpPort()),
    "--messages",
    "5",
    "--timeout",
    "0.3",
  ]);
  assert.equal(nobody.code, 1);
  assert.match(
    nobody.stderr,
    /^sockdemo: no datagram came back from 127\.0\.0\.1:\d+ \(is a UDP echo server there\?\)\n$/,
  );
});

// connect --udp through relay --udp with `faults` to a serve --udp; the relay's stop line and connect's JSON.
async function throughRelay(faults: string[], connect: string[]) {
  const server = await ServerProcess.start(["--udp", "--quiet"]);
  const relay = await ServerProcess.start(
    [
      "--udp",
      "--listen",
      "127.0.0.1:0",
      "--to",
      `127.0.0.1:${server.port}`,
      "--seed",
      "7",
      ...faults,
    ],
    60_000,
    /^Listening on /,
    "relay",
  );
  try {
    const out = await runSockdemo([
      "connect",
      "-u",
      "-p",
      String(relay.port),
      "--json",
      ...connect,
    ]);
    assert.equal(out.code, 0, out.stderr);
    const stopped = await relay.stop();
    const line = /^Stopped: .*$/m.exec(stopped.stdout)![0];
    return { json: JSON.parse(out.stdout), line };
  } finally {
    await relay.stop();
    await server.stop();
  }
}

Deno.test("udp: loss, duplication and reordering injected by relay --udp are counted exactly by connect --udp", async () => {
  const { json, line } = await throughRelay(
    ["--loss", "up:0.1", "--duplicate", "up:0.05", "--reorder", "up:0.05"],
    ["--conns", "2", "--messages", "1000", "--rate", "2000"],
  );
  const m =
    /up: (\d+) lost, (\d+) duplicated, (\d+) reordered; down: 0 lost, 0 duplicated, 0 reordered/
      .exec(line)!;
  assert.ok(m !== null, line);
  assert.deepEqual(
    [json.lost, json.duplicated, json.reordered, json.corrupt],
    [Number(m[1]), Number(m[2]), Number(m[3]), 0],
  );
  assert.ok(json.lost > 0 && json.duplicated > 0 && json.reordered > 0, line);
});

Deno.test("udp: relay --udp --loss 0.01 and 0.1 lose that share, within 4.5 standard deviations", async () => {
  for (const rate of [0.01, 0.1]) {
    const n = 4000;
    const { json } = await throughRelay(["--loss", `up:${rate}`], [
      "--conns",
      "4",
      "--messages",
      "1000",
      "--rate",
      "2000",
    ]);
    assert.equal(json.sent, n);
    const mean = n * rate, sd = Math.sqrt(n * rate * (1 - rate));
    assert.ok(
      Math.abs(json.lost - mean) <= 4.5 * sd,
      `loss ${rate}: ${json.lost} of ${n}, expected ${mean} ± ${4.5 * sd}`,
    );
  }
});

Deno.test("udp: usage errors exit 2 with one line", async () => {
  const cases: [string[], string, string][] = [
    [
      ["connect", "-u", "--size", "65508"],
      "--udp datagrams are 12 to 65507 bytes (--size 65508)",
      "connect",
    ],
    [
      ["connect", "-u", "--size", "8"],
      "--udp datagrams are 12 to 65507 bytes (--size 8)",
      "connect",
    ],
    [["connect", "-u", "--tls"], "--udp sends datagrams; --tls does not apply", "connect"],
    [
      ["connect", "-u", "hello"],
      "--udp sends generated datagrams: give --size, not MESSAGE",
      "connect",
    ],
    [
      ["serve", "-u", "--sh-exec", "cat"],
      "--udp echoes datagrams; --sh-exec does not apply",
      "serve",
    ],
    [
      ["serve", "-u", "--workers", "2"],
      "--udp echoes datagrams; --workers does not apply",
      "serve",
    ],
    [
      ["relay", "--listen", "1", "--to", "2", "--loss", "0.1"],
      "--loss applies to datagrams: give --udp",
      "relay",
    ],
    [
      ["relay", "-u", "--listen", "1", "--to", "2", "--loss", "1.5"],
      '--loss must be a number from 0 to 1, not "1.5"',
      "relay",
    ],
    [
      ["relay", "-u", "--listen", "1", "--to", "2", "--refuse", "0.5"],
      "--udp relays datagrams; --refuse does not apply",
      "relay",
    ],
    [["relay", "-u", "--to", "2"], "--listen ADDR is required (e.g. 127.0.0.1:5353)", "relay"],
  ];
  for (const [args, message, command] of cases) {
    const out = await runSockdemo(args);
    assert.equal(out.code, 2, args.join(" "));
    assert.equal(
      out.stderr,
      `sockdemo: ${message} (try "sockdemo ${command} --help")\n`,
      args.join(" "),
    );
  }
});

Deno.test("udp: connect --udp --pipe is nc -u: each read of standard input one datagram, each reply to standard output", async () => {
  const echo = await pythonEcho();
  try {
    const [cmd, args] = sockdemoCommand([
      "connect",
      "-u",
      "--pipe",
      "-p",
      String(echo.port),
      "--timeout",
      "0.3",
    ]);
    const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("first datagram\n"));
    await new Promise((r) => setTimeout(r, 100));
    await writer.write(new TextEncoder().encode("second\n"));
    await writer.close();
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout), "first datagram\nsecond\n");
  } finally {
    await echo.stop();
  }
  const misuse = await runSockdemo(["connect", "-u", "--pipe", "--size", "100"]);
  assert.equal(misuse.code, 2);
  assert.equal(
    misuse.stderr,
    'sockdemo: --udp --pipe sends what standard input gives; --size does not apply (try "sockdemo connect --help")\n',
  );
});

Deno.test("udp: merge adds up connect --udp --json reports; a mix with TCP runs, or a broken one, is one line and exit 1", async () => {
  const echo = await pythonEcho();
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-udp-merge-" });
  try {
    const lines: string[] = [];
    for (const conns of ["1", "2"]) {
      const out = await runSockdemo([
        "connect",
        "-u",
        "-p",
        String(echo.port),
        "--conns",
        conns,
        "--messages",
        "100",
        "--rate",
        "2000",
        "--json",
      ]);
      assert.equal(out.code, 0, out.stderr);
      lines.push(out.stdout.trim());
    }
    await Deno.writeTextFile(`${dir}/runs.json`, lines.join("\n") + "\n");
    const merged = await runSockdemo(["merge", `${dir}/runs.json`]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(
      merged.stdout,
      /^udp: 2 runs merged, 3 sockets\nsent 300, received 300, lost 0 \(0\.00%\), duplicated 0, reordered 0, corrupt 0\nround trip: /,
    );
    const json = JSON.parse((await runSockdemo(["merge", "--json", `${dir}/runs.json`])).stdout);
    assert.deepEqual([json.mode, json.runs, json.sockets, json.sent, json.received], [
      "udp",
      2,
      3,
      300,
      300,
    ]);
    const tcp = JSON.stringify({
      conns: 1,
      messages: 1,
      bytes_sent: 1,
      bytes_received: 1,
      errors: 0,
      started_at: 1,
      ended_at: 2,
      histogram: new Histogram().encode(),
    });
    await Deno.writeTextFile(`${dir}/mixed.json`, `${lines[0]}\n${tcp}\n`);
    const mixed = await runSockdemo(["merge", `${dir}/mixed.json`]);
    assert.deepEqual([mixed.code, mixed.stderr], [
      1,
      "sockdemo: the reports mix UDP and TCP runs: merge each kind apart\n",
    ]);
    const broken = JSON.stringify({ ...JSON.parse(lines[0]), received: 1000 });
    await Deno.writeTextFile(`${dir}/broken.json`, `${broken}\n`);
    const bad = await runSockdemo(["merge", `${dir}/broken.json`]);
    assert.deepEqual([bad.code, bad.stderr], [
      1,
      `sockdemo: ${dir}/broken.json line 1: more datagrams received than sent\n`,
    ]);
  } finally {
    await echo.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
