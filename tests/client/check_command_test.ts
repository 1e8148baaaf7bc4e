/**
 * `connect --check` in process: the lines and exit codes a script reads,
 * for each kind of outcome, with a scripted dialer where a real one cannot
 * fail that way on loopback; the targets each way of naming them gives.
 */
import assert from "node:assert/strict";
import { captureConsole, usageMessage } from "../harness.ts";
import { checkCommand } from "../../client/check_command.ts";
import { parseConnectLine } from "../../client/connect_options.ts";
import type { Address } from "../../lib/address.ts";
import type { Stream } from "../../lib/loop.ts";
import type { DialOptions } from "../../lib/transports.ts";

/** A stream that is only ever closed: what a dial that answered gives. */
const ANSWERED: Stream = {
  read: () => new Promise(() => {}),
  write: (b) => Promise.resolve(b.length),
  close: () => {},
};

/** A dialer that answers on `open` ports, fails the others as `fail` says, and records each dial. */
function scripted(open: number[], fail: (port: number) => Error) {
  const dialed: string[] = [], timeouts: (number | undefined)[] = [];
  const dialer = (at: Address, options: DialOptions) => {
    dialed.push(at.transport === "tcp" ? `${at.host}:${at.port}` : `unix:${at.path}`);
    timeouts.push(options.timeout);
    const port = at.transport === "tcp" ? at.port : 0;
    return open.includes(port) ? Promise.resolve(ANSWERED) : Promise.reject(fail(port));
  };
  return { dialer, dialed, timeouts };
}

const refused = () => new Deno.errors.ConnectionRefused("Connection refused (os error 111)");

async function check(args: string[], dialer?: ReturnType<typeof scripted>["dialer"]) {
  const line = parseConnectLine(["--check", ...args])!;
  const { result, out, err } = await captureConsole(() => checkCommand(line, dialer));
  return { code: result, out, err };
}

Deno.test("check command: one port that answers, with --host, --to, or a one-port list", async () => {
  const { dialer, dialed } = scripted([80], refused);
  assert.deepEqual(await check(["-p", "80"], dialer), {
    code: 0,
    out: ["127.0.0.1:80 open"],
    err: [],
  });
  assert.deepEqual(await check(["--to", "[::1]:80"], dialer), {
    code: 0,
    out: ["[::1]:80 open"],
    err: [],
  });
  assert.deepEqual(await check(["--host", "localhost", "-p", "80", "-q"], dialer), {
    code: 0,
    out: [],
    err: [],
  });
  assert.deepEqual(await check(["-p", "80-80"], dialer), {
    code: 0,
    out: ["127.0.0.1:80 open"],
    err: [],
  });
  assert.deepEqual(dialed, ["127.0.0.1:80", "::1:80", "localhost:80", "127.0.0.1:80"]);
});

Deno.test("check command: each dial gets --timeout, 10 s when not given", async () => {
  const { dialer, timeouts } = scripted([80], refused);
  await check(["-p", "80"], dialer);
  await check(["-p", "80,81", "--timeout", "0.5"], dialer);
  assert.deepEqual(timeouts, [10, 0.5, 0.5]);
});

Deno.test("check command: why a port did not answer, for each kind of failure", async () => {
  const timedOut = scripted([], () => new Deno.errors.TimedOut("timed out after 1 s"));
  assert.deepEqual(await check(["-p", "81"], timedOut.dialer), {
    code: 1,
    out: [],
    err: ["sockdemo: 127.0.0.1:81 did not answer: timed out"],
  });
  const other = scripted(
    [],
    () => new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
  );
  assert.deepEqual(await check(["-p", "82", "-v"], other.dialer), {
    code: 1,
    out: ["127.0.0.1:82 permission denied"],
    err: ["sockdemo: 127.0.0.1:82 did not answer: permission denied"],
  });
});

Deno.test("check command: a list on another host, in the order given; --verbose names each that did not answer", async () => {
  const { dialer, dialed } = scripted([22, 24], refused);
  assert.deepEqual(await check(["--host", "::1", "-p", "24,21-23"], dialer), {
    code: 0,
    // In the order the list gives them.
    out: ["[::1]:24 open", "[::1]:22 open"],
    err: [],
  });
  assert.deepEqual(dialed.sort(), ["::1:21", "::1:22", "::1:23", "::1:24"]);
  assert.deepEqual(await check(["-p", "21-23", "-v", "--conns", "1"], dialer), {
    code: 0,
    out: ["127.0.0.1:21 refused", "127.0.0.1:22 open", "127.0.0.1:23 refused"],
    err: [],
  });
  assert.deepEqual(await check(["-p", "30,31"], dialer), {
    code: 1,
    out: [],
    err: ["sockdemo: none of 2 ports answered"],
  });
});

Deno.test("check command: --wait --verbose says each try; the error says how long it waited", async () => {
  const { dialer, dialed } = scripted([], refused);
  const started = performance.now();
  const result = await check(["-p", "90", "--wait", "0.25", "-v"], dialer);
  const took = performance.now() - started;
  assert.ok(took >= 250 && took < 3000, `a 0.25 s wait took ${took.toFixed(0)} ms`);
  // Tries at about 0, 100, 200 and 250 ms: each retry said, then the outcome.
  assert.ok(dialed.length >= 3 && dialed.length <= 4, `${dialed.length} dials`);
  assert.deepEqual(result, {
    code: 1,
    out: [
      ...new Array(dialed.length - 1).fill("127.0.0.1:90 refused; trying again"),
      "127.0.0.1:90 refused",
    ],
    err: ["sockdemo: 127.0.0.1:90 did not answer within 0.25 s: refused"],
  });
  const quiet = await check(["-p", "90", "--wait", "0.15"], dialer);
  assert.deepEqual(quiet.out, []);
});

Deno.test("check command: usage errors", async () => {
  // The errors come before any dial: a dialer that is never called.
  const fails = async (args: string[]) => {
    const failure = await checkCommand(parseConnectLine(["--check", ...args])!, () => {
      throw new Error("dialed");
    }).then(() => null, (e) => e);
    return usageMessage("connect", () => {
      throw failure;
    });
  };
  assert.equal(
    await fails(["--unix", "/tmp/s", "--port", "1,2"]),
    "a port list goes with --host, not --to or --unix",
  );
  assert.equal(
    await fails(["--to", "127.0.0.1:1", "--port", "1-2"]),
    "a port list goes with --host, not --to or --unix",
  );
  assert.equal(
    await fails(["--port", "5-x"]),
    '--port "5-x" is not a port or a range of ports (e.g. 80, 20-30, 22,80)',
  );
  assert.equal(
    await fails(["-z", "--rate", "5"]),
    "--check only connects and closes; --rate does not apply",
  );
  // A comma makes it a list, if an empty one.
  assert.equal(
    await fails(["--port", ","]),
    '--port "" is not a port or a range of ports (e.g. 80, 20-30, 22,80)',
  );
  assert.equal(
    await fails(["--to", "127.0.0.1:1", "--port", "80"]),
    "--to takes the place of --host, --port and --unix: give one or the other",
  );
  assert.equal(await fails(["hello"]), "--check sends nothing: give no MESSAGE");
  assert.equal(
    await fails(["--port", "1,3", "--wait", "1"]),
    "--wait waits for one address: give one port, not a list",
  );
});
