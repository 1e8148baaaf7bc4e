import { describeError } from "../lib/describe_error.ts";
import { type Frame, FrameDecoder } from "../lib/frame.ts";
import type { Histogram } from "../lib/histogram.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { AppRequest } from "./app_request.ts";
import type { ClientFailure, ClientSession } from "./session.ts";

/** What an app client connection is waiting for. */
export type AppClientState =
  /** The TCP handshake is under way. */
  | { readonly name: "connecting" }
  /** Requests are out (up to `depth`); reading their replies. */
  | { readonly name: "awaiting" }
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
const DONE: AppClientState = { name: "done" };

/**
 * The app protocol's client side on one connection: sends `count` copies of
 * a request, up to `depth` at a time (pipelining), and checks every reply
 * against PROTOCOL.md.
 *
 * @example
 * ```ts
 * import { Histogram } from "../lib/histogram.ts";
 * import { AppClient } from "./app.ts";
 * import { searchRequest } from "./app_request.ts";
 * const client = new AppClient(0, searchRequest("ring"), 0, 1, 1, new Histogram(), null);
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
  readonly #decoder = new FrameDecoder(MAX_REPLY);
  readonly #sentAt: Float64Array;

  /**
   * Client `index`'s connection that makes requests `first + 1 .. first + count`
   * of its run, `depth` at a time.
   */
  constructor(
    readonly index: number,
    readonly request: AppRequest,
    readonly first: number,
    readonly count: number,
    readonly depth: number,
    readonly latency: Histogram,
    readonly observer: AppObserver | null,
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
        this.#fill(key);
        this.state = AWAITING;
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

  /** Read and write while awaiting replies; nothing otherwise. */
  interest(key: Key<unknown>): Interest {
    if (this.state !== AWAITING) return Interest.NONE;
    return key.output.length > 0 ? Interest.READ_WRITE : Interest.READ;
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
      this.latency.record((performance.now() - this.#sentAt[this.verified % this.depth]) * 1000);
      this.verified++;
      this.observer?.received(this.index, reply);
      if (this.verified === this.count) return DONE;
    }
    this.#fill(key);
    return AWAITING;
  }

  #fill(key: Key<unknown>): void {
    while (this.sent < this.count && this.sent - this.verified < this.depth) {
      key.output.push(this.request.wire);
      this.#sentAt[this.sent % this.depth] = performance.now();
      this.observer?.sent(this.index, this.request);
      this.sent++;
    }
  }

  #fail(reason: string): AppClientState {
    const during = this.state === CONNECTING ? "connecting" : "exchanging";
    return { name: "failed", during, reason };
  }
}
