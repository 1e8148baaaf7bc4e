/** `serve`'s command line, parsed in process: every setting as the config holds it. */
import assert from "node:assert/strict";
import { usageMessage } from "../harness.ts";
import { parseServe, SERVE_SPEC } from "../../server/serve_options.ts";
import { CannotRead } from "../../lib/checks.ts";
import { helpText } from "../../lib/command_line.ts";

const CERT = new URL("../foreign/faults.py", import.meta.url).pathname; // any readable file

const fails = (args: string[]) => usageMessage("serve", () => parseServe(args));

Deno.test("serve options: the defaults, written out", () => {
  assert.deepEqual(parseServe([]), {
    command: "serve",
    protocol: "echo",
    maxContent: 16_777_216,
    pipe: false,
    exec: null,
    udp: false,
    address: { transport: "tcp", host: "127.0.0.1", port: 65432 },
    tls: null,
    maxConns: Infinity,
    maxBuffer: 268_435_456,
    idleTimeout: 0,
    drainTimeout: 10,
    verbosity: "normal",
    logFormat: "text",
    workers: 1,
    metrics: null,
  });
  assert.equal(parseServe(["--help", "--bogus"]), null);
});

Deno.test("serve options: every option given, short names included", () => {
  assert.deepEqual(
    parseServe([
      "--protocol",
      "app",
      "--host",
      "::1",
      "-p",
      "0",
      "--max-content",
      "100",
      "--max-conns",
      "5",
      "--max-buffer",
      "1MiB",
      "--idle-timeout",
      "2.5",
      "--drain-timeout",
      "0",
      "--workers",
      "3",
      "--log-format",
      "json",
      "--metrics",
      "9464",
      "-q",
    ]),
    {
      command: "serve",
      protocol: "app",
      maxContent: 100,
      pipe: false,
      exec: null,
      udp: false,
      address: { transport: "tcp", host: "::1", port: 0 },
      tls: null,
      maxConns: 5,
      maxBuffer: 1_048_576,
      idleTimeout: 2.5,
      drainTimeout: 0,
      verbosity: "quiet",
      logFormat: "json",
      workers: 3,
      metrics: { transport: "tcp", host: "127.0.0.1", port: 9464 },
    },
  );
  const app = parseServe(["--protocol", "app", "-v", "--listen", "unix:/run/s.sock"])!;
  assert.equal(app.idleTimeout, 300, "an app client that stops talking is let go");
  assert.equal(app.verbosity, "verbose");
  assert.deepEqual(app.address, { transport: "unix", path: "/run/s.sock" });
  assert.equal(parseServe(["--workers", "auto"])!.workers, navigator.hardwareConcurrency);
  assert.deepEqual(parseServe(["--listen", ":7"])!.address, {
    transport: "tcp",
    host: "127.0.0.1",
    port: 7,
  });
  const pipe = parseServe(["--pipe", "--unix", "/s"])!;
  assert.equal(pipe.pipe, true);
  const tls = parseServe(["--tls-cert", CERT, "--tls-key", CERT])!.tls!;
  assert.equal(tls.cert, Deno.readTextFileSync(CERT));
  assert.equal(tls.key, tls.cert);
});

Deno.test("serve options: each mistake is one usage error", () => {
  const cases: [string[], string][] = [
    [["--protocol", "ftp"], '--protocol must be echo or app, not "ftp"'],
    [["--max-content", "10"], "--max-content applies to --protocol app"],
    [["--quiet", "--verbose"], "--quiet and --verbose cannot be used together"],
    [
      ["--unix", "/s", "--workers", "2"],
      "--workers needs TCP (SO_REUSEPORT listeners); a Unix socket is served by one loop",
    ],
    [
      ["--unix", "/s", "--tls-cert", CERT, "--tls-key", CERT],
      "TLS runs over TCP, not a Unix socket",
    ],
    [["--tls-cert", CERT], "--tls-cert and --tls-key go together"],
    [["--tls-key", CERT], "--tls-cert and --tls-key go together"],
    [
      ["--listen", "1", "--host", "h"],
      "--listen takes the place of --host, --port and --unix: give one or the other",
    ],
    [["--port", "65536"], '--port must be an integer from 0 to 65535, not "65536"'],
  ];
  for (
    const name of [
      "protocol",
      "max-content",
      "max-conns",
      "max-buffer",
      "idle-timeout",
      "log-format",
      "workers",
    ]
  ) {
    const value = name === "protocol" ? "echo" : name === "log-format" ? "text" : "1";
    cases.push([
      ["--pipe", `--${name}`, value],
      `--pipe serves one connection byte for byte; --${name} does not apply`,
    ]);
  }
  assert.equal(
    fails(["--metrics", "unix:/run/m.sock"]),
    "--metrics serves HTTP over TCP: give [HOST:]PORT, not a Unix socket",
  );
  for (const [args, message] of cases) assert.equal(fails(args), message, args.join(" "));
  assert.equal(parseServe(["--pipe", "--verbose"])!.verbosity, "verbose", "these do apply");
});

Deno.test("serve options: a TLS file that cannot be read is a runtime failure naming it; the help's groups", () => {
  for (
    const [args, message] of [
      [
        ["--tls-cert", "/no/cert.pem", "--tls-key", CERT],
        "cannot read the TLS certificate /no/cert.pem: no such file or directory",
      ],
      [
        ["--tls-cert", CERT, "--tls-key", "/no/key.pem"],
        "cannot read the TLS key /no/key.pem: no such file or directory",
      ],
    ] as const
  ) {
    assert.throws(
      () => parseServe([...args]),
      (e: Error) => e instanceof CannotRead && e.message === message,
    );
  }
  const help = helpText(SERVE_SPEC);
  assert.match(help, /\n\nOptions:\n/);
  assert.match(help, /\n\nShared by serve and relay:\n {6}--max-conns N /);
});

Deno.test("serve options: --exec takes every word after it as the program's; --sh-exec one line", () => {
  const exec = (args: string[]) => parseServe(args)!.exec;
  assert.deepEqual(exec(["--port", "7", "--exec", "python3", "-u", "x.py", "--port", "8"]), {
    command: "python3",
    args: ["-u", "x.py", "--port", "8"],
    name: "python3 -u x.py --port 8",
  });
  assert.deepEqual(parseServe(["--port", "7", "--exec", "cat", "--port", "8"])!.address, {
    transport: "tcp",
    host: "127.0.0.1",
    port: 7,
  });
  assert.deepEqual(exec(["--exec=grep", "-v", "x"]), {
    command: "grep",
    args: ["-v", "x"],
    name: "grep -v x",
  });
  assert.deepEqual(exec(["--exec", "-x"]), { command: "-x", args: [], name: "-x" });
  assert.equal(parseServe(["--exec", "cat", "--help"])!.exec!.args[0], "--help");
  assert.deepEqual(exec(["--sh-exec", "sort | uniq -c"]), {
    command: "/bin/sh",
    args: ["-c", "sort | uniq -c"],
    name: "sort | uniq -c",
  });
  assert.equal(
    fails(["--exec="]),
    "--exec needs a program: --exec CMD [ARG...], last on the line",
  );
  assert.equal(
    fails(["--max-content", "10", "--sh-exec", "cat"]),
    "--sh-exec serves each connection with a program; --max-content does not apply",
  );
});
