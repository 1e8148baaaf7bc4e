import type { IdleNode } from "../lib/idle_list.ts";
import type { Event, Interest, Key } from "../lib/loop.ts";

/** Why a client connection failed, and whether it ever got connected. */
export interface ClientFailure {
  /** `connecting`: the handshake failed; `exchanging`: it broke later. */
  readonly during: "connecting" | "exchanging";
  /** One line: the cause. */
  readonly reason: string;
}

/**
 * The state machine of one client connection, whatever its protocol. The
 * client loop hands it every event of its key, tells it when paced messages
 * fall due and when the run is over, and asks it what it wants next.
 */
export interface ClientSession extends IdleNode {
  /** Which of the concurrent clients this connection belongs to, from 0. */
  readonly index: number;
  /** Messages or requests whose reply came back verified. */
  readonly verified: number;
  /** Set when the connection failed. */
  readonly failure: ClientFailure | null;
  /** True while it waits for the server: the handshake, or a reply still due. */
  readonly awaiting: boolean;
  /** Applies one event; returns true when the connection is finished, done or failed. */
  handle(event: Event<unknown>): boolean;
  /** What the connection wants from the loop in its current state. */
  interest(key: Key<unknown>): Interest;
  /** Open loop: this connection may now have sent `count` messages in all; it queues what it can. */
  release(key: Key<unknown>, count: number): void;
  /** The run is over: it sends nothing more; true when nothing is left in flight. */
  stop(key: Key<unknown>): boolean;
  /** The server has not answered for `seconds`: the connection fails. */
  expire(seconds: number): void;
}
