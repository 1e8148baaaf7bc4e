/**
 * Runs the program on a thread whose Deno runtime serves thousands of busy
 * connections fairly.
 *
 * Deno 2.9's runtime (tokio 1.47) polls every pending `read`, `write` and
 * `accept` from one task with a budget of 128 ready operations per poll; the
 * ones refused for budget wait for the next turn of the event loop, and when
 * each turn brings 128 or more new events, the same connections win the
 * budget again and the others wait seconds, or forever. Deno reads how many
 * events a turn may bring from `DENO_TOKIO_MAX_IO_EVENTS_PER_TICK` when it
 * builds a runtime: the first thread's is built before any JavaScript runs,
 * but a Web Worker's is built when the worker is created. So the first
 * thread sets the variable and runs the whole program again in one worker,
 * which then owns every loop (and builds any `--workers` from its own fair
 * runtime, since they inherit the variable).
 *
 * @module
 */
import { WorkerPool } from "./worker_pool.ts";

/** The variable Deno reads, when it builds a runtime, for the most I/O events one turn takes. */
export const EVENTS_VARIABLE = "DENO_TOKIO_MAX_IO_EVENTS_PER_TICK";

// Events per turn: well under the budget of 128, so a turn's new events never
// use it all and the deferred operations run in the same turn. Measured at
// 10,000 ping-pong connections: 32 costs throughput, 128 brings back replies
// that wait nearly 2 s (README, "Fairness").
const FAIR_EVENTS_PER_TICK = 64;

// The worker's name, as Deno's own messages show it.
const NAME = "sockdemo";

/**
 * The events per turn of this thread's runtime, and who chose them: sockdemo
 * (this is the fair worker), the user (set at launch), or nobody (Deno's
 * default of 1,024, where sockdemo may not set the variable).
 */
export type EventsPerTick =
  | { readonly source: "sockdemo" | "user"; readonly value: string }
  | { readonly source: "default" };

/**
 * The program's thread: the first one starts the fair worker and waits for
 * its exit code; the worker (or a first thread that needs none) runs the
 * program and ends it with {@linkcode FairThread.exit}.
 *
 * @example
 * ```ts
 * import { FairThread } from "./fair_thread.ts";
 * declare function run(args: string[]): Promise<number>;
 * const elsewhere = FairThread.start(new URL(import.meta.url));
 * FairThread.exit(elsewhere === null ? await run(Deno.args) : await elsewhere);
 * ```
 */
export class FairThread {
  /**
   * Runs module `entry` (this program's main module) in a fair worker and
   * resolves to the exit code it reports; or null, when this thread is to
   * run the program itself: it is that worker, the variable was set when
   * the process started (a user's own value is kept), or this process may
   * not set the variable or load `entry` (then Deno's default applies).
   * In the worker, what the program cannot catch becomes one line and exit 1.
   */
  static start(entry: URL): Promise<number> | null {
    // Only the program's entry calls this: a worker here is the fair one.
    if (inWorker()) {
      reportUncaught();
      return null;
    }
    if (!mayUse(entry) || Deno.env.get(EVENTS_VARIABLE) !== undefined) return null;
    Deno.env.set(EVENTS_VARIABLE, String(FAIR_EVENTS_PER_TICK));
    const { promise, resolve } = Promise.withResolvers<number>();
    const worker = new Worker(entry, { type: "module", name: NAME });
    worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
    // What the worker could not report itself, such as an error loading its module.
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      // Stryker disable next-line Regex: Deno words a module that fails to load "Uncaught (in promise) ..."; the other forms only tidy others
      const cause = e.message.replace(/^Uncaught (\(in promise\) )?/, "");
      console.error(`sockdemo: internal error: ${cause}`);
      resolve(1);
    };
    // The worker ends itself once it has reported; the process ends with the report.
    return promise;
  }

  /** Ends the program with exit code `code`: the process's, or the fair worker's report of it. */
  static exit(code: number): void {
    if (!inWorker()) Deno.exit(code);
    const scope = self as unknown as { postMessage(code: number): void; close(): void };
    scope.postMessage(code);
    scope.close();
  }

  /** The events per turn this thread's runtime was built with, for `--verbose`. */
  static eventsPerTick(): EventsPerTick {
    const state = Deno.permissions.querySync({ name: "env", variable: EVENTS_VARIABLE }).state;
    const value = state === "granted" ? Deno.env.get(EVENTS_VARIABLE) : undefined;
    if (value === undefined) return { source: "default" };
    return { source: inWorker() ? "sockdemo" : "user", value };
  }
}

// A bug, not a user error: one line, no stack trace for the user, as on the first thread.
function reportUncaught(): void {
  const fail = (cause: string) => {
    console.error(`sockdemo: internal error: ${cause}`);
    FairThread.exit(1);
  };
  addEventListener("error", (e) => {
    e.preventDefault();
    fail(e.message.replace("Uncaught ", ""));
  });
  addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    const reason = e.reason;
    fail(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  });
}

function inWorker(): boolean {
  return "WorkerGlobalScope" in globalThis;
}

// The variable can be set and the module loaded again, without asking the user.
function mayUse(entry: URL): boolean {
  const env = Deno.permissions.querySync({ name: "env", variable: EVENTS_VARIABLE }).state;
  return env === "granted" && WorkerPool.cannotStart(entry) === null;
}
