import assert from "node:assert/strict";
import { faultToxics } from "../../relay/fault_toxics.ts";
import { NO_FAULTS } from "../../relay/relay_flow.ts";

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
