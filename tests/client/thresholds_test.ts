/** `--threshold`: k6's expressions parsed, checked against a report, named when broken. */
import assert from "node:assert/strict";
import type { Report } from "../../client/report.ts";
import {
  brokenLine,
  checkThresholds,
  judgeThresholds,
  parseThreshold,
} from "../../client/thresholds.ts";
import { BadValue } from "../../lib/checks.ts";

const REPORT = {
  conns: 10,
  messages: 50_000,
  bytes_sent: 3_200_000,
  bytes_received: 3_200_000,
  errors: 2,
  seconds: 5,
  messages_per_second: 10_000,
  mb_per_second: 1.28,
  latency_us: { p50: 800, p90: 2000, p99: 4999, p99_9: 20_000, max: 31_000, mean: 950.5 },
  started_at: 0,
  ended_at: 5000,
  histogram: "",
} satisfies Report;

const check = (...texts: string[]) =>
  checkThresholds(texts.map(parseThreshold), REPORT).map((r) => [r.threshold, r.value, r.ok]);

Deno.test("threshold: latency limits in ms by default, or us, µs and s", () => {
  assert.deepEqual(parseThreshold("p99<5ms"), {
    text: "p99<5ms",
    metric: "p99",
    op: "<",
    limit: 5000,
  });
  assert.equal(parseThreshold("p99<5").limit, 5000);
  assert.equal(parseThreshold("p50 <= 250us").limit, 250);
  assert.equal(parseThreshold("p50<=250µs").limit, 250);
  assert.equal(parseThreshold("max<1.5s").limit, 1_500_000);
  assert.equal(parseThreshold("p99.9<20ms").metric, "p99.9");
  assert.equal(parseThreshold(" errors == 0 ").text, "errors == 0");
});

Deno.test("threshold: each metric read from the report, each operator as it reads", () => {
  assert.deepEqual(check("p99<5ms", "p99<4.999ms", "p99<=4.999ms", "p50>0.8ms", "p50>=0.8ms"), [
    ["p99<5ms", 4999, true],
    ["p99<4.999ms", 4999, false],
    ["p99<=4.999ms", 4999, true],
    ["p50>0.8ms", 800, false],
    ["p50>=0.8ms", 800, true],
  ]);
  assert.deepEqual(check("errors==0", "errors!=0", "errors==2", "messages>=50000"), [
    ["errors==0", 2, false],
    ["errors!=0", 2, true],
    ["errors==2", 2, true],
    ["messages>=50000", 50_000, true],
  ]);
  assert.deepEqual(check("rate>10000", "rate>=10000", "mbps>1.2", "p90<3", "p99.9<20", "max<31"), [
    ["rate>10000", 10_000, false],
    ["rate>=10000", 10_000, true],
    ["mbps>1.2", 1.28, true],
    ["p90<3", 2000, true],
    ["p99.9<20", 20_000, false],
    ["max<31", 31_000, false],
  ]);
  assert.deepEqual(check("mean<1ms"), [["mean<1ms", 950.5, true]]);
});

Deno.test("threshold: a limit up to a trillion", () => {
  assert.equal(parseThreshold("rate<1000000000000").limit, 1e12);
});

Deno.test("threshold: a broken one is named with the value that broke it", () => {
  const [p99, errors] = checkThresholds(
    [parseThreshold("p99<2ms"), parseThreshold("errors==0")],
    REPORT,
  );
  assert.equal(brokenLine(p99), "threshold p99<2ms broken: p99 was 5.00 ms");
  assert.equal(brokenLine(errors), "threshold errors==0 broken: errors was 2");
});

Deno.test("threshold: what is not a threshold is a BadValue saying what is wrong", () => {
  const bad: [string, RegExp][] = [
    ["p99", /must be METRIC OP VALUE, like p99<5ms, errors==0 or rate>10000, not "p99"/],
    ["p99=5ms", /must be METRIC OP VALUE/],
    ["p99<-5ms", /must be METRIC OP VALUE/],
    ["p99<ms", /must be METRIC OP VALUE/],
    [
      "p95<5ms",
      /"p95" is not a metric: use one of p50, p90, p99, p99.9, max, mean, errors, messages, rate, mbps/,
    ],
    ["constructor<5", /"constructor" is not a metric/],
    ["p99<5min", /"min" is not a time unit: use us, ms or s \(in "p99<5min"\)/],
    ["p99<5constructor", /"constructor" is not a time unit/],
    ["errors<5ms", /errors takes a plain number, not "5ms"/],
    ["rate>1e9", /must be METRIC OP VALUE/],
    ["!p99<5ms", /must be METRIC OP VALUE/],
    ["p99<5ms!", /must be METRIC OP VALUE/],
    ["rate>10000000000000", /the limit of "rate>10000000000000" is too large/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseThreshold(text), (e: Error) => {
      assert.ok(e instanceof BadValue, text);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("threshold: judged, each one's fate is written into the report and the broken returned", () => {
  const report: Report = { ...REPORT };
  const broken = judgeThresholds(
    [parseThreshold("errors==0"), parseThreshold("rate>=10000")],
    report,
  );
  assert.deepEqual(broken, [{ threshold: "errors==0", metric: "errors", value: 2, ok: false }]);
  assert.deepEqual(report.thresholds, [
    { threshold: "errors==0", metric: "errors", value: 2, ok: false },
    { threshold: "rate>=10000", metric: "rate", value: 10_000, ok: true },
  ]);
  const none: Report = { ...REPORT };
  assert.deepEqual(judgeThresholds([], none), []);
  assert.equal("thresholds" in none, false, "no thresholds given: none recorded");
});
