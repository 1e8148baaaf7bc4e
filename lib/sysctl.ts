/**
 * Reads a Linux kernel setting (a number under `/proc/sys`).
 *
 * @module
 */

/**
 * The integer value of kernel setting `name` (dotted, as `sysctl` names
 * it: `net.core.somaxconn`), or null where it cannot be read. Deno lets
 * `/proc/sys` be read only with `--allow-all`, so where that is missing and
 * `--allow-ffi` is given it reads the file through libc instead.
 *
 * @example
 * ```ts
 * import { readSysctl } from "./sysctl.ts";
 * const somaxconn = readSysctl("net.core.somaxconn") ?? "unknown";
 * ```
 */
export function readSysctl(name: string): number | null {
  const path = `/proc/sys/${name.replaceAll(".", "/")}`;
  let text: string | null;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    text = e instanceof Deno.errors.NotCapable ? readWithLibc(path) : null;
  }
  const value = text === null ? NaN : Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

// The file's text through open/read/close, or null without FFI, libc or the file.
function readWithLibc(path: string): string | null {
  // Asked first, so that run from a terminal without --allow-ffi, Deno does not prompt.
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: where no one can be prompted, dlopen fails the same way
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  const libc = openLibc();
  // Stryker disable next-line ConditionalExpression: null only without libc.so.6 (musl), where this suite never runs
  if (libc === null) return null;
  // A file that cannot be opened gives -1, and a read of -1 gives -1 too (FFI calls never throw).
  const fd = libc.symbols.open(new TextEncoder().encode(`${path}\0`), 0);
  const buf = new Uint8Array(64);
  const n = Number(libc.symbols.read(fd, buf, BigInt(buf.length)));
  libc.symbols.close(fd);
  // Stryker disable next-line all: a library left open is seen nowhere
  libc.close();
  // Stryker disable next-line ConditionalExpression,EqualityOperator: no file under /proc/sys is empty, and 63 NULs read as no number either
  return n > 0 ? new TextDecoder().decode(buf.subarray(0, n)) : null;
}

// Stryker disable StringLiteral,ArrayDeclaration,BlockStatement: dlopen("") is the program itself, which reaches libc's symbols too; a close that misses leaves a descriptor open, seen nowhere but in /proc; the catch runs only without libc.so.6 (musl), where this suite never runs
// libc's open, read and close; null without libc.so.6 (musl).
function openLibc() {
  try {
    return Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      close: { parameters: ["i32"], result: "i32" },
    });
  } catch {
    return null;
  }
}
// Stryker restore StringLiteral,ArrayDeclaration,BlockStatement
