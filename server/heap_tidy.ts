/**
 * When a server collects its garbage. After a burst, V8 leaves what
 * outlived its young generation in the heap until the heap grows again,
 * which a quiet server never does: a thousand connections that came or went
 * are worth one full collection (milliseconds) once nothing has happened
 * for a second.
 *
 * @module
 */
import { collectGarbage } from "../lib/collect_garbage.ts";

/** A full collection after this many connections opened or closed... */
const TIDY_AFTER = 1000;
/** ...once the loop has been quiet this long (ms). */
const QUIET_MS = 1000;

/**
 * Counts connections that came and went, and says when to collect.
 *
 * @example
 * ```ts
 * import { HeapTidy } from "./heap_tidy.ts";
 * const tidy = new HeapTidy(() => true);
 * for (let i = 0; i < 1000; i++) tidy.churned();
 * tidy.heard(0);
 * console.log(tidy.dueAt, tidy.collect(1000)); // 1000 1000
 * ```
 */
export class HeapTidy {
  #churn = 0;
  #lastEvent = 0;

  /** `collect` runs a full collection, false where it cannot (default: `collectGarbage`). */
  constructor(readonly run: () => boolean = collectGarbage) {}

  /** One connection opened or closed. */
  churned(): void {
    this.#churn++;
  }

  /** Events came at `at`: not quiet. */
  heard(at: number): void {
    this.#lastEvent = at;
  }

  /** When to look again; `Infinity` while too few connections came and went. */
  get dueAt(): number {
    return this.#churn >= TIDY_AFTER ? this.#lastEvent + QUIET_MS : Infinity;
  }

  /**
   * Collects if it is time at `now` (quiet long enough): resolves to the
   * connections counted since the last one, or 0 when it did not collect.
   */
  collect(now: number): number {
    // Stryker disable next-line EqualityOperator: no test can make two performance.now() readings equal
    if (this.#churn < TIDY_AFTER || this.#lastEvent + QUIET_MS > now) return 0;
    const churn = this.#churn;
    this.#churn = 0;
    return this.run() ? churn : 0;
  }
}
