import assert from "node:assert/strict";
import { runCommand } from "../sockdemo_process.ts";

const ENTRY = new URL("./fair_entry.ts", import.meta.url).pathname;
const VARIABLE = "DENO_TOKIO_MAX_IO_EVENTS_PER_TICK";
const STRYKER = "__STRYKER_ACTIVE_MUTANT__";

// Runs fair_entry.ts with the permissions `flags` and the environment `env`.
async function entry(args: string[], flags: string[], env: Record<string, string> = {}) {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", ...flags, ENTRY, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
  const out = await command.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("fair thread: the program runs in a worker built with 64 events per turn; its exit code is the process's", async () => {
  const run = await entry(["7"], [`--allow-env=${VARIABLE},${STRYKER}`]);
  assert.equal(run.stdout, "worker: sockdemo 64\n");
  assert.equal(run.stderr, "");
  assert.equal(run.code, 7);
});

Deno.test("fair thread: a value set at launch is kept, and the program runs on the first thread", async () => {
  const run = await entry(["3"], [`--allow-env=${VARIABLE},${STRYKER}`], { [VARIABLE]: "32" });
  assert.equal(run.stdout, "first thread: user 32\n");
  assert.equal(run.code, 3);
});

Deno.test("fair thread: without --allow-env for it, the program runs on Deno's default", async () => {
  const run = await entry(["0"], [`--allow-env=${STRYKER}`]);
  assert.equal(run.stdout, "first thread: default\n");
  assert.equal(run.code, 0);
  // Nor when the module cannot be read again (a worker loads it from disk).
  const unreadable = await runCommand(Deno.execPath(), [
    "run",
    `--allow-read=${Deno.execPath()}`,
    `--allow-env=${VARIABLE},${STRYKER}`,
    ENTRY,
    "5",
  ]);
  assert.equal(unreadable.stdout, "first thread: default\n");
  assert.equal(unreadable.code, 5);
});

Deno.test("fair thread: what the program cannot catch is one line and exit 1", async () => {
  const flags = [`--allow-env=${VARIABLE},${STRYKER}`];
  for (
    const [mode, line] of [
      ["throw", "Error: boom"],
      ["reject", "TypeError: nope"],
      ["reject-text", "plain words"],
    ]
  ) {
    const run = await entry([mode], flags);
    assert.equal(run.stdout, "worker: sockdemo 64\n", mode);
    assert.equal(run.stderr, `sockdemo: internal error: ${line}\n`, mode);
    assert.equal(run.code, 1, mode);
  }
  // A worker that cannot even load its module: the first thread says so last
  // (Deno's own report of it, from the worker, cannot be turned off).
  const run = await entry(["fail-to-load"], flags);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /\nsockdemo: internal error: Error: cannot load\n$/);
  assert.match(run.stderr, /in worker "sockdemo"/);
  assert.equal(run.code, 1);
});
