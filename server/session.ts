import type { Event, Interest, Key } from "../lib/loop.ts";

/**
 * The state machine of one server connection, whatever its protocol. The
 * serve loop hands it every event of its key and asks it what it wants next.
 */
export interface Session {
  /** Name of the state the connection is in, for logs. */
  readonly stateName: string;
  /** Why it ended: `null` while open or after a clean close, else the cause. */
  readonly failure: string | null;
  /** Called once the connection is registered, to queue what it says first, if anything. */
  start?(key: Key<unknown>): void;
  /** Applies one event; returns true when the connection is finished. */
  handle(event: Event<unknown>): boolean;
  /** What the connection wants from the loop in its current state. */
  interest(key: Key<unknown>): Interest;
}
