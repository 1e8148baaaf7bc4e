import { Histogram } from "../lib/histogram.ts";
import { unionLength } from "../lib/union_length.ts";
import { type IntervalReport, intervalReport } from "./intervals.ts";

/**
 * Merges the intervals of runs made at once (workers, processes, machines)
 * cut every `everyMs`: intervals in the same wall-clock slot become one,
 * with counts summed, latency from the sum of their histograms, and time
 * the union of their windows, so the intervals of runs merged equal those
 * of the same messages recorded by one run.
 *
 * @example
 * ```ts
 * import { mergeIntervals } from "./interval_merge.ts";
 * import type { IntervalReport } from "./intervals.ts";
 * declare const a: IntervalReport[], b: IntervalReport[]; // from two `connect --json` reports
 * console.log(mergeIntervals([a, b], 1000).length);
 * ```
 */
export function mergeIntervals(
  runs: readonly (readonly IntervalReport[])[],
  everyMs: number,
): IntervalReport[] {
  const slots = new Map<number, IntervalReport[]>();
  for (const run of runs) {
    for (const interval of run) {
      const slot = slotOf(interval.start, everyMs);
      const group = slots.get(slot);
      if (group === undefined) slots.set(slot, [interval]);
      else group.push(interval);
    }
  }
  return [...slots.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => merged(group));
}

/**
 * The wall-clock slot of an interval that starts at `start` (Unix ms), cut
 * every `everyMs`: a start is a multiple of `everyMs`, or later within its
 * slot (a run's first interval). A microsecond's margin absorbs the float
 * error of a boundary computed from a `performance.now()` time.
 */
export function slotOf(start: number, everyMs: number): number {
  return Math.floor((start + 0.001) / everyMs);
}

function merged(group: readonly IntervalReport[]): IntervalReport {
  const latency = new Histogram();
  const counts = { messages: 0, sent: 0, received: 0 };
  let errors = 0, open = 0, start = Infinity, end = -Infinity;
  for (const part of group) {
    latency.add(Histogram.decode(part.histogram));
    counts.messages += part.messages;
    counts.sent += part.bytes_sent;
    counts.received += part.bytes_received;
    errors += part.errors;
    open += part.open;
    start = Math.min(start, part.start);
    end = Math.max(end, part.end);
  }
  const seconds = unionLength(group.map((p) => [p.start, p.end] as const)) / 1000;
  return intervalReport(start, end, seconds, counts, errors, open, latency);
}
