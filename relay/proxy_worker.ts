/**
 * The module each `relay --api --workers` worker runs: a loop and a
 * {@linkcode Server} of its own, with no API. The coordinator, which serves
 * the API, tells it each change: a proxy to open (it joins the proxy's
 * `SO_REUSEPORT` group), closed, or its toxics changed. Connection numbers
 * and the open count live in the coordinator's shared tally.
 *
 * @module
 */
import type { TcpAddress } from "../lib/address.ts";
import { ConnTally } from "../lib/conn_tally.ts";
import { Log } from "../lib/log.ts";
import { PoolWorker } from "../lib/pool_worker.ts";
import { newServer } from "../server/host.ts";
import type { Server } from "../server/server.ts";
import type { ServerSnapshot } from "../server/server_metrics.ts";
import type { ServerStats } from "../server/server_stats.ts";
import { postSnapshots } from "../server/snapshot_poster.ts";
import type { RelayApiConfig } from "./api_relay.ts";
import { ServerProxyHost } from "./proxy_host.ts";
import type { Opened } from "./proxy_table.ts";
import type { ToxicSpec } from "./toxic_spec.ts";

/** What the coordinator posts a worker: how to start, each change of the proxies, and the stop. */
export type ProxyWorkerIn =
  | {
    readonly type: "start";
    readonly config: RelayApiConfig;
    /** The {@linkcode ConnTally} the coordinator and all workers share. */
    readonly tally: SharedArrayBuffer;
    /** Its slot in the tally (the coordinator has 0). */
    readonly index: number;
  }
  | {
    readonly type: "open";
    readonly name: string;
    /** The address the coordinator bound, its port chosen. */
    readonly listen: TcpAddress;
    readonly upstream: TcpAddress;
    readonly toxics: readonly ToxicSpec[];
  }
  | { readonly type: "close"; readonly name: string; readonly cut: string | null }
  | { readonly type: "toxics"; readonly name: string; readonly toxics: readonly ToxicSpec[] }
  | { readonly type: "stop" };

/** What a worker posts back: ready, a proxy it could not join, its metrics as it runs, and its totals once stopped. */
export type ProxyWorkerOut =
  | { readonly type: "ready" }
  | { readonly type: "failed"; readonly name: string; readonly reason: string }
  | { readonly type: "metrics"; readonly snapshot: ServerSnapshot }
  | { readonly type: "stopped"; readonly stats: ServerStats };

// Both set at the start, which the pool posts before anything else.
let server: Server | null = null;
let host: ServerProxyHost | null = null;
const proxies = new Map<string, { opened: Opened; toxics: readonly ToxicSpec[] }>();

new PoolWorker<ProxyWorkerIn, ProxyWorkerOut>(async (message, worker) => {
  switch (message.type) {
    case "start": {
      const { config, tally, index } = message;
      const log = new Log(config.verbosity, config.logFormat, undefined, { worker: index });
      // Stryker disable next-line ObjectLiteral,ArrowFunction: it starts with no listener, so with no sessions to make
      const none = { newSession: () => null as never };
      // Stryker disable next-line BooleanLiteral: only a subprocess shows a worker's drain line, and the drain is the same either way
      server = newServer(config, none, [], log, new ConnTally(tally, index), false);
      host = new ServerProxyHost({
        connectTimeout: config.connectTimeout,
        seed: config.seed,
        log,
        joining: true,
      });
      host.server = server;
      worker.post({ type: "ready" });
      // The API's /metrics shows every worker's.
      const stopPosting = postSnapshots(
        server,
        (snapshot) => worker.post({ type: "metrics", snapshot }),
      );
      const stats = await server.run();
      stopPosting();
      // Stryker disable next-line StringLiteral: the coordinator takes any message but ready, failed and metrics as the stop
      worker.post({ type: "stopped", stats });
      worker.close();
      return;
    }
    case "open": {
      const { name, listen, upstream, toxics } = message;
      const entry = { opened: null as unknown as Opened, toxics };
      try {
        // Stryker disable next-line BooleanLiteral: the coordinator posts only the proxies it opened
        const proxy = { name, listen, upstream, enabled: true, toxics, opened: null };
        entry.opened = host!.open(proxy, () => entry.toxics);
        proxies.set(name, entry);
      } catch (e) {
        worker.post({ type: "failed", name, reason: (e as Error).message });
      }
      return;
    }
    case "close":
      proxies.get(message.name)?.opened.close(message.cut);
      proxies.delete(message.name);
      return;
    case "toxics": {
      const entry = proxies.get(message.name);
      if (entry === undefined) return;
      entry.toxics = message.toxics;
      entry.opened.refresh();
      return;
    }
    case "stop":
      server!.stop();
      return;
  }
});
