import assert from "node:assert/strict";
import { Log } from "../../lib/log.ts";

function capture(format: "text" | "json") {
  const out: string[] = [], err: string[] = [];
  const log = new Log("normal", format, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { log, out, err };
}

Deno.test("log: in JSON every line, errors included, goes to one stream (standard output)", () => {
  const { log, out, err } = capture("json");
  log.info("accepted", "#1 accepted", { conn: 1 });
  log.error("failed", "sockdemo: #1 reset", { conn: 1, reason: "connection reset by peer" });
  assert.deepEqual(err, []);
  assert.deepEqual(out.map((l) => JSON.parse(l).event), ["accepted", "failed"]);
  assert.equal(JSON.parse(out[1]).level, "error");
  assert.equal(JSON.parse(out[1]).reason, "connection reset by peer");
});

Deno.test("log: in text, errors go to standard error and the rest to standard output", () => {
  const { log, out, err } = capture("text");
  log.info("accepted", "#1 accepted");
  log.error("failed", "sockdemo: #1 reset");
  assert.deepEqual(out, ["#1 accepted"]);
  assert.deepEqual(err, ["sockdemo: #1 reset"]);
});
