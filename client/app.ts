import { type Frame, FrameDecoder } from "../lib/frame.ts";
import type { Key } from "../lib/loop.ts";
import type { AppRequest } from "./app_request.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";
import { ClientSession } from "./session.ts";

/** Hears each request and reply, for `--verbose` and for printing a single result. */
export interface AppObserver {
  /** A request was queued on connection `index`. */
  sent(index: number, request: AppRequest): void;
  /** A good reply came back on connection `index`. */
  received(index: number, reply: Frame): void;
}

/** Largest reply content a client accepts. */
const MAX_REPLY = 16 << 20;

/**
 * The app protocol's client side on one connection: sends `count` copies of
 * a request (pipelined up to `depth`) and checks every reply against
 * PROTOCOL.md.
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
export class AppClient extends ClientSession {
  readonly #decoder = new FrameDecoder(MAX_REPLY);

  /**
   * Client `index`'s connection that makes requests `first + 1 .. first + count`
   * of its run, `depth` at a time, paced when `pace` is set.
   */
  constructor(
    index: number,
    readonly request: AppRequest,
    readonly first: number,
    count: number,
    depth: number,
    meter: Meter,
    pace: Pace | null,
    readonly observer: AppObserver | null,
  ) {
    super(index, count, depth, meter, pace);
  }

  /** Queues the request again; its bytes never change, so the queue holds a view. */
  protected send(key: Key<unknown>): void {
    key.output.pushView(this.request.wire);
    this.observer?.sent(this.index, this.request);
  }

  /** Decodes whatever replies the bytes complete and checks each. */
  protected receive(key: Key<unknown>, n: number): string | null {
    const decoder = this.#decoder;
    for (let at = 0; at < n;) {
      at = decoder.feed(key.input, at, n);
      if (decoder.error !== null) {
        return `the reply is not an app-protocol message (${decoder.error.reason}); ` +
          `is the server running "--protocol app"?`;
      }
      const reply = decoder.message;
      if (reply === null) continue;
      const wrong = this.request.check(reply);
      if (wrong !== null) return wrong;
      this.replied();
      this.observer?.received(this.index, reply);
      if (this.verified === this.count) return null;
    }
    return null;
  }

  /** Which request the server left unanswered. */
  protected closedEarly(): string {
    return `server closed the connection before answering request ${
      this.first + this.verified + 1
    }`;
  }
}
