import type { Key } from "../lib/loop.ts";
import { plural } from "../lib/plural.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";
import type { Payload } from "./payload.ts";
import { ClientSession } from "./session.ts";

/** Hears what each connection sends and receives, to print the conversation. */
export interface Conversation {
  /** Message `message` was queued on connection `conn`. */
  sent(conn: number, message: number): void;
  /** Bytes came back on connection `conn`. */
  received(conn: number, bytes: Uint8Array): void;
}

/**
 * The echo protocol's client side: sends its payload's messages and compares
 * every byte that comes back with what was sent, at its exact offset.
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
export class EchoClient extends ClientSession {
  /** Bytes that came back, all checked. */
  bytesReceived = 0;

  /** Connection `index` (0-based) sending `payload`, `depth` messages in flight, paced when `pace` is set. */
  constructor(
    index: number,
    readonly payload: Payload,
    depth: number,
    meter: Meter,
    pace: Pace | null,
    readonly conversation: Conversation | null,
  ) {
    super(index, payload.count, depth, meter, pace);
  }

  /** Queues message `i` of the payload. */
  protected send(key: Key<unknown>, i: number): void {
    this.payload.push(key.output, i);
    this.conversation?.sent(this.index, i);
  }

  /** Checks the echoed bytes against the payload; completes each message whose last byte is in. */
  protected receive(key: Key<unknown>, n: number): string | null {
    const payload = this.payload, offset = this.bytesReceived;
    const bad = payload.mismatch(key.input, 0, n, offset);
    if (bad >= 0) {
      const at = offset + bad, sentBytes = payload.end(this.sent - 1);
      return at >= sentBytes
        ? `got ${plural(offset + n - sentBytes, "byte")} more than were sent`
        : `echo mismatch at byte ${at}`;
    }
    this.conversation?.received(this.index, key.input.subarray(0, n));
    this.bytesReceived = offset + n;
    while (this.verified < this.sent && this.bytesReceived >= payload.end(this.verified)) {
      this.replied();
    }
    return null;
  }

  /** How far the echo got before the server closed. */
  protected closedEarly(): string {
    return `server closed the connection after echoing ${this.bytesReceived} of the ` +
      `${this.payload.end(this.sent - 1)} bytes sent`;
  }
}
