import type { BufferPool } from "./buffer_pool.ts";
import { ByteQueue } from "./byte_queue.ts";

/**
 * Bytes held back until their time, then let out no faster than a rate: a
 * link with latency and a bandwidth, as a relay's faults need it.
 *
 * Bytes go into {@linkcode DelayLine.queue} (a read is forwarded there, so
 * a large one is not copied) and {@linkcode DelayLine.hold} stamps all of
 * them since the last stamp with the time they may leave. The line keeps
 * order: bytes stamped earlier than those before them wait behind them.
 * {@linkcode DelayLine.release} moves what
 * is due to another queue; with a rate, it lets out at most one quantum
 * (10 ms worth) at a time and spaces the quanta by their transmission time,
 * so a bulk transfer is paced rather than sent in bursts.
 *
 * @example 50 ms of latency
 * ```ts
 * import { ByteQueue } from "./byte_queue.ts";
 * import { DelayLine } from "./delay_line.ts";
 * const line = new DelayLine(Infinity);
 * line.queue.push(new TextEncoder().encode("hello"));
 * line.hold(1050); // read at 1000 ms
 * const out = new ByteQueue();
 * line.release(1049, out); // 0: not yet
 * line.release(1050, out); // 5
 * ```
 */
export class DelayLine {
  /** Bytes held, stamped or not; push bytes here, then {@linkcode DelayLine.hold} them. */
  readonly queue: ByteQueue;
  /**
   * Each stamp's bytes leave alone, only into an empty queue, so each goes
   * out in a write of its own (a slicer's slices); off by default.
   */
  separate = false;
  #rate = Infinity;
  #quantum = Infinity;
  // Stamps, oldest first, from #first: [time, bytes] pairs, flattened.
  #stamps: number[] = [];
  #first = 0;
  #stamped = 0; // bytes covered by stamps not yet released
  #free = -Infinity; // when the link can carry the next quantum

  /** A line that lets out `rate` bytes per second (`Infinity`: no limit). */
  constructor(rate: number, pool?: BufferPool) {
    this.queue = new ByteQueue(pool);
    this.setRate(rate);
  }

  /** From now on, lets out `rate` bytes per second (`Infinity`: no limit). */
  setRate(rate: number): void {
    this.#rate = rate / 1000;
    // Stryker disable next-line all: a quantum only shapes the pacing; the rate holds with any size
    this.#quantum = rate === Infinity ? Infinity : Math.max(1, Math.ceil(rate / 100));
    if (rate === Infinity) this.#free = -Infinity;
  }

  /** Bytes held, released or not yet. */
  get length(): number {
    return this.queue.length;
  }

  /** Memory the held bytes take. */
  get capacity(): number {
    return this.queue.capacity;
  }

  /** Stamps the bytes pushed since the last stamp (or the first `count` of them): they may leave at `at` (ms), not before. */
  hold(at: number, count = Infinity): void {
    const n = Math.min(count, this.queue.length - this.#stamped);
    if (n === 0) return;
    // A line that never empties drops its spent stamps now and then.
    // Stryker disable all: memory only: spent stamps count for nothing when released again
    if (this.#first > 64 && this.#first * 2 > this.#stamps.length) {
      this.#stamps = this.#stamps.slice(this.#first);
      this.#first = 0;
    }
    // Stryker restore all
    this.#stamps.push(at, n);
    this.#stamped += n;
  }

  /** When `release` next has something to let out; `Infinity` while nothing is stamped. */
  get nextAt(): number {
    if (this.#first === this.#stamps.length) return Infinity;
    return Math.max(this.#stamps[this.#first], this.#free);
  }

  /** Moves to `to` the bytes due at `now` (ms) that the rate lets out; returns how many. */
  release(now: number, to: ByteQueue): number {
    let moved = 0;
    const stamps = this.#stamps;
    while (this.#first < stamps.length) {
      const start = Math.max(stamps[this.#first], this.#free);
      if (start > now || this.separate && to.length > 0) break;
      const n = Math.min(stamps[this.#first + 1], this.#quantum);
      this.queue.transfer(to, n);
      moved += n;
      this.#stamped -= n;
      stamps[this.#first + 1] -= n;
      if (stamps[this.#first + 1] === 0) this.#first += 2;
      // A link idle for a while does not bank its idle time: at most one quantum late.
      if (this.#rate !== Infinity) {
        this.#free = Math.max(start, now - this.#quantum / this.#rate) + n / this.#rate;
      }
    }
    // Stryker disable next-line all: memory only (spent stamps are dropped)
    if (this.#first === stamps.length) {
      stamps.length = 0;
      this.#first = 0;
    }
    return moved;
  }

  /** Drops everything held, returning its chunks to the pool. */
  clear(): void {
    this.queue.clear();
    this.#stamps.length = 0;
    this.#first = 0;
    this.#stamped = 0;
  }
}
