/**
 * The loop's records: a registration per key (its stream, buffers and
 * pending-operation flags), the two reusable event slots each key owns, and
 * the batch that hands events out without allocating. Only `loop.ts` makes them.
 *
 * @module
 */
import type { BufferPool } from "./buffer_pool.ts";
import { ByteQueue } from "./byte_queue.ts";
import type { Acceptor, Event, EventType, Interest, Key, Stream } from "./loop_types.ts";

/** The buffer of a key with none. */
export const EMPTY = new Uint8Array(0);
// Reads smaller than this are copied: cheap, and it packs small pieces into one chunk.
const FORWARD_MIN = 8192;
/** A callback that does nothing, until the loop binds the real one. */
export const noop = (): void => {};

/** The loop's own view of a key: the public fields plus the pending-operation flags. */
export class Registration<T> implements Key<T> {
  #output: ByteQueue | null = null;
  input: Uint8Array = EMPTY;
  readSize: number;
  // Stryker disable next-line UnaryOperator: a first read is the smallest either way
  lastRead = -1;
  readonly readEvent: Slot<T>;
  writeEvent: Slot<T> | null = null;
  closed = false;
  eof = false;
  reading = false;
  writing = false;
  dirty = false;
  pendingSize = 0;
  bytesRead = 0;
  bytesWritten = 0;
  onRead: (n: number | null) => void = noop;
  onReadError: (error: unknown) => void = noop;
  onWrite: (n: number) => void = noop;
  onWriteError: (error: unknown) => void = noop;
  onAccept: (stream: Stream) => void = noop;
  #outputEnded = false;

  constructor(
    readonly data: T,
    public interest: Interest,
    public stream: Stream | null,
    readonly acceptor: Acceptor | null,
    readonly pool: BufferPool,
  ) {
    this.readSize = pool.minSize;
    this.readEvent = new Slot(this);
  }

  // Made on first use: a listener, or a connection that never sends, needs none.
  get output(): ByteQueue {
    return this.#output ??= new ByteQueue(this.pool);
  }

  /** Bytes owed, without making a queue to ask. */
  get owed(): number {
    return this.#output === null ? 0 : this.#output.length;
  }

  get outputMemory(): number {
    return this.#output === null ? 0 : this.#output.capacity;
  }

  forwardInput(n: number, to: ByteQueue = this.output): void {
    const buf = this.input;
    if (n >= FORWARD_MIN && n * 2 >= buf.length) {
      to.pushOwned(buf, 0, n);
      this.input = EMPTY;
    } else {
      to.push(buf, 0, n);
    }
  }

  endOutput(): void {
    this.#outputEnded = true;
    this.shutdownWhenWritten();
  }

  shutdownWhenWritten(): void {
    if (!this.#outputEnded || this.writing || this.owed > 0) return;
    // Stryker disable next-line BooleanLiteral: nothing is written after the FIN, so no later write asks again
    this.#outputEnded = false; // once
    // A peer that already reset makes this fail; its read or write reports that.
    this.stream?.closeWrite?.().catch(noop);
  }
}

/** A reusable event record: each key owns one for its read side and one for its write side. */
export class Slot<T> implements Event<T> {
  // Stryker disable next-line StringLiteral: set before each use
  type: EventType = "read";
  n = 0;
  size = 0;
  stream: Stream | null = null;
  error: unknown = null;
  queued = false;
  constructor(readonly key: Registration<T>) {}
}

/** Iterates a batch without allocating, skipping keys closed meanwhile. */
export class Batch<T> implements IterableIterator<Event<T>> {
  // Stryker disable next-line ArrayDeclaration: replaced before its first use
  #events: Slot<T>[] = [];
  #i = 0;
  // Stryker disable next-line ObjectLiteral: iteration reads a missing done as false
  readonly #result = { done: false, value: null as unknown as Event<T> };

  /** Connections accepted but skipped because their listener closed meanwhile (closed here). */
  abandoned = 0;

  reset(events: Slot<T>[]): this {
    this.#events = events;
    this.#i = 0;
    return this;
  }

  next(): IteratorResult<Event<T>> {
    const events = this.#events;
    while (this.#i < events.length) {
      const ev = events[this.#i++];
      if (!ev.key.closed) {
        this.#result.value = ev;
        return this.#result as IteratorResult<Event<T>>;
      }
      // A connection accepted before its listener closed has nobody to serve it.
      if (ev.type === "accept") {
        ev.stream!.close();
        this.abandoned++;
      }
    }
    return DONE;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

const DONE: IteratorResult<never> = { done: true, value: undefined };
