/**
 * `sockdemo connect --pipe`: standard input to a socket and the socket to
 * standard output, like `nc`.
 *
 * @module
 */
import { Arguments } from "../lib/arguments.ts";
import { connectTcp } from "../lib/connect_tcp.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Stream } from "../lib/loop.ts";
import { runPipe, stdio } from "../lib/pipe.ts";
import { tlsOptions } from "./tls_options.ts";
import { dialer } from "./connect_config.ts";

/** Runs `sockdemo connect --pipe ARGS` and resolves to the exit code. */
export async function pipeCommand(args: string[]): Promise<number> {
  const a = new Arguments("connect", args, {
    pipe: { type: "boolean", default: false },
    host: { type: "string" },
    port: { type: "string" },
    unix: { type: "string" },
    tls: { type: "boolean", default: false },
    ca: { type: "string" },
    "server-name": { type: "string" },
    verbose: { type: "boolean", default: false },
  });
  const values = a.values;
  const unix = values.unix ?? null;
  if (unix !== null && (values.host !== undefined || values.port !== undefined)) {
    a.fail("--unix takes the place of --host and --port: give one or the other");
  }
  const host = values.host ?? "127.0.0.1";
  const port = a.integer("--port", values.port ?? "65432", 1, 65535);
  const address = unix === null ? hostPort(host, port) : `unix:${unix}`;
  const tls = tlsOptions(a, values.tls, values.ca, values["server-name"], unix);
  const dial = dialer({ hostname: host, port, unix, tls });
  const dialing: Promise<Stream> = dial === undefined ? connectTcp(host, port) : dial();
  const encoder = new TextEncoder();
  const trace = values.verbose
    ? (line: string) => Deno.stderr.writeSync(encoder.encode(`sockdemo: ${line}\n`))
    : null;
  const outcome = await runPipe(dialing, stdio(), address, trace);
  trace?.(`${outcome.sent} bytes sent, ${outcome.received} received`);
  if (outcome.failure !== null) {
    console.error(`sockdemo: ${outcome.failure}`);
    return 1;
  }
  return 0;
}
