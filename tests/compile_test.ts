import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { runCommand } from "./sockdemo_process.ts";

// `deno compile` downloads its runtime (denort) unless DENORT_BIN names one;
// where neither is possible this test cannot run, and says so in its name.
const denort = Deno.env.get("DENORT_BIN");

Deno.test({
  name: denort
    ? "compile: `deno task compile` builds a sockdemo binary that runs"
    : "compile: SKIPPED, set DENORT_BIN to a denort runtime to build and run the binary",
  ignore: !denort,
  async fn() {
    // The task's own flags, with the output moved to a temporary directory.
    const args = denoJson.tasks.compile.split(/\s+/).slice(1);
    const dir = await Deno.makeTempDir();
    const binary = `${dir}/sockdemo`;
    args[args.indexOf("--output") + 1] = binary;
    try {
      const built = await runCommand(Deno.execPath(), args, 120_000);
      assert.equal(built.code, 0, built.stderr);
      const version = await runCommand(binary, ["--version"]);
      assert.equal(version.stdout, `sockdemo ${denoJson.version}\n`);
      const usage = await runCommand(binary, ["bogus"]);
      assert.equal(usage.code, 2);
      // The worker modules travel inside the binary (--include).
      const serving = new Deno.Command(binary, {
        args: ["serve", "--port", "0", "--workers", "2"],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = serving.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const first = (await reader.read()).value ?? "";
      const port = /Listening on 127\.0\.0\.1:(\d+) \(2 workers\)/.exec(first)?.[1];
      assert.ok(port !== undefined, first);
      const load = await runCommand(binary, [
        "connect",
        "--port",
        port,
        "--conns",
        "4",
        "--messages",
        "3",
        "--size",
        "10",
        "--workers",
        "2",
      ]);
      assert.equal(load.code, 0, load.stderr);
      serving.kill("SIGINT");
      assert.equal((await serving.status).code, 0);
      await reader.cancel();
      await serving.stderr.cancel();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
