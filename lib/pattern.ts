import type { ByteQueue } from "./byte_queue.ts";

/**
 * An endless pseudo-random byte stream that a receiver can check without
 * keeping a copy of what was sent.
 *
 * Byte `i` of stream `seed` is a fixed table's byte at `(i + seed * 7919)`
 * modulo a prime period, so each connection gets its own stream, generating
 * is a view into the table (no copy at all) and checking compares four bytes
 * at a time against it.
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
    TABLES ??= makeTables();
  }

  /** Appends bytes `[offset, offset + length)` of the stream to `out`, as views of the table. */
  pushTo(out: ByteQueue, offset: number, length: number): void {
    const table = TABLES![0];
    while (length > 0) {
      const at = (offset + this.#shift) % PERIOD;
      const n = Math.min(length, SPAN);
      // The table never changes, so the queue can hold views of it.
      out.pushView(table.subarray(at, at + n));
      offset += n;
      length -= n;
    }
  }

  /**
   * Compares `buf[start..end)` with the stream from `offset`: -1 when equal,
   * else the index in `buf` of the first byte that differs.
   */
  mismatch(buf: Uint8Array, start: number, end: number, offset: number): number {
    while (start < end) {
      const at = (offset + this.#shift) % PERIOD;
      const n = Math.min(end - start, SPAN);
      const bad = compare(buf, start, start + n, at);
      if (bad >= 0) return bad;
      start += n;
      offset += n;
    }
    return -1;
  }
}

const PERIOD = 65521; // prime, so streams of different seeds do not line up
const SPAN = 65536; // longest run read out of a table in one go
// TABLES[k][j] is the stream's byte j + k: one of the four is 4-aligned with any buffer.
let TABLES: Uint8Array[] | undefined;

function makeTables(): Uint8Array[] {
  const base = new Uint8Array(PERIOD + SPAN + 4);
  let x = 2463534242;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    base[i] = x & 0xff;
  }
  for (let i = PERIOD; i < base.length; i++) base[i] = base[i - PERIOD];
  return [0, 1, 2, 3].map((k) => base.slice(k, k + PERIOD + SPAN));
}

// Compares buf[start..end) with the stream at table position `at` (end - start <= SPAN).
function compare(buf: Uint8Array, start: number, end: number, at: number): number {
  const tables = TABLES!;
  let i = start, t = at;
  // Bytes one by one until the buffer is 4-aligned; then words against the table
  // copy that is aligned the same way; then the tail one by one.
  while (i < end && (buf.byteOffset + i) % 4 !== 0) {
    if (buf[i] !== tables[0][t]) return i;
    i++;
    t++;
  }
  const words = (end - i) >> 2;
  if (words > 0) {
    const k = t % 4, table = tables[k];
    const mine = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    const theirs = new Uint32Array(table.buffer, table.byteOffset + (t - k), words);
    for (let w = 0; w < words; w++) {
      if (mine[w] !== theirs[w]) {
        for (let j = i + w * 4;; j++) if (buf[j] !== tables[0][t + (j - i)]) return j;
      }
    }
    i += words * 4;
    t += words * 4;
  }
  for (; i < end; i++, t++) if (buf[i] !== tables[0][t]) return i;
  return -1;
}
