/**
 * One budget for the bytes a whole server holds for its peers (owed output,
 * partial requests), like nginx's and HAProxy's global buffer limits: each
 * connection's own high-water mark bounds one peer, this bounds them all.
 *
 * The owner charges each change of a connection's holding, and sizes its
 * reads with {@linkcode BufferBudget.readSize}: the bytes of reads in flight
 * are not charged until they land, so room is kept for them. Past the limit
 * less that room, the budget binds: only connections holding almost nothing
 * (under a sixty-fourth of an equal share, such as a client that reads its
 * replies) should read, and it clears once the total falls to `low`. It only
 * counts and says when it binds and clears; which reads stop is the owner's
 * choice.
 *
 * @example
 * ```ts
 * import { BufferBudget } from "./buffer_budget.ts";
 * const budget = new BufferBudget(1 << 20);
 * budget.charge(600_000); // null: within the budget
 * budget.charge(600_000); // "bound": 1,200,000 held
 * console.log(budget.mayRead(8192, 2)); // false: more than 1 MiB / 2 / 64
 * console.log(budget.mayRead(64, 2)); // true: a connection holding almost nothing
 * budget.charge(-800_000); // "cleared": 400,000 held, at most the low mark
 * ```
 */
export class BufferBudget {
  /** Bytes held in all before the budget binds (less the room kept for reads). */
  readonly limit: number;
  /** Bytes held in all at which a bound budget clears. */
  readonly low: number;
  #total = 0;
  #reserve = 0;
  #binding = false;

  /** A budget of `limit` bytes that clears at `low` (default half of it). */
  constructor(limit: number, low: number = Math.floor(limit / 2)) {
    this.limit = limit;
    this.low = low;
  }

  /** Bytes held in all. */
  get total(): number {
    return this.#total;
  }

  /** Bytes kept from the limit for the reads in flight, as last sized by `readSize`. */
  get reserve(): number {
    return this.#reserve;
  }

  /** True from the moment the total passes the limit until it falls to the low mark. */
  get binding(): boolean {
    return this.#binding;
  }

  /** Adds `delta` bytes (negative: released); says "bound" or "cleared" when that changes. */
  charge(delta: number): "bound" | "cleared" | null {
    const total = this.#total += delta;
    if (!this.#binding && total > this.limit - this.#reserve) {
      this.#binding = true;
      return "bound";
    }
    if (this.#binding && total <= this.low) {
      this.#binding = false;
      return "cleared";
    }
    return null;
  }

  /** What each of `open` connections may hold: an equal share. */
  share(open: number): number {
    return this.limit / Math.max(1, open);
  }

  /**
   * The largest read each of `open` connections should start: a power of two
   * near a sixteenth of the share, never under 8 KiB (smaller reads cost more
   * in per-read garbage than they save). Keeps room for all of them in flight,
   * at most a quarter of the limit.
   */
  readSize(open: number): number {
    const size = 2 ** Math.floor(Math.log2(Math.max(MIN_READ, this.share(open) / 16)));
    this.#reserve = Math.min(this.limit / 4, size * open);
    return size;
  }

  /** Whether a connection holding `held` bytes, of `open`, may read now. */
  mayRead(held: number, open: number): boolean {
    return !this.#binding || held < this.share(open) / 64;
  }
}

const MIN_READ = 8192;
