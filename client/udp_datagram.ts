/**
 * The datagrams of `connect --udp`: a sequence number and the time sent,
 * then bytes that follow from the number, so every byte that comes back
 * is checked.
 *
 * | bytes  | field                                  |
 * | ------ | -------------------------------------- |
 * | 0..4   | sequence number, u32, big-endian       |
 * | 4..12  | time sent, ms since the run's clock began, f64 |
 * | 12..   | byte i is (seq * 31 + i) & 0xff        |
 *
 * @module
 */

/** The smallest datagram: the header alone. */
export const UDP_HEADER = 12;

// The time's eight bytes pass through here: a view per datagram would be an allocation each.
const TIME_BYTES = new Uint8Array(8);
const TIME = new DataView(TIME_BYTES.buffer);

/**
 * Writes datagram `seq`, sent at `sentMs`, into `buf` (all of it).
 *
 * @example
 * ```ts
 * import { readDatagram, writeDatagram } from "./udp_datagram.ts";
 * const buf = new Uint8Array(64);
 * writeDatagram(buf, 7, 1.5);
 * console.log(readDatagram(buf, 64, 64)); // { seq: 7, sentMs: 1.5, intact: true }
 * ```
 */
export function writeDatagram(buf: Uint8Array, seq: number, sentMs: number): void {
  buf[0] = seq >>> 24;
  buf[1] = seq >>> 16;
  buf[2] = seq >>> 8;
  buf[3] = seq;
  TIME.setFloat64(0, sentMs);
  buf.set(TIME_BYTES, 4);
  // Stryker disable next-line EqualityOperator: a write one past the end of a typed array is ignored
  for (let i = UDP_HEADER; i < buf.length; i++) buf[i] = (seq * 31 + i) & 0xff;
}

/**
 * Reads the `n` bytes of a datagram that came back, of a run whose datagrams
 * are `size` bytes: intact when it is that long and every byte is as sent.
 */
export function readDatagram(
  buf: Uint8Array,
  n: number,
  size: number,
): { seq: number; sentMs: number; intact: boolean } {
  if (n < UDP_HEADER) return { seq: -1, sentMs: 0, intact: false };
  const seq = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
  // Stryker disable next-line EqualityOperator: a ninth byte written into an eight-byte array is dropped
  for (let i = 0; i < 8; i++) TIME_BYTES[i] = buf[4 + i];
  const sentMs = TIME.getFloat64(0);
  let intact = n === size;
  for (let i = UDP_HEADER; intact && i < n; i++) intact = buf[i] === ((seq * 31 + i) & 0xff);
  return { seq, sentMs, intact };
}
