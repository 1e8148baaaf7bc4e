/**
 * What came back of a UDP load run's datagrams: how many were lost,
 * duplicated, reordered or corrupted, their round trips, and the jitter
 * (RFC 3550's running estimate, as iperf3 reports it, over successive
 * round trips here since the client holds both clocks).
 *
 * @module
 */
import { Histogram } from "../lib/histogram.ts";

/**
 * The tally of one socket's datagrams, or of several added up.
 *
 * @example
 * ```ts
 * import { UdpTally } from "./udp_tally.ts";
 * const tally = new UdpTally();
 * tally.sent = 3;
 * tally.arrived(0, 100, true);
 * tally.arrived(2, 120, true);
 * tally.arrived(1, 110, true); // late: reordered
 * tally.arrived(1, 110, true); // again: duplicated
 * console.log(tally.lost, tally.reordered, tally.duplicated); // 0 1 1
 * ```
 */
export class UdpTally {
  /** Datagrams sent. */
  sent = 0;
  /** Distinct datagrams that came back intact. */
  received = 0;
  /** Copies of datagrams that had already come back. */
  duplicated = 0;
  /** Datagrams that came back after one sent later than them. */
  reordered = 0;
  /** Datagrams that came back changed (or cut short). */
  corrupt = 0;
  /** The round trips of the datagrams received, in µs. */
  readonly rtt = new Histogram();
  /** The jitter estimate, in µs. */
  jitterUs = 0;
  #seen = new Uint8Array(128);
  #highest = -1;
  #lastRtt = -1;

  /** Datagrams sent that never came back (intact). */
  get lost(): number {
    return this.sent - this.received;
  }

  /** Datagram `seq` came back after `rttUs`; `intact` when its bytes were as sent. */
  arrived(seq: number, rttUs: number, intact: boolean): void {
    if (!intact) {
      this.corrupt++;
      return;
    }
    const byte = seq >>> 3, bit = 1 << (seq & 7);
    // Stryker disable next-line ConditionalExpression: growing when not needed copies the same record
    if (byte >= this.#seen.length) this.#grow(byte);
    if ((this.#seen[byte] & bit) !== 0) {
      this.duplicated++;
      return;
    }
    this.#seen[byte] |= bit;
    this.received++;
    // Stryker disable next-line EqualityOperator: an equal number came before, so it returned above as a duplicate
    if (seq < this.#highest) this.reordered++;
    else this.#highest = seq;
    this.rtt.record(rttUs);
    if (this.#lastRtt >= 0) this.jitterUs += (Math.abs(rttUs - this.#lastRtt) - this.jitterUs) / 16;
    this.#lastRtt = rttUs;
  }

  /** Adds `other`'s counts and round trips; the jitter becomes the mean of both, weighted by datagrams received. */
  add(other: UdpTally): void {
    const received = this.received + other.received;
    this.jitterUs = received === 0
      ? 0
      : (this.jitterUs * this.received + other.jitterUs * other.received) / received;
    this.sent += other.sent;
    this.received = received;
    this.duplicated += other.duplicated;
    this.reordered += other.reordered;
    this.corrupt += other.corrupt;
    this.rtt.add(other.rtt);
  }

  #grow(byte: number): void {
    // Stryker disable next-line ArithmeticOperator: any start below the need doubles to the same size
    let size = this.#seen.length * 2;
    while (size <= byte) size *= 2;
    const seen = new Uint8Array(size);
    seen.set(this.#seen);
    this.#seen = seen;
  }
}
