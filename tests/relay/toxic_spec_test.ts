import assert from "node:assert/strict";
import { ApiError } from "../../relay/api_error.ts";
import { parseToxic, updateToxic } from "../../relay/toxic_spec.ts";

/** The 400 message `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, 400);
    return e.message;
  }
  throw new Error("no error");
}

Deno.test("toxic spec: defaults as Toxiproxy's: downstream, toxicity 1, named TYPE_STREAM, attributes at zero", () => {
  assert.deepEqual(parseToxic('{"type":"latency","attributes":{"latency":100}}'), {
    name: "latency_downstream",
    type: "latency",
    stream: "downstream",
    toxicity: 1,
    attributes: { latency: 100, jitter: 0 },
  });
  assert.deepEqual(
    parseToxic(
      '{"name":"cut","type":"reset_peer","stream":"upstream","toxicity":0.25,"attributes":{}}',
    ),
    {
      name: "cut",
      type: "reset_peer",
      stream: "upstream",
      toxicity: 0.25,
      attributes: { timeout: 0 },
    },
  );
  assert.deepEqual(parseToxic('{"type":"noop"}').attributes, {});
  assert.deepEqual(
    parseToxic('{"type":"slicer","attributes":{"average_size":1024,"size_variation":512}}')
      .attributes,
    { average_size: 1024, size_variation: 512, delay: 0 },
  );
  assert.deepEqual(parseToxic('{"type":"bandwidth","attributes":{"rate":1000}}').attributes, {
    rate: 1000,
  });
  assert.deepEqual(parseToxic('{"type":"limit_data","attributes":{"bytes":0}}').attributes, {
    bytes: 0,
  });
});

Deno.test("toxic spec: every bad body, type, value and missing field is a 400 that says which", () => {
  const cases: [string, string][] = [
    [
      "{",
      "bad request body: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    ],
    ["[]", "bad request body: a toxic is a JSON object"],
    ["null", "bad request body: a toxic is a JSON object"],
    [
      "{}",
      "invalid toxic type: null (one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, reset_after, stall_after, refuse)",
    ],
    [
      '{"type":"lag"}',
      'invalid toxic type: "lag" (one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, reset_after, stall_after, refuse)',
    ],
    [
      '{"type":"noop","stream":"sideways"}',
      'stream was invalid, can be either upstream or downstream: "sideways"',
    ],
    [
      '{"type":"noop","toxicty":1}',
      "unknown field for a toxic: toxicty (known: name, type, stream, toxicity, attributes)",
    ],
    ['{"type":"noop","name":7}', "name must be a string"],
    ['{"type":"noop","name":"a/b"}', 'a toxic\'s name cannot hold "/": a/b'],
    ['{"type":"noop","toxicity":1.5}', "toxicity must be a number from 0 to 1, not 1.5"],
    ['{"type":"noop","toxicity":-0.1}', "toxicity must be a number from 0 to 1, not -0.1"],
    ['{"type":"noop","toxicity":"1"}', 'toxicity must be a number from 0 to 1, not "1"'],
    ['{"type":"noop","attributes":[]}', "attributes must be a JSON object"],
    ['{"type":"noop","attributes":{"rate":1}}', "noop has no attribute rate"],
    [
      '{"type":"latency","attributes":{"lag":1}}',
      "latency has no attribute lag (it has latency, jitter)",
    ],
    [
      '{"type":"latency","attributes":{"latency":-1}}',
      "latency latency must be a whole number of ms from 0 to 2147483647, not -1",
    ],
    [
      '{"type":"latency","attributes":{"latency":1.5}}',
      "latency latency must be a whole number of ms from 0 to 2147483647, not 1.5",
    ],
    [
      '{"type":"latency","attributes":{"latency":"100"}}',
      'latency latency must be a whole number of ms from 0 to 2147483647, not "100"',
    ],
    [
      '{"type":"latency","attributes":{"jitter":2147483648}}',
      "latency jitter must be a whole number of ms from 0 to 2147483647, not 2147483648",
    ],
    [
      '{"type":"bandwidth","attributes":{"rate":-5}}',
      "bandwidth rate must be a whole number of KB/s from 1 to 1000000000, not -5",
    ],
    [
      '{"type":"bandwidth","attributes":{"rate":0}}',
      "bandwidth rate must be a whole number of KB/s from 1 to 1000000000, not 0",
    ],
    ['{"type":"bandwidth"}', "missing required field: bandwidth needs attribute rate (KB/s)"],
    [
      '{"type":"slicer","attributes":{"average_size":0}}',
      "slicer average_size must be a whole number of bytes from 1 to 1048576, not 0",
    ],
    [
      '{"type":"slicer","attributes":{"size_variation":1}}',
      "missing required field: slicer needs attribute average_size (bytes)",
    ],
    [
      '{"type":"slicer","attributes":{"average_size":8,"size_variation":8}}',
      "slicer size_variation (8) must be under its average_size (8)",
    ],
    ['{"type":"limit_data"}', "missing required field: limit_data needs attribute bytes (bytes)"],
    [
      '{"type":"reset_after","attributes":{"bytes":-1}}',
      "reset_after bytes must be a whole number of bytes from 0 to 9007199254740991, not -1",
    ],
    [
      '{"type":"limit_data","attributes":{"bytes":null}}',
      "limit_data bytes must be a whole number of bytes from 0 to 9007199254740991, not null",
    ],
  ];
  for (const [body, message] of cases) assert.equal(refusal(() => parseToxic(body)), message, body);
});

Deno.test("toxic spec: an update changes toxicity and the attributes given, keeps the rest, and nothing else", () => {
  const old = parseToxic(
    '{"type":"latency","toxicity":0.5,"attributes":{"latency":100,"jitter":10}}',
  );
  assert.deepEqual(updateToxic(old, '{"attributes":{"jitter":20}}'), {
    ...old,
    attributes: { latency: 100, jitter: 20 },
  });
  assert.deepEqual(updateToxic(old, '{"toxicity":0}'), { ...old, toxicity: 0 });
  assert.deepEqual(updateToxic(old, '{"type":"latency","name":"latency_downstream"}'), old);
  assert.equal(
    refusal(() => updateToxic(old, '{"type":"timeout"}')),
    "a toxic's type cannot change (latency): remove it and add another",
  );
  assert.equal(
    refusal(() => updateToxic(old, '{"stream":"upstream"}')),
    "a toxic's stream cannot change (downstream): remove it and add another",
  );
  assert.equal(
    refusal(() => updateToxic(old, '{"attributes":{"latency":-1}}')),
    "latency latency must be a whole number of ms from 0 to 2147483647, not -1",
  );
  const slicer = parseToxic(
    '{"type":"slicer","attributes":{"average_size":100,"size_variation":50}}',
  );
  assert.equal(
    refusal(() => updateToxic(slicer, '{"attributes":{"average_size":50}}')),
    "slicer size_variation (50) must be under its average_size (50)",
    "checked across the old and new attributes together",
  );
});

Deno.test("api error: the body Toxiproxy sends", () => {
  assert.equal(
    JSON.stringify(ApiError.notFound("proxy not found")),
    '{"error":"proxy not found","status":404}',
  );
  assert.equal(
    JSON.stringify(ApiError.conflict("toxic already exists")),
    '{"error":"toxic already exists","status":409}',
  );
});

Deno.test("toxic spec: each type's attributes, at their least and greatest", () => {
  const attrs = (body: object) => parseToxic(JSON.stringify(body)).attributes;
  assert.deepEqual(attrs({ type: "slow_close", attributes: { delay: 5 } }), { delay: 5 });
  assert.deepEqual(attrs({ type: "timeout", attributes: { timeout: 2147483647 } }), {
    timeout: 2147483647,
  });
  assert.deepEqual(attrs({ type: "reset_peer", attributes: { timeout: 0 } }), { timeout: 0 });
  assert.deepEqual(attrs({ type: "stall_after", attributes: { bytes: 9 } }), { bytes: 9 });
  assert.deepEqual(attrs({ type: "reset_after", attributes: { bytes: 0 } }), { bytes: 0 });
  assert.deepEqual(attrs({ type: "refuse", attributes: null }), {});
  assert.deepEqual(attrs({ type: "latency", attributes: { latency: 2147483647, jitter: 0 } }), {
    latency: 2147483647,
    jitter: 0,
  });
  assert.equal(
    refusal(() =>
      parseToxic('{"type":"slicer","attributes":{"average_size":8,"size_variation":-1}}')
    ),
    "slicer size_variation must be a whole number of bytes from 0 to 1048576, not -1",
  );
  assert.equal(
    refusal(() => parseToxic('{"type":"slicer","attributes":{"average_size":8,"delay":-1}}')),
    "slicer delay must be a whole number of µs from 0 to 2147483647000, not -1",
  );
  assert.equal(refusal(() => parseToxic("5")), "bad request body: a toxic is a JSON object");
  assert.equal(
    refusal(() => parseToxic('{"type":7}')),
    "invalid toxic type: 7 (one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, reset_after, stall_after, refuse)",
  );
  assert.equal(
    refusal(() => parseToxic('{"type":"noop","attributes":5}')),
    "attributes must be a JSON object",
  );
});

Deno.test("toxic spec: an update's body is checked as a create's", () => {
  const old = parseToxic('{"type":"noop"}');
  assert.equal(refusal(() => updateToxic(old, "[]")), "bad request body: a toxic is a JSON object");
  assert.equal(
    refusal(() => updateToxic(old, '{"colour":1}')),
    "unknown field for a toxic: colour (known: name, type, stream, toxicity, attributes)",
  );
  assert.equal(
    refusal(() => updateToxic(old, '{"toxicity":2}')),
    "toxicity must be a number from 0 to 1, not 2",
  );
});
