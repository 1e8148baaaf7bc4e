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

Deno.test("log: each level at each verbosity: quiet keeps notices and errors, verbose adds debug", () => {
  const seen = (verbosity: "quiet" | "normal" | "verbose") => {
    const out: string[] = [], err: string[] = [];
    const log = new Log(verbosity, "text", { out: (l) => out.push(l), err: (l) => err.push(l) });
    log.info("a", "info line");
    log.notice("b", "notice line");
    log.debug("c", "debug line");
    log.error("d", "error line");
    return { out, err, verbose: log.verbose, normal: log.normal };
  };
  assert.deepEqual(seen("quiet"), {
    out: ["notice line"],
    err: ["error line"],
    verbose: false,
    normal: false,
  });
  assert.deepEqual(seen("normal"), {
    out: ["info line", "notice line"],
    err: ["error line"],
    verbose: false,
    normal: true,
  });
  assert.deepEqual(seen("verbose"), {
    out: ["info line", "notice line", "debug line"],
    err: ["error line"],
    verbose: true,
    normal: true,
  });
});

Deno.test("log: a JSON line is time, level, event, the base fields, then the line's own", () => {
  const out: string[] = [];
  const log = new Log("verbose", "json", { out: (l) => out.push(l), err: () => {} }, {
    worker: 2,
  });
  const before = Date.now();
  log.info("accepted", "ignored in JSON", { conn: 1 });
  log.notice("listening", "x");
  log.debug("read", "x", { bytes: 5 });
  log.error("failed", "x", { reason: "r" });
  const lines = out.map((l) => JSON.parse(l));
  assert.deepEqual(Object.keys(lines[0]), ["time", "level", "event", "worker", "conn"]);
  assert.deepEqual(lines.map(({ time: _, ...rest }) => rest), [
    { level: "info", event: "accepted", worker: 2, conn: 1 },
    { level: "info", event: "listening", worker: 2 },
    { level: "debug", event: "read", worker: 2, bytes: 5 },
    { level: "error", event: "failed", worker: 2, reason: "r" },
  ]);
  const time = Date.parse(lines[0].time);
  assert.ok(time >= before - 1000 && time <= Date.now() + 1000, lines[0].time);
  assert.match(lines[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

Deno.test("log: without a sink, lines go to the console: standard output and standard error", () => {
  const out: unknown[] = [], err: unknown[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (line: unknown) => out.push(line);
  console.error = (line: unknown) => err.push(line);
  try {
    const logger = new Log("normal");
    logger.info("a", "to stdout");
    logger.error("b", "to stderr");
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.deepEqual(out, ["to stdout"]);
  assert.deepEqual(err, ["to stderr"]);
});
