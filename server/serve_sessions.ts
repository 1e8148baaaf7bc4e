/**
 * What `serve` answers each connection with: an echo or an app session, and
 * for a connection refused at the limit, the app's `server busy`.
 *
 * @module
 */
import type { Log } from "../lib/log.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "./app.ts";
import { EchoSession } from "./echo.ts";
import type { Sessions } from "./host.ts";
import type { ServeConfig } from "./serve_options.ts";

/**
 * The sessions of `config`'s protocol; with `--verbose`, an app session
 * traces each request to `log`.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { serveSessions } from "./serve_sessions.ts";
 * import type { ServeConfig } from "./serve_options.ts";
 * declare const config: ServeConfig;
 * const session = serveSessions(config, new Log("normal")).newSession(1);
 * ```
 */
export function serveSessions(
  config: Pick<ServeConfig, "protocol" | "maxContent">,
  log: Log,
): Sessions {
  if (config.protocol === "echo") return { newSession: () => new EchoSession() };
  const limits = { ...DEFAULT_APP_LIMITS, maxContent: config.maxContent };
  const trace = (n: number) =>
    log.verbose ? (line: string) => log.debug("request", `#${n} ${line}`, { conn: n }) : null;
  return {
    newSession: (n) => new AppSession(limits, trace(n)),
    // An app peer hears why it is turned away; an echo peer just sees the close.
    refusal: (n) => new AppSession({ ...limits, discardLimit: 64 * 1024 }, trace(n), "server busy"),
  };
}
