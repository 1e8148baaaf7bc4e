/**
 * Which sessions a server's config asks for: the one place that knows every
 * command the connection host serves, so a worker handed a config as plain
 * data builds the same server as the thread that parsed it.
 *
 * @module
 */
import type { Log } from "../lib/log.ts";
import { apiSessions, type RelayApiConfig } from "../relay/api_relay.ts";
import { type RelayConfig, relaySessions } from "../relay/relay_sessions.ts";
import type { Sessions } from "./host.ts";
import type { MetricsBoard } from "./metrics_board.ts";
import type { ServeConfig } from "./serve_options.ts";
import { serveSessions } from "./serve_sessions.ts";

/** The config of any command the host serves. */
export type ServerConfig = ServeConfig | RelayConfig | RelayApiConfig;

/**
 * The sessions `config`'s command serves connections with (a relay API
 * answers `/metrics` from `board`).
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { type ServerConfig, sessionsFor } from "./sessions_for.ts";
 * declare const config: ServerConfig;
 * const { newSession } = sessionsFor(config, new Log("normal"));
 * ```
 */
export function sessionsFor(
  config: ServerConfig,
  log: Log,
  board: MetricsBoard | null = null,
): Sessions {
  switch (config.command) {
    case "relay":
      return relaySessions(config, log);
    case "relay-api":
      return apiSessions(config, log, undefined, board);
    default:
      return serveSessions(config, log);
  }
}
