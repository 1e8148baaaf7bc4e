/**
 * A server's totals, and the one-line summary printed when it stops.
 *
 * @module
 */
import { plural } from "../lib/plural.ts";

/** Totals of a server's run, for the summary line. */
export interface ServerStats {
  /** Connections accepted and served. */
  accepted: number;
  /** Connections refused at the connection limit. */
  refused: number;
  /** Connections turned away at once by `admit` (a relay's `--refuse`). */
  turnedAway: number;
  /** Connections the peer reset while they waited to be accepted. */
  aborted: number;
  /** Connections that ended with an error (reset, broken pipe...). */
  failed: number;
  /** Connections closed for being idle too long. */
  idle: number;
  /** Connections still open when the drain timed out, closed then. */
  cutOff: number;
  /** Connections accepted in the same instant as the stop, closed unserved. */
  unserved: number;
  /** Bytes read from peers. */
  bytesIn: number;
  /** Bytes written to peers. */
  bytesOut: number;
}

/** Totals of a run that has not served anyone yet. */
export function emptyStats(): ServerStats {
  return {
    accepted: 0,
    refused: 0,
    turnedAway: 0,
    aborted: 0,
    failed: 0,
    idle: 0,
    cutOff: 0,
    unserved: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/**
 * The one-line summary printed when the server stops.
 *
 * @example
 * ```ts
 * import { emptyStats, formatStats } from "./server_stats.ts";
 * console.log(formatStats(emptyStats())); // "Stopped: 0 connections served, 0 bytes in, ..."
 * ```
 */
export function formatStats(stats: ServerStats): string {
  const conns = plural(stats.accepted, "connection");
  const extra = [
    stats.refused > 0 ? `${stats.refused} refused at the limit` : "",
    stats.turnedAway > 0 ? `${stats.turnedAway} turned away (--refuse)` : "",
    stats.aborted > 0 ? `${stats.aborted} reset before accepted` : "",
    stats.idle > 0 ? `${stats.idle} closed idle` : "",
    stats.cutOff > 0 ? `${stats.cutOff} closed unfinished` : "",
    stats.unserved > 0 ? `${stats.unserved} accepted at the stop and closed unserved` : "",
  ].filter((s) => s !== "");
  return `Stopped: ${conns} served, ${stats.bytesIn} bytes in, ${stats.bytesOut} bytes out, ` +
    `${plural(stats.failed, "error")}${extra.map((e) => `, ${e}`).join("")}`;
}
