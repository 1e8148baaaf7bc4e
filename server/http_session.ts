/**
 * One connection to an HTTP endpoint (the relay's API, the metrics), as a
 * state machine on the loop: it reads requests (pipelined or one by one,
 * kept alive as HTTP/1.1 does), has each answered, and writes the answers
 * in order.
 *
 * @module
 */
import { describeError } from "../lib/describe_error.ts";
import { encodeResponse, HttpDecoder, type HttpRequest } from "../lib/http_codec.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { Session } from "./session.ts";

/** An answer to one request: its status and body (null: none), JSON unless `type` says otherwise. */
export interface Answer {
  readonly status: number;
  readonly body: string | null;
  /** The body's content type (default `application/json`). */
  readonly type?: string;
}

/** What an API connection is doing. */
export type HttpState =
  /** Reading requests and answering each as it is whole. */
  | { readonly name: "serving" }
  /** The answers owed pass the mark: writing only, until they are out. */
  | { readonly name: "paused" }
  /** The last answer is queued (the client asked to close, or sent what cannot be read): writing it, then closing. */
  | { readonly name: "closing" }
  /** Done. */
  | { readonly name: "closed" }
  /** The connection broke. */
  | { readonly name: "failed"; readonly reason: string };

const SERVING: HttpState = { name: "serving" };
const PAUSED: HttpState = { name: "paused" };
const CLOSING: HttpState = { name: "closing" };
const CLOSED: HttpState = { name: "closed" };

/** Past this many bytes of answers owed, no more requests are read until they are written. */
const ANSWERS_OWED = 64 << 10;

/**
 * An API connection answering with `answer`.
 *
 * @example
 * ```ts
 * import { HttpSession } from "../server/http_session.ts";
 * const session = new HttpSession(() => ({ status: 200, body: '{"version":"1"}' }));
 * console.log(session.stateName); // "serving"
 * ```
 */
export class HttpSession implements Session {
  /** The current state. */
  state: HttpState = SERVING;
  readonly #decoder = new HttpDecoder();
  #key: Key<unknown> | null = null;
  // The server drains: the next answer is the last.
  #draining = false;

  /** A session that has each request answered by `answer`. */
  constructor(readonly answer: (request: HttpRequest) => Answer) {}

  /** Name of the current state. */
  get stateName(): string {
    return this.state.name;
  }

  /** The cause when the connection broke, else null. */
  get failure(): string | null {
    return this.state.name === "failed" ? this.state.reason : null;
  }

  /** Keeps its key, to tell at a drain whether an answer is owed. */
  start(key: Key<unknown>): void {
    this.#key = key;
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
        // Whatever is owed still goes out (a client may half-close after its request).
        this.state = key.owed === 0 ? CLOSED : CLOSING;
        break;
      case "error":
        this.state = { name: "failed", reason: describeError(event.error) };
        break;
    }
    return this.state === CLOSED || this.state.name === "failed";
  }

  /** The server drains: closes now between requests, else after answering the one under way. */
  drain(): boolean {
    this.#draining = true;
    // (Nothing owed and nothing read means serving: the other states owe, or are over.)
    return this.#key !== null && this.#key.owed === 0 && this.#decoder.idle;
  }

  /** Reads while serving; writes while an answer is owed. */
  interest(key: Key<unknown>): Interest {
    if (this.state === SERVING) return key.owed > 0 ? Interest.READ_WRITE : Interest.READ;
    return this.state === PAUSED || this.state === CLOSING ? Interest.WRITE : Interest.NONE;
  }

  #onRead(key: Key<unknown>, n: number): HttpState {
    // A read already in flight when the last answer was queued is dropped: nothing more is answered.
    if (this.state === CLOSING) return CLOSING;
    const decoder = this.#decoder, input = key.input;
    for (let at = 0; at < n;) {
      at = decoder.feed(input, at, n);
      const request = decoder.request;
      if (request !== null) {
        decoder.next();
        const { status, body, type } = this.answer(request);
        const keepAlive = request.keepAlive && !this.#draining;
        key.output.push(encodeResponse(status, body, keepAlive, type));
        if (!keepAlive) return this.#closing(key);
      } else if (decoder.error !== null) {
        const { status, reason } = decoder.error;
        key.output.push(encodeResponse(status, JSON.stringify({ error: reason, status }), false));
        return this.#closing(key);
      }
    }
    return key.owed > ANSWERS_OWED ? PAUSED : SERVING;
  }

  #onWritten(key: Key<unknown>): HttpState {
    if (key.owed > 0) return this.state;
    return this.state === CLOSING ? CLOSED : SERVING;
  }

  #closing(key: Key<unknown>): HttpState {
    key.endOutput();
    return CLOSING;
  }
}
