/**
 * Bytes to lines, for passing a stream through a log a line at a time (a
 * child's standard error): a line ends at `\n` (a `\r` before it is
 * dropped), a line longer than the limit is cut there, and what is left
 * at the end comes out as a last line.
 *
 * @module
 */

/** Longest line kept whole, in bytes: past it, a line is cut and continues on the next. */
export const MAX_LINE = 4096;

/**
 * Collects bytes and hands out each whole line.
 *
 * @example
 * ```ts
 * import { LineBuffer } from "./line_buffer.ts";
 * const lines = new LineBuffer();
 * const out: string[] = [];
 * lines.push(new TextEncoder().encode("one\ntw"), (line) => out.push(line));
 * lines.push(new TextEncoder().encode("o\n"), (line) => out.push(line));
 * console.log(out); // ["one", "two"]
 * ```
 */
export class LineBuffer {
  readonly #held = new Uint8Array(MAX_LINE);
  #length = 0;
  readonly #decoder = new TextDecoder();

  /** Takes `bytes`, calling `emit` with each line they complete. */
  push(bytes: Uint8Array, emit: (line: string) => void): void {
    let start = 0;
    // Stryker disable next-line EqualityOperator: one past the end reads undefined, which is no newline
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === NEWLINE) {
        this.#hold(bytes.subarray(start, i), emit);
        this.#emit(emit);
        start = i + 1;
      }
    }
    this.#hold(bytes.subarray(start), emit);
  }

  /** Hands out what is left as a last line, if anything is. */
  flush(emit: (line: string) => void): void {
    if (this.#length > 0) this.#emit(emit);
  }

  // Keeps `part` of the current line, cutting it wherever it fills the buffer.
  #hold(part: Uint8Array, emit: (line: string) => void): void {
    let from = 0;
    while (from < part.length) {
      // Cut only when more comes: a line of exactly the limit ends at its newline as one line.
      if (this.#length === MAX_LINE) this.#emit(emit);
      const n = Math.min(part.length - from, MAX_LINE - this.#length);
      this.#held.set(part.subarray(from, from + n), this.#length);
      this.#length += n;
      from += n;
    }
  }

  #emit(emit: (line: string) => void): void {
    let end = this.#length;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: before the start reads undefined, which is no return
    if (end > 0 && this.#held[end - 1] === RETURN) end--;
    this.#length = 0;
    emit(this.#decoder.decode(this.#held.subarray(0, end)));
  }
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;
