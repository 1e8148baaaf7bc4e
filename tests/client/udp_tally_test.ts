/** The UDP load run's tally and datagrams: each count from a written-out sequence of arrivals. */
import assert from "node:assert/strict";
import { UdpTally } from "../../client/udp_tally.ts";
import { readDatagram, UDP_HEADER, writeDatagram } from "../../client/udp_datagram.ts";

Deno.test("udp tally: lost, duplicated, reordered and corrupt, counted from arrivals", () => {
  const t = new UdpTally();
  t.sent = 6;
  // 0, 2, 1 (late), 1 again, 5, a corrupt one; 3 and 4 never come.
  t.arrived(0, 100, true);
  t.arrived(2, 300, true);
  t.arrived(1, 200, true);
  t.arrived(1, 200, true);
  t.arrived(5, 100, true);
  t.arrived(-1, 0, false);
  assert.deepEqual(
    [t.received, t.lost, t.duplicated, t.reordered, t.corrupt],
    [4, 2, 1, 1, 1],
  );
  assert.equal(t.rtt.count, 4);
  assert.equal(t.rtt.max, 300);
  // RFC 3550: J += (|D| - J) / 16, over 100, 300, 200, 100: D = 200, 100, 100.
  const j1 = 200 / 16, j2 = j1 + (100 - j1) / 16, j3 = j2 + (100 - j2) / 16;
  assert.ok(Math.abs(t.jitterUs - j3) < 1e-9, `${t.jitterUs} vs ${j3}`);
});

Deno.test("udp tally: far sequence numbers grow the record; two tallies add up, jitter weighted", () => {
  const a = new UdpTally();
  a.sent = 2;
  a.arrived(100_000, 50, true);
  a.arrived(100_000, 50, true);
  assert.deepEqual([a.received, a.duplicated], [1, 1]);
  const b = new UdpTally();
  b.sent = 3;
  b.arrived(0, 10, true);
  b.arrived(1, 42, true);
  b.arrived(2, 10, true);
  const jb = b.jitterUs;
  a.add(b);
  assert.deepEqual([a.sent, a.received, a.duplicated, a.lost], [5, 4, 1, 1]);
  assert.equal(a.rtt.count, 4);
  assert.ok(Math.abs(a.jitterUs - (jb * 3) / 4) < 1e-9);
  const empty = new UdpTally();
  empty.add(new UdpTally());
  assert.equal(empty.jitterUs, 0);
});

Deno.test("udp tally: sequence numbers at the record's edges (1,024 and 2,048) are kept; a first round trip of 0 counts in the jitter", () => {
  const t = new UdpTally();
  for (const seq of [1024, 1024, 2048, 2048, 2047]) t.arrived(seq, 10, true);
  assert.deepEqual([t.received, t.duplicated, t.reordered], [3, 2, 1]);
  const jump = new UdpTally(); // from 128 bytes of record straight to needing byte 256
  jump.arrived(2048, 10, true);
  jump.arrived(2048, 10, true);
  assert.equal(jump.duplicated, 1);
  const z = new UdpTally();
  z.arrived(0, 0, true);
  z.arrived(1, 160, true);
  assert.equal(z.jitterUs, 10);
});

Deno.test("udp tally: adding up takes every count of both, and weights each jitter by its datagrams", () => {
  const a = new UdpTally(), b = new UdpTally();
  a.arrived(0, 0, true);
  a.arrived(1, 160, true); // jitter 10, 2 received
  b.arrived(0, 0, true);
  b.arrived(2, 320, true);
  b.arrived(1, 0, true);
  b.arrived(1, 0, true);
  b.arrived(-1, 0, false); // jitter 20 then 20 + (320 - 20) / 16 = 38.75; 3 received
  a.add(b);
  assert.deepEqual([a.received, a.duplicated, a.reordered, a.corrupt], [5, 1, 1, 1]);
  assert.equal(a.jitterUs, (10 * 2 + 38.75 * 3) / 5);
});

Deno.test("udp datagram: what is written reads back; a changed byte, a short one or a header alone are caught", () => {
  assert.equal(UDP_HEADER, 12);
  const buf = new Uint8Array(40);
  writeDatagram(buf, 0x01020304, 12.5);
  assert.deepEqual([...buf.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(buf[12], (0x01020304 * 31 + 12) & 0xff);
  assert.equal(buf[39], (0x01020304 * 31 + 39) & 0xff);
  assert.deepEqual(readDatagram(buf, 40, 40), { seq: 0x01020304, sentMs: 12.5, intact: true });
  assert.deepEqual(readDatagram(buf, 39, 40), { seq: 0x01020304, sentMs: 12.5, intact: false });
  buf[20] ^= 1;
  assert.equal(readDatagram(buf, 40, 40).intact, false);
  assert.deepEqual(readDatagram(buf, 11, 40), { seq: -1, sentMs: 0, intact: false });
  // Read after another was written: each datagram's own time.
  const first = new Uint8Array(12), second = new Uint8Array(12);
  writeDatagram(first, 1, 100.25);
  writeDatagram(second, 2, 7);
  assert.deepEqual(readDatagram(first, 12, 12), { seq: 1, sentMs: 100.25, intact: true });
  const header = new Uint8Array(12);
  writeDatagram(header, 9, 1);
  assert.deepEqual(readDatagram(header, 12, 12), { seq: 9, sentMs: 1, intact: true });
});
