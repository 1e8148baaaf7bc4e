import { describeError } from "../lib/describe_error.ts";
import type { IdleNode } from "../lib/idle_list.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";

/** What a client connection is waiting for, whatever its protocol. */
export type ClientState =
  /** The TCP handshake is under way. */
  | { readonly name: "connecting" }
  /** Sending (up to `depth` unanswered; when paced, only what is due) and checking replies. */
  | { readonly name: "exchanging" }
  /** The run is over: sending nothing more, waiting for the replies still due. */
  | { readonly name: "finishing" }
  /** Every message sent got its right reply. */
  | { readonly name: "done" }
  /** Refused, broken, timed out, or a wrong, malformed or missing reply. */
  | {
    readonly name: "failed";
    readonly during: "connecting" | "exchanging";
    readonly reason: string;
  };

/** Why a client connection failed, and whether it ever got connected. */
export type ClientFailure = Extract<ClientState, { name: "failed" }>;

const CONNECTING: ClientState = { name: "connecting" };
const EXCHANGING: ClientState = { name: "exchanging" };
const FINISHING: ClientState = { name: "finishing" };
const DONE: ClientState = { name: "done" };

/**
 * The state machine of one client connection: sends up to `count` messages,
 * keeping at most `depth` unanswered (and, when paced, only those due), and
 * meters each round trip. A protocol supplies how a message is queued
 * ({@linkcode ClientSession.send}) and how replies are checked
 * ({@linkcode ClientSession.receive}).
 *
 * The client loop hands it every event of its key, tells it when paced
 * messages fall due and when the run is over, and asks what it wants next.
 */
export abstract class ClientSession implements IdleNode {
  /** The current state. */
  state: ClientState = CONNECTING;
  /** Messages queued so far. */
  sent = 0;
  /** Messages whose reply came back right. */
  verified = 0;
  /** Links in the client loop's list of connections by last activity. */
  idlePrev: IdleNode | null = null;
  /** See `idlePrev`. */
  idleNext: IdleNode | null = null;
  /** When the client loop last saw an event of this connection. */
  lastActive = 0;
  /** When the client loop dialed this connection (`performance.now()`). */
  dialedAt = 0;
  /** When its connect completed (`performance.now()`); 0 until then. */
  connectedAt = 0;
  /** Messages it may send: all of them, or when paced those already due. */
  #due: number;
  readonly #startedAt: Float64Array;

  /** Client `index`'s connection sending `count` messages, `depth` in flight, paced when `pace` is set. */
  constructor(
    readonly index: number,
    readonly count: number,
    readonly depth: number,
    readonly meter: Meter,
    readonly pace: Pace | null,
  ) {
    this.#startedAt = new Float64Array(depth);
    this.#due = pace === null ? count : 0;
  }

  /** Queues message `i` on `key`. */
  protected abstract send(key: Key<unknown>, i: number): void;

  /**
   * Checks the `n` bytes just read into `key.input`, calling `replied` for
   * each reply that completes; returns why they are wrong, or null.
   */
  protected abstract receive(key: Key<unknown>, n: number): string | null;

  /** Why an end of stream is a failure, e.g. how far the server got. */
  protected abstract closedEarly(): string;

  /** Set when the connection failed. */
  get failure(): ClientFailure | null {
    return this.state.name === "failed" ? this.state : null;
  }

  /**
   * True while it waits for the server: the handshake, or a reply still due.
   * Asked only of live connections (connecting, exchanging or finishing).
   */
  get awaiting(): boolean {
    return this.state !== EXCHANGING || this.sent > this.verified;
  }

  /** Applies one event; returns true when the connection is finished, done or failed. */
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
        this.state = this.#fail(this.closedEarly());
        break;
      case "error":
        this.state = this.#fail(describeError(event.error));
        break;
    }
    return this.state === DONE || this.state.name === "failed";
  }

  /**
   * Read, and write what is queued. The loop writes only when bytes are
   * owed and drives no stream before its handshake, and a connection that is
   * done or failed is unregistered: one interest serves every state.
   */
  interest(_key?: Key<unknown>): Interest {
    return Interest.READ_WRITE;
  }

  /** Open loop: this connection may now have sent `count` messages in all; it queues what it can. */
  release(key: Key<unknown>, count: number): void {
    this.#due = Math.min(count, this.count);
    // Stryker disable next-line ConditionalExpression: queued during the handshake, a message goes out at the same moment and is timed from when it was due all the same
    if (this.state === EXCHANGING) this.#fill(key);
  }

  /**
   * The run is over (asked once, of a connection still connecting or
   * exchanging): it sends nothing more; true when nothing is left in flight.
   * A handshake under way is let finish.
   */
  stop(_key?: Key<unknown>): boolean {
    this.#due = this.sent;
    this.state = this.state === EXCHANGING && this.verified === this.sent ? DONE : FINISHING;
    return this.state === DONE;
  }

  /** The server has not answered for `seconds` (asked only while awaiting): fails, naming the handshake or the reply. */
  expire(seconds: number): void {
    this.state = this.#fail(
      this.state === CONNECTING ? `timed out after ${seconds} s` : `no reply for ${seconds} s`,
    );
  }

  /** The reply to the oldest unanswered message is in and right. */
  protected replied(): void {
    const started = this.#startedAt[this.verified % this.depth], now = performance.now();
    this.meter.record(started, now);
    if (this.verified === 0) this.meter.firstReply(this.dialedAt, now);
    this.verified++;
  }

  #onConnect(key: Key<unknown>): ClientState {
    if (this.state === FINISHING || this.count === 0) return DONE;
    this.#fill(key);
    return EXCHANGING;
  }

  #onRead(key: Key<unknown>, n: number): ClientState {
    const wrong = this.receive(key, n);
    if (wrong !== null) return this.#fail(wrong);
    if (this.verified === this.count) return DONE;
    if (this.state === FINISHING) return this.verified === this.sent ? DONE : FINISHING;
    this.#fill(key);
    return EXCHANGING;
  }

  // Queues messages until `depth` are unanswered or none are due.
  #fill(key: Key<unknown>): void {
    const depth = this.depth, pace = this.pace;
    while (this.sent < this.#due && this.sent - this.verified < depth) {
      this.send(key, this.sent);
      // Paced, a message sent late is timed from when it was due; one sent a
      // little early (timers are coarse) from when it went.
      const now = performance.now();
      this.#startedAt[this.sent % depth] = pace === null
        ? now
        : Math.min(now, pace.dueAt(this.index, this.sent));
      this.sent++;
    }
  }

  #fail(reason: string): ClientState {
    const during = this.state === CONNECTING ? "connecting" : "exchanging";
    return { name: "failed", during, reason };
  }
}
