/** Bytes to lines for a child's standard error: splits, cuts, the last line. */
import assert from "node:assert/strict";
import { LineBuffer, MAX_LINE } from "../../lib/line_buffer.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function lines(parts: string[], flush = true): string[] {
  const buffer = new LineBuffer(), out: string[] = [];
  for (const part of parts) buffer.push(bytes(part), (line) => out.push(line));
  if (flush) buffer.flush((line) => out.push(line));
  return out;
}

Deno.test("line buffer: a line is whole however the bytes are split; CRLF and empty lines", () => {
  assert.deepEqual(lines(["one\ntwo\n"]), ["one", "two"]);
  assert.deepEqual(lines(["o", "ne\nt", "w", "o\n"]), ["one", "two"]);
  assert.deepEqual(lines(["dos\r\n", "\n", "x\r\n"]), ["dos", "", "x"]);
  assert.deepEqual(lines(["\u00e9t\u00e9\n"]), ["\u00e9t\u00e9"]);
  // A character split between reads comes out whole.
  const e = bytes("\u00e9\n"), buffer = new LineBuffer(), out: string[] = [];
  buffer.push(e.subarray(0, 1), (line) => out.push(line));
  buffer.push(e.subarray(1), (line) => out.push(line));
  assert.deepEqual(out, ["\u00e9"]);
});

Deno.test("line buffer: what is left comes out at the flush, and only then; nothing for nothing", () => {
  assert.deepEqual(lines(["tail"], false), []);
  assert.deepEqual(lines(["tail"]), ["tail"]);
  assert.deepEqual(lines(["a\n"]), ["a"]);
  assert.deepEqual(lines([]), []);
  assert.deepEqual(lines([""]), []);
});

Deno.test("line buffer: a line over 4,096 bytes is cut there; one of exactly 4,096 stays one line", () => {
  assert.equal(MAX_LINE, 4096);
  const exact = "x".repeat(4096);
  assert.deepEqual(lines([exact + "\nnext\n"]), [exact, "next"]);
  const long = "y".repeat(4096) + "z".repeat(10);
  assert.deepEqual(lines([long + "\n"]), ["y".repeat(4096), "z".repeat(10)]);
  assert.deepEqual(lines(["y".repeat(3000), "y".repeat(3000), "\n"]), [
    "y".repeat(4096),
    "y".repeat(1904),
  ]);
  assert.deepEqual(lines(["w".repeat(8192 + 1)]), ["w".repeat(4096), "w".repeat(4096), "w"]);
});
