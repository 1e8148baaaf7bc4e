import { describeError } from "../lib/describe_error.ts";
import { type Event, Interest, type Key, type Stream } from "../lib/loop.ts";
import { abortTcp } from "../lib/tcp_abort.ts";
import { faultToxics } from "./fault_toxics.ts";
import { type Faults, RelayFlow } from "./relay_flow.ts";
import { ToxicLink } from "./toxic_link.ts";
import type { ToxicSpec } from "./toxic_spec.ts";
import type { Session } from "../server/session.ts";

/** What a relayed connection is waiting for. */
export type RelayState =
  /** The client is accepted; the target is being dialed. Nothing is read yet. */
  | { readonly name: "dialing" }
  /** Bytes flow both ways, each direction ending on its own ({@linkcode RelayFlow}). */
  | { readonly name: "relaying" }
  /** A `--reset-after` fired: the last bytes allowed are being written, then both legs are reset. */
  | { readonly name: "resetting"; readonly flow: RelayFlow }
  /** Both directions finished (or the reset went out). */
  | { readonly name: "closed" }
  /** The target could not be reached, or a leg broke (the other one was reset). */
  | { readonly name: "failed"; readonly reason: string };

// The command line's faults are named by their flags in the fault lines.
const FLAGS: Readonly<Record<string, string>> = {
  "reset-after": "--reset-after",
  "stall-after": "--stall-after",
};

const DIALING: RelayState = { name: "dialing" };
const RELAYING: RelayState = { name: "relaying" };
// Stryker disable next-line ObjectLiteral,StringLiteral: a closed session is closed at once, its name never logged
const CLOSED: RelayState = { name: "closed" };

/** How one relayed connection is set up. */
export interface RelayPlan {
  /** Dials the target; its stream becomes the connection's second key. */
  readonly dial: () => Promise<Stream>;
  /** The target as log lines name it. */
  readonly target: string;
  /** Faults from client to target, and back, as the command line gives them. */
  readonly up: Faults;
  readonly down: Faults;
  /**
   * The toxics as they are now, asked at the start and at each refresh (a
   * proxy of the API); absent: those `up` and `down` make, for good.
   */
  readonly toxics?: () => readonly ToxicSpec[];
  /** Draws the jitter, the toxicities and the slices (seeded per connection, so a run repeats). */
  readonly random: () => number;
  /** Where fault lines go with `--verbose`; null otherwise. */
  readonly trace: ((line: string) => void) | null;
  /** Resets a TCP leg (RST); false where it cannot, and the close then sends FIN. */
  readonly abort?: (stream: Stream) => boolean;
  /**
   * What lines and failures call each leg (default "client", and "target"
   * with the target's name): a pipe's are standard input or output and the peer.
   */
  readonly names?: { readonly client: string; readonly target: string };
  /**
   * Whether an error on one leg ends the relay cleanly, dropping what is
   * still owed (a pipe's standard output closed by its reader, `| head`);
   * default: none does.
   */
  readonly quietEnd?: (error: unknown, fromClient: boolean) => boolean;
}

/**
 * The relay's state machine for one accepted connection: it dials the
 * target and moves bytes both ways on the one loop, each direction with its
 * own backpressure, faults and half-close; a reset or error on one leg
 * resets the other.
 *
 * @example
 * ```ts
 * import { dial } from "../lib/transports.ts";
 * import { NO_FAULTS } from "./relay_flow.ts";
 * import { RelaySession } from "./relay.ts";
 * const session = new RelaySession({
 *   dial: () => dial({ transport: "tcp", host: "127.0.0.1", port: 7 }),
 *   target: "127.0.0.1:7",
 *   up: NO_FAULTS,
 *   down: NO_FAULTS,
 *   random: Math.random,
 *   trace: null,
 * });
 * console.log(session.stateName); // "dialing"
 * ```
 */
export class RelaySession implements Session {
  /** The current state. */
  state: RelayState = DIALING;
  /** Client to target. */
  readonly up: RelayFlow;
  /** Target to client. */
  readonly down: RelayFlow;
  readonly #plan: RelayPlan;
  #client: Key<unknown> | null = null;
  #target: Key<unknown> | null = null;
  readonly #toxics: () => readonly ToxicSpec[];

  /** A relay for one connection, as `plan` says. */
  constructor(plan: RelayPlan) {
    this.#plan = plan;
    this.up = new RelayFlow("up", new ToxicLink("upstream", plan.random));
    this.down = new RelayFlow("down", new ToxicLink("downstream", plan.random));
    const fixed = faultToxics(plan.up, plan.down);
    this.#toxics = plan.toxics ?? (() => fixed);
  }

  /** Name of the current state. */
  get stateName(): string {
    return this.state.name;
  }

  /** The cause when the connection failed, else null. */
  get failure(): string | null {
    return this.state.name === "failed" ? this.state.reason : null;
  }

  /** Dials the target as the client's connection is registered. */
  start(client: Key<unknown>, dial: (dialing: Promise<Stream>) => Key<unknown>): void {
    this.#client = client;
    this.#target = dial(this.#plan.dial());
    this.#retoxic(performance.now());
  }

  /** The proxy's toxics changed: each direction takes them up from `now`; true when that finished it. */
  refresh(now: number): boolean {
    this.#retoxic(now);
    // Still dialing: nothing flows yet, and the connect comes as an event.
    if (this.state === DIALING) return false;
    // A timeout that held the connection was removed: it closes, as in Toxiproxy.
    if (this.up.link.released || this.down.link.released) {
      this.#markFired("timeout", this.up.link.released ? this.up : this.down);
      return this.#end();
    }
    return this.#settle();
  }

  /** Dispatches one event of either leg to its transition; true when finished. */
  handle(event: Event<unknown>): boolean {
    const key = event.key, fromClient = key === this.#client;
    const flow = fromClient ? this.up : this.down;
    const dest = fromClient ? this.#target! : this.#client!;
    switch (event.type) {
      case "connect":
        this.state = RELAYING;
        break;
      case "read": {
        const before = flow.state;
        // Only a timed direction needs the clock: a plain one spares each read the call.
        flow.onRead(key, dest, event.n, flow.timed ? performance.now() : 0);
        if (flow.state !== before) {
          const last = flow.fired[flow.fired.length - 1];
          this.#plan.trace?.(`${flow.name}: ${FLAGS[last] ?? last} fired at ${flow.passed} bytes`);
        }
        // Stryker disable next-line ConditionalExpression: a second cut needs a read in flight on the other leg as the first one fires
        if (flow.state === "cut" && this.state === RELAYING) {
          this.state = { name: "resetting", flow };
        }
        break;
      }
      case "eof":
        flow.onEof(dest, flow.link.slowClose > 0 ? performance.now() : 0);
        break;
      case "write": {
        // Slices go out a write each: the next waits for this one.
        const into = fromClient ? this.down : this.up;
        if (into.slicing) into.release(performance.now(), key);
        break;
      }
      case "error":
        this.state = this.#onError(fromClient, event.error);
        break;
    }
    return this.#settle();
  }

  /**
   * Nothing while dialing; then reads where a direction is open with room
   * ahead (or stalled), and writes (the loop writes only what is owed). The
   * server never asks a finished session.
   */
  interest(key: Key<unknown>): Interest {
    if (this.state === DIALING) return Interest.NONE;
    const fromClient = key === this.#client;
    const flow = fromClient ? this.up : this.down;
    const dest = fromClient ? this.#target! : this.#client!;
    // Stryker disable next-line ConditionalExpression: reading on while a reset's last bytes go out passes at most a few more the other way before both legs are reset
    const read = this.state === RELAYING && flow.wantsRead(dest);
    return read ? Interest.READ_WRITE : Interest.WRITE;
  }

  /** Memory of what both legs owe, and of what the faults hold back. */
  held(): number {
    return this.#client!.outputMemory + this.#target!.outputMemory +
      this.up.heldCapacity + this.down.heldCapacity;
  }

  /** When held bytes come due, or a toxic's deadline (a timeout's close, a reset_peer's reset). */
  wakeAt(): number {
    const up = this.up.link, down = this.down.link;
    const deadline = Math.min(up.closeAt, up.resetAt, down.closeAt, down.resetAt);
    return Math.min(this.up.nextAt, this.down.nextAt, deadline);
  }

  /** Queues what the toxics let out by `now`, and meets their deadlines; true when finished. */
  tick(now: number): boolean {
    const up = this.up.link, down = this.down.link;
    if (this.state !== DIALING && Math.min(up.resetAt, down.resetAt) <= now) {
      this.#markFired("reset_peer", up.resetAt <= down.resetAt ? this.up : this.down);
      this.#abort(this.#client!);
      this.#abort(this.#target!);
      return this.#end();
    }
    if (Math.min(up.closeAt, down.closeAt) <= now) {
      this.#markFired("timeout", up.closeAt <= down.closeAt ? this.up : this.down);
      return this.#end();
    }
    this.up.release(now, this.#target!);
    this.down.release(now, this.#client!);
    return this.#settle();
  }

  /** "client" or "target", for log lines. */
  label(key: Key<unknown>): string {
    return key === this.#client ? "client" : "target";
  }

  /** True when `key` is the client's leg (the one registered first). */
  isClient(key: Key<unknown>): boolean {
    return key === this.#client;
  }

  /** The target leg's totals and the faults that fired, for the closing line; null if it never connected. */
  summary(): { text: string; fields: Record<string, string | number> } | null {
    const target = this.#target!, plan = this.#plan;
    if (target.stream === null) return null;
    const fired = [...new Set([...this.up.fired, ...this.down.fired])].map((fault) => {
      const ways = [this.up, this.down].filter((f) => f.fired.includes(fault)).map((f) => f.name);
      return `${fault} (${ways.join(", ")})`;
    });
    const faults = fired.length === 0 ? "" : `; faults: ${fired.join(", ")}`;
    return {
      text:
        `target ${plan.target}: ${target.bytesWritten} bytes out, ${target.bytesRead} in${faults}`,
      fields: {
        target: plan.target,
        target_bytes_out: target.bytesWritten,
        target_bytes_in: target.bytesRead,
        faults: fired.join(", "),
      },
    };
  }

  #onError(fromClient: boolean, error: unknown): RelayState {
    const cause = describeError(error), plan = this.#plan;
    if (this.state === DIALING) {
      return { name: "failed", reason: `cannot connect to ${plan.target}: ${cause}` };
    }
    if (plan.quietEnd?.(error, fromClient) === true) {
      this.#client!.output.clear();
      this.#target!.output.clear();
      return CLOSED;
    }
    // A leg reset (or gone, for a write): the other hears a reset too, not a clean end.
    // Anything else (a TLS peer that left without close_notify) closes it as usual.
    if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) {
      this.#abort(fromClient ? this.#target! : this.#client!);
    }
    const names = plan.names ?? { client: "client", target: `target ${plan.target}` };
    return { name: "failed", reason: `${fromClient ? names.client : names.target}: ${cause}` };
  }

  // After any event: finish a reset whose bytes are out, or a relay whose directions both ended.
  #settle(): boolean {
    const state = this.state;
    if (state.name === "resetting") {
      const dest = state.flow === this.up ? this.#target! : this.#client!;
      if (!state.flow.delivered(dest)) return false;
      this.#abort(this.#client!);
      this.#abort(this.#target!);
      this.state = CLOSED;
    } else if (state === RELAYING) {
      const limited = this.up.state === "limited"
        ? this.up
        : this.down.state === "limited"
        ? this.down
        : null;
      if (limited !== null) {
        // limit_data: once the bytes allowed are out, the connection closes.
        return limited.delivered(limited === this.up ? this.#target! : this.#client!) &&
          this.#end();
      }
      if (!this.up.over || !this.down.over) return false;
      if (this.#client!.output.length > 0 || this.#target!.output.length > 0) return false;
      this.state = CLOSED;
    }
    // Else it failed: a dialing session's first event is its connect or its failure.
    this.up.clear();
    this.down.clear();
    return true;
  }

  // Takes up the toxics as they are now.
  #retoxic(now: number): void {
    const toxics = this.#toxics();
    this.up.link.update(toxics, now);
    this.down.link.update(toxics, now);
    this.up.retune();
    this.down.retune();
  }

  // Closes at once, whatever is held or owed (a toxic's deadline or limit).
  #end(): boolean {
    this.state = CLOSED;
    this.up.clear();
    this.down.clear();
    this.#client?.output.clear();
    this.#target?.output.clear();
    return true;
  }

  #markFired(fault: "timeout" | "reset_peer", flow: RelayFlow): void {
    if (!flow.fired.includes(fault)) flow.fired.push(fault);
  }

  #abort(key: Key<unknown>): void {
    const stream = key.stream;
    // Stryker disable next-line ConditionalExpression: only the target can lack a stream (dialing), and while dialing its events are the connect or its failure
    if (stream !== null) (this.#plan.abort ?? abortTcp)(stream);
  }
}
