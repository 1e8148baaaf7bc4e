/**
 * Runs the proxies of a {@linkcode ProxyTable} on a server: each proxy an
 * entrance of its own (its listeners, its relayed connections), opened,
 * closed and refreshed as the table changes.
 *
 * @module
 */
import { addressName, localName } from "../lib/address.ts";
import { dial, listenTcp } from "../lib/transports.ts";
import type { Log } from "../lib/log.ts";
import { random } from "../lib/random.ts";
import { ACCEPTORS, BACKLOG } from "../server/host.ts";
import type { Server } from "../server/server.ts";
import { ApiError } from "./api_error.ts";
import type { Opened, Proxy, ProxyHost } from "./proxy_table.ts";
import { RelaySession } from "./relay.ts";
import { NO_FAULTS } from "./relay_flow.ts";
import { faultTrace, refusedBy } from "./relay_sessions.ts";
import type { ToxicSpec } from "./toxic_spec.ts";

/** What every proxy's connections share. */
export interface ProxySettings {
  /** Seconds a dial to an upstream may take (0: the system's limit). */
  readonly connectTimeout: number;
  /** Seeds each connection's randomness (jitter, toxicity, slicer). */
  readonly seed: number;
  readonly log: Log;
  /**
   * Another thread bound each proxy's port first (`--workers`): join its
   * `SO_REUSEPORT` group rather than check the port is free.
   */
  readonly joining?: boolean;
}

/**
 * The host of a table's proxies, once it has a server to run them on.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { ServerProxyHost } from "./proxy_host.ts";
 * import { ProxyTable } from "./proxy_table.ts";
 * const host = new ServerProxyHost({ connectTimeout: 10, seed: 1, log: new Log("normal") });
 * const table = new ProxyTable(host);
 * declare const server: import("../server/server.ts").Server;
 * host.server = server; // before the first proxy opens
 * ```
 */
export class ServerProxyHost implements ProxyHost {
  /** Where the proxies run; set before the first opens. */
  server: Server | null = null;

  /** A host whose connections follow `settings`. */
  constructor(readonly settings: ProxySettings) {}

  /** Listens for `proxy` and relays its connections through `toxics`; a 500 naming the address when it cannot. */
  open(proxy: Proxy, toxics: () => readonly ToxicSpec[]): Opened {
    const server = this.server!, settings = this.settings;
    const joining = settings.joining === true;
    const listeners = listenTcp(proxy.listen, {
      count: ACCEPTORS,
      backlog: BACKLOG,
      probed: joining,
    });
    if ("reason" in listeners) {
      throw new ApiError(500, `cannot listen on ${listeners.address}: ${listeners.reason}`);
    }
    const upstream = proxy.upstream, target = addressName(upstream);
    const options = { timeout: settings.connectTimeout };
    const address = localName(listeners[0].addr);
    const entrance = server.open(listeners, {
      labels: { proxy: proxy.name, upstream: target },
      newSession: (number) =>
        new RelaySession({
          dial: () => dial(upstream, options),
          target,
          up: NO_FAULTS,
          down: NO_FAULTS,
          toxics,
          random: random(settings.seed, number),
          trace: faultTrace(settings.log, number),
        }),
      admit: (number) => refusedBy(toxics(), settings.seed, number),
    });
    // Said once, by the thread that made it.
    if (!joining) {
      settings.log.notice(
        "proxy",
        `Proxy ${proxy.name} listening on ${address}, relaying to ${target}`,
        { proxy: proxy.name, address, target },
      );
    }
    return {
      address,
      close: (cut) => server.close(entrance, cut),
      refresh: () => server.refresh(entrance),
    };
  }
}
