/** What the app server answers, against PROTOCOL.md's own words, written out here. */
import assert from "node:assert/strict";
import { type Frame, frameBytes, FrameDecoder, type FrameHeader } from "../../lib/frame.ts";
import { answer, contentNeeded, errorReply, searchResult } from "../../server/app_answer.ts";

const text = new TextEncoder();
const untext = new TextDecoder();

/** The frame a peer's bytes decode to. */
function request(type: string, content: string | Uint8Array): Frame {
  const bytes = typeof content === "string" ? text.encode(content) : content;
  const wire = frameBytes(type, type === "text/json" ? "utf-8" : "binary", bytes);
  const d = new FrameDecoder(1 << 20);
  d.feed(wire, 0, wire.length);
  return d.message!;
}

function reply(type: string, content: string | Uint8Array): [string, string, string] {
  const r = answer(request(type, content));
  return [r.contentType, r.contentEncoding, untext.decode(r.content)];
}

Deno.test("app answer: the search table of PROTOCOL.md, and the no-match text", () => {
  const cases: [string, string][] = [
    ['{"action": "search", "value": "morpheus"}', '{"result":"Follow the white rabbit. 🐰"}'],
    [
      '{"action": "search", "value": "ring"}',
      '{"result":"In the caves beneath the Misty Mountains. 💍"}',
    ],
    ['{"action": "search", "value": "🐶"}', '{"result":"🐾 Playing ball! 🏐"}'],
    ['{"action": "search", "value": "nothing"}', '{"result":"No match for \\"nothing\\"."}'],
    ['{"action": "search", "value": "Ring"}', '{"result":"No match for \\"Ring\\"."}'],
    ['{"action": "search", "value": ""}', '{"result":"No match for \\"\\"."}'],
    ['{"action": "search", "value": "toString"}', '{"result":"No match for \\"toString\\"."}'],
  ];
  for (const [content, result] of cases) {
    assert.deepEqual(reply("text/json", content), ["text/json", "utf-8", result], content);
  }
});

Deno.test("app answer: a value that is not a string is looked up as its JSON text", () => {
  assert.equal(searchResult(42), 'No match for "42".');
  assert.equal(searchResult(null), 'No match for "null".');
  assert.equal(searchResult(undefined), 'No match for "null".');
  assert.equal(searchResult(["ring"]), 'No match for "["ring"]".');
  assert.deepEqual(reply("text/json", '{"action": "search"}'), [
    "text/json",
    "utf-8",
    '{"result":"No match for \\"null\\"."}',
  ]);
});

Deno.test("app answer: an action other than search gets the invalid-action text", () => {
  const cases: [string, string][] = [
    ['{"action": "find", "value": "ring"}', '{"result":"Error: invalid action \\"find\\"."}'],
    ['{"action": "Search", "value": "ring"}', '{"result":"Error: invalid action \\"Search\\"."}'],
    ['{"value": "ring"}', '{"result":"Error: invalid action \\"null\\"."}'],
    ['{"action": 7}', '{"result":"Error: invalid action \\"7\\"."}'],
    ['{"action": null}', '{"result":"Error: invalid action \\"null\\"."}'],
  ];
  for (const [content, result] of cases) {
    assert.deepEqual(reply("text/json", content), ["text/json", "utf-8", result], content);
  }
});

Deno.test("app answer: any other content type gets the binary reply with the first 10 bytes", () => {
  const prefix = "First 10 bytes of request: ";
  const cases: [string, string | Uint8Array, string][] = [
    ["binary/custom-client-binary-type", "hello world 123", `${prefix}hello worl`],
    ["binary/custom-client-binary-type", "0123456789", `${prefix}0123456789`],
    ["image/png", "hi", `${prefix}hi`],
    ["", "", prefix],
    ["text/plain", '{"action": "search", "value": "ring"}', `${prefix}{"action":`],
  ];
  for (const [type, content, result] of cases) {
    assert.deepEqual(reply(type, content), ["binary/custom-server-binary-type", "binary", result]);
  }
  const bytes = new Uint8Array([0, 255, 1, 254, 2, 253, 3, 252, 4, 251, 5, 250]);
  const r = answer(request("binary/x", bytes));
  assert.deepEqual(r.content.subarray(prefix.length), bytes.subarray(0, 10));
  assert.equal(r.content.length, prefix.length + 10);
});

Deno.test("app answer: the error reply is a text/json object with one error field", () => {
  const r = errorReply('JSON header lacks "byteorder"');
  assert.equal(r.contentType, "text/json");
  assert.equal(r.contentEncoding, "utf-8");
  assert.equal(untext.decode(r.content), '{"error":"JSON header lacks \\"byteorder\\""}');
});

Deno.test("app answer: a JSON request needs all its content; any other, the 10 bytes its reply shows", () => {
  const header = (type: string): FrameHeader => ({
    byteorder: "little",
    "content-type": type,
    "content-encoding": "binary",
    "content-length": 1_000_000,
  });
  assert.equal(contentNeeded(header("text/json")), Infinity);
  assert.equal(contentNeeded(header("binary/custom-client-binary-type")), 10);
  assert.equal(contentNeeded(header("text/plain")), 10);
});
