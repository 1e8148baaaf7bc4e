/**
 * `deno task bench`: sockdemo against reference servers, side by side.
 *
 * Starts `sockdemo serve` and the references (a one-async-function-per-
 * connection Deno echo server, Node's `net` echo server with `pipe` when
 * `node` is installed, and the C epoll server of `bench/echo_server.c` when
 * `gcc` can build it), drives each through the same scenarios, in turn and
 * round after round, and prints the medians: messages/s, MB/s, p99 latency,
 * peak server RSS, and each server's ratio to sockdemo. Then the scaling
 * rows (`serve --workers W` for each W, beside the C server, and
 * `connect --workers W` beside the C load client), server memory per idle
 * connection, and sockdemo connect against the C load client.
 *
 * The driver is the neutral C load client of `bench/load_client.c` whenever
 * `gcc` can build it (`--driver c`), else `sockdemo connect`
 * (`--driver sockdemo`): a sockdemo client sharing the cores would measure
 * itself as much as the server.
 *
 * For a many-core machine: `--workers 1,2,4,8`, `--clients K` C load clients
 * at once (summed), and `--pin-server CPUS` / `--pin-clients CPUS` (taskset
 * lists such as `0-7`) so that servers and clients never share a core.
 *
 * `--c-tools DIR` takes `load_client` and `echo_server` already built there
 * (where there is no gcc), and `--offline` runs Deno from its cache only;
 * `bench/scale.sh` uses both on the lent machine. `--also-c NAMES` adds
 * other single-threaded C servers of that folder to the scaling rows, and
 * `--steady-c10k` a row at 10,000 connections in the steady state (it waits
 * for all of them to be answered first, which a loaded Deno server may take
 * long to do).
 *
 * Usage: deno task bench [--quick] [--rounds N] [--seconds S] [--only a,b]
 *                        [--driver c|sockdemo] [--workers LIST] [--clients K]
 *                        [--pin-server CPUS] [--pin-clients CPUS]
 *                        [--c-tools DIR] [--offline]
 *
 * Scenario names for `--only`: ping-pong, bulk, c10k, app, app keep-alive,
 * tls bulk, tls handshakes (when openssl can make certificates; always driven
 * by `sockdemo connect --tls`, beside Node's `tls` echo server), fairness
 * (1,000, 5,000 and 10,000 ping-pong connections: besides messages/s, how
 * long connections waited for their first reply, the p99 over connections
 * and the slowest; then 5,000 in the steady state, with the fewest
 * connections served within one second), scaling, client-scaling, idle,
 * client.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { hasOpenssl, makeCerts } from "../scripts/certs.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const C_SOURCES = `${ROOT}bench`;
const deno = Deno.execPath();
// Lets sockdemo run its loops on a fair runtime (lib/fair_thread.ts), as its tasks and binary do.
const FAIR = "--allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK";

const { values } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    only: { type: "string" },
    driver: { type: "string" },
    workers: { type: "string", default: "1,2" },
    clients: { type: "string", default: "1" },
    "pin-server": { type: "string" },
    "pin-clients": { type: "string" },
    "c-tools": { type: "string" },
    "also-c": { type: "string" },
    "steady-c10k": { type: "boolean", default: false },
    "client-timeout": { type: "string", default: "120" },
    offline: { type: "boolean", default: false },
  },
});
// On a machine without network (the lent many-core one): Deno may only use its cache.
// How long a C load client may run before it gives up and counts what is left as errors.
const CLIENT_TIMEOUT = Number(values["client-timeout"]);
const RUN = values.offline ? ["run", "--cached-only"] : ["run"];
const ROUNDS = Number(values.rounds ?? (values.quick ? 1 : 3));
const SECONDS = Number(values.seconds ?? (values.quick ? 2 : 4));
const ONLY = values.only?.split(",") ?? null;
const WORKERS = values.workers.split(",").map(Number);
const CLIENTS = Number(values.clients);
const PIN_SERVER = cpuList(values["pin-server"]);
const PIN_CLIENTS = cpuList(values["pin-clients"]);
let DRIVER = values.driver === "loadgen" ? "c" : values.driver;
if (DRIVER !== undefined && DRIVER !== "sockdemo" && DRIVER !== "c") {
  throw new Error("--driver is c or sockdemo");
}

interface ServerKind {
  readonly name: string;
  readonly command: (port: number) => [string, string[]];
}

interface Scenario {
  readonly name: string;
  readonly what: string;
  readonly servers: ServerKind[];
  /** `sockdemo connect` arguments. */
  readonly args: string[];
  /** The same scenario for the C load client: mode, conns, messages, size, depth; null: none (TLS). */
  readonly loadgen: string[] | null;
}

interface Sample {
  messagesPerSecond: number;
  mbPerSecond: number;
  p99Ms: number;
  rssMb: number;
  errors: number;
}

// `sockdemo serve` with `extra` options (TLS, workers) after the common ones.
const sockdemo = (protocol: string, extra: string[] = []): ServerKind => ({
  name: protocol === "echo" ? "sockdemo" : "sockdemo app",
  command: (
    port,
  ) => [deno, [
    ...RUN,
    "--allow-net",
    "--allow-read",
    FAIR,
    MAIN,
    "serve",
    "--protocol",
    protocol,
    "--port",
    `${port}`,
    "--quiet",
    ...extra,
  ]],
});
const denoPlain: ServerKind = {
  name: "deno plain",
  command: (port) => [deno, [...RUN, "--allow-net", `${ROOT}bench/deno_echo.ts`, `${port}`]],
};
const nodePipe: ServerKind = {
  name: "node pipe",
  command: (port) => ["node", [`${ROOT}bench/node_echo.mjs`, `${port}`]],
};

async function main(): Promise<void> {
  const tools = await Deno.makeTempDir({ prefix: "sockdemo-bench-" });
  try {
    const loadgen = await buildC(tools, "load_client");
    const epoll = await buildC(tools, "echo_server");
    const cEpoll: ServerKind | null = epoll === null
      ? null
      : { name: "C epoll", command: (port) => [epoll, [`${port}`]] };
    if (DRIVER === "c" && loadgen === null) throw new Error("--driver c needs gcc");
    DRIVER ??= loadgen === null ? "sockdemo" : "c";
    const echoServers = [
      sockdemo("echo"),
      denoPlain,
      ...(await has("node") ? [nodePipe] : []),
      ...(cEpoll ? [cEpoll] : []),
    ];
    await printMachine();
    const timed = ["--duration", `${SECONDS}`, "--warmup", "1", "--json"];
    const scenarios: Scenario[] = [
      {
        name: "ping-pong",
        what: "100 connections x 64 B, depth 1",
        servers: echoServers,
        args: ["--conns", "100", "--size", "64", ...timed],
        loadgen: ["echo", "100", "3000", "64", "1"],
      },
      {
        name: "bulk",
        what: "8 connections x 1 MiB, depth 4",
        servers: echoServers,
        args: ["--conns", "8", "--size", "1048576", "--depth", "4", ...timed],
        loadgen: ["echo", "8", "300", "1048576", "4"],
      },
      {
        name: "c10k",
        what: "10,000 connections x 10 messages of 64 B, set-up included",
        servers: echoServers,
        args: ["--conns", "10000", "--messages", "10", "--size", "64", "--json"],
        loadgen: ["echo", "10000", "10", "64", "1"],
      },
      {
        name: "app",
        what: "50 clients, search morpheus, one connection per request",
        servers: [sockdemo("app")],
        args: ["--protocol", "app", "--conns", "50", ...timed],
        loadgen: ["app", "50", "100", "0", "1"],
      },
      {
        name: "app keep-alive",
        what: "50 clients, search morpheus, keep-alive, depth 1",
        servers: [sockdemo("app")],
        args: ["--protocol", "app", "--conns", "50", "--keep-alive", ...timed],
        loadgen: ["appka", "50", "2000", "0", "1"],
      },
    ];
    const certs = await benchCerts(tools);
    if (certs !== null) {
      const tls = ["--tls-cert", certs.cert, "--tls-key", certs.key];
      const sockdemoTls = sockdemo("echo", tls);
      const nodeTls: ServerKind = {
        name: "node tls",
        command: (
          port,
        ) => ["node", [`${ROOT}bench/node_tls_echo.mjs`, `${port}`, certs.cert, certs.key]],
      };
      const servers = [sockdemoTls, ...(await has("node") ? [nodeTls] : [])];
      const trust = ["--tls", "--ca", certs.ca];
      scenarios.push(
        {
          name: "tls bulk",
          what: "TLS, 8 connections x 1 MiB, depth 4 (driven by sockdemo connect --tls)",
          servers,
          args: ["--conns", "8", "--size", "1048576", "--depth", "4", ...trust, ...timed],
          loadgen: null,
        },
        {
          name: "tls handshakes",
          what: "TLS, 1,000 connections x 1 message of 64 B: handshakes/s, set-up included",
          servers,
          args: ["--conns", "1000", "--messages", "1", "--size", "64", ...trust, "--json"],
          loadgen: null,
        },
      );
    }
    for (const scenario of scenarios) {
      if (ONLY && !ONLY.includes(scenario.name)) continue;
      await runScenario(scenario, loadgen);
    }
    if ((!ONLY || ONLY.includes("fairness")) && loadgen !== null) {
      await fairness(loadgen, echoServers);
    }
    if ((!ONLY || ONLY.includes("scaling")) && loadgen !== null) {
      await serverScaling(loadgen, cEpoll);
    }
    if ((!ONLY || ONLY.includes("client-scaling")) && loadgen !== null && epoll !== null) {
      await clientScaling(loadgen, epoll);
    }
    if (!ONLY || ONLY.includes("idle")) {
      await idleMemory([sockdemo("echo"), sockdemo("app"), ...echoServers.slice(1)]);
    }
    if ((!ONLY || ONLY.includes("client")) && loadgen && cEpoll) {
      await clientVersusLoadgen(loadgen, cEpoll);
    }
  } finally {
    await Deno.remove(tools, { recursive: true });
  }
}

async function runScenario(s: Scenario, loadgen: string | null): Promise<void> {
  console.log(
    `\n${s.name}: ${s.what} (median of ${ROUNDS}, driven by ${
      DRIVER === "c" && s.loadgen !== null ? "the C load client" : "sockdemo connect"
    })`,
  );
  const samples = new Map<string, Sample[]>(s.servers.map((k) => [k.name, []]));
  const run = (server: Server) =>
    DRIVER === "c" && s.loadgen !== null
      ? driveLoadgen(server, loadgen!, s.loadgen)
      : drive(server, s.args);
  // Every server runs for the whole scenario, warmed by one run, then they take turns.
  const servers: Server[] = [];
  try {
    for (const kind of s.servers) {
      const server = await Server.start(kind);
      servers.push(server);
      await run(server);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, kind] of s.servers.entries()) {
        samples.get(kind.name)!.push(await run(servers[i]));
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  const medians = s.servers.map((k) => ({ name: k.name, m: median(samples.get(k.name)!) }));
  const base = medians[0].m.messagesPerSecond;
  table(
    ["server", "msgs/s", "MB/s", "p99 ms", "peak RSS MB", "errors", "msgs/s vs sockdemo"],
    medians.map(({ name, m }) => [
      name,
      m.messagesPerSecond.toFixed(0),
      m.mbPerSecond.toFixed(1),
      m.p99Ms.toFixed(2),
      m.rssMb.toFixed(0),
      `${m.errors}`,
      (m.messagesPerSecond / base).toFixed(2),
    ]),
  );
}

/** Runs `sockdemo connect` against `server` while sampling the server's RSS. */
async function drive(server: Server, args: string[]): Promise<Sample> {
  const connect = [
    ...RUN,
    "--allow-net",
    "--allow-read",
    FAIR,
    MAIN,
    "connect",
    "--port",
    `${server.port}`,
  ];
  const [out, peak] = await sampled(server, deno, [...connect, ...args]);
  const text = new TextDecoder().decode(out.stdout).trim();
  if (text === "") throw new Error(`connect failed: ${new TextDecoder().decode(out.stderr)}`);
  const r = JSON.parse(text);
  return {
    messagesPerSecond: r.messages_per_second,
    mbPerSecond: r.mb_per_second,
    p99Ms: r.latency_us.p99 / 1000,
    rssMb: peak / 1024,
    errors: r.errors,
  };
}

/** Runs the C load client against `server` while sampling the server's RSS. */
async function driveLoadgen(server: Server, loadgen: string, args: string[]): Promise<Sample> {
  const [mode, ...rest] = args;
  const [out, peak] = await sampled(server, loadgen, [
    mode,
    "127.0.0.1",
    `${server.port}`,
    ...rest,
    "120",
  ]);
  const text = new TextDecoder().decode(out.stdout);
  const field = (name: string) => Number(text.match(new RegExp(`${name}=([0-9.]+)`))?.[1] ?? NaN);
  return {
    messagesPerSecond: field("msgs_per_s"),
    mbPerSecond: field("MBps"),
    p99Ms: field("p99_us") / 1000,
    rssMb: peak / 1024,
    errors: field("errors"),
  };
}

/** Runs a client to completion, sampling the server's RSS meanwhile; returns its output and the peak in KiB. */
async function sampled(
  server: Server,
  cmd: string,
  args: string[],
): Promise<[Deno.CommandOutput, number]> {
  let peak = 0, sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rssKiB(server.pid));
      await sleep(250);
    }
  })();
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  sampling = false;
  await sampler;
  return [out, peak];
}

/**
 * Fairness: at 1,000, 5,000 and 10,000 ping-pong connections (10 messages
 * each, set-up included), how long the connections waited for their first
 * reply (p99 over connections, and the slowest), besides messages/s; then
 * 5,000 in the steady state, where a fair server serves every connection
 * within every second.
 */
async function fairness(loadgen: string, kinds: ServerKind[]): Promise<void> {
  const runs = [
    ...[1_000, 5_000, 10_000].map((conns) => ({
      conns,
      args: ["10"],
      seconds: 0,
      timeout: CLIENT_TIMEOUT,
    })),
    // A server that starves some connections never reaches the steady state: 30 s tells.
    { conns: 5_000, args: ["0"], seconds: SECONDS, timeout: Math.min(30, CLIENT_TIMEOUT) },
  ];
  console.log(
    `\nfairness: ping-pong of 64 B, depth 1, driven by the C load client (median of ${ROUNDS}); ` +
      `first reply: from a connection's dial to its first reply, over connections; served/s: ` +
      `the fewest connections with a reply within one second of the steady state`,
  );
  const rows: string[][] = [];
  for (const run of runs) {
    const medians: [string, Record<string, number>][] = [];
    for (const kind of kinds) {
      const server = await Server.start(kind);
      try {
        const samples: Record<string, number>[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const out = await new Deno.Command(loadgen, {
            args: ["echo", "127.0.0.1", `${server.port}`, `${run.conns}`, ...run.args, "64", "1"]
              .concat([`${run.timeout}`, ...(run.seconds > 0 ? [`${run.seconds}`] : [])]),
            stdout: "piped",
            stderr: "null",
          }).output();
          const text = new TextDecoder().decode(out.stdout);
          samples.push(Object.fromEntries(
            [...text.matchAll(/(\w+)=(-?[0-9.]+)/g)].map(([, k, v]) => [k, Number(v)]),
          ));
        }
        const mid = (key: string) => middle(samples.map((s) => s[key] ?? NaN));
        medians.push([kind.name, {
          msgs: mid("msgs_per_s"),
          p99: mid("p99_us"),
          firstP99: mid("first_p99_us"),
          // The worst of the rounds: one starved connection is the finding.
          firstMax: Math.max(...samples.map((s) => s.first_max_us < 0 ? Infinity : s.first_max_us)),
          served: Math.min(...samples.map((s) => s.min_served_per_s ?? NaN)),
          errors: samples.reduce((n, s) => n + (s.errors ?? 1), 0),
        }]);
      } finally {
        await server.stop();
      }
    }
    const base = medians[0][1].msgs;
    // -1: the client gave up before that connection had a reply.
    const ms = (us: number) => us === Infinity || us < 0 ? "never" : (us / 1000).toFixed(0);
    for (const [name, m] of medians) {
      rows.push([
        run.seconds > 0 ? `${run.conns} steady` : `${run.conns} x 10`,
        name,
        m.msgs.toFixed(0),
        ms(m.p99),
        ms(m.firstP99),
        ms(m.firstMax),
        run.seconds > 0 ? `${m.served}` : "",
        `${m.errors}`,
        (m.msgs / base).toFixed(2),
      ]);
    }
  }
  table([
    "connections",
    "server",
    "msgs/s",
    "p99 ms",
    "first reply p99 ms",
    "first reply max ms",
    "served/s, fewest",
    "errors",
    "msgs/s vs sockdemo",
  ], rows);
}

/** Server RSS growth per connection, from 0 to 10,000 idle connections. */
async function idleMemory(kinds: ServerKind[]): Promise<void> {
  const n = 10_000;
  console.log(
    `\nidle: server RSS growth per connection, 0 to ${n.toLocaleString("en")} idle connections`,
  );
  const rows: string[][] = [];
  for (const kind of kinds) {
    const server = await Server.start(kind);
    const conns: Deno.TcpConn[] = [];
    try {
      await sleep(500);
      const before = await rssKiB(server.pid);
      for (let i = 0; i < n; i++) {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      }
      await sleep(1500);
      const after = await rssKiB(server.pid);
      rows.push([
        kind.name,
        `${(before / 1024).toFixed(0)}`,
        `${(after / 1024).toFixed(0)}`,
        `${(((after - before) * 1024) / n).toFixed(0)}`,
      ]);
    } finally {
      for (const c of conns) c.close();
      await server.stop();
    }
  }
  table(["server", "RSS before MB", "RSS after MB", "bytes per connection"], rows);
}

/**
 * `serve --workers W` for each W of `--workers`, beside the single-threaded
 * C server, driven by `--clients` C load clients at once (their rates summed).
 */
async function serverScaling(loadgen: string, cEpoll: ServerKind | null): Promise<void> {
  const perClient = (total: number) => `${Math.ceil(total / CLIENTS)}`;
  const scenarios = [
    {
      name: "ping-pong",
      what: `${CLIENTS * 100} connections x 64 B, depth 1, ${SECONDS} s steady state`,
      args: ["echo", "100", "0", "64", "1"],
      seconds: SECONDS,
    },
    {
      // A count, not a duration: under the load of those already connected a
      // Deno server accepts the rest slowly, and a steady state of all 10,000
      // could take the whole timeout to reach.
      name: "c10k",
      what: "10,000 connections x 10 messages of 64 B, set-up included",
      args: ["echo", perClient(10_000), "10", "64", "1"],
      seconds: 0,
    },
    // Once all 10,000 are connected and answered: the rate at 10,000 connections itself.
    ...(values["steady-c10k"]
      ? [{
        name: "c10k steady",
        what: `10,000 connections x 64 B, depth 1, ${SECONDS} s steady state`,
        args: ["echo", perClient(10_000), "0", "64", "1"],
        seconds: SECONDS,
      }]
      : []),
  ];
  const kinds: [ServerKind, number[]][] = WORKERS.map((w) => [
    { ...sockdemo("echo", ["--workers", `${w}`]), name: `sockdemo --workers ${w}` },
    PIN_SERVER.slice(0, w),
  ]);
  if (cEpoll !== null) kinds.push([cEpoll, PIN_SERVER.slice(0, 1)]);
  // Other single-threaded C servers to set beside ours, from --c-tools (such as ../shared's).
  for (const name of values["also-c"]?.split(",") ?? []) {
    const binary = `${values["c-tools"] ?? "."}/${name}`;
    kinds.push([
      { name: `C ${name}`, command: (port) => [binary, [`${port}`]] },
      PIN_SERVER.slice(0, 1),
    ]);
  }
  for (const scenario of scenarios) {
    console.log(
      `\nscaling, ${scenario.name}: ${scenario.what}, driven by ${CLIENTS} C load client(s)` +
        `${pinned(PIN_SERVER, PIN_CLIENTS)} (median of ${ROUNDS})`,
    );
    const results: [string, Sample][] = [];
    for (const [kind, cpus] of kinds) {
      const server = await Server.start(kind, cpus);
      try {
        const samples: Sample[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          samples.push(
            await driveClients(server.port, loadgen, scenario.args, CLIENTS, scenario.seconds),
          );
        }
        results.push([kind.name, median(samples)]);
      } finally {
        await server.stop();
      }
    }
    const c = results.find(([name]) => name === "C epoll")?.[1].messagesPerSecond ?? NaN;
    const one = results[0][1].messagesPerSecond;
    table(
      ["server", "msgs/s", "p99 ms", "errors", "vs C server", "vs --workers 1"],
      results.map(([name, m]) => [
        name,
        m.messagesPerSecond.toFixed(0),
        m.p99Ms.toFixed(2),
        `${m.errors}`,
        (m.messagesPerSecond / c).toFixed(2),
        name.startsWith("C ") ? "" : (m.messagesPerSecond / one).toFixed(2),
      ]),
    );
  }
}

/**
 * `connect --workers W` for each W of `--workers`, beside one C load client,
 * all driving C echo servers (one per `--pin-server` CPU, sharing the port
 * through SO_REUSEPORT) so that the server is not what is measured.
 */
async function clientScaling(loadgen: string, echoServer: string): Promise<void> {
  const conns = 400;
  console.log(
    `\nclient scaling: ping-pong ${conns} connections x 64 B against ` +
      `${Math.max(1, PIN_SERVER.length)} C echo server(s)${pinned(PIN_SERVER, PIN_CLIENTS)} ` +
      `(median of ${ROUNDS})`,
  );
  const port = freePort();
  const servers: Server[] = [];
  const rows: [string, number, number][] = [];
  try {
    for (const cpu of PIN_SERVER.length > 0 ? PIN_SERVER : [null]) {
      servers.push(
        await Server.start(
          { name: "C echo", command: () => [echoServer, [`${port}`]] },
          cpu === null ? [] : [cpu],
          port,
        ),
      );
    }
    const cSamples: Sample[] = [];
    const args = ["echo", `${conns}`, "0", "64", "1"];
    for (let round = 0; round < ROUNDS; round++) {
      cSamples.push(await driveClients(port, loadgen, args, 1, SECONDS));
    }
    const c = median(cSamples);
    rows.push(["C load client", c.messagesPerSecond, c.p99Ms]);
    for (const w of WORKERS) {
      const samples: Sample[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const [out] = await sampledRun(
          PIN_CLIENTS.slice(0, w),
          deno,
          [
            ...RUN,
            "--allow-net",
            "--allow-read",
            MAIN,
            "connect",
            "--port",
            `${port}`,
            "--conns",
            `${conns}`,
            "--size",
            "64",
            "--duration",
            `${SECONDS}`,
            "--warmup",
            "1",
            "--workers",
            `${w}`,
            "--json",
          ],
        );
        const r = JSON.parse(new TextDecoder().decode(out.stdout));
        samples.push({
          messagesPerSecond: r.messages_per_second,
          mbPerSecond: r.mb_per_second,
          p99Ms: r.latency_us.p99 / 1000,
          rssMb: 0,
          errors: r.errors,
        });
      }
      const m = median(samples);
      rows.push([`sockdemo connect --workers ${w}`, m.messagesPerSecond, m.p99Ms]);
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  const [, c] = rows[0], one = rows[1]?.[1] ?? NaN;
  table(
    ["client", "msgs/s", "p99 ms", "vs C client", "vs --workers 1"],
    rows.map(([name, rate, p99], i) => [
      name,
      rate.toFixed(0),
      p99.toFixed(2),
      (rate / c).toFixed(2),
      i === 0 ? "" : (rate / one).toFixed(2),
    ]),
  );
}

/**
 * `clients` C load clients at once against `port` (each on a CPU of its own
 * when pinned), summed; with `seconds`, each measures that long in the
 * steady state (after set-up and a second of warm-up).
 */
async function driveClients(
  port: number,
  loadgen: string,
  args: string[],
  clients = CLIENTS,
  seconds = 0,
): Promise<Sample> {
  const [mode, ...rest] = args;
  const outs = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      output(
        PIN_CLIENTS.length > 0 ? [PIN_CLIENTS[i % PIN_CLIENTS.length]] : [],
        loadgen,
        [
          mode,
          "127.0.0.1",
          `${port}`,
          ...rest,
          `${CLIENT_TIMEOUT}`,
          ...(seconds > 0 ? [`${seconds}`] : []),
        ],
      )),
  );
  const samples = outs.map((out) => {
    const text = new TextDecoder().decode(out.stdout);
    const field = (name: string) => Number(text.match(new RegExp(`${name}=([0-9.]+)`))?.[1] ?? NaN);
    return {
      messagesPerSecond: field("msgs_per_s"),
      mbPerSecond: field("MBps"),
      p99Ms: field("p99_us") / 1000,
      rssMb: 0,
      errors: field("errors"),
    };
  });
  // Rates add up (the clients ran at once); the worst p99 stands for all.
  return {
    messagesPerSecond: samples.reduce((n, s) => n + s.messagesPerSecond, 0),
    mbPerSecond: samples.reduce((n, s) => n + s.mbPerSecond, 0),
    p99Ms: Math.max(...samples.map((s) => s.p99Ms)),
    rssMb: 0,
    errors: samples.reduce((n, s) => n + s.errors, 0),
  };
}

/** Runs a command to completion, pinned to `cpus` when given. */
async function sampledRun(
  cpus: number[],
  cmd: string,
  args: string[],
): Promise<[Deno.CommandOutput]> {
  const out = await output(cpus, cmd, args);
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return [out];
}

/** The command that runs `cmd args` on `cpus` (through taskset), or as it is without any. */
function pin(cpus: number[], cmd: string, args: string[]): [string, string[]] {
  if (cpus.length === 0) return [cmd, args];
  return ["taskset", ["-c", cpus.join(","), cmd, ...args]];
}

/** Runs `cmd args` to completion on `cpus` (any when empty), keeping its output. */
function output(cpus: number[], cmd: string, args: string[]): Promise<Deno.CommandOutput> {
  const [c, a] = pin(cpus, cmd, args);
  return new Deno.Command(c, { args: a, stdout: "piped", stderr: "piped" }).output();
}

function pinned(server: number[], clients: number[]): string {
  if (server.length === 0 && clients.length === 0) return "";
  return `; server on CPUs ${server.join(",") || "any"}, clients on ${clients.join(",") || "any"}`;
}

/** A taskset-style list (`0-3,8`) as CPU numbers; none when not given. */
function cpuList(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text.split(",").flatMap((part) => {
    const [from, to] = part.split("-").map(Number);
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

/** sockdemo connect and the C load client, each driving the C epoll server. */
async function clientVersusLoadgen(loadgen: string, cEpoll: ServerKind): Promise<void> {
  console.log(
    `\nclient: ping-pong 100 x 64 B against the C epoll server, sockdemo connect vs the C load client (median of ${ROUNDS})`,
  );
  const ours: number[] = [], theirs: number[] = [];
  const server = await Server.start(cEpoll);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(
        (await drive(server, [
          "--conns",
          "100",
          "--size",
          "64",
          "--duration",
          `${SECONDS}`,
          "--warmup",
          "1",
          "--json",
        ])).messagesPerSecond,
      );
      const out = await new Deno.Command(loadgen, {
        args: ["echo", "127.0.0.1", `${server.port}`, "100", "3000", "64", "1", "60"],
        stdout: "piped",
      }).output();
      theirs.push(Number(/msgs_per_s=(\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? 0));
    }
  } finally {
    await server.stop();
  }
  const [a, b] = [middle(ours), middle(theirs)];
  table(["client", "msgs/s", "vs C load client"], [[
    "sockdemo connect",
    a.toFixed(0),
    (a / b).toFixed(2),
  ], ["C loadgen", b.toFixed(0), "1.00"]]);
}

class Server {
  private constructor(readonly child: Deno.ChildProcess, readonly port: number) {}

  static async start(kind: ServerKind, cpus: number[] = [], port = freePort()): Promise<Server> {
    const [cmd, args] = pin(cpus, ...kind.command(port));
    const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
      .spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while (!/listening on/i.test(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${kind.name} did not start`);
      seen += value;
    }
    // Keep draining so a chatty server never blocks on a full pipe.
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })();
    return new Server(child, port);
  }

  get pid(): number {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.child.status;
    await sleep(300); // let the kernel reap the sockets before the next server
  }
}

/** A CA and a server certificate for 127.0.0.1 made with openssl in `dir` (the tests' own), or null without openssl. */
async function benchCerts(dir: string): Promise<{ ca: string; cert: string; key: string } | null> {
  if (!await hasOpenssl()) return null;
  await makeCerts(dir);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/server.pem`, key: `${dir}/server.key` };
}

async function buildC(dir: string, name: string): Promise<string | null> {
  if (values["c-tools"] !== undefined) return `${values["c-tools"]}/${name}`;
  try {
    const out = await new Deno.Command("gcc", {
      args: ["-O2", "-o", `${dir}/${name}`, `${C_SOURCES}/${name}.c`],
      stderr: "null",
    }).output();
    return out.success ? `${dir}/${name}` : null;
  } catch {
    return null;
  }
}

async function has(command: string): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

async function printMachine(): Promise<void> {
  const text = async (cmd: string, args: string[]) => {
    try {
      return new TextDecoder().decode(
        (await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output()).stdout,
      ).trim();
    } catch {
      return "?";
    }
  };
  const cpu = (await text("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]))
    .trim();
  console.log(
    `machine: ${await text(
      "nproc",
      [],
    )} cores, ${cpu}; deno ${Deno.version.deno}; node ${await text("node", ["--version"])}`,
  );
  console.log(
    `each run: ${SECONDS} s measured after 1 s of warm-up; servers take turns, ${ROUNDS} round(s)`,
  );
}

async function rssKiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", `${pid}`],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim()) || 0;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

function median(samples: Sample[]): Sample {
  return {
    messagesPerSecond: middle(samples.map((s) => s.messagesPerSecond)),
    mbPerSecond: middle(samples.map((s) => s.mbPerSecond)),
    p99Ms: middle(samples.map((s) => s.p99Ms)),
    rssMb: Math.max(...samples.map((s) => s.rssMb)),
    errors: samples.reduce((n, s) => n + s.errors, 0),
  };
}

function middle(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join(" | ") +
    " |";
  console.log(line(head));
  console.log(
    "| " + widths.map((w, i) => i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":").join(" | ") +
      " |",
  );
  for (const r of rows) console.log(line(r));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

await main();
