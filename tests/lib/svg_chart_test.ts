/** SVG charts: what each series carries, the ticks each axis gets, log axes, bars, escaping. */
import assert from "node:assert/strict";
import { svgChart } from "../../lib/svg_chart.ts";

// The text of each tick label of axis `which`.
function ticks(svg: string, which: "x" | "y"): string[] {
  const axis = new RegExp(`<g class="axis ${which}"[^>]*>(.*?)<text class="axis-title"`, "s")
    .exec(svg)![1];
  return [...axis.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

Deno.test("svg chart: each series carries its data points and a polyline through them", () => {
  const svg = svgChart({
    id: "rate",
    title: "Throughput",
    x: { title: "seconds" },
    y: { title: "messages/s" },
    series: [
      { name: "all", points: [[1, 100], [2, 250], [3, 175]] },
      { name: "worker 1", points: [[1, 50], [2, 125]] },
    ],
  });
  assert.match(svg, /^<svg id="rate" class="chart" xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<g class="series" data-name="all" data-points="1,100 2,250 3,175">/);
  assert.match(svg, /<g class="series" data-name="worker 1" data-points="1,50 2,125">/);
  assert.equal(svg.match(/<polyline /g)?.length, 2);
  // Two legend entries, in the series' order.
  assert.deepEqual([...svg.matchAll(/<g class="legend">.*?>([^<]+)<\/text>/g)].map((m) => m[1]), [
    "all",
    "worker 1",
  ]);
  // Round steps from zero: 250 / 6 rounds to 50 (and half a step of headroom, unticked).
  assert.deepEqual(ticks(svg, "y"), ["0", "50", "100", "150", "200", "250"]);
  assert.deepEqual(ticks(svg, "x"), ["0", "0.5", "1", "1.5", "2", "2.5", "3"]);
});

Deno.test("svg chart: a log axis ticks each decade and leaves out what it cannot show", () => {
  const svg = svgChart({
    id: "lat",
    title: "Latency",
    x: { title: "s" },
    y: { title: "ms", log: true, label: (v) => `${v} ms` },
    series: [{ name: "max", points: [[1, 0.2], [2, 0], [3, 35]] }],
  });
  assert.match(svg, /data-points="1,0.2 3,35"/);
  assert.deepEqual(ticks(svg, "y"), ["0.1 ms", "1 ms", "10 ms", "100 ms"]);
  assert.match(svg, /<g class="axis y" data-log="true">/);
});

Deno.test("svg chart: given ticks label the axis, within the data's decades", () => {
  const svg = svgChart({
    id: "spectrum",
    title: "By percentile",
    x: {
      title: "percentile",
      log: true,
      ticks: [[0.1, "below"], [1, "0%"], [10, "90%"], [100, "99%"], [1000, "99.9%"]],
    },
    y: { title: "ms" },
    series: [{ name: "all", points: [[1, 1], [50, 2]] }],
  });
  assert.deepEqual(ticks(svg, "x"), ["0%", "90%", "99%"]);
});

Deno.test("svg chart: bars, one rect per point; names and titles escaped", () => {
  const svg = svgChart({
    id: "h",
    title: `<b>"x" & y's</b>`,
    kind: "bars",
    x: { title: "a<b", log: true },
    y: { title: "%" },
    series: [{ name: `w"1`, points: [[0.1, 10], [0.2, 80], [0.5, 10]] }],
  });
  assert.equal(svg.match(/<rect x=/g)?.length, 3 + 1); // the bars, and the legend's swatch
  assert.match(svg, /aria-label="&lt;b&gt;&quot;x&quot; &amp; y&#39;s&lt;\/b&gt;"/);
  assert.match(svg, /data-name="w&quot;1"/);
  assert.match(svg, />a&lt;b<\/text>/);
  assert.doesNotMatch(svg, /<b>/);
});

Deno.test("svg chart: no points still draws the axes", () => {
  const svg = svgChart({
    id: "e",
    title: "Empty",
    x: { title: "x" },
    y: { title: "y", log: true },
    series: [],
  });
  assert.deepEqual(ticks(svg, "y"), ["1", "10"]);
  assert.match(svg, /<\/svg>$/);
});

// The plot area, from the chart's fixed frame: 760 x 340, margins left 72, right 150, top 36,
// bottom 52. So x runs from 72 to 610 (538 px) and y from 288 (bottom) up to 36 (252 px).
Deno.test("svg chart: points, axes, ticks, titles and legend where the frame puts them", () => {
  const svg = svgChart({
    id: "g",
    title: "T",
    x: { title: "seconds" },
    y: { title: "messages/s" },
    series: [
      { name: "a", points: [[0, 0], [6, 300]] },
      { name: "b", points: [[3, 150]] },
    ],
  });
  assert.match(svg, /viewBox="0 0 760 340" width="760" height="340"/);
  assert.match(
    svg,
    /<text class="title" x="72" y="22" font-size="15" font-weight="bold">T<\/text>/,
  );
  // x: 0..6 over 538 px; y: 0..300 over 252 px, upwards.
  assert.match(svg, /stroke="#1f77b4" stroke-width="1.8" points="72.0,288.0 610.0,36.0"/);
  assert.match(svg, /stroke="#d62728" stroke-width="1.8" points="341.0,162.0"/);
  // Each axis opens with its line, its ticks side by side, each part of the chart on a line.
  assert.match(
    svg,
    /\n<g class="axis x" data-log="false"><line x1="72" y1="288" x2="610" y2="288" stroke="#333"\/><g class="tick" data-value="0">/,
  );
  assert.match(
    svg,
    /\n<g class="axis y" data-log="false"><line x1="72" y1="288" x2="72" y2="36" stroke="#333"\/><g class="tick"/,
  );
  assert.match(svg, /<\/text><\/g><g class="tick" data-value="1">/);
  assert.match(svg, /\n<g class="series" data-name="a"/);
  // The tick of 1 on x (72 + 538 / 6) and of 50 on y (288 - 252 / 6), with their grid line.
  assert.match(
    svg,
    /<g class="tick" data-value="1"><line x1="161.7" y1="288" x2="161.7" y2="293" stroke="#333"\/><text x="161.7" y="306" font-size="11" text-anchor="middle">1<\/text><\/g>/,
  );
  assert.match(
    svg,
    /<g class="tick" data-value="50"><line x1="72" y1="246.0" x2="610" y2="246.0" stroke="#ddd"\/><text x="66" y="246.0" font-size="11" text-anchor="end" dominant-baseline="middle">50<\/text><\/g>/,
  );
  assert.match(
    svg,
    /<text class="axis-title" x="341" y="328" font-size="12" text-anchor="middle">seconds<\/text>/,
  );
  assert.match(
    svg,
    /<text class="axis-title" x="16" y="162" font-size="12" text-anchor="middle" transform="rotate\(-90 16 162\)">messages\/s<\/text>/,
  );
  // The legend: a swatch and a name per series, 20 px apart, right of the plot.
  assert.match(
    svg,
    /<rect x="624" y="36" width="12" height="12" fill="#1f77b4"\/><text x="642" y="47" font-size="12">a<\/text>/,
  );
  assert.match(
    svg,
    /<rect x="624" y="56" width="12" height="12" fill="#d62728"\/><text x="642" y="67" font-size="12">b<\/text>/,
  );
  assert.deepEqual(ticks(svg, "x"), ["0", "1", "2", "3", "4", "5", "6"]);
  assert.deepEqual(ticks(svg, "y"), ["0", "50", "100", "150", "200", "250", "300"]);
  assert.match(svg, /<g class="axis x" data-log="false">/);
});

Deno.test("svg chart: bars centred on their points, from the axis up, on a log x axis", () => {
  const svg = svgChart({
    id: "b",
    title: "B",
    kind: "bars",
    x: { title: "ms", log: true },
    y: { title: "%" },
    series: [{ name: "all", points: [[0.1, 40], [1, 60]] }],
  });
  // x: the decades 0.1 to 1 over 538 px; y: 0..60; bars 538 / 2 * 0.8 = 215.2 px wide.
  assert.match(
    svg,
    /<rect x="-35.6" y="120.0" width="215.2" height="168.0" fill="#1f77b4"><title>0.1: 40<\/title><\/rect>/,
  );
  assert.match(
    svg,
    /<rect x="502.4" y="36.0" width="215.2" height="252.0" fill="#1f77b4"><title>1: 60<\/title><\/rect>/,
  );
  assert.deepEqual(ticks(svg, "x"), ["0.1", "1"]);
  assert.deepEqual(ticks(svg, "y"), ["0", "10", "20", "30", "40", "50", "60"]);
  assert.doesNotMatch(svg, /<polyline/);
  assert.match(svg, /<\/title><\/rect><rect x="502.4"/);
});

Deno.test("svg chart: bars on a linear axis get half a step of room each side", () => {
  const svg = svgChart({
    id: "b",
    title: "B",
    kind: "bars",
    x: { title: "n" },
    y: { title: "count" },
    series: [{ name: "all", points: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6]] }],
  });
  // x: 0..6 plus half a step (6.5), so the bar of 6 ends inside: centred at 72 + 6 / 6.5 * 538
  // = 568.6, 538 / 6 * 0.8 = 71.7 px wide. y is not padded: 6 is the top.
  assert.match(
    svg,
    /<rect x="532.7" y="36.0" width="71.7" height="252.0" fill="#1f77b4"><title>6: 6<\/title>/,
  );
  assert.deepEqual(ticks(svg, "x"), ["0", "1", "2", "3", "4", "5", "6"]);
});

Deno.test("svg chart: round steps of 1, 2 and 5 times a power of ten, and room for all zeros", () => {
  const x = (hi: number) =>
    ticks(
      svgChart({
        id: "s",
        title: "S",
        x: { title: "x" },
        y: { title: "y" },
        series: [{ name: "a", points: [[0, 0], [hi, 1]] }],
      }),
      "x",
    );
  assert.deepEqual(x(12), ["0", "2", "4", "6", "8", "10", "12"]);
  assert.deepEqual(x(30), ["0", "5", "10", "15", "20", "25", "30"]);
  assert.deepEqual(x(0.6), ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"]);
  assert.deepEqual(x(7), ["0", "2", "4", "6", "8"]);
  assert.deepEqual(x(42), ["0", "10", "20", "30", "40", "50"]);
  // Below zero, the range counts from the lowest value: 150 / 6 rounds to 50.
  const negative = svgChart({
    id: "n",
    title: "N",
    x: { title: "x" },
    y: { title: "y" },
    series: [{ name: "a", points: [[0, -50], [1, 100]] }],
  });
  assert.deepEqual(ticks(negative, "y"), ["-50", "0", "50", "100"]);
  const zeros = svgChart({
    id: "z",
    title: "Z",
    x: { title: "x" },
    y: { title: "y" },
    series: [{ name: "a", points: [[0, 0], [1, 0]] }],
  });
  assert.deepEqual(ticks(zeros, "y"), ["0", "1"]);
  assert.match(zeros, /points="72.0,288.0 610.0,288.0"/);
});

Deno.test("svg chart: a log axis of one value still spans a decade; the palette wraps after seven", () => {
  const flat = svgChart({
    id: "f",
    title: "F",
    x: { title: "x" },
    y: { title: "y", log: true },
    series: [{ name: "a", points: [[1, 10], [2, 10]] }],
  });
  assert.deepEqual(ticks(flat, "y"), ["10", "100"]);
  const many = svgChart({
    id: "m",
    title: "M",
    x: { title: "x" },
    y: { title: "y" },
    series: Array.from(
      { length: 8 },
      (_, i) => ({ name: `s${i}`, points: [[i, i]] as [number, number][] }),
    ),
  });
  assert.deepEqual([...many.matchAll(/stroke="(#[0-9a-f]{6})" stroke-width/g)].map((m) => m[1]), [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#1f77b4",
  ]);
});
