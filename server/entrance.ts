/**
 * An entrance to a server: its listeners, what it serves each connection
 * with, and the connections that came in through it, so that an entrance
 * can be closed with or without them, or its connections told that their
 * settings changed (a relay's proxy disabled, a toxic added).
 *
 * @module
 */
import { localName } from "../lib/address.ts";
import type { Acceptor, Key } from "../lib/loop.ts";
import type { Labels } from "../lib/prometheus_text.ts";
import { emptyTraffic, type Traffic } from "./traffic.ts";
import type { Connection, Owner } from "./connection.ts";
import type { Server } from "./server.ts";
import type { Session } from "./session.ts";

/** What a host serves each connection with: the part of a server that is the command's own. */
export interface Sessions {
  /** The state machine of the `number`th accepted connection. */
  readonly newSession: (number: number) => Session;
  /** A session that tells a peer refused at `--max-conns` why; absent: closed at once. */
  readonly refusal?: (number: number) => Session;
  /** Why the `number`th connection is turned away at once, or null to serve it. */
  readonly admit?: (number: number) => string | null;
  /**
   * The command's own set-up once its server is built, before it runs (the
   * relay API opens its proxies); why it cannot start, or null.
   */
  readonly start?: (server: Server) => string | null;
  /** What must end before the process does, once its server stopped (`--exec`'s children). */
  readonly finish?: () => Promise<void>;
  /** What names its entrance in metrics (a relay's proxy: its name, listener and upstream). */
  readonly labels?: Labels;
}

/** Listeners of one server that serve their connections alike. */
export interface Entrance {
  readonly kind: "entrance";
  /** How its connections are served. */
  readonly sessions: Sessions;
  /** Its listeners' keys; emptied when it closes. */
  readonly keys: Key<Owner>[];
  /** The connections open that came in through it. */
  readonly conns: Set<Connection>;
  /** What names it in metrics (a relay's proxy: its name, listener and upstream); null: unnamed. */
  readonly labels: Labels | null;
  /** What its connections carried so far. */
  readonly traffic: Traffic;
}

/**
 * A new entrance serving with `sessions`, its `listeners` not yet
 * registered; named in metrics by its sessions' labels and the address it
 * listens on (`listener`, its port as bound).
 */
export function newEntrance(sessions: Sessions, listeners: readonly Acceptor[] = []): Entrance {
  const addr = (listeners[0] as Partial<Deno.Listener> | undefined)?.addr;
  const labels = sessions.labels === undefined
    ? null
    : { ...sessions.labels, ...(addr === undefined ? {} : { listener: localName(addr) }) };
  return {
    kind: "entrance",
    sessions,
    keys: [],
    conns: new Set(),
    labels,
    traffic: emptyTraffic(),
  };
}
