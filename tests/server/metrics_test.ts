/**
 * `--metrics`: the families a snapshot makes, the endpoint's answers, and
 * counters that move while connections are open, equal to the summary at the end.
 */
import assert from "node:assert/strict";
import { metricsAnswer, serveMetrics } from "../../server/metrics_endpoint.ts";
import type { Server } from "../../server/server.ts";
import { postSnapshots } from "../../server/snapshot_poster.ts";
import { MetricsBoard } from "../../server/metrics_board.ts";
import {
  countError,
  entranceFigures,
  errorKind,
  liveStats,
  type ServerSnapshot,
} from "../../server/server_metrics.ts";
import type { Connection } from "../../server/connection.ts";
import { newEntrance } from "../../server/entrance.ts";
import { emptyStats } from "../../server/server_stats.ts";
import { runSockdemo, ServerProcess } from "../sockdemo_process.ts";
import type { HttpRequest } from "../../lib/http_codec.ts";

// The value of the sample `series` (name and labels as printed) in `text`, or undefined.
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function snapshot(accepted: number, extra: Partial<ServerSnapshot> = {}): ServerSnapshot {
  return {
    stats: { ...emptyStats(), accepted, bytesIn: 100 * accepted, bytesOut: 90 * accepted },
    open: 2,
    lingering: 0,
    errors: {},
    budget: null,
    entrances: [],
    ...extra,
  };
}

Deno.test("metrics: one thread's counters unlabelled; every error kind exported, 0 until it happens", () => {
  const board = new MetricsBoard();
  board.local = () => snapshot(5, { errors: { reset: 2 } });
  const text = board.text();
  assert.equal(sample(text, "sockdemo_connections_accepted_total"), 5);
  assert.equal(sample(text, "sockdemo_connections_open"), 2);
  assert.equal(sample(text, "sockdemo_bytes_received_total"), 500);
  assert.equal(sample(text, "sockdemo_bytes_sent_total"), 450);
  assert.equal(sample(text, 'sockdemo_connection_errors_total{kind="reset"}'), 2);
  for (const kind of ["connect", "broken_pipe", "timeout", "tls", "other"]) {
    assert.equal(sample(text, `sockdemo_connection_errors_total{kind="${kind}"}`), 0, kind);
  }
  assert.match(text, /^# TYPE sockdemo_connections_accepted_total counter$/m);
  assert.match(text, /^# TYPE sockdemo_connections_open gauge$/m);
  // No budget, no proxies: none of their families.
  assert.doesNotMatch(text, /buffer|proxy/);
});

Deno.test("metrics: workers' snapshots labelled by worker, the main thread's as main; the budget and proxies", () => {
  const board = new MetricsBoard();
  const traffic = { accepted: 3, clientIn: 10, clientOut: 20, targetIn: 30, targetOut: 40 };
  const proxy = { labels: { proxy: "db", listener: "127.0.0.1:5000", upstream: "127.0.0.1:5432" } };
  board.post(2, snapshot(7, { budget: { limit: 1000, held: 10, binds: 1, throttled: 0 } }));
  board.post(1, snapshot(4, { entrances: [{ ...proxy, open: 1, traffic }] }));
  board.local = () => snapshot(1);
  const text = board.text();
  assert.deepEqual(
    text.split("\n").filter((l) => l.startsWith("sockdemo_connections_accepted_total")),
    [
      'sockdemo_connections_accepted_total{worker="main"} 1',
      'sockdemo_connections_accepted_total{worker="1"} 4',
      'sockdemo_connections_accepted_total{worker="2"} 7',
    ],
  );
  assert.equal(sample(text, 'sockdemo_buffer_limit_bytes{worker="2"}'), 1000);
  assert.equal(sample(text, 'sockdemo_buffer_binds_total{worker="2"}'), 1);
  assert.equal(sample(text, 'sockdemo_buffer_limit_bytes{worker="1"}'), undefined);
  const labels = 'proxy="db",listener="127.0.0.1:5000",upstream="127.0.0.1:5432",worker="1"';
  // Toxiproxy's directions: upstream is client to target.
  assert.equal(
    sample(text, `sockdemo_proxy_received_bytes_total{${labels},direction="upstream"}`),
    10,
  );
  assert.equal(sample(text, `sockdemo_proxy_sent_bytes_total{${labels},direction="upstream"}`), 40);
  assert.equal(
    sample(text, `sockdemo_proxy_received_bytes_total{${labels},direction="downstream"}`),
    30,
  );
  assert.equal(
    sample(text, `sockdemo_proxy_sent_bytes_total{${labels},direction="downstream"}`),
    20,
  );
  assert.equal(sample(text, `sockdemo_proxy_connections_accepted_total{${labels}}`), 3);
  assert.equal(sample(text, `sockdemo_proxy_connections_open{${labels}}`), 1);
});

Deno.test("metrics: failures sorted by kind from their causes", () => {
  const kinds: [string, string][] = [
    ["cannot connect to 127.0.0.1:9: connection refused", "connect"],
    ["target: connection reset by peer", "reset"],
    ["connection reset by peer", "reset"],
    ["broken pipe", "broken_pipe"],
    ["timed out after 5 s", "timeout"],
    ["no reply for 10 s", "timeout"],
    ["client: invalid peer certificate: UnknownIssuer", "tls"],
    ["closed without a TLS close_notify", "tls"],
    ["frame too large", "other"],
  ];
  for (const [cause, kind] of kinds) assert.equal(errorKind(cause), kind, cause);
});

Deno.test("metrics endpoint: /metrics in Prometheus' text type, / points there, the rest 404 or 405", () => {
  const board = new MetricsBoard();
  board.local = () => snapshot(1);
  const ask = (method: string, path: string) =>
    metricsAnswer(
      board,
      { method, path, headers: new Headers(), body: "" } as unknown as HttpRequest,
    );
  const metrics = ask("GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.equal(metrics.type, "text/plain; version=0.0.4; charset=utf-8");
  assert.match(metrics.body!, /^sockdemo_connections_accepted_total 1$/m);
  assert.deepEqual(ask("GET", "/"), {
    status: 200,
    body: "sockdemo: metrics at /metrics\n",
    type: "text/plain",
  });
  assert.deepEqual(ask("GET", "/metrics/x"), {
    status: 404,
    body: "not found: the metrics are at /metrics\n",
    type: "text/plain",
  });
  assert.deepEqual(ask("POST", "/metrics"), {
    status: 405,
    body: "GET /metrics\n",
    type: "text/plain",
  });
});

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  return await response.text();
}

async function metricsPort(server: ServerProcess): Promise<number> {
  return Number((await server.waitFor(/Metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
}

Deno.test("serve --metrics: counters move while connections are open, then equal the summary line", async () => {
  const server = await ServerProcess.start(["--metrics", "127.0.0.1:0", "--quiet"]);
  const conns: Deno.Conn[] = [];
  try {
    const port = await metricsPort(server);
    for (let i = 0; i < 3; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      conns.push(conn);
      await conn.write(new Uint8Array(100).fill(65 + i));
      const back = new Uint8Array(100);
      let got = 0;
      while (got < 100) got += (await conn.read(back.subarray(got)))!;
    }
    // Live: nothing has closed yet, and the bytes already count.
    const open = await scrape(port);
    assert.equal(sample(open, "sockdemo_connections_accepted_total"), 3);
    assert.equal(sample(open, "sockdemo_connections_open"), 3);
    assert.equal(sample(open, "sockdemo_bytes_received_total"), 300);
    assert.equal(sample(open, "sockdemo_bytes_sent_total"), 300);
    for (const conn of conns.splice(0)) conn.close();
    let after = await scrape(port);
    for (let i = 0; i < 50 && sample(after, "sockdemo_connections_open") !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await scrape(port);
    }
    assert.equal(sample(after, "sockdemo_connections_open"), 0);
    // Scrapes are not connections served.
    assert.equal(sample(after, "sockdemo_connections_accepted_total"), 3);
    const out = await server.stop();
    assert.equal(out.code, 0);
    assert.match(
      out.stdout,
      /Stopped: 3 connections served, 300 bytes in, 300 bytes out, 0 errors\n/,
    );
  } finally {
    for (const conn of conns) conn.close();
    await server.stop();
  }
});

Deno.test("relay --metrics: a refused upstream counted as a connect error; the proxy's bytes each way", async () => {
  const echo = await ServerProcess.start(["--quiet"]);
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const relay = await ServerProcess.start(
    ["--listen", "127.0.0.1:0", "--to", `127.0.0.1:${echo.port}`, "--metrics", "127.0.0.1:0", "-q"],
    60_000,
    /^Listening on /,
    "relay",
  );
  const dead = await ServerProcess.start(
    ["--listen", "127.0.0.1:0", "--to", `127.0.0.1:${deadPort}`, "--metrics", "127.0.0.1:0", "-q"],
    60_000,
    /^Listening on /,
    "relay",
  );
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    await conn.write(new TextEncoder().encode("hello, relay"));
    const back = new Uint8Array(12);
    let got = 0;
    while (got < 12) got += (await conn.read(back.subarray(got)))!;
    const text = await scrape(await metricsPort(relay));
    const labels =
      `proxy="relay",upstream="127.0.0.1:${echo.port}",listener="127.0.0.1:${relay.port}"`;
    for (const family of ["received", "sent"]) {
      for (const direction of ["upstream", "downstream"]) {
        assert.equal(
          sample(text, `sockdemo_proxy_${family}_bytes_total{${labels},direction="${direction}"}`),
          12,
          `${family} ${direction}`,
        );
      }
    }
    conn.close();

    const refused = await Deno.connect({ hostname: "127.0.0.1", port: dead.port });
    // The relay closes the client once its dial fails.
    assert.equal(await refused.read(new Uint8Array(1)), null);
    refused.close();
    const port = await metricsPort(dead);
    let errors = await scrape(port);
    for (let i = 0; i < 50 && sample(errors, "sockdemo_connections_open") !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      errors = await scrape(port);
    }
    assert.equal(sample(errors, 'sockdemo_connection_errors_total{kind="connect"}'), 1);
    assert.equal(sample(errors, 'sockdemo_connection_errors_total{kind="reset"}'), 0);
  } finally {
    await relay.stop();
    await dead.stop();
    await echo.stop();
  }
});

Deno.test("serve --workers 2 --metrics: a sample per worker, which add up to the summary", async () => {
  const server = await ServerProcess.start(["--workers", "2", "--metrics", "127.0.0.1:0", "-q"]);
  try {
    const port = await metricsPort(server);
    const conns = await Promise.all(
      Array.from({ length: 8 }, () => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
    );
    for (const conn of conns) await conn.write(new Uint8Array([1, 2, 3, 4]));
    for (const conn of conns) await conn.read(new Uint8Array(4));
    for (const conn of conns) conn.close();
    // Workers post every half second.
    await new Promise((r) => setTimeout(r, 1200));
    const text = await scrape(port);
    const one = sample(text, 'sockdemo_connections_accepted_total{worker="1"}')!;
    const two = sample(text, 'sockdemo_connections_accepted_total{worker="2"}')!;
    assert.equal(one + two, 8);
    assert.equal(sample(text, "sockdemo_connections_accepted_total"), undefined);
    const out = await server.stop();
    assert.match(out.stdout, /Stopped: 8 connections served, 32 bytes in, 32 bytes out, 0 errors/);
  } finally {
    await server.stop();
  }
});

Deno.test("serve --metrics on a port in use: exit 1 naming the address, the server's port let go", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const r = await runSockdemo(["serve", "--port", "0", "--metrics", `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Listening on 127\.0\.0\.1:\d+\n/);
    assert.match(
      r.stderr,
      new RegExp(`^sockdemo: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`),
    );
  } finally {
    taken.close();
  }
});

Deno.test("metrics: every family, its help, type and value, as a scrape reads them", () => {
  const board = new MetricsBoard();
  board.local = () => ({
    stats: {
      accepted: 11,
      refused: 12,
      turnedAway: 13,
      aborted: 14,
      failed: 21,
      idle: 16,
      cutOff: 17,
      unserved: 18,
      bytesIn: 19,
      bytesOut: 20,
    },
    open: 21,
    lingering: 22,
    errors: { connect: 1, reset: 2, broken_pipe: 3, timeout: 4, tls: 5, other: 6 },
    budget: { limit: 1000, held: 23, binds: 24, throttled: 25 },
    entrances: [{
      labels: { proxy: "p", upstream: "u:1", listener: "l:2" },
      open: 26,
      traffic: { accepted: 27, clientIn: 28, clientOut: 29, targetIn: 30, targetOut: 31 },
    }],
  });
  const p = 'proxy="p",upstream="u:1",listener="l:2"';
  assert.equal(
    board.text(),
    [
      "# HELP sockdemo_connections_accepted_total Connections accepted and served.",
      "# TYPE sockdemo_connections_accepted_total counter",
      "sockdemo_connections_accepted_total 11",
      "# HELP sockdemo_connections_open Connections open now.",
      "# TYPE sockdemo_connections_open gauge",
      "sockdemo_connections_open 21",
      "# HELP sockdemo_connections_refused_total Connections refused at the connection limit (--max-conns).",
      "# TYPE sockdemo_connections_refused_total counter",
      "sockdemo_connections_refused_total 12",
      "# HELP sockdemo_connections_turned_away_total Connections turned away at once (a relay's --refuse).",
      "# TYPE sockdemo_connections_turned_away_total counter",
      "sockdemo_connections_turned_away_total 13",
      "# HELP sockdemo_connections_aborted_total Connections the peer reset while they waited to be accepted.",
      "# TYPE sockdemo_connections_aborted_total counter",
      "sockdemo_connections_aborted_total 14",
      "# HELP sockdemo_connections_idle_closed_total Connections closed for being idle (--idle-timeout).",
      "# TYPE sockdemo_connections_idle_closed_total counter",
      "sockdemo_connections_idle_closed_total 16",
      "# HELP sockdemo_bytes_received_total Bytes read from peers.",
      "# TYPE sockdemo_bytes_received_total counter",
      "sockdemo_bytes_received_total 19",
      "# HELP sockdemo_bytes_sent_total Bytes written to peers.",
      "# TYPE sockdemo_bytes_sent_total counter",
      "sockdemo_bytes_sent_total 20",
      "# HELP sockdemo_connection_errors_total Connections that ended in an error, by kind.",
      "# TYPE sockdemo_connection_errors_total counter",
      'sockdemo_connection_errors_total{kind="connect"} 1',
      'sockdemo_connection_errors_total{kind="reset"} 2',
      'sockdemo_connection_errors_total{kind="broken_pipe"} 3',
      'sockdemo_connection_errors_total{kind="timeout"} 4',
      'sockdemo_connection_errors_total{kind="tls"} 5',
      'sockdemo_connection_errors_total{kind="other"} 6',
      "# HELP sockdemo_refusals_lingering Refused connections still being told why before they close.",
      "# TYPE sockdemo_refusals_lingering gauge",
      "sockdemo_refusals_lingering 22",
      "# HELP sockdemo_buffer_limit_bytes The buffer budget (--max-buffer).",
      "# TYPE sockdemo_buffer_limit_bytes gauge",
      "sockdemo_buffer_limit_bytes 1000",
      "# HELP sockdemo_buffer_held_bytes Bytes held for peers, charged to the budget.",
      "# TYPE sockdemo_buffer_held_bytes gauge",
      "sockdemo_buffer_held_bytes 23",
      "# HELP sockdemo_buffer_binds_total Times the budget bound and paused reads.",
      "# TYPE sockdemo_buffer_binds_total counter",
      "sockdemo_buffer_binds_total 24",
      "# HELP sockdemo_buffer_throttled_connections Connections whose reads the budget has paused.",
      "# TYPE sockdemo_buffer_throttled_connections gauge",
      "sockdemo_buffer_throttled_connections 25",
      "# HELP sockdemo_proxy_received_bytes_total Bytes a proxy read: upstream from its clients, downstream from its upstream.",
      "# TYPE sockdemo_proxy_received_bytes_total counter",
      `sockdemo_proxy_received_bytes_total{${p},direction="upstream"} 28`,
      `sockdemo_proxy_received_bytes_total{${p},direction="downstream"} 30`,
      "# HELP sockdemo_proxy_sent_bytes_total Bytes a proxy wrote: upstream to its upstream, downstream to its clients.",
      "# TYPE sockdemo_proxy_sent_bytes_total counter",
      `sockdemo_proxy_sent_bytes_total{${p},direction="upstream"} 31`,
      `sockdemo_proxy_sent_bytes_total{${p},direction="downstream"} 29`,
      "# HELP sockdemo_proxy_connections_accepted_total Connections a proxy accepted.",
      "# TYPE sockdemo_proxy_connections_accepted_total counter",
      `sockdemo_proxy_connections_accepted_total{${p}} 27`,
      "# HELP sockdemo_proxy_connections_open Connections open through a proxy.",
      "# TYPE sockdemo_proxy_connections_open gauge",
      `sockdemo_proxy_connections_open{${p}} 26`,
      "",
    ].join("\n"),
  );
});

Deno.test("metrics: a failure counts once in the totals and once under its kind", () => {
  const stats = emptyStats(), errors: Record<string, number> = {};
  countError(stats, errors, "connection reset by peer");
  countError(stats, errors, "connection reset by peer");
  countError(stats, errors, "broken pipe");
  assert.equal(stats.failed, 3);
  assert.deepEqual(errors, { reset: 2, broken_pipe: 1 });
});

Deno.test("metrics: only named entrances are figured, with their open connections' bytes so far", () => {
  const session = { newSession: () => null as never };
  const named = newEntrance({ ...session, labels: { proxy: "p" } });
  const unnamed = newEntrance(session);
  named.traffic.clientIn = 5;
  const conn = {
    key: { bytesRead: 10, bytesWritten: 20 },
    dialed: [{ bytesRead: 30, bytesWritten: 40 }],
  } as unknown as Connection;
  named.conns.add(conn);
  assert.deepEqual(entranceFigures([unnamed, named]), [{
    labels: { proxy: "p" },
    open: 1,
    traffic: { accepted: 0, clientIn: 15, clientOut: 20, targetIn: 30, targetOut: 40 },
  }]);
  // What the entrance had counted is not changed by a snapshot.
  assert.equal(named.traffic.clientIn, 5);
  const live = liveStats({ ...emptyStats(), bytesIn: 1, bytesOut: 2 }, [conn]);
  assert.deepEqual([live.bytesIn, live.bytesOut], [11, 22]);
});

Deno.test("metrics endpoint: serves until stopped, then its port is let go", async () => {
  const board = new MetricsBoard();
  board.local = () => snapshot(9);
  const endpoint = serveMetrics({ transport: "tcp", host: "127.0.0.1", port: 0 }, board);
  assert.ok(!("reason" in endpoint));
  const port = Number(endpoint.address.split(":")[1]);
  assert.match(endpoint.address, /^127\.0\.0\.1:\d+$/);
  assert.equal(sample(await scrape(port), "sockdemo_connections_accepted_total"), 9);
  await endpoint.stop();
  // The listener closes as its pending accept is cancelled: a connect in that instant is reset.
  let refused = false;
  for (let i = 0; i < 50 && !refused; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      await new Promise((r) => setTimeout(r, 20));
    } catch (e) {
      refused = e instanceof Deno.errors.ConnectionRefused;
    }
  }
  assert.ok(refused, "the port is closed");
});

Deno.test("metrics: a worker posts its snapshot every half second, and a last one when it stops", async () => {
  let taken = 0;
  const posted: number[] = [];
  const server = { snapshot: () => snapshot(++taken) } as unknown as Server;
  const stop = postSnapshots(server, (s) => posted.push(s.stats.accepted));
  await new Promise((r) => setTimeout(r, 1150));
  assert.deepEqual(posted, [1, 2]);
  stop();
  assert.deepEqual(posted, [1, 2, 3]);
  await new Promise((r) => setTimeout(r, 600));
  assert.deepEqual(posted, [1, 2, 3], "nothing after the stop");
});

Deno.test("serve --metrics: a scrape is neither served nor logged among the connections", async () => {
  const server = await ServerProcess.start(["--metrics", "127.0.0.1:0"]);
  try {
    const port = await metricsPort(server);
    await scrape(port);
    await scrape(port);
    const out = await server.stop();
    assert.doesNotMatch(out.stdout, /#\d|accepted|closed/, out.stdout);
    assert.match(out.stdout, /Stopped: 0 connections served/);
  } finally {
    await server.stop();
  }
});
