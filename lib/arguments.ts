/**
 * The command line of one subcommand: `node:util`'s `parseArgs` in strict
 * mode, with its errors and the checks of numbers turned into one-line
 * {@linkcode UsageError}s that name the subcommand.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { describeError } from "./describe_error.ts";

/** A mistake in the command line: the process exits 2 with a hint to the command's help. */
export class UsageError extends Error {
  /** `message` about subcommand `command` ("" for the top level). */
  constructor(message: string, readonly command: string) {
    super(message);
  }
}

/** A file the command line names cannot be read: a runtime failure (exit 1), not a usage error. */
export class CannotRead extends Error {}

/**
 * The text of the file at `path`, which an option names as `what` (e.g. "the
 * CA certificate"); one that cannot be read is a {@linkcode CannotRead} saying so.
 */
export function readNamedFile(what: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new CannotRead(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
}

/** The option table of a subcommand, as `parseArgs` takes it. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * The parsed command line of subcommand `command`, and checks that turn its
 * option texts into numbers or fail with a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { Arguments } from "./arguments.ts";
 * const a = new Arguments("serve", ["--port", "80"], { port: { type: "string" } });
 * console.log(a.integer("--port", a.values.port as string, 0, 65535)); // 80
 * ```
 */
export class Arguments<O extends Options> {
  /** The options given, with their defaults. */
  readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>["values"];
  /** The words that are not options. */
  readonly positionals: string[];

  /** Parses `args` of subcommand `command` against `options`; positionals only when `positionals`. */
  constructor(readonly command: string, args: string[], options: O, positionals = false) {
    try {
      const parsed = parseArgs({
        args: attachValues(args, options),
        options,
        strict: true,
        allowPositionals: positionals,
      });
      this.values = parsed.values as typeof this.values;
      this.positionals = parsed.positionals;
    } catch (e) {
      // Node's messages run to several sentences and lines; the first says what is wrong.
      const message = (e as Error).message.split("\n")[0].split(". ")[0].replace(/\.$/, "");
      throw new UsageError(message[0].toLowerCase() + message.slice(1), command);
    }
  }

  /** A usage error of this subcommand. */
  fail(message: string): never {
    throw new UsageError(message, this.command);
  }

  /** Option `name`'s `text`, which must be one of `choices`. */
  choice<const C extends string>(name: string, text: string, choices: readonly C[]): C {
    if (!(choices as readonly string[]).includes(text)) {
      const list = choices.length === 2
        ? choices.join(" or ")
        : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
      this.fail(`${name} must be ${list}, not "${text}"`);
    }
    return text as C;
  }

  /** Option `name`'s `text` as a whole number from `min` to `max`. */
  integer(name: string, text: string, min: number, max: number): number {
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) {
      this.fail(`${name} must be an integer from ${min} to ${max}, not "${text}"`);
    }
    return value;
  }

  /**
   * Option `name`'s `text` as a number of bytes up to `max`: digits, with an
   * optional unit: `k`/`KB` (1000), `KiB` (1024), and so on for M and G.
   */
  bytes(name: string, text: string, max: number): number {
    const m = /^(\d+)\s*([kmg])?(i?b)?$/i.exec(text);
    const power = m === null ? 0 : " kmg".indexOf((m[2] ?? " ").toLowerCase());
    const base = m !== null && m[3]?.toLowerCase() === "ib" ? 1024 : 1000;
    const value = m === null || (m[3] !== undefined && m[2] === undefined && m[3].length > 1)
      ? NaN
      : Number(m[1]) * base ** power;
    if (!(value <= max)) {
      this.fail(
        `${name} must be a size in bytes (e.g. 1000000, 64KiB, 256MiB) up to ${max}, not "${text}"`,
      );
    }
    return value;
  }

  /** A positive number of seconds (or per second), decimals allowed; zero only where it means "none". */
  seconds(name: string, text: string, zero: boolean): number {
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(value > 0 || (zero && value === 0))) {
      this.fail(`${name} must be a ${zero ? "non-negative" : "positive"} number, not "${text}"`);
    }
    return value;
  }

  /** `--workers`: a count from 1, or `auto` for the number of CPUs. */
  workers(text: string): number {
    if (text === "auto") return navigator.hardwareConcurrency;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= 1 && value <= 1024)) {
      this.fail(`--workers must be auto or an integer from 1 to 1024, not "${text}"`);
    }
    return value;
  }
}

// `--port -1` is `--port=-1`: parseArgs would call the value "ambiguous", where
// the range check says what is wrong with it.
function attachValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return out.concat(args.slice(i));
    const option = arg.startsWith("--") ? options[arg.slice(2)] : undefined;
    if (option?.type === "string" && i + 1 < args.length && args[i + 1].startsWith("-")) {
      out.push(`${arg}=${args[++i]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}
