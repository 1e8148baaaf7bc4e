import assert from "node:assert/strict";
import fc from "fast-check";
import { TimerHeap } from "../../lib/timer_heap.ts";

Deno.test("timer heap: items come out earliest deadline first", () => {
  const timers = new TimerHeap<string>();
  assert.equal(timers.nextAt, Infinity);
  timers.add(30, "c");
  timers.add(10, "a");
  timers.add(20, "b");
  timers.add(5, "first");
  assert.equal(timers.size, 4);
  assert.equal(timers.nextAt, 5);
  assert.deepEqual([timers.take(), timers.take(), timers.take(), timers.take()], [
    "first",
    "a",
    "b",
    "c",
  ]);
  assert.equal(timers.size, 0);
  assert.equal(timers.nextAt, Infinity);
});

Deno.test("timer heap: any mix of adds and takes gives the deadlines in sorted order", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1))), (ops) => {
      const timers = new TimerHeap<number>();
      const model: number[] = [];
      for (const op of ops) {
        if (op === -1) {
          if (model.length === 0) continue;
          model.sort((x, y) => x - y);
          assert.equal(timers.take(), model.shift());
        } else {
          timers.add(op, op);
          model.push(op);
        }
        assert.equal(timers.size, model.length);
        assert.equal(timers.nextAt, model.length === 0 ? Infinity : Math.min(...model));
      }
    }),
    { numRuns: 300 },
  );
});
