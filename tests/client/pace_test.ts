import assert from "node:assert/strict";
import { Meter } from "../../client/meter.ts";
import { Pace } from "../../client/pace.ts";

Deno.test("pace: messages fall due in time order, connections spread across each interval", () => {
  const pace = new Pace(1000, 4, 100); // 4 connections x 100/s: one message every 2.5 ms overall
  assert.equal(pace.dueAt(0, 0), 1000);
  assert.equal(pace.dueAt(2, 0), 1005);
  assert.equal(pace.dueAt(1, 3), 1032.5);
  const released: [number, number][] = [];
  pace.advance(1011, (conn, count) => released.push([conn, count]));
  assert.deepEqual(released, [[0, 1], [1, 1], [2, 1], [3, 1], [0, 2]]);
  assert.equal(pace.next, 1012.5);
  pace.advance(1011, () => assert.fail("nothing more is due yet"));
});

Deno.test("meter: messages started in the warm-up, and bytes moved in it, are left out", () => {
  const meter = new Meter(100);
  meter.record(99.9, 150);
  meter.record(100, 101.5);
  meter.moved(99.9, 1000, 2000);
  meter.moved(100, 10, 0);
  meter.moved(120, 0, 20);
  assert.equal(meter.messages, 1);
  assert.equal(meter.bytesSent, 10);
  assert.equal(meter.bytesReceived, 20);
  assert.equal(meter.latency.max, 1500);
});
