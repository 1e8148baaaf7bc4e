/**
 * The proxy table over a host that only records what it is told: which
 * proxies it opens, closes (and why) and refreshes, for each change the API
 * can ask for, and every request the table refuses.
 */
import assert from "node:assert/strict";
import { ApiError } from "../../relay/api_error.ts";
import type { Opened, Proxy, ProxyHost } from "../../relay/proxy_table.ts";
import { ProxyTable } from "../../relay/proxy_table.ts";
import type { ToxicSpec } from "../../relay/toxic_spec.ts";

/** A host that binds port 40000 + n for the nth open, and writes down every call. */
class RecordingHost implements ProxyHost {
  readonly calls: string[] = [];
  readonly toxics = new Map<string, () => readonly ToxicSpec[]>();
  #opened = 0;
  refuse: string | null = null;

  open(proxy: Proxy, toxics: () => readonly ToxicSpec[]): Opened {
    if (proxy.listen.port === 1) throw new ApiError(500, "cannot listen on 127.0.0.1:1: in use");
    const address = `127.0.0.1:${40000 + ++this.#opened}`, name = proxy.name;
    this.calls.push(`open ${name} ${proxy.listen.host}:${proxy.listen.port}`);
    this.toxics.set(name, toxics);
    return {
      address,
      close: (cut) => void this.calls.push(`close ${name}: ${cut}`),
      refresh: () => void this.calls.push(`refresh ${name}`),
    };
  }
}

function table() {
  const host = new RecordingHost();
  return { host, table: new ProxyTable(host) };
}

const body = (value: unknown) => JSON.stringify(value);
const ECHO = "127.0.0.1:7";

/** The 4xx message `run` throws. */
function refusal(run: () => unknown, status = 400): string {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.status, status);
    return e.message;
  }
  throw new Error("no error");
}

Deno.test("proxy table: a proxy made shows the port bound; one disabled is not opened and shows what was asked", () => {
  const { host, table: t } = table();
  assert.deepEqual(t.create(body({ name: "a", upstream: ECHO })), {
    name: "a",
    listen: "127.0.0.1:40001",
    upstream: ECHO,
    enabled: true,
    toxics: [],
  });
  assert.deepEqual(t.create(body({ name: "b", listen: ":9000", upstream: "7", enabled: false })), {
    name: "b",
    listen: "127.0.0.1:9000",
    upstream: ECHO,
    enabled: false,
    toxics: [],
  });
  assert.deepEqual(host.calls, ["open a 127.0.0.1:0"]);
  assert.deepEqual(Object.keys(t.list()), ["a", "b"]);
  assert.equal(t.get("a").listen, "127.0.0.1:40001");
  assert.equal(
    refusal(() => t.create(body({ name: "a", upstream: ECHO })), 409),
    "proxy already exists",
  );
  assert.equal(refusal(() => t.get("c"), 404), "proxy not found");
  assert.equal(
    refusal(() => t.create(body({ name: "c", listen: "127.0.0.1:1", upstream: ECHO })), 500),
    "cannot listen on 127.0.0.1:1: in use",
  );
});

Deno.test("proxy table: every wrong proxy body is a 400 that says what is wrong", () => {
  const { table: t } = table();
  const cases: [unknown, string][] = [
    [{ upstream: ECHO }, "missing required field: name"],
    [{ name: "", upstream: ECHO }, "missing required field: name"],
    [{ name: 5, upstream: ECHO }, "missing required field: name"],
    [{ name: "a/b", upstream: ECHO }, 'a proxy\'s name cannot hold "/": a/b'],
    [{ name: "a" }, "missing required field: upstream"],
    [{ name: "a", upstream: "" }, "missing required field: upstream"],
    [{ name: "a", upstream: 7 }, "upstream must be a string HOST:PORT"],
    [{ name: "a", upstream: "nowhere" }, 'upstream must be HOST:PORT, not "nowhere"'],
    [{ name: "a", upstream: "unix:/s" }, 'upstream must be HOST:PORT, not "unix:/s"'],
    [{ name: "a", upstream: "h:0" }, 'upstream must be HOST:PORT, not "h:0"'],
    [{ name: "a", upstream: ECHO, listen: "x" }, 'listen must be HOST:PORT, not "x"'],
    [{ name: "a", upstream: ECHO, enabled: "yes" }, "enabled must be true or false"],
    [
      { name: "a", upstream: ECHO, toxics: [{ type: "noop" }] },
      "toxics are added one by one: POST /proxies/{name}/toxics",
    ],
    [
      { name: "a", upstream: ECHO, toxics: "none" },
      "toxics are added one by one: POST /proxies/{name}/toxics",
    ],
    [
      { name: "a", upstream: ECHO, port: 1 },
      "unknown field for a proxy: port (known: name, listen, upstream, enabled, toxics)",
    ],
  ];
  for (const [input, message] of cases) {
    assert.equal(refusal(() => t.create(body(input))), message, JSON.stringify(input));
  }
  assert.equal(
    t.create(body({ name: "ok", upstream: ECHO, toxics: [] })).name,
    "ok",
    "no toxics is fine",
  );
  assert.equal(refusal(() => t.create("[1]")), "bad request body: a proxy is a JSON object");
});

Deno.test("proxy table: populate checks every proxy before making any, then makes or replaces each", () => {
  const { host, table: t } = table();
  assert.equal(
    refusal(() => t.populate("{")),
    "bad request body: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
  );
  assert.equal(
    refusal(() => t.populate(body({ name: "a" }))),
    "bad request body: populate takes a JSON array of proxies",
  );
  for (const bad of [5, null, [], "x"]) {
    assert.equal(
      refusal(() => t.populate(body([{ name: "a", upstream: ECHO }, bad]))),
      "bad request body: proxy 2 is not a JSON object",
      JSON.stringify(bad),
    );
  }
  assert.equal(
    refusal(() => t.populate(body([{ name: "a", upstream: ECHO }, { name: "b" }]))),
    "missing required field: upstream",
  );
  assert.deepEqual(t.list(), {}, "nothing made");
  const made = t.populate(
    body([{ name: "a", upstream: ECHO }, { name: "b", upstream: ECHO, enabled: false }]),
  );
  assert.deepEqual(made.map((p) => [p.name, p.enabled]), [["a", true], ["b", false]]);
  t.addToxic("a", body({ type: "noop" }));
  host.calls.length = 0;
  const again = t.populate(body([
    { name: "a", upstream: ECHO },
    { name: "b", listen: "127.0.0.1:9", upstream: ECHO },
  ]));
  assert.deepEqual(host.calls, ["refresh a", "open b 127.0.0.1:9"], "a unchanged; b enabled");
  assert.deepEqual(again[0].toxics.map((x) => x.name), ["noop_downstream"], "a keeps its toxics");
  host.calls.length = 0;
  t.populate(body([{ name: "a", listen: "127.0.0.1:8", upstream: ECHO }]));
  assert.deepEqual(host.calls, ["close a: the proxy was restarted", "open a 127.0.0.1:8"]);
});

Deno.test("proxy table: an update changes what it names; disabling closes its connections, enabling opens it", () => {
  const { host, table: t } = table();
  t.create(body({ name: "a", listen: "127.0.0.1:9", upstream: ECHO }));
  host.calls.length = 0;
  assert.deepEqual(t.update("a", body({ enabled: false })), {
    name: "a",
    listen: "127.0.0.1:9",
    upstream: ECHO,
    enabled: false,
    toxics: [],
  });
  assert.deepEqual(host.calls, ["close a: the proxy was disabled"]);
  assert.equal(t.update("a", body({ enabled: true })).listen, "127.0.0.1:40002");
  t.update("a", body({ upstream: "127.0.0.1:8" }));
  assert.deepEqual(host.calls.slice(-2), [
    "close a: the proxy was restarted",
    "open a 127.0.0.1:9",
  ]);
  host.calls.length = 0;
  t.update("a", body({ upstream: "127.0.0.1:8" }));
  assert.deepEqual(host.calls, ["refresh a"], "the same again: nothing restarts");
  assert.equal(
    refusal(() => t.update("a", body({ name: "b" }))),
    "a proxy's name cannot change (a)",
  );
  assert.equal(refusal(() => t.update("a", "[]")), "bad request body: a proxy is a JSON object");
  assert.equal(refusal(() => t.update("z", body({})), 404), "proxy not found");
});

Deno.test("proxy table: deleting closes a proxy's connections; a disabled one has nothing to close", () => {
  const { host, table: t } = table();
  t.create(body({ name: "a", upstream: ECHO }));
  t.create(body({ name: "b", upstream: ECHO, enabled: false }));
  t.remove("a");
  t.remove("b");
  assert.deepEqual(host.calls, ["open a 127.0.0.1:0", "close a: the proxy was deleted"]);
  assert.deepEqual(t.list(), {});
  assert.equal(refusal(() => t.remove("a"), 404), "proxy not found");
});

Deno.test("proxy table: toxics are added, read, changed and removed, each time telling the proxy's connections", () => {
  const { host, table: t } = table();
  t.create(body({ name: "a", upstream: ECHO }));
  host.calls.length = 0;
  const lag = t.addToxic("a", body({ name: "lag", type: "latency", attributes: { latency: 5 } }));
  assert.equal(lag.name, "lag");
  t.addToxic("a", body({ type: "noop" }));
  assert.equal(
    refusal(() => t.addToxic("a", body({ name: "lag", type: "noop" })), 409),
    "toxic already exists",
  );
  assert.deepEqual(t.toxics("a").map((x) => x.name), ["lag", "noop_downstream"]);
  assert.deepEqual(t.toxic("a", "lag"), lag);
  assert.equal(refusal(() => t.toxic("a", "x"), 404), "toxic not found");
  const changed = t.updateToxic("a", "lag", body({ attributes: { latency: 9 } }));
  assert.equal(changed.attributes.latency, 9);
  assert.deepEqual(
    t.toxics("a").map((x) => x.attributes.latency),
    [9, undefined],
    "in place, in order",
  );
  assert.equal(host.toxics.get("a")!()[0].attributes.latency, 9, "the connections see the change");
  t.removeToxic("a", "lag");
  assert.deepEqual(t.toxics("a").map((x) => x.name), ["noop_downstream"]);
  assert.equal(refusal(() => t.removeToxic("a", "lag"), 404), "toxic not found");
  assert.equal(refusal(() => t.addToxic("z", body({ type: "noop" })), 404), "proxy not found");
  assert.deepEqual(host.calls, ["refresh a", "refresh a", "refresh a", "refresh a"]);
  t.seed("a", [{ name: "s", type: "noop", stream: "upstream", toxicity: 1, attributes: {} }]);
  assert.deepEqual(t.proxy("a")?.toxics.map((x) => x.name), ["noop_downstream", "s"]);
  assert.equal(host.calls.length, 5);
  t.remove("a");
  assert.deepEqual(host.toxics.get("a")!(), [], "a deleted proxy's connections see no toxics");
});

Deno.test("proxy table: reset enables every proxy and clears every toxic", () => {
  const { host, table: t } = table();
  t.create(body({ name: "a", upstream: ECHO }));
  t.create(body({ name: "b", upstream: ECHO, enabled: false }));
  t.addToxic("a", body({ type: "noop" }));
  t.addToxic("b", body({ type: "noop" }));
  host.calls.length = 0;
  t.reset();
  assert.deepEqual(host.calls, ["refresh a", "open b 127.0.0.1:0"]);
  assert.deepEqual(Object.values(t.list()).map((p) => [p.enabled, p.toxics.length]), [[true, 0], [
    true,
    0,
  ]]);
});
