/**
 * Runs a server on the connection host until signalled: its listeners on
 * this thread or on `--workers`, the first line, the drain on SIGINT or
 * SIGTERM, and the summary. serve and relay both end up here.
 *
 * @module
 */
import { localName } from "../lib/address.ts";
import { removeSocket } from "../lib/transports.ts";
import { Log, type LogFields } from "../lib/log.ts";
import { listenFor, logListenFailure, logTuning, newServer } from "./host.ts";
import { formatStats, type ServerStats } from "./server_stats.ts";
import { ApiWorkers } from "../relay/api_workers.ts";
import { MetricsBoard } from "./metrics_board.ts";
import { type MetricsEndpoint, serveMetrics } from "./metrics_endpoint.ts";
import { ServeWorkers } from "./serve_workers.ts";
import { type ServerConfig, sessionsFor } from "./sessions_for.ts";

/**
 * Runs the server `config` asks for until signalled; `listening` words the
 * first line once the address is known. Resolves to the exit code: 0, 1
 * when it cannot listen or a worker died, 130 when a second signal cut the
 * drain short.
 */
export async function runServer(
  config: ServerConfig,
  listening: (address: string) => { text: string; fields: LogFields },
): Promise<number> {
  const log = new Log(
    config.verbosity,
    config.logFormat,
    undefined,
    config.workers > 1 ? { worker: null } : {},
  );
  // Heard from the start: a signal that comes before the server runs stops it as it starts.
  let signals = 0;
  let stop: (() => void) | null = null;
  const onSignal = () => {
    signals++;
    stop?.();
  };
  const arm = (stopping: () => void) => {
    stop = stopping;
    for (let i = 0; i < signals; i++) stopping();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await serveUntilStopped(config, listening, log, arm, () => signals);
  } finally {
    // Stryker disable next-line StringLiteral: the command ends right after, listeners or not
    Deno.removeSignalListener("SIGINT", onSignal);
    // Stryker disable next-line StringLiteral: as above
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

// The server's run from its listeners to its summary; `arm` hands over how to stop it.
async function serveUntilStopped(
  config: ServerConfig,
  listening: (address: string) => { text: string; fields: LogFields },
  log: Log,
  arm: (stop: () => void) => void,
  signals: () => number,
): Promise<number> {
  let finished: Promise<{ stats: ServerStats; died: boolean }>;
  const board = new MetricsBoard();
  let metrics: MetricsEndpoint | null = null;
  if (config.workers === 1) {
    const listeners = await listenFor(config);
    if ("reason" in listeners) {
      logListenFailure(log, listeners);
      return 1;
    }
    const line = listening(localName(listeners[0].addr));
    log.notice("listening", line.text, line.fields);
    logTuning(log, config.address.transport === "tcp");
    const sessions = sessionsFor(config, log, board);
    const server = newServer(config, sessions, listeners, log);
    board.local = () => server.snapshot();
    const opened = openMetrics(config, board, log);
    const failed = opened === "failed" ? "" : sessions.start?.(server) ?? null;
    metrics = opened === "failed" ? null : opened;
    if (failed !== null) {
      if (failed !== "") log.error("start_failed", `sockdemo: ${failed}`, { reason: failed });
      await metrics?.stop();
      server.stop();
      server.stop();
      await server.run();
      return 1;
    }
    arm(() => server.stop());
    // The socket file outlives its listener: it goes when the server does.
    finished = server.run().then(async (stats) => {
      removeSocket(config.address);
      await sessions.finish?.();
      return { stats, died: false };
    });
  } else {
    const workers = config.command === "relay-api"
      ? new ApiWorkers(config, log)
      : new ServeWorkers(config, log);
    workers.board = board;
    const address = await workers.listen();
    if (address === null) return 1;
    const line = listening(address);
    log.notice("listening", line.text, line.fields);
    logTuning(log, true);
    const opened = openMetrics(config, board, log);
    const failed = opened === "failed"
      ? ""
      : workers instanceof ApiWorkers
      ? workers.start()
      : null;
    metrics = opened === "failed" ? null : opened;
    if (failed !== null) {
      if (failed !== "") log.error("start_failed", `sockdemo: ${failed}`, { reason: failed });
      await metrics?.stop();
      workers.stop();
      workers.stop();
      await workers.run();
      return 1;
    }
    arm(() => workers.stop());
    finished = workers.run().then((outcome) => {
      const counts = outcome.accepted.map((n, i) => `${i + 1}: ${n ?? "died"}`).join(", ");
      log.debug("workers", `Accepted per worker: ${counts}`, {
        accepted: outcome.accepted.map((n) => n ?? -1).join(","),
      });
      return outcome;
    });
  }
  const { stats, died } = await finished;
  await metrics?.stop();
  log.notice("stopped", formatStats(stats), {
    served: stats.accepted,
    refused: stats.refused,
    turned_away: stats.turnedAway,
    aborted: stats.aborted,
    errors: stats.failed,
    idle_closed: stats.idle,
    cut_off: stats.cutOff,
    unserved: stats.unserved,
    bytes_in: stats.bytesIn,
    bytes_out: stats.bytesOut,
  });
  if (died) return 1;
  // A second signal means "now": the exit code says the drain was cut short.
  return signals() > 1 ? 130 : 0;
}

// Serves `--metrics` from `board`, with its line; "failed" after the error line when it cannot listen.
function openMetrics(
  config: ServerConfig,
  board: MetricsBoard,
  log: Log,
): MetricsEndpoint | null | "failed" {
  if (config.metrics === null) return null;
  const endpoint = serveMetrics(config.metrics, board);
  if ("reason" in endpoint) {
    logListenFailure(log, endpoint);
    return "failed";
  }
  const url = `http://${endpoint.address}/metrics`;
  log.notice("metrics", `Metrics on ${url}`, { url });
  return endpoint;
}
