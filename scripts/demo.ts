/**
 * `deno task demo`: starts `sockdemo serve` on a free loopback port, runs
 * `sockdemo connect` on its defaults against it (the socket guide's two
 * connections and two messages), shows both sides of the conversation, then
 * stops the server with SIGINT so its summary shows too.
 *
 * @module
 */
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;
const encoder = new TextEncoder();

function sockdemo(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    // Read (its own modules) and the variable: its fair runtime, as the tasks run it.
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `--allow-read=${ROOT}`,
      "--allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK",
      MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

/** Copies a stream to our stdout line by line with a prefix; resolves at its end. */
async function relay(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  onLine?: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      await Deno.stdout.write(encoder.encode(`${prefix}${line}\n`));
      onLine?.(line);
    }
  }
  if (pending) await Deno.stdout.write(encoder.encode(`${prefix}${pending}\n`));
}

const server = sockdemo(["serve", "--port", "0"]);
const { promise: listening, resolve: onListening } = Promise.withResolvers<string | null>();
const serverOut = relay(server.stdout, "serve   | ", (line) => {
  const match = /^Listening on 127\.0\.0\.1:(\d+)$/.exec(line);
  if (match) onListening(match[1]);
}).then(() => onListening(null));
const serverErr = relay(server.stderr, "serve   ! ");

const port = await listening;
let code = 1;
if (port === null) {
  console.error("demo: the server did not start");
} else {
  const client = sockdemo(["connect", "--port", port]);
  await Promise.all([relay(client.stdout, "connect | "), relay(client.stderr, "connect ! ")]);
  code = (await client.status).code;
}
// Let the server log the two closes before it is stopped.
await new Promise((r) => setTimeout(r, 100));
server.kill("SIGINT");
await Promise.all([serverOut, serverErr, server.status]);
Deno.exit(code);
