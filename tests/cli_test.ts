import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { runSockdemo } from "./sockdemo_process.ts";

function assertOneLine(text: string): void {
  assert.equal(text.trimEnd().split("\n").length, 1, `expected one line, got: ${text}`);
  assert.doesNotMatch(text, /^\s+at /m, "no stack trace");
}

/** A loopback port that nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** Every option each command takes, written out here: the help texts must name them all. */
const SERVE_OPTIONS = [
  "--protocol",
  "--host",
  "--port",
  "--unix",
  "--pipe",
  "--tls-cert",
  "--tls-key",
  "--max-content",
  "--max-conns",
  "--max-buffer",
  "--idle-timeout",
  "--drain-timeout",
  "--workers",
  "--log-format",
  "--quiet",
  "--verbose",
];
const CONNECT_OPTIONS = [
  "--protocol",
  "--host",
  "--port",
  "--unix",
  "--pipe",
  "--tls",
  "--ca",
  "--server-name",
  "--conns",
  "--messages",
  "--size",
  "--requests",
  "--keep-alive",
  "--duration",
  "--rate",
  "--warmup",
  "--timeout",
  "--depth",
  "--workers",
  "--verbose",
  "--json",
];

Deno.test("cli: the top-level and each command's --help name every option and the exit codes", async () => {
  const top = (await runSockdemo(["--help"])).stdout;
  for (const command of ["serve", "connect", "relay", "merge"]) {
    assert.match(top, new RegExp(`^  ${command} {3,}\\S`, "m"), `top-level help lacks ${command}`);
  }
  assert.match(top, /0 success, 1 a runtime failure .*2 a usage error/s);
  const serve = (await runSockdemo(["serve", "--help"])).stdout;
  for (const option of SERVE_OPTIONS) {
    assert.match(serve, new RegExp(`^ +(-\\w, )?${option} `, "m"), `serve --help lacks ${option}`);
  }
  assert.match(serve, /2 on a usage error/);
  const connect = (await runSockdemo(["connect", "--help"])).stdout;
  for (const option of CONNECT_OPTIONS) {
    assert.match(
      connect,
      new RegExp(`^ +(-\\w, )?${option} `, "m"),
      `connect --help lacks ${option}`,
    );
  }
  assert.match(connect, /1 on a runtime failure .*2 on a\s+usage error/s);
});

Deno.test("cli: --version and --help exit 0, --help in every mode and wherever it comes", async () => {
  const version = await runSockdemo(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `sockdemo ${denoJson.version}\n`);
  const asked = [
    ["--help"],
    ["serve", "--help"],
    ["serve", "--pipe", "-h"],
    ["connect", "-h"],
    ["connect", "--pipe", "--help"],
    ["connect", "--protocol", "app", "search", "x", "--help"],
    ["relay", "--help"],
    ["merge", "--help"],
  ];
  for (const args of asked) {
    // Bounded: a command that took --help for something else would run (serve: for ever).
    const help = await runSockdemo(args, 15_000);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(help.stdout, /Usage/);
  }
});

Deno.test("cli: usage errors exit 2 with one line and a hint", async () => {
  const cases: [string[], string][] = [
    [[], 'sockdemo: missing command: serve, connect, relay or merge (try "sockdemo --help")'],
    [
      ["bogus"],
      'sockdemo: unknown command "bogus": expected serve, connect, relay or merge (try "sockdemo --help")',
    ],
    [["--bogus"], 'sockdemo: unknown option "--bogus" (try "sockdemo --help")'],
    [["serve", "--bogus"], `sockdemo: unknown option '--bogus' (try "sockdemo serve --help")`],
    [
      ["serve", "--port", "70000"],
      'sockdemo: --port must be an integer from 0 to 65535, not "70000" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--port", "-1"],
      'sockdemo: --port must be an integer from 0 to 65535, not "-1" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--port", "http"],
      'sockdemo: --port must be an integer from 0 to 65535, not "http" (try "sockdemo serve --help")',
    ],
    [["serve", "extra"], `sockdemo: unexpected argument 'extra' (try "sockdemo serve --help")`],
    // An option's name is never taken as the value of the one before it.
    [
      ["connect", "--host", "--port", "7000"],
      'sockdemo: --host needs a value (HOST) (try "sockdemo connect --help")',
    ],
    [
      ["serve", "-p", "-q"],
      'sockdemo: -p needs a value (PORT) (try "sockdemo serve --help")',
    ],
    [
      ["serve", "-p", "99999"],
      'sockdemo: --port must be an integer from 0 to 65535, not "99999" (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--pipe", "--conns", "3"],
      "sockdemo: --pipe joins standard input and output to one connection; --conns does not " +
      'apply (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--listen", "8080", "--port", "1"],
      "sockdemo: --listen takes the place of --host, --port and --unix: give one or the other " +
      '(try "sockdemo serve --help")',
    ],
    [
      ["serve", "--idle-timeout", "1000000001"],
      "sockdemo: --idle-timeout must be a non-negative number up to 1000000000, " +
      'not "1000000001" (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--messages", "5"],
      'sockdemo: --size goes with --messages or --duration (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--messages", "5", "--duration", "2", "--size", "10"],
      'sockdemo: give --messages or --duration, not both (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--duration", "soon", "--size", "10"],
      'sockdemo: --duration must be a positive number up to 1000000000, not "soon" (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--protocol", "app", "--rate", "10"],
      'sockdemo: --rate needs --keep-alive with --protocol app (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--log-format", "xml"],
      'sockdemo: --log-format must be text or json, not "xml" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--idle-timeout", "-3"],
      'sockdemo: --idle-timeout must be a non-negative number up to 1000000000, not "-3" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--max-buffer", "lots"],
      'sockdemo: --max-buffer must be a size in bytes (e.g. 1000000, 64KiB, 256MiB) up to 1125899906842624, not "lots" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--max-conns", "0"],
      'sockdemo: --max-conns must be an integer from 1 to 10000000, not "0" (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--timeout", "soon"],
      'sockdemo: --timeout must be a non-negative number up to 1000000000, not "soon" (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--conns", "0"],
      'sockdemo: --conns must be an integer from 1 to 1000000, not "0" (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--protocol", "tcp"],
      'sockdemo: --protocol must be echo or app, not "tcp" (try "sockdemo serve --help")',
    ],
    [
      ["serve", "--max-content", "5"],
      'sockdemo: --max-content applies to --protocol app (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--requests", "3"],
      'sockdemo: --requests applies to --protocol app (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--protocol", "app", "frob", "x"],
      'sockdemo: unknown app request "frob": expected search VALUE or binary TEXT (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--protocol", "app", "search"],
      'sockdemo: search needs a VALUE (try "sockdemo connect --help")',
    ],
    [
      ["connect", ""],
      'sockdemo: MESSAGE 1 is empty: an empty message sends nothing, so nothing comes back (try "sockdemo connect --help")',
    ],
    [
      ["connect", "hello", ""],
      'sockdemo: MESSAGE 2 is empty: an empty message sends nothing, so nothing comes back (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--conns", "-2"],
      'sockdemo: --conns must be an integer from 1 to 1000000, not "-2" (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--protocol", "app", "--depth", "4"],
      'sockdemo: --depth needs --keep-alive with --protocol app (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--workers", "0"],
      'sockdemo: --workers must be auto or an integer from 1 to 1024, not "0" (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--workers", "many", "--size", "8", "--messages", "1"],
      'sockdemo: --workers must be auto or an integer from 1 to 1024, not "many" (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--workers", "2"],
      'sockdemo: --workers needs a load run: give --size with --messages or --duration (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--protocol", "app", "--workers", "2"],
      'sockdemo: --workers needs a load run: give --conns, --requests, --duration or --json (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--workers", "3", "--conns", "2", "--size", "8", "--messages", "1"],
      'sockdemo: --workers 3 needs at least 3 --conns (try "sockdemo connect --help")',
    ],
    [["merge", "--bogus"], `sockdemo: unknown option '--bogus' (try "sockdemo merge --help")`],
    [
      ["serve", "--unix", "/tmp/x.sock", "--port", "7000"],
      'sockdemo: --unix takes the place of --host and --port: give one or the other (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--unix", "/tmp/x.sock", "--host", "::1"],
      'sockdemo: --unix takes the place of --host and --port: give one or the other (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--tls-cert", "/tmp/c.pem"],
      'sockdemo: --tls-cert and --tls-key go together (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--ca", "/tmp/ca.pem"],
      'sockdemo: --ca goes with --tls (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--pipe", "--protocol", "app"],
      'sockdemo: --pipe serves one connection byte for byte; --protocol does not apply (try "sockdemo serve --help")',
    ],
    [
      ["connect", "--size", "8", "--messages", "1", "--threshold", "p95<5ms"],
      'sockdemo: --threshold "p95" is not a metric: use one of p50, p90, p99, p99.9, max, mean, errors, messages, rate, mbps (in "p95<5ms") (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--threshold", "errors==0"],
      'sockdemo: --threshold needs a load run: give --size with --messages or --duration (echo), or --conns, --requests or --duration (app) (try "sockdemo connect --help")',
    ],
    [
      ["connect", "--size", "8", "--messages", "1", "--interval", "0.05"],
      'sockdemo: --interval must be 0 (no intervals) or from 0.1 to 3600 seconds, to the millisecond, not "0.05" (try "sockdemo connect --help")',
    ],
    [
      ["serve", "--metrics", "unix:/tmp/metrics.sock"],
      'sockdemo: --metrics serves HTTP over TCP: give [HOST:]PORT, not a Unix socket (try "sockdemo serve --help")',
    ],
    [
      ["merge", "--threshold", "p99<5weeks", "a.json"],
      'sockdemo: --threshold "weeks" is not a time unit: use us, ms or s (in "p99<5weeks") (try "sockdemo merge --help")',
    ],
    [
      ["serve", "--unix", "/tmp/x.sock", "--workers", "2"],
      'sockdemo: --workers needs TCP (SO_REUSEPORT listeners); a Unix socket is served by one loop (try "sockdemo serve --help")',
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runSockdemo(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertOneLine(r.stderr);
    assert.equal(r.stderr.trimEnd(), message);
    assert.equal(r.stdout, "");
  }
});

Deno.test("cli: connecting to a closed port exits 1 naming the address and 'connection refused'", async () => {
  const port = closedPort();
  const r = await runSockdemo(["connect", "--port", String(port)]);
  assert.equal(r.code, 1);
  assertOneLine(r.stderr);
  assert.equal(
    r.stderr.trimEnd(),
    `sockdemo: cannot connect to 127.0.0.1:${port}: connection refused (is "sockdemo serve" running?) (2 of 2 connections failed)`,
  );
});

Deno.test("cli: a port in use exits 1 with 'address already in use'", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await runSockdemo(["serve", "--port", String(busy.addr.port)]);
    assert.equal(r.code, 1);
    assertOneLine(r.stderr);
    assert.equal(
      r.stderr.trimEnd(),
      `sockdemo: cannot listen on 127.0.0.1:${busy.addr.port}: address already in use`,
    );
  } finally {
    busy.close();
  }
});

Deno.test("cli: a host that does not resolve exits 1 with one line, for serve and connect", async () => {
  const serve = await runSockdemo(["serve", "--host", "no-such-host.invalid", "--port", "0"]);
  assert.equal(serve.code, 1);
  assert.equal(
    serve.stderr,
    "sockdemo: cannot listen on no-such-host.invalid:0: host name not found\n",
  );
  const connect = await runSockdemo(["connect", "--host", "no-such-host.invalid", "--conns", "1"]);
  assert.equal(connect.code, 1);
  assert.equal(
    connect.stderr,
    "sockdemo: cannot connect to no-such-host.invalid:65432: host name not found\n",
  );
});
