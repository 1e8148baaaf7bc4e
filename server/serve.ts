import { BufferBudget } from "../lib/buffer_budget.ts";
import { collectGarbage } from "../lib/collect_garbage.ts";
import type { BufferPool } from "../lib/buffer_pool.ts";
import { ConnTally } from "../lib/conn_tally.ts";
import { describeError } from "../lib/describe_error.ts";
import { hostPort } from "../lib/host_port.ts";
import { IdleList, type IdleNode } from "../lib/idle_list.ts";
import type { Log, LogFields } from "../lib/log.ts";
import { plural } from "../lib/plural.ts";
import { TimerHeap } from "../lib/timer_heap.ts";
import { type Acceptor, type Event, Interest, type Key, Loop, type Stream } from "../lib/loop.ts";
import type { Session } from "./session.ts";

/** What a server needs besides its listener. */
export interface ServerOptions {
  /** Where connection and event lines go. */
  readonly log: Log;
  /** Makes the state machine of the `number`th accepted connection. */
  readonly newSession: (number: number) => Session;
  /** Past this many open connections, new ones are refused (default: no limit). */
  readonly maxConns?: number;
  /**
   * For a refused connection, a session that tells the peer before closing
   * (the app protocol's `server busy`); without one it is closed at once.
   */
  readonly refusal?: (number: number) => Session;
  /**
   * How long a refused connection may linger after its refusal, in seconds
   * (default 1): its reply and FIN go out, what it sends is dropped, then it
   * is closed, whether or not the peer closed first.
   */
  readonly refusalLinger?: number;
  /** Refused connections lingering at once (default 64); past it, new ones are closed at once. */
  readonly maxLingering?: number;
  /** Close a connection with no traffic either way for this many seconds (default: never). */
  readonly idleTimeout?: number;
  /** After a stop, how long open connections may still finish, in seconds (default 10). */
  readonly drainTimeout?: number;
  /** Where read buffers and output chunks come from; its sizes bound a read. */
  readonly pool?: BufferPool;
  /**
   * Connection numbers and the open count, shared by the workers of one
   * server so numbers stay unique and `maxConns` is one limit (default: this server's own).
   */
  readonly tally?: ConnTally;
  /** Print the "Draining" line on a stop (default true); workers leave it to their coordinator. */
  readonly announceDrain?: boolean;
  /**
   * Says why the `number`th connection is turned away at once (a relay's
   * `--refuse`), or null to serve it; default: every one is served.
   */
  readonly admit?: (number: number) => string | null;
  /**
   * Bytes all connections together may hold (owed output, partial requests)
   * before reads stop on those holding the most (default: no limit).
   */
  readonly maxBuffer?: number;
  /**
   * How long, in seconds, a connection may wait for room in that budget
   * before its session is told it is overloaded (the app's `server busy`; default 5).
   */
  readonly busyTimeout?: number;
  /**
   * Runs a full garbage collection, once the loop has been quiet for a second
   * after a thousand connections came or went (default: `collectGarbage`).
   */
  readonly collect?: () => boolean;
}

/** Totals of a server's run, for the summary line. */
export interface ServerStats {
  /** Connections accepted and served. */
  accepted: number;
  /** Connections refused at the connection limit. */
  refused: number;
  /** Connections turned away at once by `admit` (a relay's `--refuse`). */
  turnedAway: number;
  /** Connections the peer reset while they waited to be accepted. */
  aborted: number;
  /** Connections that ended with an error (reset, broken pipe...). */
  failed: number;
  /** Connections closed for being idle too long. */
  idle: number;
  /** Connections still open when the drain timed out, closed then. */
  cutOff: number;
  /** Connections accepted in the same instant as the stop, closed unserved. */
  unserved: number;
  /** Bytes read from peers. */
  bytesIn: number;
  /** Bytes written to peers. */
  bytesOut: number;
}

/** What the server as a whole is doing. */
type ServerState =
  /** Accepting and serving. */
  | { readonly name: "serving" }
  /** Asked to stop: no longer accepting; serving the open connections until `deadline`. */
  | { readonly name: "draining"; readonly deadline: number }
  /** Stopping now: closing whatever is open. */
  | { readonly name: "stopping" };

/** A connection as the serve loop sees it: its number, its state machine, its place among the idle. */
interface Connection extends IdleNode {
  /** 1 for the first connection accepted, and so on: the `#N` of the log lines. */
  readonly number: number;
  readonly session: Session;
  /**
   * Refused at the limit: its session only says so. It never counts against
   * the limit, and sits in the lingering list (by refusal time) instead of the idle one.
   */
  readonly refused: boolean;
  /** Its registration, set right after registering. */
  key: Key<Owner> | null;
  /** The stream its session dialed (a relay's target), if any: its events come here too. */
  dialed: Key<Owner> | null;
  /** When its session's next tick is scheduled; `Infinity`: none. */
  wakeAt: number;
  /** Bytes it holds, as last charged to the buffer budget. */
  held: number;
  /** Since when the buffer budget has stopped its reads; null while it may read. */
  throttledSince: number | null;
}

/** The listener's key carries no connection. */
type Owner = Connection | null;

/**
 * A server: one readiness loop that accepts connections and dispatches each
 * event to the connection's {@linkcode Session}, as in mio's `tcp_server.rs`.
 * It enforces the connection limit and the idle timeout, and stops in two
 * steps: {@linkcode Server.stop} drains, a second call closes at once.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { EchoSession } from "./echo.ts";
 * import { formatStats, Server } from "./serve.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = new Server(listener, { log: new Log("normal"), newSession: () => new EchoSession() });
 * setTimeout(() => server.stop(), 1000);
 * const stats = await server.run();
 * console.log(formatStats(stats));
 * ```
 */
export class Server {
  /** Running totals; final once `run()` resolves. */
  readonly stats: ServerStats = {
    accepted: 0,
    refused: 0,
    turnedAway: 0,
    aborted: 0,
    failed: 0,
    idle: 0,
    cutOff: 0,
    unserved: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  readonly #loop: Loop<Owner>;
  readonly #listeners: Key<Owner>[];
  readonly #open = new Set<Key<Owner>>();
  readonly #idle = new IdleList<Connection>();
  // Refused connections still saying so, oldest refusal first; never touched, so a FIFO.
  readonly #lingering = new IdleList<Connection>();
  readonly #lingerMs: number;
  readonly #maxLingering: number;
  readonly #log: Log;
  readonly #options: ServerOptions;
  readonly #idleMs: number;
  readonly #tally: ConnTally;
  // Sessions waiting on time (a relay's held bytes), earliest first.
  readonly #timers = new TimerHeap<Connection>();
  // The bytes held for all peers, and the connections whose reads it stopped.
  readonly #budget: BufferBudget | null;
  readonly #throttled = new Set<Connection>();
  // When throttled connections whose sessions can say "busy" have waited long enough.
  readonly #busyTimers = new TimerHeap<Connection>();
  readonly #busyMs: number;
  // Connections opened and closed since the last garbage collection, and when events last came.
  #churn = 0;
  #lastEvent = 0;
  #state: ServerState = { name: "serving" };

  /**
   * A server on an already listening acceptor, or on several sharing one
   * port; nothing runs until `run()`.
   */
  constructor(listener: Acceptor | readonly Acceptor[], options: ServerOptions) {
    this.#loop = new Loop<Owner>({ pool: options.pool });
    // Deno accepts one connection per listener per turn of its event loop, and a
    // turn under load takes milliseconds: several listeners on one port
    // (SO_REUSEPORT) accept that many per turn, so a burst of connects is not
    // starved by the traffic of the connections already open.
    const listeners = Array.isArray(listener) ? listener : [listener];
    this.#listeners = listeners.map((l) => this.#loop.listen(l, null));
    this.#log = options.log;
    this.#options = options;
    this.#idleMs = (options.idleTimeout ?? 0) * 1000;
    this.#lingerMs = (options.refusalLinger ?? 1) * 1000;
    this.#maxLingering = options.maxLingering ?? 64;
    this.#tally = options.tally ?? new ConnTally();
    const maxBuffer = options.maxBuffer ?? 0;
    this.#budget = maxBuffer > 0 ? new BufferBudget(maxBuffer) : null;
    this.#busyMs = (options.busyTimeout ?? 5) * 1000;
  }

  /** Serves until stopped; then closes what is left and resolves with the totals. */
  async run(): Promise<ServerStats> {
    const loop = this.#loop;
    for (;;) {
      const now = performance.now();
      const state = this.#state;
      if (state.name === "stopping") break;
      if (state.name === "draining" && (this.#open.size === 0 || due(state.deadline, now))) break;
      this.#closeIdle(now);
      this.#closeLingering(now);
      this.#fireTimers(now);
      this.#fireBusy(now);
      let wait = state.name === "draining" ? state.deadline - now : Infinity;
      wait = Math.min(wait, this.#timers.nextAt - now, this.#busyTimers.nextAt - now);
      const oldest = this.#idle.oldest;
      if (oldest !== null) wait = Math.min(wait, oldest.lastActive + this.#idleMs - now);
      const refused = this.#lingering.oldest;
      if (refused !== null) wait = Math.min(wait, refused.lastActive + this.#lingerMs - now);
      if (this.#churn >= TIDY_AFTER) wait = Math.min(wait, this.#lastEvent + QUIET_MS - now);
      const batch = await loop.select(Math.max(0, wait));
      const at = performance.now();
      let events = 0;
      for (const ev of batch) {
        events++;
        const conn = ev.key.data;
        if (conn === null) this.#onListenerEvent(ev);
        else this.#onConnectionEvent(ev, conn, at);
      }
      if (events > 0) this.#lastEvent = at;
      else if (this.#churn >= TIDY_AFTER && due(this.#lastEvent + QUIET_MS, at)) this.#tidy();
    }
    for (const key of this.#listeners) loop.unregister(key); // a no-op after a stop
    const cut = this.#state.name === "draining" ? "the drain timed out" : "the server stopped";
    for (const key of this.#open) {
      this.stats.cutOff++;
      this.#close(key, key.data!, null, cut);
    }
    this.#closeLingering(Infinity);
    this.stats.unserved = loop.abandonedAccepts;
    return this.stats;
  }

  /**
   * First call: stop accepting at once and let the open connections finish,
   * for up to the drain timeout. A second call: close everything now.
   */
  stop(): void {
    if (this.#state.name === "serving") {
      const seconds = this.#options.drainTimeout ?? 10;
      this.#state = { name: "draining", deadline: performance.now() + seconds * 1000 };
      for (const key of this.#listeners) this.#loop.unregister(key);
      if (this.#open.size > 0 && this.#options.announceDrain !== false) {
        this.#log.notice(
          "draining",
          `Draining ${plural(this.#open.size, "open connection")} for up to ${seconds} s ` +
            `(interrupt again to stop now)`,
          { open: this.#open.size, seconds },
        );
      }
    } else {
      this.#state = { name: "stopping" };
    }
    this.#loop.wakeup();
  }

  #onListenerEvent(ev: Event<Owner>): void {
    if (ev.type === "accept") {
      this.#accept(ev.stream!);
      return;
    }
    const cause = describeError(ev.error);
    if (ABORTED.some((kind) => ev.error instanceof kind)) {
      // That one connection is gone (reset while queued); the next may be fine.
      this.stats.aborted++;
      this.#log.info("aborted", `a connection was ${cause} before it was accepted`, {
        reason: cause,
      });
      return;
    }
    // Typically out of file descriptors: pause accepting briefly rather than spin.
    this.#log.error("accept_failed", `sockdemo: accept failed: ${cause}; retrying in 100 ms`, {
      reason: cause,
    });
    const key = ev.key;
    this.#loop.modify(key, Interest.NONE);
    // After a stop this touches a closed key, which the loop ignores.
    setTimeout(() => {
      this.#loop.modify(key, Interest.READ);
      this.#loop.wakeup();
    }, 100);
  }

  #accept(stream: Stream): void {
    (stream as Partial<Deno.TcpConn>).setNoDelay?.(true);
    const number = this.#tally.nextNumber();
    const turnAway = this.#options.admit?.(number) ?? null;
    if (turnAway !== null) {
      this.stats.turnedAway++;
      this.#log.info("turned_away", `#${number} turned away from ${peerOf(stream)}: ${turnAway}`, {
        conn: number,
        peer: peerOf(stream),
        reason: turnAway,
      });
      stream.close();
      return;
    }
    if (!this.#tally.tryOpen(this.#options.maxConns ?? Infinity)) {
      this.#refuse(stream, number);
      return;
    }
    this.stats.accepted++;
    this.#churn++;
    const conn = this.#register(stream, number, this.#options.newSession(number), false);
    this.#open.add(conn.key!);
    this.#sizeReads();
    if (this.#idleMs > 0) this.#idle.touch(conn, performance.now());
    // Stryker disable next-line ConditionalExpression: info() prints nothing when quiet; this only saves building the line
    if (this.#log.normal) {
      this.#log.info(
        "accepted",
        `#${number} accepted from ${peerOf(stream)} (${this.#tally.open} open)`,
        { conn: number, peer: peerOf(stream), open: this.#tally.open },
      );
    }
  }

  // Past the limit: the peer hears why (app) and gets a FIN, or is closed at
  // once; either way it never holds a place among the open connections.
  #refuse(stream: Stream, number: number): void {
    this.stats.refused++;
    this.#log.info(
      "refused",
      `#${number} refused from ${peerOf(stream)}: ${this.#tally.open} open, the limit`,
      { conn: number, peer: peerOf(stream), open: this.#tally.open },
    );
    const refusal = this.#options.refusal;
    if (refusal === undefined || this.#lingering.size >= this.#maxLingering) {
      stream.close();
      return;
    }
    const conn = this.#register(stream, number, refusal(number), true);
    this.#lingering.touch(conn, performance.now());
  }

  #register(stream: Stream, number: number, session: Session, refused: boolean): Connection {
    const conn: Connection = {
      number,
      session,
      refused,
      key: null,
      dialed: null,
      wakeAt: Infinity,
      held: 0,
      throttledSince: null,
      idlePrev: null,
      idleNext: null,
      lastActive: 0,
    };
    const key = conn.key = this.#loop.register(stream, Interest.NONE, conn);
    session.start?.(
      key,
      (dialing) => conn.dialed = this.#loop.connect(dialing, Interest.NONE, conn),
    );
    this.#update(conn);
    return conn;
  }

  // Asks the session what each of its keys wants now, and when it next needs a
  // tick; charges what it holds to the buffer budget, which may stop its reads.
  // After an event (`traced`), --verbose shows each change of interest.
  #update(conn: Connection, traced = false): void {
    const session = conn.session, key = conn.key!, dialed = conn.dialed;
    const mask = this.#budget === null || conn.refused || this.#mayRead(conn)
      ? Interest.READ_WRITE
      : Interest.WRITE;
    this.#want(conn, key, (session.interest(key) & mask) as Interest, traced);
    if (dialed !== null) {
      this.#want(conn, dialed, (session.interest(dialed) & mask) as Interest, traced);
    }
    const at = session.wakeAt?.() ?? Infinity;
    // An earlier entry already in the heap will do: its tick asks again.
    if (at < conn.wakeAt) {
      conn.wakeAt = at;
      this.#timers.add(at, conn);
    }
  }

  #want(conn: Connection, key: Key<Owner>, want: Interest, traced: boolean): void {
    // Stryker disable next-line ConditionalExpression: debug() prints nothing unless verbose; this only saves work
    if (traced && this.#log.verbose && want !== key.interest) {
      const [from, to] = [interestName(key.interest), interestName(want)];
      const label = conn.session.label?.(key);
      const leg = label === undefined ? "" : ` ${label}`;
      const fields: LogFields = label === undefined
        ? { conn: conn.number, from, to }
        : { conn: conn.number, leg: label, from, to };
      this.#log.debug("interest", `#${conn.number}${leg} interest ${from} -> ${to}`, fields);
    }
    this.#loop.modify(key, want);
  }

  // Charges what the connection holds now; false while the budget stops its reads.
  #mayRead(conn: Connection): boolean {
    const budget = this.#budget!, session = conn.session, key = conn.key!;
    const held = session.held?.(key) ?? key.outputMemory + (conn.dialed?.outputMemory ?? 0);
    const change = budget.charge(held - conn.held);
    conn.held = held;
    if (change !== null) this.#budgetChanged(change);
    if (budget.mayRead(held, this.#open.size)) {
      if (conn.throttledSince !== null) {
        conn.throttledSince = null;
        this.#throttled.delete(conn);
      }
      return true;
    }
    if (conn.throttledSince === null) {
      const now = performance.now();
      conn.throttledSince = now;
      this.#throttled.add(conn);
      if (session.overloaded !== undefined) this.#busyTimers.add(now + this.#busyMs, conn);
    }
    return false;
  }

  #budgetChanged(change: "bound" | "cleared"): void {
    const budget = this.#budget!;
    if (change === "bound") {
      this.#log.notice(
        "budget_bound",
        `Buffer budget of ${budget.limit} bytes reached (${budget.total} held, ` +
          `${
            plural(this.#open.size, "open connection")
          }): pausing reads from those holding the most`,
        { limit: budget.limit, held: budget.total, open: this.#open.size },
      );
      return;
    }
    this.#log.notice(
      "budget_clear",
      `Buffer budget clear (${budget.total} held): reading from every connection again`,
      { limit: budget.limit, held: budget.total, open: this.#open.size },
    );
    for (const conn of [...this.#throttled]) this.#update(conn);
  }

  // Tells each session that has waited too long for room that it is overloaded (`server busy`).
  #fireBusy(now: number): void {
    const timers = this.#busyTimers;
    while (due(timers.nextAt, now)) {
      const conn = timers.take(), since = conn.throttledSince;
      // Stale: closed, let read again, or stopped again later (its own entry is pending).
      if (conn.key!.closed || since === null || !due(since + this.#busyMs, now)) continue;
      this.#log.info(
        "busy",
        `#${conn.number} server busy: no room for it in the buffer budget for ${
          this.#busyMs / 1000
        } s`,
        { conn: conn.number, held: conn.held },
      );
      if (conn.session.overloaded!(conn.key!)) this.#close(conn.key!, conn, null, "server busy");
      else this.#update(conn);
    }
  }

  // Sizes new reads by the budget, which keeps room for them in flight.
  #sizeReads(): void {
    const budget = this.#budget;
    if (budget === null) return;
    this.#loop.readLimit = budget.readSize(this.#open.size);
  }

  // After a burst, V8 leaves the garbage that outlived its young generation in
  // the heap until the heap grows again, which a quiet server never does: a
  // thousand connections that came or went are worth one full collection
  // (milliseconds) once nothing happens for a second.
  #tidy(): void {
    const churn = this.#churn;
    this.#churn = 0;
    const started = performance.now();
    if (!(this.#options.collect ?? collectGarbage)()) return;
    // Stryker disable next-line ConditionalExpression: debug() prints nothing unless verbose; this only saves work
    if (this.#log.verbose) {
      const ms = Math.round(performance.now() - started);
      this.#log.debug(
        "collect",
        `quiet after ${
          plural(churn, "connection")
        } opened or closed: full garbage collection (${ms} ms)`,
        { churn, ms },
      );
    }
  }

  // Ticks every session whose time has come; stale entries (closed, rescheduled) are skipped.
  #fireTimers(now: number): void {
    const timers = this.#timers;
    while (due(timers.nextAt, now)) {
      const at = timers.nextAt, conn = timers.take();
      if (conn.key!.closed || at !== conn.wakeAt) continue;
      conn.wakeAt = Infinity;
      if (conn.session.tick!(now)) this.#close(conn.key!, conn, conn.session.failure, null);
      else this.#update(conn);
    }
  }

  #onConnectionEvent(ev: Event<Owner>, conn: Connection, now: number): void {
    const key = ev.key, session = conn.session, log = this.#log;
    if (this.#idleMs > 0 && !conn.refused) this.#idle.touch(conn, now);
    // Stryker disable next-line all: debug() prints nothing unless verbose; these only save work
    const before = log.verbose ? session.stateName : "";
    // Stryker disable next-line ConditionalExpression: as above
    if (log.verbose) logEvent(log, conn.number, session.label?.(key) ?? null, ev);
    if (session.handle(ev)) {
      this.#close(conn.key!, conn, session.failure, null);
      return;
    }
    // Stryker disable next-line ConditionalExpression: as above
    if (log.verbose && session.stateName !== before) {
      log.debug(
        "state",
        `#${conn.number} state ${before} -> ${session.stateName} (${key.output.length} bytes owed)`,
        { conn: conn.number, from: before, to: session.stateName, owed: key.output.length },
      );
    }
    this.#update(conn, true);
  }

  // Closes every connection idle past the timeout, oldest first; stops at the first that is not.
  #closeIdle(now: number): void {
    // Stryker disable next-line ConditionalExpression: without a timeout the list is empty; this only saves a look
    if (this.#idleMs === 0) return;
    for (let c = this.#idle.oldest; c !== null && due(c.lastActive + this.#idleMs, now);) {
      this.stats.idle++;
      this.#close(c.key!, c, null, `idle for ${this.#idleMs / 1000} s`);
      c = this.#idle.oldest;
    }
  }

  // Closes the refused connections whose time to linger is up, oldest first.
  #closeLingering(now: number): void {
    for (let c = this.#lingering.oldest; c !== null && due(c.lastActive + this.#lingerMs, now);) {
      this.#close(c.key!, c, null, null);
      c = this.#lingering.oldest;
    }
  }

  // `failure` is a peer's fault (an error line); `note` a closing of our own choosing.
  #close(key: Key<Owner>, conn: Connection, failure: string | null, note: string | null): void {
    this.#loop.unregister(key);
    if (conn.dialed !== null) this.#loop.unregister(conn.dialed);
    if (conn.refused) {
      this.#lingering.remove(conn);
      return;
    }
    this.#open.delete(key);
    this.#churn++;
    this.#tally.closed();
    this.#idle.remove(conn);
    if (this.#budget !== null) {
      conn.throttledSince = null;
      this.#throttled.delete(conn);
      const change = this.#budget.charge(-conn.held);
      conn.held = 0;
      if (change !== null) this.#budgetChanged(change);
      this.#sizeReads();
    }
    this.stats.bytesIn += key.bytesRead;
    this.stats.bytesOut += key.bytesWritten;
    const fields = {
      conn: conn.number,
      peer: peerOf(key.stream!),
      bytes_in: key.bytesRead,
      bytes_out: key.bytesWritten,
      open: this.#tally.open,
    };
    const more = conn.session.summary?.() ?? null;
    const totals = `${key.bytesRead} bytes in, ${key.bytesWritten} out`;
    const rest = more === null ? "" : `; ${more.text}`;
    if (failure !== null) {
      this.stats.failed++;
      this.#log.error(
        "failed",
        `sockdemo: #${conn.number} ${fields.peer}: ${failure}; closed after ${totals}${rest}`,
        { ...fields, ...more?.fields, reason: failure },
      );
    } else {
      const why = note === null ? "" : `, ${note}`;
      this.#log.info(
        "closed",
        `#${conn.number} closed ${fields.peer}: ${totals}${why}${rest} (${fields.open} open)`,
        { ...fields, ...more?.fields, reason: note ?? "done" },
      );
    }
  }
}

/** The one-line summary printed when the server stops. */
export function formatStats(stats: ServerStats): string {
  const conns = plural(stats.accepted, "connection");
  const extra = [
    stats.refused > 0 ? `${stats.refused} refused at the limit` : "",
    stats.turnedAway > 0 ? `${stats.turnedAway} turned away (--refuse)` : "",
    stats.aborted > 0 ? `${stats.aborted} reset before accepted` : "",
    stats.idle > 0 ? `${stats.idle} closed idle` : "",
    stats.cutOff > 0 ? `${stats.cutOff} closed unfinished` : "",
    stats.unserved > 0 ? `${stats.unserved} accepted at the stop and closed unserved` : "",
  ].filter((s) => s !== "");
  return `Stopped: ${conns} served, ${stats.bytesIn} bytes in, ${stats.bytesOut} bytes out, ` +
    `${plural(stats.failed, "error")}${extra.map((e) => `, ${e}`).join("")}`;
}

// Accept errors that belong to one incoming connection, not to the listener.
const ABORTED = [
  Deno.errors.NotConnected,
  Deno.errors.ConnectionAborted,
  Deno.errors.ConnectionReset,
];

// Made only for a log line, so a quiet server keeps no string per connection.
function peerOf(stream: Stream): string {
  const addr = (stream as Partial<Deno.Conn>).remoteAddr;
  if (addr === undefined) return "peer";
  return addr.transport === "tcp" ? hostPort(addr.hostname, addr.port) : addr.transport;
}

// `leg` names which of a relay's two streams it was ("client", "target"); null with one stream.
function logEvent(log: Log, conn: number, leg: string | null, ev: Event<Owner>): void {
  const owed = ev.key.output.length;
  const who = leg === null ? `#${conn}` : `#${conn} ${leg}`;
  const base: LogFields = leg === null ? { conn } : { conn, leg };
  switch (ev.type) {
    case "connect":
      log.debug("connect", `${who} connected`, base);
      return;
    case "read":
      log.debug("read", `${who} read ${ev.n} bytes`, { ...base, bytes: ev.n });
      return;
    case "write":
      log.debug(
        "write",
        ev.n < ev.size
          ? `${who} wrote ${ev.n} of ${ev.size} bytes (partial write; ${owed} still owed)`
          : `${who} wrote ${ev.n} bytes (${owed} still owed)`,
        { ...base, bytes: ev.n, offered: ev.size, owed },
      );
      return;
    case "eof":
      log.debug("eof", `${who} read end of stream (peer half-closed)`, base);
      return;
    case "error":
      log.debug("error", `${who} error: ${describeError(ev.error)}`, {
        ...base,
        reason: describeError(ev.error),
      });
      return;
  }
}

// A full garbage collection after this many connections opened or closed, once quiet for QUIET_MS.
const TIDY_AFTER = 1000;
const QUIET_MS = 1000;

// True once the time `at` has come (both `performance.now()` readings).
function due(at: number, now: number): boolean {
  // Stryker disable next-line EqualityOperator: no test can make two performance.now() readings equal
  return at <= now;
}

const INTEREST_NAMES = [
  // Stryker disable next-line StringLiteral: no session stays open wanting nothing, so "none" is never logged
  "none",
  "read",
  "write",
  "read+write",
];

function interestName(interest: Interest): string {
  return INTEREST_NAMES[interest];
}
