/** Prometheus' text format: HELP and TYPE once per family, labels escaped, empty families left out. */
import assert from "node:assert/strict";
import { PROMETHEUS_TEXT, prometheusText } from "../../lib/prometheus_text.ts";

Deno.test("prometheus text: a family's HELP, TYPE and one line per label set", () => {
  const text = prometheusText([
    {
      name: "app_bytes_total",
      help: "Bytes.",
      type: "counter",
      samples: [
        { labels: { worker: "1", direction: "upstream" }, value: 10 },
        { labels: { worker: "2", direction: "upstream" }, value: 2.5 },
      ],
    },
    { name: "app_open", help: "Open.", type: "gauge", samples: [{ labels: {}, value: 0 }] },
  ]);
  assert.equal(
    text,
    "# HELP app_bytes_total Bytes.\n" +
      "# TYPE app_bytes_total counter\n" +
      'app_bytes_total{worker="1",direction="upstream"} 10\n' +
      'app_bytes_total{worker="2",direction="upstream"} 2.5\n' +
      "# HELP app_open Open.\n" +
      "# TYPE app_open gauge\n" +
      "app_open 0\n",
  );
});

Deno.test("prometheus text: label values and help escaped; infinities and NaN as Prometheus writes them", () => {
  const text = prometheusText([{
    name: "x",
    help: "a \\ b\nc",
    type: "gauge",
    samples: [
      { labels: { proxy: 'we"ird\\na\nme' }, value: Infinity },
      { labels: { proxy: "b" }, value: -Infinity },
      { labels: { proxy: "c" }, value: NaN },
    ],
  }]);
  assert.equal(
    text,
    "# HELP x a \\\\ b\\nc\n# TYPE x gauge\n" +
      'x{proxy="we\\"ird\\\\na\\nme"} +Inf\nx{proxy="b"} -Inf\nx{proxy="c"} NaN\n',
  );
});

Deno.test("prometheus text: a family with no samples is left out; nothing at all is empty", () => {
  assert.equal(prometheusText([{ name: "x", help: "h", type: "counter", samples: [] }]), "");
  assert.equal(prometheusText([]), "");
});

Deno.test("prometheus text: served as version 0.0.4 of the text format", () => {
  assert.equal(PROMETHEUS_TEXT, "text/plain; version=0.0.4; charset=utf-8");
});
