import assert from "node:assert/strict";
import {
  address,
  BadValue,
  bytes,
  CannotRead,
  choice,
  integer,
  MAX_SECONDS,
  readNamedFile,
  seconds,
  share,
  workers,
} from "../../lib/checks.ts";
import { type CommandSpec, helpText, parseCommand, UsageError } from "../../lib/command_line.ts";

const SPEC = {
  name: "demo",
  operands: "[WORD...]",
  about: "Does a demo.",
  options: {
    port: { value: "PORT", short: "p", help: "the port\n(default 1)", check: integer(0, 65535) },
    host: { value: "HOST", help: "the host" },
    mode: { value: "M", help: "a or b", check: choice("a", "b") },
    tag: { value: "T", multiple: true, help: "tags, as many as you like", group: "More" },
    verbose: { short: "v", help: "say more" },
  },
} as const satisfies CommandSpec;

function usage(args: string[]): string {
  try {
    parseCommand(SPEC, args);
  } catch (e) {
    assert.ok(e instanceof UsageError);
    assert.equal(e.command, "demo");
    return e.message;
  }
  throw new Error(`no usage error for ${args.join(" ")}`);
}

Deno.test("command line: values are checked by their table entry; absent ones are undefined", () => {
  const line = parseCommand(SPEC, ["-p", "80", "--mode=b", "-v", "--tag", "x", "--tag=y", "w"])!;
  assert.equal(line.values.port, 80);
  assert.equal(line.values.mode, "b");
  assert.equal(line.values.verbose, true);
  assert.deepEqual(line.values.tag, ["x", "y"]);
  assert.equal(line.values.host, undefined);
  assert.deepEqual(line.positionals, ["w"]);
  assert.equal(line.given("port"), true, "given by its short name");
  assert.equal(line.given("host"), false);
  const bare = parseCommand(SPEC, [])!;
  assert.deepEqual(bare.values.tag, []);
  assert.equal(bare.values.verbose, false);
  assert.throws(() => bare.fail("no"), (e: Error) => e instanceof UsageError && e.message === "no");
});

Deno.test("command line: --help or -h anywhere asks for help, unless after --", () => {
  assert.equal(parseCommand(SPEC, ["--help"]), null);
  assert.equal(parseCommand(SPEC, ["-p", "1", "-h"]), null);
  assert.equal(parseCommand(SPEC, ["--bogus", "--help"]), null, "help wins over a mistake");
  assert.deepEqual(parseCommand(SPEC, ["--", "--help"])!.positionals, ["--help"]);
});

Deno.test("command line: mistakes are one-line usage errors naming the option", () => {
  assert.equal(usage(["--port", "x"]), '--port must be an integer from 0 to 65535, not "x"');
  assert.equal(usage(["-p", "-1"]), '--port must be an integer from 0 to 65535, not "-1"');
  assert.equal(usage(["--port", "-1"]), '--port must be an integer from 0 to 65535, not "-1"');
  assert.equal(usage(["--mode", "c"]), '--mode must be a or b, not "c"');
  assert.equal(usage(["--host", "--port", "7"]), "--host needs a value (HOST)");
  assert.equal(usage(["--host", "-p", "7"]), "--host needs a value (HOST)");
  assert.equal(usage(["--host", "-v"]), "--host needs a value (HOST)");
  assert.equal(usage(["-p"]), "-p needs a value (PORT)");
  assert.equal(usage(["--bogus"]), "unknown option '--bogus'");
  // A value that merely starts with "-" and is no option is taken as the value.
  assert.equal(parseCommand(SPEC, ["--host", "-x"])!.values.host, "-x");
  // Nor is a word that merely ends like a short option an option ("p" is -p's letter).
  assert.deepEqual(parseCommand(SPEC, ["xp-v", "w"])!.positionals, ["xp-v", "w"]);
});

Deno.test("command line: the help is made from the table, grouped, two spaces after the longest name", () => {
  assert.equal(
    helpText(SPEC),
    `Usage: sockdemo demo [OPTION]... [WORD...]

Does a demo.

Options:
  -p, --port PORT  the port
                   (default 1)
      --host HOST  the host
      --mode M     a or b
  -v, --verbose    say more
  -h, --help       show this help

More:
      --tag T      tags, as many as you like`,
  );
});

Deno.test("checks: numbers within bounds, sizes with units, times up to a stated maximum", () => {
  assert.equal(integer(1, 10)("10"), 10);
  for (const bad of ["0", "11", "1.5", "", "1e3", " 5"]) {
    assert.throws(() => integer(1, 10)(bad), BadValue, bad);
  }
  assert.equal(bytes(2 ** 40)("64KiB"), 65536);
  assert.equal(bytes(2 ** 40)("64k"), 64000);
  assert.equal(bytes(2 ** 40)("2MB"), 2_000_000);
  assert.equal(bytes(2 ** 40)("1GiB"), 2 ** 30);
  assert.equal(bytes(2 ** 40)("7"), 7);
  for (const bad of ["1TB", "x", "-1", "1iB", "1 B B"]) {
    assert.throws(() => bytes(2 ** 40)(bad), BadValue, bad);
  }
  assert.throws(() => bytes(1000)("1001"), /up to 1000, not "1001"/);
  assert.equal(seconds(true)("0"), 0);
  assert.equal(seconds(false)("0.25"), 0.25);
  assert.equal(seconds(true)(String(MAX_SECONDS)), 1_000_000_000);
  assert.throws(() => seconds(false)("0"), /must be a positive number up to 1000000000, not "0"/);
  assert.throws(
    () => seconds(true)("1000000001"),
    /must be a non-negative number up to 1000000000, not "1000000001"/,
  );
  assert.throws(() => seconds(true)("-1"), BadValue);
  assert.equal(share("0.5"), 0.5);
  assert.equal(share("1"), 1);
  assert.throws(() => share("1.5"), /must be a number from 0 to 1, not "1.5"/);
  assert.throws(() => share("x"), BadValue);
  assert.equal(choice("x", "y", "z")("z"), "z");
  assert.throws(() => choice("x", "y", "z")("w"), /must be x, y or z, not "w"/);
  assert.equal(workers("auto"), "auto");
  assert.equal(workers("1024"), 1024);
  assert.throws(() => workers("0"), /must be auto or an integer from 1 to 1024, not "0"/);
  assert.throws(() => workers("1025"), BadValue);
});

const BARE = {
  name: "bare",
  about: "Takes no words.",
  options: {
    "a-very-long-option-name": { value: "SOMETHING", help: "goes on the next line\nand on" },
    n: { value: "N", short: "n", help: "a number", check: integer(1, 9) },
  },
} as const satisfies CommandSpec;

Deno.test("command line: a command without operands refuses words; its help says none", () => {
  assert.throws(() => parseCommand(BARE, ["word"]), {
    message: "unexpected argument 'word'",
  });
  assert.equal(
    helpText(BARE),
    `Usage: sockdemo bare [OPTION]...

Takes no words.

Options:
      --a-very-long-option-name SOMETHING
                              goes on the next line
                              and on
  -n, --n N                   a number
  -h, --help                  show this help`,
  );
});

Deno.test("command line: a short option's value may be attached; after -- every word is an operand", () => {
  assert.equal(parseCommand(SPEC, ["-p8080"])!.values.port, 8080);
  assert.equal(parseCommand(SPEC, ["--port=8080"])!.values.port, 8080);
  assert.deepEqual(parseCommand(SPEC, ["--", "-p", "--port"])!.positionals, ["-p", "--port"]);
  assert.equal(usage(["--host", "-p8080"]), "--host needs a value (HOST)");
  assert.equal(usage(["--host", "--port=1"]), "--host needs a value (HOST)");
});

Deno.test("checks: the edges: each bound itself, a bare B, anchored patterns", () => {
  assert.equal(integer(1, 10)("1"), 1);
  assert.equal(bytes(1000)("1000"), 1000);
  assert.equal(bytes(1000)("5B"), 5);
  assert.equal(bytes(2 ** 40)("3m"), 3_000_000);
  assert.equal(bytes(2 ** 40)("3MiB"), 3 * 2 ** 20);
  for (const bad of ["x1", "1x", "1.5.0", ""]) {
    assert.throws(() => seconds(true)(bad), BadValue, bad);
    assert.throws(() => share(bad), BadValue, bad);
  }
  assert.equal(share("0.25"), 0.25);
  assert.equal(share("00.5"), 0.5);
  assert.equal(share("0"), 0);
  assert.equal(workers("1"), 1);
  for (const bad of ["1x", "x1", "auto2"]) assert.throws(() => workers(bad), BadValue, bad);
  assert.throws(() => choice("a", "b")("c"), { message: 'must be a or b, not "c"' });
  assert.deepEqual(address({ host: "h" })("7"), { transport: "tcp", host: "h", port: 7 });
  assert.throws(() => address({ host: "h" })("a:b:c"), {
    message: 'must be PORT, HOST:PORT, [IPv6]:PORT or unix:PATH, not "a:b:c"',
  });
});

Deno.test("checks: a named file that cannot be read is a runtime failure naming it", () => {
  assert.throws(() => readNamedFile("the CA certificate", "/no/such/ca.pem"), (e: Error) => {
    assert.ok(e instanceof CannotRead);
    assert.equal(
      e.message,
      "cannot read the CA certificate /no/such/ca.pem: no such file or directory",
    );
    return true;
  });
  assert.match(
    readNamedFile("this test", new URL(import.meta.url).pathname),
    /checks: a named file/,
  );
});

Deno.test("checks: a number is digits only: no sign, space, hex or exponent slips through Number()", () => {
  for (const bad of [" 5", "5 ", "0x1", "1e3", "+1"]) {
    assert.throws(() => seconds(true)(bad), BadValue, bad);
    assert.throws(() => share(bad), BadValue, bad);
    assert.throws(() => workers(bad), BadValue, bad);
    assert.throws(() => integer(0, 10)(bad), BadValue, bad);
  }
});

Deno.test("command line: words that only look like options stay words; a name at the column's edge", () => {
  assert.deepEqual(parseCommand(SPEC, ["x-p", "y"])!.positionals, ["x-p", "y"]);
  assert.deepEqual(parseCommand(SPEC, ["a", "--", "w"])!.positionals, ["a", "w"]);
  // Labels of 27 and 29 characters: the first fits the 28-wide column, the second wraps.
  const edge = {
    name: "edge",
    about: "Edges.",
    options: {
      "abcdefghijklmnopqrs": { value: "X", help: "fits" },
      "abcdefghijklmnopqrstu": { value: "X", help: "wraps" },
    },
  } as const satisfies CommandSpec;
  assert.equal(
    helpText(edge).split("\n\n").at(-1),
    `Options:
      --abcdefghijklmnopqrs X fits
      --abcdefghijklmnopqrstu X
                              wraps
  -h, --help                  show this help`,
  );
});

Deno.test("command line: refuse names the first given of the options a mode does not take, or says nothing", () => {
  const line = parseCommand(SPEC, ["--host", "h", "-v", "--mode", "a"])!;
  assert.throws(
    () => line.refuse(["port", "verbose", "mode"], "--x only looks"),
    (e) => e instanceof UsageError && e.message === "--x only looks; --verbose does not apply",
  );
  line.refuse(["port", "tag"], "--x only looks"); // neither given: no error
});
