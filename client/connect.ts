import { Histogram } from "../lib/histogram.ts";
import { hostPort } from "../lib/host_port.ts";
import { Interest, Loop, type Stream } from "../lib/loop.ts";
import { type Conversation, EchoClient } from "./echo.ts";
import type { Payload } from "./payload.ts";
import { makeReport, type Report } from "./report.ts";

/** What an echo client run needs. */
export interface EchoRunOptions {
  /** Server host. */
  readonly hostname: string;
  /** Server port. */
  readonly port: number;
  /** Connections to open at once. */
  readonly conns: number;
  /** Unanswered messages allowed per connection. */
  readonly depth: number;
  /** The messages connection `index` sends. */
  readonly payloadFor: (index: number) => Payload;
  /** Hears the conversation, or null to stay silent. */
  readonly conversation: Conversation | null;
  /** Opens one connection; defaults to `Deno.connect` with TCP_NODELAY. */
  readonly dial?: () => Promise<Stream>;
}

/** How a run went. */
export interface RunResult {
  /** Totals, rates and latency. */
  readonly report: Report;
  /** Connections that got through the handshake. */
  readonly connected: number;
  /** A one-line description of the first failure, or null when all verified. */
  readonly failure: string | null;
}

/**
 * Runs `conns` echo clients on one readiness loop until each has verified
 * its payload or failed.
 *
 * @example
 * ```ts
 * import { runEchoClients } from "./connect.ts";
 * import { TextPayload } from "./payload.ts";
 * const payload = new TextPayload(["Message 1 from client."]);
 * const result = await runEchoClients({
 *   hostname: "127.0.0.1", port: 65432, conns: 2, depth: 1,
 *   payloadFor: () => payload, conversation: null,
 * });
 * console.log(result.failure ?? "all verified");
 * ```
 */
export async function runEchoClients(options: EchoRunOptions): Promise<RunResult> {
  const { hostname, port, conns, depth } = options;
  const address = hostPort(hostname, port);
  const dial = options.dial ?? (() => dialTcp(hostname, port));
  const loop = new Loop<EchoClient>();
  const latency = new Histogram();
  const totals = { conns, messages: 0, bytesSent: 0, bytesReceived: 0, errors: 0, seconds: 0 };
  let connected = 0, live = conns, failure: string | null = null;

  const start = performance.now();
  for (let i = 0; i < conns; i++) {
    const client = new EchoClient(i, options.payloadFor(i), depth, latency, options.conversation);
    loop.connect(dial(), Interest.NONE, client);
  }
  while (live > 0) {
    for (const ev of await loop.select()) {
      const client = ev.key.data;
      if (ev.type === "connect") {
        connected++;
        options.conversation?.opened(client.index);
      }
      if (!client.handle(ev)) {
        loop.modify(ev.key, client.interest(ev.key));
        continue;
      }
      options.conversation?.closed(client.index, client);
      loop.unregister(ev.key);
      live--;
      totals.messages += client.verified;
      totals.bytesSent += ev.key.bytesWritten;
      totals.bytesReceived += client.bytesReceived;
      const state = client.state;
      if (state.name === "failed") {
        totals.errors++;
        failure ??= state.during === "connecting"
          ? `cannot connect to ${address}: ${state.reason}${hintFor(state.reason)}`
          : `${address}: connection ${client.index + 1}: ${state.reason}`;
      }
    }
  }
  totals.seconds = (performance.now() - start) / 1000;
  if (failure !== null && totals.errors > 1) {
    failure += ` (${totals.errors} of ${conns} connections failed)`;
  }
  return { report: makeReport(totals, latency), connected, failure };
}

async function dialTcp(hostname: string, port: number): Promise<Stream> {
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  return conn;
}

function hintFor(reason: string): string {
  return reason === "connection refused" ? ' (is "sockdemo serve" running?)' : "";
}
