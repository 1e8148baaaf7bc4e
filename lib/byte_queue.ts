import { BufferPool } from "./buffer_pool.ts";

/**
 * A first-in first-out queue of bytes, held as a list of chunks.
 *
 * It holds what a connection still owes its peer. Bytes go in three ways:
 * {@linkcode ByteQueue.push} copies them into pooled chunks;
 * {@linkcode ByteQueue.pushOwned} takes a pooled buffer as it is (an echo
 * hands over the buffer it just read into, so nothing is copied);
 * {@linkcode ByteQueue.pushView} queues a view of memory that never changes
 * (generated test data). They come out of the head with
 * {@linkcode ByteQueue.peek} (a view, no copy) and leave with
 * {@linkcode ByteQueue.consume} once a `write()` has taken them; pooled
 * chunks then go back to the pool, so an idle connection holds nothing.
 *
 * @example Queue, write part, keep the rest
 * ```ts
 * import { ByteQueue } from "./byte_queue.ts";
 * const q = new ByteQueue();
 * q.push(new TextEncoder().encode("hello"));
 * const head = q.peek(); // a view of "hello"
 * q.consume(2); // a write() took "he"
 * console.log(q.length); // 3
 * ```
 */
export class ByteQueue {
  readonly #pool: BufferPool;
  #chunks: Chunk[] = [];
  #head = 0; // index of the first chunk still holding bytes
  #length = 0;
  #capacity = 0;

  /** A queue whose chunks come from, and return to, `pool`. */
  constructor(pool: BufferPool = SHARED_POOL) {
    this.#pool = pool;
  }

  /** Number of bytes queued. */
  get length(): number {
    return this.#length;
  }

  /** Memory its chunks take, whole (a chunk half written still holds all of its buffer). */
  get capacity(): number {
    return this.#capacity;
  }

  /** Appends a copy of `src[start..end)`, filling the last chunk's spare room first. */
  push(src: Uint8Array, start = 0, end: number = src.length): void {
    while (start < end) {
      let tail = this.#chunks.length > this.#head ? this.#chunks[this.#chunks.length - 1] : null;
      if (tail === null || !tail.pooled || tail.end === tail.buf.length) {
        tail = this.#append(this.#pool.take(Math.max(MIN_CHUNK, end - start)), 0, 0, true);
      }
      const n = Math.min(end - start, tail.buf.length - tail.end);
      tail.buf.set(
        // Stryker disable next-line all: saves a subarray only; the same bytes are copied either way
        start === 0 && n === src.length ? src : src.subarray(start, start + n),
        tail.end,
      );
      tail.end += n;
      start += n;
      this.#length += n;
    }
  }

  /** Appends `buf[start..end)` without copying; `buf` must come from this queue's pool and is now the queue's. */
  pushOwned(buf: Uint8Array, start: number, end: number): void {
    if (end <= start) {
      this.#pool.give(buf);
      return;
    }
    this.#append(buf, start, end, true);
    this.#length += end - start;
  }

  /** Appends `view` without copying; its memory must not change until the bytes are consumed. */
  pushView(view: Uint8Array): void {
    if (view.length === 0) return;
    this.#append(view, 0, view.length, false);
    this.#length += view.length;
  }

  /**
   * A view of the first chunk's bytes. It stays valid while a `write()`
   * holds it, whatever is pushed meanwhile: pushes only ever write past it.
   */
  peek(): Uint8Array {
    if (this.#length === 0) return EMPTY;
    const c = this.#chunks[this.#head];
    return c.buf.subarray(c.start, c.end);
  }

  /** Drops `n` bytes from the head (a write took them), returning emptied chunks to the pool. */
  consume(n: number): void {
    if (n > this.#length) throw new RangeError(`consume(${n}) beyond length ${this.#length}`);
    this.#length -= n;
    while (n > 0) {
      const c = this.#chunks[this.#head];
      const take = Math.min(n, c.end - c.start);
      c.start += take;
      n -= take;
      if (c.start === c.end) this.#release(c);
    }
    // Stryker disable next-line all: memory only (the array of spent chunks is reset); same bytes
    if (this.#head === this.#chunks.length) {
      // Stryker disable next-line all: as above
      this.#chunks.length = 0;
      this.#head = 0;
    }
  }

  /**
   * Moves the first `n` bytes to `to`, in order: whole chunks change queues
   * without a copy, and only a chunk split at the `n`th byte is copied in part.
   * Both queues must share a pool.
   */
  transfer(to: ByteQueue, n: number): void {
    if (n > this.#length) throw new RangeError(`transfer(${n}) beyond length ${this.#length}`);
    while (n > 0) {
      const c = this.#chunks[this.#head];
      const size = c.end - c.start;
      if (size <= n) {
        to.#append(c.buf, c.start, c.end, c.pooled);
        to.#length += size;
        this.#length -= size;
        this.#capacity -= c.buf.length;
        this.#head++;
        n -= size;
      } else {
        to.push(c.buf, c.start, c.start + n);
        this.consume(n);
        n = 0;
      }
    }
    // Stryker disable next-line all: memory only, as in consume()
    if (this.#head === this.#chunks.length) {
      // Stryker disable next-line all: as above
      this.#chunks.length = 0;
      this.#head = 0;
    }
  }

  /** Takes every byte out as one new array; the queue ends empty, its chunks back in the pool. */
  takeAll(): Uint8Array {
    const whole = new Uint8Array(this.#length);
    for (let at = 0; this.#length > 0;) {
      const view = this.peek();
      whole.set(view, at);
      at += view.length;
      this.consume(view.length);
    }
    return whole;
  }

  /** Empties the queue, returning its chunks to the pool. */
  clear(): void {
    while (this.#head < this.#chunks.length) this.#release(this.#chunks[this.#head]);
    this.#chunks.length = 0;
    this.#head = 0;
    this.#length = 0;
  }

  /** Empties the queue without reusing its chunks: a cancelled write may still hold one. */
  discard(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
    this.#capacity = 0;
  }

  #append(buf: Uint8Array, start: number, end: number, pooled: boolean): Chunk {
    // Compact now and then, so a long-lived queue's array does not grow without bound.
    // Stryker disable all: memory only (when spent chunks are dropped); the bytes are the same
    if (this.#head > 32 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    // Stryker restore all
    const chunk = { buf, start, end, pooled };
    this.#chunks.push(chunk);
    this.#capacity += buf.length;
    return chunk;
  }

  #release(c: Chunk): void {
    if (c.pooled) this.#pool.give(c.buf);
    this.#capacity -= c.buf.length;
    this.#head++;
  }
}

interface Chunk {
  readonly buf: Uint8Array;
  start: number;
  end: number;
  /** Came from the pool and goes back to it; else borrowed memory. */
  readonly pooled: boolean;
}

const EMPTY = new Uint8Array(0);
const MIN_CHUNK = 4096;
const SHARED_POOL = new BufferPool();
