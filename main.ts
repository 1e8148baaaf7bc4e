/**
 * sockdemo's command line: dispatches to a subcommand. Each subcommand's
 * options and wiring live beside its state machines (`server/serve_command.ts`,
 * `client/connect_command.ts`, `client/merge_command.ts`); the mechanisms
 * live in `lib/`.
 *
 * @module
 */
import { connectCommand } from "./client/connect_command.ts";
import { mergeCommand } from "./client/merge_command.ts";
import { CannotRead } from "./lib/checks.ts";
import { UsageError } from "./lib/command_line.ts";
import { describeError } from "./lib/describe_error.ts";
import { FairThread } from "./lib/fair_thread.ts";
import { relayCommand } from "./relay/relay_command.ts";
import { serveCommand } from "./server/serve_command.ts";
import { VERSION } from "./lib/version.ts";

const HELP =
  `sockdemo ${VERSION}: TCP echo and app-protocol server, client and relay on a readiness loop

Usage: sockdemo COMMAND [OPTION]...
       sockdemo --help | --version

Commands:
  serve     answer whoever connects: echo every byte, or the app protocol
  connect   talk to a server and verify every byte or reply that comes back
            (or, with --pipe, join standard input and output to it, like nc)
  relay     forward connections to another address, with faults on demand
  merge     combine the "connect --json" reports of runs on many machines into one

Examples:
  sockdemo serve -p 8080
  sockdemo connect -p 8080 --conns 100 --size 64 --duration 10
  sockdemo relay --listen 8081 --to :8080 --delay 50
  sockdemo merge run1.json run2.json

Exit codes: 0 success, 1 a runtime failure (refused, reset, timed out, a wrong
reply, port in use), 2 a usage error, 130 stopped by a second signal (serve,
relay) or an interrupted load run (connect).

Run "sockdemo COMMAND --help" for every option of a command.`;

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
