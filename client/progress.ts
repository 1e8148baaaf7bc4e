/**
 * The progress line of a long run, rewritten in place on a terminal:
 * messages per second over the last interval, messages so far, and the time
 * left (or the share done, when the run is a message count).
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress(performance.now(), 10_000, null, (t) => console.log(t));
 * progress.tick(performance.now() + 250, 1200);
 * ```
 */
export class Progress {
  #lastAt: number;
  #lastCount = 0;
  #shown = false;

  /**
   * Progress of a run started at `start`, ending at `stopAt` or after
   * `total` messages; `write` puts text on the terminal.
   */
  constructor(
    readonly start: number,
    readonly stopAt: number,
    readonly total: number | null,
    readonly write: (text: string) => void,
  ) {
    this.#lastAt = start;
  }

  /** Rewrites the line for time `now`, when `count` messages are done. */
  tick(now: number, count: number): void {
    const rate = now > this.#lastAt ? (count - this.#lastCount) / ((now - this.#lastAt) / 1000) : 0;
    this.#lastAt = now;
    this.#lastCount = count;
    const left = Number.isFinite(this.stopAt)
      ? `${Math.max(0, (this.stopAt - now) / 1000).toFixed(0)} s left`
      : this.total !== null
      ? `${Math.min(100, (count / this.total) * 100).toFixed(0)}% done`
      : `${((now - this.start) / 1000).toFixed(0)} s`;
    this.write(`\r${Math.round(rate)} messages/s, ${count} messages, ${left}\x1b[K`);
    this.#shown = true;
  }

  /** Erases the line, so the summary starts on a clean one. */
  clear(): void {
    if (this.#shown) this.write("\r\x1b[K");
  }
}
