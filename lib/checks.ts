/**
 * The checks an option table puts on values: each turns the text a user
 * typed into a bounded value, or throws a {@linkcode BadValue} whose message
 * completes "--NAME ...". Every number a user types passes one of these.
 *
 * @example
 * ```ts
 * import { bytes, integer } from "./checks.ts";
 * console.log(integer(0, 65535)("8080")); // 8080
 * console.log(bytes(2 ** 40)("64KiB")); // 65536
 * ```
 *
 * @module
 */
import { type Address, type AddressDefaults, parseAddress } from "./address.ts";
import { describeError } from "./describe_error.ts";

/** A value that fails its check: the message follows the option's name. */
export class BadValue extends Error {}

/** A file the command line names cannot be read: a runtime failure (exit 1), not a usage error. */
export class CannotRead extends Error {}

/**
 * The longest time any option takes, in seconds (about 31 years): enough
 * for "forever", small enough that every timer built from it stays exact.
 */
export const MAX_SECONDS = 1_000_000_000;

/** A whole number from `min` to `max`. */
export function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) {
      throw new BadValue(`must be an integer from ${min} to ${max}, not "${text}"`);
    }
    return value;
  };
}

/**
 * A number of bytes up to `max`: digits, with an optional unit: `k`/`KB`
 * (1000), `KiB` (1024), and so on for M and G.
 */
export function bytes(max: number): (text: string) => number {
  return (text) => {
    const m = /^(\d+)\s*([kmg])?(i?b)?$/i.exec(text);
    const power = m?.[2] === undefined ? 0 : "kmg".indexOf(m[2].toLowerCase()) + 1;
    const base = m !== null && m[3]?.toLowerCase() === "ib" ? 1024 : 1000;
    const value = m === null || (m[3] !== undefined && m[2] === undefined && m[3].length > 1)
      ? NaN
      : Number(m[1]) * base ** power;
    if (!(value <= max)) {
      throw new BadValue(
        `must be a size in bytes (e.g. 1000000, 64KiB, 256MiB) up to ${max}, not "${text}"`,
      );
    }
    return value;
  };
}

/**
 * A number of seconds (or a rate per second), decimals allowed, up to
 * {@linkcode MAX_SECONDS}; zero only where `zero` says it means "never" or "none".
 */
export function seconds(zero: boolean): (text: string) => number {
  return (text) => {
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    // Never negative (the pattern has no sign): zero is the only value `zero` lets through.
    if (!((value > 0 || zero) && value <= MAX_SECONDS)) {
      throw new BadValue(
        `must be a ${zero ? "non-negative" : "positive"} number up to ${MAX_SECONDS}, ` +
          `not "${text}"`,
      );
    }
    return value;
  };
}

/** A share from 0 to 1, decimals allowed. */
export function share(text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value <= 1)) throw new BadValue(`must be a number from 0 to 1, not "${text}"`);
  return value;
}

/** One of `choices`. */
export function choice<const C extends string>(...choices: C[]): (text: string) => C {
  return (text) => {
    if (!(choices as string[]).includes(text)) {
      const list = `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
      throw new BadValue(`must be ${list}, not "${text}"`);
    }
    return text as C;
  };
}

/** An address (see `parseAddress`), `PORT` and `:PORT` meaning `defaults.host`. */
export function address(defaults: AddressDefaults): (text: string) => Address {
  return (text) => {
    try {
      return parseAddress(text, defaults);
    } catch (e) {
      // parseAddress throws only a BadAddress: what is wrong with the text.
      throw new BadValue((e as Error).message);
    }
  };
}

/** `--workers`: a count from 1 to 1024, or `auto`, which the command resolves (one per CPU). */
export function workers(text: string): number | "auto" {
  if (text === "auto") return "auto";
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= 1024)) {
    throw new BadValue(`must be auto or an integer from 1 to 1024, not "${text}"`);
  }
  return value;
}

/** The text of the file at `path`, which is `what`; a {@linkcode CannotRead} if it cannot be read. */
export function readNamedFile(what: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new CannotRead(`cannot read ${what} ${path}: ${describeError(e)}`);
  }
}
