/**
 * What the readiness loop deals in: the streams and listeners it drives,
 * the interest a key declares, the key itself and the events it hands out.
 * `loop.ts` re-exports all of it.
 *
 * @module
 */
import type { ByteQueue } from "./byte_queue.ts";

/** The byte stream the loop drives: what it needs of a `Deno.Conn`. */
export interface Stream {
  /** Reads into `buf`; resolves to the count, or `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes some prefix of `buf`; resolves to how much was taken. */
  write(buf: Uint8Array): Promise<number>;
  /** Frees the stream; settles whatever it had pending. */
  close(): void;
  /** Sends FIN: the peer reads end of stream once it has read what was written. */
  closeWrite?(): Promise<void>;
  /**
   * Every read gets a buffer of this size, not one sized by the reads
   * before: a stream of messages (datagrams) must read each whole.
   */
  readonly readSize?: number;
}

/** The listener the loop drives: what it needs of a `Deno.Listener`. */
export interface Acceptor {
  /** Resolves to the next incoming stream. */
  accept(): Promise<Stream>;
  /** Stops listening; settles the pending accept. */
  close(): void;
}

/** What a key asks the loop to do for it, like mio's `Interest`. */
export const Interest = { NONE: 0, READ: 1, WRITE: 2, READ_WRITE: 3 } as const;
/** One of {@linkcode Interest}'s values: a bit set of READ and WRITE. */
export type Interest = typeof Interest[keyof typeof Interest];

/** Which pending operation settled, and how. */
export type EventType = "accept" | "connect" | "read" | "eof" | "write" | "error";

/** One settled operation, handed out by {@linkcode Loop.select}. */
export interface Event<T> {
  /** What happened. */
  readonly type: EventType;
  /** Whose operation it was. */
  readonly key: Key<T>;
  /** `read`: bytes now in `key.input[0..n)`. `write`: bytes that left `key.output`. */
  readonly n: number;
  /** `read`: the buffer's size. `write`: the bytes offered, so `n < size` was a partial write. */
  readonly size: number;
  /** `accept`: the new stream, not yet registered. */
  readonly stream: Stream | null;
  /** `error`: the cause (a reset, a broken pipe, a refused connect...). */
  readonly error: unknown;
}

/** A registration: the stream, what it wants, and the caller's data. */
export interface Key<T> {
  /** The caller's data: in sockdemo, the connection's state machine. */
  readonly data: T;
  /** The current interest; change it with {@linkcode Loop.modify}. */
  readonly interest: Interest;
  /** The stream; `null` for a listener and while a connect is pending. */
  readonly stream: Stream | null;
  /** The buffer the last read filled; valid until the next `select()`. */
  readonly input: Uint8Array;
  /** Bytes owed to the peer; the loop writes from its head while WRITE is set. */
  readonly output: ByteQueue;
  /** Bytes owed (`output.length`), without making a queue for a key that has none. */
  readonly owed: number;
  /** Memory `output` takes (its capacity), without making a queue for a key that has none. */
  readonly outputMemory: number;
  /** True once unregistered; a closed key's pending events are dropped. */
  readonly closed: boolean;
  /** Bytes read from the stream so far. */
  readonly bytesRead: number;
  /** Bytes written to the stream so far. */
  readonly bytesWritten: number;
  /**
   * Queues the `n` bytes of the last read as output: this key's own (an
   * echo), or `to`, another key's of the same loop (a pipe, a proxy). A
   * well-filled read buffer is handed over whole instead of copied (the
   * next read gets a fresh one), so bulk data moves without a copy.
   */
  forwardInput(n: number, to?: ByteQueue): void;
  /**
   * Declares that nothing will be queued after what `output` holds: once it
   * is written, the loop half-closes the stream (FIN), so the peer reads all
   * of it and then end of stream, while this side can still read.
   */
  endOutput(): void;
}
