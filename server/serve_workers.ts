import { ConnTally } from "../lib/conn_tally.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log } from "../lib/log.ts";
import { WorkerPool } from "../lib/worker_pool.ts";
import type { MetricsBoard } from "./metrics_board.ts";
import { emptyStats, type ServerStats } from "./server_stats.ts";
import { logDraining } from "./tracer.ts";
import { type ListenFailure, probe } from "../lib/transports.ts";
import { logListenFailure } from "./host.ts";
import type { ServerConfig } from "./sessions_for.ts";
import type { ServeWorkerIn, ServeWorkerOut } from "./serve_worker.ts";

const WORKER = new URL("./serve_worker.ts", import.meta.url);

/** How a many-worker server ended. */
export interface WorkersOutcome {
  /** Totals over all workers that reported (a dead worker's are lost). */
  readonly stats: ServerStats;
  /** Connections each worker accepted, worker 1 first; null for a worker that died. */
  readonly accepted: (number | null)[];
  /** True when a worker died of an uncaught exception. */
  readonly died: boolean;
}

/**
 * `serve --workers N`: N Web Workers, each with a readiness loop, a
 * {@linkcode Server} and a listener of its own on one port (`SO_REUSEPORT`:
 * the kernel spreads the connections), behaving as one server: one shared
 * tally of connection numbers and open connections, one drain, one outcome.
 * A worker that dies is reported; the others drain and the outcome says so.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { ServeWorkers } from "./serve_workers.ts";
 * import type { ServerConfig } from "./sessions_for.ts";
 * declare const config: ServerConfig; // workers: 4
 * const workers = new ServeWorkers(config, new Log("normal"));
 * const address = await workers.listen();
 * if (address !== null) setTimeout(() => workers.stop(), 1000);
 * const outcome = await workers.run();
 * ```
 */
export class ServeWorkers {
  readonly #config: ServerConfig;
  readonly #log: Log;
  readonly #url: URL;
  readonly #tally: ConnTally;
  #pool: WorkerPool<ServeWorkerIn, ServeWorkerOut> | null = null;
  /** Where the workers' metrics go, when they are served (`--metrics`). */
  board: MetricsBoard | null = null;
  // Stryker disable next-line ArrayDeclaration: listen() sets it before any worker can report
  #stats: (ServerStats | null)[] = [];
  #stops = 0;
  #died = false;
  #left = 0;
  #listening = Promise.withResolvers<boolean>();
  #ended = Promise.withResolvers<void>();

  /** Workers for `config`, logging through `log`; `url` is the worker module (tests swap it). */
  constructor(config: ServerConfig, log: Log, url: URL = WORKER) {
    this.#config = config;
    this.#log = log;
    this.#url = url;
    this.#tally = new ConnTally(new SharedArrayBuffer(ConnTally.bytes(config.workers)));
  }

  /**
   * Starts the workers. Resolves to the address they all listen on, or to
   * null, after an error line, when they cannot (port in use, no `SO_REUSEPORT`).
   */
  async listen(): Promise<string | null> {
    const config = this.#config, n = config.workers;
    // Stryker disable all: only reachable off Linux, where this suite does not run
    if (Deno.build.os !== "linux") {
      this.#log.error(
        "listen_failed",
        `sockdemo: --workers needs SO_REUSEPORT listeners, which Deno offers on Linux only ` +
          `(this is ${Deno.build.os}); run without --workers`,
        { reason: "no SO_REUSEPORT" },
      );
      return null;
    }
    // Stryker restore all
    const cannot = WorkerPool.cannotStart(this.#url);
    if (cannot !== null) {
      this.#log.error("workers_failed", `sockdemo: ${cannot}`, { reason: cannot });
      return null;
    }
    if (config.address.transport !== "tcp") return null; // a usage error stops that first
    const free = probe(config.address);
    if ("reason" in free) {
      this.#fail(free);
      return null;
    }
    const { host: hostname, port } = free;
    this.#left = n;
    this.#stats = new Array(n).fill(null);
    let listening = 0;
    const tally = this.#tally;
    this.#pool = new WorkerPool<ServeWorkerIn, ServeWorkerOut>(this.#url, n, (index) => ({
      type: "start",
      config,
      port,
      tally: tally.buffer as SharedArrayBuffer,
      index,
    }), {
      message: (index, message) => {
        switch (message.type) {
          case "listening":
            if (++listening === n) this.#listening.resolve(true);
            return;
          case "failed":
            this.#fail(message.failure);
            this.#ended1();
            return;
          case "metrics":
            this.board?.post(index, message.snapshot);
            return;
          case "stopped":
            this.#stats[index - 1] = message.stats;
            this.#ended1();
            return;
        }
      },
      died: (index, error) => {
        this.#died = true;
        // Its connections died with it.
        this.#tally.forget(index - 1);
        this.#log.error("worker_failed", `sockdemo: worker ${index} failed: ${error}`, {
          worker: index,
          reason: error,
        });
        // Before all listen, the server never started; after, the others finish what they have.
        this.#listening.resolve(false);
        if (this.#stops === 0) this.stop();
        this.#ended1();
      },
    });
    const ok = await this.#listening.promise;
    if (!ok) {
      this.#pool.terminate();
      this.#ended.resolve();
      return null;
    }
    return hostPort(hostname, port);
  }

  /** Resolves once every worker has stopped (or died), with their totals. */
  async run(): Promise<WorkersOutcome> {
    await this.#ended.promise;
    // Stryker disable next-line OptionalChaining: run() comes after a successful listen(), which made the pool
    this.#pool?.terminate();
    const stats = emptyStats();
    for (const part of this.#stats) {
      if (part === null) continue;
      for (const name of Object.keys(stats) as (keyof ServerStats)[]) stats[name] += part[name];
    }
    return { stats, accepted: this.#stats.map((s) => s?.accepted ?? null), died: this.#died };
  }

  /** First call: every worker drains, within one drain timeout. A second call: all stop now. */
  stop(): void {
    // Stryker disable next-line UpdateOperator: counting down is as good: only the first call is 0
    if (this.#stops++ === 0) {
      const open = this.#tally.open, seconds = this.#config.drainTimeout;
      if (open > 0) {
        logDraining(this.#log, open, seconds);
      }
    }
    // Stryker disable next-line OptionalChaining: a stop before listen() has nobody to tell; after it, the pool exists
    this.#pool?.postAll({ type: "stop" });
  }

  // A worker could not listen: the server cannot start, so every worker stops.
  #fail(failure: ListenFailure): void {
    logListenFailure(this.#log, failure);
    this.#listening.resolve(false);
  }

  // Every worker listens, fails or dies before it can end, so `listening` is settled by then.
  #ended1(): void {
    if (--this.#left === 0) this.#ended.resolve();
  }
}
