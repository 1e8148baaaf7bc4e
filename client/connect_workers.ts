import { WorkerPool } from "../lib/worker_pool.ts";
import { failureLine, type RunResult } from "./connect.ts";
import type { ConnectConfig, RunHooks } from "./connect_config.ts";
import type { ConnectWorkerDone, ConnectWorkerIn, ConnectWorkerOut } from "./connect_worker.ts";
import { IntervalGather } from "./interval_gather.ts";
import { mergeReports } from "./merge.ts";

/** Workers cannot start here: the message says why. */
export class WorkersUnavailable extends Error {}

const WORKER = new URL("./connect_worker.ts", import.meta.url);
const TICK_MS = 250;

/**
 * Runs `config` split across `config.workers` Web Workers, each with its
 * share of the clients on a loop of its own, and merges their results
 * exactly: counts summed, latency from the sum of their histograms.
 * `hooks` hear the messages done and the intervals of all of them together.
 *
 * @example
 * ```ts
 * import { runConnectWorkers } from "./connect_workers.ts";
 * import type { ConnectConfig } from "./connect_config.ts";
 * declare const config: ConnectConfig; // with workers: 4
 * const result = await runConnectWorkers(config);
 * console.log(result.report.messages_per_second);
 * ```
 */
export function runConnectWorkers(
  config: ConnectConfig,
  hooks: RunHooks = {},
  worker: URL = WORKER,
): Promise<RunResult> {
  const { onTick, onInterval, interrupt } = hooks;
  const cannot = WorkerPool.cannotStart(worker);
  if (cannot !== null) return Promise.reject(new WorkersUnavailable(cannot));
  const n = config.workers;
  const progress = new Float64Array(new SharedArrayBuffer(8 * n));
  // Stryker disable next-line ArrayDeclaration: an array that grows keeps the same order; filtered below
  const done: (ConnectWorkerDone | null)[] = new Array(n).fill(null);
  let left = n, died: string | null = null;
  const { promise, resolve } = Promise.withResolvers<void>();
  const gather = onInterval === undefined
    ? null
    : new IntervalGather(n, config.interval * 1000, onInterval);
  const ended = (index: number) => {
    gather?.ended(index);
    if (--left === 0) resolve();
  };
  // Shares differ by one at most; each worker keeps its clients' numbers.
  const first = (index: number) => Math.floor(((index - 1) * config.conns) / n);
  const pool = new WorkerPool<ConnectWorkerIn, ConnectWorkerOut>(worker, n, (index) => ({
    config,
    share: { first: first(index), count: first(index + 1) - first(index) },
    progress,
    index,
  }), {
    message(index, message) {
      if ("interval" in message) {
        gather?.add(index, message.interval);
        return;
      }
      // Stryker disable next-line ArithmeticOperator: any slot keeps the workers' order; filtered below
      done[index - 1] = message;
      ended(index);
    },
    died(index, error) {
      died ??= `worker ${index} failed: ${error}`;
      ended(index);
    },
  });
  // Each worker ends its share at once and reports what it measured.
  interrupt?.addEventListener("abort", () => pool.postAll({ interrupt: true }));
  const timer = onTick === undefined
    ? undefined
    : setInterval(() => onTick(performance.now(), progress.reduce((a, b) => a + b, 0)), TICK_MS);
  return promise.then(() => {
    clearInterval(timer);
    pool.terminate();
    const parts = done.flatMap((d, i) => d === null ? [] : [{ ...d, name: `worker ${i + 1}` }]);
    const { report, latency } = mergeReports(parts.map((d) => d.report));
    const firstFailure = died ?? parts.find((d) => d.firstFailure !== null)?.firstFailure ?? null;
    return {
      report,
      latency,
      connected: parts.reduce((sum, d) => sum + d.connected, 0),
      failure: died ?? failureLine(firstFailure, report.errors, config.conns),
      firstFailure,
      interrupted: report.interrupted === true,
      parts: parts.map((p) => ({ name: p.name, report: p.report })),
    };
  });
}
