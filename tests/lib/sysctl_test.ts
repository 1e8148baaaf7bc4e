import assert from "node:assert/strict";
import { runCommand } from "../sockdemo_process.ts";

const MODULE = new URL("../../lib/sysctl.ts", import.meta.url).href;

// What `cat` says of /proc/sys/NAME (slashes for dots), as a user would read it.
async function cat(name: string): Promise<number> {
  const out = await runCommand("cat", [`/proc/sys/${name.replaceAll(".", "/")}`]);
  assert.equal(out.code, 0, out.stderr);
  return Number(out.stdout);
}

// readSysctl(name) in a process with the permissions `flags`.
async function readWith(flags: string[], name: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/read.ts`;
    await Deno.writeTextFile(
      script,
      `import { readSysctl } from "${MODULE}";\nconsole.log(String(readSysctl("${name}")));\n`,
    );
    const out = await runCommand(Deno.execPath(), [
      "run",
      ...flags,
      // Stryker's mutant switch; --allow-all has it already.
      ...(flags.includes("--allow-all") ? [] : ["--allow-env=__STRYKER_ACTIVE_MUTANT__"]),
      script,
    ]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LIBC = ["--allow-read", "--allow-ffi"];

Deno.test("sysctl: a number under /proc/sys, read through libc where Deno asks for --allow-all", async () => {
  assert.equal(await readWith(LIBC, "net.core.somaxconn"), `${await cat("net.core.somaxconn")}`);
  assert.equal(await readWith(LIBC, "kernel.pid_max"), `${await cat("kernel.pid_max")}`);
});

Deno.test("sysctl: with --allow-all Deno reads it itself; with neither, it is unknown", async () => {
  assert.equal(
    await readWith(["--allow-all"], "net.core.somaxconn"),
    `${await cat("net.core.somaxconn")}`,
  );
  assert.equal(await readWith(["--allow-read"], "net.core.somaxconn"), "null");
});

Deno.test("sysctl: a setting that is not a number, or that does not exist, is null", async () => {
  assert.equal(await readWith(LIBC, "kernel.ostype"), "null"); // "Linux"
  assert.equal(await readWith(LIBC, "net.core.no_such_setting"), "null");
  assert.equal(await readWith(["--allow-all"], "kernel.ostype"), "null");
  assert.equal(await readWith(["--allow-all"], "net.core.no_such_setting"), "null");
});
