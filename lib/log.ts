/** How much a command prints: errors only, a line per connection, or every event. */
export type Verbosity = "quiet" | "normal" | "verbose";

/** How each line is written: for people, or one JSON object per line for tools. */
export type LogFormat = "text" | "json";

/** Where log lines go; tests pass their own to capture them. */
export interface LogSink {
  /** A line for standard output. */
  out(line: string): void;
  /** A line for standard error. */
  err(line: string): void;
}

/** The machine-readable fields of a log line, besides time, level and event. */
export type LogFields = Record<string, string | number | boolean | null>;

/**
 * Line logger with three levels and two formats. Each line is an event with
 * a name and fields; in text it prints as a sentence, in JSON as
 * `{"time", "level", "event", ...fields}`. Callers on hot paths test
 * {@linkcode Log.verbose} before building a line, so a quiet run pays nothing.
 *
 * @example
 * ```ts
 * import { Log } from "./log.ts";
 * const log = new Log("verbose", "json");
 * log.info("listening", "Listening on 127.0.0.1:65432", { address: "127.0.0.1:65432" });
 * // {"time":"...","level":"info","event":"listening","address":"127.0.0.1:65432"}
 * ```
 */
export class Log {
  /** True when per-event lines are wanted. */
  readonly verbose: boolean;
  /** True unless quiet. */
  readonly normal: boolean;
  readonly #json: boolean;
  readonly #sink: LogSink;
  readonly #base: LogFields;

  /**
   * A logger at `verbosity` in `format`, writing to the console unless a
   * sink is given; in JSON every line also carries the `base` fields (a worker's number).
   */
  constructor(
    verbosity: Verbosity,
    // Stryker disable next-line StringLiteral: only "json" is looked for
    format: LogFormat = "text",
    sink: LogSink = CONSOLE,
    base: LogFields = {},
  ) {
    this.#base = base;
    this.verbose = verbosity === "verbose";
    this.normal = verbosity !== "quiet";
    this.#json = format === "json";
    this.#sink = sink;
  }

  /** Prints an event that is part of the normal story, unless quiet. */
  info(event: string, text: string, fields: LogFields = {}): void {
    if (this.normal) this.#sink.out(this.#line("info", event, text, fields));
  }

  /** Prints an event that matters whatever the level (the address, the summary). */
  notice(event: string, text: string, fields: LogFields = {}): void {
    this.#sink.out(this.#line("info", event, text, fields));
  }

  /** Prints a per-event line, only when verbose. */
  debug(event: string, text: string, fields: LogFields = {}): void {
    if (this.verbose) this.#sink.out(this.#line("debug", event, text, fields));
  }

  /**
   * Prints a problem, whatever the level: to standard error in text, and in
   * JSON to standard output with every other line, so one `| jq` sees them all.
   */
  error(event: string, text: string, fields: LogFields = {}): void {
    const line = this.#line("error", event, text, fields);
    if (this.#json) this.#sink.out(line);
    else this.#sink.err(line);
  }

  #line(level: string, event: string, text: string, fields: LogFields): string {
    if (!this.#json) return text;
    return JSON.stringify({
      time: new Date().toISOString(),
      level,
      event,
      ...this.#base,
      ...fields,
    });
  }
}

const CONSOLE: LogSink = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
