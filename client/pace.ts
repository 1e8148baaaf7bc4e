/**
 * The timetable of an open-loop run: each of `conns` connections sends
 * `rate` messages per second, message `i` of connection `c` being due at
 * `start + (i + c / conns) / rate` seconds, so the sends of all connections
 * are spread evenly rather than bunched at the top of each interval.
 *
 * Latency is measured from when a message was due, not from when it could be
 * sent, so a server that stalls cannot hide the stall by slowing the client
 * down (coordinated omission).
 *
 * @example
 * ```ts
 * import { Pace } from "./pace.ts";
 * const pace = new Pace(0, 2, 100); // 2 connections, 100 messages/s each
 * console.log(pace.dueAt(1, 0), pace.dueAt(0, 1)); // 5 10 (milliseconds)
 * ```
 */
export class Pace {
  readonly #interval: number;
  #round = 0;
  #conn = 0;

  /** A timetable from `start` (a `performance.now()` time) for `conns` connections at `rate` each. */
  constructor(readonly start: number, readonly conns: number, readonly rate: number) {
    this.#interval = 1000 / rate;
  }

  /** When message `i` of connection `conn` is due. */
  dueAt(conn: number, i: number): number {
    return this.start + (i + conn / this.conns) * this.#interval;
  }

  /** When the next message of the timetable is due. */
  get next(): number {
    return this.dueAt(this.#conn, this.#round);
  }

  /**
   * Walks the timetable up to `now`, calling `release(conn, count)` for each
   * message that fell due: connection `conn` may now have sent `count`.
   */
  advance(now: number, release: (conn: number, count: number) => void): void {
    while (this.next <= now) {
      release(this.#conn, this.#round + 1);
      if (++this.#conn === this.conns) {
        this.#conn = 0;
        this.#round++;
      }
    }
  }
}
