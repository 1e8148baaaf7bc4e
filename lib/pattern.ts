import type { ByteQueue } from "./byte_queue.ts";

/**
 * An endless pseudo-random byte stream that a receiver can check without
 * keeping a copy of what was sent.
 *
 * Byte `i` of stream `seed` is a fixed table's byte at `(i + seed * 7919)`
 * modulo a prime period, so each connection gets its own stream, generating
 * is a copy out of the table and checking is a compare against it.
 *
 * @example
 * ```ts
 * import { ByteQueue } from "./byte_queue.ts";
 * import { Pattern } from "./pattern.ts";
 * const stream = new Pattern(3);
 * const q = new ByteQueue();
 * stream.pushTo(q, 0, 100);
 * console.log(stream.mismatch(q.peek(), 0, 100, 0)); // -1: all 100 bytes match
 * ```
 */
export class Pattern {
  readonly #shift: number;

  /** A stream chosen by `seed`, e.g. the connection's index. */
  constructor(seed: number) {
    this.#shift = (seed * 7919) % PERIOD;
    TABLE ??= makeTable();
  }

  /** Appends bytes `[offset, offset + length)` of the stream to `out`. */
  pushTo(out: ByteQueue, offset: number, length: number): void {
    while (length > 0) {
      const at = (offset + this.#shift) % PERIOD;
      const n = Math.min(length, SPAN);
      out.push(TABLE!, at, at + n);
      offset += n;
      length -= n;
    }
  }

  /**
   * Compares `buf[start..end)` with the stream from `offset`: -1 when equal,
   * else the index in `buf` of the first byte that differs.
   */
  mismatch(buf: Uint8Array, start: number, end: number, offset: number): number {
    const table = TABLE!;
    while (start < end) {
      const at = (offset + this.#shift) % PERIOD;
      const n = Math.min(end - start, SPAN);
      // The table repeats its head past PERIOD, so no wrap check in the loop.
      for (let i = 0; i < n; i++) {
        if (buf[start + i] !== table[at + i]) return start + i;
      }
      start += n;
      offset += n;
    }
    return -1;
  }
}

const PERIOD = 65521; // prime, so streams of different seeds do not line up
const SPAN = 65536; // longest run read out of the table in one go
// Built on first use, so a server that never generates pays nothing for it.
let TABLE: Uint8Array | undefined;

function makeTable(): Uint8Array {
  const table = new Uint8Array(PERIOD + SPAN);
  let x = 2463534242;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x & 0xff;
  }
  for (let i = PERIOD; i < table.length; i++) table[i] = table[i - PERIOD];
  return table;
}
