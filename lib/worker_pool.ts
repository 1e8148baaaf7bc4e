import type { FromWorker } from "./pool_worker.ts";

/** What a pool tells its owner about worker `index` (1-based). */
export interface PoolEvents<Out> {
  /** Worker `index` posted `message`. */
  message(index: number, message: Out): void;
  /** Worker `index` died of an uncaught exception (`error` names it); it is gone, the others run on. */
  died(index: number, error: string): void;
}

/**
 * N Web Workers running the same module (which answers through a
 * {@linkcode PoolWorker}), numbered from 1, each one started with its own
 * message. Their messages and deaths come back as calls on `events`, on
 * this thread, one at a time.
 *
 * @example
 * ```ts
 * import { WorkerPool } from "./worker_pool.ts";
 * const pool = new WorkerPool<{ n: number }, string>(
 *   new URL("./some_worker.ts", import.meta.url),
 *   2,
 *   (index) => ({ n: index }),
 *   { message: (i, m) => console.log(i, m), died: (i, e) => console.error(i, e) },
 * );
 * pool.postAll({ n: 0 });
 * ```
 */
export class WorkerPool<In, Out> {
  readonly #workers: Worker[] = [];
  readonly #dead = new Set<Worker>();

  /**
   * Why workers of module `url` cannot start here, or null when they can:
   * run from source, Deno needs read access to load a worker's module.
   */
  static cannotStart(url: URL): string | null {
    if (url.protocol !== "file:") return null;
    const state = Deno.permissions.querySync({ name: "read", path: url }).state;
    if (state === "granted") return null;
    return `workers need read access to ${url.pathname} (run with --allow-read, ` +
      `or use the compiled binary)`;
  }

  /** Starts `count` workers of module `url`, posting worker `i` the message `start(i)`. */
  constructor(url: URL, count: number, start: (index: number) => In, events: PoolEvents<Out>) {
    for (let index = 1; index <= count; index++) {
      const worker = new Worker(url, { type: "module", name: `worker ${index}` });
      const died = (cause: string) => {
        worker.terminate();
        this.#dead.add(worker);
        events.died(index, cause);
      };
      worker.onmessage = (e: MessageEvent<FromWorker<Out>>) => {
        if ("died" in e.data) died(e.data.died);
        else events.message(index, e.data.message);
      };
      // What the worker could not catch itself, such as an error loading its module.
      worker.onerror = (e: ErrorEvent) => {
        // Handled here: otherwise the error would be thrown again in this thread.
        e.preventDefault();
        died(e.message.replace(/^Uncaught (\(in promise\) )?/, ""));
      };
      worker.postMessage(start(index));
      this.#workers.push(worker);
    }
  }

  /** Posts `message` to every worker. */
  postAll(message: In): void {
    for (const worker of this.#workers) if (!this.#dead.has(worker)) worker.postMessage(message);
  }

  /** Stops every worker at once. */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}
