import type { ConnTally } from "../lib/conn_tally.ts";
import { describeError } from "../lib/describe_error.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log } from "../lib/log.ts";
import type { LogFormat, Verbosity } from "../lib/log.ts";
import { AppSession, DEFAULT_APP_LIMITS } from "./app.ts";
import { EchoSession } from "./echo.ts";
import { relaySessions, type RelaySpec } from "./relay_config.ts";
import { EVENTS_VARIABLE, FairThread } from "../lib/fair_thread.ts";
import { readSysctl } from "../lib/sysctl.ts";
import { Server } from "./serve.ts";

/**
 * A `serve` run as the command line asked for it: plain data, so each
 * worker can be handed it and build the same server.
 */
export interface ServeConfig {
  readonly protocol: "echo" | "app" | "relay";
  /** `relay`: where to forward and with which faults; null for the other protocols. */
  readonly relay: RelaySpec | null;
  readonly host: string;
  /** The port to listen on; 0 for any free one. */
  readonly port: number;
  /** A Unix-domain socket's path to listen on instead of `host` and `port`, or null. */
  readonly unix: string | null;
  /** Serve one connection joined to standard input and output (`nc -l`), then stop. */
  readonly pipe: boolean;
  /** TLS: the certificate chain and private key in PEM; null for plain TCP. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  readonly maxContent: number;
  readonly maxConns: number;
  /** Bytes all connections together may hold (0: no limit); each worker gets an equal part. */
  readonly maxBuffer: number;
  readonly idleTimeout: number;
  readonly drainTimeout: number;
  readonly verbosity: Verbosity;
  readonly logFormat: LogFormat;
  /** Threads, each with a loop and a listener of its own (1: this thread alone). */
  readonly workers: number;
}

/**
 * The server `config` asks for, on `listener`, logging to `log`; `tally`
 * is shared by the workers of one server.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { newServer, type ServeConfig } from "./serve_config.ts";
 * declare const config: ServeConfig;
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stats = await newServer(config, listener, new Log("normal")).run();
 * ```
 */
export function newServer(
  config: ServeConfig,
  listener: Deno.Listener | Deno.Listener[],
  log: Log,
  tally?: ConnTally,
  announceDrain = true,
): Server {
  const limits = { ...DEFAULT_APP_LIMITS, maxContent: config.maxContent };
  const trace = (n: number) =>
    log.verbose ? (line: string) => log.debug("request", `#${n} ${line}`, { conn: n }) : null;
  const common = {
    log,
    maxConns: config.maxConns,
    maxBuffer: Math.floor(config.maxBuffer / config.workers),
    idleTimeout: config.idleTimeout,
    drainTimeout: config.drainTimeout,
    tally,
    announceDrain,
  };
  if (config.relay !== null) {
    return new Server(listener, { ...common, ...relaySessions(config.relay, log) });
  }
  return new Server(listener, {
    ...common,
    newSession: config.protocol === "echo"
      ? () => new EchoSession()
      : (n) => new AppSession(limits, trace(n)),
    // An app peer hears why it is turned away; an echo peer just sees the close.
    refusal: config.protocol === "echo"
      ? undefined
      : (n) => new AppSession({ ...limits, discardLimit: 64 * 1024 }, trace(n), "server busy"),
  });
}

/** Why a listener could not be opened. */
export interface ListenFailure {
  readonly address: string;
  /** The cause, with a hint where one helps. */
  readonly reason: string;
}

/**
 * Listeners one loop keeps on its port. Deno accepts one connection per
 * listener per turn of its event loop, and under load a turn takes
 * milliseconds, so one listener accepts a burst of connects slowly enough
 * that the kernel's queue overflows and SYNs are dropped. Several
 * (SO_REUSEPORT, Linux only) accept that many per turn.
 */
export const ACCEPTORS = Deno.build.os === "linux" ? 16 : 1;

/**
 * Checks that `config`'s address is free with a plain listener, closed at
 * once: it fails as "address already in use" where anyone holds the port,
 * even another SO_REUSEPORT group, and finds the port for 0. The address
 * it names is the one the listeners will have.
 */
export function probe(config: ServeConfig): { hostname: string; port: number } | ListenFailure {
  try {
    const plain = Deno.listen({ hostname: config.host, port: config.port });
    const { hostname, port } = plain.addr;
    plain.close();
    return { hostname, port };
  } catch (e) {
    return failure(config.host, config.port, e);
  }
}

/**
 * The listeners of one loop for `config` on `port`, or why it cannot listen
 * there; unless `probed` (a coordinator checked the port), {@linkcode probe}
 * checks it first.
 */
export function listen(
  config: ServeConfig,
  port: number,
  probed = false,
): Deno.TcpListener[] | ListenFailure {
  const open = (port: number, reusePort: boolean) => tcpListener(config, port, reusePort);
  const listeners: Deno.TcpListener[] = [];
  try {
    if (ACCEPTORS === 1) return [open(port, false)];
    if (!probed) {
      const free = probe(config);
      if ("reason" in free) return free;
      port = free.port;
    }
    for (let i = 0; i < ACCEPTORS; i++) listeners.push(open(port, true));
    return listeners;
  } catch (e) {
    for (const l of listeners) l.close();
    return failure(config.host, port, e);
  }
}

/** One plain listener for `config` (no SO_REUSEPORT), or why it cannot listen. */
export function listenOne(config: ServeConfig): Deno.Listener | ListenFailure {
  try {
    return tcpListener(config, config.port, false);
  } catch (e) {
    return failure(config.host, config.port, e);
  }
}

/** The kernel's cap on a listener's accept queue, or null where it cannot be read. */
export const SOMAXCONN = Deno.build.os === "linux" ? readSysctl("net.core.somaxconn") : null;

/**
 * Each listener's accept queue: deep, so that a burst of thousands of
 * connects waits there instead of being dropped (a dropped SYN is retried a
 * second later); the kernel caps it at {@linkcode SOMAXCONN}.
 */
export const BACKLOG = Math.min(4096, SOMAXCONN ?? 4096);

// A TCP listener, or a TLS one (its handshakes happen on each connection's first read).
function tcpListener(config: ServeConfig, port: number, reusePort: boolean): Deno.TcpListener {
  const options = { hostname: config.host, port, tcpBacklog: BACKLOG, reusePort };
  if (config.tls === null) return Deno.listen(options);
  return Deno.listenTls({ ...options, ...config.tls }) as unknown as Deno.TcpListener;
}

function failure(host: string, port: number, e: unknown): ListenFailure {
  const cause = describeError(e);
  const hint = cause === "permission denied" && port < 1024
    ? " (ports below 1024 need privileges)"
    : "";
  return { address: hostPort(host, port), reason: cause + hint };
}

/**
 * A listener on the Unix-domain socket `path`. A socket file nobody listens
 * on any more (a server that was killed) is replaced; a live one is
 * "address already in use"; any other file there is left alone.
 */
export async function listenUnix(path: string): Promise<Deno.UnixListener | ListenFailure> {
  const address = `unix:${path}`;
  const open = () => Deno.listen({ transport: "unix", path });
  try {
    return open();
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) return { address, reason: describeError(e) };
  }
  try {
    if (!Deno.lstatSync(path).isSocket) {
      return { address, reason: "address already in use (by a file that is not a socket)" };
    }
    // Someone answers: the address is taken. Refused: nobody listens, the file is stale.
    const live = await Deno.connect({ transport: "unix", path }).then((c) => {
      c.close();
      return true;
    }, () => false);
    if (live) return { address, reason: "address already in use" };
    Deno.removeSync(path);
    return open();
  } catch (e) {
    return { address, reason: describeError(e) };
  }
}

/** Logs `failure` as the error line of a server that cannot start. */
export function logListenFailure(log: Log, failure: ListenFailure): void {
  log.error("listen_failed", `sockdemo: cannot listen on ${failure.address}: ${failure.reason}`, {
    address: failure.address,
    reason: failure.reason,
  });
}

/**
 * The `--verbose` line of what decides how fast a burst of connects is
 * accepted (each listener's queue, on `tcp` listeners) and how fairly
 * thousands of connections are served (this thread's events per turn).
 */
export function logTuning(log: Log, tcp: boolean): void {
  const events = FairThread.eventsPerTick();
  const eventsText = events.source === "default"
    ? `I/O events per turn 1024 (Deno's default; --allow-env=${EVENTS_VARIABLE} lets ` +
      `sockdemo set it, or set it yourself, for fair service at thousands of connections)`
    : `I/O events per turn ${events.value} (set by ${
      events.source === "user" ? "you" : "sockdemo"
    })`;
  const cap = SOMAXCONN === null
    ? "unknown: Deno reads it with --allow-all or --allow-ffi"
    : `${SOMAXCONN}`;
  const queue = tcp
    ? `Accept queue ${BACKLOG} per listener (net.core.somaxconn ${cap}), ` +
      `${ACCEPTORS} listeners per loop; `
    : "";
  log.debug("tuning", queue + eventsText, {
    ...(tcp ? { backlog: BACKLOG, somaxconn: SOMAXCONN, listeners: ACCEPTORS } : {}),
    events_per_tick: events.source === "default" ? null : Number(events.value),
    events_set_by: events.source,
  });
}
