/**
 * Reusable byte buffers in power-of-two sizes.
 *
 * Every read needs a buffer of its own while it is pending, and every queued
 * reply a chunk; allocating each one would make V8 zero and later collect
 * megabytes per second. The pool hands out released buffers again and keeps
 * at most `maxFreeBytes` of them idle, so a burst does not pin memory.
 *
 * @example
 * ```ts
 * import { BufferPool } from "./buffer_pool.ts";
 * const pool = new BufferPool();
 * const buf = pool.take(1000); // 1024 bytes
 * pool.give(buf);
 * console.log(pool.take(600) === buf); // true: same size class, reused
 * ```
 */
export class BufferPool {
  /** Smallest buffer handed out. */
  readonly minSize: number;
  /** Largest buffer handed out; larger requests get this size. */
  readonly maxSize: number;
  readonly #maxFree: number;
  // Stryker disable next-line ArrayDeclaration: filled for every size before any use
  readonly #free: Uint8Array[][] = [];
  #freeBytes = 0;

  /** A pool of buffers from `minSize` to `maxSize` bytes (powers of two). */
  constructor(options: { minSize?: number; maxSize?: number; maxFreeBytes?: number } = {}) {
    this.minSize = options.minSize ?? 64;
    this.maxSize = options.maxSize ?? 1 << 20;
    this.#maxFree = options.maxFreeBytes ?? 32 << 20;
    for (let size = 1; size <= this.maxSize; size *= 2) this.#free.push([]);
  }

  /** Bytes held idle, ready to be handed out again. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  // The size `take(size)` hands out.
  #sizeFor(size: number): number {
    // Stryker disable next-line EqualityOperator: at exactly maxSize the doubling below ends there too
    if (size >= this.maxSize) return this.maxSize;
    let s = this.minSize;
    while (s < size) s *= 2;
    return s;
  }

  /** A buffer of at least `size` bytes (at most `maxSize`); its contents are undefined. */
  take(size: number): Uint8Array {
    const s = this.#sizeFor(size);
    const list = this.#free[31 - Math.clz32(s)];
    const buf = list.pop();
    if (buf === undefined) return new Uint8Array(s);
    this.#freeBytes -= s;
    return buf;
  }

  /** Returns a buffer that came from `take()`; others, or one past the idle limit, are dropped. */
  give(buf: Uint8Array): void {
    const s = buf.length;
    if (s < this.minSize || s > this.maxSize || (s & (s - 1)) !== 0) return;
    // A view into something larger (a view the size of its whole buffer starts at 0).
    if (buf.buffer.byteLength !== s) return;
    if (this.#freeBytes + s > this.#maxFree) return;
    this.#free[31 - Math.clz32(s)].push(buf);
    this.#freeBytes += s;
  }
}
