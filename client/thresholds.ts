/**
 * k6's thresholds for a run's report: `p99<5ms`, `p99.9<=20ms`,
 * `errors==0`, `rate>10000` (messages/s), `mbps>100` (MB/s). A run that
 * breaks one fails, so a CI job can gate on the figures.
 *
 * @module
 */
import { BadValue } from "../lib/checks.ts";
import type { Report } from "./report.ts";
import { ms } from "./report.ts";

/** A threshold as typed, parsed: `metric op limit` (latency limits in microseconds). */
export interface Threshold {
  /** The text the user typed, to name it in messages. */
  readonly text: string;
  readonly metric: Metric;
  readonly op: Op;
  /** The limit, in the metric's unit: microseconds for latency, else as the metric counts. */
  readonly limit: number;
}

/** How a threshold fared, as `--json` reports it. */
export interface ThresholdResult {
  /** The threshold as typed. */
  threshold: string;
  /** The metric it is on. */
  metric: Metric;
  /** The metric's value in the run (latency in microseconds). */
  value: number;
  /** True when the value kept to the threshold. */
  ok: boolean;
}

/** What a threshold can be on. */
export type Metric = keyof typeof METRICS;
type Op = keyof typeof OPS;

// Each metric: how to read it from a report, and whether it is a latency (limits take time units).
const METRICS = {
  p50: { latency: true, of: (r: Report) => r.latency_us.p50 },
  p90: { latency: true, of: (r: Report) => r.latency_us.p90 },
  p99: { latency: true, of: (r: Report) => r.latency_us.p99 },
  "p99.9": { latency: true, of: (r: Report) => r.latency_us.p99_9 },
  max: { latency: true, of: (r: Report) => r.latency_us.max },
  mean: { latency: true, of: (r: Report) => r.latency_us.mean },
  errors: { latency: false, of: (r: Report) => r.errors },
  messages: { latency: false, of: (r: Report) => r.messages },
  rate: { latency: false, of: (r: Report) => r.messages_per_second },
  mbps: { latency: false, of: (r: Report) => r.mb_per_second },
} as const;

const OPS = {
  "<": (a: number, b: number) => a < b,
  "<=": (a: number, b: number) => a <= b,
  ">": (a: number, b: number) => a > b,
  ">=": (a: number, b: number) => a >= b,
  "==": (a: number, b: number) => a === b,
  "!=": (a: number, b: number) => a !== b,
} as const;

const UNITS: Record<string, number> = { us: 1, "µs": 1, ms: 1000, s: 1_000_000 };
const SHAPE = /^\s*([a-z0-9.]+)\s*(<=|>=|==|!=|<|>)\s*(\d+(?:\.\d+)?)\s*([a-zµ]*)\s*$/;
// No limit past an hour of latency or a trillion of anything: larger is a typo.
const MAX_LIMIT = 1e12;

/**
 * Parses a threshold as `--threshold` takes it: METRIC OP NUMBER[UNIT],
 * where a latency's unit is us, ms (the default, as k6) or s. Throws a
 * `BadValue` naming what is wrong.
 *
 * @example
 * ```ts
 * import { parseThreshold } from "./thresholds.ts";
 * console.log(parseThreshold("p99<5ms").limit); // 5000
 * ```
 */
export function parseThreshold(text: string): Threshold {
  const m = SHAPE.exec(text);
  if (m === null) {
    throw new BadValue(
      `must be METRIC OP VALUE, like p99<5ms, errors==0 or rate>10000, not "${text}"`,
    );
  }
  const [, name, op, number, unit] = m;
  if (!Object.hasOwn(METRICS, name)) {
    throw new BadValue(
      `"${name}" is not a metric: use one of ${Object.keys(METRICS).join(", ")} (in "${text}")`,
    );
  }
  const metric = name as Metric;
  let limit = Number(number);
  if (METRICS[metric].latency) {
    const name = unit === "" ? "ms" : unit;
    if (!Object.hasOwn(UNITS, name)) {
      throw new BadValue(`"${unit}" is not a time unit: use us, ms or s (in "${text}")`);
    }
    limit *= UNITS[name];
  } else if (unit !== "") {
    throw new BadValue(`${metric} takes a plain number, not "${number}${unit}"`);
  }
  if (!(limit <= MAX_LIMIT)) throw new BadValue(`the limit of "${text}" is too large`);
  return { text: text.trim(), metric, op: op as Op, limit };
}

/** How `report` fares against each of `thresholds`, in order. */
export function checkThresholds(
  thresholds: readonly Threshold[],
  report: Report,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = METRICS[t.metric].of(report);
    return { threshold: t.text, metric: t.metric, value, ok: OPS[t.op](value, t.limit) };
  });
}

/**
 * Checks `report` against `thresholds`, records how each fared in it (for
 * `--json` and the HTML report; nothing when none were given), and returns
 * the broken ones.
 */
export function judgeThresholds(
  thresholds: readonly Threshold[],
  report: Report,
): ThresholdResult[] {
  const checked = checkThresholds(thresholds, report);
  if (checked.length > 0) report.thresholds = checked;
  return checked.filter((t) => !t.ok);
}

/** The line that names a broken threshold and the value that broke it. */
export function brokenLine(result: ThresholdResult): string {
  const value = METRICS[result.metric].latency ? ms(result.value) : String(result.value);
  return `threshold ${result.threshold} broken: ${result.metric} was ${value}`;
}
