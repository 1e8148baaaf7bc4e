/**
 * `--pipe`, sockdemo's `nc`: one connection joined to standard input and
 * output, run by the relay's own engine ({@linkcode RelaySession}) with
 * standard input and output as the client leg and the socket as the target:
 * one implementation of half-close and backpressure for both.
 *
 * @module
 */
import { describeError } from "../lib/describe_error.ts";
import { type Event, Interest, type Key, Loop, type Stream } from "../lib/loop.ts";
import { RelaySession } from "./relay.ts";
import { NO_FAULTS } from "./relay_flow.ts";

/** How a pipe ended. */
export interface PipeOutcome {
  /** Null when both directions ended cleanly (or standard output was closed early). */
  readonly failure: string | null;
  /** Bytes written to the peer. */
  readonly sent: number;
  /** Bytes read from the peer. */
  readonly received: number;
}

/**
 * Joins `local` (standard input and output) to the socket `net` will be,
 * naming it `address`, on one readiness loop with backpressure each way.
 * The two directions end on their own: end of input sends FIN, the peer's
 * FIN ends the output, and the pipe is done once both have. A peer's reset
 * or a refused connect is a failure; standard output closed early (`| head
 * -c 10`) ends it quietly. `trace` hears each read, write and end.
 *
 * @example
 * ```ts
 * import { dial } from "../lib/transports.ts";
 * import { runPipe, stdio } from "./pipe.ts";
 * const at = { transport: "tcp", host: "127.0.0.1", port: 7 } as const;
 * const outcome = await runPipe(dial(at), stdio(), "127.0.0.1:7", null);
 * if (outcome.failure !== null) console.error(outcome.failure);
 * ```
 */
export async function runPipe(
  net: Promise<Stream>,
  local: Stream,
  address: string,
  trace: ((line: string) => void) | null,
): Promise<PipeOutcome> {
  const loop = new Loop<null>();
  const session = new RelaySession({
    dial: () => net,
    target: address,
    up: NO_FAULTS,
    down: NO_FAULTS,
    random: Math.random,
    trace: null,
    names: { client: "standard input or output", target: address },
    // Whoever reads our output stopped (`| head`): nothing left to do, and no fault.
    quietEnd: (error, fromClient) => fromClient && error instanceof Deno.errors.BrokenPipe,
  });
  const io = loop.register(local, Interest.NONE, null);
  let peer: Key<null> | null = null;
  session.start(io, (dialing) => peer = loop.connect(dialing, Interest.NONE, null));
  const socket = peer!;
  let finished = false;
  while (!finished) {
    loop.modify(io, session.interest(io));
    loop.modify(socket, session.interest(socket));
    // No faults on a pipe: nothing is ever held for a time, so only events wake it.
    for (const ev of await loop.select()) {
      trace?.(line(ev, session.isClient(ev.key), address));
      if (session.handle(ev)) {
        finished = true;
        break;
      }
    }
  }
  const outcome = {
    failure: session.failure,
    sent: socket.bytesWritten,
    received: socket.bytesRead,
  };
  loop.unregister(socket);
  loop.unregister(io);
  return outcome;
}

// What --verbose says of one event: "input" and "output" are ours, "peer" the socket.
function line(ev: Event<null>, local: boolean, address: string): string {
  switch (ev.type) {
    case "connect":
      return `connected to ${address}`;
    case "read":
      return `${local ? "input" : "peer"}: read ${ev.n} bytes`;
    case "write":
      return `${local ? "output" : "peer"}: wrote ${ev.n} bytes`;
    case "eof":
      return local ? "input: end of input; sending FIN" : "peer: end of stream (FIN)";
    default:
      return local && ev.error instanceof Deno.errors.BrokenPipe
        ? "output: closed by its reader; stopping"
        : `${local ? "standard input or output" : "peer"}: ${describeError(ev.error)}`;
  }
}

/**
 * Standard input and output as one stream for the loop: reads come from
 * stdin, writes go to stdout, and the end of output closes stdout, so
 * whoever reads it sees the end.
 */
export function stdio(): Stream {
  // Stryker disable all: the process's own standard streams, which only the pipe tests' subprocesses can use
  return {
    read: (buf) => Deno.stdin.read(buf),
    write: (buf) => Deno.stdout.write(buf),
    close: () => {},
    closeWrite: () => {
      Deno.stdout.close();
      return Promise.resolve();
    },
  };
  // Stryker restore all
}
