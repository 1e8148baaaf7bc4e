import assert from "node:assert/strict";
import { faultToxics } from "../../relay/fault_toxics.ts";
import { NO_FAULTS } from "../../relay/relay_flow.ts";
import { refusedBy } from "../../relay/relay_sessions.ts";

Deno.test("fault toxics: each command-line fault is a toxic of its direction, named as Toxiproxy would", () => {
  const up = {
    ...NO_FAULTS,
    delay: 50,
    jitter: 5,
    bandwidth: 1500,
    resetAfter: 100,
    stallAfter: 200,
  };
  const down = { ...NO_FAULTS, jitter: 7 };
  assert.deepEqual(faultToxics(up, down, 0.25), [
    {
      name: "latency_upstream",
      type: "latency",
      stream: "upstream",
      toxicity: 1,
      attributes: { latency: 50, jitter: 5 },
    },
    {
      name: "bandwidth_upstream",
      type: "bandwidth",
      stream: "upstream",
      toxicity: 1,
      attributes: { rate: 1.5 },
    },
    {
      name: "reset_after_upstream",
      type: "reset_after",
      stream: "upstream",
      toxicity: 1,
      attributes: { bytes: 100 },
    },
    {
      name: "stall_after_upstream",
      type: "stall_after",
      stream: "upstream",
      toxicity: 1,
      attributes: { bytes: 200 },
    },
    {
      name: "latency_downstream",
      type: "latency",
      stream: "downstream",
      toxicity: 1,
      attributes: { latency: 0, jitter: 7 },
    },
    { name: "refuse", type: "refuse", stream: "downstream", toxicity: 0.25, attributes: {} },
  ]);
  assert.deepEqual(faultToxics(NO_FAULTS, NO_FAULTS), [], "no faults, no toxics");
  assert.deepEqual(faultToxics(NO_FAULTS, { ...NO_FAULTS, delay: 1 }).map((t) => t.name), [
    "latency_downstream",
  ]);
});

Deno.test("refused by: a refuse toxic turns away its share of connection numbers, the same for a seed", () => {
  const refuse = (toxicity: number) =>
    ({ name: "r", type: "refuse", stream: "downstream", toxicity, attributes: {} }) as const;
  const noop = {
    name: "n",
    type: "noop",
    stream: "downstream",
    toxicity: 1,
    attributes: {},
  } as const;
  const numbers = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.deepEqual(numbers.map((n) => refusedBy([noop], 7, n)), new Array(200).fill(null));
  assert.deepEqual(numbers.map((n) => refusedBy([refuse(0)], 7, n)), new Array(200).fill(null));
  assert.deepEqual(
    numbers.map((n) => refusedBy([refuse(1)], 7, n)),
    new Array(200).fill("toxic r"),
  );
  const half = numbers.map((n) => refusedBy([noop, refuse(0.5)], 7, n));
  const turned = half.filter((r) => r !== null).length;
  assert.ok(turned > 70 && turned < 130, `${turned} of 200`);
  assert.deepEqual(
    numbers.map((n) => refusedBy([refuse(0.5)], 7, n)),
    half,
    "the same numbers again",
  );
});
