// A BigInt64 cell for the numbers (exact past 2^53), then Int32 cells: the
// open count and each sharer's own (open connections never near 2^31).
const NUMBER_BYTES = 8;
const OPEN = 0;
const SLOTS = 1;

/**
 * The connection numbers handed out and the connections open, kept in a
 * buffer that may live in a `SharedArrayBuffer`: then the workers of
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
  // The last number handed out, in 64 bits: an Int32 cell wrapped at 2^31.
  readonly #number: BigInt64Array;
  readonly #cells: Int32Array;
  readonly #slot: number;

  /** The bytes a tally shared by `sharers` needs in its buffer. */
  static bytes(sharers: number): number {
    return NUMBER_BYTES + (SLOTS + sharers) * 4;
  }

  /** Sharer `slot`'s view of the tally in `buffer` (by default a buffer of its own). */
  constructor(buffer: ArrayBufferLike = new ArrayBuffer(ConnTally.bytes(1)), slot = 0) {
    this.#number = new BigInt64Array(buffer, 0, 1);
    this.#cells = new Int32Array(buffer, NUMBER_BYTES);
    this.#slot = SLOTS + slot;
  }

  /** The number of the next connection: 1, 2, 3... across everyone sharing the tally. */
  nextNumber(): number {
    return Number(Atomics.add(this.#number, 0, 1n) + 1n);
  }

  /** Counts one more connection open, unless `max` are open already: then false. */
  tryOpen(max: number): boolean {
    if (Atomics.add(this.#cells, OPEN, 1) >= max) {
      Atomics.sub(this.#cells, OPEN, 1);
      return false;
    }
    Atomics.add(this.#cells, this.#slot, 1);
    return true;
  }

  /** Counts one connection closed. */
  closed(): void {
    Atomics.sub(this.#cells, this.#slot, 1);
    Atomics.sub(this.#cells, OPEN, 1);
  }

  /** Takes the connections sharer `slot` had open off the count: it died, and they with it. */
  forget(slot: number): void {
    Atomics.sub(this.#cells, OPEN, Atomics.exchange(this.#cells, SLOTS + slot, 0));
  }

  /** The buffer the tally lives in, to hand to the others that share it. */
  get buffer(): ArrayBufferLike {
    return this.#number.buffer;
  }

  /** Connections open now, everyone's together. */
  get open(): number {
    return Atomics.load(this.#cells, OPEN);
  }
}
