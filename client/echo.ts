import { describeError } from "../lib/describe_error.ts";
import type { IdleNode } from "../lib/idle_list.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";
import type { Payload } from "./payload.ts";
import type { ClientFailure, ClientSession } from "./session.ts";

/** What an echo client connection is waiting for. */
export type EchoClientState =
  /** The TCP handshake is under way. */
  | { readonly name: "connecting" }
  /** Sending messages (up to `depth` unanswered) and checking what comes back. */
  | { readonly name: "exchanging" }
  /** The run is over: sending nothing more, waiting for the echoes still in flight. */
  | { readonly name: "finishing" }
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
const FINISHING: EchoClientState = { name: "finishing" };
const DONE: EchoClientState = { name: "done" };

/**
 * The echo protocol's client side: sends its payload's messages, keeping up
 * to `depth` unanswered (and, when paced, only those that are due), compares
 * every echoed byte with what was sent, and meters each round trip.
 *
 * @example
 * ```ts
 * import { EchoClient } from "./echo.ts";
 * import { Meter } from "./meter.ts";
 * import { TextPayload } from "./payload.ts";
 * const client = new EchoClient(0, new TextPayload(["hi"]), 1, new Meter(0), null, null);
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
  /** Messages it may send: all of them, or when paced those already due. */
  #due: number;
  readonly #startedAt: Float64Array;

  /** Connection `index` (0-based) sending `payload`, `depth` messages in flight, paced when `pace` is set. */
  constructor(
    readonly index: number,
    readonly payload: Payload,
    readonly depth: number,
    readonly meter: Meter,
    readonly pace: Pace | null,
    readonly conversation: Conversation | null,
  ) {
    this.#startedAt = new Float64Array(depth);
    this.#due = pace === null ? payload.count : 0;
  }

  /** Links in the client loop's list of connections by last activity. */
  idlePrev: IdleNode | null = null;
  /** See `idlePrev`. */
  idleNext: IdleNode | null = null;
  /** When the client loop last saw an event of this connection. */
  lastActive = 0;

  /** Set when the connection failed. */
  get failure(): ClientFailure | null {
    return this.state.name === "failed" ? this.state : null;
  }

  /** Connecting, or a reply is due. */
  get awaiting(): boolean {
    return this.state === CONNECTING || this.state === FINISHING ||
      (this.state === EXCHANGING && this.sent > this.verified);
  }

  /** No answer for `seconds`: fails, saying whether it was the handshake or a reply. */
  expire(seconds: number): void {
    if (this.state.name === "done" || this.state.name === "failed") return;
    this.state = this.#fail(
      this.state === CONNECTING ? `timed out after ${seconds} s` : `no reply for ${seconds} s`,
    );
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
          `server closed the connection after echoing ${this.bytesReceived} of the ` +
            `${this.payload.end(this.sent - 1)} bytes sent`,
        );
        break;
      case "error":
        this.state = this.#fail(describeError(event.error));
        break;
    }
    return this.state === DONE || this.state.name === "failed";
  }

  /** Read and write while exchanging or finishing; nothing otherwise. */
  interest(key: Key<unknown>): Interest {
    if (this.state !== EXCHANGING && this.state !== FINISHING) return Interest.NONE;
    return key.output.length > 0 ? Interest.READ_WRITE : Interest.READ;
  }

  /** Paced: `count` messages may now have been sent. */
  release(key: Key<unknown>, count: number): void {
    this.#due = Math.min(count, this.payload.count);
    if (this.state === EXCHANGING) this.#fill(key);
  }

  /** Sends nothing more; true when nothing is in flight. */
  stop(): boolean {
    this.#due = this.sent;
    if (this.state === CONNECTING || this.state === EXCHANGING) {
      this.state = this.state === EXCHANGING && this.verified === this.sent ? DONE : FINISHING;
    }
    return this.state === DONE;
  }

  #onConnect(key: Key<unknown>): EchoClientState {
    if (this.state === FINISHING || this.payload.count === 0) return DONE;
    this.#fill(key);
    return EXCHANGING;
  }

  #onRead(key: Key<unknown>, n: number): EchoClientState {
    const payload = this.payload, offset = this.bytesReceived;
    const bad = payload.mismatch(key.input, 0, n, offset);
    if (bad >= 0) {
      const at = offset + bad;
      const sentBytes = payload.end(this.sent - 1);
      return this.#fail(
        at >= sentBytes
          ? `got ${offset + n - sentBytes} bytes more than were sent`
          : `echo mismatch at byte ${at}`,
      );
    }
    this.conversation?.received(this.index, key.input.subarray(0, n));
    this.bytesReceived = offset + n;
    const now = performance.now();
    while (this.verified < this.sent && this.bytesReceived >= payload.end(this.verified)) {
      const v = this.verified;
      const size = payload.end(v) - (v === 0 ? 0 : payload.end(v - 1));
      this.meter.record(this.#startedAt[v % this.depth], now, size, size);
      this.verified++;
    }
    if (this.verified === payload.count) return DONE;
    if (this.state === FINISHING) return this.verified === this.sent ? DONE : FINISHING;
    this.#fill(key);
    return EXCHANGING;
  }

  // Queues messages until `depth` are unanswered or none are due.
  #fill(key: Key<unknown>): void {
    const depth = this.depth, pace = this.pace;
    while (this.sent < this.#due && this.sent - this.verified < depth) {
      this.payload.push(key.output, this.sent);
      // Paced, a message sent late is timed from when it was due; one sent a
      // little early (timers are coarse) from when it went.
      const now = performance.now();
      this.#startedAt[this.sent % depth] = pace === null
        ? now
        : Math.min(now, pace.dueAt(this.index, this.sent));
      this.conversation?.sent(this.index, this.sent);
      this.sent++;
    }
  }

  #fail(reason: string): EchoClientState {
    const during = this.state === CONNECTING ? "connecting" : "exchanging";
    return { name: "failed", during, reason };
  }
}
