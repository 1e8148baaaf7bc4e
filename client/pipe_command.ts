/**
 * `sockdemo connect --pipe`: standard input to a socket and the socket to
 * standard output, like `nc`.
 *
 * @module
 */
import { type Address, addressName, type ClientTls } from "../lib/address.ts";
import { dial } from "../lib/transports.ts";
import { runPipe, stdio } from "../relay/pipe.ts";
import { clientTls, type ConnectLine, serverAddress } from "./connect_options.ts";

// One connection, bytes only: what a pipe takes besides the address and TLS.
const PIPE_OPTIONS = new Set([
  "pipe",
  "to",
  "host",
  "port",
  "unix",
  "tls",
  "ca",
  "server-name",
  "timeout",
  "verbose",
  "quiet",
]);

/** What a pipe needs of its command line: where, TLS, the dial's deadline and whether to trace. */
export interface PipePlan {
  readonly at: Address;
  readonly tls: ClientTls | null;
  /** Seconds the dial may take (default 10). */
  readonly timeout: number;
  readonly verbose: boolean;
}

/** The pipe `line` asks for; a usage error for anything a pipe does not take. */
export function pipePlan(line: ConnectLine): PipePlan {
  for (const name of Object.keys(line.values)) {
    if (!PIPE_OPTIONS.has(name) && line.given(name as "pipe")) {
      line.fail(
        `--pipe joins standard input and output to one connection; --${name} does not apply`,
      );
    }
  }
  if (line.positionals.length > 0) {
    line.fail("--pipe sends standard input: give no MESSAGE arguments");
  }
  const at = serverAddress(line);
  return {
    at,
    tls: clientTls(line, at),
    timeout: line.values.timeout ?? 10,
    verbose: line.values.verbose === true,
  };
}

/** Runs `sockdemo connect --pipe` as `line` asks and resolves to the exit code. */
export async function pipeCommand(line: ConnectLine): Promise<number> {
  const { at, tls, timeout, verbose } = pipePlan(line);
  const encoder = new TextEncoder();
  const trace = verbose
    ? (text: string) => Deno.stderr.writeSync(encoder.encode(`sockdemo: ${text}\n`))
    : null;
  const outcome = await runPipe(dial(at, { tls, timeout }), stdio(), addressName(at), trace);
  trace?.(`${outcome.sent} bytes sent, ${outcome.received} received`);
  if (outcome.failure !== null) {
    console.error(`sockdemo: ${outcome.failure}`);
    return 1;
  }
  return 0;
}
