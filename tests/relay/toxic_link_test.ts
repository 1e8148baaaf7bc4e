/** One direction's toxics on one connection, by hand: what they add up to, and their draws. */
import assert from "node:assert/strict";
import { sliceSizes, ToxicLink } from "../../relay/toxic_link.ts";
import { parseToxic, type ToxicSpec } from "../../relay/toxic_spec.ts";

const toxic = (body: object): ToxicSpec => parseToxic(JSON.stringify(body));

Deno.test("toxic link: only its direction's toxics, added up: latencies and jitters sum, the least rate wins", () => {
  const link = new ToxicLink("downstream", () => 0.5);
  link.update([
    toxic({ name: "a", type: "latency", attributes: { latency: 100, jitter: 10 } }),
    toxic({ name: "b", type: "latency", attributes: { latency: 20, jitter: 5 } }),
    toxic({ name: "c", type: "latency", stream: "upstream", attributes: { latency: 999 } }),
    toxic({ name: "d", type: "bandwidth", attributes: { rate: 30 } }),
    toxic({ name: "e", type: "bandwidth", attributes: { rate: 20 } }),
    toxic({ name: "f", type: "slow_close", attributes: { delay: 7 } }),
  ], 0);
  assert.deepEqual([link.latency, link.jitter, link.rate, link.slowClose], [120, 15, 20_000, 7]);
  assert.equal(link.timed, true);
  assert.deepEqual(link.applied, ["latency", "bandwidth", "slow_close"]);
  link.update([], 5);
  assert.deepEqual([link.latency, link.jitter, link.rate, link.timed], [0, 0, Infinity, false]);
});

Deno.test("toxic link: jitter is drawn within latency give or take jitter, never below zero", () => {
  const draws = [0, 1, 0.5];
  const link = new ToxicLink("downstream", () => draws.shift()!);
  link.update([toxic({ type: "latency", attributes: { latency: 100, jitter: 20 } })], 0);
  assert.deepEqual([link.delay(), link.delay(), link.delay()], [80, 120, 100]);
  const alone = new ToxicLink("downstream", () => 0.25);
  alone.update([toxic({ type: "latency", attributes: { latency: 0, jitter: 40 } })], 0);
  assert.equal(alone.delay(), 10, "jitter without latency: a quarter of 0..40, not clamped to 0");
});

Deno.test("toxic link: toxicity is drawn once per toxic, again only when it changes; 0 and 1 take no draw", () => {
  let draws = 0;
  const link = new ToxicLink("downstream", () => (draws++, 0.3));
  const half = toxic({ name: "h", type: "latency", toxicity: 0.5, attributes: { latency: 10 } });
  const never = toxic({ name: "n", type: "latency", toxicity: 0, attributes: { latency: 1000 } });
  const always = toxic({ name: "a", type: "latency", toxicity: 1, attributes: { latency: 1 } });
  link.update([half, never, always], 0);
  assert.equal(draws, 1);
  assert.equal(link.latency, 11, "0.3 < 0.5: it applies; toxicity 0 never does");
  link.update([{ ...half, attributes: { latency: 20, jitter: 0 } }, never, always], 1);
  assert.equal(draws, 1, "new attributes, same toxicity: the draw stands");
  assert.equal(link.latency, 21);
  link.update([{ ...half, toxicity: 0.2 }, never, always], 2);
  assert.equal(draws, 2);
  assert.equal(link.latency, 1, "0.3 is not under 0.2");
});

Deno.test("toxic link: timeouts drop and set a close time from when they came; removed, they release", () => {
  const link = new ToxicLink("upstream", () => 0);
  const t = toxic({ name: "t", type: "timeout", stream: "upstream", attributes: { timeout: 500 } });
  link.update([t], 1000);
  assert.equal(link.dropping, true);
  assert.equal(link.closeAt, 1500);
  link.update([t], 1200);
  assert.equal(link.closeAt, 1500, "still from when it came");
  assert.equal(link.released, false);
  link.update([], 1300);
  assert.equal(link.released, true);
  assert.equal(link.dropping, false);
  const forever = new ToxicLink("upstream", () => 0);
  forever.update([{ ...t, attributes: { timeout: 0 } }], 0);
  assert.equal(forever.closeAt, Infinity, "0: held open");
  const reset = new ToxicLink("downstream", () => 0);
  reset.update([toxic({ type: "reset_peer", attributes: { timeout: 30 } })], 100);
  assert.equal(reset.resetAt, 130);
});

Deno.test("toxic link: byte limits count from when each came; the nearest acts, a reset before a stall", () => {
  const link = new ToxicLink("upstream", () => 0);
  const limit = toxic({
    name: "l",
    type: "limit_data",
    stream: "upstream",
    attributes: { bytes: 100 },
  });
  link.update([limit], 0);
  assert.deepEqual(link.limit(), { bytes: 100, action: "close" });
  link.count(60);
  assert.deepEqual(link.limit(), { bytes: 40, action: "close" });
  const reset = toxic({
    name: "r",
    type: "reset_after",
    stream: "upstream",
    attributes: { bytes: 40 },
  });
  const stall = toxic({
    name: "s",
    type: "stall_after",
    stream: "upstream",
    attributes: { bytes: 40 },
  });
  link.update([limit, reset, stall], 1);
  assert.deepEqual(link.limit(), { bytes: 40, action: "close" }, "a tie: the first listed");
  link.count(10);
  assert.deepEqual(link.limit(), { bytes: 30, action: "close" });
  link.update([reset, stall], 2);
  assert.deepEqual(link.limit(), { bytes: 30, action: "reset" });
  link.count(50);
  assert.deepEqual(link.limit(), { bytes: 0, action: "reset" }, "never below 0");
  assert.deepEqual(new ToxicLink("upstream", () => 0).limit(), { bytes: Infinity, action: null });
});

Deno.test("toxic link: slices are about the average, within the variation, and add up", () => {
  let seed = 1;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const s = { average: 1024, variation: 512, delayMs: 0 };
  const sizes = sliceSizes(480_000, s, rand);
  assert.equal(sizes.reduce((a, b) => a + b, 0), 480_000);
  assert.ok(sizes.length >= 240 && sizes.length <= 720, `${sizes.length} slices`);
  assert.ok(sizes.every((n) => n >= 1 && n <= 1024 + 512), String(sizes.filter((n) => n > 1536)));
  assert.deepEqual(sliceSizes(100, s, rand), [100], "under the average: one slice");
  assert.deepEqual(sliceSizes(0, s, rand), []);
  assert.deepEqual(sliceSizes(4, { average: 1, variation: 0, delayMs: 0 }, rand), [1, 1, 1, 1]);
});

Deno.test("toxic link: before any toxics, and after, nothing applies", () => {
  const link = new ToxicLink("upstream", () => 0);
  assert.deepEqual(
    [link.latency, link.jitter, link.rate, link.slicing, link.slowClose, link.dropping],
    [0, 0, Infinity, null, 0, false],
  );
  assert.deepEqual(
    [link.closeAt, link.resetAt, link.released, link.timed, link.limited, link.applied],
    [Infinity, Infinity, false, false, false, []],
  );
});

Deno.test("toxic link: the first slicer's shape applies, its delay in ms; a slicer alone makes a link timed", () => {
  const link = new ToxicLink("downstream", () => 0);
  link.update([
    toxic({
      name: "s1",
      type: "slicer",
      attributes: { average_size: 100, size_variation: 10, delay: 500 },
    }),
    toxic({ name: "s2", type: "slicer", attributes: { average_size: 7 } }),
  ], 0);
  assert.deepEqual(link.slicing, { average: 100, variation: 10, delayMs: 0.5 });
  assert.equal(link.timed, true);
  assert.deepEqual(link.applied, ["slicer"]);
});

Deno.test("toxic link: only a timeout that held the connection releases it when it goes, or stops applying", () => {
  const timeout = toxic({ name: "x", type: "timeout", attributes: { timeout: 100 } });
  const lag = toxic({ name: "l", type: "latency", attributes: { latency: 5 } });
  const other = new ToxicLink("downstream", () => 0);
  other.update([lag], 0);
  other.update([], 1);
  assert.equal(other.released, false, "a latency removed releases nothing");
  const replaced = new ToxicLink("downstream", () => 0);
  replaced.update([timeout, lag], 0);
  replaced.update([lag], 1);
  assert.equal(
    replaced.released,
    true,
    "the timeout went; the latency that stays does not hold it",
  );
  const renamed = new ToxicLink("downstream", () => 0);
  renamed.update([timeout], 0);
  renamed.update([{ ...lag, name: "x" }], 1);
  assert.equal(renamed.released, true, "a latency by the timeout's name is not the timeout");
  const kept = new ToxicLink("downstream", () => 0);
  kept.update([timeout], 0);
  kept.update([{ ...timeout, attributes: { timeout: 200 } }], 1);
  assert.equal(kept.released, false, "the same timeout with new attributes still holds it");
  assert.equal(kept.closeAt, 200, "from when it first came");
  const drawn = new ToxicLink("downstream", () => 0.9);
  drawn.update([{ ...timeout, toxicity: 0.5 }], 0);
  drawn.update([], 1);
  assert.equal(drawn.released, false, "a timeout that never applied held nothing");
});

Deno.test("toxic link: a toxic replaced by another type of the same name starts afresh", () => {
  const link = new ToxicLink("downstream", () => 0);
  link.update([toxic({ name: "x", type: "latency", attributes: { latency: 5 } })], 0);
  link.update([toxic({ name: "x", type: "timeout", attributes: { timeout: 100 } })], 50);
  assert.equal(link.closeAt, 150, "its time runs from when the timeout came");
});

Deno.test("toxic link: byte limits apply only where drawn; limited says so", () => {
  const never = new ToxicLink("downstream", () => 0.9);
  never.update([toxic({ type: "limit_data", toxicity: 0.5, attributes: { bytes: 10 } })], 0);
  assert.equal(never.limited, false);
  const always = new ToxicLink("downstream", () => 0.9);
  always.update([toxic({ type: "limit_data", attributes: { bytes: 10 } })], 0);
  assert.equal(always.limited, true);
  always.update([toxic({ type: "latency", attributes: { latency: 1 } })], 1);
  assert.equal(always.limited, false);
});

Deno.test("toxic link: slices are cut where the draws say", () => {
  const s = { average: 4, variation: 2, delayMs: 0 };
  assert.deepEqual(sliceSizes(20, s, () => 0.5), [5, 5, 5, 5]);
  assert.deepEqual(sliceSizes(20, s, () => 0), [2, 6, 4, 2, 6]);
  assert.deepEqual(sliceSizes(20, s, () => 0.999), [6, 2, 4, 6, 2]);
});

Deno.test("toxic link: two toxics of one type are told apart by name: each draws, each holds", () => {
  const draws = [0.9, 0.1];
  const link = new ToxicLink("downstream", () => draws.shift()!);
  const a = toxic({ name: "a", type: "latency", toxicity: 0.5, attributes: { latency: 10 } });
  const b = toxic({ name: "b", type: "latency", toxicity: 0.5, attributes: { latency: 20 } });
  link.update([a], 0);
  assert.equal(link.latency, 0, "a's draw, 0.9, is not under 0.5");
  link.update([a, b], 1);
  assert.equal(link.latency, 20, "b draws its own: 0.1");
  const x = toxic({ name: "x", type: "timeout", attributes: { timeout: 0 } });
  const y = toxic({ name: "y", type: "timeout", attributes: { timeout: 0 } });
  const held = new ToxicLink("downstream", () => 0);
  held.update([x, y], 0);
  held.update([y], 1);
  assert.equal(held.released, true, "x went, though y stays");
});
