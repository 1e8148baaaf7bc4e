import assert from "node:assert/strict";
import type { Event, EventType, Key, Stream } from "../../lib/loop.ts";
import { type Connection, newConnection, type Owner } from "../../server/connection.ts";
import { EchoSession } from "../../server/echo.ts";
import { newEntrance } from "../../server/entrance.ts";
import type { Session } from "../../server/session.ts";
import { logDraining, peerOf, Tracer } from "../../server/tracer.ts";
import { fakeKey } from "../fake_key.ts";
import { captureLog } from "../harness.ts";

const tcp = (hostname: string, port: number) =>
  ({ remoteAddr: { transport: "tcp", hostname, port } }) as unknown as Stream;

function keyed(session: Session = new EchoSession()): { conn: Connection; key: Key<Owner> } {
  const conn = newConnection(7, session, false, newEntrance({ newSession: () => session }));
  const key = Object.assign(fakeKey(), {
    stream: tcp("127.0.0.1", 5000),
    bytesRead: 10,
    bytesWritten: 8,
    interest: 1,
  }) as unknown as Key<Owner>;
  conn.key = key;
  return { conn, key };
}

function event(type: EventType, key: Key<Owner>, n = 0, size = n, error: unknown = null) {
  return { type, key, n, size, stream: null, error } as Event<Owner>;
}

Deno.test("tracer: the lines of a connection's life, text and fields", () => {
  const { log, out, err } = captureLog("normal", "json");
  const tracer = new Tracer(log);
  tracer.accepted(7, "127.0.0.1:5000", 3);
  tracer.refused(8, "127.0.0.1:5001", 3);
  tracer.turnedAway(9, "[::1]:5002", "--refuse 0.5");
  tracer.aborted("connection reset by peer");
  tracer.acceptFailed("too many open files");
  const { conn, key } = keyed();
  tracer.busy(conn, 5);
  tracer.closed(conn, key, null, "idle for 3 s", 2);
  tracer.closed(conn, key, "connection reset by peer", null, 1);
  tracer.closed(conn, key, null, null, 0);
  assert.deepEqual(err, []);
  const lines = out.map((l) => {
    const { time: _, ...rest } = JSON.parse(l);
    return rest;
  });
  assert.deepEqual(lines, [
    { level: "info", event: "accepted", conn: 7, peer: "127.0.0.1:5000", open: 3 },
    { level: "info", event: "refused", conn: 8, peer: "127.0.0.1:5001", open: 3 },
    { level: "info", event: "turned_away", conn: 9, peer: "[::1]:5002", reason: "--refuse 0.5" },
    { level: "info", event: "aborted", reason: "connection reset by peer" },
    { level: "error", event: "accept_failed", reason: "too many open files" },
    { level: "info", event: "busy", conn: 7, held: 0 },
    {
      level: "info",
      event: "closed",
      conn: 7,
      peer: "127.0.0.1:5000",
      bytes_in: 10,
      bytes_out: 8,
      open: 2,
      reason: "idle for 3 s",
    },
    {
      level: "error",
      event: "failed",
      conn: 7,
      peer: "127.0.0.1:5000",
      bytes_in: 10,
      bytes_out: 8,
      open: 1,
      reason: "connection reset by peer",
    },
    {
      level: "info",
      event: "closed",
      conn: 7,
      peer: "127.0.0.1:5000",
      bytes_in: 10,
      bytes_out: 8,
      open: 0,
      reason: "done",
    },
  ]);
  const text = captureLog("normal");
  const plain = new Tracer(text.log);
  plain.accepted(7, "127.0.0.1:5000", 3);
  plain.refused(8, "127.0.0.1:5001", 3);
  plain.turnedAway(9, "[::1]:5002", "--refuse 0.5");
  plain.aborted("connection reset by peer");
  plain.acceptFailed("too many open files");
  plain.busy(conn, 5);
  plain.closed(conn, key, null, null, 2);
  plain.closed(conn, key, null, "idle for 3 s", 2);
  plain.closed(conn, key, "connection reset by peer", null, 1);
  assert.deepEqual(text.out, [
    "#7 accepted from 127.0.0.1:5000 (3 open)",
    "#8 refused from 127.0.0.1:5001: 3 open, the limit",
    "#9 turned away from [::1]:5002: --refuse 0.5",
    "a connection was connection reset by peer before it was accepted",
    "#7 server busy: no room for it in the buffer budget for 5 s",
    "#7 closed 127.0.0.1:5000: 10 bytes in, 8 out (2 open)",
    "#7 closed 127.0.0.1:5000: 10 bytes in, 8 out, idle for 3 s (2 open)",
  ]);
  assert.deepEqual(text.err, [
    "sockdemo: accept failed: too many open files; retrying in 100 ms",
    "sockdemo: #7 127.0.0.1:5000: connection reset by peer; closed after 10 bytes in, 8 out",
  ]);
});

Deno.test("tracer: a session's summary ends its closing line; a relay's legs are named", () => {
  const relayish = Object.assign(new EchoSession(), {
    summary: () => ({ text: "target t:1: 3 bytes out, 4 in", fields: { target: "t:1" } }),
    label: () => "target",
  });
  const { conn, key } = keyed(relayish);
  const { log, out, err } = captureLog("verbose");
  const tracer = new Tracer(log);
  tracer.closed(conn, key, null, null, 0);
  tracer.closed(conn, key, "refused", null, 0);
  tracer.event(conn, event("read", key, 5));
  tracer.interest(conn, key, 3);
  assert.deepEqual(out, [
    "#7 closed 127.0.0.1:5000: 10 bytes in, 8 out; target t:1: 3 bytes out, 4 in (0 open)",
    "#7 target read 5 bytes",
    "#7 target interest read -> read+write",
  ]);
  assert.deepEqual(err, [
    "sockdemo: #7 127.0.0.1:5000: refused; closed after 10 bytes in, 8 out; target t:1: 3 bytes out, 4 in",
  ]);
});

Deno.test("tracer: --verbose lines for each event, a partial write, a state and an interest", () => {
  const { log, out } = captureLog("verbose");
  const tracer = new Tracer(log);
  const { conn, key } = keyed();
  key.output.push(new Uint8Array(6), 0, 6);
  for (
    const ev of [
      event("connect", key),
      event("read", key, 12),
      event("write", key, 4, 10),
      event("write", key, 10, 10),
      event("eof", key),
      event("error", key, 0, 0, new Deno.errors.ConnectionReset("reset")),
    ]
  ) tracer.event(conn, ev);
  tracer.state(conn, "paused");
  tracer.interest(conn, key, 2);
  tracer.collected(1000, 12);
  assert.deepEqual(out, [
    "#7 connected",
    "#7 read 12 bytes",
    "#7 wrote 4 of 10 bytes (partial write; 6 still owed)",
    "#7 wrote 10 bytes (6 still owed)",
    "#7 read end of stream (peer half-closed)",
    "#7 error: connection reset by peer",
    "#7 state paused -> echoing (6 bytes owed)",
    "#7 interest read -> write",
    "quiet after 1000 connections opened or closed: full garbage collection (12 ms)",
  ]);
  const quiet = captureLog("normal");
  new Tracer(quiet.log).event(conn, event("read", key, 1));
  assert.deepEqual(quiet.out, [], "per-event lines only when verbose");
  assert.equal(new Tracer(quiet.log).verbose, false);
  assert.equal(new Tracer(quiet.log).normal, true);
});

Deno.test("tracer: a quiet server still says why a connection failed, and nothing of one that closed well", () => {
  const { log, out, err } = captureLog("quiet");
  const tracer = new Tracer(log);
  const { conn, key } = keyed();
  tracer.closed(conn, key, null, null, 1);
  tracer.closed(conn, key, null, "idle for 3 s", 1);
  tracer.closed(conn, key, "connection reset by peer", null, 0);
  assert.deepEqual(out, []);
  assert.equal(err.length, 1);
  assert.match(err[0], /^sockdemo: #7 127\.0\.0\.1:5000: connection reset by peer; closed after /);
});

Deno.test("tracer: peers are named by address, IPv6 in brackets, a Unix one by its path or socket", () => {
  assert.equal(peerOf(tcp("10.0.0.1", 80)), "10.0.0.1:80");
  assert.equal(peerOf(tcp("::1", 80)), "[::1]:80");
  const unix = (path: string | null) =>
    ({ remoteAddr: { transport: "unix", path } }) as unknown as Stream;
  assert.equal(peerOf(unix("/run/c.sock"), "unix:/run/s.sock"), "unix:/run/c.sock");
  assert.equal(peerOf(unix(null), "unix:/run/s.sock"), "unix:/run/s.sock");
  assert.equal(peerOf(unix(""), "unix:/run/s.sock"), "unix:/run/s.sock");
  assert.equal(peerOf(unix(null)), "unix");
  assert.equal(peerOf({} as Stream), "peer");
});

Deno.test("tracer: --verbose lines in JSON: each event's name and fields, a leg's name among them", () => {
  const { log, out } = captureLog("verbose", "json");
  const tracer = new Tracer(log);
  const { conn, key } = keyed();
  key.output.push(new Uint8Array(6), 0, 6);
  for (
    const ev of [
      event("connect", key),
      event("read", key, 12),
      event("write", key, 4, 10),
      event("eof", key),
      event("error", key, 0, 0, new Deno.errors.ConnectionReset("reset")),
    ]
  ) tracer.event(conn, ev);
  tracer.state(conn, "paused");
  tracer.interest(conn, key, 2);
  tracer.collected(1000, 12);
  const legged = keyed(Object.assign(new EchoSession(), { label: () => "client" }));
  tracer.event(legged.conn, event("read", legged.key, 3));
  tracer.interest(legged.conn, legged.key, 3);
  assert.deepEqual(out.map((l) => JSON.parse(l)).map(({ time: _, ...rest }) => rest), [
    { level: "debug", event: "connect", conn: 7 },
    { level: "debug", event: "read", conn: 7, bytes: 12 },
    { level: "debug", event: "write", conn: 7, bytes: 4, offered: 10, owed: 6 },
    { level: "debug", event: "eof", conn: 7 },
    { level: "debug", event: "error", conn: 7, reason: "connection reset by peer" },
    { level: "debug", event: "state", conn: 7, from: "paused", to: "echoing", owed: 6 },
    { level: "debug", event: "interest", conn: 7, from: "read", to: "write" },
    { level: "debug", event: "collect", churn: 1000, ms: 12 },
    { level: "debug", event: "read", conn: 7, leg: "client", bytes: 3 },
    { level: "debug", event: "interest", conn: 7, leg: "client", from: "read", to: "read+write" },
  ]);
});

Deno.test('tracer: a nameless Unix peer\'s closing line names the socket, or "unix" by default', () => {
  const nameless = { remoteAddr: { transport: "unix", path: null } } as unknown as Stream;
  for (
    const [socket, expected] of [[undefined, "unix"], ["unix:/run/s.sock", "unix:/run/s.sock"]]
  ) {
    const { log, out } = captureLog();
    const { conn, key } = keyed();
    Object.assign(key, { stream: nameless });
    new Tracer(log, socket).closed(conn, key, null, null, 0);
    assert.deepEqual(out, [`#7 closed ${expected}: 10 bytes in, 8 out (0 open)`]);
  }
});

Deno.test("tracer: the drain line, in words and as fields", () => {
  const text = captureLog();
  logDraining(text.log, 1, 10);
  logDraining(text.log, 3, 0.5);
  assert.deepEqual(text.out, [
    "Draining 1 open connection for up to 10 s (interrupt again to stop now)",
    "Draining 3 open connections for up to 0.5 s (interrupt again to stop now)",
  ]);
  const json = captureLog("normal", "json");
  logDraining(json.log, 2, 10);
  const { time: _, ...line } = JSON.parse(json.out[0]);
  assert.deepEqual(line, { level: "info", event: "draining", open: 2, seconds: 10 });
});
