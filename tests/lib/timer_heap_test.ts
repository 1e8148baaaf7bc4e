import assert from "node:assert/strict";
import fc from "fast-check";
import { type Timer, TimerHeap } from "../../lib/timer_heap.ts";

interface Named extends Timer {
  readonly name: string;
}
const timer = (name: string): Named => ({ name, at: Infinity, slot: -1 });

Deno.test("timer heap: timers come out earliest deadline first", () => {
  const timers = new TimerHeap<Named>();
  assert.equal(timers.nextAt, Infinity);
  const [a, b, c, first] = ["a", "b", "c", "first"].map(timer);
  timers.schedule(c, 30);
  timers.schedule(a, 10);
  timers.schedule(b, 20);
  timers.schedule(first, 5);
  assert.equal(timers.size, 4);
  assert.equal(timers.nextAt, 5);
  const out = [timers.take(), timers.take(), timers.take(), timers.take()].map((t) => t.name);
  assert.deepEqual(out, ["first", "a", "b", "c"]);
  assert.equal(timers.size, 0);
  assert.equal(timers.nextAt, Infinity);
  assert.deepEqual([first.at, first.slot], [Infinity, -1], "a timer taken is unscheduled");
});

Deno.test("timer heap: rescheduling moves a timer, earlier or later, and never holds it twice", () => {
  const timers = new TimerHeap<Named>();
  const [a, b, c] = ["a", "b", "c"].map(timer);
  timers.schedule(a, 10);
  timers.schedule(b, 20);
  timers.schedule(c, 30);
  timers.schedule(a, 40);
  assert.equal(timers.size, 3);
  assert.equal(timers.nextAt, 20);
  timers.schedule(c, 5);
  assert.equal(timers.nextAt, 5);
  timers.schedule(c, 5);
  assert.equal(timers.size, 3, "the same deadline again changes nothing");
  assert.deepEqual([timers.take(), timers.take(), timers.take()].map((t) => t.name), [
    "c",
    "b",
    "a",
  ]);
});

Deno.test("timer heap: a timer cancelled, or scheduled at Infinity, is out; cancelling one not in does nothing", () => {
  const timers = new TimerHeap<Named>();
  const [a, b, c] = ["a", "b", "c"].map(timer);
  timers.schedule(a, 10);
  timers.schedule(b, 20);
  timers.schedule(c, 30);
  timers.cancel(a);
  assert.equal(timers.size, 2);
  assert.equal(timers.nextAt, 20);
  timers.cancel(a);
  assert.equal(timers.size, 2);
  timers.schedule(c, Infinity);
  assert.equal(timers.size, 1);
  timers.schedule(c, Infinity);
  assert.equal(timers.size, 1, "nothing is scheduled at Infinity");
  assert.equal(timers.take().name, "b");
  assert.equal(timers.nextAt, Infinity);
});

Deno.test("timer heap: any mix of schedules, cancels and takes agrees with a sorted list", () => {
  // Each op: [timer 0..7, deadline 0..100 | -1 take | -2 cancel | -3 Infinity].
  const op = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: -3, max: 100 }));
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const timers = new TimerHeap<Named>();
      const all = Array.from({ length: 8 }, (_, i) => timer(String(i)));
      const model = new Map<Named, number>();
      for (const [which, at] of ops) {
        const t = all[which];
        if (at === -1) {
          if (model.size === 0) continue;
          const earliest = Math.min(...model.values());
          const taken = timers.take();
          assert.equal(model.get(taken), earliest, "the earliest (of equal ones, any) comes out");
          model.delete(taken);
        } else if (at === -2 || at === -3) {
          if (at === -2) timers.cancel(t);
          else timers.schedule(t, Infinity);
          model.delete(t);
        } else {
          timers.schedule(t, at);
          model.set(t, at);
        }
        assert.equal(timers.size, model.size);
        assert.equal(timers.nextAt, model.size === 0 ? Infinity : Math.min(...model.values()));
        for (const x of all) assert.equal(x.at, model.get(x) ?? Infinity);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("timer heap: a timer cancelled deep in one branch, filled from the other by a sooner one, loses none", () => {
  // Scheduled in this order the heap is [1, 50, 2, 60, 70, 3, 4]: cancelling 60 moves 4 up past 50.
  const timers = new TimerHeap<Named>();
  const all = [1, 50, 2, 60, 70, 3, 4].map((at) => {
    const t = timer(String(at));
    timers.schedule(t, at);
    return t;
  });
  timers.cancel(all[3]);
  const out: string[] = [];
  while (timers.size > 0) out.push(timers.take().name);
  assert.deepEqual(out, ["1", "2", "3", "4", "50", "70"]);
});
