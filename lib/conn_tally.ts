const NUMBER = 0;
const OPEN = 1;
const SLOTS = 2;

/**
 * The connection numbers handed out and the connections open, kept in a
 * `BigInt64Array` (exact past 2^53, where an `Int32Array` wrapped at 2^31) that may live in a `SharedArrayBuffer`: then the workers of
 * one server share it through `Atomics`, so `#N` numbers stay unique and a
 * connection limit holds across all of them. Each sharer also counts its
 * own open connections in a slot, so those of a sharer that died can be
 * given back ({@linkcode ConnTally.forget}).
 *
 * @example
 * ```ts
 * import { ConnTally } from "./conn_tally.ts";
 * const shared = new SharedArrayBuffer(ConnTally.bytes(2));
 * const first = new ConnTally(shared, 0), second = new ConnTally(shared, 1);
 * console.log(first.nextNumber(), second.tryOpen(1), first.tryOpen(1)); // 1 true false
 * ```
 */
export class ConnTally {
  readonly #cells: BigInt64Array;
  readonly #slot: number;

  /** The bytes a tally shared by `sharers` needs in its buffer. */
  static bytes(sharers: number): number {
    return (SLOTS + sharers) * 8;
  }

  /** Sharer `slot`'s view of the tally in `buffer` (by default a buffer of its own). */
  constructor(buffer: ArrayBufferLike = new ArrayBuffer(ConnTally.bytes(1)), slot = 0) {
    this.#cells = new BigInt64Array(buffer);
    this.#slot = SLOTS + slot;
  }

  /** The number of the next connection: 1, 2, 3... across everyone sharing the tally. */
  nextNumber(): number {
    return Number(Atomics.add(this.#cells, NUMBER, 1n) + 1n);
  }

  /** Counts one more connection open, unless `max` are open already: then false. */
  tryOpen(max: number): boolean {
    if (Number(Atomics.add(this.#cells, OPEN, 1n)) >= max) {
      Atomics.sub(this.#cells, OPEN, 1n);
      return false;
    }
    Atomics.add(this.#cells, this.#slot, 1n);
    return true;
  }

  /** Counts one connection closed. */
  closed(): void {
    Atomics.sub(this.#cells, this.#slot, 1n);
    Atomics.sub(this.#cells, OPEN, 1n);
  }

  /** Takes the connections sharer `slot` had open off the count: it died, and they with it. */
  forget(slot: number): void {
    Atomics.sub(this.#cells, OPEN, Atomics.exchange(this.#cells, SLOTS + slot, 0n));
  }

  /** The buffer the tally lives in, to hand to the others that share it. */
  get buffer(): ArrayBufferLike {
    return this.#cells.buffer;
  }

  /** Connections open now, everyone's together. */
  get open(): number {
    return Number(Atomics.load(this.#cells, OPEN));
  }
}
