/**
 * The module each `connect --workers` worker runs: its share of the clients
 * on a readiness loop of its own, then its report back to the coordinator.
 *
 * @module
 */
import { PoolWorker } from "../lib/pool_worker.ts";
import { type ConnectConfig, runConnect } from "./connect_config.ts";
import type { IntervalReport } from "./intervals.ts";
import type { Report } from "./report.ts";

/** What the coordinator posts a worker: its share to start, then maybe an interrupt. */
export type ConnectWorkerIn = ConnectWorkerStart | { readonly interrupt: true };

/** What the coordinator posts a worker to start it. */
export interface ConnectWorkerStart {
  readonly config: ConnectConfig;
  readonly share: { readonly first: number; readonly count: number };
  /** Messages done so far by each worker, for the progress line; this worker writes `[index - 1]`. */
  readonly progress: Float64Array;
  readonly index: number;
}

/** What a worker posts: each interval as it closes, then what its share did. */
export type ConnectWorkerOut = { readonly interval: IntervalReport } | ConnectWorkerDone;

/** What a worker posts back when its share is done. */
export interface ConnectWorkerDone {
  readonly report: Report;
  readonly connected: number;
  readonly firstFailure: string | null;
}

const interrupt = new AbortController();
new PoolWorker<ConnectWorkerIn, ConnectWorkerOut>(async (start, worker) => {
  if ("interrupt" in start) {
    interrupt.abort();
    return;
  }
  const { config, share, progress, index } = start;
  const result = await runConnect(config, share, {
    onTick: (_now, messages) => {
      progress[index - 1] = messages;
    },
    onInterval: (interval) => worker.post({ interval }),
    interrupt: interrupt.signal,
  });
  progress[index - 1] = result.report.messages;
  worker.post({
    report: result.report,
    connected: result.connected,
    firstFailure: result.firstFailure,
  });
  worker.close();
});
