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
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setUint32(0, seq);
  view.setFloat64(4, sentMs);
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
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const seq = view.getUint32(0), sentMs = view.getFloat64(4);
  let intact = n === size;
  for (let i = UDP_HEADER; intact && i < n; i++) intact = buf[i] === ((seq * 31 + i) & 0xff);
  return { seq, sentMs, intact };
}
