import type { Histogram } from "../lib/histogram.ts";
import { hostPort } from "../lib/host_port.ts";
import { Interest, Loop, type Stream } from "../lib/loop.ts";
import { makeReport, type Report } from "./report.ts";
import type { ClientSession } from "./session.ts";

/** What a client run needs. */
export interface ClientRunOptions<S extends ClientSession> {
  /** Server host. */
  readonly hostname: string;
  /** Server port. */
  readonly port: number;
  /** Clients running at once. */
  readonly conns: number;
  /** The session of client `index`'s first connection. */
  readonly first: (index: number) => S;
  /** After a connection finished cleanly: the same client's next one, or null when it is done. */
  readonly next?: (finished: S) => S | null;
  /** The histogram the sessions record latency in, for the report. */
  readonly latency: Histogram;
  /** Hears each connection that got connected. */
  readonly onOpen?: (session: S) => void;
  /** Hears each connection that finished, done or failed. */
  readonly onClose?: (session: S) => void;
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
 * Runs `conns` clients on one readiness loop until every one is done or
 * failed. A client may use several connections in turn (see `next`).
 *
 * @example
 * ```ts
 * import { Histogram } from "../lib/histogram.ts";
 * import { runClients } from "./connect.ts";
 * import { EchoClient } from "./echo.ts";
 * import { TextPayload } from "./payload.ts";
 * const latency = new Histogram();
 * const payload = new TextPayload(["Message 1 from client."]);
 * const result = await runClients({
 *   hostname: "127.0.0.1", port: 65432, conns: 2, latency,
 *   first: (i) => new EchoClient(i, payload, 1, latency, null),
 * });
 * console.log(result.failure ?? "all verified");
 * ```
 */
export async function runClients<S extends ClientSession>(
  options: ClientRunOptions<S>,
): Promise<RunResult> {
  const { hostname, port, conns } = options;
  const address = hostPort(hostname, port);
  const dial = options.dial ?? (() => dialTcp(hostname, port));
  const loop = new Loop<S>();
  const totals = { conns, messages: 0, bytesSent: 0, bytesReceived: 0, errors: 0, seconds: 0 };
  let connected = 0, live = conns, failure: string | null = null;

  const start = performance.now();
  for (let i = 0; i < conns; i++) loop.connect(dial(), Interest.NONE, options.first(i));
  while (live > 0) {
    for (const ev of await loop.select()) {
      const session = ev.key.data;
      if (ev.type === "connect") {
        connected++;
        options.onOpen?.(session);
      }
      if (!session.handle(ev)) {
        loop.modify(ev.key, session.interest(ev.key));
        continue;
      }
      options.onClose?.(session);
      loop.unregister(ev.key);
      totals.messages += session.verified;
      totals.bytesSent += ev.key.bytesWritten;
      totals.bytesReceived += ev.key.bytesRead;
      const failed = session.failure;
      const next = failed === null ? options.next?.(session) ?? null : null;
      if (next !== null) {
        loop.connect(dial(), Interest.NONE, next);
        continue;
      }
      live--;
      if (failed !== null) {
        totals.errors++;
        failure ??= failed.during === "connecting"
          ? `cannot connect to ${address}: ${failed.reason}${hintFor(failed.reason)}`
          : `${address}: connection ${session.index + 1}: ${failed.reason}`;
      }
    }
  }
  totals.seconds = (performance.now() - start) / 1000;
  if (failure !== null && totals.errors > 1) {
    failure += ` (${totals.errors} of ${conns} connections failed)`;
  }
  return { report: makeReport(totals, options.latency), connected, failure };
}

async function dialTcp(hostname: string, port: number): Promise<Stream> {
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  return conn;
}

function hintFor(reason: string): string {
  return reason === "connection refused" ? ' (is "sockdemo serve" running?)' : "";
}
