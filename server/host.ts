/**
 * The connection host's set-up: the listeners one loop keeps, the server
 * built on them from a {@linkcode Sessions} factory, and the lines that say
 * how it listens. serve and relay are two users of it; it knows neither.
 *
 * @module
 */
import type { Address } from "../lib/address.ts";
import { listen, type ListenFailure, listenFailure, openUdp } from "../lib/transports.ts";
import { DatagramAcceptor } from "../lib/datagram.ts";
import type { Acceptor } from "../lib/loop.ts";
import type { ConnTally } from "../lib/conn_tally.ts";
import { EVENTS_VARIABLE, type EventsPerTick, FairThread } from "../lib/fair_thread.ts";
import type { Log, LogFields } from "../lib/log.ts";
import { readSysctl } from "../lib/sysctl.ts";
import type { Sessions } from "./entrance.ts";
import type { HostConfig } from "./host_config.ts";
import { Server } from "./server.ts";
import type { ServerOptions } from "./server_options.ts";

export type { Sessions } from "./entrance.ts";

/** What a loop listens with: a TCP, TLS or Unix listener, or a UDP socket served as one connection. */
export type Listening = Acceptor & { readonly addr: Deno.Addr };

/**
 * The server `config` asks for, on `listeners`, with `sessions`, logging to
 * `log`; `tally` is shared by the workers of one server.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { EchoSession } from "./echo.ts";
 * import { listenFor, newServer } from "./host.ts";
 * import type { Sessions } from "./entrance.ts";
import type { HostConfig } from "./host_config.ts";
 * declare const config: HostConfig;
 * const listeners = await listenFor(config);
 * if ("reason" in listeners) throw new Error(listeners.reason);
 * const sessions = { newSession: () => new EchoSession() };
 * const stats = await newServer(config, sessions, listeners, new Log("normal")).run();
 * ```
 */
export function newServer(
  config: HostConfig,
  sessions: Sessions,
  listeners: readonly Listening[],
  log: Log,
  tally?: ConnTally,
  announceDrain = true,
): Server {
  return new Server(listeners, serverOptions(config, sessions, log, tally, announceDrain));
}

/**
 * What a {@linkcode Server} is told from `config`: its limits (each worker
 * gets an equal part of the buffer budget), its timeouts, its sessions.
 */
export function serverOptions(
  config: HostConfig,
  sessions: Sessions,
  log: Log,
  tally: ConnTally | undefined,
  announceDrain: boolean,
): ServerOptions {
  return {
    log,
    maxConns: config.maxConns,
    maxBuffer: Math.floor(config.maxBuffer / config.workers),
    idleTimeout: config.idleTimeout,
    drainTimeout: config.drainTimeout,
    tally,
    announceDrain,
    ...sessions,
  };
}

/**
 * Listeners one loop keeps on its port. Deno accepts one connection per
 * listener per turn of its event loop, and under load a turn takes
 * milliseconds, so one listener accepts a burst of connects slowly enough
 * that the kernel's queue overflows and SYNs are dropped. Several
 * (SO_REUSEPORT, Linux only) accept that many per turn.
 */
// Stryker disable next-line all: this suite runs on Linux only
export const ACCEPTORS = Deno.build.os === "linux" ? 16 : 1;

/** The kernel's cap on a listener's accept queue, or null where it cannot be read. */
// Stryker disable next-line all: as above
export const SOMAXCONN = Deno.build.os === "linux" ? readSysctl("net.core.somaxconn") : null;

/**
 * Each listener's accept queue: deep, so that a burst of thousands of
 * connects waits there instead of being dropped (a dropped SYN is retried a
 * second later), and no deeper than the kernel's cap, `somaxconn`.
 */
export function backlogFor(somaxconn: number | null): number {
  return Math.min(4096, somaxconn ?? 4096);
}

/** This machine's accept queue per listener ({@linkcode backlogFor} its {@linkcode SOMAXCONN}). */
export const BACKLOG = backlogFor(SOMAXCONN);

/**
 * The listeners of one loop for `config` (on `at`, when a coordinator
 * already checked the port for its workers), or why it cannot listen.
 */
export function listenFor(
  config: Pick<HostConfig, "address" | "tls"> & { readonly udp?: boolean },
  at: Address = config.address,
): Promise<Listening[] | ListenFailure> {
  // Stryker disable next-line ConditionalExpression: serve refuses --udp with a Unix address before it listens (the test is for the type)
  if (config.udp === true && at.transport === "tcp") {
    try {
      return Promise.resolve([new DatagramAcceptor(openUdp(at.host, at.port))]);
    } catch (e) {
      return Promise.resolve(listenFailure(at, e));
    }
  }
  return listen(at, {
    tls: config.tls,
    count: ACCEPTORS, // a Unix socket gets one whatever the count
    backlog: BACKLOG,
    probed: at !== config.address,
  });
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
  const line = tuningLine(FairThread.eventsPerTick(), SOMAXCONN, tcp);
  log.debug("tuning", line.text, line.fields);
}

/**
 * The tuning line's words and fields: the accept queue (on `tcp` listeners,
 * with the kernel's `somaxconn`) and `events`, this runtime's I/O events per turn.
 */
export function tuningLine(
  events: EventsPerTick,
  somaxconn: number | null,
  tcp: boolean,
): { text: string; fields: LogFields } {
  const eventsText = events.source === "default"
    ? `I/O events per turn 1024 (Deno's default; --allow-env=${EVENTS_VARIABLE} lets ` +
      `sockdemo set it, or set it yourself, for fair service at thousands of connections)`
    : `I/O events per turn ${events.value} (set by ${
      events.source === "user" ? "you" : "sockdemo"
    })`;
  const cap = somaxconn === null
    ? "unknown: Deno reads it with --allow-all or --allow-ffi"
    : `${somaxconn}`;
  const backlog = backlogFor(somaxconn);
  const queue = tcp
    ? `Accept queue ${backlog} per listener (net.core.somaxconn ${cap}), ` +
      `${ACCEPTORS} listeners per loop; `
    : "";
  return {
    text: queue + eventsText,
    fields: {
      ...(tcp ? { backlog, somaxconn, listeners: ACCEPTORS } : {}),
      events_per_tick: events.source === "default" ? null : Number(events.value),
      events_set_by: events.source,
    },
  };
}
