/**
 * sockdemo's command line: dispatches to a subcommand. Each subcommand's
 * options and wiring live beside its state machines (`server/serve_command.ts`,
 * `client/connect_command.ts`, `client/merge_command.ts`); the mechanisms
 * live in `lib/`.
 *
 * @module
 */
import denoJson from "./deno.json" with { type: "json" };
import { connectCommand } from "./client/connect_command.ts";
import { mergeCommand } from "./client/merge_command.ts";
import { CannotRead, UsageError } from "./lib/arguments.ts";
import { describeError } from "./lib/describe_error.ts";
import { FairThread } from "./lib/fair_thread.ts";
import { relayCommand } from "./server/relay_command.ts";
import { serveCommand } from "./server/serve_command.ts";

const VERSION = denoJson.version;

const HELP =
  `sockdemo ${VERSION}: TCP echo and app-protocol server, client and relay on a readiness loop

Usage:
  sockdemo serve   [--protocol echo|app] [--host HOST] [--port PORT | --unix PATH] [--pipe]
                   [--tls-cert FILE --tls-key FILE]
                   [--max-content BYTES] [--max-conns N] [--max-buffer BYTES]
                   [--idle-timeout S] [--drain-timeout S] [--workers N]
                   [--log-format text|json] [--quiet | --verbose]
  sockdemo connect [--host HOST] [--port PORT | --unix PATH] [--conns N]
                   [--tls [--ca FILE] [--server-name NAME]]
                   [--messages M | --duration S] [--size BYTES | MESSAGE...]
                   [--rate R] [--warmup S] [--timeout S] [--depth D] [--workers N]
                   [--json]
  sockdemo connect --pipe [--host HOST] [--port PORT | --unix PATH] [--tls ...]
                   [--verbose]
  sockdemo connect --protocol app [search VALUE | binary TEXT] [--host HOST]
                   [--port PORT | --unix PATH] [--conns N] [--requests M | --duration S]
                   [--keep-alive] [--rate R]
                   [--warmup S] [--timeout S] [--depth D] [--workers N] [--verbose]
                   [--json]
  sockdemo relay   --listen ADDR --to ADDR [--listen-tls-cert FILE --listen-tls-key FILE]
                   [--to-tls [--to-ca FILE]] [--delay [DIR:]MS] [--jitter [DIR:]MS]
                   [--bandwidth [DIR:]BYTES_PER_S] [--reset-after [DIR:]BYTES]
                   [--stall-after [DIR:]BYTES] [--refuse RATE] [--seed N]
                   [--max-conns N] [--max-buffer BYTES] [--idle-timeout S]
                   [--drain-timeout S] [--workers N] [--log-format text|json]
                   [--quiet | --verbose]
  sockdemo merge   [--json] FILE...
  sockdemo --help | --version

Commands:
  serve     answer whoever connects: echo every byte, or the app protocol
  connect   talk to a server and verify every byte or reply that comes back
  relay     forward connections to another address, with faults on demand
  merge     combine the "connect --json" reports of runs on many machines into one

Exit codes: 0 success, 1 a runtime failure (refused, reset, timed out, a wrong
reply, port in use), 2 a usage error, 130 serve stopped by a second signal.

Run "sockdemo COMMAND --help" for what each option of a command means.`;

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  connect: connectCommand,
  relay: relayCommand,
  merge: mergeCommand,
};

/** Runs sockdemo with `args` and resolves to the process's exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "--help" || command === "-h") {
      console.log(HELP);
      return 0;
    }
    if (command === "--version" || command === "-V") {
      console.log(`sockdemo ${VERSION}`);
      return 0;
    }
    if (command === undefined) {
      throw new UsageError("missing command: serve, connect, relay or merge", "");
    }
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (run === undefined) {
      throw new UsageError(
        command.startsWith("-")
          ? `unknown option "${command}"`
          : `unknown command "${command}": expected serve, connect, relay or merge`,
        "",
      );
    }
    return await run(rest);
  } catch (e) {
    if (e instanceof CannotRead) {
      // A file named on the command line: a runtime failure, not a usage error.
      console.error(`sockdemo: ${e.message}`);
      return 1;
    }
    if (!(e instanceof UsageError)) throw e;
    const help = e.command === "" ? "sockdemo --help" : `sockdemo ${e.command} --help`;
    console.error(`sockdemo: ${e.message} (try "${help}")`);
    return 2;
  }
}

if (import.meta.main) {
  // Every loop runs on a runtime that is fair to thousands of connections (lib/fair_thread.ts).
  const elsewhere = FairThread.start(new URL(import.meta.url));
  let code: number;
  try {
    code = await (elsewhere ?? main(Deno.args));
  } catch (e) {
    // A bug, not a user error: one line, still no stack trace for the user.
    console.error(`sockdemo: internal error: ${describeError(e)}`);
    code = 1;
  }
  FairThread.exit(code);
}
