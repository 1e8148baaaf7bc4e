/**
 * The module each `serve --workers` worker runs: its own listener (sharing
 * the port through `SO_REUSEPORT`), loop and {@linkcode Server}, numbering
 * connections and counting the open ones in the coordinator's shared tally.
 *
 * @module
 */
import { ConnTally } from "../lib/conn_tally.ts";
import { Log } from "../lib/log.ts";
import { PoolWorker } from "../lib/pool_worker.ts";
import type { Server } from "./server.ts";
import type { ServerSnapshot } from "./server_metrics.ts";
import type { ServerStats } from "./server_stats.ts";
import { postSnapshots } from "./snapshot_poster.ts";
import type { ListenFailure } from "../lib/transports.ts";
import { listenFor, newServer } from "./host.ts";
import { type ServerConfig, sessionsFor } from "./sessions_for.ts";

/** What the coordinator posts a worker: how to start, then the stop (twice to stop now). */
export type ServeWorkerIn =
  | {
    readonly type: "start";
    readonly config: ServerConfig;
    /** The port every worker listens on. */
    readonly port: number;
    /** The {@linkcode ConnTally} all workers share. */
    readonly tally: SharedArrayBuffer;
    readonly index: number;
  }
  | { readonly type: "stop" };

/** What a worker posts back: listening or not, its metrics (with `--metrics`), then its totals once it stopped. */
export type ServeWorkerOut =
  | { readonly type: "listening" }
  | { readonly type: "failed"; readonly failure: ListenFailure }
  | { readonly type: "metrics"; readonly snapshot: ServerSnapshot }
  | { readonly type: "stopped"; readonly stats: ServerStats };

let server: Server | null = null;
let stops = 0; // a stop may come before the server exists
new PoolWorker<ServeWorkerIn, ServeWorkerOut>(async (message, worker) => {
  if (message.type === "stop") {
    stops++;
    server?.stop();
    return;
  }
  const { config, port, tally, index } = message;
  if (config.address.transport !== "tcp") throw new Error("workers listen on TCP only");
  const listener = await listenFor(config, { ...config.address, port });
  if ("reason" in listener) {
    worker.post({ type: "failed", failure: listener });
    worker.close();
    return;
  }
  const log = new Log(config.verbosity, config.logFormat, undefined, { worker: index });
  const sessions = sessionsFor(config, log);
  server = newServer(config, sessions, listener, log, new ConnTally(tally, index - 1), false);
  for (let i = 0; i < stops; i++) server.stop();
  worker.post({ type: "listening" });
  const stopPosting = config.metrics === null
    ? null
    : postSnapshots(server, (snapshot) => worker.post({ type: "metrics", snapshot }));
  const stats = await server.run();
  await sessions.finish?.();
  stopPosting?.();
  worker.post({ type: "stopped", stats });
  worker.close();
});
