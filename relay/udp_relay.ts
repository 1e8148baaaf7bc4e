/**
 * `relay --udp`: datagrams from each client address go to the target from
 * a socket of that client's own (so the target's replies find their way
 * back), through that client's faults each way ({@linkcode UdpFaults}: a
 * datagram is late only behind another of its own flow). A client
 * silent both ways for the idle timeout has its socket closed. One loop
 * drives the listening socket and every client's.
 *
 * @module
 */
import { openUdp, openUdpClient } from "../lib/transports.ts";
import { DatagramStream } from "../lib/datagram.ts";
import { DatagramQueue } from "../lib/datagram_queue.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log } from "../lib/log.ts";
import { Interest, type Key, Loop } from "../lib/loop.ts";
import { faultless, type UdpFaultPlan, UdpFaults } from "./udp_faults.ts";

/** One client address and its socket to the target. */
interface Client {
  readonly number: number;
  readonly addr: Deno.NetAddr;
  readonly name: string;
  readonly key: Key<Side>;
  readonly queue: DatagramQueue;
  lastActive: number;
  up: number;
  down: number;
  readonly upFaults: UdpFaults<Uint8Array>;
  readonly downFaults: UdpFaults<Uint8Array>;
}

/** What a key of the relay's loop is: the listening socket, or a client's socket to the target. */
type Side = { readonly kind: "front" } | { readonly kind: "back"; readonly client: Client };

/** A UDP relay's settings. */
export interface UdpRelayPlan {
  readonly listen: { readonly host: string; readonly port: number };
  readonly target: { readonly host: string; readonly port: number };
  readonly up: UdpFaultPlan;
  readonly down: UdpFaultPlan;
  /** Draws every fault: seeded, so a run repeats. */
  readonly random: () => number;
  /** A client silent both ways this long (ms) has its socket closed (0: never). */
  readonly idleMs: number;
  readonly log: Log;
}

/** What one direction's faults did, over every client. */
export interface FaultCounts {
  lost: number;
  duplicated: number;
  reordered: number;
}

/** What the relay carried and did, for the summary. */
export interface UdpRelayTotals {
  clients: number;
  up: number;
  down: number;
  readonly faults: { readonly up: FaultCounts; readonly down: FaultCounts };
  dropped: number;
}

/**
 * The relay, listening from its construction (throws as `Deno.listenDatagram` does).
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { NO_UDP_FAULTS } from "./udp_faults.ts";
 * import { UdpRelay } from "./udp_relay.ts";
 * const relay = new UdpRelay({
 *   listen: { host: "127.0.0.1", port: 0 }, target: { host: "127.0.0.1", port: 7 },
 *   up: NO_UDP_FAULTS, down: NO_UDP_FAULTS, random: Math.random, idleMs: 60_000,
 *   log: new Log("normal"),
 * });
 * setTimeout(() => relay.stop(), 1000);
 * await relay.run();
 * ```
 */
export class UdpRelay {
  /** Totals so far. */
  readonly totals: UdpRelayTotals;
  readonly #plan: UdpRelayPlan;
  readonly #loop = new Loop<Side>();
  readonly #front: Key<Side>;
  readonly #frontQueue: DatagramQueue;
  readonly #clients = new Map<string, Client>();
  readonly #target: Deno.NetAddr;
  // A direction without faults sends each datagram on from the read buffer, copied only if it must wait.
  readonly #upFaultless: boolean;
  readonly #downFaultless: boolean;
  #stopped = false;

  /** Binds the listening socket of `plan`. */
  constructor(plan: UdpRelayPlan) {
    this.#plan = plan;
    this.#upFaultless = faultless(plan.up);
    this.#downFaultless = faultless(plan.down);
    const front = new DatagramStream(openUdp(plan.listen.host, plan.listen.port));
    this.#front = this.#loop.register(front, Interest.READ_WRITE, { kind: "front" });
    this.#frontQueue = this.#queue(this.#front);
    // Stryker disable next-line StringLiteral: Deno sends to a hostname and port, whatever the transport says
    this.#target = { transport: "udp", hostname: plan.target.host, port: plan.target.port };
    this.totals = {
      clients: 0,
      up: 0,
      down: 0,
      faults: { up: noFaults(), down: noFaults() },
      dropped: 0,
    };
  }

  /** Where it listens. */
  get addr(): Deno.NetAddr {
    return (this.#front.stream as DatagramStream).addr;
  }

  /** Ends the run: every socket closes, and `run` resolves. */
  stop(): void {
    this.#stopped = true;
    this.#loop.wakeup();
  }

  /** Relays until stopped; resolves with the totals. */
  async run(): Promise<UdpRelayTotals> {
    while (!this.#stopped) {
      let now = performance.now(), next = this.#expire(now);
      for (const client of this.#clients.values()) {
        for (const bytes of client.upFaults.release(now)) {
          client.queue.send(bytes, bytes.length, this.#target);
        }
        for (const bytes of client.downFaults.release(now)) {
          this.#frontQueue.send(bytes, bytes.length, client.addr);
        }
        next = Math.min(next, client.upFaults.nextAt, client.downFaults.nextAt);
      }
      const batch = await this.#loop.select(Math.max(0, next - now));
      now = performance.now();
      for (const ev of batch) {
        const side = ev.key.data;
        // An error (an ICMP unreachable from a peer gone) ends nothing: the next datagram may pass.
        switch (ev.type) {
          case "read": {
            const input = ev.key.input, n = ev.n;
            if (n === 0) break; // an empty datagram: the loop cannot write one on
            if (side.kind === "front") {
              const client = this.#client((ev.key.stream as DatagramStream).from!, now);
              client.up++;
              this.totals.up++;
              // Stryker disable next-line ConditionalExpression: no fault through the fault queue is the same datagram, a copy and a turn later
              if (this.#upFaultless) client.queue.send(input, n, this.#target);
              else client.upFaults.arrive(input.slice(0, n), n, now);
            } else {
              const client = side.client;
              client.lastActive = now;
              client.down++;
              this.totals.down++;
              // Stryker disable next-line ConditionalExpression: no fault through the fault queue is the same datagram, a copy and a turn later
              if (this.#downFaultless) this.#frontQueue.send(input, n, client.addr);
              else client.downFaults.arrive(input.slice(0, n), n, now);
            }
            break;
          }
          // Stryker disable next-line ConditionalExpression: the only other event is an error, which Linux never gives an unconnected UDP socket
          case "write":
            (side.kind === "front" ? this.#frontQueue : side.client.queue).written();
            break;
        }
      }
    }
    for (const client of this.#clients.values()) this.#close(client, "the relay stopped");
    this.#loop.unregister(this.#front);
    // Stryker disable next-line AssignmentOperator: a queue drops only past 1,024 datagrams waiting, which loopback never leaves
    this.totals.dropped += this.#frontQueue.dropped;
    return this.totals;
  }

  // A socket's queue, which asks the loop to write whenever it fills the output.
  #queue(key: Key<Side>): DatagramQueue {
    return new DatagramQueue(key, () => this.#loop.modify(key, Interest.READ_WRITE));
  }

  // The client at `addr`, with its socket to the target made on its first datagram.
  #client(addr: Deno.NetAddr, now: number): Client {
    const name = hostPort(addr.hostname, addr.port);
    let client = this.#clients.get(name);
    if (client === undefined) {
      const side = { kind: "back" } as { kind: "back"; client: Client };
      const key = this.#loop.register(
        new DatagramStream(openUdpClient(this.#target.hostname)),
        Interest.READ_WRITE,
        side,
      );
      const number = ++this.totals.clients;
      client = {
        number,
        addr,
        name,
        key,
        queue: this.#queue(key),
        lastActive: now,
        up: 0,
        down: 0,
        upFaults: new UdpFaults(this.#plan.up, this.#plan.random),
        downFaults: new UdpFaults(this.#plan.down, this.#plan.random),
      };
      side.client = client;
      this.#clients.set(name, client);
      this.#plan.log.info("client", `#${number} new client ${name} (${this.#clients.size} open)`, {
        conn: number,
        peer: name,
        open: this.#clients.size,
      });
    }
    client.lastActive = now;
    return client;
  }

  // Closes the clients silent past the idle timeout; when the next one will be.
  #expire(now: number): number {
    const idle = this.#plan.idleMs;
    if (idle <= 0) return Infinity;
    let next = Infinity;
    for (const client of this.#clients.values()) {
      const at = client.lastActive + idle;
      // Stryker disable next-line EqualityOperator: closed a moment later, the same
      if (at <= now) this.#close(client, `idle for ${idle / 1000} s`);
      else next = Math.min(next, at);
    }
    return next;
  }

  #close(client: Client, why: string): void {
    const totals = this.totals.faults;
    for (
      const [sum, f] of [[totals.up, client.upFaults], [totals.down, client.downFaults]] as const
    ) {
      sum.lost += f.lost;
      sum.duplicated += f.duplicated;
      sum.reordered += f.reordered;
    }
    this.#clients.delete(client.name);
    this.#loop.unregister(client.key);
    // Stryker disable next-line AssignmentOperator: as the front queue's, above
    this.totals.dropped += client.queue.dropped;
    this.#plan.log.info(
      "closed",
      `#${client.number} closed ${client.name}: ${client.up} datagrams up, ${client.down} down, ${why} ` +
        `(${this.#clients.size} open)`,
      { conn: client.number, peer: client.name, up: client.up, down: client.down, reason: why },
    );
  }
}

function noFaults(): FaultCounts {
  return { lost: 0, duplicated: 0, reordered: 0 };
}
