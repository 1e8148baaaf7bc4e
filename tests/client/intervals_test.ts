/**
 * Intervals: cut on the wall clock, a stall shown as empty intervals, the
 * sum of the intervals the run's totals, and runs merged equal to one run.
 */
import assert from "node:assert/strict";
import { IntervalGather } from "../../client/interval_gather.ts";
import { mergeIntervals, slotOf } from "../../client/interval_merge.ts";
import { INTERVAL_HEADER, IntervalPrinter } from "../../client/interval_printer.ts";
import { type IntervalReport, intervalReport, Intervals } from "../../client/intervals.ts";
import { Histogram } from "../../lib/histogram.ts";

const B = 1_790_000_000_000; // a Unix time in ms, on a whole second
// The performance.now() time of Unix time B + ms.
const at = (ms: number) => B + ms - performance.timeOrigin;

// Start, end (from B), seconds, messages, bytes sent and received, errors, open.
function shape(iv: IntervalReport) {
  return [
    Math.round(iv.start - B),
    Math.round(iv.end - B),
    iv.seconds,
    iv.messages,
    iv.bytes_sent,
    iv.bytes_received,
    iv.errors,
    iv.open,
  ];
}

Deno.test("intervals: aligned on the clock's seconds, the first and last partial, a stall empty", () => {
  const heard: IntervalReport[] = [];
  const iv = new Intervals(1000, (i) => heard.push(i));
  iv.begin(at(300));
  assert.equal(Math.round(iv.boundary - at(0)), 1000);
  iv.record(100);
  iv.record(300);
  iv.moved(3_000_000, 500_000);
  iv.roll(at(999), 4); // not yet
  assert.equal(heard.length, 0);
  iv.roll(at(1000), 4); // on the boundary: it closes
  assert.equal(heard.length, 1);
  iv.record(2_000_000); // a reply that waited through the stall
  iv.failed();
  iv.roll(at(3200), 3); // seconds 1 and 2 close: one message, then nothing
  iv.record(50);
  iv.finish(at(3500), 0);
  assert.deepEqual(heard.map(shape), [
    [300, 1000, 0.7, 2, 3_000_000, 500_000, 0, 4],
    [1000, 2000, 1, 1, 0, 0, 1, 3],
    [2000, 3000, 1, 0, 0, 0, 0, 3],
    [3000, 3500, 0.5, 1, 0, 0, 0, 0],
  ]);
  assert.deepEqual(heard, iv.done);
  assert.deepEqual(heard.map((i) => i.messages_per_second), [2 / 0.7, 1, 0, 2].map(oneDecimal));
  assert.deepEqual(heard[0].latency_us, { p50: 100, p99: 300, max: 300 });
  // 3.5 MB in 0.7 s.
  assert.equal(heard[0].mb_per_second, 5);
  // 2 s falls in the bucket [1953 * 1024, 1954 * 1024) µs: its top is the max.
  assert.equal(heard[1].latency_us.max, 2_000_895);
  assert.deepEqual(heard[2].latency_us, { p50: 0, p99: 0, max: 0 });
  // Each interval carries its own values, and only those.
  assert.equal(Histogram.decode(heard[0].histogram).count, 2);
  assert.equal(Histogram.decode(heard[3].histogram).max, 50);
});

Deno.test("intervals: 0.25 s intervals fall on quarter seconds; a run ending on a boundary adds no empty one", () => {
  const iv = new Intervals(250);
  iv.begin(at(100));
  iv.record(10);
  iv.finish(at(500), 1);
  assert.deepEqual(iv.done.map(shape), [
    [100, 250, 0.15, 1, 0, 0, 0, 1],
    [250, 500, 0.25, 0, 0, 0, 0, 1],
  ]);
});

Deno.test("intervals: two runs at once, merged, equal the same messages recorded by one run", () => {
  // Messages at (time from B, latency µs, run): run 2 starts later and ends earlier.
  const messages: [number, number, 1 | 2][] = [
    [200, 100, 1],
    [700, 5000, 2],
    [900, 300, 1],
    [1200, 120, 2],
    [1500, 90, 1],
    [2100, 7000, 1],
    [2300, 400, 2],
  ];
  const one = new Intervals(1000), a = new Intervals(1000), b = new Intervals(1000);
  one.begin(at(100));
  a.begin(at(100));
  b.begin(at(600));
  for (const [time, us, run] of messages) {
    for (const iv of [one, run === 1 ? a : b]) {
      iv.roll(at(time), iv === one ? 2 : 1);
      iv.record(us);
      iv.moved(10, 10);
    }
  }
  b.finish(at(2400), 1);
  a.finish(at(2600), 1);
  one.finish(at(2600), 2);
  const merged = mergeIntervals([a.done, b.done], 1000);
  assert.deepEqual(merged.map(shape), [
    [100, 1000, 0.9, 3, 30, 30, 0, 2],
    [1000, 2000, 1, 2, 20, 20, 0, 2],
    [2000, 2600, 0.6, 2, 20, 20, 0, 2],
  ]);
  assert.deepEqual(merged, one.done);
});

Deno.test("intervals: merged in slot order, whatever order the runs come in", () => {
  const a = new Intervals(1000), b = new Intervals(1000);
  b.begin(at(1500));
  b.finish(at(2500), 1);
  a.begin(at(0));
  a.finish(at(1200), 1);
  assert.deepEqual(mergeIntervals([b.done, a.done], 1000).map((iv) => iv.start - B), [
    0,
    1000,
    2000,
  ]);
});

function oneDecimal(x: number): number {
  return Math.round(x * 10) / 10;
}

Deno.test("interval lines: the header once, then each interval timed from the first", () => {
  const lines: string[] = [];
  const printer = new IntervalPrinter((line) => lines.push(line));
  const h = new Histogram();
  for (const us of [380, 1860, 22_800]) h.record(us);
  const counts = { messages: 48_546, sent: 3_106_944, received: 3_106_944 };
  printer.print(intervalReport(B + 340, B + 1340, 1, counts, 2, 100, h));
  printer.print(
    intervalReport(
      B + 1340,
      B + 2340,
      1,
      { messages: 0, sent: 0, received: 0 },
      0,
      99,
      new Histogram(),
    ),
  );
  assert.deepEqual(lines, [
    "      interval     messages/s      MB/s        p50        p99        max  errors   open",
    "   0.00-1.00 s          48546      6.21    1.86 ms    22.8 ms    22.8 ms       2    100",
    "   1.00-2.00 s              0      0.00          -          -          -       0     99",
  ]);
  assert.equal(INTERVAL_HEADER, lines[0]);
});

Deno.test("intervals: a slot is its start's multiple of the length, a microsecond's float error forgiven", () => {
  assert.equal(slotOf(B + 1000, 1000), (B + 1000) / 1000);
  assert.equal(slotOf(B + 999.9995, 1000), (B + 1000) / 1000);
  assert.equal(slotOf(B + 999.99, 1000), (B + 1000) / 1000 - 1);
  assert.equal(slotOf(B + 1999.99, 1000), (B + 1000) / 1000);
});

Deno.test("intervals: merged errors and open connections add up", () => {
  const h = new Histogram();
  const a = intervalReport(B, B + 1000, 1, { messages: 0, sent: 0, received: 0 }, 2, 3, h);
  const b = intervalReport(B, B + 1000, 1, { messages: 0, sent: 0, received: 0 }, 5, 4, h);
  const [merged] = mergeIntervals([[a], [b]], 1000);
  assert.equal(merged.errors, 7);
  assert.equal(merged.open, 7);
});

Deno.test("interval gather: a slot is merged once every running worker closed it, in order", () => {
  const heard: [number, number][] = [];
  const gather = new IntervalGather(2, 1000, (iv) => heard.push([iv.start - B, iv.messages]));
  const one = (from: number, to: number, messages: number) =>
    intervalReport(
      B + from,
      B + to,
      (to - from) / 1000,
      { messages, sent: 0, received: 0 },
      0,
      1,
      new Histogram(),
    );
  gather.add(1, one(0, 1000, 1));
  assert.deepEqual(heard, [], "worker 2 has not closed second 0");
  // Worker 2 began later: its first interval is in second 0 too, and it runs ahead.
  gather.add(2, one(500, 1000, 2));
  gather.add(2, one(1000, 2000, 20));
  assert.deepEqual(heard, [[0, 3]]);
  gather.add(2, one(2000, 3000, 200));
  assert.deepEqual(heard, [[0, 3]], "worker 1 has not closed second 1");
  gather.add(1, one(1000, 2000, 10));
  assert.deepEqual(heard, [[0, 3], [1000, 30]]);
  // Worker 1 ends: what only worker 2 closed goes out alone.
  gather.ended(1);
  assert.deepEqual(heard, [[0, 3], [1000, 30], [2000, 200]]);
  gather.add(2, one(3000, 3500, 7));
  gather.ended(2);
  assert.deepEqual(heard.at(-1), [3000, 7]);
});

Deno.test("interval gather: a worker whose first interval is a slot later does not hold the earlier one", () => {
  const heard: number[] = [];
  const gather = new IntervalGather(2, 1000, (iv) => heard.push(iv.start - B));
  const one = (from: number, to: number) =>
    intervalReport(
      B + from,
      B + to,
      (to - from) / 1000,
      { messages: 1, sent: 0, received: 0 },
      0,
      1,
      new Histogram(),
    );
  gather.add(2, one(1200, 2000));
  gather.add(1, one(300, 1000));
  assert.deepEqual(heard, [300], "second 0 is worker 1's alone");
  gather.add(1, one(1000, 2000));
  assert.deepEqual(heard, [300, 1000]);
});
