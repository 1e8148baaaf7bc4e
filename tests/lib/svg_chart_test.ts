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
      ticks: [[1, "0%"], [10, "90%"], [100, "99%"], [1000, "99.9%"]],
    },
    y: { title: "ms" },
    series: [{ name: "all", points: [[1, 1], [50, 2]] }],
  });
  assert.deepEqual(ticks(svg, "x"), ["0%", "90%", "99%"]);
});

Deno.test("svg chart: bars, one rect per point; names and titles escaped", () => {
  const svg = svgChart({
    id: "h",
    title: `<b>"x" & y</b>`,
    kind: "bars",
    x: { title: "a<b", log: true },
    y: { title: "%" },
    series: [{ name: `w"1`, points: [[0.1, 10], [0.2, 80], [0.5, 10]] }],
  });
  assert.equal(svg.match(/<rect x=/g)?.length, 3 + 1); // the bars, and the legend's swatch
  assert.match(svg, /aria-label="&lt;b&gt;&quot;x&quot; &amp; y&lt;\/b&gt;"/);
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
