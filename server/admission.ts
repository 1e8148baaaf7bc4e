/**
 * Who gets in: connection numbers, the `--max-conns` limit (one limit for
 * every worker, through a shared {@linkcode ConnTally}), a relay's
 * `--refuse`, and the refused connections still lingering while their
 * refusal goes out.
 *
 * @module
 */
import { ConnTally } from "../lib/conn_tally.ts";
import { IdleList } from "../lib/idle_list.ts";
import type { Connection } from "./connection.ts";
import type { Sessions } from "./entrance.ts";
import type { Session } from "./session.ts";

/** What {@linkcode Admission} decides with. */
export interface AdmissionOptions {
  /** Past this many open connections, new ones are refused (default: no limit). */
  readonly maxConns?: number;
  /** Numbers and the open count, shared by the workers of one server (default: its own). */
  readonly tally?: ConnTally;
  /** How long a refused connection may linger, in seconds (default 1). */
  readonly refusalLinger?: number;
  /** Refused connections lingering at once (default 64); past it, new ones are closed at once. */
  readonly maxLingering?: number;
}

/**
 * A server's door.
 *
 * @example
 * ```ts
 * import { Admission } from "./admission.ts";
 * const door = new Admission({ maxConns: 1 });
 * const n = door.nextNumber();
 * console.log(n, door.tryOpen(), door.tryOpen()); // 1 true false
 * ```
 */
export class Admission {
  readonly #tally: ConnTally;
  readonly #maxConns: number;
  readonly #lingerMs: number;
  readonly #maxLingering: number;
  // Refused connections still saying so, oldest refusal first; never touched, so a FIFO.
  readonly #lingering = new IdleList<Connection>();

  /** A door with `options`. */
  constructor(options: AdmissionOptions) {
    this.#tally = options.tally ?? new ConnTally();
    this.#maxConns = options.maxConns ?? Infinity;
    this.#lingerMs = (options.refusalLinger ?? 1) * 1000;
    this.#maxLingering = options.maxLingering ?? 64;
  }

  /** The number of the next connection accepted: 1, 2, 3... across every worker. */
  nextNumber(): number {
    return this.#tally.nextNumber();
  }

  /** Why connection `number`, come in through `entrance`, is turned away at once, or null to go on. */
  turnAway(number: number, entrance: Sessions): string | null {
    return entrance.admit?.(number) ?? null;
  }

  /** Counts one more open, unless the limit is reached: then false (refuse it). */
  tryOpen(): boolean {
    return this.#tally.tryOpen(this.#maxConns);
  }

  /** Counts one open connection closed. */
  closed(): void {
    this.#tally.closed();
  }

  /** Refused connections lingering now. */
  get lingering(): number {
    return this.#lingering.size;
  }

  /** Connections open now, every worker's together. */
  get open(): number {
    return this.#tally.open;
  }

  /** The session telling refused connection `number` (of `entrance`) why, or null to close it at once. */
  refusal(number: number, entrance: Sessions): Session | null {
    const refusal = entrance.refusal;
    if (refusal === undefined || this.#lingering.size >= this.#maxLingering) return null;
    return refusal(number);
  }

  /** `conn`, refused, lingers from `now` while its refusal goes out. */
  linger(conn: Connection, now: number): void {
    this.#lingering.touch(conn, now);
  }

  /** `conn` stops lingering (it closed). */
  unlinger(conn: Connection): void {
    this.#lingering.remove(conn);
  }

  /** When the oldest refusal has lingered long enough; `Infinity`: none lingers. */
  get lingerDeadline(): number {
    const oldest = this.#lingering.oldest;
    return oldest === null ? Infinity : oldest.lastActive + this.#lingerMs;
  }

  /** The refused connection lingering longest, if its time is up at `now`; else null. */
  expired(now: number): Connection | null {
    const oldest = this.#lingering.oldest;
    return oldest !== null && oldest.lastActive + this.#lingerMs <= now ? oldest : null;
  }
}
