/**
 * `relay --api`: a relay whose proxies are made, changed and faulted at run
 * time through Toxiproxy's HTTP API, from a `--config` file, or from
 * `--listen/--to` (the proxy named "relay"), all on one loop.
 *
 * @module
 */
import { addressName, type TcpAddress } from "../lib/address.ts";
import type { Log, LogFields } from "../lib/log.ts";
import type { Sessions } from "../server/host.ts";
import type { Server } from "../server/server.ts";
import type { HostConfig } from "../server/host_config.ts";
import { ApiError } from "./api_error.ts";
import { HttpSession } from "../server/http_session.ts";
import type { MetricsBoard } from "../server/metrics_board.ts";
import { metricsAnswer } from "../server/metrics_endpoint.ts";
import { ServerProxyHost } from "./proxy_host.ts";
import { type ProxyHost, ProxyTable } from "./proxy_table.ts";
import type { ToxicSpec } from "./toxic_spec.ts";
import { answerApi } from "./toxiproxy_api.ts";

/** A `relay --api` run as its command line asked for it; `address` is the API's. */
export interface RelayApiConfig extends HostConfig {
  readonly command: "relay-api";
  /** The proxy `--listen/--to` make, named "relay", with the command line's faults as toxics; null without them. */
  readonly first: {
    readonly listen: TcpAddress;
    readonly to: TcpAddress;
    readonly toxics: readonly ToxicSpec[];
  } | null;
  /** `--config`: its path and text, a JSON array of proxies; null without it. */
  readonly proxies: { readonly path: string; readonly text: string } | null;
  /** Seconds a dial to an upstream may take, handshake included (0: the system's limit). */
  readonly connectTimeout: number;
  /** Seeds every connection's randomness, so a run repeats. */
  readonly seed: number;
}

/**
 * The API's sessions, and the set-up that opens the first proxies once the
 * server is built: those of `--config`, then "relay". With workers, `share`
 * wraps this thread's proxy host so that every change reaches them too.
 * `board` answers `GET /metrics` on the API's port.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { apiSessions, type RelayApiConfig } from "./api_relay.ts";
 * declare const config: RelayApiConfig;
 * const { newSession, start } = apiSessions(config, new Log("normal"));
 * ```
 */
export function apiSessions(
  config: RelayApiConfig,
  log: Log,
  share: (local: ProxyHost) => ProxyHost = (local) => local,
  board: MetricsBoard | null = null,
): Sessions & { attach(server: Server): void } {
  const host = new ServerProxyHost({
    connectTimeout: config.connectTimeout,
    seed: config.seed,
    log,
  });
  const table = new ProxyTable(share(host));
  return {
    // Toxiproxy serves its metrics on its API port too.
    newSession: () =>
      new HttpSession((request) =>
        board !== null && request.path === "/metrics"
          ? metricsAnswer(board, request)
          : answerApi(table, request)
      ),
    // Before the server runs: a proxy made through the API needs it.
    attach: (server) => host.server = server,
    start: (server) => {
      host.server = server;
      const { proxies, first } = config;
      const made = proxies === null
        ? null
        : attempt(`--config ${proxies.path}: `, () => table.populate(proxies.text));
      return made ?? (first === null ? null : attempt("", () => {
        const relay = { name: "relay", listen: addressName(first.listen) };
        table.create(JSON.stringify({ ...relay, upstream: addressName(first.to) }));
        table.seed("relay", first.toxics);
      }));
    },
  };
}

// Runs `make`; the API error it throws, after `prefix`, or null when it went well.
function attempt(prefix: string, make: () => unknown): string | null {
  try {
    make();
    return null;
  } catch (e) {
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: the table throws only ApiErrors; anything else is a bug, thrown on
    if (!(e instanceof ApiError)) throw e;
    return prefix + e.message;
  }
}

/** The first line of `relay --api`, once the API listens on `address`. */
export function apiListeningLine(
  config: RelayApiConfig,
  address: string,
): { text: string; fields: LogFields } {
  return {
    text: `Toxiproxy API on http://${address}; seed ${config.seed}`,
    fields: { address, protocol: "toxiproxy-api", seed: config.seed },
  };
}
