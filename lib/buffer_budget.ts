/**
 * One budget for the bytes a whole server holds for its peers (owed output,
 * partial requests), like nginx's and HAProxy's global buffer limits: each
 * connection's own high-water mark bounds one peer, this bounds them all.
 *
 * The owner charges each change of a connection's holding. Past `limit` the
 * budget binds: connections holding more than their share
 * ({@linkcode BufferBudget.share}) should not read, and the budget clears
 * once the total falls to `low`. It only counts and says when it binds and
 * clears; which reads stop is the owner's choice.
 *
 * @example
 * ```ts
 * import { BufferBudget } from "./buffer_budget.ts";
 * const budget = new BufferBudget(1000);
 * budget.charge(600); // null: within the budget
 * budget.charge(600); // "bound": 1200 held
 * console.log(budget.mayRead(700, 2)); // false: more than half of 1000, with 2 open
 * budget.charge(-800); // "cleared": 400 held, at most the low mark of 500
 * ```
 */
export class BufferBudget {
  /** Bytes held in all before the budget binds. */
  readonly limit: number;
  /** Bytes held in all at which a bound budget clears. */
  readonly low: number;
  #total = 0;
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

  /** True from the moment the total passes the limit until it falls to the low mark. */
  get binding(): boolean {
    return this.#binding;
  }

  /** Adds `delta` bytes (negative: released); says "bound" or "cleared" when that changes. */
  charge(delta: number): "bound" | "cleared" | null {
    const total = this.#total += delta;
    if (!this.#binding && total > this.limit) {
      this.#binding = true;
      return "bound";
    }
    if (this.#binding && total <= this.low) {
      this.#binding = false;
      return "cleared";
    }
    return null;
  }

  /** What each of `open` connections may hold while the budget binds: an equal share. */
  share(open: number): number {
    return this.limit / Math.max(1, open);
  }

  /** Whether a connection holding `held` bytes, of `open`, may read now. */
  mayRead(held: number, open: number): boolean {
    return !this.#binding || held < this.share(open);
  }
}
