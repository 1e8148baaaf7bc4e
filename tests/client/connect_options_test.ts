/** `connect`'s command line, parsed in process: every setting as the config holds it. */
import assert from "node:assert/strict";
import { usageMessage } from "../harness.ts";
import { CannotRead } from "../../lib/checks.ts";
import { helpText } from "../../lib/command_line.ts";
import {
  clientTls,
  CONNECT_SPEC,
  connectConfig,
  parseConnectLine,
  serverAddress,
} from "../../client/connect_options.ts";

const PEM = new URL("../foreign/faults.py", import.meta.url).pathname; // any readable file

const parse = (args: string[]) => connectConfig(parseConnectLine(args)!);

const fails = (args: string[]) =>
  usageMessage("connect", () => {
    const line = parseConnectLine(args)!;
    if (line.values.pipe) clientTls(line, serverAddress(line));
    else parse(args);
  });

Deno.test("connect options: the guide's conversation by default, written out", () => {
  assert.deepEqual(parse([]), {
    protocol: "echo",
    address: { transport: "tcp", host: "127.0.0.1", port: 65432 },
    tls: null,
    conns: 2,
    workers: 1,
    duration: null,
    warmup: 0,
    rate: null,
    timeout: 10,
    depth: 1,
    json: false,
    interval: 1,
    thresholds: [],
    report: null,
    quiet: false,
    verbose: false,
    keepAlive: false,
    size: null,
    messages: 0,
    texts: ["Message 1 from client.", "Message 2 from client."],
    request: { kind: "search", text: "morpheus" },
    requests: 0,
  });
  assert.equal(parseConnectLine(["--pipe", "-h"]), null);
});

Deno.test("connect options: a load run with iperf3's short names", () => {
  const c = parse([
    "--to",
    "[::1]:7",
    "-P",
    "8",
    "-t",
    "2.5",
    "--size",
    "64",
    "-J",
    "--rate",
    "100",
    "--warmup",
    "1",
    "--timeout",
    "0",
    "--workers",
    "2",
  ]);
  assert.deepEqual(c.address, { transport: "tcp", host: "::1", port: 7 });
  assert.equal(c.conns, 8);
  assert.equal(c.duration, 2.5);
  assert.equal(c.size, 64);
  assert.equal(c.messages, Infinity);
  assert.equal(c.json, true);
  assert.equal(c.rate, 100);
  assert.equal(c.depth, 64, "paced: a window of 64 by default");
  assert.equal(c.warmup, 1);
  assert.equal(c.timeout, 0);
  assert.equal(c.workers, 2);
  const counted = parse(["-p", "9", "--messages", "5", "--size", "10", "--depth", "3", "-q"]);
  assert.equal(counted.messages, 5);
  assert.equal(counted.depth, 3);
  assert.equal(counted.quiet, true);
  assert.deepEqual(counted.address, { transport: "tcp", host: "127.0.0.1", port: 9 });
  assert.deepEqual(parse(["hello", "world"]).texts, ["hello", "world"]);
  const auto = parse(["--workers", "auto", "--conns", "1", "--size", "1", "--messages", "1"]);
  assert.equal(auto.workers, 1, "auto never asks for more workers than connections");
});

Deno.test("connect options: app requests, one or a run", () => {
  const one = parse(["--protocol", "app", "binary", "some", "text", "-v"]);
  assert.deepEqual(one.request, { kind: "binary", text: "some text" });
  assert.equal(one.requests, 1);
  assert.equal(one.conns, 1);
  assert.equal(one.verbose, true);
  const run = parse([
    "--protocol",
    "app",
    "search",
    "ring",
    "--duration",
    "1",
    "--keep-alive",
    "--depth",
    "4",
  ]);
  assert.deepEqual(run.request, { kind: "search", text: "ring" });
  assert.equal(run.requests, Infinity);
  assert.equal(run.keepAlive, true);
  assert.equal(run.depth, 4);
  assert.equal(parse(["--protocol", "app", "--requests", "3"]).requests, 3);
});

Deno.test("connect options: TLS and where to, for a run and for --pipe", () => {
  const pem = Deno.readTextFileSync(PEM);
  assert.deepEqual(parse(["--tls", "--ca", PEM, "--server-name", "svc"]).tls, {
    ca: pem,
    serverName: "svc",
  });
  assert.deepEqual(parse(["--tls"]).tls, { ca: null, serverName: null });
  const pipe = parseConnectLine(["--pipe", "--unix", "/run/s.sock"])!;
  assert.deepEqual(serverAddress(pipe), { transport: "unix", path: "/run/s.sock" });
  assert.equal(clientTls(pipe, serverAddress(pipe)), null);
});

Deno.test("connect options: each mistake is one usage error", () => {
  const cases: [string[], string][] = [
    [["--protocol", "ftp"], '--protocol must be echo or app, not "ftp"'],
    [["--messages", "5"], "--size goes with --messages or --duration"],
    [["--size", "5"], "--size goes with --messages or --duration"],
    [["--size", "5", "--messages", "1", "hi"], "give either --size or MESSAGE arguments, not both"],
    [
      ["--messages", "1", "--duration", "1", "--size", "1"],
      "give --messages or --duration, not both",
    ],
    [
      ["--protocol", "app", "--requests", "1", "--duration", "1"],
      "give --requests or --duration, not both",
    ],
    [[""], "MESSAGE 1 is empty: an empty message sends nothing, so nothing comes back"],
    [["a", ""], "MESSAGE 2 is empty: an empty message sends nothing, so nothing comes back"],
    [["--requests", "1"], "--requests applies to --protocol app"],
    [["--keep-alive"], "--keep-alive applies to --protocol app"],
    [["--verbose"], "--verbose applies to --protocol app"],
    [["--protocol", "app", "--messages", "1"], "--messages applies to --protocol echo"],
    [["--protocol", "app", "--size", "1"], "--size applies to --protocol echo"],
    [["--protocol", "app", "--rate", "1"], "--rate needs --keep-alive with --protocol app"],
    [["--protocol", "app", "--depth", "2"], "--depth needs --keep-alive with --protocol app"],
    [
      ["--protocol", "app", "fetch"],
      'unknown app request "fetch": expected search VALUE or binary TEXT',
    ],
    [["--protocol", "app", "search"], "search needs a VALUE"],
    [["--protocol", "app", "binary"], "binary needs a TEXT"],
    [["--workers", "2"], "--workers needs a load run: give --size with --messages or --duration"],
    [
      ["--protocol", "app", "--workers", "2"],
      "--workers needs a load run: give --conns, --requests, --duration or --json",
    ],
    [
      ["--workers", "3", "--conns", "2", "--size", "1", "--messages", "1"],
      "--workers 3 needs at least 3 --conns",
    ],
    [["--ca", PEM], "--ca goes with --tls"],
    [["--server-name", "x"], "--server-name goes with --tls"],
    [["--tls", "--unix", "/s"], "--tls runs over TCP, not --unix"],
    [
      ["--to", "1", "--port", "2"],
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [["--port", "0"], '--port must be an integer from 1 to 65535, not "0"'],
    [["--pipe", "--tls", "--unix", "/s"], "--tls runs over TCP, not --unix"],
    [
      ["--threshold", "errors==0"],
      "--threshold needs a load run: give --size with --messages or --duration (echo), or --conns, --requests or --duration (app)",
    ],
    [
      ["--report", "r.html", "hello"],
      "--report needs a load run: give --size with --messages or --duration (echo), or --conns, --requests or --duration (app)",
    ],
  ];
  for (const [args, message] of cases) assert.equal(fails(args), message, args.join(" "));
  assert.equal(parse(["--size", "8", "-t", "1", "--report", "r.html"]).report, "r.html");
  assert.equal(parse(["--protocol", "app", "--conns", "2", "--report", "r.html"]).report, "r.html");
  assert.equal(parse(["--protocol", "app", "--json"]).json, true, "a single request may be JSON");
  assert.equal(parse(["--protocol", "app", "--workers", "2", "--conns", "2"]).workers, 2);
});

Deno.test("connect options: an app run paced with --keep-alive, the default request, an unreadable --ca, the groups", () => {
  const paced = parse(["--protocol", "app", "--rate", "5", "--keep-alive"]);
  assert.equal(paced.rate, 5);
  assert.deepEqual(parse(["--protocol", "app"]).request, { kind: "search", text: "morpheus" });
  assert.throws(
    () => parse(["--tls", "--ca", "/no/ca.pem"]),
    (e: Error) =>
      e instanceof CannotRead &&
      e.message === "cannot read the CA certificate /no/ca.pem: no such file or directory",
  );
  const help = helpText(CONNECT_SPEC);
  assert.match(help, /\n\nEcho:\n {6}--messages M /);
  assert.match(help, /\n\nApp:\n {6}--requests M /);
  assert.match(help, /\n\nLoad runs \(echo and app\):\n {2}-P, --conns N /);
  assert.match(help, /\n\nPort checks:\n {2}-z, --check /);
});

Deno.test("connect options: -i and --threshold, repeated, in the order typed", () => {
  const c = parse([
    "--size",
    "8",
    "-t",
    "1",
    "-i",
    "0.25",
    "--threshold",
    "p99<5ms",
    "--threshold",
    "errors==0",
  ]);
  assert.equal(c.interval, 0.25);
  assert.deepEqual(c.thresholds, [
    { text: "p99<5ms", metric: "p99", op: "<", limit: 5000 },
    { text: "errors==0", metric: "errors", op: "==", limit: 0 },
  ]);
  assert.equal(parse(["--size", "8", "-t", "1", "--interval", "0"]).interval, 0);
  assert.equal(parse(["--size", "8", "-t", "1", "--interval", "3600"]).interval, 3600);
  assert.equal(parse(["--size", "8", "-t", "1", "--interval", "0.1"]).interval, 0.1);
  for (const bad of ["0.099", "3600.001", "1.0001", "-1", "1e3", "x"]) {
    assert.throws(
      () => parse(["--size", "8", "-t", "1", "--interval", bad]),
      /--interval must be 0/,
    );
  }
});
