/**
 * `connect --udp`: the echo load run for datagrams. Each socket sends its
 * datagrams paced at the rate (open loop, as `iperf3 -u`: a datagram lost
 * never holds up the next), reads the echoes on the same loop, and tallies
 * them ({@linkcode UdpTally}). Once every socket has sent its share, the run
 * waits for the stragglers until all came back or the linger ran out.
 *
 * @module
 */
import { openUdpClient } from "../lib/transports.ts";
import { DatagramStream } from "../lib/datagram.ts";
import { Interest, type Key, Loop } from "../lib/loop.ts";
import { readDatagram, writeDatagram } from "./udp_datagram.ts";
import { Pace } from "./pace.ts";
import { UdpTally } from "./udp_tally.ts";

/** A UDP load run. */
export interface UdpPlan {
  readonly host: string;
  readonly port: number;
  /** Sockets, each with its own port and its own share. */
  readonly sockets: number;
  /** Bytes per datagram (the header included). */
  readonly size: number;
  /** Datagrams per socket, or null to send for `duration` seconds. */
  readonly count: number | null;
  readonly duration: number | null;
  /** Datagrams per second per socket. */
  readonly rate: number;
  /** How long to wait for replies after the last send, ms. */
  readonly lingerMs: number;
  /** Ends the run now (SIGINT): what came back so far is the result. */
  readonly interrupt?: AbortSignal;
}

/** What the run measured. */
export interface UdpResult {
  /** All sockets added up. */
  readonly tally: UdpTally;
  /** From the first send to the last: the sending window. */
  readonly seconds: number;
  /** Errors the sockets reported (an ICMP unreachable: nothing listens there). */
  readonly socketErrors: number;
  readonly interrupted: boolean;
}

/**
 * How early a datagram may leave (ms): a timer fires no sooner than about
 * a millisecond, so waiting for a due time closer than that would miss it.
 * Pacing holds over each millisecond, as iperf3's does over its timer's.
 */
export const EARLY_MS = 1;

/** Where a socket is in its run. */
type SocketState =
  /** Sending its share, each datagram when the timetable says. */
  | { readonly name: "sending" }
  /** Everything sent: reading what still comes back. */
  | { readonly name: "waiting" };

// Stryker disable next-line StringLiteral,ObjectLiteral: the states are told apart by identity; their names are for a reader
const SENDING: SocketState = { name: "sending" }, WAITING: SocketState = { name: "waiting" };

interface Sender {
  /** Its place in the timetable. */
  readonly index: number;
  state: SocketState;
  seq: number;
  readonly tally: UdpTally;
}

/**
 * Runs `plan` and resolves to its tally.
 *
 * @example
 * ```ts
 * import { runUdp } from "./udp_run.ts";
 * const result = await runUdp({
 *   host: "127.0.0.1", port: 7, sockets: 1, size: 64, count: 100, duration: null,
 *   rate: 1000, lingerMs: 1000,
 * });
 * console.log(result.tally.lost);
 * ```
 */
export async function runUdp(plan: UdpPlan): Promise<UdpResult> {
  const loop = new Loop<Sender>(), scratch = new Uint8Array(plan.size);
  const to = { transport: "udp" as const, hostname: plan.host, port: plan.port };
  const started = performance.now();
  // The TCP run's timetable: sockets spread over each gap, and a socket that fell behind
  // catches up (as iperf3 does), so the rate holds on average whatever the timer's granularity.
  const pace = new Pace(started, plan.sockets, plan.rate);
  const keys: Key<Sender>[] = [];
  for (let index = 0; index < plan.sockets; index++) {
    const sender: Sender = { index, state: SENDING, seq: 0, tally: new UdpTally() };
    const socket = new DatagramStream(openUdpClient(plan.host), to);
    keys.push(loop.register(socket, Interest.READ_WRITE, sender));
  }
  const endAt = plan.duration === null ? Infinity : started + plan.duration * 1000;
  let socketErrors = 0, lastSend = started;
  for (;;) {
    let now = performance.now(), next = Infinity, sending = false;
    for (const key of keys) {
      const sender = key.data;
      // Stryker disable next-line ConditionalExpression: a socket that is done finds itself done again
      if (sender.state !== SENDING) continue;
      // Stryker disable next-line EqualityOperator: a run that ends a moment later ends the same
      if (sender.seq === plan.count || now >= endAt) {
        sender.state = WAITING;
        continue;
      }
      sending = true;
      // One datagram in the socket's output at a time: a stream's queue would run them together.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: on loopback a datagram's write ends within the turn that began it, so no test finds one still owed (the guard is for a slow network); a send a moment later is the same send
      if (key.owed === 0 && now >= pace.dueAt(sender.index, sender.seq) - EARLY_MS) {
        writeDatagram(scratch, sender.seq, now - started);
        key.output.push(scratch, 0, plan.size);
        loop.modify(key, Interest.READ_WRITE);
        sender.seq++;
        sender.tally.sent++;
        lastSend = now;
      }
      // A socket with a datagram still going out hears of it as an event: no timer for it,
      // or a due time already past would spin select() without ever letting the send finish.
      // Stryker disable next-line ArithmeticOperator: woken a millisecond late, a socket sends late and the timetable catches up
      if (key.owed === 0) next = Math.min(next, pace.dueAt(sender.index, sender.seq) - EARLY_MS);
    }
    if (!sending) {
      const waitUntil = lastSend + plan.lingerMs;
      // Stryker disable next-line EqualityOperator: a linger that ends a moment later ends the same
      if (keys.every((k) => k.data.tally.received === k.data.tally.sent) || now >= waitUntil) break;
      next = Math.min(next, waitUntil);
    }
    if (plan.interrupt?.aborted) break;
    const batch = await loop.select(Math.max(0, next - now));
    now = performance.now();
    for (const ev of batch) {
      const tally = ev.key.data.tally;
      if (ev.type === "read") {
        const got = readDatagram(ev.key.input, ev.n, plan.size);
        tally.arrived(got.seq, (now - started - got.sentMs) * 1000, got.intact);
      }
      // Stryker disable next-line all: Linux reports no ICMP error to an unconnected UDP socket, so no test on loopback sees one
      if (ev.type === "error") socketErrors++;
    }
  }
  const tally = new UdpTally();
  for (const key of keys) {
    tally.add(key.data.tally);
    loop.unregister(key);
  }
  return {
    tally,
    seconds: (lastSend - started) / 1000,
    socketErrors,
    interrupted: plan.interrupt?.aborted === true,
  };
}
