import { describeError } from "../lib/describe_error.ts";
import type { Histogram } from "../lib/histogram.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { Payload } from "./payload.ts";
import type { ClientFailure, ClientSession } from "./session.ts";

/** What an echo client connection is waiting for. */
export type EchoClientState =
  /** The TCP handshake is under way. */
  | { readonly name: "connecting" }
  /** Sending messages (up to `depth` unanswered) and checking what comes back. */
  | { readonly name: "exchanging" }
  /** Every byte sent came back, in order. */
  | { readonly name: "done" }
  /** The connection failed; `during` says whether it ever connected. */
  | {
    readonly name: "failed";
    readonly during: "connecting" | "exchanging";
    readonly reason: string;
  };

/** Hears what each connection sends and receives, to print the conversation. */
export interface Conversation {
  /** Message `message` was queued on connection `conn`. */
  sent(conn: number, message: number): void;
  /** Bytes came back on connection `conn`. */
  received(conn: number, bytes: Uint8Array): void;
}

const CONNECTING: EchoClientState = { name: "connecting" };
const EXCHANGING: EchoClientState = { name: "exchanging" };
const DONE: EchoClientState = { name: "done" };

/**
 * The echo protocol's client side: sends its payload's messages, keeping up
 * to `depth` unanswered, compares every echoed byte with what was sent, and
 * records each message's round trip in a histogram.
 *
 * @example
 * ```ts
 * import { Histogram } from "../lib/histogram.ts";
 * import { EchoClient } from "./echo.ts";
 * import { TextPayload } from "./payload.ts";
 * const client = new EchoClient(0, new TextPayload(["hi"]), 1, new Histogram(), null);
 * console.log(client.state.name); // "connecting"
 * ```
 */
export class EchoClient implements ClientSession {
  /** The current state. */
  state: EchoClientState = CONNECTING;
  /** Messages queued so far. */
  sent = 0;
  /** Messages whose every byte came back. */
  verified = 0;
  /** Bytes that came back, all checked. */
  bytesReceived = 0;
  readonly #sentAt: Float64Array;

  /** Connection `index` (0-based) sending `payload` with `depth` messages in flight. */
  constructor(
    readonly index: number,
    readonly payload: Payload,
    readonly depth: number,
    readonly latency: Histogram,
    readonly conversation: Conversation | null,
  ) {
    this.#sentAt = new Float64Array(depth);
  }

  /** Set when the connection failed. */
  get failure(): ClientFailure | null {
    return this.state.name === "failed" ? this.state : null;
  }

  /** Dispatches one event to its transition; true when finished, done or failed. */
  handle(event: Event<unknown>): boolean {
    const key = event.key;
    switch (event.type) {
      case "connect":
        this.state = this.#onConnect(key);
        break;
      case "read":
        this.state = this.#onRead(key, event.n);
        break;
      case "eof":
        this.state = this.#fail(
          `server closed the connection after ${this.bytesReceived} of ` +
            `${this.payload.totalBytes} bytes`,
        );
        break;
      case "error":
        this.state = this.#fail(describeError(event.error));
        break;
    }
    return this.state === DONE || this.state.name === "failed";
  }

  /** Read and write while exchanging; nothing otherwise. */
  interest(key: Key<unknown>): Interest {
    if (this.state !== EXCHANGING) return Interest.NONE;
    return key.output.length > 0 ? Interest.READ_WRITE : Interest.READ;
  }

  #onConnect(key: Key<unknown>): EchoClientState {
    if (this.payload.count === 0) return DONE;
    this.#fill(key);
    return EXCHANGING;
  }

  #onRead(key: Key<unknown>, n: number): EchoClientState {
    const offset = this.bytesReceived;
    const bad = this.payload.mismatch(key.input, 0, n, offset);
    if (bad >= 0) {
      const at = offset + bad;
      return this.#fail(
        at >= this.payload.end(this.sent - 1)
          ? `got ${offset + n - this.payload.end(this.sent - 1)} bytes more than were sent`
          : `echo mismatch at byte ${at}`,
      );
    }
    this.conversation?.received(this.index, key.input.subarray(0, n));
    this.bytesReceived = offset + n;
    const now = performance.now();
    while (this.verified < this.sent && this.bytesReceived >= this.payload.end(this.verified)) {
      this.latency.record((now - this.#sentAt[this.verified % this.depth]) * 1000);
      this.verified++;
    }
    if (this.verified === this.payload.count) return DONE;
    this.#fill(key);
    return EXCHANGING;
  }

  // Queues messages until `depth` are unanswered or none are left.
  #fill(key: Key<unknown>): void {
    const payload = this.payload, depth = this.depth;
    while (this.sent < payload.count && this.sent - this.verified < depth) {
      payload.push(key.output, this.sent);
      this.#sentAt[this.sent % depth] = performance.now();
      this.conversation?.sent(this.index, this.sent);
      this.sent++;
    }
  }

  #fail(reason: string): EchoClientState {
    const during = this.state === CONNECTING ? "connecting" : "exchanging";
    return { name: "failed", during, reason };
  }
}
