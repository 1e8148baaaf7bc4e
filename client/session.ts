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
 * client loop hands it every event of its key and asks it what it wants next.
 */
export interface ClientSession {
  /** Which of the concurrent clients this connection belongs to, from 0. */
  readonly index: number;
  /** Messages or requests whose reply came back verified. */
  readonly verified: number;
  /** Set when the connection failed. */
  readonly failure: ClientFailure | null;
  /** Applies one event; returns true when the connection is finished, done or failed. */
  handle(event: Event<unknown>): boolean;
  /** What the connection wants from the loop in its current state. */
  interest(key: Key<unknown>): Interest;
}
