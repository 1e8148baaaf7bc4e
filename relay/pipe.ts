import { describeError } from "../lib/describe_error.ts";
import { Interest, type Key, Loop, type Stream } from "../lib/loop.ts";

/** Which end of the pipe a key is. */
type Side = "net" | "stdio";

/**
 * What one direction of the pipe is waiting for: more bytes to read, or
 * (after end of stream on its source) the last of them to be written and
 * the end passed on.
 */
type Flow = "flowing" | "ended";

// Stryker disable StringLiteral: compared by identity, two distinct names are all that matters
const FLOWING: Flow = "flowing";
const ENDED: Flow = "ended";
// Stryker restore StringLiteral

/** Past this many bytes owed to one side, the other side is not read (backpressure). */
const HIGH_WATER = 1 << 20;

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
 * `connect --pipe`, sockdemo's `nc`: one connection, standard input to the
 * socket and the socket to standard output, both driven by one readiness
 * loop with backpressure each way. The two directions end on their own:
 * end of input sends FIN, the peer's FIN ends the output, and the pipe is
 * done once both have. A peer's reset or a refused connect is a failure;
 * standard output closed early (`| head -c 10`) ends it quietly.
 *
 * @example
 * ```ts
 * import { runPipe, stdio } from "./pipe.ts";
 * const outcome = await runPipe(Deno.connect({ hostname: "127.0.0.1", port: 7 }), stdio(), "127.0.0.1:7", null);
 * if (outcome.failure !== null) console.error(outcome.failure);
 * ```
 */
export async function runPipe(
  dialing: Promise<Stream>,
  local: Stream,
  address: string,
  trace: ((line: string) => void) | null,
): Promise<PipeOutcome> {
  const loop = new Loop<Side>();
  const net = loop.connect(dialing, Interest.NONE, "net");
  let io: Key<Side> | null = null;
  let up = FLOWING, down = FLOWING; // up: input to the peer; down: the peer to output
  let failure: string | null = null, connected = false;
  const other = (key: Key<Side>) => key === net ? io! : net;
  const update = () => {
    const ioKey = io!;
    // Stryker disable next-line ConditionalExpression: the loop never reads past an end of stream anyway
    const netOpen = down === FLOWING, ioOpen = up === FLOWING;
    // Stryker disable next-line EqualityOperator: exactly 1 MiB owed cannot be told from a byte less
    const netRoom = ioKey.output.length < HIGH_WATER, ioRoom = net.output.length < HIGH_WATER;
    const readNet = netOpen && netRoom, readIo = ioOpen && ioRoom;
    loop.modify(net, readNet ? Interest.READ_WRITE : Interest.WRITE);
    loop.modify(ioKey, readIo ? Interest.READ_WRITE : Interest.WRITE);
  };
  const done = () =>
    up === ENDED && down === ENDED && net.output.length === 0 && io!.output.length === 0;
  for (;;) {
    if (failure !== null || (connected && done())) break;
    for (const ev of await loop.select()) {
      const key = ev.key, side = key.data;
      switch (ev.type) {
        case "connect":
          connected = true;
          io = loop.register(local, Interest.NONE, "stdio");
          trace?.(`connected to ${address}`);
          break;
        case "read":
          trace?.(`${side === "net" ? "peer" : "input"}: read ${ev.n} bytes`);
          key.forwardInput(ev.n, other(key).output);
          break;
        case "eof":
          trace?.(
            side === "net" ? "peer: end of stream (FIN)" : "input: end of input; sending FIN",
          );
          if (side === "net") down = ENDED;
          else up = ENDED;
          other(key).endOutput();
          break;
        case "write":
          trace?.(`${side === "net" ? "peer" : "output"}: wrote ${ev.n} bytes`);
          break;
        case "error":
          if (side === "stdio" && ev.error instanceof Deno.errors.BrokenPipe) {
            // Whoever reads our output stopped (`| head`): nothing left to do, and no fault.
            trace?.("output: closed by its reader; stopping");
            up = down = ENDED;
            net.output.clear();
            io!.output.clear();
            break;
          }
          failure = !connected
            ? `cannot connect to ${address}: ${describeError(ev.error)}`
            : side === "net"
            ? `${address}: ${describeError(ev.error)}`
            : `standard input or output: ${describeError(ev.error)}`;
          break;
      }
    }
    if (failure === null && connected && !done()) update();
  }
  const outcome = { failure, sent: net.bytesWritten, received: net.bytesRead };
  loop.unregister(net);
  if (io !== null) loop.unregister(io);
  return outcome;
}

/**
 * Standard input and output as one stream for the loop: reads come from
 * stdin, writes go to stdout, and the end of output closes stdout, so
 * whoever reads it sees the end.
 */
export function stdio(): Stream {
  return {
    read: (buf) => Deno.stdin.read(buf),
    write: (buf) => Deno.stdout.write(buf),
    close: () => {},
    closeWrite: () => {
      Deno.stdout.close();
      return Promise.resolve();
    },
  };
}
