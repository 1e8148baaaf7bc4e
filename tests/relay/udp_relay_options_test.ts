/** `relay --udp`'s command line, parsed in process: every setting as the config holds it. */
import assert from "node:assert/strict";
import { usageMessage } from "../harness.ts";
import { parseRelay } from "../../relay/relay_options.ts";
import type { UdpRelayConfig } from "../../relay/udp_relay_options.ts";

const OFF = { loss: 0, duplicate: 0, reorder: 0, delay: 0, jitter: 0, bandwidth: Infinity };

function udpOf(args: string[]): UdpRelayConfig {
  const config = parseRelay(["--udp", ...args]);
  assert.ok(config !== null && config.command === "relay-udp");
  return config;
}

const fails = (args: string[]) => usageMessage("relay", () => parseRelay(["--udp", ...args]));

Deno.test("udp relay options: the defaults, written out", () => {
  assert.deepEqual(udpOf(["--listen", "5353", "--to", "[::1]:53", "--seed", "3"]), {
    command: "relay-udp",
    listen: { transport: "tcp", host: "127.0.0.1", port: 5353 },
    to: { transport: "tcp", host: "::1", port: 53 },
    up: OFF,
    down: OFF,
    seed: 3,
    idleTimeout: 60,
    verbosity: "normal",
    logFormat: "text",
  });
  const a = udpOf(["--listen", "1", "--to", "2"]).seed,
    b = udpOf(["--listen", "1", "--to", "2"]).seed;
  assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32);
  assert.notEqual(a, b, "a seed drawn each run");
});

Deno.test("udp relay options: each fault both ways, or one way with up: and down:; the last given wins", () => {
  const c = udpOf([
    "--listen",
    "1",
    "--to",
    "2",
    "--loss",
    "0.1",
    "--loss",
    "down:0.2",
    "--duplicate",
    "up:0.3",
    "--reorder",
    "0.4",
    "--delay",
    "down:50",
    "--jitter",
    "3600000",
    "--bandwidth",
    "up:1000",
    "--idle-timeout",
    "0",
    "--quiet",
    "--log-format",
    "json",
  ]);
  assert.deepEqual(c.up, {
    loss: 0.1,
    duplicate: 0.3,
    reorder: 0.4,
    delay: 0,
    jitter: 3_600_000,
    bandwidth: 1000,
  });
  assert.deepEqual(c.down, {
    loss: 0.2,
    duplicate: 0,
    reorder: 0.4,
    delay: 50,
    jitter: 3_600_000,
    bandwidth: Infinity,
  });
  assert.deepEqual([c.idleTimeout, c.verbosity, c.logFormat], [0, "quiet", "json"]);
  assert.equal(udpOf(["--listen", "1", "--to", "2", "-v"]).verbosity, "verbose");
  assert.deepEqual(udpOf(["--listen", "1", "--to", "2", "--bandwidth", "1"]).down.bandwidth, 1);
});

Deno.test("udp relay options: usage errors name the option and the bound", () => {
  const at = ["--listen", "1", "--to", "2"];
  assert.equal(fails(["--to", "2"]), "--listen ADDR is required (e.g. 127.0.0.1:5353)");
  assert.equal(fails(["--listen", "1"]), "--to ADDR is required (e.g. 127.0.0.1:53)");
  assert.equal(
    fails(["--listen", "unix:/tmp/a", "--to", "2"]),
    "--udp needs HOST:PORT addresses, not unix:PATH",
  );
  assert.equal(
    fails(["--listen", "1", "--to", "unix:/tmp/b"]),
    "--udp needs HOST:PORT addresses, not unix:PATH",
  );
  assert.equal(fails([...at, "-q", "-v"]), "--quiet and --verbose cannot be used together");
  assert.equal(
    fails([...at, "--loss", "up:1.5"]),
    '--loss must be a number from 0 to 1, not "1.5"',
  );
  assert.equal(
    fails([...at, "--duplicate", "-0.1"]),
    '--duplicate must be a number from 0 to 1, not "-0.1"',
  );
  assert.equal(
    fails([...at, "--delay", "3600001"]),
    '--delay must be an integer from 0 to 3600000, not "3600001"',
  );
  assert.equal(
    fails([...at, "--jitter", "down:x"]),
    '--jitter must be an integer from 0 to 3600000, not "x"',
  );
  assert.equal(
    fails([...at, "--bandwidth", "0"]),
    '--bandwidth must be an integer from 1 to 9007199254740991, not "0"',
  );
  assert.equal(
    fails([...at, "--workers", "2"]),
    "--udp relays datagrams; --workers does not apply",
  );
  assert.equal(fails([...at, "--api", "8474"]), "--udp relays datagrams; --api does not apply");
});
