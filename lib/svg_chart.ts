/**
 * Charts as SVG text, for reports that must open with no network and no
 * script: lines or bars on linear or logarithmic axes, with ticks, titles
 * and a legend. Each series carries its data (not its pixels) in a
 * `data-points` attribute, so a test reads back what was plotted.
 *
 * @module
 */
import { escapeXml } from "./escape_xml.ts";

/** One line (or set of bars) of a chart: its name in the legend and its points in data units. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

/** An axis: its title, whether it is logarithmic, and how its tick labels read. */
export interface Axis {
  readonly title: string;
  /** Logarithmic, base 10: only positive values are drawn. */
  readonly log?: boolean;
  /** The ticks, as value and label; absent: round numbers chosen for the data. */
  readonly ticks?: readonly (readonly [value: number, label: string])[];
  /** Writes a tick's label (default: the number as it prints). */
  readonly label?: (value: number) => string;
}

/** What {@linkcode svgChart} draws. */
export interface Chart {
  /** The element's id, for the page and for tests. */
  readonly id: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  /** Lines (default), or bars each from the axis to its point. */
  readonly kind?: "line" | "bars";
}

const W = 760, H = 340, LEFT = 72, RIGHT = 150, TOP = 36, BOTTOM = 52;
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"];

/**
 * The chart as one `<svg>` element: axes with ticks and titles, each series
 * in a palette color, a legend on the right. Points a log axis cannot show
 * (zero or below) are left out, so a line breaks there.
 *
 * @example
 * ```ts
 * import { svgChart } from "./svg_chart.ts";
 * const svg = svgChart({
 *   id: "rate",
 *   title: "Throughput",
 *   x: { title: "seconds" },
 *   y: { title: "messages/s" },
 *   series: [{ name: "all", points: [[0, 10], [1, 12], [2, 9]] }],
 * });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function svgChart(chart: Chart): string {
  const shown = chart.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => drawable(chart.x, x) && drawable(chart.y, y)),
  }));
  const all = shown.flatMap((s) => s.points);
  const bars = chart.kind === "bars";
  const xs = scale(chart.x, all.map((p) => p[0]), W - LEFT - RIGHT, LEFT, false, bars);
  const ys = scale(chart.y, all.map((p) => p[1]), H - TOP - BOTTOM, H - BOTTOM, true, false);
  const parts = [
    `<svg id="${escapeXml(chart.id)}" class="chart" xmlns="http://www.w3.org/2000/svg" ` +
    `viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${
      escapeXml(chart.title)
    }">`,
    `<text class="title" x="${LEFT}" y="22" font-size="15" font-weight="bold">${
      escapeXml(chart.title)
    }</text>`,
    axis("x", chart.x, xs),
    axis("y", chart.y, ys),
  ];
  const barWidth = bars ? Math.max(2, (W - LEFT - RIGHT) / Math.max(1, all.length) * 0.8) : 0;
  shown.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const data = s.points.map(([x, y]) => `${x},${y}`).join(" ");
    const marks = bars
      ? s.points.map(([x, y]) => {
        const px = xs.at(x), py = ys.at(y);
        return `<rect x="${f(px - barWidth / 2)}" y="${f(py)}" width="${f(barWidth)}" height="${
          f(H - BOTTOM - py)
        }" fill="${color}"><title>${escapeXml(`${xs.label(x)}: ${y}`)}</title></rect>`;
      }).join("")
      : `<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${
        s.points.map(([x, y]) => `${f(xs.at(x))},${f(ys.at(y))}`).join(" ")
      }"/>`;
    parts.push(
      `<g class="series" data-name="${escapeXml(s.name)}" data-points="${data}">${marks}</g>`,
      `<g class="legend"><rect x="${W - RIGHT + 14}" y="${TOP + i * 20}" width="12" height="12" ` +
        `fill="${color}"/><text x="${W - RIGHT + 32}" y="${TOP + i * 20 + 11}" font-size="12">${
          escapeXml(s.name)
        }</text></g>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

interface Scale {
  /** The pixel of a data value. */
  at(value: number): number;
  /** The ticks: value and label. */
  ticks: readonly (readonly [number, string])[];
  label(value: number): string;
}

function drawable(axis: Axis, value: number): boolean {
  return Number.isFinite(value) && (axis.log !== true || value > 0);
}

// Maps the data's range (with round ends) onto `length` pixels from `origin`, upwards when `up`.
function scale(
  axis: Axis,
  values: number[],
  length: number,
  origin: number,
  up: boolean,
  padded: boolean,
): Scale {
  const label = axis.label ?? ((v: number) => String(v));
  const log = axis.log === true;
  let lo = values.length === 0 ? (log ? 1 : 0) : Math.min(...values);
  let hi = values.length === 0 ? (log ? 10 : 1) : Math.max(...values);
  let ticks = axis.ticks?.map(([v, l]) => [v, l] as const);
  if (log) {
    // Whole decades, at least one.
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = Math.max(10 ** Math.ceil(Math.log10(hi)), lo * 10);
    ticks ??= decades(lo, hi).map((v) => [v, label(v)] as const);
  } else {
    lo = Math.min(0, lo);
    const step = niceStep((hi - lo) / 6 || 1);
    hi = Math.ceil(hi / step) * step || step;
    if (padded) hi += step / 2;
    ticks ??= steps(lo, hi, step).map((v) => [v, label(v)] as const);
  }
  const t = (v: number) => log ? Math.log10(v) : v;
  const span = t(hi) - t(lo);
  const at = (v: number) => {
    const share = (t(v) - t(lo)) / span;
    return up ? origin - share * length : origin + share * length;
  };
  // Ticks given for every case (the spectrum's percentiles) show only within the data's range.
  // Stryker disable next-line ConditionalExpression: the ticks made here lie within it already
  const given = axis.ticks !== undefined;
  const shown = given ? ticks.filter(([v]) => v >= lo && v <= hi) : ticks;
  return { at, ticks: shown, label };
}

// Round step sizes: 1, 2 or 5 times a power of ten.
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function steps(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  // A millionth of a step covers the rounding of decimal steps (0.1 * 3).
  // Stryker disable next-line EqualityOperator: with that margin, < and <= take the same ticks
  for (let i = 0; lo + i * step <= hi + step / 1e6; i++) out.push(round6(lo + i * step));
  return out;
}

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  const last = Math.round(Math.log10(hi));
  for (let e = Math.round(Math.log10(lo)); e <= last; e++) out.push(round6(10 ** e));
  return out;
}

function axis(which: "x" | "y", spec: Axis, s: Scale): string {
  const x0 = LEFT, y0 = H - BOTTOM, x1 = W - RIGHT, y1 = TOP;
  const line = which === "x"
    ? `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#333"/>`
    : `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#333"/>`;
  const ticks = s.ticks.map(([v, label]) => {
    const p = f(s.at(v));
    return which === "x"
      ? `<g class="tick" data-value="${v}"><line x1="${p}" y1="${y0}" x2="${p}" y2="${
        y0 + 5
      }" stroke="#333"/>` +
        `<text x="${p}" y="${y0 + 18}" font-size="11" text-anchor="middle">${
          escapeXml(label)
        }</text></g>`
      : `<g class="tick" data-value="${v}"><line x1="${x0}" y1="${p}" x2="${x1}" y2="${p}" stroke="#ddd"/>` +
        `<text x="${x0 - 6}" y="${p}" font-size="11" text-anchor="end" dominant-baseline="middle">${
          escapeXml(label)
        }</text></g>`;
  }).join("");
  const title = which === "x"
    ? `<text class="axis-title" x="${(x0 + x1) / 2}" y="${
      H - 12
    }" font-size="12" text-anchor="middle">${escapeXml(spec.title)}</text>`
    : `<text class="axis-title" x="16" y="${
      (y0 + y1) / 2
    }" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${
      escapeXml(spec.title)
    }</text>`;
  return `<g class="axis ${which}" data-log="${spec.log === true}">${line}${ticks}${title}</g>`;
}

function f(px: number): string {
  return px.toFixed(1);
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
