/** A neutral client for the tests: bench/'s C load client, built with gcc at test time. */
import assert from "node:assert/strict";
import { buildC } from "./build_c.ts";
import { runCommand } from "./sockdemo_process.ts";

/**
 * Runs `load_client ARGS...` (see bench/load_client.c) to its end and
 * returns the figures of its one line, by name (`max_us`, `first_max_us`...);
 * it fails the test when the client could not verify everything.
 */
export async function cLoadClient(args: string[]): Promise<Record<string, number>> {
  const { binary, remove } = await buildC("load_client");
  try {
    const run = await runCommand(binary, args, 120_000);
    assert.equal(run.code, 0, `load_client ${args.join(" ")}: ${run.stdout}${run.stderr}`);
    return Object.fromEntries(
      run.stdout.trim().split(" ").map((pair) => pair.split("=")).map(([k, v]) => [k, Number(v)]),
    );
  } finally {
    await remove();
  }
}
