/** How much a command prints: errors only, a line per connection, or every event. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** Where log lines go; tests pass their own to capture them. */
export interface LogSink {
  /** A line for standard output. */
  out(line: string): void;
  /** A line for standard error. */
  err(line: string): void;
}

/**
 * Line logger with three levels. Callers on hot paths test
 * {@linkcode Log.verbose} before building a line, so a quiet run pays nothing.
 *
 * @example
 * ```ts
 * import { Log } from "./log.ts";
 * const log = new Log("verbose");
 * log.info("Listening on 127.0.0.1:65432");
 * if (log.verbose) log.debug("#1 read 22 bytes");
 * ```
 */
export class Log {
  /** True when per-event lines are wanted. */
  readonly verbose: boolean;
  /** True unless quiet. */
  readonly normal: boolean;
  readonly #sink: LogSink;

  /** A logger at `verbosity`, writing to the console unless a sink is given. */
  constructor(verbosity: Verbosity, sink: LogSink = CONSOLE) {
    this.verbose = verbosity === "verbose";
    this.normal = verbosity !== "quiet";
    this.#sink = sink;
  }

  /** Prints a line unless quiet. */
  info(line: string): void {
    if (this.normal) this.#sink.out(line);
  }

  /** Prints a line only when verbose. */
  debug(line: string): void {
    if (this.verbose) this.#sink.out(line);
  }

  /** Prints a line to standard error, whatever the level. */
  error(line: string): void {
    this.#sink.err(line);
  }
}

const CONSOLE: LogSink = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
