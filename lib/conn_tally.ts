const NUMBER = 0;
const OPEN = 1;

/**
 * The connection numbers handed out and the connections open, kept in an
 * `Int32Array` that may live in a `SharedArrayBuffer`: then the workers of
 * one server share it through `Atomics`, so `#N` numbers stay unique and a
 * connection limit holds across all of them.
 *
 * @example
 * ```ts
 * import { ConnTally } from "./conn_tally.ts";
 * const tally = new ConnTally(new SharedArrayBuffer(ConnTally.BYTES));
 * console.log(tally.nextNumber(), tally.tryOpen(1), tally.tryOpen(1)); // 1 true false
 * ```
 */
export class ConnTally {
  /** The bytes a tally needs in its buffer. */
  static readonly BYTES = 8;
  readonly #cells: Int32Array;

  /** A tally in `buffer` (shared between workers), or in a buffer of its own. */
  constructor(buffer: ArrayBufferLike = new ArrayBuffer(ConnTally.BYTES)) {
    this.#cells = new Int32Array(buffer, 0, 2);
  }

  /** The number of the next connection: 1, 2, 3... across everyone sharing the tally. */
  nextNumber(): number {
    return Atomics.add(this.#cells, NUMBER, 1) + 1;
  }

  /** Counts one more connection open, unless `max` are open already: then false. */
  tryOpen(max: number): boolean {
    if (Atomics.add(this.#cells, OPEN, 1) < max) return true;
    Atomics.sub(this.#cells, OPEN, 1);
    return false;
  }

  /** Counts one connection closed. */
  closed(): void {
    Atomics.sub(this.#cells, OPEN, 1);
  }

  /** The buffer the tally lives in, to hand to the others that share it. */
  get buffer(): ArrayBufferLike {
    return this.#cells.buffer;
  }

  /** Connections open now, everyone's together. */
  get open(): number {
    return Atomics.load(this.#cells, OPEN);
  }
}
