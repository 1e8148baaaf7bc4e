/**
 * What `serve` answers each connection with: an echo or an app session, and
 * for a connection refused at the limit, the app's `server busy`.
 *
 * @module
 */
import { Child } from "../lib/child.ts";
import type { Log } from "../lib/log.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "./app.ts";
import { EchoSession } from "./echo.ts";
import { ExecSession } from "./exec_session.ts";
import { UdpEchoSession } from "./udp_echo.ts";
import type { Sessions } from "./host.ts";
import type { ExecCommand, ServeConfig } from "./serve_options.ts";

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
  config: Pick<ServeConfig, "protocol" | "maxContent" | "exec"> & { readonly udp?: boolean },
  log: Log,
): Sessions {
  if (config.udp === true) return { newSession: () => new UdpEchoSession() };
  if (config.exec !== null) return execSessions(config.exec, log);
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

// Each connection a child of `exec`; the server's end waits for the last child's.
function execSessions(exec: ExecCommand, log: Log): Sessions {
  const running = new Set<Child>();
  const plan = {
    name: exec.command.slice(exec.command.lastIndexOf("/") + 1),
    spawn: (env: Record<string, string>) => {
      const child = Child.spawn({ command: exec.command, args: exec.args, env });
      running.add(child);
      child.exited.then(() => running.delete(child));
      return child;
    },
    stderr: (n: number, line: string) =>
      log.error("stderr", `#${n} stderr: ${line}`, { conn: n, line }),
  };
  return {
    newSession: (n) => new ExecSession(plan, n),
    finish: async () => {
      await Promise.all([...running].map((child) => child.exited));
    },
  };
}
