/**
 * sockdemo's command line: parses arguments and wires a server or client
 * together. The mechanisms live in `lib/`, the protocols in `server/` and
 * `client/`.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import denoJson from "./deno.json" with { type: "json" };
import { ConversationPrinter } from "./client/conversation.ts";
import { runEchoClients } from "./client/connect.ts";
import { PatternPayload, type Payload, TextPayload } from "./client/payload.ts";
import { formatReport } from "./client/report.ts";
import { describeError } from "./lib/describe_error.ts";
import { hostPort } from "./lib/host_port.ts";
import { Log } from "./lib/log.ts";
import { EchoSession } from "./server/echo.ts";
import { formatStats, Server } from "./server/serve.ts";

const VERSION = denoJson.version;
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = "65432";
const GUIDE_MESSAGES = ["Message 1 from client.", "Message 2 from client."];

const HELP = `sockdemo ${VERSION}: a TCP echo server and client on a hand-written readiness loop

Usage:
  sockdemo serve   [--host HOST] [--port PORT] [--quiet | --verbose]
  sockdemo connect [--host HOST] [--port PORT] [--conns N]
                   [--messages M --size BYTES | MESSAGE...] [--depth D] [--json]
  sockdemo --help | --version

Commands:
  serve     echo every byte back to whoever connects
  connect   send messages to an echo server and verify every byte that returns

Run "sockdemo serve --help" or "sockdemo connect --help" for the options.`;

const SERVE_HELP = `Usage: sockdemo serve [--host HOST] [--port PORT] [--quiet | --verbose]

Runs an echo server. Prints "Listening on HOST:PORT" first, then a line per
connection accepted and closed. SIGINT or SIGTERM stops it with a summary.

Options:
  --host HOST    address to listen on (default ${DEFAULT_HOST})
  --port PORT    port to listen on, 0 for any free one (default ${DEFAULT_PORT})
  --quiet        no per-connection lines; errors, the address and the summary only
  --verbose      also a line per read, write (partial writes shown), state and interest change
  -h, --help     show this help`;

const CONNECT_HELP = `Usage: sockdemo connect [--host HOST] [--port PORT] [--conns N]
                        [--messages M --size BYTES | MESSAGE...] [--depth D] [--json]

Opens N connections to an echo server, sends messages on each and checks
every byte that comes back. Without messages it sends the socket guide's
"Message 1 from client." and "Message 2 from client." and prints the
conversation. Exits 0 when every byte was verified, 1 otherwise.

Options:
  --host HOST        server address (default ${DEFAULT_HOST})
  --port PORT        server port (default ${DEFAULT_PORT})
  --conns N          connections at once (default 2)
  --messages M       send M generated messages per connection (needs --size)
  --size BYTES       size of each generated message
  --depth D          messages in flight per connection (default 1)
  --json             print the summary as one JSON object instead
  MESSAGE...         send these texts instead of generated messages
  -h, --help         show this help`;

/** A mistake in the command line: exit 2 with a hint to the command's help. */
class UsageError extends Error {
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

/** Runs sockdemo with `args` and resolves to the process's exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "serve":
        return await serve(rest);
      case "connect":
        return await connect(rest);
      case "--help":
      case "-h":
        console.log(HELP);
        return 0;
      case "--version":
      case "-V":
        console.log(`sockdemo ${VERSION}`);
        return 0;
      case undefined:
        throw new UsageError("missing command: serve or connect", "");
      default:
        throw new UsageError(
          command.startsWith("-")
            ? `unknown option "${command}"`
            : `unknown command "${command}": expected serve or connect`,
          "",
        );
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.command === "" ? "sockdemo --help" : `sockdemo ${e.command} --help`;
    console.error(`sockdemo: ${e.message} (try "${help}")`);
    return 2;
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse("serve", args, {
    host: { type: "string", default: DEFAULT_HOST },
    port: { type: "string", default: DEFAULT_PORT },
    quiet: { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  if (values.quiet && values.verbose) {
    throw new UsageError("--quiet and --verbose cannot be used together", "serve");
  }
  const port = integer("serve", "--port", values.port, 0, 65535);
  const host = values.host;
  let listener: Deno.TcpListener;
  try {
    // A deep backlog so bursts of thousands of connects are not refused.
    listener = Deno.listen({ hostname: host, port, tcpBacklog: 4096 });
  } catch (e) {
    console.error(`sockdemo: cannot listen on ${hostPort(host, port)}: ${describeError(e)}`);
    return 1;
  }
  console.log(`Listening on ${hostPort(listener.addr.hostname, listener.addr.port)}`);
  const log = new Log(values.quiet ? "quiet" : values.verbose ? "verbose" : "normal");
  const server = new Server(listener, { log, newSession: () => new EchoSession() });
  const stop = () => server.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const stats = await server.run();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  console.log(formatStats(stats));
  return 0;
}

async function connect(args: string[]): Promise<number> {
  const { values, positionals } = parse("connect", args, {
    host: { type: "string", default: DEFAULT_HOST },
    port: { type: "string", default: DEFAULT_PORT },
    conns: { type: "string", default: "2" },
    messages: { type: "string" },
    size: { type: "string" },
    depth: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(CONNECT_HELP);
    return 0;
  }
  const port = integer("connect", "--port", values.port, 1, 65535);
  const conns = integer("connect", "--conns", values.conns, 1, 1_000_000);
  const depth = integer("connect", "--depth", values.depth, 1, 1_000_000);
  if ((values.messages === undefined) !== (values.size === undefined)) {
    throw new UsageError("--messages and --size go together", "connect");
  }
  let payloadFor: (index: number) => Payload;
  let text: TextPayload | null = null;
  if (values.messages !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(
        "give either --messages/--size or MESSAGE arguments, not both",
        "connect",
      );
    }
    const count = integer("connect", "--messages", values.messages, 1, Number.MAX_SAFE_INTEGER);
    const size = integer("connect", "--size", values.size!, 1, 1 << 30);
    payloadFor = (index) => new PatternPayload(count, size, index);
  } else {
    text = new TextPayload(positionals.length > 0 ? positionals : GUIDE_MESSAGES);
    payloadFor = () => text!;
  }
  const address = hostPort(values.host, port);
  const result = await runEchoClients({
    hostname: values.host,
    port,
    conns,
    depth,
    payloadFor,
    conversation: text !== null && !values.json
      ? new ConversationPrinter(text, address, console.log)
      : null,
  });
  if (values.json) console.log(JSON.stringify(result.report));
  else if (result.connected > 0) console.log(formatReport(result.report));
  if (result.failure !== null) {
    console.error(`sockdemo: ${result.failure}`);
    return 1;
  }
  return 0;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

// parseArgs in strict mode, with its errors turned into one-line usage errors.
function parse<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: positionals });
  } catch (e) {
    // Node's messages run to several sentences and lines; the first says what is wrong.
    const message = (e as Error).message.split("\n")[0].split(". ")[0].replace(/\.$/, "");
    throw new UsageError(message[0].toLowerCase() + message.slice(1), command);
  }
}

function integer(command: string, name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(
      `${name} must be an integer from ${min} to ${max}, not "${text}"`,
      command,
    );
  }
  return value;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    // A bug, not a user error: one line, still no stack trace for the user.
    console.error(`sockdemo: internal error: ${describeError(e)}`);
    code = 1;
  }
  Deno.exit(code);
}
