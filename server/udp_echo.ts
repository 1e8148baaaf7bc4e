/**
 * `serve --udp`: the guide's echo server, for datagrams. The socket is one
 * connection of the host; each datagram read goes back to its sender as one
 * datagram, through the socket's {@linkcode DatagramQueue} (past its limit a
 * datagram is dropped and counted, as a full socket buffer would drop it).
 *
 * @module
 */
import type { DatagramStream } from "../lib/datagram.ts";
import { DatagramQueue } from "../lib/datagram_queue.ts";
import { type Event, Interest, type Key } from "../lib/loop.ts";
import type { Session } from "./session.ts";

/** What the socket is doing. */
export type UdpEchoState = /** Echoing what comes. */
  { readonly name: "echoing" };

const ECHOING: UdpEchoState = { name: "echoing" };

/**
 * The state machine of a server's UDP socket.
 *
 * @example
 * ```ts
 * import { UdpEchoSession } from "./udp_echo.ts";
 * const session = new UdpEchoSession();
 * console.log(session.stateName); // "echoing"
 * ```
 */
export class UdpEchoSession implements Session {
  /** The current state: a socket only ever echoes, until the server stops. */
  readonly state: UdpEchoState = ECHOING;
  /** Datagrams read. */
  received = 0;
  /** Datagrams echoed. */
  sent = 0;
  /** Empty datagrams, which are not echoed (an empty write sends nothing). */
  empty = 0;
  /** Errors the socket reported (an ICMP unreachable from a peer gone); none ends it. */
  errors = 0;
  #queue: DatagramQueue | null = null;

  /** Name of the current state. */
  get stateName(): string {
    return this.state.name;
  }

  /** A socket never fails: a peer's error is counted and forgotten. */
  get failure(): string | null {
    return null;
  }

  /** Queues each datagram read back to its sender; sends the next when one went out. */
  handle(event: Event<unknown>): boolean {
    const key = event.key, socket = key.stream as DatagramStream;
    switch (event.type) {
      case "read": {
        this.received++;
        this.#queue ??= new DatagramQueue(key);
        if (event.n === 0) this.empty++;
        else this.#queue.send(key.input, event.n, socket.from!);
        break;
      }
      case "write":
        this.sent++;
        this.#queue!.written();
        break;
      case "error":
        this.errors++;
        break;
    }
    return false;
  }

  /** Reads always; writes while a datagram is owed. */
  interest(_key: Key<unknown>): Interest {
    return Interest.READ_WRITE;
  }

  /** A stop closes the socket at once: there is no conversation to finish. */
  drain(): boolean {
    return true;
  }

  /** Datagrams each way, for the closing line. */
  summary(): { text: string; fields: Record<string, number> } {
    const dropped = this.#queue?.dropped ?? 0;
    // Stryker disable next-line ConditionalExpression: a queue drops only past 1,024 datagrams waiting, which loopback never leaves
    const lost = dropped === 0 && this.empty === 0
      ? ""
      : `, ${dropped} dropped (queue full), ${this.empty} empty`;
    const errors = this.errors === 0 ? "" : `, ${this.errors} errors`;
    return {
      text: `${this.received} datagrams in, ${this.sent} out${lost}${errors}`,
      fields: {
        datagrams_in: this.received,
        datagrams_out: this.sent,
        dropped,
        empty: this.empty,
        socket_errors: this.errors,
      },
    };
  }
}
