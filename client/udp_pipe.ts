/**
 * `connect --udp --pipe`, sockdemo's `nc -u`: each read of standard input
 * goes out as one datagram, each datagram that comes back is written to
 * standard output, on one readiness loop. After the end of input it waits
 * for replies until none came for the linger, then ends.
 *
 * @module
 */
import { openUdpClient } from "../lib/transports.ts";
import { DatagramStream } from "../lib/datagram.ts";
import { DatagramQueue } from "../lib/datagram_queue.ts";
import { describeError } from "../lib/describe_error.ts";
import { Interest, Loop, type Stream } from "../lib/loop.ts";

/** Where a UDP pipe is. */
type UdpPipeState =
  /** Standard input is read, each read sent as a datagram. */
  | { readonly name: "open" }
  /** Input ended: replies are still written until none came for the linger. */
  | { readonly name: "lingering" }
  /** Standard output failed (or was closed by its reader: no failure). */
  | { readonly name: "done"; readonly failure: string | null };

// Stryker disable next-line StringLiteral,ObjectLiteral: the states are told apart by name, and "open" is never asked for
const OPEN: UdpPipeState = { name: "open" };
const LINGERING: UdpPipeState = { name: "lingering" };

/** How a UDP pipe ended. */
export interface UdpPipeOutcome {
  /** Datagrams sent and received. */
  readonly sent: number;
  readonly received: number;
  /** Why it failed (standard output unwritable), or null. */
  readonly failure: string | null;
}

/**
 * Joins `local` (standard input and output) to UDP `host`:`port`.
 *
 * @example
 * ```ts
 * import { runUdpPipe } from "./udp_pipe.ts";
 * import { stdio } from "../relay/pipe.ts";
 * const outcome = await runUdpPipe("127.0.0.1", 7, 1000, stdio());
 * console.error(`${outcome.sent} datagrams sent, ${outcome.received} received`);
 * ```
 */
export async function runUdpPipe(
  host: string,
  port: number,
  lingerMs: number,
  local: Stream,
): Promise<UdpPipeOutcome> {
  const loop = new Loop<null>();
  const to = { transport: "udp" as const, hostname: host, port };
  const socket = new DatagramStream(openUdpClient(host), to);
  const io = loop.register(local, Interest.READ_WRITE, null);
  const net = loop.register(socket, Interest.READ_WRITE, null);
  const queue = new DatagramQueue(net, () => loop.modify(net, Interest.READ_WRITE));
  let state: UdpPipeState = OPEN, heardAt = 0, sent = 0, received = 0;
  while (state.name !== "done") {
    const now = performance.now();
    // Nothing is left behind: what is still going out either way goes first, and its
    // event (not a timer, which would spin select() while it is pending) says when it went.
    // (A datagram waits in the queue only behind one still owed.)
    const idle = net.owed === 0 && io.owed === 0;
    const lingering = state.name === "lingering" && idle;
    // Stryker disable next-line EqualityOperator: a linger that ends a moment later ends the same
    if (lingering && now >= heardAt + lingerMs) break;
    const wait = lingering ? heardAt + lingerMs - now : Infinity;
    for (const ev of await loop.select(wait)) {
      const at = performance.now();
      if (ev.key === io) {
        if (ev.type === "read" && ev.n > 0) {
          queue.send(io.input, ev.n, to);
          sent++;
        } else if (ev.type === "eof") {
          state = LINGERING;
          heardAt = at;
        } else if (ev.type === "error") {
          // Standard output closed by its reader (`| head`): nothing more to do, and no fault.
          const broken = ev.error instanceof Deno.errors.BrokenPipe;
          state = { name: "done", failure: broken ? null : describeError(ev.error) };
          break;
        }
        continue;
      }
      // A socket error (an ICMP unreachable: nothing listens there) ends nothing: replies may still come.
      switch (ev.type) {
        case "read":
          received++;
          heardAt = at;
          io.output.push(net.input, 0, ev.n);
          loop.modify(io, Interest.READ_WRITE);
          break;
        // Stryker disable next-line ConditionalExpression: the socket's only other event is an error, which Linux never gives an unconnected UDP socket
        case "write":
          queue.written();
          break;
      }
    }
  }
  loop.unregister(net);
  loop.unregister(io);
  return { sent, received, failure: state.name === "done" ? state.failure : null };
}
