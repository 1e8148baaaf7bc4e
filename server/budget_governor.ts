/**
 * The buffer budget applied to connections: what each holds is charged as
 * it changes, reads stop on those holding the most while the budget binds,
 * a connection that waits too long for room is found, and each read is
 * sized so the reads in flight fit too.
 *
 * @module
 */
import { BufferBudget } from "../lib/buffer_budget.ts";
import type { Log } from "../lib/log.ts";
import { plural } from "../lib/plural.ts";
import type { Connection } from "./connection.ts";

/** What the governor tells the server. */
export interface GovernorHooks {
  /** The time now (ms), asked only when a connection starts waiting. */
  now(): number;
  /** `conn`'s reads stopped and its session can say it is overloaded: look again at `at`. */
  waiting(conn: Connection, at: number): void;
  /** The budget is clear again: these connections may read. */
  cleared(conns: Connection[]): void;
}

/**
 * A budget of `limit` bytes over a server's connections.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { BudgetGovernor } from "./budget_governor.ts";
 * const governor = new BudgetGovernor(64 << 20, 5000, new Log("normal"), {
 *   now: () => performance.now(),
 *   waiting: () => {},
 *   cleared: () => {},
 * });
 * console.log(governor.readSize(1000)); // the largest read each of 1000 connections may start
 * ```
 */
export class BudgetGovernor {
  readonly #budget: BufferBudget;
  readonly #throttled = new Set<Connection>();
  #binds = 0;

  /** `busyMs`: how long a connection may wait for room before its session is told. */
  constructor(
    limit: number,
    readonly busyMs: number,
    readonly log: Log,
    readonly hooks: GovernorHooks,
  ) {
    this.#budget = new BufferBudget(limit);
  }

  /** The governor a server's `--max-buffer` and `--busy-timeout` ask for; null without a budget. */
  static forServer(
    options: { maxBuffer?: number; busyTimeout?: number; log: Log },
    hooks: GovernorHooks,
  ): BudgetGovernor | null {
    const limit = options.maxBuffer ?? 0;
    if (limit <= 0) return null;
    return new BudgetGovernor(limit, (options.busyTimeout ?? 5) * 1000, options.log, hooks);
  }

  /** Charges what `conn` holds now (`held` bytes); true while it may read, of `open` connections. */
  mayRead(conn: Connection, held: number, open: number): boolean {
    this.#charge(held - conn.held, open);
    conn.held = held;
    if (this.#budget.mayRead(held, open)) {
      // Stryker disable next-line ConditionalExpression: clearing a connection that was not throttled changes nothing
      if (conn.throttledSince !== null) {
        conn.throttledSince = null;
        this.#throttled.delete(conn);
      }
      return true;
    }
    if (conn.throttledSince === null) {
      const now = this.hooks.now();
      conn.throttledSince = now;
      this.#throttled.add(conn);
      if (conn.session.overloaded !== undefined) this.hooks.waiting(conn, now + this.busyMs);
    }
    return false;
  }

  /** The budget, what is charged to it now, how often it bound, and the connections it pauses: for metrics. */
  get figures(): { limit: number; held: number; binds: number; throttled: number } {
    const budget = this.#budget;
    return {
      limit: budget.limit,
      held: budget.total,
      binds: this.#binds,
      throttled: this.#throttled.size,
    };
  }

  /** `conn` closed: what it held is free; `open` are left. */
  release(conn: Connection, open: number): void {
    conn.throttledSince = null;
    this.#throttled.delete(conn);
    this.#charge(-conn.held, open);
    conn.held = 0;
  }

  /** True when `conn` has waited for room since `busyMs` before `now` (not closed, not let read since). */
  overdue(conn: Connection, now: number): boolean {
    const since = conn.throttledSince;
    // Stryker disable next-line EqualityOperator: no test can make two performance.now() readings equal
    return !conn.key!.closed && since !== null && since + this.busyMs <= now;
  }

  /** The largest read a connection may start among `open`, so the reads in flight fit too. */
  readSize(open: number): number {
    return this.#budget.readSize(open);
  }

  #charge(delta: number, open: number): void {
    const change = this.#budget.charge(delta);
    if (change === null) return;
    const budget = this.#budget;
    const fields = { limit: budget.limit, held: budget.total, open };
    if (change === "bound") {
      this.#binds++;
      this.log.notice(
        "budget_bound",
        `Buffer budget of ${budget.limit} bytes reached (${budget.total} held, ` +
          `${plural(open, "open connection")}): pausing reads from those holding the most`,
        fields,
      );
      return;
    }
    this.log.notice(
      "budget_clear",
      `Buffer budget clear (${budget.total} held): reading from every connection again`,
      fields,
    );
    this.hooks.cleared([...this.#throttled]);
  }
}
