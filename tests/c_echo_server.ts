/** A neutral peer for the tests: bench/'s C echo server, built with gcc at test time. */
import { buildC } from "./build_c.ts";

/** The C echo server of bench/, built for the test, on a free port; `stop` kills it and cleans up. */
export async function cEchoServer(): Promise<
  { port: number; pid: number; stop: () => Promise<void> }
> {
  const { binary, remove } = await buildC("echo_server");
  const child = new Deno.Command(binary, { args: ["0"], stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = (await reader.read()).value ?? "";
  const port = Number(/Listening on 127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
      await remove();
    },
  };
}
