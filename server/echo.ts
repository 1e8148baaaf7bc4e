import { describeError } from "../lib/describe_error.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import { DEFAULT_MARKS, type Marks } from "../lib/marks.ts";
import type { Session } from "./session.ts";

/** What an echo connection is waiting for. */
export type EchoState =
  /** Reading from the peer and writing back whatever is owed. */
  | { readonly name: "echoing" }
  /** Owes more than the high-water mark: only writing, until below the low mark. */
  | { readonly name: "paused" }
  /** The peer half-closed: writing what is still owed, then closing. */
  | { readonly name: "draining" }
  /** Everything owed was written after the peer's FIN. */
  | { readonly name: "closed" }
  /** The connection broke (reset, broken pipe); nothing more can be sent. */
  | { readonly name: "failed"; readonly reason: string };

const ECHOING: EchoState = { name: "echoing" };
const PAUSED: EchoState = { name: "paused" };
const DRAINING: EchoState = { name: "draining" };
const CLOSED: EchoState = { name: "closed" };

/**
 * The echo protocol's server side: every byte read is owed back, in order.
 *
 * The bytes owed live in the key's output queue, which the loop writes from;
 * this machine only decides when to read, when to stop reading and when the
 * connection is finished.
 *
 * @example
 * ```ts
 * import { EchoSession } from "./echo.ts";
 * const session = new EchoSession();
 * console.log(session.stateName); // "echoing"
 * ```
 */
export class EchoSession implements Session {
  /** The current state. */
  state: EchoState = ECHOING;

  /** A session with the given backpressure marks. */
  constructor(readonly marks: Marks = DEFAULT_MARKS) {}

  /** Name of the current state. */
  get stateName(): string {
    return this.state.name;
  }

  /** The cause when the connection broke, else null. */
  get failure(): string | null {
    return this.state.name === "failed" ? this.state.reason : null;
  }

  /** Dispatches one event to its transition; true when finished. */
  handle(event: Event<unknown>): boolean {
    const key = event.key;
    switch (event.type) {
      case "read":
        this.state = this.#onRead(key, event.n);
        break;
      case "write":
        this.state = this.#onWritten(key);
        break;
      case "eof":
        this.state = this.#onEof(key);
        break;
      case "error":
        this.state = { name: "failed", reason: describeError(event.error) };
        break;
    }
    return this.state === CLOSED || this.state.name === "failed";
  }

  /** Read while echoing; write while anything is owed. */
  interest(key: Key<unknown>): Interest {
    switch (this.state.name) {
      case "echoing":
        return key.owed > 0 ? Interest.READ_WRITE : Interest.READ;
      case "paused":
      case "draining":
        return Interest.WRITE;
      default:
        return Interest.NONE;
    }
  }

  // Reads come only while echoing or paused: the loop never reads past the FIN.
  #onRead(key: Key<unknown>, n: number): EchoState {
    // Even when paused, a read that was already in flight must be kept.
    key.forwardInput(n);
    return key.output.length > this.marks.highWater ? PAUSED : this.state;
  }

  #onWritten(key: Key<unknown>): EchoState {
    const owed = key.output.length;
    if (this.state === PAUSED && owed <= this.marks.lowWater) return ECHOING;
    if (this.state === DRAINING && owed === 0) return CLOSED;
    return this.state;
  }

  #onEof(key: Key<unknown>): EchoState {
    return key.owed === 0 ? CLOSED : DRAINING;
  }
}
