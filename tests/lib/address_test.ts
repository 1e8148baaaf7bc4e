/** What a user types for an address, parsed the same in every command, and names for lines. */
import assert from "node:assert/strict";
import {
  addressName,
  type AddressOptions,
  BadAddress,
  chosenAddress,
  localName,
  parseAddress,
} from "../../lib/address.ts";

Deno.test("address parse: every form a user types, the same in every command", () => {
  const d = { host: "127.0.0.1" };
  assert.deepEqual(parseAddress("8080", d), { transport: "tcp", host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseAddress(":8080", d), { transport: "tcp", host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseAddress("example.org:80", d), {
    transport: "tcp",
    host: "example.org",
    port: 80,
  });
  assert.deepEqual(parseAddress("[::1]:7", d), { transport: "tcp", host: "::1", port: 7 });
  assert.deepEqual(parseAddress("h:65535", d), { transport: "tcp", host: "h", port: 65535 });
  assert.deepEqual(parseAddress("unix:/run/s.sock", d), { transport: "unix", path: "/run/s.sock" });
  assert.deepEqual(parseAddress("0", { ...d, anyPort: true }), {
    transport: "tcp",
    host: "127.0.0.1",
    port: 0,
  });
  const bad: [string, string][] = [
    ["", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not ""'],
    ["localhost", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "localhost"'],
    ["::1", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "::1"'],
    ["[::1]", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "[::1]"'],
    ["unix:", "unix: needs a path"],
    ["h:0", 'the port must be an integer from 1 to 65535, not "0"'],
    ["h:65536", 'the port must be an integer from 1 to 65535, not "65536"'],
    [":-1", 'the port must be an integer from 1 to 65535, not "-1"'],
    ["h:", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "h:"'],
    ["h:1:2", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "h:1:2"'],
    ["h:080000", 'the port must be an integer from 1 to 65535, not "080000"'],
    ["h:1x", 'the port must be an integer from 1 to 65535, not "1x"'],
    ["h:x1", 'the port must be an integer from 1 to 65535, not "x1"'],
    ["h: 5", 'the port must be an integer from 1 to 65535, not " 5"'],
    ["h:5 ", 'the port must be an integer from 1 to 65535, not "5 "'],
    ["x1", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "x1"'],
    ["1x", 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "1x"'],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseAddress(text, d), (e: Error) => {
      assert.ok(e instanceof BadAddress, text);
      assert.equal(e.message, message);
      return true;
    });
  }
});

Deno.test("address options: one word, or --host, --port and --unix spelled out", () => {
  const d = { host: "127.0.0.1", port: 65432 };
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const none: AddressOptions["word"] = { flag: "--to", address: undefined };
  const pick = (host?: string, port?: string, unix?: string, word = none) =>
    chosenAddress({ word, host, port, unix }, d, fail);
  assert.deepEqual(pick(), { transport: "tcp", host: "127.0.0.1", port: 65432 });
  assert.deepEqual(pick("::1", "7"), { transport: "tcp", host: "::1", port: 7 });
  assert.deepEqual(pick(undefined, undefined, "/s"), { transport: "unix", path: "/s" });
  const word = { flag: "--to", address: { transport: "tcp", host: "h", port: 1 } as const };
  assert.deepEqual(pick(undefined, undefined, undefined, word), word.address);
  const mistakes: [() => unknown, string][] = [
    [
      () => pick("h", undefined, "/s"),
      "--unix takes the place of --host and --port: give one or the other",
    ],
    [() => pick(undefined, undefined, ""), "--unix needs a path"],
    [() => pick(""), "--host needs a name or an address"],
    [() => pick(undefined, "0"), '--port must be an integer from 1 to 65535, not "0"'],
    [
      () => pick(undefined, "1", undefined, word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [
      () => pick("h", undefined, undefined, word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [
      () => pick(undefined, undefined, "/s", word),
      "--to takes the place of --host, --port and --unix: give one or the other",
    ],
    [
      () => pick(undefined, "1", "/s"),
      "--unix takes the place of --host and --port: give one or the other",
    ],
  ];
  for (const [run, message] of mistakes) assert.throws(run, { message });
});

Deno.test("address names: as log lines write them", () => {
  assert.equal(addressName({ transport: "tcp", host: "127.0.0.1", port: 7 }), "127.0.0.1:7");
  assert.equal(addressName({ transport: "tcp", host: "::1", port: 7 }), "[::1]:7");
  assert.equal(addressName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});

Deno.test("address names: a listener's own address, TCP or Unix", () => {
  assert.equal(localName({ transport: "tcp", hostname: "::1", port: 9 }), "[::1]:9");
  assert.equal(localName({ transport: "unix", path: "/run/a.sock" }), "unix:/run/a.sock");
});
