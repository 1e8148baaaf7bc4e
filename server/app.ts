import { describeError } from "../lib/describe_error.ts";
import { encodeFrame, type Frame, FrameDecoder } from "../lib/frame.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import { answer, contentNeeded, errorReply, type Reply } from "./app_answer.ts";
import { DEFAULT_MARKS, type Marks } from "../lib/marks.ts";
import type { Session } from "./session.ts";

/** What an app connection is waiting for. */
export type AppState =
  /** Reading requests (pipelined ones too); replies go out meanwhile. */
  | { readonly name: "reading" }
  /** Replies owed pass the high-water mark: not reading until below the low mark. */
  | { readonly name: "paused" }
  /** The peer half-closed: writing the replies still owed, then closing. */
  | { readonly name: "closing" }
  /** A message was malformed: writing the `{"error": ...}` reply, then FIN. */
  | { readonly name: "rejecting"; readonly reason: string }
  /** Error reply sent: dropping whatever the peer still sends until it closes. */
  | { readonly name: "discarding" }
  /** Done; the connection can be closed. */
  | { readonly name: "closed" }
  /** The connection broke (reset, broken pipe). */
  | { readonly name: "failed"; readonly reason: string };

/** Limits of one app connection. */
export interface AppLimits extends Marks {
  /** Largest `content-length` accepted; above it the request is refused unread. */
  readonly maxContent: number;
  /** After an error reply, bytes dropped at most before closing anyway. */
  readonly discardLimit: number;
}

/** 16 MiB content, 1 MiB / 512 KiB of owed replies, 64 MiB dropped after an error. */
export const DEFAULT_APP_LIMITS: AppLimits = {
  ...DEFAULT_MARKS,
  maxContent: 16 << 20,
  discardLimit: 64 << 20,
};

const READING: AppState = { name: "reading" };
const PAUSED: AppState = { name: "paused" };
const CLOSING: AppState = { name: "closing" };
const DISCARDING: AppState = { name: "discarding" };
const CLOSED: AppState = { name: "closed" };

/**
 * The app protocol's server side: decodes requests as their bytes arrive,
 * answers each in order, and refuses malformed input with an error reply
 * before closing, as `../shared/PROTOCOL.md` asks.
 *
 * @example
 * ```ts
 * import { AppSession, DEFAULT_APP_LIMITS } from "./app.ts";
 * const session = new AppSession(DEFAULT_APP_LIMITS, null);
 * console.log(session.stateName); // "reading proto-header"
 * ```
 */
export class AppSession implements Session {
  /** The current state. */
  state: AppState = READING;
  readonly #decoder: FrameDecoder;
  #discarded = 0;

  /**
   * A session with `limits`; `trace` hears a line per request and reply
   * (verbose logs). With a `refusal`, it answers nothing but
   * `{"error": refusal}` and closes (`server busy` at the connection limit).
   */
  constructor(
    readonly limits: AppLimits,
    readonly trace: ((line: string) => void) | null,
    readonly refusal: string | null = null,
  ) {
    this.#decoder = new FrameDecoder(limits.maxContent, contentNeeded);
  }

  /** A refusing session queues its error reply before anything is read. */
  start(key: Key<unknown>): void {
    if (this.refusal !== null) this.state = this.#reject(key, this.refusal);
  }

  /** The state, and while reading, which part of a message is awaited. */
  get stateName(): string {
    return this.state === READING ? `reading ${this.#decoder.part}` : this.state.name;
  }

  /** The cause when the connection broke or was refused, else null. */
  get failure(): string | null {
    return this.state.name === "failed" ? this.state.reason : null;
  }

  /** Dispatches one event to its transition; true when finished. */
  handle(event: Event<unknown>): boolean {
    const key = event.key;
    switch (event.type) {
      case "read":
        // After an error reply, what still arrives (a read in flight, the rest of a body) is dropped.
        this.state = this.state.name === "rejecting" || this.state === DISCARDING
          ? this.#onDiscarded(event.n)
          : this.#onRead(key, event.n);
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

  /** Memory of the replies owed, and of the request decoded so far while one spans reads. */
  held(key: Key<unknown>): number {
    return key.outputMemory + this.#decoder.buffered;
  }

  /**
   * No room for the request being read: `{"error": "server busy"}`, then FIN,
   * dropping what it still sends. Only a request part-read is answered so:
   * a connection with none waiting (replies owed to a slow reader, a peer
   * that already sent FIN) just waits for room, and its replies stay whole.
   */
  overloaded(key: Key<unknown>): boolean {
    if (this.state !== READING || !this.#decoder.started) return false;
    this.#decoder.drop();
    this.state = this.#reject(key, "server busy");
    return false;
  }

  /** Read while reading or discarding; write while replies are owed. */
  interest(key: Key<unknown>): Interest {
    switch (this.state.name) {
      case "reading":
        return key.owed > 0 ? Interest.READ_WRITE : Interest.READ;
      case "discarding":
        return Interest.READ;
      case "paused":
      case "closing":
      case "rejecting":
        return Interest.WRITE;
      default:
        return Interest.NONE;
    }
  }

  #onRead(key: Key<unknown>, n: number): AppState {
    const decoder = this.#decoder;
    let at = 0;
    // One read may hold the end of one request, several whole ones and the start of another.
    while (at < n) {
      at = decoder.feed(key.input, at, n);
      const request = decoder.message;
      if (request !== null) {
        // Let go of it now: a 16 MiB request must not live on while its reply is written.
        // Stryker disable next-line all: memory only; the next feed() clears it anyway
        decoder.message = null;
        this.#reply(key, request);
      }
      if (decoder.error !== null) return this.#reject(key, decoder.error.reason);
    }
    // Reads come only while reading or paused: after an error they go to #onDiscarded.
    return key.output.length > this.limits.highWater ? PAUSED : this.state;
  }

  #reply(key: Key<unknown>, request: Frame): void {
    const reply = answer(request);
    if (this.trace !== null) this.trace(`request ${show(request)} -> reply ${showReply(reply)}`);
    encodeFrame(key.output, reply.contentType, reply.contentEncoding, reply.content);
  }

  #reject(key: Key<unknown>, reason: string): AppState {
    const reply = errorReply(reason);
    this.trace?.(`malformed request: ${reason}`);
    encodeFrame(key.output, reply.contentType, reply.contentEncoding, reply.content);
    // FIN after the reply, so the peer reads it rather than a reset.
    key.endOutput();
    return { name: "rejecting", reason };
  }

  #onWritten(key: Key<unknown>): AppState {
    const owed = key.output.length;
    if (this.state === PAUSED && owed <= this.limits.lowWater) return READING;
    if (owed > 0) return this.state;
    if (this.state === CLOSING) return CLOSED;
    if (this.state.name === "rejecting") return DISCARDING;
    return this.state;
  }

  #onDiscarded(n: number): AppState {
    this.#discarded += n;
    return this.#discarded > this.limits.discardLimit ? CLOSED : this.state;
  }

  // Discarding, nothing is owed any more: the peer's FIN ends it.
  #onEof(key: Key<unknown>): AppState {
    return key.output.length === 0 ? CLOSED : CLOSING;
  }
}

const decoder = new TextDecoder();

function show(request: Frame): string {
  const type = request.header["content-type"];
  return request.json !== null
    ? `${type} ${JSON.stringify(request.json)}`
    : `${type} ${request.header["content-length"]} bytes`;
}

function showReply(reply: Reply): string {
  return reply.contentType === "text/json"
    ? `${reply.contentType} ${decoder.decode(reply.content)}`
    : `${reply.contentType} ${reply.content.length} bytes`;
}
