/**
 * `--metrics ADDR`: the Prometheus endpoint, a small server of its own on
 * this thread's event loop, so scrapes are never counted among the served
 * connections nor logged among them.
 *
 * @module
 */
import { localName, type TcpAddress } from "../lib/address.ts";
import { type ListenFailure, listenTcp } from "../lib/transports.ts";
import type { HttpRequest } from "../lib/http_codec.ts";
import { Log } from "../lib/log.ts";
import { PROMETHEUS_TEXT } from "../lib/prometheus_text.ts";
import { type Answer, HttpSession } from "./http_session.ts";
import type { MetricsBoard } from "./metrics_board.ts";
import { Server } from "./server.ts";

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** The address it listens on, as bound (port 0 resolved). */
  readonly address: string;
  /** Stops it, closing any scrape under way; resolves once it is down. */
  stop(): Promise<void>;
}

/**
 * Answers a scrape: `GET /metrics` with `board`'s text, `GET /` with where
 * the metrics are; another path is a 404, another method on them a 405.
 */
export function metricsAnswer(board: MetricsBoard, request: HttpRequest): Answer {
  const path = request.path;
  if (path !== "/metrics" && path !== "/") {
    return { status: 404, body: "not found: the metrics are at /metrics\n", type: "text/plain" };
  }
  if (request.method !== "GET") {
    return { status: 405, body: "GET /metrics\n", type: "text/plain" };
  }
  if (path === "/") {
    return { status: 200, body: "sockdemo: metrics at /metrics\n", type: "text/plain" };
  }
  return { status: 200, body: board.text(), type: PROMETHEUS_TEXT };
}

/**
 * Serves `board` at `http://ADDRESS/metrics` until stopped; why it cannot
 * listen on `address`, if so.
 *
 * @example
 * ```ts
 * import { serveMetrics } from "./metrics_endpoint.ts";
 * import { MetricsBoard } from "./metrics_board.ts";
 * const endpoint = serveMetrics({ transport: "tcp", host: "127.0.0.1", port: 0 }, new MetricsBoard());
 * if (!("reason" in endpoint)) await endpoint.stop();
 * ```
 */
export function serveMetrics(
  address: TcpAddress,
  board: MetricsBoard,
): MetricsEndpoint | ListenFailure {
  const listeners = listenTcp(address);
  if ("reason" in listeners) return listeners;
  const server = new Server(listeners, {
    log: new Log("quiet"),
    newSession: () => new HttpSession((request) => metricsAnswer(board, request)),
    drainTimeout: 0,
    // Stryker disable next-line BooleanLiteral: only a scrape in flight at the very stop would be announced
    announceDrain: false,
  });
  const running = server.run();
  return {
    address: localName(listeners[0].addr),
    stop: async () => {
      server.stop();
      server.stop();
      await running;
    },
  };
}
