/** `relay`'s command line, parsed in process: every setting as the config holds it. */
import assert from "node:assert/strict";
import { usageMessage } from "../harness.ts";
import { parseRelay, RELAY_SPEC } from "../../relay/relay_options.ts";
import { CannotRead } from "../../lib/checks.ts";
import { helpText } from "../../lib/command_line.ts";
import { listeningLine } from "../../relay/relay_command.ts";
import type { RelayConfig } from "../../relay/relay_sessions.ts";

const PEM = new URL("../foreign/faults.py", import.meta.url).pathname; // any readable file
const OFF = {
  delay: 0,
  jitter: 0,
  bandwidth: Infinity,
  resetAfter: Infinity,
  stallAfter: Infinity,
};

const fails = (args: string[]) => usageMessage("relay", () => parseRelay(args));

/** A plain relay's config (not one through the API). */
function relayOf(args: string[]): RelayConfig {
  const config = parseRelay(args);
  assert.ok(config !== null && config.command === "relay");
  return config;
}

Deno.test("relay options: the defaults, written out", () => {
  const config = relayOf(["--listen", "8080", "--to", ":9000", "--seed", "7"]);
  assert.deepEqual(config, {
    command: "relay",
    to: { transport: "tcp", host: "127.0.0.1", port: 9000 },
    toTls: null,
    connectTimeout: 10,
    up: OFF,
    down: OFF,
    refuse: 0,
    seed: 7,
    address: { transport: "tcp", host: "127.0.0.1", port: 8080 },
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
  assert.equal(parseRelay(["-h"]), null);
  const seeds = new Set(
    Array.from({ length: 5 }, () => relayOf(["--listen", "1", "--to", "2"]).seed),
  );
  assert.ok(seeds.size > 1, "without --seed, a random one each run");
});

Deno.test("relay options: faults each way, TLS both sides, and the shared options", () => {
  const config = relayOf([
    "--listen",
    "[::1]:0",
    "--to",
    "unix:/run/app.sock",
    "--delay",
    "50",
    "--jitter",
    "up:5",
    "--bandwidth",
    "down:1000",
    "--reset-after",
    "up:10",
    "--reset-after",
    "down:20",
    "--stall-after",
    "7",
    "--refuse",
    "0.5",
    "--seed",
    "4294967295",
    "-w",
    "0.5",
    "--idle-timeout",
    "3",
    "--max-conns",
    "9",
    "-v",
  ])!;
  assert.deepEqual(config.up, {
    delay: 50,
    jitter: 5,
    bandwidth: Infinity,
    resetAfter: 10,
    stallAfter: 7,
  });
  assert.deepEqual(config.down, {
    delay: 50,
    jitter: 0,
    bandwidth: 1000,
    resetAfter: 20,
    stallAfter: 7,
  });
  assert.deepEqual(config.address, { transport: "tcp", host: "::1", port: 0 });
  assert.deepEqual(config.to, { transport: "unix", path: "/run/app.sock" });
  assert.equal(config.refuse, 0.5);
  assert.equal(config.seed, 4294967295);
  assert.equal(config.connectTimeout, 0.5);
  assert.equal(config.idleTimeout, 3);
  assert.equal(config.maxConns, 9);
  assert.equal(config.verbosity, "verbose");
  const tls = relayOf([
    "--listen",
    "0",
    "--to",
    "h:443",
    "--listen-tls-cert",
    PEM,
    "--listen-tls-key",
    PEM,
    "--to-tls",
    "--to-ca",
    PEM,
    "--to-server-name",
    "svc.internal",
  ])!;
  const pem = Deno.readTextFileSync(PEM);
  assert.deepEqual(tls.tls, { cert: pem, key: pem });
  assert.deepEqual(tls.toTls, { ca: pem, serverName: "svc.internal" });
  assert.deepEqual(relayOf(["--listen", "0", "--to", "h:443", "--to-tls"]).toTls, {
    ca: null,
    serverName: null,
  });
});

Deno.test("relay options: each mistake is one usage error", () => {
  const base = ["--listen", "0", "--to", "1"];
  const cases: [string[], string][] = [
    [["--to", "1"], "--listen ADDR is required (e.g. 127.0.0.1:8080)"],
    [["--listen", "0"], "--to ADDR is required (e.g. 127.0.0.1:80)"],
    [["--listen", "0", "--to", "0"], '--to the port must be an integer from 1 to 65535, not "0"'],
    [[...base, "--to-ca", PEM], "--to-ca applies with --to-tls"],
    [[...base, "--to-server-name", "x"], "--to-server-name applies with --to-tls"],
    [["--listen", "0", "--to", "unix:/s", "--to-tls"], "TLS runs over TCP, not a Unix socket"],
    [
      [...base, "--delay", "up:x"],
      '--delay must be an integer from 0 to 9007199254740991, not "x"',
    ],
    [
      [...base, "--delay", "sideways:5"],
      '--delay must be an integer from 0 to 9007199254740991, not "sideways:5"',
    ],
    [
      [...base, "--jitter", "-1"],
      '--jitter must be an integer from 0 to 9007199254740991, not "-1"',
    ],
    [
      [...base, "--bandwidth", "0"],
      '--bandwidth must be an integer from 1 to 9007199254740991, not "0"',
    ],
    [
      [...base, "--reset-after", "down:0"],
      '--reset-after must be an integer from 1 to 9007199254740991, not "0"',
    ],
    [
      [...base, "--stall-after", "0"],
      '--stall-after must be an integer from 1 to 9007199254740991, not "0"',
    ],
    [[...base, "--refuse", "1.5"], '--refuse must be a number from 0 to 1, not "1.5"'],
    [
      [...base, "--seed", "4294967296"],
      '--seed must be an integer from 0 to 4294967295, not "4294967296"',
    ],
    [
      [...base, "-w", "x"],
      '--connect-timeout must be a non-negative number up to 1000000000, not "x"',
    ],
    [[...base, "--listen-tls-cert", PEM], "--listen-tls-cert and --listen-tls-key go together"],
  ];
  for (const [args, message] of cases) assert.equal(fails(args), message, args.join(" "));
  assert.deepEqual(relayOf([...base, "--delay", "0"]).up, OFF, "a delay of 0 is no delay");
});

Deno.test("relay first line: where, how, the faults with their seed, and resets that cannot be RSTs", () => {
  const plain = listeningLine(
    relayOf(["--listen", "0", "--to", "9", "--seed", "1"]),
    "127.0.0.1:5",
    true,
  );
  assert.deepEqual(plain, {
    text: "Listening on 127.0.0.1:5, relaying to 127.0.0.1:9",
    fields: {
      address: "127.0.0.1:5",
      protocol: "relay",
      target: "127.0.0.1:9",
      tls: false,
      to_tls: false,
      workers: 1,
      faults: "",
      seed: 1,
      resets: "rst",
    },
  });
  const busy = listeningLine(
    relayOf([
      "--listen",
      "0",
      "--to",
      "[::1]:9",
      "--listen-tls-cert",
      PEM,
      "--listen-tls-key",
      PEM,
      "--to-tls",
      "--workers",
      "2",
      "--delay",
      "50",
      "--jitter",
      "up:5",
      "--bandwidth",
      "down:1000",
      "--reset-after",
      "10",
      "--stall-after",
      "up:20",
      "--refuse",
      "0.25",
      "--seed",
      "3",
    ]),
    "127.0.0.1:5",
    false,
  );
  assert.equal(
    busy.text,
    "Listening on 127.0.0.1:5, relaying to [::1]:9 (TLS in, TLS out, 2 workers); faults: " +
      "delay 50 ms, jitter 5 ms up, off down, bandwidth off up, 1000 B/s down, " +
      "reset-after 10 bytes, stall-after 20 bytes up, off down, refuse 0.25; seed 3; " +
      "resets pass on as FINs (an RST needs Linux, glibc and --allow-ffi)",
  );
  assert.equal(busy.fields.resets, "fin");
  assert.equal(busy.fields.tls, true);
  assert.equal(busy.fields.to_tls, true);
  assert.equal(busy.fields.workers, 2);
});

Deno.test("relay options: a --to-ca that cannot be read names itself; faults have a heading of their own", () => {
  assert.throws(
    () => relayOf(["--listen", "0", "--to", "1", "--to-tls", "--to-ca", "/no/ca.pem"]),
    (e: Error) =>
      e instanceof CannotRead &&
      e.message === "cannot read the CA certificate /no/ca.pem: no such file or directory",
  );
  assert.match(
    helpText(RELAY_SPEC),
    /\n\nFaults, each for both directions unless DIR \(up: client to target, down:\ntarget to client\) comes first, as in --delay up:50; give one twice for both:\n {6}--delay \[DIR:\]MS /,
  );
  assert.equal(
    fails(["--listen", "0", "--to", "1", "--delay", "up:"]),
    '--delay must be an integer from 0 to 9007199254740991, not ""',
  );
  assert.deepEqual(relayOf(["--listen", "0", "--to", "1", "--delay", "down:3"]).up.delay, 0);
});

Deno.test("relay options: --api takes no TLS, no Unix socket, and --listen with --to", () => {
  const api = ["--api", "8474"];
  assert.equal(
    fails(["--api", "unix:/tmp/a.sock"]),
    "--api serves HTTP over TCP, not a Unix socket",
  );
  assert.equal(
    fails([...api, "--listen", "1", "--to", "2", "--to-tls"]),
    "--to-tls does not apply with --api: its proxies speak plain TCP, as Toxiproxy's",
  );
  assert.equal(
    fails([...api, "--listen", "1"]),
    "--listen and --to go together: with --api, both or neither",
  );
  assert.equal(
    fails([...api, "--listen", "1", "--to", "unix:/s"]),
    "--to must be a TCP address with --api",
  );
  assert.equal(
    fails(["--config", "p.json", "--listen", "1", "--to", "2"]),
    "--config applies with --api",
  );
  assert.equal(
    fails([...api, "--delay", "5"]),
    "with --api, faults need --listen/--to (the proxy they apply to), or come as toxics",
  );
});

Deno.test("relay options: --api alone, and with --listen/--to, its faults as toxics, and --config", () => {
  assert.deepEqual(parseRelay(["--api", "8474", "--seed", "3"]), {
    command: "relay-api",
    first: null,
    proxies: null,
    connectTimeout: 10,
    seed: 3,
    address: { transport: "tcp", host: "127.0.0.1", port: 8474 },
    tls: null,
    maxConns: Infinity,
    maxBuffer: 268435456,
    idleTimeout: 0,
    drainTimeout: 10,
    verbosity: "normal",
    logFormat: "text",
    workers: 1,
    metrics: null,
  });
  const both = parseRelay([
    ...["--api", ":0", "--listen", "8080", "--to", "9000", "--config", PEM],
    ...["--delay", "up:5", "--refuse", "0.25"],
  ]);
  assert.ok(both !== null && both.command === "relay-api");
  assert.deepEqual(both.first, {
    listen: { transport: "tcp", host: "127.0.0.1", port: 8080 },
    to: { transport: "tcp", host: "127.0.0.1", port: 9000 },
    toxics: [
      {
        name: "latency_upstream",
        type: "latency",
        stream: "upstream",
        toxicity: 1,
        attributes: { latency: 5, jitter: 0 },
      },
      { name: "refuse", type: "refuse", stream: "downstream", toxicity: 0.25, attributes: {} },
    ],
  });
  assert.equal(both.proxies?.path, PEM);
  assert.equal(both.proxies?.text, Deno.readTextFileSync(PEM));
});

Deno.test("relay options: --api takes the host's settings and its own, and names a --config it cannot read", () => {
  const config = parseRelay(["--api", "8474", "--idle-timeout", "5", "-w", "3"]);
  assert.ok(config !== null && config.command === "relay-api");
  assert.deepEqual([config.idleTimeout, config.connectTimeout], [5, 3]);
  assert.throws(
    () => parseRelay(["--api", "8474", "--config", "/no/such/proxies.json"]),
    (e) =>
      e instanceof CannotRead &&
      e.message.startsWith("cannot read the proxies of /no/such/proxies.json: "),
  );
});
