import { prometheusText } from "../lib/prometheus_text.ts";
import { metricFamilies, type ServerSnapshot } from "./server_metrics.ts";

/**
 * Where a scrape finds a server's metrics: this thread's server, read at
 * the scrape, and each worker's latest snapshot, posted as it runs. With
 * workers every sample carries a `worker` label ("main" for this thread's
 * own server, as a relay API's main thread has).
 *
 * @example
 * ```ts
 * import { MetricsBoard } from "./metrics_board.ts";
 * import type { Server } from "./server.ts";
 * declare const server: Server;
 * const board = new MetricsBoard();
 * board.local = () => server.snapshot();
 * console.log(board.text());
 * ```
 */
export class MetricsBoard {
  /** This thread's server, when it has one. */
  local: (() => ServerSnapshot) | null = null;
  readonly #workers = new Map<number, ServerSnapshot>();

  /** Worker `index` (from 1) reports `snapshot`, which replaces the one before. */
  post(index: number, snapshot: ServerSnapshot): void {
    this.#workers.set(index, snapshot);
  }

  // Every server's snapshot, labelled by worker when there are workers.
  #snapshots(): { worker: number | "main" | null; snapshot: ServerSnapshot }[] {
    const workers = [...this.#workers.entries()].sort((a, b) => a[0] - b[0]);
    const parts: { worker: number | "main" | null; snapshot: ServerSnapshot }[] = workers.map((
      [worker, snapshot],
    ) => ({ worker, snapshot }));
    if (this.local !== null) {
      parts.unshift({ worker: workers.length > 0 ? "main" : null, snapshot: this.local() });
    }
    return parts;
  }

  /** The metrics in Prometheus' text format. */
  text(): string {
    return prometheusText(metricFamilies(this.#snapshots()));
  }
}
