/**
 * `sockdemo connect --check` (`-z`): nc -z's port check, and wait-for-it's
 * wait, with lines a script can read (`127.0.0.1:22 open`) and an exit code
 * that says whether anything answered.
 *
 * @module
 */
import { type Address, addressName } from "../lib/address.ts";
import { BadValue } from "../lib/checks.ts";
import { parsePorts } from "../lib/port_list.ts";
import { clientTls, type ConnectLine, serverAddress } from "./connect_options.ts";
import type { DialOptions } from "../lib/transports.ts";
import type { Stream } from "../lib/loop.ts";
import { checkPorts, type Unanswered } from "./port_check.ts";

// Everything about sending and measuring: a check only connects and closes.
const NOT_WITH_CHECK = [
  "pipe",
  "protocol",
  "messages",
  "size",
  "requests",
  "keep-alive",
  "duration",
  "rate",
  "warmup",
  "depth",
  "workers",
  "interval",
  "threshold",
  "report",
  "json",
] as const;

/** How many dials a port list has in flight when --conns does not say. */
export const CHECKS_IN_FLIGHT = 100;

/** Runs `connect --check` as `line` says (dialing with `dialer`, if given) and resolves to the exit code. */
export async function checkCommand(
  line: ConnectLine,
  dialer?: (at: Address, options: DialOptions) => Promise<Stream>,
): Promise<number> {
  const v = line.values;
  line.refuse(NOT_WITH_CHECK, "--check only connects and closes");
  if (line.positionals.length > 0) line.fail("--check sends nothing: give no MESSAGE");
  const targets = checkTargets(line);
  if (v.wait !== undefined && targets.length > 1) {
    line.fail("--wait waits for one address: give one port, not a list");
  }
  const tls = clientTls(line, targets[0]);
  const say = v.quiet ? () => {} : (text: string) => console.log(text);
  let answered = 0;
  let last: Unanswered | null = null;
  await checkPorts({
    targets,
    inFlight: v.conns ?? CHECKS_IN_FLIGHT,
    timeout: v.timeout ?? 10,
    tls,
    waitMs: (v.wait ?? 0) * 1000,
    report: (i, outcome) => {
      const name = addressName(targets[i]);
      if (outcome.kind === "open") {
        answered++;
        say(`${name} open`);
        return;
      }
      last = outcome;
      if (v.verbose) say(`${name} ${describe(outcome)}`);
    },
    retried: v.verbose
      ? (i, outcome) => say(`${addressName(targets[i])} ${describe(outcome)}; trying again`)
      : undefined,
  }, dialer);
  if (answered > 0) return 0;
  if (targets.length === 1) {
    const waited = v.wait === undefined ? "" : ` within ${v.wait} s`;
    console.error(
      `sockdemo: ${addressName(targets[0])} did not answer${waited}: ${describe(last!)}`,
    );
  } else {
    console.error(`sockdemo: none of ${targets.length} ports answered`);
  }
  return 1;
}

// One address, or the host's port for each port of a list.
function checkTargets(line: ConnectLine): Address[] {
  const v = line.values, text = v.port;
  // Stryker disable next-line StringLiteral: any text without "-" or "," is one port
  if (!/[-,]/.test(text ?? "")) return [serverAddress(line)];
  if (v.to !== undefined || v.unix !== undefined) {
    line.fail("a port list goes with --host, not --to or --unix");
  }
  let ports: number[];
  try {
    ports = parsePorts(text!);
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: parsePorts throws nothing but BadValue
    if (!(e instanceof BadValue)) throw e;
    line.fail(`--port ${e.message}`);
  }
  const host = serverAddress({ ...line, values: { ...v, port: String(ports[0]) } });
  return ports.map((port) => ({ ...host, port }) as Address);
}

function describe(outcome: Unanswered): string {
  return outcome.kind === "failed" ? outcome.cause : outcome.kind;
}
