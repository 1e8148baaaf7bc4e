/**
 * Every line a server writes about one connection: accepted, refused,
 * turned away, closed or failed, and with `--verbose` each event, state and
 * interest change. Hot paths ask {@linkcode Tracer.verbose} before building
 * a line, so a quiet server pays nothing.
 *
 * @module
 */
import { describeError } from "../lib/describe_error.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log, LogFields } from "../lib/log.ts";
import { plural } from "../lib/plural.ts";
import type { Event, Interest, Key, Stream } from "../lib/loop.ts";
import type { Connection, Owner } from "./connection.ts";

/**
 * A server's connection lines, on `log`.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { Tracer } from "./tracer.ts";
 * const tracer = new Tracer(new Log("verbose"));
 * tracer.turnedAway(7, "127.0.0.1:5000", "--refuse 0.5");
 * // "#7 turned away from 127.0.0.1:5000: --refuse 0.5"
 * ```
 */
export class Tracer {
  /** True when per-event lines are wanted. */
  readonly verbose: boolean;
  /** True unless quiet. */
  readonly normal: boolean;

  /**
   * Lines to `log`, at its level; `socket` names the Unix socket listened on
   * (`unix:PATH`), for its peers, which have no name of their own.
   */
  constructor(readonly log: Log, readonly socket = "unix") {
    this.verbose = log.verbose;
    this.normal = log.normal;
  }

  /** Connection `n` was accepted from `peer`; `open` are open now. */
  accepted(n: number, peer: string, open: number): void {
    this.log.info("accepted", `#${n} accepted from ${peer} (${open} open)`, {
      conn: n,
      peer,
      open,
    });
  }

  /** Connection `n` was refused: `open` are open, the limit. */
  refused(n: number, peer: string, open: number): void {
    this.log.info("refused", `#${n} refused from ${peer}: ${open} open, the limit`, {
      conn: n,
      peer,
      open,
    });
  }

  /** Connection `n` was turned away at once, for `reason` (a relay's `--refuse`). */
  turnedAway(n: number, peer: string, reason: string): void {
    this.log.info("turned_away", `#${n} turned away from ${peer}: ${reason}`, {
      conn: n,
      peer,
      reason,
    });
  }

  /**
   * `conn` closed: `failure` is a peer's fault (an error line), `note` a
   * closing of the server's own choosing; `open` are still open.
   */
  closed(
    conn: Connection,
    key: Key<Owner>,
    failure: string | null,
    note: string | null,
    open: number,
  ): void {
    // A quiet server closes thousands a second: build no line it would drop.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,BooleanLiteral: the log drops such a line anyway; this only saves building it
    if (failure === null && !this.normal) return;
    const peer = peerOf(key.stream!, this.socket);
    const fields = {
      conn: conn.number,
      peer,
      bytes_in: key.bytesRead,
      bytes_out: key.bytesWritten,
      open,
    };
    const more = conn.session.summary?.() ?? null;
    const totals = `${key.bytesRead} bytes in, ${key.bytesWritten} out`;
    const rest = more === null ? "" : `; ${more.text}`;
    if (failure !== null) {
      this.log.error(
        "failed",
        `sockdemo: #${conn.number} ${peer}: ${failure}; closed after ${totals}${rest}`,
        { ...fields, ...more?.fields, reason: failure },
      );
      return;
    }
    const why = note === null ? "" : `, ${note}`;
    this.log.info(
      "closed",
      `#${conn.number} closed ${peer}: ${totals}${why}${rest} (${open} open)`,
      { ...fields, ...more?.fields, reason: note ?? "done" },
    );
  }

  /** A connection was reset (`cause`) while it waited to be accepted. */
  aborted(cause: string): void {
    this.log.info("aborted", `a connection was ${cause} before it was accepted`, { reason: cause });
  }

  /** An accept failed for the listener itself (out of descriptors): it pauses. */
  acceptFailed(cause: string): void {
    this.log.error("accept_failed", `sockdemo: accept failed: ${cause}; retrying in 100 ms`, {
      reason: cause,
    });
  }

  /** `conn` waited `seconds` for room in the buffer budget: its session hears it is overloaded. */
  busy(conn: Connection, seconds: number): void {
    this.log.info(
      "busy",
      `#${conn.number} server busy: no room for it in the buffer budget for ${seconds} s`,
      { conn: conn.number, held: conn.held },
    );
  }

  /** `--verbose`: a full garbage collection took `ms` after `churn` connections came or went. */
  collected(churn: number, ms: number): void {
    this.log.debug(
      "collect",
      `quiet after ${
        plural(churn, "connection")
      } opened or closed: full garbage collection (${ms} ms)`,
      { churn, ms },
    );
  }

  /** `--verbose`: one event of `conn`, on its key or its dialed one. */
  event(conn: Connection, ev: Event<Owner>): void {
    const leg = conn.session.label?.(ev.key) ?? null;
    const owed = ev.key.output.length;
    const who = leg === null ? `#${conn.number}` : `#${conn.number} ${leg}`;
    const base: LogFields = leg === null ? { conn: conn.number } : { conn: conn.number, leg };
    const log = this.log;
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

  /** `--verbose`: `conn`'s session went from state `before` to its current one. */
  state(conn: Connection, before: string): void {
    const after = conn.session.stateName, owed = conn.key!.output.length;
    this.log.debug("state", `#${conn.number} state ${before} -> ${after} (${owed} bytes owed)`, {
      conn: conn.number,
      from: before,
      to: after,
      owed,
    });
  }

  /** `--verbose`: what `key` of `conn` asks of the loop changes to `want`. */
  interest(conn: Connection, key: Key<Owner>, want: Interest): void {
    const [from, to] = [INTEREST_NAMES[key.interest], INTEREST_NAMES[want]];
    const label = conn.session.label?.(key);
    const leg = label === undefined ? "" : ` ${label}`;
    // Stryker disable next-line ConditionalExpression: JSON.stringify leaves an undefined leg out just the same
    const fields: LogFields = label === undefined
      ? { conn: conn.number, from, to }
      : { conn: conn.number, leg: label, from, to };
    this.log.debug("interest", `#${conn.number}${leg} interest ${from} -> ${to}`, fields);
  }
}

const INTEREST_NAMES = [
  // Stryker disable next-line StringLiteral: no session stays open wanting nothing, so "none" is never logged
  "none",
  "read",
  "write",
  "read+write",
];

/**
 * How lines name a stream's peer: `HOST:PORT`, or for a Unix socket (whose
 * peers have no name) `unix:PATH` of the socket it came through, or for a
 * UDP socket (a peer per datagram) `udp socket HOST:PORT`, its own address.
 * Made only for a line, so a quiet server keeps no string per connection.
 */
export function peerOf(stream: Stream, socket = "unix"): string {
  const addr = (stream as Partial<Deno.Conn>).remoteAddr;
  if (addr === undefined) {
    const own = (stream as Partial<Deno.DatagramConn>).addr;
    return own?.transport === "udp" ? `udp socket ${hostPort(own.hostname, own.port)}` : "peer";
  }
  if (addr.transport === "tcp") return hostPort(addr.hostname, addr.port);
  return (addr as Deno.UnixAddr).path ? `unix:${(addr as Deno.UnixAddr).path}` : socket;
}

/**
 * The line a stop says while `open` connections may still finish, for up
 * to `seconds`: one server's, or a coordinator's for all its workers.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { logDraining } from "./tracer.ts";
 * logDraining(new Log("normal"), 3, 10); // "Draining 3 open connections for up to 10 s (...)"
 * ```
 */
export function logDraining(log: Log, open: number, seconds: number): void {
  log.notice(
    "draining",
    `Draining ${plural(open, "open connection")} for up to ${seconds} s ` +
      `(interrupt again to stop now)`,
    { open, seconds },
  );
}
