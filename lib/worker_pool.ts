/** What a pool tells its owner about worker `index` (1-based). */
export interface PoolEvents<Out> {
  /** Worker `index` posted `message`. */
  message(index: number, message: Out): void;
  /** Worker `index` died of an uncaught exception; it is gone, the others run on. */
  died(index: number, error: string): void;
}

/**
 * N Web Workers running the same module, numbered from 1, each one started
 * with its own message. Their messages and deaths come back as calls on
 * `events`, on this thread, one at a time.
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

  /** Starts `count` workers of module `url`, posting worker `i` the message `start(i)`. */
  constructor(url: URL, count: number, start: (index: number) => In, events: PoolEvents<Out>) {
    for (let index = 1; index <= count; index++) {
      const worker = new Worker(url, { type: "module", name: `worker ${index}` });
      worker.onmessage = (e: MessageEvent<Out>) => events.message(index, e.data);
      worker.onerror = (e: ErrorEvent) => {
        // Handled here: otherwise the error would be thrown again in this thread.
        e.preventDefault();
        worker.terminate();
        this.#dead.add(worker);
        events.died(index, e.message.replace(/^Uncaught (\(in promise\) )?/, ""));
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
