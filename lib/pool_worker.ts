/** What travels from a pool's worker to the pool: a message, or the cause of its death. */
export type FromWorker<Out> = { readonly message: Out } | { readonly died: string };

interface Scope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  addEventListener(type: "error", listener: (e: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (e: PromiseRejectionEvent) => void,
  ): void;
}

/**
 * The worker's side of a {@linkcode WorkerPool}: hands each message from
 * the pool to `handler`, and turns an uncaught exception or rejection into
 * one message naming its cause (then the worker ends), so the pool reports
 * it in one line rather than Deno printing a stack trace.
 *
 * @example
 * ```ts
 * import { PoolWorker } from "./pool_worker.ts";
 * new PoolWorker<number, number>((n, worker) => {
 *   worker.post(n * 2);
 *   worker.close();
 * });
 * ```
 */
export class PoolWorker<In, Out> {
  readonly #scope = self as unknown as Scope;

  /** Starts listening for the pool's messages; `handler` answers through `worker`, this object. */
  constructor(handler: (message: In, worker: PoolWorker<In, Out>) => void | Promise<void>) {
    const scope = this.#scope;
    scope.addEventListener("error", (e) => {
      e.preventDefault();
      this.#die(e.message.replace(/^Uncaught /, ""));
    });
    scope.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      // As an uncaught exception reads: "Error: what went wrong".
      const reason = e.reason;
      this.#die(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
    });
    scope.onmessage = (e: MessageEvent<In>) => handler(e.data, this);
  }

  /** Posts `message` to the pool. */
  post(message: Out): void {
    this.#scope.postMessage({ message } satisfies FromWorker<Out>);
  }

  /** Ends this worker once what it posted is sent. */
  close(): void {
    this.#scope.close();
  }

  #die(cause: string): void {
    this.#scope.postMessage({ died: cause } satisfies FromWorker<Out>);
    this.#scope.close();
  }
}
