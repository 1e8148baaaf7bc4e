/**
 * A min-heap of timers: the loop's one clock for any number of things
 * waiting on time. Each timer is an object of the caller's that is in the
 * heap at most once, so rescheduling moves it rather than leaving a stale
 * entry behind, and cancelling takes it out: whoever fires it never has to
 * ask whether it still counts. Scheduling, cancelling and taking the
 * earliest cost O(log n); nothing is ever scanned.
 *
 * @example
 * ```ts
 * import { type Timer, TimerHeap } from "./timer_heap.ts";
 * const later: Timer = { at: Infinity, slot: -1 }, sooner: Timer = { at: Infinity, slot: -1 };
 * const timers = new TimerHeap<Timer>();
 * timers.schedule(later, 30);
 * timers.schedule(sooner, 10);
 * timers.schedule(sooner, 40); // moved, not added twice
 * console.log(timers.nextAt); // 30
 * console.log(timers.take() === later); // true
 * ```
 */
export class TimerHeap<T extends Timer> {
  #items: T[] = [];

  /** Number of timers scheduled. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest deadline; `Infinity` when none is scheduled. */
  get nextAt(): number {
    return this.#items.length === 0 ? Infinity : this.#items[0].at;
  }

  /** Makes `timer` due at `at`, where it was or not; `Infinity` cancels it. */
  schedule(timer: T, at: number): void {
    if (at === Infinity) return this.cancel(timer);
    if (timer.slot < 0) {
      timer.at = at;
      this.#items.push(timer);
      this.#up(timer, this.#items.length - 1);
      return;
    }
    const was = timer.at;
    // Asked again for the same time (a session's next tick, each event): nothing moves.
    // Stryker disable next-line ConditionalExpression: going on would move it nowhere, only slower
    if (at === was) return;
    timer.at = at;
    // Stryker disable next-line EqualityOperator: a timer kept at its deadline stays where it is either way
    if (at < was) this.#up(timer, timer.slot);
    else this.#down(timer, timer.slot);
  }

  /** Takes `timer` out, if it is in. */
  cancel(timer: T): void {
    const i = timer.slot;
    if (i < 0) return;
    timer.slot = -1;
    timer.at = Infinity;
    const items = this.#items, last = items.pop()!;
    if (last === timer) return;
    // The last one fills the hole, then goes whichever way it belongs.
    this.#up(last, i);
    if (last.slot === i) this.#down(last, i);
  }

  /** Removes and returns the timer with the earliest deadline; there must be one. */
  take(): T {
    const top = this.#items[0];
    this.cancel(top);
    return top;
  }

  // Puts `timer` at `i` or above, moving later parents down.
  #up(timer: T, i: number): void {
    const items = this.#items, at = timer.at;
    while (i > 0) {
      const parent = (i - 1) >> 1, above = items[parent];
      // Stryker disable next-line EqualityOperator: equal deadlines may come out in either order
      if (above.at <= at) break;
      items[i] = above;
      above.slot = i;
      i = parent;
    }
    items[i] = timer;
    timer.slot = i;
  }

  // Puts `timer` at `i` or below, moving earlier children up.
  #down(timer: T, i: number): void {
    const items = this.#items, n = items.length, at = timer.at;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        // Stryker disable next-line EqualityOperator: of equal children either will do
        if (items[right].at < items[child].at) child = right;
      }
      const below = items[child];
      // Stryker disable next-line EqualityOperator: equal deadlines may come out in either order
      if (below.at >= at) break;
      items[i] = below;
      below.slot = i;
      i = child;
    }
    items[i] = timer;
    timer.slot = i;
  }
}

/** A timer's place: when it is due (`Infinity`: not scheduled) and where it sits in the heap (-1: not in it). */
export interface Timer {
  /** When it is due; kept by the heap. */
  at: number;
  /** Its index in the heap; kept by the heap. */
  slot: number;
}
