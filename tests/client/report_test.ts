import assert from "node:assert/strict";
import { Histogram } from "../../lib/histogram.ts";
import { Meter } from "../../client/meter.ts";
import { Progress } from "../../client/progress.ts";
import {
  drawHistogram,
  formatReport,
  latencyBuckets,
  makeReport,
  meterTotals,
  type Totals,
} from "../../client/report.ts";

const totals = (meter: Meter, conns: number, errors: number): Totals => ({
  conns,
  messages: meter.messages,
  bytes_sent: meter.bytesSent,
  bytes_received: meter.bytesReceived,
  errors,
  started_at: 1_700_000_000_000,
  ended_at: 1_700_000_002_000,
});

Deno.test("report: rates, percentiles and the histogram come from what the meter counted", () => {
  const meter = new Meter(0);
  for (let i = 0; i < 90; i++) meter.record(0, 0.3); // 300 us
  for (let i = 0; i < 10; i++) meter.record(0, 1.5); // 1.5 ms
  meter.moved(2, 6400, 6400);
  const r = makeReport(totals(meter, 3, 0), 2, meter.latency);
  assert.equal(r.messages, 100);
  assert.equal(r.messages_per_second, 50);
  assert.equal(r.mb_per_second, 0.006);
  assert.equal(r.latency_us.p50, 300);
  assert.equal(r.latency_us.p99, 1500);
  assert.equal(r.latency_us.p99_9, 1500);
  assert.deepEqual(drawHistogram(meter.latency), [
    "latency distribution:",
    "  <= 0.500 ms  90.0% ########################################",
    "   <= 1.00 ms   0.0% ",
    "   <= 2.00 ms  10.0% ####",
  ]);
  assert.match(
    formatReport(r, meter.latency),
    /^3 connections, 100 messages verified, 6400 bytes sent, 6400 received, 0 errors in 2\.000 s\n50 messages\/s, 0\.01 MB\/s, latency p50 0\.300 ms, p90 0\.300 ms, p99 1\.50 ms, p99\.9 1\.50 ms, max 1\.50 ms\nlatency distribution:/,
  );
});

Deno.test("report: one of a kind is singular; bytes sent show even when nothing came back", () => {
  const meter = new Meter(0);
  meter.record(0, 1);
  meter.moved(1, 44, 0);
  const r = makeReport(totals(meter, 1, 1), 1, meter.latency);
  assert.match(
    formatReport(r, meter.latency),
    /^1 connection, 1 message verified, 44 bytes sent, 0 received, 1 error in 1\.000 s\n/,
  );
});

Deno.test("report: nothing measured draws no histogram", () => {
  assert.deepEqual(drawHistogram(new Meter(0).latency), []);
});

Deno.test("progress: one line rewritten in place, then erased", () => {
  const out: string[] = [];
  const progress = new Progress(0, 10_000, null, (t) => out.push(t));
  progress.tick(250, 500);
  progress.clear();
  assert.deepEqual(out, ["\r2000 messages/s, 500 messages, 10 s left\x1b[K", "\r\x1b[K"]);
  const counted = new Progress(0, Infinity, 1000, (t) => out.push(t));
  counted.tick(500, 500);
  assert.equal(out.at(-1), "\r1000 messages/s, 500 messages, 50% done\x1b[K");
});

Deno.test("report: histogram rows start at the bound a fastest value equals, end at the one the slowest equals; 10 ms and up show one decimal", () => {
  const exact = new Meter(0);
  exact.record(0, 0.5); // 500 us: exactly a bound
  exact.record(0, 2); // 2000 us: exactly a bound
  const label = (line: string) => line.trim().split(/ +/).slice(0, 3).join(" ");
  assert.deepEqual(drawHistogram(exact.latency).slice(1).map(label), [
    "<= 0.500 ms",
    "<= 1.00 ms",
    "<= 2.00 ms",
  ]);
  const slow = new Meter(0);
  slow.record(0, 9);
  slow.record(0, 12);
  assert.deepEqual(drawHistogram(slow.latency).slice(1).map(label), ["<= 10.0 ms", "<= 20.0 ms"]);
});

Deno.test("report: TLS connect times, apart from message latency, in JSON and in the summary", () => {
  const meter = new Meter(0);
  meter.record(0, 1);
  meter.connected(1.5); // 1500 us: below 2048, held exactly
  meter.connected(2);
  assert.equal(meter.handshakes!.count, 2);
  const r = makeReport(totals(meter, 2, 0), 1, meter.latency, meter.handshakes);
  assert.deepEqual(r.handshake_us, { count: 2, p50: 1500, p99: 2000, max: 2000 });
  assert.equal(typeof r.handshake_histogram, "string");
  assert.match(
    formatReport(r, meter.latency),
    /\n2 TLS connects \(handshake included\): p50 1\.50 ms, p99 2\.00 ms, max 2\.00 ms\n/,
  );
  const plain = makeReport(totals(new Meter(0), 1, 0), 1, new Meter(0).latency);
  assert.equal("handshake_us" in plain, false);
  assert.equal("handshake_histogram" in plain, false);
  assert.doesNotMatch(formatReport(plain, new Meter(0).latency), /TLS/);
});

Deno.test("report: each connection's wait for its first reply, in JSON and in the summary", () => {
  const meter = new Meter(0);
  meter.record(0, 1);
  meter.firstReply(10, 11.5); // 1500 us: below 2048, held exactly
  meter.firstReply(10, 12);
  meter.firstReply(20, 21);
  const r = makeReport(totals(meter, 3, 0), 1, meter.latency, null, meter.firstReplies);
  assert.deepEqual(r.first_reply_us, { count: 3, p50: 1500, p99: 2000, max: 2000 });
  assert.equal(typeof r.first_reply_histogram, "string");
  assert.match(
    formatReport(r, meter.latency),
    /\nfirst reply \(from the dial\) of 3 connections: p50 1\.50 ms, p99 2\.00 ms, max 2\.00 ms\n/,
  );
  const none = makeReport(totals(meter, 1, 0), 1, meter.latency);
  assert.equal("first_reply_us" in none, false);
  assert.doesNotMatch(formatReport(none, meter.latency), /first reply/);
  // Every connection failed before its first reply: nothing to show.
  const failed = makeReport(totals(meter, 2, 2), 1, meter.latency, null, new Meter(0).firstReplies);
  assert.deepEqual(failed.first_reply_us, { count: 0, p50: 0, p99: 0, max: 0 });
  assert.doesNotMatch(formatReport(failed, meter.latency), /first reply/);
});

Deno.test("report: the measured window in Unix milliseconds", () => {
  const t = meterTotals(new Meter(0), 1, 0, 1000, 3000);
  assert.equal(t.started_at, performance.timeOrigin + 1000);
  assert.equal(t.ended_at, performance.timeOrigin + 3000);
});

Deno.test("latency buckets: a value on a bound is counted at or under it", () => {
  const h = new Histogram();
  for (const us of [100, 1000, 1000, 150]) h.record(us);
  assert.deepEqual(latencyBuckets(h), [[100, 1], [200, 1], [500, 0], [1000, 2]]);
  assert.deepEqual(latencyBuckets(new Histogram()), []);
});

Deno.test("report: a run cut short by SIGINT says so in its first line", () => {
  const h = new Histogram();
  h.record(100);
  const totals = {
    conns: 1,
    messages: 1,
    bytes_sent: 8,
    bytes_received: 8,
    errors: 0,
    started_at: 0,
    ended_at: 500,
  };
  const r = makeReport(totals, 0.5, h);
  assert.match(formatReport(r, h), /^1 connection, 1 message verified, .* in 0\.500 s\n/);
  r.interrupted = true;
  assert.match(
    formatReport(r, h),
    /^1 connection, 1 message verified, .* in 0\.500 s \(interrupted\)\n/,
  );
});
