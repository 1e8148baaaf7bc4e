/**
 * The port check's runner with a scripted dialer: dials in flight bounded,
 * outcomes in the targets' order, each dial's deadline, retries while
 * waiting, and how each failure is named.
 */
import assert from "node:assert/strict";
import type { Address } from "../../lib/address.ts";
import type { DialOptions } from "../../lib/transports.ts";
import type { Stream } from "../../lib/loop.ts";
import { type CheckOutcome, checkPorts, RETRY_MS } from "../../client/port_check.ts";

const targets = (n: number): Address[] =>
  Array.from({ length: n }, (_, i) => ({ transport: "tcp", host: "127.0.0.1", port: 1000 + i }));

const stream = (): Stream => ({
  read: () => new Promise(() => {}),
  write: (b) => Promise.resolve(b.length),
  close() {},
});

Deno.test("port check: at most N dials at once; outcomes in the targets' order however they settle", async () => {
  let pending = 0, most = 0;
  const settle: (() => void)[] = [];
  const dialer = (at: Address) => {
    pending++;
    most = Math.max(most, pending);
    return new Promise<Stream>((resolve, reject) => {
      settle.push(() => {
        pending--;
        if ((at as { port: number }).port % 2 === 0) resolve(stream());
        else reject(new Deno.errors.ConnectionRefused("refused"));
      });
    });
  };
  const seen: [number, string][] = [];
  const done = checkPorts({
    targets: targets(7),
    inFlight: 3,
    timeout: 1,
    tls: null,
    waitMs: 0,
    report: (i, o) => seen.push([i, o.kind]),
  }, dialer);
  // Settle the last dialed first, each time.
  while (seen.length < 7) {
    await new Promise((r) => setTimeout(r, 5));
    settle.pop()?.();
  }
  await done;
  assert.equal(most, 3);
  assert.deepEqual(seen, [
    [0, "open"],
    [1, "refused"],
    [2, "open"],
    [3, "refused"],
    [4, "open"],
    [5, "refused"],
    [6, "open"],
  ]);
});

Deno.test("port check: each dial gets the timeout, or what is left of the wait when that is less; 0 is the system's", async () => {
  const given: (number | undefined)[] = [];
  const dialer = (_: Address, options: DialOptions) => {
    given.push(options.timeout);
    return Promise.resolve(stream());
  };
  const plan = { targets: targets(1), inFlight: 1, tls: null, report: () => {} };
  await checkPorts({ ...plan, timeout: 2, waitMs: 0 }, dialer);
  await checkPorts({ ...plan, timeout: 0, waitMs: 0 }, dialer);
  await checkPorts({ ...plan, timeout: 10, waitMs: 500 }, dialer);
  await checkPorts({ ...plan, timeout: 0, waitMs: 300 }, dialer);
  assert.equal(given[0], 2);
  assert.equal(given[1], 0);
  assert.ok(given[2]! > 0.4 && given[2]! <= 0.5, `${given[2]}`);
  assert.ok(given[3]! > 0.2 && given[3]! <= 0.3, `${given[3]}`);
});

Deno.test("port check: waiting, a refused dial is tried again every 100 ms until it answers", async () => {
  assert.equal(RETRY_MS, 100);
  let calls = 0;
  const dialer = () =>
    ++calls < 3
      ? Promise.reject(new Deno.errors.ConnectionRefused("refused"))
      : Promise.resolve(stream());
  const retried: string[] = [];
  let outcome: CheckOutcome | null = null;
  const started = performance.now();
  await checkPorts({
    targets: targets(1),
    inFlight: 1,
    timeout: 1,
    tls: null,
    waitMs: 5000,
    report: (_, o) => outcome = o,
    retried: (_, o) => retried.push(o.kind),
  }, dialer);
  const took = performance.now() - started;
  assert.deepEqual([calls, retried, outcome], [3, ["refused", "refused"], { kind: "open" }]);
  assert.ok(took >= 190 && took < 2000, `two retries took ${took.toFixed(0)} ms`);
  // A wait that runs out ends with the last failure, of a try at its very end.
  let last: CheckOutcome | null = null, tries = 0;
  const short = performance.now();
  await checkPorts({
    targets: targets(1),
    inFlight: 1,
    timeout: 1,
    tls: null,
    waitMs: 250,
    report: (_, o) => last = o,
  }, () => {
    tries++;
    return Promise.reject(new Deno.errors.ConnectionRefused("refused"));
  });
  const waited = performance.now() - short;
  assert.deepEqual(last, { kind: "refused" });
  assert.ok(waited >= 250 && waited < 2000, `a 250 ms wait took ${waited.toFixed(0)} ms`);
  // At 0, 100, 200 and 250 ms (on a busy machine a late timer may leave out one in the middle).
  assert.ok(tries === 4 || tries === 3, `${tries} tries`);
});

Deno.test("port check: a timeout and any other failure are named as such", async () => {
  const kinds: CheckOutcome[] = [];
  const errors = [
    new Deno.errors.TimedOut("timed out after 1 s"),
    new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
  ];
  await checkPorts({
    targets: targets(2),
    inFlight: 2,
    timeout: 1,
    tls: null,
    waitMs: 0,
    report: (_, o) => kinds.push(o),
  }, (at) => Promise.reject(errors[(at as { port: number }).port - 1000]));
  assert.deepEqual(kinds, [{ kind: "timed out" }, { kind: "failed", cause: "permission denied" }]);
});
