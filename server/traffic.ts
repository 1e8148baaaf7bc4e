/**
 * What crossed a server's connections: the loop counts each key's bytes as
 * reads and writes complete; a connection's count moves to its entrance's
 * totals when it closes, and a snapshot adds the open ones', so metrics are
 * live and exact without a cost per event.
 *
 * @module
 */
import type { Connection } from "./connection.ts";

/**
 * Bytes through one entrance's connections, by leg: the accepted stream
 * (`client`) and the stream its session dialed (`target`, a relay's
 * upstream), plus the connections it accepted.
 */
export interface Traffic {
  accepted: number;
  clientIn: number;
  clientOut: number;
  targetIn: number;
  targetOut: number;
}

/** Nothing counted yet. */
export function emptyTraffic(): Traffic {
  return { accepted: 0, clientIn: 0, clientOut: 0, targetIn: 0, targetOut: 0 };
}

/**
 * Adds what `conn` carried so far to `into`.
 *
 * @example
 * ```ts
 * import { addTraffic, emptyTraffic } from "./traffic.ts";
 * import type { Connection } from "./connection.ts";
 * declare const conn: Connection; // 10 bytes read from its client so far
 * const total = emptyTraffic();
 * addTraffic(total, conn);
 * console.log(total.clientIn); // 10
 * ```
 */
export function addTraffic(into: Traffic, conn: Connection): void {
  const client = conn.key!, target = conn.dialed?.[0] ?? null;
  into.clientIn += client.bytesRead;
  into.clientOut += client.bytesWritten;
  if (target === null) return;
  into.targetIn += target.bytesRead;
  into.targetOut += target.bytesWritten;
}

/** What `entrance`'s connections carried: those closed, and the open ones so far. */
export function liveTraffic(closed: Traffic, open: Iterable<Connection>): Traffic {
  const total = { ...closed };
  for (const conn of open) addTraffic(total, conn);
  return total;
}
