/**
 * A child process as streams for the loop: its standard input and output
 * as one {@linkcode Stream} (reads from its output, writes to its input, a
 * FIN closes its input), its standard error as a read-only one, and its exit
 * as a stream whose read ends (`null`) when it exits. So a program served
 * per connection (`serve --exec`) is driven by the same readiness loop as a
 * socket, its exit an event like any other.
 *
 * Deno gives a child's pipes as web streams, whose reads hand out chunks of
 * their own: each read copies into the loop's buffer, keeping what did not
 * fit for the next read.
 *
 * @example
 * ```ts
 * import { Child } from "./child.ts";
 * const child = Child.spawn({ command: "cat", args: [], env: {} });
 * await child.stdio.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(16);
 * console.log(await child.stdio.read(buf)); // 2
 * await child.stdio.closeWrite!();
 * console.log(Child.describe(await child.exited)); // "exit 0"
 * ```
 *
 * @module
 */
import type { Stream } from "./loop_types.ts";
import { type ChildPlan, spawnPiped } from "./transports.ts";

export type { ChildPlan };

/** How long a child told to end (SIGTERM) has before it is killed (SIGKILL), in ms. */
export const END_GRACE_MS = 2000;

/** A running child process and its streams. */
export class Child {
  /** Its standard output to read, its standard input to write; closing it ends the child. */
  readonly stdio: Stream;
  /** Its standard error, read-only. */
  readonly stderr: Stream;
  /** Reads end (`null`) once it exited; nothing else. */
  readonly exit: Stream;
  /** Settles with how it ended; never rejects. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** How it ended, once it did; null while it runs. */
  status: Deno.CommandStatus | null = null;
  readonly #process: Deno.ChildProcess;
  #killer: ReturnType<typeof setTimeout> | undefined;

  private constructor(process: Deno.ChildProcess, graceMs: number) {
    this.#process = process;
    this.exited = process.status.then((status) => {
      this.status = status;
      clearTimeout(this.#killer);
      return status;
    });
    const out = new ChunkReader(process.stdout.getReader());
    const input = process.stdin.getWriter();
    this.stdio = {
      read: (buf) => out.read(buf),
      // The writer takes the whole view, and resolves once it is all in the pipe.
      write: (buf) => input.write(buf).then(() => buf.length),
      closeWrite: () => input.close(),
      close: () => {
        out.cancel();
        input.abort().catch(noop);
        this.end(graceMs);
      },
    };
    const err = new ChunkReader(process.stderr.getReader());
    this.stderr = {
      read: (buf) => err.read(buf),
      write: () => Promise.reject(new Deno.errors.NotSupported("standard error is read-only")),
      // Stryker disable next-line ArrowFunction: its pipe closes with the child, which the stdio's close ends
      close: () => err.cancel(),
    };
    this.exit = {
      read: () => this.exited.then(() => null),
      write: () => Promise.reject(new Deno.errors.NotSupported("an exit is read-only")),
      close: noop,
    };
  }

  /** Starts `plan` with its three standard streams piped; throws as `Deno.Command` does. */
  static spawn(plan: ChildPlan, graceMs = END_GRACE_MS): Child {
    return new Child(spawnPiped(plan), graceMs);
  }

  /** Its process id. */
  get pid(): number {
    return this.#process.pid;
  }

  /** Asks it to end (SIGTERM), and kills it (SIGKILL) if it still runs `graceMs` later. */
  end(graceMs: number): void {
    // Stryker disable next-line ConditionalExpression: after the exit a signal goes nowhere (caught); the check keeps a reused pid safe, which no test can arrange
    if (this.status !== null || this.#killer !== undefined) return;
    this.#signal("SIGTERM");
    this.#killer = setTimeout(() => this.#signal("SIGKILL"), graceMs);
  }

  /** "exit 3", or "killed by SIGTERM": how the closing line says it ended. */
  static describe(status: Deno.CommandStatus): string {
    return status.signal === null ? `exit ${status.code}` : `killed by ${status.signal}`;
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#process.kill(signal);
    } catch {
      // It exited meanwhile: its status is on its way.
    }
  }
}

/**
 * Why `command` cannot be run here, or null when it can (as far as can be
 * told: without read access to `PATH` and the file, the spawn will say).
 *
 * @example
 * ```ts
 * import { cannotRun } from "./child.ts";
 * console.log(cannotRun("no-such-program")); // "not found in PATH"
 * ```
 */
export function cannotRun(command: string): string | null {
  // Stryker disable all: only a process without --allow-run, without --allow-env for PATH or with no PATH can tell (exec_test's bare run is one)
  if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") {
    return "running programs is not allowed (deno run --allow-run, as the serve task does)";
  }
  const path = Deno.permissions.querySync({ name: "env", variable: "PATH" }).state === "granted"
    ? Deno.env.get("PATH") ?? ""
    : null;
  // Stryker restore all
  if (command.includes("/")) return executable(command) ?? null;
  // Stryker disable next-line ConditionalExpression: as above
  if (path === null) return null;
  // Stryker disable next-line ConditionalExpression,StringLiteral: an empty entry (the current directory) is not on this machine's PATH
  const dirs = path.split(":").map((dir) => dir === "" ? "." : dir);
  return dirs.some((dir) => executable(`${dir}/${command}`) === null) ? null : "not found in PATH";
}

// Null when `file` is an executable file; else why not ("no such file"), or null when it cannot be told.
function executable(file: string): string | null {
  // Stryker disable next-line ConditionalExpression: only a process without read access can tell
  if (Deno.permissions.querySync({ name: "read", path: file }).state !== "granted") return null;
  try {
    const info = Deno.statSync(file);
    if (!info.isFile) return "not a file";
    return (info.mode ?? 0o111) & 0o111 ? null : "not executable";
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "no such file" : null;
  }
}

// A web stream's reader as `read(buf)`: a chunk bigger than `buf` is handed out over several reads.
class ChunkReader {
  #rest: Uint8Array | null = null;

  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  read(buf: Uint8Array): Promise<number | null> {
    if (this.#rest !== null) return Promise.resolve(this.#take(buf, this.#rest));
    return this.reader.read().then((result) => {
      if (result.done) return null;
      // An empty chunk is no end: read on.
      // Stryker disable next-line ConditionalExpression: Deno's pipes never hand out an empty chunk
      return result.value.length === 0 ? this.read(buf) : this.#take(buf, result.value);
    });
  }

  // Stryker disable next-line BlockStatement: a read still pending at the close is swallowed by the loop either way
  cancel(): void {
    this.reader.cancel().catch(noop);
  }

  #take(buf: Uint8Array, chunk: Uint8Array): number {
    const n = Math.min(chunk.length, buf.length);
    // Stryker disable next-line ConditionalExpression: the whole chunk, as a view or not, is the same bytes
    buf.set(n === chunk.length ? chunk : chunk.subarray(0, n));
    this.#rest = n < chunk.length ? chunk.subarray(n) : null;
    return n;
  }
}

function noop(): void {}
