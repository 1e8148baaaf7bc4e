/** Port lists as nc -z takes them. */
import assert from "node:assert/strict";
import { BadValue } from "../../lib/checks.ts";
import { parsePorts } from "../../lib/port_list.ts";

Deno.test("port list: single ports, ranges and lists, in the order given, each once", () => {
  assert.deepEqual(parsePorts("80"), [80]);
  assert.deepEqual(parsePorts("20-23"), [20, 21, 22, 23]);
  assert.deepEqual(parsePorts("443,22,80-81"), [443, 22, 80, 81]);
  assert.deepEqual(parsePorts("5,3-6"), [5, 3, 4, 6]);
  assert.deepEqual(parsePorts(" 7 , 8"), [7, 8]);
  assert.deepEqual(parsePorts("1,65535"), [1, 65535]);
  assert.deepEqual(parsePorts("9-9"), [9]);
  assert.equal(parsePorts("1-65535").length, 65535);
});

Deno.test("port list: what is wrong, said", () => {
  const wrong = (text: string) => {
    try {
      parsePorts(text);
    } catch (e) {
      assert.ok(e instanceof BadValue);
      return e.message;
    }
    throw new Error(`no error for ${text}`);
  };
  assert.equal(wrong("0"), "port 0 is out of range 1-65535");
  assert.equal(wrong("65536"), "port 65536 is out of range 1-65535");
  assert.equal(wrong("10-65536"), "port 65536 is out of range 1-65535");
  assert.equal(wrong("30-20"), "the range 30-20 runs backwards: give 20-30");
  assert.equal(wrong(""), '"" is not a port or a range of ports (e.g. 80, 20-30, 22,80)');
  assert.equal(wrong("1,,2"), '"" is not a port or a range of ports (e.g. 80, 20-30, 22,80)');
  assert.equal(wrong("1-2-3"), '"1-2-3" is not a port or a range of ports (e.g. 80, 20-30, 22,80)');
  assert.equal(wrong("-5"), '"-5" is not a port or a range of ports (e.g. 80, 20-30, 22,80)');
  assert.equal(wrong("http"), '"http" is not a port or a range of ports (e.g. 80, 20-30, 22,80)');
});
