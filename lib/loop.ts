/**
 * The readiness loop: a selector built from promises.
 *
 * Deno gives a promise per `accept()`, `read()` and `write()`. The loop keeps
 * at most one of each pending per registered stream, and when one settles it
 * becomes an {@linkcode Event} in a ready queue. {@linkcode Loop.select} waits
 * until the queue is not empty and hands the whole batch over; the caller
 * dispatches each event to the state machine in {@linkcode Key.data}. The cost
 * of an event is O(1) in the number of connections: nothing ever races or
 * scans the idle ones.
 *
 * The contract is `selectors`' in miniature: `register` / `modify` /
 * `unregister` / `select`, an {@linkcode Interest} per key, and the caller's
 * data carried on the key.
 *
 * @example An echo server in one loop
 * ```ts
 * import { listen } from "./transports.ts";
 * import { Interest, Loop } from "./loop.ts";
 * const listeners = await listen({ transport: "tcp", host: "127.0.0.1", port: 0 });
 * if ("reason" in listeners) throw new Error(listeners.reason);
 * const loop = new Loop<null>();
 * loop.listen(listeners[0], null);
 * while (loop.size > 0) {
 *   for (const ev of await loop.select()) {
 *     if (ev.type === "accept") loop.register(ev.stream!, Interest.READ, null);
 *     else if (ev.type === "read") {
 *       ev.key.output.push(ev.key.input, 0, ev.n);
 *       loop.modify(ev.key, Interest.READ_WRITE);
 *     } else if (ev.type === "eof" || ev.type === "error") loop.unregister(ev.key);
 *   }
 * }
 * ```
 *
 * @module
 */
import { BufferPool } from "./buffer_pool.ts";
import { type Acceptor, type Event, Interest, type Key, type Stream } from "./loop_types.ts";
import { Batch, EMPTY, Registration, Slot } from "./registration.ts";

export {
  type Acceptor,
  type Event,
  type EventType,
  Interest,
  type Key,
  type Stream,
} from "./loop_types.ts";
/**
 * A selector over promise-based streams.
 *
 * Rules a state machine can rely on:
 * - Reads and writes are only issued by `select()`, after the key's previous
 *   events were handled, so `key.input` is never overwritten under a handler
 *   and each event record is reused only once its handler is done. (A
 *   listener's next accept is issued at once; each accept event is new.)
 * - An event is valid until the next `select()`, which reuses it.
 * - A read already pending when READ is dropped still completes and its event
 *   is delivered: promises cannot be withdrawn, only closed.
 * - After `eof` the loop never reads that stream again.
 * - A reset or broken pipe is an `error` event for that key alone.
 * - `unregister` closes the stream, which settles whatever was pending; those
 *   settlements are swallowed.
 */
export class Loop<T> {
  readonly #pool: BufferPool;
  #ready: Slot<T>[] = [];
  // Stryker disable next-line ArrayDeclaration: emptied before its first use
  #spare: Slot<T>[] = [];
  #dirty: Registration<T>[] = [];
  #wake: (() => void) | null = null;
  #woken = false;
  #size = 0;
  readonly #batch = new Batch<T>();
  /**
   * The largest buffer a new read gets (at least the pool's smallest): a
   * server bounding the bytes it holds in all lowers it as connections grow,
   * so no one read takes much of the budget. Reads already pending keep theirs.
   */
  readLimit = Infinity;

  /**
   * `pool` supplies read buffers and output chunks; its sizes bound a read:
   * each key starts at the smallest and grows while reads fill their buffer.
   */
  constructor(options: { pool?: BufferPool } = {}) {
    this.#pool = options.pool ?? new BufferPool();
  }

  /** Number of keys registered and not yet unregistered. */
  get size(): number {
    return this.#size;
  }

  /** Registers a listener; while its interest holds READ, one accept stays pending. */
  listen(acceptor: Acceptor, data: T): Key<T> {
    const reg = this.#add(null, acceptor, Interest.READ, data);
    this.#bindAcceptor(reg);
    return reg;
  }

  /** Registers a connected stream with an interest. */
  register(stream: Stream, interest: Interest, data: T): Key<T> {
    const reg = this.#add(stream, null, interest, data);
    this.#bindStream(reg);
    return reg;
  }

  /** Registers a stream still being dialed; a `connect` or `error` event follows. */
  connect(dialing: Promise<Stream>, interest: Interest, data: T): Key<T> {
    const reg = this.#add(null, null, interest, data);
    this.#bindStream(reg);
    dialing.then((stream) => {
      if (reg.closed) {
        stream.close();
        return;
      }
      reg.stream = stream;
      reg.readEvent.type = "connect";
      this.#emit(reg.readEvent);
    }, reg.onReadError);
    return reg;
  }

  /** Sets what the key wants; call it too after queueing output. */
  modify(key: Key<T>, interest: Interest): void {
    const reg = key as Registration<T>;
    reg.interest = interest;
    this.#markDirty(reg);
  }

  /** Closes the key's stream or listener and cancels what it had pending. */
  unregister(key: Key<T>): void {
    const reg = key as Registration<T>;
    if (reg.closed) return;
    reg.closed = true;
    this.#size--;
    try {
      (reg.stream ?? reg.acceptor)?.close();
    } catch (e) {
      // Already closed by the other side of the program: nothing to free.
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
    // A write or read still pending may touch its buffer: those are not reused.
    if (reg.writing) reg.output.discard();
    // Stryker disable next-line ConditionalExpression,EqualityOperator: clearing an empty queue changes nothing; this saves making one
    if (reg.owed > 0) reg.output.clear();
    if (!reg.reading) this.#pool.give(reg.input);
    reg.input = EMPTY;
  }

  /**
   * Connections a listener accepted that were skipped because it was
   * unregistered before their events were handed out (a stop): each was closed.
   */
  get abandonedAccepts(): number {
    return this.#batch.abandoned;
  }

  /** Makes a pending or the next `select()` return, even with no event. */
  wakeup(): void {
    this.#woken = true;
    this.#resume();
  }

  /**
   * Issues the reads and writes that keys now want, waits for at least one
   * event, a wakeup or `timeout` milliseconds, and returns the batch (empty
   * after a timeout). Events of keys unregistered while the batch is handled
   * are skipped.
   */
  async select(timeout = Infinity): Promise<Iterable<Event<T>>> {
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i++) this.#arm(dirty[i]);
    dirty.length = 0;
    if (this.#ready.length === 0 && !this.#woken && timeout > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        // A longer wait would fire at once (and spin): past it, select() just returns early.
        // Stryker disable next-line ConditionalExpression: an endless wait armed as the longest timer is cleared all the same
        if (timeout !== Infinity) {
          timer = setTimeout(() => this.wakeup(), Math.min(timeout, MAX_WAIT_MS));
        }
      });
      clearTimeout(timer);
    }
    this.#woken = false;
    const batch = this.#ready;
    this.#ready = this.#spare;
    this.#spare = batch;
    this.#ready.length = 0;
    for (let i = 0; i < batch.length; i++) {
      batch[i].queued = false;
      // Its next operation is issued by the select() after this batch is handled.
      this.#markDirty(batch[i].key);
    }
    return this.#batch.reset(batch);
  }

  #add(
    stream: Stream | null,
    acceptor: Acceptor | null,
    interest: Interest,
    data: T,
  ): Registration<T> {
    const reg = new Registration<T>(data, interest, stream, acceptor, this.#pool);
    this.#size++;
    this.#markDirty(reg);
    return reg;
  }

  // A listener's callbacks, made once, so an accept allocates no closure.
  #bindAcceptor(reg: Registration<T>): void {
    reg.onAccept = (stream) => {
      reg.reading = false;
      if (reg.closed) {
        stream.close();
        return;
      }
      // Accept again at once, so a burst of connects is not paced by batches.
      this.#arm(reg);
      const ev = new Slot<T>(reg);
      ev.type = "accept";
      ev.stream = stream;
      this.#emit(ev);
    };
    reg.onReadError = this.#failed(reg, reg.readEvent, false);
  }

  // A stream's read callbacks, made once, so a read allocates no closure.
  #bindStream(reg: Registration<T>): void {
    const rev = reg.readEvent;
    reg.onRead = (n) => {
      reg.reading = false;
      if (reg.closed) return;
      if (n === null) {
        reg.eof = true;
        rev.type = "eof";
        rev.n = 0;
      } else {
        reg.bytesRead += n;
        reg.lastRead = n;
        rev.type = "read";
        rev.n = n;
        rev.size = reg.input.length;
      }
      this.#emit(rev);
    };
    reg.onReadError = this.#failed(reg, rev, false);
  }

  // Its write callbacks, made at its first write: an idle connection never needs them.
  #bindWrites(reg: Registration<T>): void {
    const wev = reg.writeEvent = new Slot(reg);
    reg.onWrite = (n) => {
      reg.writing = false;
      if (reg.closed) return;
      reg.output.consume(n);
      reg.bytesWritten += n;
      reg.shutdownWhenWritten();
      wev.type = "write";
      wev.n = n;
      wev.size = reg.pendingSize;
      this.#emit(wev);
    };
    reg.onWriteError = this.#failed(reg, wev, true);
  }

  #failed(reg: Registration<T>, ev: Slot<T>, write: boolean): (error: unknown) => void {
    return (error) => {
      if (write) reg.writing = false;
      else reg.reading = false;
      if (reg.closed) return;
      ev.type = "error";
      ev.error = error;
      this.#emit(ev);
    };
  }

  #emit(ev: Slot<T>): void {
    ev.queued = true;
    this.#ready.push(ev);
    this.#resume();
  }

  #resume(): void {
    const wake = this.#wake;
    if (wake !== null) {
      this.#wake = null;
      wake();
    }
  }

  #markDirty(reg: Registration<T>): void {
    // Stryker disable next-line all: a key listed twice is armed twice, and the second finds its operations pending
    if (reg.dirty) return;
    // Stryker disable next-line BooleanLiteral: as above
    reg.dirty = true;
    this.#dirty.push(reg);
  }

  #arm(reg: Registration<T>): void {
    reg.dirty = false;
    // Stryker disable next-line all: saves work only: a closed key's operations fail at once and are swallowed; a busy one's are skipped below
    if (reg.closed || reg.reading && reg.writing) return;
    const wantsRead = (reg.interest & Interest.READ) !== 0 && !reg.reading;
    if (reg.acceptor !== null) {
      if (wantsRead) {
        reg.reading = true;
        reg.acceptor.accept().then(reg.onAccept, reg.onReadError);
      }
      return;
    }
    const stream = reg.stream;
    if (stream === null) return; // still dialing
    // A read event not yet handed out still owns `input`: the next read must wait for it.
    if (wantsRead && !reg.eof && !reg.readEvent.queued) {
      reg.reading = true;
      stream.read(this.#readBuffer(reg)).then(reg.onRead, reg.onReadError);
    }
    if ((reg.interest & Interest.WRITE) !== 0 && !reg.writing && reg.owed > 0) {
      this.#write(reg);
    }
  }

  #readBuffer(reg: Registration<T>): Uint8Array {
    // A stream of messages (datagrams) names its own size: each read must take one whole.
    const size = reg.stream!.readSize ?? this.#nextSize(reg);
    // Stryker disable next-line ConditionalExpression: the pool hands the same buffer straight back
    if (reg.input.length !== size) {
      this.#pool.give(reg.input);
      reg.input = this.#pool.take(size);
    }
    return reg.input;
  }

  // Sizes the next read from the last one: four times larger when it filled
  // its buffer (bulk ramps up in a few reads), half when it used under a
  // quarter (an idle connection's pending read holds little), else the same.
  #nextSize(reg: Registration<T>): number {
    const pool = this.#pool, last = reg.lastRead;
    let size = reg.readSize;
    if (last >= size) {
      size = Math.min(pool.maxSize, size * 4);
    } else if (last * 4 < size) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: with no read since (-1: the first, or one that failed) halving only skips a step down
      if (last >= 0) size = Math.max(pool.minSize, size / 2);
    }
    // Stryker disable next-line EqualityOperator: a size equal to the limit stays the same either way
    if (size > this.readLimit) size = Math.max(pool.minSize, this.readLimit);
    reg.readSize = size;
    // Stryker disable next-line UnaryOperator: only a failed read leaves it unset, and then the size barely matters
    reg.lastRead = -1;
    return size;
  }

  #write(reg: Registration<T>): void {
    // Stryker disable next-line ConditionalExpression: binding again at each write costs allocations only
    if (reg.writeEvent === null) this.#bindWrites(reg);
    const view = reg.output.peek();
    reg.writing = true;
    reg.pendingSize = view.length;
    reg.stream!.write(view).then(reg.onWrite, reg.onWriteError);
  }
}

// The longest wait `setTimeout` keeps (2^31-1 ms, about 24.8 days).
const MAX_WAIT_MS = 2 ** 31 - 1;
