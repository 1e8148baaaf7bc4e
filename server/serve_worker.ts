/**
 * The module each `serve --workers` worker runs: its own listener (sharing
 * the port through `SO_REUSEPORT`), loop and {@linkcode Server}, numbering
 * connections and counting the open ones in the coordinator's shared tally.
 *
 * @module
 */
import { ConnTally } from "../lib/conn_tally.ts";
import { Log } from "../lib/log.ts";
import type { Server, ServerStats } from "./serve.ts";
import { listen, type ListenFailure, newServer, type ServeConfig } from "./serve_config.ts";

/** What the coordinator posts a worker: how to start, then the stop (twice to stop now). */
export type ServeWorkerIn =
  | {
    readonly type: "start";
    readonly config: ServeConfig;
    /** The port every worker listens on. */
    readonly port: number;
    /** The {@linkcode ConnTally} all workers share. */
    readonly tally: SharedArrayBuffer;
    readonly index: number;
  }
  | { readonly type: "stop" };

/** What a worker posts back: listening or not, then its totals once it stopped. */
export type ServeWorkerOut =
  | { readonly type: "listening" }
  | { readonly type: "failed"; readonly failure: ListenFailure }
  | { readonly type: "stopped"; readonly stats: ServerStats };

interface WorkerScope {
  onmessage: ((e: MessageEvent<ServeWorkerIn>) => void) | null;
  postMessage(message: ServeWorkerOut): void;
  close(): void;
}

const scope = self as unknown as WorkerScope;
let server: Server | null = null;
let stops = 0; // a stop may come before the server exists
scope.onmessage = async (e) => {
  const message = e.data;
  if (message.type === "stop") {
    stops++;
    server?.stop();
    return;
  }
  const { config, port, tally, index } = message;
  const listener = listen(config, port, true);
  if ("reason" in listener) {
    scope.postMessage({ type: "failed", failure: listener });
    scope.close();
    return;
  }
  const log = new Log(config.verbosity, config.logFormat, undefined, { worker: index });
  server = newServer(config, listener, log, new ConnTally(tally), false);
  for (let i = 0; i < stops; i++) server.stop();
  scope.postMessage({ type: "listening" });
  const stats = await server.run();
  scope.postMessage({ type: "stopped", stats });
  scope.close();
};
