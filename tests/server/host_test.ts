/** The connection host's set-up: its listeners, the sessions a config asks for, its lines. */
import type { RelayConfig } from "../../relay/relay_sessions.ts";
import assert from "node:assert/strict";
import { Log } from "../../lib/log.ts";
import {
  ACCEPTORS,
  BACKLOG,
  backlogFor,
  listenFor,
  logListenFailure,
  logTuning,
  serverOptions,
  SOMAXCONN,
  tuningLine,
} from "../../server/host.ts";
import { serveSessions } from "../../server/serve_sessions.ts";
import { sessionsFor } from "../../server/sessions_for.ts";
import { parseServe } from "../../server/serve_options.ts";
import { parseRelay } from "../../relay/relay_options.ts";
import { AppSession } from "../../server/app.ts";
import { EchoSession } from "../../server/echo.ts";
import { RelaySession } from "../../relay/relay.ts";
import { captureLog } from "../harness.ts";
import { DatagramAcceptor } from "../../lib/datagram.ts";

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
  // Deno asks net access for a Unix socket's path, which the test task does not give.
  if ((await Deno.permissions.query({ name: "net" })).state !== "granted") return;
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
  const relay = sessionsFor(
    parseRelay(["--listen", "0", "--to", "1", "--refuse", "1"]) as RelayConfig,
    log,
  );
  assert.ok(relay.newSession(1) instanceof RelaySession);
  assert.equal(relay.admit!(1), "--refuse 1");
});

Deno.test("host: an app session traces its requests only with --verbose", () => {
  const verbose = captureLog("verbose");
  const quiet = captureLog("normal");
  const traced = serveSessions({ protocol: "app", maxContent: 100, exec: null }, verbose.log)
    .newSession(
      3,
    ) as AppSession;
  const plain = serveSessions({ protocol: "app", maxContent: 100, exec: null }, quiet.log)
    .newSession(
      3,
    ) as AppSession;
  assert.notEqual(traced.trace, null);
  assert.equal(plain.trace, null);
  traced.trace!("a request");
  assert.deepEqual(verbose.out, ["#3 a request"]);
});

Deno.test("host: what the server is told: limits, timeouts, an equal part of the budget per worker", () => {
  const log = new Log("quiet");
  const sessions = { newSession: () => new EchoSession() };
  const config = parseServe([
    "--max-conns",
    "7",
    "--max-buffer",
    "1000",
    "--idle-timeout",
    "3",
    "--drain-timeout",
    "4",
    "--workers",
    "3",
  ])!;
  const options = serverOptions(config, sessions, log, undefined, false);
  assert.equal(options.log, log);
  assert.equal(options.maxConns, 7);
  assert.equal(options.maxBuffer, 333, "1000 bytes over 3 workers, rounded down");
  assert.equal(options.idleTimeout, 3);
  assert.equal(options.drainTimeout, 4);
  assert.equal(options.announceDrain, false);
  assert.equal(options.tally, undefined);
  assert.equal(options.newSession, sessions.newSession);
});

Deno.test("host: the accept queue is 4096, or the kernel's cap when lower", () => {
  assert.equal(backlogFor(null), 4096);
  assert.equal(backlogFor(128), 128);
  assert.equal(backlogFor(65535), 4096);
  assert.equal(BACKLOG, backlogFor(SOMAXCONN));
});

Deno.test("host: the tuning line's words, for each source of the events per turn", () => {
  assert.deepEqual(tuningLine({ source: "sockdemo", value: "64" }, 4096, true), {
    text: "Accept queue 4096 per listener (net.core.somaxconn 4096), 16 listeners per loop; " +
      "I/O events per turn 64 (set by sockdemo)",
    fields: {
      backlog: 4096,
      somaxconn: 4096,
      listeners: 16,
      events_per_tick: 64,
      events_set_by: "sockdemo",
    },
  });
  assert.deepEqual(tuningLine({ source: "user", value: "32" }, null, true), {
    text: "Accept queue 4096 per listener (net.core.somaxconn unknown: Deno reads it with " +
      "--allow-all or --allow-ffi), 16 listeners per loop; I/O events per turn 32 (set by you)",
    fields: {
      backlog: 4096,
      somaxconn: null,
      listeners: 16,
      events_per_tick: 32,
      events_set_by: "user",
    },
  });
  assert.deepEqual(tuningLine({ source: "default" }, 128, false), {
    text:
      "I/O events per turn 1024 (Deno's default; --allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK " +
      "lets sockdemo set it, or set it yourself, for fair service at thousands of connections)",
    fields: { events_per_tick: null, events_set_by: "default" },
  });
  const { log, out } = captureLog("verbose");
  logTuning(log, false);
  assert.equal(out.length, 1);
  assert.match(out[0], /^I\/O events per turn /);
});

Deno.test("host: a worker opens its group on the port its coordinator probed, beside the others", async () => {
  const config = parseServe(["-p", "0"])!;
  const first = await listenFor(config);
  assert.ok(Array.isArray(first));
  const port = (first[0].addr as Deno.NetAddr).port;
  try {
    // Probing again would find the first group there: a worker must not.
    const second = await listenFor(config, { transport: "tcp", host: "127.0.0.1", port });
    assert.ok(Array.isArray(second), JSON.stringify(second));
    assert.equal(second.length, 16);
    for (const l of second) l.close();
  } finally {
    for (const l of first) l.close();
  }
});

Deno.test("host: an app session's trace in JSON names the request event and the connection", () => {
  const { log, out } = captureLog("verbose", "json");
  const session = serveSessions({ protocol: "app", maxContent: 100, exec: null }, log).newSession(
    4,
  ) as AppSession;
  session.trace!("request x -> reply y");
  const { time: _, ...line } = JSON.parse(out[0]);
  assert.deepEqual(line, { level: "debug", event: "request", conn: 4 });
});

Deno.test("host: --udp listens with one UDP socket, served as one connection; a port in use is one failure", async () => {
  const listeners = await listenFor(parseServe(["--udp", "-p", "0"])!);
  assert.ok(Array.isArray(listeners) && listeners.length === 1, JSON.stringify(listeners));
  assert.ok(listeners[0] instanceof DatagramAcceptor);
  const port = (listeners[0].addr as Deno.NetAddr).port;
  assert.notEqual(port, 0);
  try {
    const taken = await listenFor(parseServe(["--udp", "-p", String(port)])!);
    assert.deepEqual(taken, { address: `127.0.0.1:${port}`, reason: "address already in use" });
  } finally {
    listeners[0].close();
  }
});
