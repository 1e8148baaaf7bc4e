/**
 * `deno task bench:relay`: `sockdemo relay` beside Debian's socat
 * (`TCP-LISTEN:P,fork,reuseaddr TCP:...`), both in front of the same C echo
 * server (bench/echo_server.c), driven by the C load client
 * (bench/load_client.c), which verifies every byte. Each round runs every
 * proxy once per scenario, in turn; the table gives medians and the ratio to
 * socat from the same run. A "direct" row (no proxy) shows what relaying costs.
 *
 * Scenarios: bulk (8 connections x 1 MiB messages, depth 4), ping-pong (100
 * connections x 64 B), and 5,000 concurrent connections (10 messages each,
 * set-up included: socat forks a process per connection).
 *
 * Usage: deno task bench:relay [--rounds N] [--seconds S] [--only bulk,ping-pong,c5k]
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds), SECONDS = values.seconds;
const ONLY = values.only?.split(",") ?? null;
const ROOT = new URL("..", import.meta.url).pathname;

interface Proxy {
  readonly name: string;
  readonly port: number;
  readonly stop: () => Promise<void>;
}

async function build(dir: string, name: string): Promise<string> {
  const out = await new Deno.Command("gcc", {
    args: ["-O2", "-o", `${dir}/${name}`, `${ROOT}bench/${name}.c`],
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return `${dir}/${name}`;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  return port;
}

/** Starts `cmd` and waits until something accepts connections on `port`. */
async function start(name: string, port: number, cmd: string, args: string[]): Promise<Proxy> {
  // Quiet: the load client ends a timed run by closing with bytes in flight, which the relay logs as resets.
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return {
        name,
        port,
        stop: async () => {
          child.kill("SIGKILL");
          await child.status;
        },
      };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`${name} did not start`);
}

interface Result {
  readonly msgs: number;
  readonly mb: number;
  readonly p50: number;
  readonly p99: number;
  /** The slowest connection's wait from its dial to its first reply, in microseconds. */
  readonly firstMax: number;
  readonly errors: number;
}

async function load(loadgen: string, port: number, args: string[]): Promise<Result> {
  const [mode, ...rest] = args;
  const out = await new Deno.Command(loadgen, {
    args: [mode, "127.0.0.1", `${port}`, ...rest],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const field = (name: string) => Number(text.match(new RegExp(`${name}=([0-9.]+)`))?.[1] ?? NaN);
  const errors = out.code === 0 ? field("errors") : Math.max(1, field("errors") || 1);
  return {
    msgs: field("msgs_per_s"),
    mb: field("MBps"),
    p50: field("p50_us"),
    p99: field("p99_us"),
    firstMax: field("first_max_us"),
    errors,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-relay-bench-" });
  const loadgen = await build(dir, "load_client");
  const echoBin = await build(dir, "echo_server");
  const echoPort = freePort();
  const echo = await start("echo", echoPort, echoBin, [`${echoPort}`]);
  const target = `127.0.0.1:${echoPort}`;
  const relayPort = freePort(), socatPort = freePort();
  const proxies = [
    { name: "direct", port: echoPort, stop: () => Promise.resolve() },
    await start("sockdemo relay", relayPort, Deno.execPath(), [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-ffi",
      // Its loop on a fair runtime (lib/fair_thread.ts), as the relay task and binary run it.
      "--allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK",
      `${ROOT}main.ts`,
      "relay",
      "--listen",
      `127.0.0.1:${relayPort}`,
      "--to",
      target,
      "--quiet",
    ]),
    await start("socat", socatPort, "socat", [
      `TCP-LISTEN:${socatPort},fork,reuseaddr,backlog=4096`,
      `TCP:${target}`,
    ]),
  ];
  const scenarios = [
    {
      name: "bulk",
      what: "bulk: 8 connections x 1 MiB messages, depth 4",
      args: ["echo", "8", "0", "1048576", "4", "120", SECONDS],
      metric: "mb" as const,
    },
    {
      name: "ping-pong",
      what: "ping-pong: 100 connections x 64 B",
      args: ["echo", "100", "0", "64", "1", "120", SECONDS],
      metric: "msgs" as const,
    },
    {
      name: "c5k",
      what: "5,000 concurrent connections x 10 messages of 64 B (set-up included)",
      args: ["echo", "5000", "10", "64", "1", "120"],
      metric: "msgs" as const,
    },
  ];
  console.log(`deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, ${ROUNDS} rounds`);
  try {
    for (const s of scenarios) {
      if (ONLY && !ONLY.includes(s.name)) continue;
      const results = new Map<string, Result[]>(proxies.map((p) => [p.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const p of proxies) results.get(p.name)!.push(await load(loadgen, p.port, s.args));
      }
      console.log(`\n${s.what}; median of ${ROUNDS}`);
      const socat = median(results.get("socat")!.map((r) => r[s.metric]));
      for (const p of proxies) {
        const rs = results.get(p.name)!;
        const value = median(rs.map((r) => r[s.metric]));
        const unit = s.metric === "mb" ? "MB/s" : "msgs/s";
        const errors = rs.reduce((n, r) => n + r.errors, 0);
        console.log(
          `  ${p.name.padEnd(15)} ${value.toFixed(s.metric === "mb" ? 0 : 0).padStart(9)} ${unit}` +
            `  p50 ${median(rs.map((r) => r.p50)).toFixed(0)} us, p99 ${
              median(rs.map((r) => r.p99)).toFixed(0)
            } us, slowest first reply ${
              (Math.max(...rs.map((r) => r.firstMax)) / 1000).toFixed(0)
            } ms` +
            `  ${(value / socat).toFixed(2)}x socat  errors ${errors}` +
            `  (rounds: ${rs.map((r) => r[s.metric].toFixed(0)).join(", ")})`,
        );
      }
    }
  } finally {
    for (const p of proxies) await p.stop();
    await echo.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
