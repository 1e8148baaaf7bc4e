import type { LogFields } from "../lib/log.ts";
import type { Event, Interest, Key, Stream } from "../lib/loop.ts";

/**
 * The state machine of one server connection, whatever its protocol. The
 * serve loop hands it every event of its key and asks it what it wants next.
 */
export interface Session {
  /** Name of the state the connection is in, for logs. */
  readonly stateName: string;
  /** Why it ended: `null` while open or after a clean close, else the cause. */
  readonly failure: string | null;
  /**
   * Called once the connection is registered, to queue what it says first,
   * if anything; `dial` registers another stream (a relay's target; a
   * child's pipes, standard error and exit) whose events come to this
   * session too, and which closes with the connection; each call one more.
   */
  start?(key: Key<unknown>, dial: (dialing: Promise<Stream>) => Key<unknown>): void;
  /** Applies one event, of its key or a dialed one; returns true when the connection is finished. */
  handle(event: Event<unknown>): boolean;
  /** What the session wants from the loop for `key` (either of its keys) in its current state. */
  interest(key: Key<unknown>): Interest;
  /** When {@linkcode Session.tick} is next due (ms, `performance.now()`); absent or `Infinity`: never. */
  wakeAt?(): number;
  /** Lets time pass to `now` (held bytes come due); returns true when the connection is finished. */
  tick?(now: number): boolean;
  /** What the logs call `key` ("client", "target") where a session has two; absent: one key. */
  label?(key: Key<unknown>): string;
  /**
   * Bytes the connection holds for its peer or on its behalf, for the
   * server's buffer budget; absent: what its key owes (a session that
   * dials must say, for both its keys).
   */
  held?(key: Key<unknown>): number;
  /**
   * The server cannot make room for what this connection needs (its reads
   * stayed stopped by the buffer budget past a deadline): tell the peer and
   * finish (the app protocol's `server busy`). Returns true when finished;
   * absent: the connection just waits.
   */
  overloaded?(key: Key<unknown>): boolean;
  /**
   * The server drains: true to close now (nothing under way, as a kept-alive
   * HTTP connection between requests); otherwise it finishes what it is
   * doing and closes then. Absent: it runs to its end.
   */
  drain?(): boolean;
  /**
   * Its settings changed while it runs (a relay's toxics): it takes them up
   * from `now`. Returns true when that finished it; absent: nothing changes.
   */
  refresh?(now: number): boolean;
  /** More for the closing line (a relay's other leg, the faults that fired), or null. */
  summary?(): { readonly text: string; readonly fields: LogFields } | null;
}
