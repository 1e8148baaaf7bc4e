import { mergeIntervals, slotOf } from "./interval_merge.ts";
import type { IntervalReport } from "./intervals.ts";

/**
 * Gathers the intervals `connect --workers` workers post as they close
 * theirs, and hands on each wall-clock slot merged once every worker still
 * running has closed it, in order, so the coordinator prints one line per
 * interval for the whole run.
 *
 * @example
 * ```ts
 * import { IntervalGather } from "./interval_gather.ts";
 * import type { IntervalReport } from "./intervals.ts";
 * declare const a: IntervalReport, b: IntervalReport; // the same second, from workers 1 and 2
 * const gather = new IntervalGather(2, 1000, (iv) => console.log(iv.messages));
 * gather.add(1, a);
 * gather.add(2, b); // prints a.messages + b.messages
 * ```
 */
export class IntervalGather {
  // Per worker (index - 1): the intervals posted and not yet merged, oldest first.
  readonly #pending: IntervalReport[][];
  // The workers (index - 1) that posted all they will.
  readonly #ended = new Set<number>();

  /** Gathers from workers 1 to `workers`, cut every `everyMs`; `onInterval` hears each merged one. */
  constructor(
    workers: number,
    readonly everyMs: number,
    readonly onInterval: (interval: IntervalReport) => void,
  ) {
    this.#pending = Array.from({ length: workers }, () => []);
  }

  /** Worker `index` closed `interval`. */
  add(index: number, interval: IntervalReport): void {
    this.#pending[index - 1].push(interval);
    this.#flush();
  }

  /** Worker `index` posted all it will: the slots it never reached wait for it no longer. */
  ended(index: number): void {
    this.#ended.add(index - 1);
    this.#flush();
  }

  // Merges the oldest slot while every running worker has closed it.
  #flush(): void {
    const pending = this.#pending;
    for (;;) {
      if (pending.some((p, i) => p.length === 0 && !this.#ended.has(i))) return;
      const heads = pending.filter((p) => p.length > 0);
      if (heads.length === 0) return;
      const slot = Math.min(...heads.map((p) => slotOf(p[0].start, this.everyMs)));
      const parts = heads.filter((p) => slotOf(p[0].start, this.everyMs) === slot)
        .map((p) => [p.shift()!]);
      this.onInterval(mergeIntervals(parts, this.everyMs)[0]);
    }
  }
}
