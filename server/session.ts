import type { Event, Interest, Key } from "../lib/loop.ts";

/** Backpressure thresholds, in bytes owed to one peer, that every protocol's session keeps. */
export interface Marks {
  /** Stop reading from the peer above this. */
  readonly highWater: number;
  /** Read again once the debt is at or below this. */
  readonly lowWater: number;
}

/** 1 MiB high, 512 KiB low: enough to keep a bulk sender streaming. */
export const DEFAULT_MARKS: Marks = { highWater: 1 << 20, lowWater: 1 << 19 };

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
