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

/** The argv that runs sockdemo with `args`. */
export function sockdemoCommand(args: string[]): [string, string[]] {
  return [Deno.execPath(), ["run", "--allow-net", MAIN, ...args]];
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
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/**
 * A `sockdemo serve` process on a free loopback port. Its output is drained
 * all along (so a full pipe never stalls it) and returned by `stop()`.
 */
export class ServerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdout: Promise<string>;
  readonly #stderr: Promise<string>;
  readonly #timer: ReturnType<typeof setTimeout>;

  private constructor(
    child: Deno.ChildProcess,
    readonly port: number,
    stdout: Promise<string>,
    stderr: Promise<string>,
    timer: ReturnType<typeof setTimeout>,
  ) {
    this.#child = child;
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.#timer = timer;
  }

  /** Starts `sockdemo serve --port 0 ...extra` and waits for its first line, which names the port. */
  static async start(
    extra: string[] = [],
    timeoutMs = 60_000,
    first = /^Listening on /,
  ): Promise<ServerProcess> {
    const [cmd, argv] = sockdemoCommand(["serve", "--port", "0", ...extra]);
    const child = new Deno.Command(cmd, {
      args: argv,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    // The deadline: a server left running by a failed test is killed, not leaked.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    const reader = lines.getReader();
    let seen = "";
    while (!seen.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    const line = seen.slice(0, seen.indexOf("\n"));
    const match = first.test(line) ? /127\.0\.0\.1:(\d+)/.exec(line) : null;
    const drain = (async () => {
      let rest = seen;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return rest;
        rest += value;
      }
    })();
    const stderr = new Response(child.stderr).text();
    if (match === null) {
      child.kill("SIGKILL");
      clearTimeout(timer);
      await child.status;
      throw new Error(`server did not start: ${seen}${await stderr}`);
    }
    return new ServerProcess(child, Number(match[1]), drain, stderr, timer);
  }

  /** The server's process id, e.g. to read its memory use. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends `signal` without waiting. */
  signal(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for the exit that an earlier signal started. */
  async exited(): Promise<Outcome> {
    const status = await this.#child.status;
    clearTimeout(this.#timer);
    return { code: status.code, stdout: await this.#stdout, stderr: await this.#stderr };
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

/** A process's resident memory in KiB, read with `ps` (Deno guards /proc). */
export async function rssKiB(pid: number): Promise<number> {
  const ps = await runCommand("ps", ["-o", "rss=", "-p", String(pid)]);
  return Number(ps.stdout.trim());
}
