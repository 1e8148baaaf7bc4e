/** The connection host's set-up: its listeners, the sessions a config asks for, its lines. */
import assert from "node:assert/strict";
import { Log } from "../../lib/log.ts";
import {
  ACCEPTORS,
  BACKLOG,
  listenFor,
  logListenFailure,
  logTuning,
  SOMAXCONN,
} from "../../server/host.ts";
import { serveSessions } from "../../server/serve_sessions.ts";
import { sessionsFor } from "../../server/sessions_for.ts";
import { parseServe } from "../../server/serve_options.ts";
import { parseRelay } from "../../relay/relay_options.ts";
import { AppSession } from "../../server/app.ts";
import { EchoSession } from "../../server/echo.ts";
import { RelaySession } from "../../relay/relay.ts";
import { captureLog } from "../harness.ts";

Deno.test("host: a loop's listeners share one TCP port, 16 on Linux; a Unix socket gets one", async () => {
  const listeners = await listenFor(parseServe(["-p", "0"])!);
  assert.ok(Array.isArray(listeners));
  try {
    assert.equal(ACCEPTORS, 16);
    assert.equal(listeners.length, 16);
    const ports = new Set(listeners.map((l) => (l.addr as Deno.NetAddr).port));
    assert.equal(ports.size, 1, "one port for all of them");
    assert.ok(![...ports].includes(0), "port 0 asks for a free one");
  } finally {
    for (const l of listeners) l.close();
  }
  const path = await Deno.makeTempFile({ suffix: ".sock" });
  await Deno.remove(path);
  const unix = await listenFor(parseServe(["--unix", path])!);
  assert.ok(Array.isArray(unix));
  assert.equal(unix.length, 1);
  unix[0].close();
  await Deno.remove(path).catch(() => {}); // Deno may have removed it with the listener
});

Deno.test("host: a port in use is one failure, and one error line naming it", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = holder.addr.port;
  try {
    const failed = await listenFor(parseServe(["-p", String(port)])!);
    assert.deepEqual(failed, { address: `127.0.0.1:${port}`, reason: "address already in use" });
    const { log, err } = captureLog();
    logListenFailure(log, failed as { address: string; reason: string });
    assert.deepEqual(err, [`sockdemo: cannot listen on 127.0.0.1:${port}: address already in use`]);
    const json = captureLog("normal", "json");
    logListenFailure(json.log, failed as { address: string; reason: string });
    const { time: _, ...line } = JSON.parse(json.out[0]);
    assert.deepEqual(line, {
      level: "error",
      event: "listen_failed",
      address: `127.0.0.1:${port}`,
      reason: "address already in use",
    });
  } finally {
    holder.close();
  }
});

Deno.test("host: the --verbose tuning line, for TCP and for a Unix socket", () => {
  const { log, out } = captureLog("verbose", "json");
  logTuning(log, true);
  logTuning(log, false);
  const [tcp, unix] = out.map((l) => {
    const { time: _, ...rest } = JSON.parse(l);
    return rest;
  });
  assert.equal(tcp.event, "tuning");
  assert.equal(tcp.backlog, BACKLOG);
  assert.equal(tcp.somaxconn, SOMAXCONN);
  assert.equal(tcp.listeners, 16);
  assert.equal(unix.backlog, undefined, "a Unix socket has no accept queue to speak of");
  assert.equal(unix.listeners, undefined);
  assert.equal(unix.events_set_by, tcp.events_set_by);
  const quiet = captureLog("normal");
  logTuning(quiet.log, true);
  assert.deepEqual(quiet.out, [], "only with --verbose");
});

Deno.test("host: the sessions each config asks for", () => {
  const log = new Log("quiet");
  const echo = sessionsFor(parseServe([])!, log);
  assert.ok(echo.newSession(1) instanceof EchoSession);
  assert.equal(echo.refusal, undefined, "an echo peer is just closed at the limit");
  assert.equal(echo.admit, undefined);
  const app = sessionsFor(parseServe(["--protocol", "app", "--max-content", "10"])!, log);
  const session = app.newSession(1) as AppSession;
  assert.ok(session instanceof AppSession);
  assert.equal(session.limits.maxContent, 10);
  const refusal = app.refusal!(2) as AppSession;
  assert.equal(refusal.limits.discardLimit, 65536);
  assert.equal(refusal.refusal, "server busy");
  const relay = sessionsFor(parseRelay(["--listen", "0", "--to", "1", "--refuse", "1"])!, log);
  assert.ok(relay.newSession(1) instanceof RelaySession);
  assert.equal(relay.admit!(1), "--refuse 1");
});

Deno.test("host: an app session traces its requests only with --verbose", () => {
  const verbose = captureLog("verbose");
  const quiet = captureLog("normal");
  const traced = serveSessions({ protocol: "app", maxContent: 100 }, verbose.log).newSession(
    3,
  ) as AppSession;
  const plain = serveSessions({ protocol: "app", maxContent: 100 }, quiet.log).newSession(
    3,
  ) as AppSession;
  assert.notEqual(traced.trace, null);
  assert.equal(plain.trace, null);
  traced.trace!("a request");
  assert.deepEqual(verbose.out, ["#3 a request"]);
});
