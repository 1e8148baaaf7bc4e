/**
 * `relay --api --workers N`: this thread serves the API and relays too; N-1
 * workers relay beside it. Every change made through the API is made here
 * first (so the answer tells the truth: the port is listening) and then
 * posted to every worker, which joins each proxy's `SO_REUSEPORT` group,
 * leaves it, or takes up its new toxics. One tally numbers the connections
 * of all, one drain stops all, one summary adds them up.
 *
 * @module
 */
import { localName, parseAddress, type TcpAddress } from "../lib/address.ts";
import { ConnTally } from "../lib/conn_tally.ts";
import type { Log } from "../lib/log.ts";
import { WorkerPool } from "../lib/worker_pool.ts";
import { listenFor, logListenFailure, newServer } from "../server/host.ts";
import type { Server } from "../server/server.ts";
import { emptyStats, type ServerStats } from "../server/server_stats.ts";
import type { WorkersOutcome } from "../server/serve_workers.ts";
import { logDraining } from "../server/tracer.ts";
import type { MetricsBoard } from "../server/metrics_board.ts";
import { apiSessions, type RelayApiConfig } from "./api_relay.ts";
import type { ProxyWorkerIn, ProxyWorkerOut } from "./proxy_worker.ts";
import type { Opened, ProxyHost } from "./proxy_table.ts";

const WORKER = new URL("./proxy_worker.ts", import.meta.url);

/**
 * The API's thread and its workers, run as one relay.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { ApiWorkers } from "./api_workers.ts";
 * declare const config: import("./api_relay.ts").RelayApiConfig; // workers: 2
 * const relay = new ApiWorkers(config, new Log("normal"));
 * const address = await relay.listen();
 * if (address !== null) setTimeout(() => relay.stop(), 1000);
 * const outcome = await relay.run();
 * ```
 */
export class ApiWorkers {
  readonly #config: RelayApiConfig;
  readonly #log: Log;
  readonly #url: URL;
  readonly #tally: ConnTally;
  #pool: WorkerPool<ProxyWorkerIn, ProxyWorkerOut> | null = null;
  #server: Server | null = null;
  #sessions: ReturnType<typeof apiSessions> | null = null;
  /** Where the metrics go: this thread's server's and the workers'. */
  board: MetricsBoard | null = null;
  #running: Promise<ServerStats> | null = null;
  #stats!: (ServerStats | null)[];
  #left = 0;
  #stops = 0;
  #died = false;
  #ready = Promise.withResolvers<boolean>();
  #ended = Promise.withResolvers<void>();

  /** The relay `config` asks for, logging through `log`; `url` is the worker module (tests swap it). */
  constructor(config: RelayApiConfig, log: Log, url: URL = WORKER) {
    this.#config = config;
    this.#log = log;
    this.#url = url;
    this.#tally = new ConnTally(new SharedArrayBuffer(ConnTally.bytes(config.workers)));
  }

  /**
   * Listens for the API and starts the workers. Resolves to the API's
   * address, or to null after an error line.
   */
  async listen(): Promise<string | null> {
    const config = this.#config, log = this.#log, n = config.workers - 1;
    const cannot = WorkerPool.cannotStart(this.#url);
    if (cannot !== null) {
      log.error("workers_failed", `sockdemo: ${cannot}`, { reason: cannot });
      return null;
    }
    const listeners = await listenFor(config);
    if ("reason" in listeners) {
      logListenFailure(log, listeners);
      return null;
    }
    this.#left = n;
    this.#stats = new Array(n).fill(null);
    let ready = 0;
    const pool = this.#pool = new WorkerPool<ProxyWorkerIn, ProxyWorkerOut>(
      this.#url,
      n,
      (index) => ({
        type: "start",
        config,
        tally: this.#tally.buffer as SharedArrayBuffer,
        index,
      }),
      {
        message: (index, message) => {
          if (message.type === "ready") {
            // Stryker disable next-line ConditionalExpression: a worker takes its messages in order, so one posted before it is ready still comes after its start
            if (++ready === n) this.#ready.resolve(true);
          } else if (message.type === "failed") {
            log.error(
              "proxy_failed",
              `sockdemo: worker ${index}: proxy ${message.name}: ${message.reason}`,
              {
                worker: index,
                proxy: message.name,
                reason: message.reason,
              },
            );
          } else if (message.type === "metrics") {
            this.board?.post(index, message.snapshot);
          } else {
            this.#stats[index - 1] = message.stats;
            this.#ended1();
          }
        },
        died: (index, error) => {
          this.#died = true;
          this.#tally.forget(index);
          log.error("worker_failed", `sockdemo: worker ${index} failed: ${error}`, {
            worker: index,
            reason: error,
          });
          this.#ready.resolve(false);
          if (this.#stops === 0) this.stop();
          this.#ended1();
        },
      },
    );
    const sessions = this.#sessions = apiSessions(
      config,
      log,
      (local) => shared(local, pool),
      this.board,
    );
    const tally = new ConnTally(this.#tally.buffer as SharedArrayBuffer, 0);
    const server = this.#server = newServer(config, sessions, listeners, log, tally, false);
    if (this.board !== null) this.board.local = () => server.snapshot();
    sessions.attach(server);
    // This thread serves from now on: the API, and its share of every proxy.
    this.#running = server.run();
    if (!await this.#ready.promise) {
      this.stop();
      this.stop();
      await this.run();
      return null;
    }
    return localName(listeners[0].addr);
  }

  /** Makes the first proxies (`--config`, `--listen/--to`), once listening; why it cannot, or null. */
  start(): string | null {
    return this.#sessions!.start!(this.#server!);
  }

  /** Resolves once this thread and every worker have stopped, with their totals. */
  async run(): Promise<WorkersOutcome> {
    const mine = await this.#running!;
    await this.#ended.promise;
    // Stryker disable next-line OptionalChaining: run() follows a listen() that made the pool
    this.#pool?.terminate();
    const stats = emptyStats(), parts = [mine, ...this.#stats];
    for (const part of parts) {
      if (part === null) continue;
      for (const name of Object.keys(stats) as (keyof ServerStats)[]) stats[name] += part[name];
    }
    return { stats, accepted: parts.map((s) => s?.accepted ?? null), died: this.#died };
  }

  /** First call: all drain, within one drain timeout. A second call: all stop now. */
  stop(): void {
    // Stryker disable next-line UpdateOperator: counting down is as good: only the first call is 0
    if (this.#stops++ === 0) {
      const open = this.#tally.open, seconds = this.#config.drainTimeout;
      if (open > 0) {
        logDraining(this.#log, open, seconds);
      }
    }
    this.#server?.stop();
    this.#pool?.postAll({ type: "stop" });
  }

  #ended1(): void {
    if (--this.#left <= 0) this.#ended.resolve();
  }
}

// This thread's host, whose every change is posted to the workers too.
function shared(local: ProxyHost, pool: WorkerPool<ProxyWorkerIn, ProxyWorkerOut>): ProxyHost {
  return {
    open(proxy, toxics): Opened {
      const opened = local.open(proxy, toxics), name = proxy.name;
      const listen = parseAddress(opened.address, { host: "127.0.0.1" }) as TcpAddress;
      pool.postAll({ type: "open", name, listen, upstream: proxy.upstream, toxics: toxics() });
      return {
        address: opened.address,
        close(cut) {
          opened.close(cut);
          pool.postAll({ type: "close", name, cut });
        },
        refresh() {
          opened.refresh();
          pool.postAll({ type: "toxics", name, toxics: toxics() });
        },
      };
    },
  };
}
