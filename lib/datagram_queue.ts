/**
 * Datagrams waiting to leave one UDP socket of the loop. The loop writes a
 * key's output as a byte stream, which would run datagrams together, so
 * only one datagram at a time is in the output; the rest wait here, each
 * with its destination, up to a limit past which they are dropped (as a
 * full socket buffer drops them) and counted.
 *
 * @module
 */
import type { DatagramStream } from "./datagram.ts";
import type { Key } from "./loop_types.ts";

/** Datagrams that may wait, by default. */
export const QUEUE_LIMIT = 1024;

/**
 * The send queue of one datagram socket.
 *
 * @example
 * ```ts
 * import { DatagramQueue } from "./datagram_queue.ts";
 * import { Interest, type Key, type Loop } from "./loop.ts";
 * declare const key: Key<unknown>; // a DatagramStream's, with WRITE interest
 * declare const loop: Loop<unknown>;
 * const queue = new DatagramQueue(key, () => loop.modify(key, Interest.READ_WRITE));
 * queue.send(new Uint8Array([1]), 1, { transport: "udp", hostname: "127.0.0.1", port: 7 });
 * // ...and after each write event of the key:
 * queue.written();
 * ```
 */
export class DatagramQueue {
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  readonly #waiting: { bytes: Uint8Array; to: Deno.NetAddr }[] = [];

  /**
   * The queue of `key`'s socket, holding at most `limit` datagrams;
   * `armed` is told each time a datagram is put in the output (the loop
   * must be asked to write it: `loop.modify`).
   */
  constructor(
    readonly key: Key<unknown>,
    readonly armed: () => void = () => {},
    readonly limit = QUEUE_LIMIT,
  ) {}

  /** Datagrams waiting (the one in the output not counted). */
  get length(): number {
    return this.#waiting.length;
  }

  /**
   * Sends the first `length` bytes of `bytes` (a read buffer, as it is: no
   * view is made of it) to `to` now if the socket is free, else queues a
   * copy; false if dropped.
   */
  send(bytes: Uint8Array, length: number, to: Deno.NetAddr): boolean {
    // Stryker disable next-line ConditionalExpression: with nothing owed, nothing waits (each write puts the next), but after an empty datagram, which callers never send
    if (this.key.owed === 0 && this.#waiting.length === 0) {
      this.#put(bytes, length, to);
      return true;
    }
    if (this.#waiting.length >= this.limit) {
      this.dropped++;
      return false;
    }
    // The caller's buffer is its own again once this returns (a read buffer, reused).
    this.#waiting.push({ bytes: bytes.slice(0, length), to });
    return true;
  }

  /** The datagram in the output went out: the next one takes its place. */
  written(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) this.#put(next.bytes, next.bytes.length, next.to);
  }

  #put(bytes: Uint8Array, length: number, to: Deno.NetAddr): void {
    (this.key.stream as DatagramStream).to = to;
    this.key.output.push(bytes, 0, length);
    this.armed();
  }
}
