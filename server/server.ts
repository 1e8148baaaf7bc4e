/**
 * The connection host's loop: a dispatcher over small parts. It accepts on
 * its listeners, asks the {@linkcode Admission} who gets in, hands each
 * event to the connection's {@linkcode Session}, charges the
 * {@linkcode BudgetGovernor}, keeps the {@linkcode ConnectionTable}, writes
 * through the {@linkcode Tracer}, and takes everything time-bound (ticks,
 * idle and linger deadlines, `server busy`, the drain, tidying) from one
 * timer heap.
 *
 * @module
 */
import { abortedAccept } from "../lib/aborted_accept.ts";
import { localName } from "../lib/address.ts";
import { describeError } from "../lib/describe_error.ts";
import { type Acceptor, type Event, Interest, type Key, Loop, type Stream } from "../lib/loop.ts";
import { Admission } from "./admission.ts";
import { BudgetGovernor } from "./budget_governor.ts";
import { type Connection, newConnection, type Owner } from "./connection.ts";
import { type Entrance, newEntrance, type Sessions } from "./entrance.ts";
import { ConnectionTable } from "./connection_table.ts";
import { HeapTidy } from "./heap_tidy.ts";
import { ServerClock } from "./server_clock.ts";
import type { ServerOptions } from "./server_options.ts";
import { countError, entranceFigures, liveStats, type ServerSnapshot } from "./server_metrics.ts";
import { emptyStats, type ServerStats } from "./server_stats.ts";
import { addTraffic } from "./traffic.ts";
import type { ServerState } from "./server_state.ts";
import type { Session } from "./session.ts";
import { logDraining, peerOf, Tracer } from "./tracer.ts";

export type { ServerOptions } from "./server_options.ts";

// What a connection that dialed nothing iterates, made once.
const NO_KEYS: readonly Key<Owner>[] = [];

/**
 * A server: one readiness loop that accepts connections and dispatches each
 * event to the connection's {@linkcode Session}, as in mio's `tcp_server.rs`.
 * It stops in two steps: {@linkcode Server.stop} drains, a second call
 * closes at once.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { EchoSession } from "./echo.ts";
 * import { Server } from "./server.ts";
 * import { formatStats } from "./server_stats.ts";
 * declare const listener: Deno.Listener; // from lib/address.ts
 * const server = new Server(listener, { log: new Log("normal"), newSession: () => new EchoSession() });
 * setTimeout(() => server.stop(), 1000);
 * console.log(formatStats(await server.run()));
 * ```
 */
export class Server {
  /** Running totals; final once `run()` resolves. */
  readonly stats: ServerStats = emptyStats();
  readonly #loop: Loop<Owner>;
  readonly #entrances = new Set<Entrance>();
  readonly #options: ServerOptions;
  readonly #table: ConnectionTable;
  readonly #door: Admission;
  readonly #governor: BudgetGovernor | null;
  readonly #tracer: Tracer;
  readonly #clock = new ServerClock();
  readonly #timers = this.#clock.timers;
  readonly #tidy: HeapTidy;
  readonly #errors: Record<string, number> = {};
  #state: ServerState = { name: "serving" };

  /**
   * A server on an already listening acceptor, or on several sharing one
   * port (each accepts one connection per turn of Deno's event loop); nothing
   * runs until `run()`.
   */
  constructor(listener: Acceptor | readonly Acceptor[], options: ServerOptions) {
    this.#loop = new Loop<Owner>({ pool: options.pool });
    const listeners = Array.isArray(listener) ? listener : [listener];
    this.#options = options;
    this.open(listeners, options);
    this.#table = new ConnectionTable((options.idleTimeout ?? 0) * 1000);
    this.#door = new Admission(options);
    const addr = (listeners[0] as Partial<Deno.Listener> | undefined)?.addr;
    this.#tidy = new HeapTidy(options.collect);
    this.#tracer = new Tracer(options.log, addr?.transport === "unix" ? localName(addr) : "unix");
    this.#governor = BudgetGovernor.forServer(options, {
      now: () => performance.now(),
      waiting: (conn, at) => this.#timers.schedule(conn.busyDue, at),
      cleared: (conns) => conns.forEach((conn) => this.#update(conn)),
    });
  }

  /** Serves until stopped; then closes what is left and resolves with the totals. */
  async run(): Promise<ServerStats> {
    const loop = this.#loop;
    for (;;) {
      const state = this.#state;
      if (state.name === "stopping") break;
      if (state.name === "draining" && this.#table.size === 0) break;
      const now = performance.now();
      this.#fireDue(now);
      if (this.#state !== state) continue; // the drain ran out
      const batch = await loop.select(Math.max(0, this.#timers.nextAt - now));
      const at = performance.now();
      let events = 0;
      for (const ev of batch) {
        events++;
        const owner = ev.key.data;
        if (owner.kind === "entrance") this.#onListenerEvent(ev, owner, at);
        else this.#onConnectionEvent(ev, owner, at);
      }
      if (events > 0) this.#tidy.heard(at);
    }
    for (const entrance of this.#entrances) this.close(entrance, null); // a no-op after a stop
    // Stryker disable next-line ConditionalExpression,StringLiteral: a drain ends only once nothing is open; only a stop leaves any to cut off
    const cut = this.#state.name === "stopping" ? this.#state.cut : "";
    for (const conn of [...this.#table]) {
      this.stats.cutOff++;
      this.#close(conn, null, cut);
    }
    for (let c = this.#door.expired(Infinity); c !== null; c = this.#door.expired(Infinity)) {
      this.#close(c, null, null);
    }
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
      const deadline = performance.now() + seconds * 1000;
      this.#state = { name: "draining", deadline };
      this.#timers.schedule(this.#clock.drain, deadline);
      for (const entrance of this.#entrances) this.close(entrance, null);
      // Those waiting for nothing but a next request (HTTP keep-alive) close now.
      for (const conn of [...this.#table]) {
        if (conn.session.drain?.()) this.#close(conn, null, null);
      }
      const open = this.#table.size;
      if (open > 0 && this.#options.announceDrain !== false) {
        logDraining(this.#options.log, open, seconds);
      }
    } else {
      this.#state = { name: "stopping", cut: "the server stopped" };
    }
    this.#loop.wakeup();
  }

  /** Accepts on `listeners` with `sessions` until closed or stopped (after a stop: closes them). */
  open(listeners: readonly Acceptor[], sessions: Sessions): Entrance {
    const entrance = newEntrance(sessions, listeners);
    if (this.#state.name !== "serving") {
      for (const l of listeners) l.close();
      return entrance;
    }
    for (const l of listeners) entrance.keys.push(this.#loop.listen(l, entrance));
    this.#entrances.add(entrance);
    // A loop waiting on nothing else (a worker with no proxy yet) must look again.
    this.#loop.wakeup();
    return entrance;
  }

  /** Stops accepting on `entrance`; with a `cut` reason, closes its open connections too. */
  close(entrance: Entrance, cut: string | null): void {
    for (const key of entrance.keys.splice(0)) this.#loop.unregister(key);
    this.#entrances.delete(entrance);
    if (cut === null) return;
    for (const conn of [...entrance.conns]) this.#close(conn, null, cut);
    this.#loop.wakeup();
  }

  /** Its metrics now: counters, gauges and each named entrance's traffic. */
  snapshot(): ServerSnapshot {
    return {
      stats: liveStats(this.stats, this.#table),
      open: this.#table.size,
      lingering: this.#door.lingering,
      errors: { ...this.#errors },
      budget: this.#governor?.figures ?? null,
      entrances: entranceFigures(this.#entrances),
    };
  }

  /** Tells each connection of `entrance` that its settings changed, and asks again what it wants. */
  refresh(entrance: Entrance): void {
    const now = performance.now();
    for (const conn of [...entrance.conns]) {
      if (conn.session.refresh?.(now)) this.#close(conn, conn.session.failure, null);
      else this.#update(conn);
    }
    this.#loop.wakeup();
  }

  // Everything whose time has come, earliest first.
  #fireDue(now: number): void {
    const timers = this.#timers;
    // Stryker disable next-line EqualityOperator: no test can make two performance.now() readings equal
    while (timers.nextAt <= now) {
      const due = timers.take();
      switch (due.kind) {
        case "tick":
          this.#tick(due.conn, now);
          break;
        case "busy":
          this.#busy(due.conn, now);
          break;
        case "idle":
          for (let c = this.#table.expired(now); c !== null; c = this.#table.expired(now)) {
            this.stats.idle++;
            this.#close(c, null, `idle for ${this.#table.idleMs / 1000} s`);
          }
          break;
        case "linger":
          for (let c = this.#door.expired(now); c !== null; c = this.#door.expired(now)) {
            this.#close(c, null, null);
          }
          break;
        case "drain": // only ever scheduled by a stop, and a second stop breaks the loop first
          this.#state = { name: "stopping", cut: "the drain timed out" };
          break;
        case "tidy": {
          const started = performance.now(), churn = this.#tidy.collect(now);
          if (churn > 0) this.#tracer.collected(churn, Math.round(performance.now() - started));
          break;
        }
      }
    }
    this.#clock.arm(this.#table.idleDeadline, this.#door.lingerDeadline, this.#tidy.dueAt);
  }

  #onListenerEvent(ev: Event<Owner>, entrance: Entrance, now: number): void {
    if (ev.type === "accept") {
      this.#accept(ev.stream!, entrance, now);
      return;
    }
    const cause = describeError(ev.error);
    if (abortedAccept(ev.error)) {
      // That one connection is gone (reset while queued); the next may be fine.
      this.stats.aborted++;
      this.#tracer.aborted(cause);
      return;
    }
    // Typically out of file descriptors: pause accepting briefly rather than spin.
    this.#tracer.acceptFailed(cause);
    const key = ev.key;
    this.#loop.modify(key, Interest.NONE);
    // After a stop this touches a closed key, which the loop ignores.
    setTimeout(() => {
      this.#loop.modify(key, Interest.READ);
      this.#loop.wakeup();
    }, 100);
  }

  #accept(stream: Stream, entrance: Entrance, now: number): void {
    (stream as Partial<Deno.TcpConn>).setNoDelay?.(true);
    const door = this.#door, tracer = this.#tracer;
    const number = door.nextNumber();
    const sessions = entrance.sessions, turnAway = door.turnAway(number, sessions);
    if (turnAway !== null) {
      this.stats.turnedAway++;
      tracer.turnedAway(number, peerOf(stream, tracer.socket), turnAway);
      stream.close();
      return;
    }
    if (!door.tryOpen()) {
      // Past the limit: the peer hears why (app) and gets a FIN, or is closed at
      // once; either way it never holds a place among the open connections.
      this.stats.refused++;
      tracer.refused(number, peerOf(stream, tracer.socket), door.open);
      const refusal = door.refusal(number, sessions);
      if (refusal === null) stream.close();
      else door.linger(this.#register(stream, number, refusal, entrance, true), now);
      return;
    }
    this.stats.accepted++;
    entrance.traffic.accepted++;
    this.#tidy.churned();
    const conn = this.#register(stream, number, sessions.newSession(number), entrance, false);
    this.#table.add(conn, now);
    entrance.conns.add(conn);
    this.#sizeReads();
    // Stryker disable next-line ConditionalExpression: info() prints nothing when quiet; this only saves building the line
    if (tracer.normal) tracer.accepted(number, peerOf(stream, tracer.socket), door.open);
  }

  #register(
    stream: Stream,
    number: number,
    session: Session,
    entrance: Entrance,
    refused: boolean,
  ): Connection {
    const conn = newConnection(number, session, refused, entrance);
    const key = conn.key = this.#loop.register(stream, Interest.NONE, conn);
    session.start?.(key, (dialing) => {
      const other = this.#loop.connect(dialing, Interest.NONE, conn);
      (conn.dialed ??= []).push(other);
      return other;
    });
    this.#update(conn);
    return conn;
  }

  // Asks the session what each of its keys wants now, and when it next needs a
  // tick; charges what it holds to the budget, which may stop its reads.
  // After an event (`traced`), --verbose shows each change of interest.
  #update(conn: Connection, traced = false): void {
    const session = conn.session, key = conn.key!, dialed = conn.dialed;
    const mask = this.#governor === null || conn.refused || this.#mayRead(conn)
      ? Interest.READ_WRITE
      : Interest.WRITE;
    this.#want(conn, key, (session.interest(key) & mask) as Interest, traced);
    for (const other of dialed ?? NO_KEYS) {
      this.#want(conn, other, (session.interest(other) & mask) as Interest, traced);
    }
    this.#timers.schedule(conn.tickDue, session.wakeAt?.() ?? Infinity);
  }

  #want(conn: Connection, key: Key<Owner>, want: Interest, traced: boolean): void {
    // Stryker disable next-line ConditionalExpression: debug() prints nothing unless verbose; this only saves work
    if (traced && this.#tracer.verbose && want !== key.interest) {
      this.#tracer.interest(conn, key, want);
    }
    this.#loop.modify(key, want);
  }

  #mayRead(conn: Connection): boolean {
    const session = conn.session, key = conn.key!;
    const held = session.held?.(key) ?? key.outputMemory; // a session with two keys says
    return this.#governor!.mayRead(conn, held, this.#table.size);
  }

  // A session's tick (closing a connection cancels its timers: it is open).
  #tick(conn: Connection, now: number): void {
    if (conn.session.tick!(now)) this.#close(conn, conn.session.failure, null);
    else this.#update(conn);
  }

  // Tells a session that has waited too long for room that it is overloaded (`server busy`).
  #busy(conn: Connection, now: number): void {
    const governor = this.#governor!;
    // Let read again since, or stopped again later (and rescheduled): not yet.
    if (!governor.overdue(conn, now)) return;
    this.#tracer.busy(conn, governor.busyMs / 1000);
    if (conn.session.overloaded!(conn.key!)) this.#close(conn, null, "server busy");
    else this.#update(conn);
  }

  // Sizes new reads by the budget, which keeps room for them in flight.
  #sizeReads(): void {
    if (this.#governor === null) return;
    this.#loop.readLimit = this.#governor.readSize(this.#table.size);
  }

  #onConnectionEvent(ev: Event<Owner>, conn: Connection, now: number): void {
    const session = conn.session, tracer = this.#tracer;
    if (!conn.refused) this.#table.touch(conn, now);
    // Stryker disable next-line all: debug() prints nothing unless verbose; these only save work
    const before = tracer.verbose ? session.stateName : "";
    // Stryker disable next-line ConditionalExpression: as above
    if (tracer.verbose) tracer.event(conn, ev);
    if (session.handle(ev)) {
      this.#close(conn, session.failure, null);
      return;
    }
    // Stryker disable next-line ConditionalExpression: as above
    if (tracer.verbose && session.stateName !== before) tracer.state(conn, before);
    this.#update(conn, true);
  }

  // `failure` is a peer's fault (an error line); `note` a closing of our own choosing.
  #close(conn: Connection, failure: string | null, note: string | null): void {
    const key = conn.key!;
    this.#timers.cancel(conn.tickDue);
    this.#timers.cancel(conn.busyDue);
    this.#loop.unregister(key);
    for (const other of conn.dialed ?? NO_KEYS) this.#loop.unregister(other);
    if (conn.refused) {
      this.#door.unlinger(conn);
      return;
    }
    this.#table.remove(conn);
    conn.entrance.conns.delete(conn);
    this.#tidy.churned();
    this.#door.closed();
    if (this.#governor !== null) {
      this.#governor.release(conn, this.#table.size);
      this.#sizeReads();
    }
    this.stats.bytesIn += key.bytesRead;
    this.stats.bytesOut += key.bytesWritten;
    addTraffic(conn.entrance.traffic, conn);
    if (failure !== null) countError(this.stats, this.#errors, failure);
    this.#tracer.closed(conn, key, failure, note, this.#door.open);
  }
}
