import { describeError } from "../lib/describe_error.ts";
import type { IdleNode } from "../lib/idle_list.ts";
import { type Frame, FrameDecoder } from "../lib/frame.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { AppRequest } from "./app_request.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";
import type { ClientFailure, ClientSession } from "./session.ts";

/** What an app client connection is waiting for. */
export type AppClientState =
  /** The TCP handshake is under way. */
  | { readonly name: "connecting" }
  /** Requests are out (up to `depth`); reading their replies. */
  | { readonly name: "awaiting" }
  /** The run is over: sending nothing more, waiting for the replies still due. */
  | { readonly name: "finishing" }
  /** Every request got the right reply. */
  | { readonly name: "done" }
  /** A refused connection, a broken one, or a wrong, malformed or missing reply. */
  | {
    readonly name: "failed";
    readonly during: "connecting" | "exchanging";
    readonly reason: string;
  };

/** Hears each request and reply, for `--verbose` and for printing a single result. */
export interface AppObserver {
  /** A request was queued on connection `index`. */
  sent(index: number, request: AppRequest): void;
  /** A good reply came back on connection `index`. */
  received(index: number, reply: Frame): void;
}

/** Largest reply content a client accepts. */
const MAX_REPLY = 16 << 20;

const CONNECTING: AppClientState = { name: "connecting" };
const AWAITING: AppClientState = { name: "awaiting" };
const FINISHING: AppClientState = { name: "finishing" };
const DONE: AppClientState = { name: "done" };

/**
 * The app protocol's client side on one connection: sends `count` copies of
 * a request, up to `depth` at a time (pipelining; when paced, only those
 * due), and checks every reply against PROTOCOL.md.
 *
 * @example
 * ```ts
 * import { AppClient } from "./app.ts";
 * import { searchRequest } from "./app_request.ts";
 * import { Meter } from "./meter.ts";
 * const client = new AppClient(0, searchRequest("ring"), 0, 1, 1, new Meter(0), null, null);
 * console.log(client.state.name); // "connecting"
 * ```
 */
export class AppClient implements ClientSession {
  /** The current state. */
  state: AppClientState = CONNECTING;
  /** Requests queued on this connection. */
  sent = 0;
  /** Requests whose reply was right. */
  verified = 0;
  #due: number;
  readonly #decoder = new FrameDecoder(MAX_REPLY);
  readonly #startedAt: Float64Array;

  /**
   * Client `index`'s connection that makes requests `first + 1 .. first + count`
   * of its run, `depth` at a time, paced when `pace` is set.
   */
  constructor(
    readonly index: number,
    readonly request: AppRequest,
    readonly first: number,
    readonly count: number,
    readonly depth: number,
    readonly meter: Meter,
    readonly pace: Pace | null,
    readonly observer: AppObserver | null,
  ) {
    this.#startedAt = new Float64Array(depth);
    this.#due = pace === null ? count : 0;
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
      (this.state === AWAITING && this.sent > this.verified);
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
          `server closed the connection before answering request ${this.first + this.verified + 1}`,
        );
        break;
      case "error":
        this.state = this.#fail(describeError(event.error));
        break;
    }
    return this.state === DONE || this.state.name === "failed";
  }

  /** Read and write while replies are due; nothing otherwise. */
  interest(key: Key<unknown>): Interest {
    if (this.state !== AWAITING && this.state !== FINISHING) return Interest.NONE;
    return key.output.length > 0 ? Interest.READ_WRITE : Interest.READ;
  }

  /** Paced: `count` requests may now have been sent. */
  release(key: Key<unknown>, count: number): void {
    this.#due = Math.min(count, this.count);
    if (this.state === AWAITING) this.#fill(key);
  }

  /** Sends nothing more; true when no reply is due. */
  stop(): boolean {
    this.#due = this.sent;
    if (this.state === CONNECTING || this.state === AWAITING) {
      this.state = this.state === AWAITING && this.verified === this.sent ? DONE : FINISHING;
    }
    return this.state === DONE;
  }

  #onConnect(key: Key<unknown>): AppClientState {
    if (this.state === FINISHING) return DONE;
    this.#fill(key);
    return AWAITING;
  }

  #onRead(key: Key<unknown>, n: number): AppClientState {
    const decoder = this.#decoder;
    let at = 0;
    while (at < n) {
      at = decoder.feed(key.input, at, n);
      if (decoder.error !== null) return this.#fail(`malformed reply: ${decoder.error.reason}`);
      const reply = decoder.message;
      if (reply === null) continue;
      const wrong = this.request.check(reply);
      if (wrong !== null) return this.#fail(wrong);
      const started = this.#startedAt[this.verified % this.depth];
      this.meter.record(started, performance.now(), this.request.wire.length, reply.size);
      this.verified++;
      this.observer?.received(this.index, reply);
      if (this.verified === this.count) return DONE;
    }
    if (this.state === FINISHING) return this.verified === this.sent ? DONE : FINISHING;
    this.#fill(key);
    return AWAITING;
  }

  #fill(key: Key<unknown>): void {
    const depth = this.depth, pace = this.pace;
    while (this.sent < this.#due && this.sent - this.verified < depth) {
      key.output.pushView(this.request.wire);
      // Paced, a message sent late is timed from when it was due; one sent a
      // little early (timers are coarse) from when it went.
      const now = performance.now();
      this.#startedAt[this.sent % depth] = pace === null
        ? now
        : Math.min(now, pace.dueAt(this.index, this.sent));
      this.observer?.sent(this.index, this.request);
      this.sent++;
    }
  }

  #fail(reason: string): AppClientState {
    const during = this.state === CONNECTING ? "connecting" : "exchanging";
    return { name: "failed", during, reason };
  }
}
