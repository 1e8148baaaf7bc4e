/**
 * Fairness at thousands of connections: no connection waits seconds while
 * the others are served (lib/fair_thread.ts), measured by bench/'s C load client.
 */
import assert from "node:assert/strict";
import { cLoadClient } from "./c_load_client.ts";
import { runCommand, ServerProcess, sockdemoCommand } from "./sockdemo_process.ts";

Deno.test("serve: 3,000 ping-pong connections are served fairly: no reply waits over 1.5 s", async () => {
  const server = await ServerProcess.start(["--quiet"]);
  try {
    // 3,000 connections x 200 round trips of 64 bytes. With Deno's default runtime
    // some connections wait 4 s and more behind the others; fair, 0.2 s at most.
    const figures = await cLoadClient([
      "echo",
      "127.0.0.1",
      `${server.port}`,
      "3000",
      "200",
      "64",
      "1",
      "60",
    ]);
    assert.equal(figures.messages, 600_000);
    assert.equal(figures.errors, 0);
    assert.ok(figures.first_max_us < 2_000_000, `slowest first reply ${figures.first_max_us} us`);
    assert.ok(figures.max_us < 1_500_000, `slowest reply ${figures.max_us} us`);
  } finally {
    await server.stop();
  }
});

// `serve --verbose`'s second line, run as `deno run` with `flags`, the environment `env`
// and the serve options `where` (the address, and any more).
async function tuningLine(
  flags: string[],
  env: Record<string, string> = {},
  where = ["--port", "0"],
): Promise<string> {
  const [cmd, argv] = sockdemoCommand(["serve", ...where, "--verbose"]);
  const main = argv.findIndex((arg) => arg.endsWith("main.ts"));
  const child = new Deno.Command(cmd, {
    args: ["run", ...flags, ...argv.slice(main)],
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 30_000);
  while (text.split("\n").length < 3) {
    const { value, done } = await lines.read();
    if (done) break;
    text += value;
  }
  try {
    child.kill("SIGINT");
  } catch {
    // It ended already (it failed to start): its lines say why.
  }
  await lines.cancel();
  await child.stderr.cancel();
  await child.status;
  clearTimeout(deadline);
  return text.split("\n")[1] ?? `(no second line: ${text})`;
}

// Stryker's mutant switch is readable in every case (`deno task mutants`).
const ALL = ["--allow-net", "--allow-read", "--allow-ffi"];
const ENV = "--allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK,__STRYKER_ACTIVE_MUTANT__";
const NO_ENV = "--allow-env=__STRYKER_ACTIVE_MUTANT__";

Deno.test("serve --verbose: the accept queue, and the events per turn sockdemo set", async () => {
  // The kernel's cap, read as a user would.
  const somaxconn = Number((await runCommand("cat", ["/proc/sys/net/core/somaxconn"])).stdout);
  assert.equal(
    await tuningLine([...ALL, ENV]),
    `Accept queue ${Math.min(4096, somaxconn)} per listener (net.core.somaxconn ${somaxconn}), ` +
      "16 listeners per loop; I/O events per turn 64 (set by sockdemo)",
  );
});

Deno.test("serve --verbose: a user's own events per turn are kept", async () => {
  const line = await tuningLine([...ALL, ENV], { DENO_TOKIO_MAX_IO_EVENTS_PER_TICK: "32" });
  assert.match(line, /; I\/O events per turn 32 \(set by you\)$/);
});

Deno.test("serve --verbose: without --allow-env the line says how to be fair", async () => {
  const line = await tuningLine([...ALL, NO_ENV]);
  assert.match(
    line,
    /; I\/O events per turn 1024 \(Deno's default; --allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK lets sockdemo set it, or set it yourself, for fair service at thousands of connections\)$/,
  );
});

Deno.test("serve --verbose --log-format json: the same, as fields", async () => {
  const somaxconn = Number((await runCommand("cat", ["/proc/sys/net/core/somaxconn"])).stdout);
  const line = await tuningLine([...ALL, ENV], {}, ["--port", "0", "--log-format", "json"]);
  const { time: _, ...fields } = JSON.parse(line);
  assert.deepEqual(fields, {
    level: "debug",
    event: "tuning",
    backlog: Math.min(4096, somaxconn),
    somaxconn,
    listeners: 16,
    events_per_tick: 64,
    events_set_by: "sockdemo",
  });
  const plain = await tuningLine([...ALL, NO_ENV], {}, ["--port", "0", "--log-format", "json"]);
  const { events_per_tick, events_set_by } = JSON.parse(plain);
  assert.deepEqual({ events_per_tick, events_set_by }, {
    events_per_tick: null,
    events_set_by: "default",
  });
});

Deno.test("serve --unix --verbose: no accept queue to show, only the events per turn", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const flags = [...ALL, "--allow-write", ENV];
    const where = ["--unix", `${dir}/tuning.sock`];
    assert.equal(await tuningLine(flags, {}, where), "I/O events per turn 64 (set by sockdemo)");
    const json = JSON.parse(await tuningLine(flags, {}, [...where, "--log-format", "json"]));
    assert.equal("backlog" in json, false);
    assert.equal(json.events_per_tick, 64);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
