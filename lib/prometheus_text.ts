/**
 * Prometheus' text exposition format (version 0.0.4): metric families, each
 * with its HELP and TYPE lines, then one line per sample and label set.
 *
 * @module
 */

/** Labels of one sample: name to value. */
export type Labels = Readonly<Record<string, string>>;

/** One metric family: its name, help, type and samples. */
export interface MetricFamily {
  /** `snake_case`, counters ending in `_total`, units spelled out (`_bytes`). */
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly samples: readonly { readonly labels: Labels; readonly value: number }[];
}

/** The content type a scrape is answered with. */
export const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The families as Prometheus reads them: label values escaped (backslash,
 * double quote, line feed), a family with no samples left out.
 *
 * @example
 * ```ts
 * import { prometheusText } from "./prometheus_text.ts";
 * console.log(prometheusText([{
 *   name: "app_requests_total", help: "Requests.", type: "counter",
 *   samples: [{ labels: { worker: "1" }, value: 3 }],
 * }]));
 * // # HELP app_requests_total Requests.
 * // # TYPE app_requests_total counter
 * // app_requests_total{worker="1"} 3
 * ```
 */
export function prometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const { labels, value } of family.samples) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(
        `${family.name}${pairs.length === 0 ? "" : `{${pairs.join(",")}}`} ${number(value)}`,
      );
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

// Go's spelling of infinity; NaN prints as it is.
function number(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
