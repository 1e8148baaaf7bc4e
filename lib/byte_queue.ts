/**
 * A first-in first-out queue of bytes in one growable ring buffer.
 *
 * It holds what a connection still owes its peer. Bytes go in with
 * {@linkcode ByteQueue.push} (one copy), come out of the head with
 * {@linkcode ByteQueue.peek} (a view, no copy) and leave with
 * {@linkcode ByteQueue.consume} once a `write()` has taken them.
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
  #buf: Uint8Array = EMPTY;
  #head = 0;
  #length = 0;

  /** Number of bytes queued. */
  get length(): number {
    return this.#length;
  }

  /** Bytes the ring holds without growing. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** Appends `src[start..end)` to the tail, growing the ring when needed. */
  push(src: Uint8Array, start = 0, end: number = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.#length + n > this.#buf.length) this.#grow(this.#length + n);
    const buf = this.#buf;
    // Capacity is a power of two, so `& mask` wraps the tail.
    const tail = (this.#head + this.#length) & (buf.length - 1);
    const first = Math.min(n, buf.length - tail);
    buf.set(start === 0 && first === src.length ? src : src.subarray(start, start + first), tail);
    if (first < n) buf.set(src.subarray(start + first, end), 0);
    this.#length += n;
  }

  /**
   * A view of the queued bytes that are contiguous from the head.
   *
   * The view stays valid while a `write()` holds it, even if the queue grows
   * meanwhile, because growth copies into a new ring and leaves the old one
   * untouched.
   */
  peek(): Uint8Array {
    const end = Math.min(this.#head + this.#length, this.#buf.length);
    return this.#buf.subarray(this.#head, end);
  }

  /** Drops `n` bytes from the head (a write took them). */
  consume(n: number): void {
    if (n > this.#length) throw new RangeError(`consume(${n}) beyond length ${this.#length}`);
    this.#length -= n;
    // An empty queue restarts at 0 so the next peek() is one contiguous view.
    this.#head = this.#length === 0 ? 0 : (this.#head + n) & (this.#buf.length - 1);
  }

  /** Forgets every byte and returns the ring's memory. */
  clear(): void {
    this.#buf = EMPTY;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(need: number): void {
    let cap = Math.max(MIN_CAPACITY, this.#buf.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    const old = this.#buf;
    const first = Math.min(this.#length, old.length - this.#head);
    next.set(old.subarray(this.#head, this.#head + first), 0);
    if (first < this.#length) next.set(old.subarray(0, this.#length - first), first);
    this.#buf = next;
    this.#head = 0;
  }
}

const EMPTY = new Uint8Array(0);
const MIN_CAPACITY = 1024;
