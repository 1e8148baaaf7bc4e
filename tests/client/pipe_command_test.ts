/** `connect --pipe`'s command line, parsed in process: what a pipe takes, and what it refuses. */
import assert from "node:assert/strict";
import { pipePlan } from "../../client/pipe_command.ts";
import { parseConnectLine } from "../../client/connect_options.ts";
import { usageMessage } from "../harness.ts";

const PEM = new URL("../foreign/faults.py", import.meta.url).pathname; // any readable file

const plan = (args: string[]) => pipePlan(parseConnectLine(["--pipe", ...args])!);
const fails = (args: string[]) => usageMessage("connect", () => plan(args));

Deno.test("pipe command: every option a pipe takes, and the defaults", () => {
  assert.deepEqual(plan(["--to", "127.0.0.1:7"]), {
    at: { transport: "tcp", host: "127.0.0.1", port: 7 },
    tls: null,
    timeout: 10,
    verbose: false,
  });
  assert.deepEqual(plan(["--host", "::1", "--port", "8", "--timeout", "2.5", "--verbose"]), {
    at: { transport: "tcp", host: "::1", port: 8 },
    tls: null,
    timeout: 2.5,
    verbose: true,
  });
  assert.deepEqual(plan(["--unix", "/run/s.sock", "--quiet"]).at, {
    transport: "unix",
    path: "/run/s.sock",
  });
  const tls = plan(["--to", "h:443", "--tls", "--ca", PEM, "--server-name", "svc"]);
  assert.deepEqual(tls.tls, { ca: Deno.readTextFileSync(PEM), serverName: "svc" });
});

Deno.test("pipe command: options of a load run, and messages, are usage errors", () => {
  assert.equal(
    fails(["--to", "h:7", "--conns", "2"]),
    "--pipe joins standard input and output to one connection; --conns does not apply",
  );
  assert.equal(
    fails(["--to", "h:7", "--json"]),
    "--pipe joins standard input and output to one connection; --json does not apply",
  );
  assert.equal(
    fails(["--to", "h:7", "hello"]),
    "--pipe sends standard input: give no MESSAGE arguments",
  );
});
