/**
 * A subcommand's command line, driven by one declarative table: the same
 * {@linkcode CommandSpec} parses the arguments (`node:util`'s `parseArgs` in
 * strict mode), checks each value (its {@linkcode Check}), and writes the
 * `--help` text, so the help cannot drift from what is parsed. Mistakes are
 * one-line {@linkcode UsageError}s that name the subcommand.
 *
 * @example
 * ```ts
 * import { integer } from "./checks.ts";
 * import { type CommandSpec, parseCommand } from "./command_line.ts";
 * const spec = {
 *   name: "serve",
 *   about: "Runs a server.",
 *   options: {
 *     port: { value: "PORT", short: "p", help: "port to listen on", check: integer(0, 65535) },
 *     verbose: { short: "v", help: "say more" },
 *   },
 * } as const satisfies CommandSpec;
 * const line = parseCommand(spec, ["-p", "80", "-v"]);
 * console.log(line?.values.port, line?.values.verbose); // 80 true
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A mistake in the command line: the process exits 2 with a hint to the command's help. */
export class UsageError extends Error {
  /** `message` about subcommand `command` ("" for the top level). */
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

/** Turns an option's text into its value, or throws a `BadValue` (`checks.ts`) saying why. */
export type Check<V> = (text: string) => V;

/** One option of a command. */
export interface OptionSpec {
  /** The value's name in help (`PORT`); absent for a flag, which takes none. */
  readonly value?: string;
  /** A one-letter form, only where nc, ncat or iperf3 give the letter the same meaning. */
  readonly short?: string;
  /** Given more than once, every value counts (in order). */
  readonly multiple?: boolean;
  /** What it does, for `--help`; a line break continues the text in the same column. */
  readonly help: string;
  /** Checks the text; absent: the text itself. */
  readonly check?: Check<unknown>;
  /** The heading it is listed under in `--help` (default: "Options"). */
  readonly group?: string;
}

/** A command: its name, what `--help` says around the options, and the options. */
export interface CommandSpec {
  /** The subcommand, as typed: `serve`. */
  readonly name: string;
  /** What follows the options in the synopsis (`[MESSAGE...]`); absent: no words but options. */
  readonly operands?: string;
  /** Paragraphs after the synopsis. */
  readonly about: string;
  /** The options; `help` (`-h`) is added to every command. */
  readonly options: Readonly<Record<string, OptionSpec>>;
}

type ValueOf<S extends OptionSpec> = S extends { readonly value: string }
  ? S extends { readonly check: Check<infer V> } ? V : string
  : boolean;

/** The values a command's options parsed to: a flag is a boolean, an absent option undefined. */
export type Values<O extends Readonly<Record<string, OptionSpec>>> = {
  readonly [K in keyof O]: O[K] extends { readonly multiple: true } ? ValueOf<O[K]>[]
    : O[K] extends { readonly value: string } ? ValueOf<O[K]> | undefined
    : boolean;
};

/** A parsed command line. */
export interface CommandLine<C extends CommandSpec> {
  /** Each option's checked value. */
  readonly values: Values<C["options"]>;
  /** The words that are not options. */
  readonly positionals: string[];
  /** True when the option was typed (by its long or short name). */
  given(name: keyof C["options"] & string): boolean;
  /** A usage error of this command. */
  fail(message: string): never;
  /** A usage error, "MODE; --NAME does not apply", for the first of `names` that was given. */
  refuse(names: readonly (keyof C["options"] & string)[], mode: string): void;
}

const HELP_OPTION: OptionSpec = { short: "h", help: "show this help" };

/** The whole option table of `spec`, `--help` included. */
function optionsOf(spec: CommandSpec): Readonly<Record<string, OptionSpec>> {
  return { ...spec.options, help: HELP_OPTION };
}

/**
 * Parses `args` by `spec`: each option checked by its table entry. Null
 * when `--help` (or `-h`) was given, anywhere, whatever else was: the
 * caller prints {@linkcode helpText}.
 */
export function parseCommand<C extends CommandSpec>(
  spec: C,
  args: string[],
): CommandLine<C> | null {
  const table = optionsOf(spec);
  const fail = (message: string): never => {
    throw new UsageError(message, spec.name);
  };
  const helpAt = args.findIndex((a) => a === "--help" || a === "-h" || a === "--");
  if (helpAt >= 0 && args[helpAt] !== "--") return null;
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  for (const [name, option] of Object.entries(table)) {
    config[name] = {
      type: option.value === undefined ? "boolean" : "string",
      ...(option.short === undefined ? {} : { short: option.short }),
      ...(option.multiple === true ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: attachValues(args, table, fail),
      options: config,
      strict: true,
      allowPositionals: spec.operands !== undefined,
      tokens: true,
    });
  } catch (e) {
    // Node's messages run to several sentences and lines; the first says what is wrong.
    const message = (e as Error).message.split("\n")[0].split(". ")[0];
    return fail(message[0].toLowerCase() + message.slice(1));
  }
  const given = new Set<string>();
  // Stryker disable next-line ConditionalExpression: the other tokens have no name, and no option is named undefined
  for (const token of parsed.tokens!) if (token.kind === "option") given.add(token.name);
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(table)) {
    const raw = (parsed.values as Record<string, string | boolean | string[] | undefined>)[name];
    const check = (text: string): unknown => {
      if (option.check === undefined) return text;
      try {
        return option.check(text);
      } catch (e) {
        // A check throws only BadValue: what is wrong with the text.
        return fail(`--${name} ${(e as Error).message}`);
      }
    };
    values[name] = option.value === undefined
      ? raw === true
      : Array.isArray(raw)
      ? raw.map(check)
      : raw === undefined
      ? (option.multiple === true ? [] : undefined)
      : check(raw as string);
  }
  return {
    values: values as Values<C["options"]>,
    positionals: parsed.positionals,
    given: (name) => given.has(name),
    fail,
    refuse: (names, mode) => {
      const name = names.find((n) => given.has(n));
      if (name !== undefined) fail(`${mode}; --${name} does not apply`);
    },
  };
}

// `--port -1` is `--port=-1`, so the range check says what is wrong with it
// (parseArgs would call it "ambiguous"). An option's name is never a value:
// `--host --port 7000` is a missing host, not a host named "--port".
function attachValues(
  args: string[],
  table: Readonly<Record<string, OptionSpec>>,
  fail: (message: string) => never,
): string[] {
  const named = (word: string): OptionSpec | undefined =>
    word.startsWith("--")
      ? (Object.hasOwn(table, word.slice(2)) ? table[word.slice(2)] : undefined)
      : /^-[A-Za-z]$/.test(word)
      ? Object.values(table).find((o) => o.short === word[1])
      : undefined;
  // An option, with its value attached or not (`--port=7`, `-p7`).
  const isOption = (word: string) =>
    named(word.startsWith("--") ? word.split("=")[0] : word.slice(0, 2)) !== undefined;
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return out.concat(args.slice(i));
    const option = named(arg);
    if (option?.value === undefined) {
      out.push(arg);
      continue;
    }
    const next = args[++i];
    if (next === undefined || isOption(next)) fail(`${arg} needs a value (${option.value})`);
    out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
  }
  return out;
}

/**
 * The `--help` text of `spec`: the synopsis, what it does, and one entry per
 * option, grouped, in the table's order.
 */
export function helpText(spec: CommandSpec): string {
  const table = optionsOf(spec);
  const lefts = Object.entries(table).map(([name, o]) => optionLabel(name, o));
  const width = Math.min(28, Math.max(...lefts.map((l) => l.length)) + 2);
  const groups = new Map<string, string[]>();
  Object.entries(table).forEach(([, option], i) => {
    const group = option.group ?? "Options";
    const left = `  ${lefts[i]}`;
    const lines = option.help.split("\n");
    const first = left.length + 1 > width + 2
      ? [left, " ".repeat(width + 2) + lines[0]]
      : [left.padEnd(width + 2) + lines[0]];
    const rest = lines.slice(1).map((l) => " ".repeat(width + 2) + l);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(...first, ...rest);
  });
  const synopsis = `Usage: sockdemo ${spec.name} [OPTION]...` +
    (spec.operands === undefined ? "" : ` ${spec.operands}`);
  const sections = [...groups].map(([group, lines]) => `${group}:\n${lines.join("\n")}`);
  return [synopsis, spec.about, ...sections].join("\n\n");
}

/** How `--help` and the manuals name an option: `-p, --port PORT`. */
export function optionLabel(name: string, option: OptionSpec): string {
  const value = option.value === undefined ? "" : ` ${option.value}`;
  return option.short === undefined
    ? `    --${name}${value}`
    : `-${option.short}, --${name}${value}`;
}
