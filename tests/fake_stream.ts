/**
 * Fake streams for driving the loop and the state machines without sockets:
 * reads return 1..k bytes and writes take 1..k bytes, chosen at random, and
 * each settles after a random mix of microtask and timer delays, so events
 * interleave the way a busy network makes them.
 */
import type { Acceptor, Stream } from "../lib/loop.ts";

export { random } from "../lib/random.ts";

/** Bytes `0..n` of a simple checkable sequence distinct per `seed`. */
export function bytes(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

/** Concatenates byte arrays (tests only: the code under test never does this). */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** How a fake stream misbehaves. */
export interface Chaos {
  /** Random source. */
  readonly rand: () => number;
  /** Largest read result. */
  readonly maxRead: number;
  /** Largest write acceptance. */
  readonly maxWrite: number;
}

/** Settles after a microtask or a timer, at random. */
function later<T>(rand: () => number, value: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const run = () => {
      try {
        resolve(value());
      } catch (e) {
        reject(e);
      }
    };
    // Mostly microtasks (fast), sometimes a timer, so settlements land in different batches.
    if (rand() < 0.8) queueMicrotask(run);
    else setTimeout(run, 0);
  });
}

function pick(rand: () => number, max: number, limit: number): number {
  return Math.min(limit, 1 + Math.floor(rand() * max));
}

/**
 * A client as a server sees it: sends `script` in random pieces, then ends
 * (FIN) or stays open; keeps everything the server writes in `received`.
 * `holdWrites` makes it a peer that never reads: writes stay pending.
 * `readDelayMs` spaces its pieces out in time, like a slow typist.
 */
export class ScriptedPeer implements Stream {
  /** Bytes the server wrote to this peer, in order. */
  readonly received: Uint8Array[] = [];
  /** How many bytes of the script the server has read. */
  taken = 0;
  /** True once the server closed this stream. */
  closed = false;
  /** When the server closed it (a `performance.now()` time), or NaN. */
  closedAt = NaN;
  /** The largest buffer the server read into. */
  biggestRead = 0;
  #pending: Array<(e: Error) => void> = [];
  #hungUp = false;
  #waitingRead: ((n: number | null) => void) | null = null;

  constructor(
    readonly script: Uint8Array,
    readonly chaos: Chaos,
    readonly options: {
      eof?: boolean;
      holdWrites?: boolean;
      resetAfter?: number;
      readDelayMs?: number;
    } = {},
  ) {}

  /** Half-closes now: a peer that stayed open (`eof: false`) sends its FIN. */
  hangUp(): void {
    this.#hungUp = true;
    const read = this.#waitingRead;
    this.#waitingRead = null;
    read?.(null);
  }

  /** Everything received, as one array. */
  get echoed(): Uint8Array {
    return concat(this.received);
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    this.biggestRead = Math.max(this.biggestRead, buf.length);
    const left = this.script.length - this.taken;
    const reset = this.options.resetAfter;
    if (reset !== undefined && this.taken >= reset) {
      return later(this.chaos.rand, () => {
        throw new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)");
      });
    }
    if (left === 0 && this.options.eof === false && !this.#hungUp) {
      return new Promise((resolve, reject) => {
        this.#waitingRead = resolve;
        this.#pending.push(reject);
      });
    }
    const delay = this.options.readDelayMs;
    if (delay !== undefined && left > 0) {
      return new Promise((r) => setTimeout(r, delay)).then(() => this.#piece(buf, left));
    }
    return later(this.chaos.rand, () => this.#piece(buf, left));
  }

  #piece(buf: Uint8Array, left: number): number | null {
    if (this.closed) throw new Deno.errors.Interrupted("operation canceled");
    if (left === 0) return null;
    const n = pick(this.chaos.rand, this.chaos.maxRead, Math.min(left, buf.length));
    buf.set(this.script.subarray(this.taken, this.taken + n));
    this.taken += n;
    return n;
  }

  write(buf: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    if (this.finished) return Promise.reject(new Deno.errors.BrokenPipe("write after FIN"));
    if (this.options.holdWrites && !this.#reading) {
      return new Promise((resolve, reject) => {
        this.#pending.push(reject);
        this.#held.push(() => this.write(buf).then(resolve, reject));
      });
    }
    const copy = buf.slice(0, pick(this.chaos.rand, this.chaos.maxWrite, buf.length));
    return later(this.chaos.rand, () => {
      if (this.closed) throw new Deno.errors.Interrupted("operation canceled");
      this.received.push(copy);
      return copy.length;
    });
  }

  /** True once the server half-closed (sent FIN). */
  finished = false;

  closeWrite(): Promise<void> {
    this.finished = true;
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) throw new Deno.errors.BadResource("closed twice");
    this.closed = true;
    this.closedAt = performance.now();
    this.#waitingRead = null;
    for (const fail of this.#pending) fail(new Deno.errors.Interrupted("operation canceled"));
    this.#pending = [];
  }

  // Writes held while it did not read, run once it starts.
  #held: (() => void)[] = [];
  #reading = false;

  /** A peer that held its writes starts reading: they go through, and later ones too. */
  startReading(): void {
    this.#reading = true;
    for (const run of this.#held.splice(0)) run();
  }
}

/**
 * A server as a client sees it: answers what is written, in random pieces.
 * By default it echoes; `respond` turns each piece written into the bytes
 * to answer with. `corruptAt` flips the answered byte at that offset;
 * `closeAfter` ends the stream (FIN) once that many bytes were answered.
 */
export class ServerPeer implements Stream {
  /** True once the client closed this stream. */
  closed = false;
  /** True once the client half-closed (FIN): it ends its own stream once all is answered. */
  finished = false;
  /** Bytes the client wrote to it. */
  written = 0;
  #queue: number[] = [];
  #echoed = 0;
  #reader:
    | { buf: Uint8Array; resolve: (n: number | null) => void; reject: (e: Error) => void }
    | null = null;

  constructor(
    readonly chaos: Chaos,
    readonly options: {
      corruptAt?: number;
      closeAfter?: number;
      respond?: (written: Uint8Array) => Uint8Array;
    } = {},
  ) {}

  read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    return new Promise((resolve, reject) => {
      this.#reader = { buf, resolve, reject };
      this.#serve();
    });
  }

  write(buf: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    if (this.finished) return Promise.reject(new Deno.errors.BrokenPipe("write after FIN"));
    const n = pick(this.chaos.rand, this.chaos.maxWrite, buf.length);
    const written = buf.slice(0, n);
    this.written += n;
    return later(this.chaos.rand, () => {
      if (this.closed) throw new Deno.errors.Interrupted("operation canceled");
      this.#queue.push(...(this.options.respond?.(written) ?? written));
      this.#serve();
      return n;
    });
  }

  closeWrite(): Promise<void> {
    this.finished = true;
    this.#serve();
    return Promise.resolve();
  }

  close(): void {
    if (this.closed) throw new Deno.errors.BadResource("closed twice");
    this.closed = true;
    this.#reader?.reject(new Deno.errors.Interrupted("operation canceled"));
    this.#reader = null;
  }

  #serve(): void {
    const reader = this.#reader;
    if (reader === null) return;
    const limit = this.options.closeAfter;
    if (limit !== undefined && this.#echoed >= limit) {
      this.#reader = null;
      later(this.chaos.rand, () => null).then(reader.resolve);
      return;
    }
    if (this.#queue.length === 0) {
      // All answered after the client's FIN: this end ends too, as an echo server does.
      if (this.finished) {
        this.#reader = null;
        later(this.chaos.rand, () => null).then(reader.resolve);
      }
      return;
    }
    this.#reader = null;
    later(this.chaos.rand, () => {
      let n = pick(
        this.chaos.rand,
        this.chaos.maxRead,
        Math.min(this.#queue.length, reader.buf.length),
      );
      if (limit !== undefined) n = Math.min(n, limit - this.#echoed);
      for (let i = 0; i < n; i++) {
        const b = this.#queue.shift()!;
        reader.buf[i] = this.#echoed + i === this.options.corruptAt ? b ^ 0xff : b;
      }
      this.#echoed += n;
      return n;
    }).then(reader.resolve, reader.reject);
  }
}

/**
 * A listener that hands out the given streams (and those offered later),
 * then waits until closed. An `Error` among them is thrown by that accept.
 */
export class FakeAcceptor implements Acceptor {
  closed = false;
  /** When each stream was handed out (a `performance.now()` time). */
  readonly handedAt = new Map<Stream, number>();
  #waiting: { resolve: (s: Stream) => void; reject: (e: Error) => void } | null = null;

  constructor(readonly streams: (Stream | Error)[], readonly rand: () => number) {}

  accept(): Promise<Stream> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    const next = this.streams.shift();
    if (next === undefined) {
      return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
    }
    return later(this.rand, () => this.#hand(next));
  }

  /** Queues a stream (or an accept error) for an accept, now or later. */
  offer(next: Stream | Error): void {
    const waiting = this.#waiting;
    if (waiting === null) {
      this.streams.push(next);
      return;
    }
    this.#waiting = null;
    try {
      waiting.resolve(this.#hand(next));
    } catch (e) {
      waiting.reject(e as Error);
    }
  }

  close(): void {
    this.closed = true;
    this.#waiting?.reject(new Deno.errors.BadResource("Listener has been closed"));
  }

  #hand(next: Stream | Error): Stream {
    if (next instanceof Error) throw next;
    this.handedAt.set(next, performance.now());
    return next;
  }
}
