/**
 * What a {@linkcode Server} is built with besides its listeners.
 *
 * @module
 */
import type { BufferPool } from "../lib/buffer_pool.ts";
import type { Log } from "../lib/log.ts";
import type { AdmissionOptions } from "./admission.ts";
import type { Sessions } from "./entrance.ts";

/** What a server needs besides its listeners; the sessions are those of the listeners it starts with. */
export interface ServerOptions extends AdmissionOptions, Sessions {
  /** Where connection and event lines go. */
  readonly log: Log;
  /** Close a connection with no traffic either way for this many seconds (default: never). */
  readonly idleTimeout?: number;
  /** After a stop, how long open connections may still finish, in seconds (default 10). */
  readonly drainTimeout?: number;
  /** Where read buffers and output chunks come from; its sizes bound a read. */
  readonly pool?: BufferPool;
  /** Print the "Draining" line on a stop (default true); workers leave it to their coordinator. */
  readonly announceDrain?: boolean;
  /**
   * Bytes all connections together may hold (owed output, partial requests)
   * before reads stop on those holding the most (default: no limit).
   */
  readonly maxBuffer?: number;
  /**
   * How long, in seconds, a connection may wait for room in that budget
   * before its session is told it is overloaded (the app's `server busy`; default 5).
   */
  readonly busyTimeout?: number;
  /**
   * Runs a full garbage collection, once the loop has been quiet for a second
   * after a thousand connections came or went (default: `collectGarbage`).
   */
  readonly collect?: () => boolean;
}
