/**
 * The connections a server has open, with the order they were last active
 * in, so the idle ones are found without scanning the busy ones.
 *
 * @module
 */
import { IdleList } from "../lib/idle_list.ts";
import type { Connection } from "./connection.ts";

/**
 * Open connections, and with an idle timeout, which of them has been silent longest.
 *
 * @example
 * ```ts
 * import { ConnectionTable } from "./connection_table.ts";
 * import { newConnection } from "./connection.ts";
 * import { EchoSession } from "./echo.ts";
 * const table = new ConnectionTable(1000);
 * const conn = newConnection(1, new EchoSession(), false);
 * table.add(conn, 0);
 * console.log(table.idleDeadline, table.expired(1000) === conn); // 1000 true
 * ```
 */
export class ConnectionTable {
  readonly #open = new Set<Connection>();
  readonly #idle = new IdleList<Connection>();

  /** A table closing connections silent for `idleMs` milliseconds (0: never). */
  constructor(readonly idleMs: number) {}

  /** Connections open. */
  get size(): number {
    return this.#open.size;
  }

  /** Adds `conn`, active at `now`. */
  add(conn: Connection, now: number): void {
    this.#open.add(conn);
    if (this.idleMs > 0) this.#idle.touch(conn, now);
  }

  /** `conn` was active at `now`. */
  touch(conn: Connection, now: number): void {
    if (this.idleMs > 0) this.#idle.touch(conn, now);
  }

  /** Takes `conn` out; false if it was not in. */
  remove(conn: Connection): boolean {
    if (!this.#open.delete(conn)) return false;
    this.#idle.remove(conn);
    return true;
  }

  /** When the connection silent longest will have been idle too long; `Infinity`: none will. */
  get idleDeadline(): number {
    const oldest = this.#idle.oldest;
    return oldest === null ? Infinity : oldest.lastActive + this.idleMs;
  }

  /** The connection silent longest, if it has been idle too long at `now`; else null. */
  expired(now: number): Connection | null {
    const oldest = this.#idle.oldest;
    return oldest !== null && oldest.lastActive + this.idleMs <= now ? oldest : null;
  }

  /** The open connections. */
  [Symbol.iterator](): IterableIterator<Connection> {
    return this.#open.values();
  }
}
