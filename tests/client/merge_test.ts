import assert from "node:assert/strict";
import { intervalReport } from "../../client/intervals.ts";
import { mergeReports } from "../../client/merge.ts";
import type { Report } from "../../client/report.ts";
import { Histogram } from "../../lib/histogram.ts";
import { runSockdemo } from "../sockdemo_process.ts";

// A report as `connect --json` writes it; only what merge reads matters.
function report(
  values: number[],
  fields: { conns: number; errors?: number; from: number; to: number; bytes?: number },
): Report {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return {
    conns: fields.conns,
    messages: values.length,
    bytes_sent: fields.bytes ?? 0,
    bytes_received: fields.bytes ?? 0,
    errors: fields.errors ?? 0,
    seconds: (fields.to - fields.from) / 1000,
    messages_per_second: 0,
    mb_per_second: 0,
    latency_us: { p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0, mean: 0 },
    started_at: fields.from,
    ended_at: fields.to,
    histogram: h.encode(),
  };
}

const T = 1_790_000_000_000; // some Unix time in ms

Deno.test("merge: counts add up, percentiles come from all values, overlapping windows count once", () => {
  const a = report(new Array(90).fill(100), { conns: 2, from: T, to: T + 2000, bytes: 1_000_000 });
  const b = report(new Array(10).fill(5000), {
    conns: 3,
    from: T + 1000,
    to: T + 4000,
    bytes: 500_000,
  });
  const { report: r, latency } = mergeReports([a, b]);
  assert.equal(r.conns, 5);
  assert.equal(r.messages, 100);
  assert.equal(r.bytes_sent, 1_500_000);
  assert.equal(r.bytes_received, 1_500_000);
  assert.equal(r.seconds, 4);
  assert.equal(r.messages_per_second, 25);
  assert.equal(r.mb_per_second, 0.75);
  assert.equal(r.started_at, T);
  assert.equal(r.ended_at, T + 4000);
  // Averaging the two p50s would give 2550; the merged histogram says 100.
  assert.equal(r.latency_us.p50, 100);
  assert.equal(r.latency_us.p90, 100);
  assert.equal(r.latency_us.p99, 5003);
  assert.equal(latency.count, 100);
  assert.equal(Histogram.decode(r.histogram).count, 100);
});

Deno.test("merge: a gap between runs is not measured time; a window inside another adds nothing", () => {
  const runs = [
    report([100], { conns: 1, from: T, to: T + 1000 }),
    report([100], { conns: 1, from: T + 5000, to: T + 6000 }),
    report([100], { conns: 1, from: T + 5200, to: T + 5400 }),
  ];
  const { report: r } = mergeReports(runs);
  assert.equal(r.seconds, 2);
  assert.equal(r.messages_per_second, 1.5);
  assert.equal(r.started_at, T);
  assert.equal(r.ended_at, T + 6000);
});

Deno.test("merge: errors add up", () => {
  const { report: r } = mergeReports([
    report([100], { conns: 4, errors: 1, from: T, to: T + 1000 }),
    report([100], { conns: 4, errors: 2, from: T, to: T + 1000 }),
  ]);
  assert.equal(r.errors, 3);
  assert.equal(r.conns, 8);
});

Deno.test("sockdemo merge: three files give the sum of their counts; text and --json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = [];
    const parts = [
      report(new Array(3).fill(200), { conns: 1, from: T, to: T + 1000, bytes: 30 }),
      report(new Array(5).fill(400), { conns: 2, from: T, to: T + 1000, bytes: 50 }),
      report(new Array(12).fill(800), { conns: 3, from: T + 500, to: T + 2000, bytes: 120 }),
    ];
    for (const [i, part] of parts.entries()) {
      files.push(`${dir}/run${i}.json`);
      await Deno.writeTextFile(files[i], JSON.stringify(part) + "\n");
    }
    const json = await runSockdemo(["merge", "--json", ...files], 30_000);
    assert.equal(json.code, 0, json.stderr);
    const merged = JSON.parse(json.stdout);
    assert.equal(merged.conns, 6);
    assert.equal(merged.messages, 20);
    assert.equal(merged.bytes_sent, 200);
    assert.equal(merged.seconds, 2);
    assert.equal(merged.messages_per_second, 10);
    assert.equal(merged.latency_us.p50, 800);
    assert.equal(merged.latency_us.p90 > 0, true);
    const text = await runSockdemo(["merge", ...files], 30_000);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^6 connections, 20 messages verified, 200 bytes sent, 200 received, 0 errors in 2\.000 s\n10 messages\/s, /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sockdemo merge: a missing file, a line that is not a report, or an old report exit 1 naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const garbage = `${dir}/garbage.json`, old = `${dir}/old.json`, failed = `${dir}/failed.json`;
    await Deno.writeTextFile(garbage, "\n{not json\n");
    const { histogram: _, ...withoutHistogram } = report([1], { conns: 1, from: T, to: T + 1 });
    await Deno.writeTextFile(old, JSON.stringify(withoutHistogram));
    await Deno.writeTextFile(
      failed,
      JSON.stringify(report([1], { conns: 2, errors: 1, from: T, to: T + 1 })),
    );
    const missing = await runSockdemo(["merge", `${dir}/nope.json`], 30_000);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `sockdemo: cannot read ${dir}/nope.json: no such file or directory\n`,
    );
    const bad = await runSockdemo(["merge", garbage], 30_000);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      `sockdemo: ${garbage} line 2: not JSON (expected the output of "sockdemo connect --json")\n`,
    );
    const older = await runSockdemo(["merge", old], 30_000);
    assert.equal(older.code, 1);
    assert.equal(
      older.stderr,
      `sockdemo: ${old} line 1: no "histogram": the report comes from a sockdemo older than merge\n`,
    );
    const errors = await runSockdemo(["merge", failed], 30_000);
    assert.equal(errors.code, 1);
    assert.match(errors.stdout, /^2 connections, 1 message verified/);
    assert.equal(errors.stderr, "sockdemo: 1 of 2 connections failed across 1 runs\n");
    const none = await runSockdemo(["merge"], 30_000);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      'sockdemo: give the files of "connect --json" reports to merge (try "sockdemo merge --help")\n',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("merge: the order of the reports does not matter; nothing to merge is all zeros", () => {
  const { report: r } = mergeReports([
    report([100], { conns: 1, from: T + 5000, to: T + 6000 }),
    report([100], { conns: 1, from: T, to: T + 1000 }),
  ]);
  assert.equal(r.seconds, 2);
  assert.equal(r.started_at, T);
  const { report: none } = mergeReports([]);
  assert.equal(none.seconds, 0);
  assert.equal(none.started_at, 0);
  assert.equal(none.ended_at, 0);
  assert.equal(none.messages, 0);
});

Deno.test("merge: TLS connect times merge too, when the runs have them", () => {
  const withTls = (values: number[]) => {
    const r = report([100], { conns: 1, from: T, to: T + 1000 });
    const h = new Histogram();
    for (const v of values) h.record(v);
    return { ...r, handshake_histogram: h.encode() };
  };
  // Below 2048 us the histogram holds values exactly.
  const { report: r } = mergeReports([withTls([1000, 2000]), withTls([1500])]);
  assert.deepEqual(r.handshake_us, { count: 3, p50: 1500, p99: 2000, max: 2000 });
  const { report: plain } = mergeReports([report([100], { conns: 1, from: T, to: T + 1000 })]);
  assert.equal(plain.handshake_us, undefined);
});

Deno.test("merge: first-reply times merge too; the slowest connection of all runs shows", () => {
  const withFirst = (values: number[]) => {
    const r = report([100], { conns: values.length, from: T, to: T + 1000 });
    const h = new Histogram();
    for (const v of values) h.record(v);
    return { ...r, first_reply_histogram: h.encode() };
  };
  const { report: r } = mergeReports([withFirst([1000, 1200]), withFirst([1500, 2000])]);
  assert.deepEqual(r.first_reply_us, { count: 4, p50: 1200, p99: 2000, max: 2000 });
  const { report: old } = mergeReports([report([100], { conns: 1, from: T, to: T + 1000 })]);
  assert.equal(old.first_reply_us, undefined);
});

Deno.test("merge: one interrupted run makes the whole an interrupted run", () => {
  const a = report([100], { conns: 1, from: T, to: T + 1000 });
  const b = { ...report([200], { conns: 1, from: T, to: T + 1000 }), interrupted: true as const };
  assert.equal(mergeReports([a, b]).report.interrupted, true);
  assert.equal(mergeReports([a, a]).report.interrupted, undefined);
});

// Report `r` cut into the given intervals: [from, to] from T, and the latency of each message.
function withIntervals(r: Report, cuts: [number, number, number[]][], every = 1): Report {
  return {
    ...r,
    interval: every,
    intervals: cuts.map(([from, to, values]) => {
      const h = new Histogram();
      for (const v of values) h.record(v);
      const counts = { messages: values.length, sent: 10 * values.length, received: 0 };
      return intervalReport(T + from, T + to, (to - from) / 1000, counts, 0, r.conns, h);
    }),
  };
}

Deno.test("sockdemo merge: intervals merged by wall-clock second, printed above the summary and in --json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = withIntervals(report([100, 100, 300], { conns: 1, from: T + 200, to: T + 2000 }), [
      [200, 1000, [100, 100]],
      [1000, 2000, [300]],
    ]);
    const b = withIntervals(report([900, 900], { conns: 2, from: T + 600, to: T + 1500 }), [
      [600, 1000, [900]],
      [1000, 1500, [900]],
    ]);
    await Deno.writeTextFile(`${dir}/a.json`, JSON.stringify(a));
    await Deno.writeTextFile(`${dir}/b.json`, JSON.stringify(b));
    const json = await runSockdemo(["merge", "--json", `${dir}/a.json`, `${dir}/b.json`], 30_000);
    assert.equal(json.code, 0, json.stderr);
    const merged: Report = JSON.parse(json.stdout);
    assert.equal(merged.interval, 1);
    assert.deepEqual(
      merged.intervals!.map((iv) => [iv.start - T, iv.end - T, iv.seconds, iv.messages, iv.open]),
      [[200, 1000, 0.8, 3, 3], [1000, 2000, 1, 2, 3]],
    );
    assert.deepEqual(merged.intervals!.map((iv) => iv.messages_per_second), [3.8, 2]);
    assert.deepEqual(merged.intervals!.map((iv) => iv.latency_us.p50), [100, 300]);
    const text = await runSockdemo(["merge", `${dir}/a.json`, `${dir}/b.json`], 30_000);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.match(lines[0], /^ +interval +messages\/s/);
    assert.match(lines[1], /^ +0\.00-0\.80 s +4 +0\.00 +0\.100 ms +0\.900 ms +0\.900 ms +0 +3$/);
    assert.match(lines[2], /^ +0\.80-1\.80 s +2 +0\.00 +0\.300 ms +0\.900 ms +0\.900 ms +0 +3$/);
    assert.match(lines[3], /^3 connections, 5 messages verified/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sockdemo merge: runs cut into different intervals, or with broken intervals, exit 1 saying so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = report([100], { conns: 1, from: T, to: T + 1000 });
    const one = withIntervals(base, [[0, 1000, [100]]]);
    const two = withIntervals(base, [[0, 1000, [100]]], 2);
    const broken = { ...one, intervals: [{ ...one.intervals![0], open: "4" }] };
    const noList = { ...one, intervals: undefined };
    const files = { one, two, plain: base, broken, noList };
    for (const [name, r] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(r));
    }
    const mixed = await runSockdemo([
      "merge",
      `${dir}/one.json`,
      `${dir}/two.json`,
      `${dir}/plain.json`,
    ]);
    assert.equal(mixed.code, 1);
    assert.equal(
      mixed.stderr,
      "sockdemo: the runs were cut into different intervals (1 s, 2 s, none): give them all the same --interval\n",
    );
    const bad = await runSockdemo(["merge", `${dir}/broken.json`]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      `sockdemo: ${dir}/broken.json line 1: interval 1 has no "open" number\n`,
    );
    const missing = await runSockdemo(["merge", `${dir}/noList.json`]);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `sockdemo: ${dir}/noList.json line 1: it has an "interval" but no "intervals" list\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sockdemo merge --threshold: checked against the merged figures", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = report(new Array(99).fill(100), { conns: 1, from: T, to: T + 1000 });
    const b = report([50_000, 50_000], { conns: 1, from: T, to: T + 1000 });
    await Deno.writeTextFile(`${dir}/runs.json`, JSON.stringify(a) + "\n" + JSON.stringify(b));
    // Each run's p99 is under 1 ms or over 40 ms; together, 2 in 101 are slow.
    const held = await runSockdemo(["merge", `${dir}/runs.json`, "--threshold", "p99<60ms"]);
    assert.equal(held.code, 0, held.stderr);
    const broke = await runSockdemo(["merge", `${dir}/runs.json`, "--threshold", "p99<1ms", "-J"]);
    assert.equal(broke.code, 1);
    assert.equal(broke.stderr, "sockdemo: threshold p99<1ms broken: p99 was 50.0 ms\n");
    assert.deepEqual(JSON.parse(broke.stdout).thresholds, [
      { threshold: "p99<1ms", metric: "p99", value: 50_015, ok: false },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("merge: intervals only when every run has them, cut alike", () => {
  const base = report([100], { conns: 1, from: T, to: T + 1000 });
  const one = withIntervals(base, [[0, 1000, [100]]]);
  assert.equal(mergeReports([one, one]).report.intervals?.length, 1);
  assert.equal(mergeReports([one, base]).report.intervals, undefined);
  assert.equal(mergeReports([base, one]).report.interval, undefined);
  const listless = { ...one, intervals: undefined };
  assert.equal(mergeReports([one, listless]).report.intervals, undefined);
  assert.equal(
    mergeReports([one, withIntervals(base, [[0, 1000, [100]]], 2)]).report.intervals,
    undefined,
  );
});
