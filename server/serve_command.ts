/**
 * `sockdemo serve`: the server its options ask for, on the connection host,
 * or with `--pipe` the first connection joined to standard input and output.
 *
 * @module
 */
import { localName } from "../lib/address.ts";
import { listen, removeSocket } from "../lib/transports.ts";
import { cannotRun } from "../lib/child.ts";
import { helpText } from "../lib/command_line.ts";
import { Log } from "../lib/log.ts";
import { runPipe, stdio } from "../relay/pipe.ts";
import { runServer } from "./run_server.ts";
import { parseServe, SERVE_SPEC, type ServeConfig } from "./serve_options.ts";

/** Runs `sockdemo serve ARGS` and resolves to the exit code. */
export async function serveCommand(args: string[]): Promise<number> {
  const config = parseServe(args);
  if (config === null) {
    console.log(helpText(SERVE_SPEC));
    return 0;
  }
  if (config.pipe) return await servePipe(config);
  const why = config.exec === null ? null : cannotRun(config.exec.command);
  if (why !== null) {
    const reason = `cannot run ${config.exec!.name}: ${why}`;
    new Log(config.verbosity, config.logFormat).error("start_failed", `sockdemo: ${reason}`, {
      reason,
    });
    return 1;
  }
  return await runServer(config, (address) => {
    const tls = (config.tls === null ? "" : " (TLS)") + (config.udp ? " (UDP)" : "") +
      (config.exec === null ? "" : ` (each connection: ${config.exec.name})`);
    const workers = config.workers === 1
      ? tls
      : ` (${config.workers} workers${config.tls === null ? "" : ", TLS"})`;
    return {
      text: `Listening on ${address}${workers}`,
      fields: {
        address,
        protocol: config.exec === null ? config.protocol : "exec",
        tls: config.tls !== null,
        workers: config.workers,
      },
    };
  });
}

// `serve --pipe`, like `nc -l`: the first connection only, joined to standard
// input and output; the listener closes at once, so others are refused. Its
// lines go to standard error: standard output carries the peer's bytes.
async function servePipe(config: ServeConfig): Promise<number> {
  const listeners = await listen(config.address, { tls: config.tls });
  const say = (line: string) => console.error(line);
  if ("reason" in listeners) {
    say(`sockdemo: cannot listen on ${listeners.address}: ${listeners.reason}`);
    return 1;
  }
  const listener = listeners[0];
  const address = localName(listener.addr);
  say(`Listening on ${address} (pipe: one connection${config.tls === null ? "" : ", TLS"})`);
  const encoder = new TextEncoder();
  const trace = config.verbosity === "verbose"
    ? (line: string) => Deno.stderr.writeSync(encoder.encode(`sockdemo: ${line}\n`))
    : null;
  const accepting = listener.accept();
  const conn = await accepting.finally(() => {
    listener.close();
    removeSocket(config.address);
  });
  (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
  const peer = conn.remoteAddr.transport === "tcp" ? localName(conn.remoteAddr) : address;
  if (config.verbosity !== "quiet") say(`Accepted ${peer}; refusing others`);
  const outcome = await runPipe(Promise.resolve(conn), stdio(), peer, trace);
  trace?.(`${outcome.sent} bytes sent, ${outcome.received} received`);
  if (outcome.failure !== null) {
    say(`sockdemo: ${outcome.failure}`);
    return 1;
  }
  return 0;
}
