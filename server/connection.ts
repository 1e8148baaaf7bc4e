/**
 * A connection as the server's parts see it: its number, its state
 * machine, its keys, and the fields each part keeps on it (the connection
 * table's idle links, the budget's charge, the timers' entries).
 *
 * @module
 */
import type { IdleNode } from "../lib/idle_list.ts";
import type { Key } from "../lib/loop.ts";
import type { Timer } from "../lib/timer_heap.ts";
import type { Entrance } from "./entrance.ts";
import type { Session } from "./session.ts";

/** What a key of the server's loop carries: its connection, or a listener's entrance. */
export type Owner = Connection | Entrance;

/** An entry of the server's one timer heap: what is due, and for whom. */
export type Due =
  & Timer
  & (
    /** A session's tick (a relay's held bytes come due). */
    | { readonly kind: "tick"; readonly conn: Connection }
    /** A throttled connection has waited its time for room in the budget. */
    | { readonly kind: "busy"; readonly conn: Connection }
    /** The oldest idle connection may have been idle too long. */
    | { readonly kind: "idle" }
    /** The oldest refused connection may have lingered long enough. */
    | { readonly kind: "linger" }
    /** The drain's time is up. */
    | { readonly kind: "drain" }
    /** The loop may have been quiet long enough to tidy the heap. */
    | { readonly kind: "tidy" }
  );

/** One accepted connection. */
export interface Connection extends IdleNode {
  readonly kind: "conn";
  /** The entrance it came in through. */
  readonly entrance: Entrance;
  /** 1 for the first connection accepted, and so on: the `#N` of the log lines. */
  readonly number: number;
  readonly session: Session;
  /**
   * Refused at the limit: its session only says so. It never counts against
   * the limit, and lingers (by refusal time) instead of sitting among the idle.
   */
  readonly refused: boolean;
  /** Its registration, set right after registering. */
  key: Key<Owner> | null;
  /** The streams its session dialed (a relay's target first), if any: their events come here too. */
  dialed: Key<Owner>[] | null;
  /** Bytes it holds, as last charged to the buffer budget. */
  held: number;
  /** Since when the buffer budget has stopped its reads; null while it may read. */
  throttledSince: number | null;
  /** Its entries in the timer heap, made once so scheduling allocates nothing. */
  readonly tickDue: Due;
  readonly busyDue: Due;
}

/** A new connection numbered `number` with `session`, come in through `entrance`, not yet registered. */
export function newConnection(
  number: number,
  session: Session,
  refused: boolean,
  entrance: Entrance,
): Connection {
  const conn = {
    kind: "conn",
    entrance,
    number,
    session,
    refused,
    key: null,
    dialed: null,
    held: 0,
    throttledSince: null,
    idlePrev: null,
    idleNext: null,
    lastActive: 0,
    // Declared here so every connection has one shape: the entries need it made first.
    tickDue: null,
    busyDue: null,
  } as unknown as { -readonly [K in keyof Connection]: Connection[K] };
  conn.tickDue = { kind: "tick", conn, at: Infinity, slot: -1 };
  conn.busyDue = { kind: "busy", conn, at: Infinity, slot: -1 };
  return conn;
}
