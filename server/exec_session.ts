/**
 * `serve --exec`: each connection served by a program of its own, its
 * standard input and output joined to the socket. The bytes move through
 * the relay's engine ({@linkcode RelaySession}: backpressure both ways, a
 * FIN to the child's input when the peer half-closes, a FIN to the peer when
 * the child closes its output), with the child's pipes as the target leg.
 * The child's standard error and its exit are two more streams of the same
 * connection, so the closing line can say how it ended.
 *
 * @module
 */
import type { Child } from "../lib/child.ts";
import { describeError } from "../lib/describe_error.ts";
import { LineBuffer } from "../lib/line_buffer.ts";
import { type Event, Interest, type Key, type Stream } from "../lib/loop.ts";
import { RelaySession } from "../relay/relay.ts";
import { NO_FAULTS } from "../relay/relay_flow.ts";
import type { Session } from "./session.ts";
import { childDescription, childEnv } from "./exec_env.ts";

/** What an exec connection is waiting for. */
export type ExecState =
  /** Bytes flow between the peer and the child, each direction ending on its own. */
  | { readonly name: "running" }
  /** Both directions ended: waiting for the child to exit and its standard error to end. */
  | { readonly name: "ending" }
  /** The child exited after both directions ended. */
  | { readonly name: "closed" }
  /** The child could not start, or a leg broke (the connection closes, the child is ended). */
  | { readonly name: "failed"; readonly reason: string };

const RUNNING: ExecState = { name: "running" };
const ENDING: ExecState = { name: "ending" };
const CLOSED: ExecState = { name: "closed" };

/** What a session needs of a {@linkcode Child}: its streams, and its id and status for the closing line. */
export type ExecChild = Pick<Child, "stdio" | "stderr" | "exit" | "status" | "pid">;

/** How each connection's child is started, and where its standard error goes. */
export interface ExecPlan {
  /** The program as lines name it ("cat", "sh"). */
  readonly name: string;
  /** Starts the child with these variables added to its environment; throws if it cannot. */
  readonly spawn: (env: Record<string, string>) => ExecChild;
  /** Says one line of connection `n`'s child's standard error. */
  readonly stderr: (n: number, line: string) => void;
}

/**
 * The state machine of one connection served by a child process.
 *
 * @example
 * ```ts
 * import { Child } from "../lib/child.ts";
 * import { ExecSession } from "./exec_session.ts";
 * const session = new ExecSession({
 *   name: "cat",
 *   spawn: (env) => Child.spawn({ command: "cat", args: [], env }),
 *   stderr: (n, line) => console.error(`#${n} ${line}`),
 * }, 1);
 * console.log(session.stateName); // "running"
 * ```
 */
export class ExecSession implements Session {
  /** The current state. */
  state: ExecState = RUNNING;
  readonly #plan: ExecPlan;
  readonly #number: number;
  readonly #relay: RelaySession;
  #child: ExecChild | null = null;
  // Stryker disable next-line StringLiteral: set before it is read (the child did not start)
  #spawnFailure = "";
  #stdio: Key<unknown> | null = null;
  #stderr: Key<unknown> | null = null;
  #exit: Key<unknown> | null = null;
  #client: Key<unknown> | null = null;
  #stderrOver = false;
  #exited = false;
  // The child closed its input (a write broke the pipe): the peer's bytes go nowhere from then on.
  #inputClosed = false;
  #lines: LineBuffer | null = null;
  readonly #say: (line: string) => void;

  /** The session of connection `number`, served as `plan` says. */
  constructor(plan: ExecPlan, number: number) {
    this.#plan = plan;
    this.#number = number;
    this.#say = (line) => plan.stderr(number, line);
    this.#relay = new RelaySession({
      dial: () =>
        this.#child === null
          ? Promise.reject(new Error(this.#spawnFailure))
          : Promise.resolve(this.#child.stdio),
      target: plan.name,
      up: NO_FAULTS,
      down: NO_FAULTS,
      random: Math.random,
      trace: null,
      names: { client: "client", target: `child ${plan.name}` },
    });
  }

  /** Name of the current state. */
  get stateName(): string {
    return this.state.name;
  }

  /** The cause when it failed, else null. */
  get failure(): string | null {
    return this.state.name === "failed" ? this.state.reason : null;
  }

  /** Starts the child as the connection is registered, its three streams dialed beside it. */
  start(key: Key<unknown>, dial: (dialing: Promise<Stream>) => Key<unknown>): void {
    try {
      this.#child = this.#plan.spawn(childEnv(key.stream, this.#number));
    } catch (e) {
      this.#spawnFailure = describeError(e);
    }
    this.#client = key;
    this.#relay.start(key, (dialing) => this.#stdio = dial(dialing));
    const child = this.#child;
    if (child === null) return;
    this.#stderr = dial(Promise.resolve(child.stderr));
    this.#exit = dial(Promise.resolve(child.exit));
  }

  /** Dispatches one event of any of its streams; true when finished. */
  handle(event: Event<unknown>): boolean {
    const key = event.key;
    if (key === this.#exit) {
      if (event.type !== "connect") this.#exited = true;
    } else if (key === this.#stderr) {
      this.#onStderr(event);
    } else {
      this.#onRelayEvent(event);
    }
    if (this.state === ENDING && this.#exited && this.#stderrOver) this.state = CLOSED;
    return this.state === CLOSED || this.state.name === "failed";
  }

  /** The relay's wish for the socket and the child's pipes while running; reads of standard error and the exit until they end. */
  interest(key: Key<unknown>): Interest {
    if (key === this.#exit) return this.#exited ? Interest.NONE : Interest.READ;
    if (key === this.#stderr) return this.#stderrOver ? Interest.NONE : Interest.READ;
    if (this.state !== RUNNING) return Interest.NONE;
    const wants = this.#relay.interest(key);
    // Nothing more is read from a peer whose bytes have nowhere to go.
    return this.#inputClosed && key === this.#client ? (wants & Interest.WRITE) as Interest : wants;
  }

  /** What the socket and the child's input owe. */
  held(): number {
    return this.#relay.held();
  }

  /** "client", "child", "stderr" or "exit", for log lines. */
  label(key: Key<unknown>): string {
    if (key === this.#exit) return "exit";
    if (key === this.#stderr) return "stderr";
    return this.#relay.isClient(key) ? "client" : "child";
  }

  /** Let the child finish: a drain waits for it (then the server cuts it off, which ends it). */
  drain(): boolean {
    return false;
  }

  /** The child, its bytes each way and how it ended, for the closing line; null if it never ran. */
  summary(): { text: string; fields: Record<string, string | number> } | null {
    const child = this.#child, stdio = this.#stdio!;
    if (child === null) return null;
    const about = childDescription(this.#plan.name, child, stdio.bytesWritten, stdio.bytesRead);
    if (!this.#inputClosed) return about;
    return {
      text: `${about.text}; it closed its input early`,
      fields: { ...about.fields, input_closed: 1 },
    };
  }

  #onRelayEvent(event: Event<unknown>): void {
    // Stryker disable next-line ConditionalExpression: once the relay finished, its streams have nothing pending to report
    if (this.state !== RUNNING) return;
    const key = event.key;
    if (
      key === this.#stdio && event.type === "error" && event.error instanceof Deno.errors.BrokenPipe
    ) {
      // Not a fault: a child may stop reading (head -c 5). Its output still goes to the peer.
      this.#inputClosed = true;
      key.output.clear();
    } else if (this.#relay.handle(event)) {
      const failure = this.#relay.failure;
      this.state = failure === null ? ENDING : { name: "failed", reason: this.#reason(failure) };
      return;
    }
    // With the input closed, the peer's end never comes: the child's output ending is the end.
    if (this.#inputClosed && this.#relay.down.over && this.#client!.owed === 0) this.state = ENDING;
  }

  #onStderr(event: Event<unknown>): void {
    if (event.type === "read") {
      this.#lines ??= new LineBuffer();
      this.#lines.push(event.key.input.subarray(0, event.n), this.#say);
    } else if (event.type !== "connect") {
      // Its end, or an error reading it: either way nothing more comes.
      this.#lines?.flush(this.#say);
      this.#stderrOver = true;
    }
  }

  #reason(failure: string): string {
    return this.#child === null ? `cannot run ${this.#plan.name}: ${this.#spawnFailure}` : failure;
  }
}
