/**
 * Runs sockdemo as users do, as a separate process (`deno run main.ts ...`),
 * with a deadline so that no test can hang.
 */
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What a finished process left behind. */
export interface Outcome {
  /** Exit code. */
  code: number;
  /** Everything on standard output. */
  stdout: string;
  /** Everything on standard error. */
  stderr: string;
}

/**
 * The variables a sockdemo process started by a test may read: the one
 * Stryker's instrumented code reads (`deno task mutants`), so the test's
 * mutant is active there too, and the one sockdemo sets for a fair runtime
 * (`lib/fair_thread.ts`), so the process runs as the tasks and binary run it.
 */
export const MUTANT_ENV =
  "--allow-env=__STRYKER_ACTIVE_MUTANT__,DENO_TOKIO_MAX_IO_EVENTS_PER_TICK,PATH";

/** The argv that runs sockdemo with `args`. */
export function sockdemoCommand(args: string[]): [string, string[]] {
  // Write: a Unix-domain socket is a file the server creates. FFI: a relay's resets (RST). Run: --exec.
  return [
    Deno.execPath(),
    [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-ffi",
      "--allow-run",
      MUTANT_ENV,
      MAIN,
      ...args,
    ],
  ];
}

/** Runs `sockdemo args...` to completion, killing it after `timeoutMs`. */
export async function runSockdemo(args: string[], timeoutMs = 60_000): Promise<Outcome> {
  const [cmd, argv] = sockdemoCommand(args);
  return await runCommand(cmd, argv, timeoutMs);
}

/** Runs any command to completion, killing it after `timeoutMs`. */
export async function runCommand(
  cmd: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal,
  }).output();
  if (signal.aborted) {
    const what = `${cmd} ${args.join(" ")}`.slice(0, 200);
    throw new Error(`${what}: killed, still running after ${timeoutMs} ms`);
  }
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * A `sockdemo serve` process on a free loopback port. Its output is drained
 * all along (so a full pipe never stalls it); `waitFor` watches it line by
 * line and `stop()` returns all of it.
 */
export class ServerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #timer: ReturnType<typeof setTimeout>;
  #stdout = "";
  #stderr = "";
  readonly #drained: Promise<void>;
  #waiters: (() => void)[] = [];

  private constructor(child: Deno.ChildProcess, timer: ReturnType<typeof setTimeout>) {
    this.#child = child;
    this.#timer = timer;
    const pump = async (stream: ReadableStream<Uint8Array>, err: boolean) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        if (err) this.#stderr += text;
        else this.#stdout += text;
        for (const wake of this.#waiters.splice(0)) wake();
      }
    };
    this.#drained = Promise.all([pump(child.stdout, false), pump(child.stderr, true)]).then(
      () => {
        for (const wake of this.#waiters.splice(0)) wake();
      },
    );
  }

  /** The port it listens on, read from its first line. */
  port = 0;

  /**
   * Starts `sockdemo serve --port 0 ...extra` (no port with `--unix`), or
   * `sockdemo relay ...extra`, and waits for its first line, which names the port.
   */
  static async start(
    extra: string[] = [],
    timeoutMs = 60_000,
    first = /^Listening on /,
    command: "serve" | "relay" = "serve",
  ): Promise<ServerProcess> {
    const listen = extra[extra.indexOf("--listen") + 1];
    const unix = command === "serve" ? extra.includes("--unix") : listen.startsWith("unix:");
    const port = command === "serve" && !unix ? ["--port", "0"] : [];
    const [cmd, argv] = sockdemoCommand([command, ...port, ...extra]);
    const child = new Deno.Command(cmd, {
      args: argv,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    // The deadline: a server left running by a failed test is killed, not leaked.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const server = new ServerProcess(child, timer);
    let line = "";
    try {
      line = (await server.waitFor(/^.*\n/, 30_000, "its first line"))[0];
    } catch (e) {
      child.kill("SIGKILL");
      await server.exited();
      throw e;
    }
    const address = unix ? /unix:()/ : /(?:127\.0\.0\.1|\[[0-9a-f:]+\]):(\d+)/;
    const match = first.test(line) ? address.exec(line) : null;
    if (match === null) {
      child.kill("SIGKILL");
      const out = await server.exited();
      throw new Error(`server did not start: ${out.stdout}${out.stderr}`);
    }
    server.port = Number(match[1]);
    return server;
  }

  /** The server's process id, e.g. to read its memory use. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Standard output so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /**
   * Resolves with the first match of `pattern` in standard output (from
   * `from` on), failing with a message naming `what` if none comes within
   * `timeoutMs` or the process ends first.
   */
  async waitFor(
    pattern: RegExp,
    timeoutMs = 10_000,
    what = String(pattern),
    from = 0,
  ): Promise<RegExpExecArray> {
    const re = new RegExp(pattern.source, pattern.flags.replace("g", ""));
    const deadline = performance.now() + timeoutMs;
    let ended = false;
    this.#drained.then(() => ended = true);
    for (;;) {
      const m = re.exec(this.#stdout.slice(from));
      if (m !== null) return m;
      const left = deadline - performance.now();
      if (ended || left <= 0) {
        throw new Error(
          `the server ${ended ? "ended" : `printed nothing matching in ${timeoutMs} ms`} ` +
            `before ${what}; it printed:\n${this.#stdout}${this.#stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `signal` without waiting. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for the exit that an earlier signal started. */
  async exited(): Promise<Outcome> {
    const status = await this.#child.status;
    await this.#drained;
    clearTimeout(this.#timer);
    return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGINT"): Promise<Outcome> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone: its status tells what happened.
    }
    return await this.exited();
  }
}

/** Settles as `promise` does, or rejects naming `what` after `ms` milliseconds. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Number of file descriptors `pid` has open (its sockets among them). */
export async function openFds(pid: number): Promise<number> {
  const ls = await runCommand("ls", ["-1", `/proc/${pid}/fd`]);
  return ls.stdout.trim().split("\n").filter((l) => l !== "").length;
}

/** A process's resident memory in KiB, read with `ps` (Deno guards /proc). */
export async function rssKiB(pid: number): Promise<number> {
  const ps = await runCommand("ps", ["-o", "rss=", "-p", String(pid)]);
  return Number(ps.stdout.trim());
}
