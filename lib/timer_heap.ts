/**
 * A min-heap of deadlines, each with the caller's item: the loop's one
 * timer for any number of things waiting on time. Adding and taking the
 * earliest cost O(log n); nothing is ever scanned.
 *
 * @example
 * ```ts
 * import { TimerHeap } from "./timer_heap.ts";
 * const timers = new TimerHeap<string>();
 * timers.add(30, "later");
 * timers.add(10, "sooner");
 * console.log(timers.nextAt); // 10
 * console.log(timers.take()); // "sooner"
 * ```
 */
export class TimerHeap<T> {
  #at: number[] = [];
  #items: T[] = [];

  /** Number of deadlines held. */
  get size(): number {
    return this.#at.length;
  }

  /** The earliest deadline; `Infinity` when empty. */
  get nextAt(): number {
    return this.#at.length === 0 ? Infinity : this.#at[0];
  }

  /** Adds `item`, due at `at`. */
  add(at: number, item: T): void {
    const times = this.#at, items = this.#items;
    let i = times.length;
    times.push(at);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      // Stryker disable next-line EqualityOperator: equal deadlines may come out in either order
      if (times[parent] <= at) break;
      times[i] = times[parent];
      items[i] = items[parent];
      i = parent;
    }
    times[i] = at;
    items[i] = item;
  }

  /** Removes and returns the item with the earliest deadline; the heap must not be empty. */
  take(): T {
    const times = this.#at, items = this.#items;
    const top = items[0];
    const lastAt = times.pop()!, last = items.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        // Stryker disable next-line all: past the end times[] is undefined and never smaller; of equal children either will do
        if (child + 1 < n && times[child + 1] < times[child]) child++;
        // Stryker disable next-line EqualityOperator: equal deadlines may come out in either order
        if (times[child] >= lastAt) break;
        times[i] = times[child];
        items[i] = items[child];
        i = child;
      }
      times[i] = lastAt;
      items[i] = last;
    }
    return top;
  }
}
