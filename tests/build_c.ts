/** Builds one of bench/'s C programs with gcc, for a test. */
import assert from "node:assert/strict";
import { runCommand } from "./sockdemo_process.ts";

/** Builds `bench/NAME.c` into a new temporary folder; `remove` deletes the folder. */
export async function buildC(
  name: string,
): Promise<{ binary: string; remove: () => Promise<void> }> {
  const source = new URL(`../bench/${name}.c`, import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  const binary = `${dir}/${name}`;
  const built = await runCommand("gcc", ["-O2", "-o", binary, source]);
  assert.equal(built.code, 0, built.stderr);
  return { binary, remove: () => Deno.remove(dir, { recursive: true }) };
}
