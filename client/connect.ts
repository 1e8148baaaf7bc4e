import { IdleList } from "../lib/idle_list.ts";
import { Interest, type Key, Loop, type Stream } from "../lib/loop.ts";
import type { Meter } from "./meter.ts";
import type { Pace } from "./pace.ts";
import type { Histogram } from "../lib/histogram.ts";
import { makeReport, meterTotals, type Report } from "./report.ts";
import type { NamedReport } from "./report_charts.ts";
import type { ClientSession } from "./session.ts";

/** What a client run needs. */
export interface ClientRunOptions<S extends ClientSession> {
  /** The server as messages name it: `HOST:PORT`, `[v6]:PORT` or `unix:PATH`. */
  readonly address: string;
  /** Clients running at once, in all workers together. */
  readonly conns: number;
  /**
   * The clients this run takes, when workers split the run (default: all):
   * numbers `first` to `first + count - 1`, so each keeps its place in the
   * messages it sends and in the open-loop timetable.
   */
  readonly share?: { readonly first: number; readonly count: number };
  /** The session of client `index`'s first connection. */
  readonly first: (index: number) => S;
  /** After a connection finished cleanly: the same client's next one, or null when it is done. */
  readonly next?: (finished: S) => S | null;
  /** Counts what the run measures; its `measureFrom` ends the warm-up. */
  readonly meter: Meter;
  /** When to stop starting messages (a `performance.now()` time); by default when all are sent. */
  readonly stopAt?: number;
  /** The open-loop timetable; without one, each connection keeps its window of messages full. */
  readonly pace?: Pace | null;
  /** Hears each connection that got connected. */
  readonly onOpen?: (session: S) => void;
  /** Hears each connection that finished, done or failed. */
  readonly onClose?: (session: S) => void;
  /** Fail a connection whose handshake or reply takes longer than this, in seconds (0: never). */
  readonly timeout?: number;
  /** Called about four times a second, for a progress line. */
  readonly onTick?: (now: number) => void;
  /** Opens one connection to the server. */
  readonly dial: () => Promise<Stream>;
  /**
   * Ends the run at once when aborted (a SIGINT): every connection is closed
   * where it stands, and the report covers what was measured until then.
   */
  readonly interrupt?: AbortSignal;
}

/** How a run went. */
export interface RunResult {
  /** Totals, rates and latency. */
  readonly report: Report;
  /** The latency of every measured message, as `report.histogram` encodes it. */
  readonly latency: Histogram;
  /** Connections that got through the handshake. */
  readonly connected: number;
  /** A one-line description of the first failure, with how many failed; null when all verified. */
  readonly failure: string | null;
  /** The first failure alone, for merging the results of workers. */
  readonly firstFailure: string | null;
  /** True when `interrupt` ended the run before it was done. */
  readonly interrupted: boolean;
  /** With workers: each one's report, by name ("worker 1"...), which `report` merges. */
  readonly parts?: readonly NamedReport[];
}

const TICK_MS = 250;
const EARLY_MS = 1.5;
/**
 * Connects in flight at once. Thousands at once overflow a server's accept
 * queue: the dropped SYNs come back a second later, and the run waits for
 * its slowest connection. A paced run (--rate) dials as it always did.
 */
const MAX_DIALING = 256;

/**
 * Runs `conns` clients on one readiness loop until every one is done or
 * failed. A client may use several connections in turn (see `next`).
 *
 * @example
 * ```ts
 * import { dial } from "../lib/transports.ts";
 * import { runClients } from "./connect.ts";
 * import { EchoClient } from "./echo.ts";
 * import { Meter } from "./meter.ts";
 * import { TextPayload } from "./payload.ts";
 * const meter = new Meter(0);
 * const payload = new TextPayload(["Message 1 from client."]);
 * const result = await runClients({
 *   address: "127.0.0.1:65432", conns: 2, meter,
 *   dial: () => dial({ transport: "tcp", host: "127.0.0.1", port: 65432 }),
 *   first: (i) => new EchoClient(i, payload, 1, meter, null, null),
 * });
 * console.log(result.failure ?? "all verified");
 * ```
 */
export async function runClients<S extends ClientSession>(
  options: ClientRunOptions<S>,
): Promise<RunResult> {
  const { address, dial, conns, meter, onTick } = options;
  const intervals = meter.intervals;
  const { first: base, count } = options.share ?? { first: 0, count: conns };
  const pace = options.pace ?? null;
  const stopAt = options.stopAt ?? Infinity;
  const loop = new Loop<S>();
  const timeoutMs = (options.timeout ?? 0) * 1000;
  // Live connections by last activity, so finding one that waited too long never scans the rest.
  const idle = new IdleList<S>();
  // The connection each client is on now, so paced messages and the stop can reach it.
  const current: (Key<S> | null)[] = new Array(conns).fill(null);
  let connected = 0, openConns = 0, live = count, errors = 0;
  let failure = null as string | null; // set inside finish(), which TypeScript cannot follow
  let stopped = false, nextTick = 0;
  // Clients waiting for a connect slot (FIFO from `waitingAt`), and the connects in flight.
  const waiting: S[] = [];
  let waitingAt = 0;
  const dialing = new Set<Key<S>>();
  const ramp = pace === null;

  const finish = (key: Key<S>): void => {
    const session = key.data;
    if (dialing.delete(key)) dialNext();
    options.onClose?.(session);
    loop.unregister(key);
    idle.remove(session);
    current[session.index] = null;
    if (session.connectedAt > 0) openConns--;
    const failed = session.failure;
    const next = failed === null && !stopped ? options.next?.(session) ?? null : null;
    if (next !== null) {
      open(next);
      return;
    }
    live--;
    if (failed === null) return;
    errors++;
    intervals?.failed();
    failure ??= failed.during === "connecting"
      ? `cannot connect to ${address}: ${failed.reason}${hintFor(failed.reason)}`
      : `${address}: connection ${session.index + 1}: ${failed.reason}`;
  };
  const update = (key: Key<S>): void => loop.modify(key, key.data.interest(key));
  const open = (session: S): void => {
    if (ramp && dialing.size >= MAX_DIALING) {
      waiting.push(session);
      return;
    }
    session.dialedAt = performance.now();
    const key = loop.connect(dial(), Interest.NONE, session);
    current[session.index] = key;
    if (ramp) dialing.add(key);
    if (timeoutMs > 0) idle.touch(session, performance.now());
  };
  const dialNext = (): void => {
    while (waitingAt < waiting.length && dialing.size < MAX_DIALING) {
      const session = waiting[waitingAt++];
      if (stopped) live--; // stopped before it ever connected: it is done
      else open(session);
    }
    // Stryker disable next-line ConditionalExpression: memory only (the array of clients already dialed is reset)
    if (waitingAt === waiting.length) waiting.length = waitingAt = 0;
  };
  // Fails the connections that waited for the server too long; the idle ones that owe nothing wait on.
  const expire = (now: number): void => {
    for (let s = idle.oldest; s !== null && s.lastActive + timeoutMs <= now; s = idle.oldest) {
      if (!s.awaiting) {
        idle.touch(s, now);
        continue;
      }
      s.expire(timeoutMs / 1000);
      finish(current[s.index]!);
    }
  };

  const start = performance.now();
  intervals?.begin(Math.max(start, meter.measureFrom));
  const interrupt = options.interrupt;
  let interruptedAt = Infinity;
  const onInterrupt = () => loop.wakeup();
  interrupt?.addEventListener("abort", onInterrupt);
  for (let i = base; i < base + count; i++) open(options.first(i));
  while (live > 0) {
    const now = performance.now();
    if (interrupt?.aborted) {
      // Nobody fails: what was measured stands, what was in flight is not counted.
      interruptedAt = now;
      for (const key of current) if (key !== null) loop.unregister(key);
      break;
    }
    if (!stopped && now >= stopAt) {
      stopped = true;
      live -= waiting.length - waitingAt; // never connected: nothing to stop
      waiting.length = waitingAt = 0;
      for (const key of current) {
        if (key === null) continue;
        if (key.data.stop(key)) finish(key);
        else update(key);
      }
      if (live === 0) break;
    }
    if (pace !== null && !stopped) {
      // Deno's timers fire a millisecond or two late, so what falls due that soon goes now.
      pace.advance(now + EARLY_MS, (conn, count) => {
        const key = current[conn];
        if (key === null) return;
        key.data.release(key, count);
        update(key);
      });
    }
    if (timeoutMs > 0) {
      expire(now);
      if (live === 0) break;
    }
    if (onTick !== undefined && now >= nextTick) {
      onTick(now);
      nextTick = now + TICK_MS;
    }
    let wait = stopped ? Infinity : stopAt - now;
    if (pace !== null && !stopped) wait = Math.min(wait, pace.next - EARLY_MS - now);
    if (onTick !== undefined) wait = Math.min(wait, nextTick - now);
    if (intervals !== null && !stopped) wait = Math.min(wait, intervals.boundary - now);
    const oldest = idle.oldest;
    if (oldest !== null) wait = Math.min(wait, oldest.lastActive + timeoutMs - now);
    const batch = await loop.select(Math.max(0, wait));
    const at = performance.now();
    // What this batch brings happened at `at`: an interval that ended by then closes first.
    // Past the stop, the replies still due belong to the last interval, which ends with the run.
    const until = Math.min(at, stopAt);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: roll() checks the boundary itself; this saves the call
    if (intervals !== null && until >= intervals.boundary) intervals.roll(until, openConns);
    for (const ev of batch) {
      const key = ev.key, session = key.data;
      if (timeoutMs > 0) idle.touch(session, at);
      if (ev.type === "read") meter.moved(at, 0, ev.n);
      else if (ev.type === "write") meter.moved(at, ev.n, 0);
      if (ev.type === "connect") {
        connected++;
        openConns++;
        session.connectedAt = at;
        options.onOpen?.(session);
        if (dialing.delete(key)) dialNext();
      }
      if (session.handle(ev)) finish(key);
      else update(key);
    }
  }
  interrupt?.removeEventListener("abort", onInterrupt);
  const end = performance.now();
  // The measured window: after the warm-up, until the stop, the interrupt or the last reply.
  const from = Math.max(start, meter.measureFrom);
  const to = Math.max(from, Math.min(end, stopAt, interruptedAt));
  const totals = meterTotals(meter, count, errors, from, to);
  intervals?.finish(to, openConns);
  const report = makeReport(
    totals,
    (to - from) / 1000,
    meter.latency,
    meter.handshakes,
    meter.firstReplies,
  );
  if (interruptedAt !== Infinity) report.interrupted = true;
  if (intervals !== null) {
    report.interval = intervals.everyMs / 1000;
    report.intervals = intervals.done;
  }
  return {
    report,
    latency: meter.latency,
    connected,
    failure: failureLine(failure, errors, count),
    firstFailure: failure,
    interrupted: interruptedAt !== Infinity,
  };
}

/** The first failure of a run, and how many of its `conns` connections failed when more than one did. */
export function failureLine(first: string | null, errors: number, conns: number): string | null {
  if (first === null || errors < 2) return first;
  return `${first} (${errors} of ${conns} connections failed)`;
}

function hintFor(reason: string): string {
  if (reason === "connection refused") return ' (is "sockdemo serve" running?)';
  if (reason === "too many open files") return ' (raise the limit, e.g. "ulimit -n 20000")';
  return "";
}
