import type { IntervalReport } from "./intervals.ts";
import { ms } from "./report.ts";

// Each column's width, the heads' and the lines' alike.
const WIDTHS = [14, 14, 9, 10, 10, 10, 7, 6];

/** The column heads above the interval lines. */
export const INTERVAL_HEADER = columns(
  ["interval", "messages/s", "MB/s", "p50", "p99", "max", "errors", "open"],
);

/**
 * Prints a run's intervals as iperf3 does, a line each under one header:
 * the time since the first interval began, messages/s, MB/s, the p50, p99
 * and max latency of that interval, the connections that failed in it and
 * those open at its end.
 *
 * @example
 * ```ts
 * import { IntervalPrinter } from "./interval_printer.ts";
 * import type { IntervalReport } from "./intervals.ts";
 * declare const interval: IntervalReport;
 * new IntervalPrinter(console.log).print(interval); // the header, then its line
 * ```
 */
export class IntervalPrinter {
  #origin: number | null = null;

  /** A printer that hands each line to `write`. */
  constructor(readonly write: (line: string) => void) {}

  /** Prints `interval`'s line (after the header, for the first). */
  print(interval: IntervalReport): void {
    if (this.#origin === null) {
      this.#origin = interval.start;
      this.write(INTERVAL_HEADER);
    }
    this.write(formatInterval(interval, this.#origin));
  }
}

/** One interval's line, its times counted from `origin` (Unix ms). */
export function formatInterval(interval: IntervalReport, origin: number): string {
  const from = ((interval.start - origin) / 1000).toFixed(2);
  const to = ((interval.end - origin) / 1000).toFixed(2);
  const l = interval.latency_us;
  const empty = interval.messages === 0;
  return columns([
    `${from}-${to} s`,
    interval.messages_per_second.toFixed(0),
    interval.mb_per_second.toFixed(2),
    empty ? "-" : ms(l.p50),
    empty ? "-" : ms(l.p99),
    empty ? "-" : ms(l.max),
    String(interval.errors),
    String(interval.open),
  ]);
}

function columns(cells: string[]): string {
  return cells.map((cell, i) => cell.padStart(WIDTHS[i])).join(" ");
}
