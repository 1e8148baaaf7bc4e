import type { Stream } from "./loop.ts";

/**
 * Aborts a TCP connection: the peer gets a reset (RST), not an end of
 * stream, and its next read or write fails with "connection reset".
 *
 * Deno offers no way to do this (no `SO_LINGER`, no file descriptor), so
 * this finds the connection's descriptor among the process's own by its
 * addresses and has the kernel drop it with `connect(AF_UNSPEC)`, which on
 * Linux resets an established connection and leaves the descriptor valid for
 * Deno to close as usual. The descriptors are listed from `/proc/self/fd`
 * through libc too (Deno asks for `--allow-all` to read that directory). It
 * needs Linux with glibc and `--allow-ffi`; without them, or for a stream that
 * is not TCP, it does nothing and returns false, and the caller's close sends
 * a FIN instead.
 *
 * @example
 * ```ts
 * import { dial } from "./transports.ts";
 * import { abortTcp } from "./tcp_abort.ts";
 * const conn = await dial({ transport: "tcp", host: "127.0.0.1", port: 7 });
 * if (!abortTcp(conn)) console.error("no RST: closing normally");
 * conn.close();
 * ```
 */
export function abortTcp(stream: Stream): boolean {
  const conn = stream as Partial<Deno.Conn>;
  const remote = conn.remoteAddr;
  if (remote?.transport !== "tcp") return false;
  const local = conn.localAddr as Deno.NetAddr; // a TCP peer means a TCP socket
  const libc = sockets();
  if (libc === null) return false;
  const peer = ipBytes(remote.hostname), own = ipBytes(local.hostname);
  // Stryker disable next-line all: Deno names a TCP peer by its IP, which ipBytes always reads
  if (peer === null || own === null) return false;
  for (const fd of descriptors(libc)) {
    if (!matches(libc.getpeername, fd, remote.port, peer)) continue;
    if (!matches(libc.getsockname, fd, local.port, own)) continue;
    return libc.connect(fd, UNSPEC, UNSPEC.length) === 0;
  }
  return false;
}

/** True where {@linkcode abortTcp} can send a reset (Linux, glibc, `--allow-ffi`); else it is a FIN. */
export function canAbortTcp(): boolean {
  return sockets() !== null;
}

// The process's open descriptors, from the names in /proc/self/fd (linux_dirent64 records).
function descriptors(libc: Sockets): number[] {
  const dir = libc.open(PROC_FD, 0);
  // Stryker disable next-line all: /proc is always there on Linux; without it, no descriptor matches
  if (dir < 0) return [];
  const fds: number[] = [];
  for (;;) {
    const n = libc.getdents64(dir, DIRENTS, BigInt(DIRENTS.length));
    if (n <= 0) break;
    // Stryker disable next-line ArithmeticOperator: a record's length has no high byte (short names)
    for (let at = 0; at < n; at += DIRENTS[at + 16] | (DIRENTS[at + 17] << 8)) {
      // The name starts at byte 19 and ends with a NUL; "." and ".." are not numbers.
      const name = DIRENTS.subarray(at + 19, DIRENTS.indexOf(0, at + 19));
      const fd = Number(DECODER.decode(name));
      if (Number.isInteger(fd)) fds.push(fd);
    }
  }
  // (These calls do not throw: a failed one returns -1.)
  libc.close(dir);
  return fds;
}

type Lookup = (fd: number, addr: Uint8Array, len: Uint8Array) => number;

interface Sockets {
  readonly open: (path: Uint8Array, flags: number) => number;
  readonly getdents64: (fd: number, buf: Uint8Array, size: bigint) => number;
  readonly close: (fd: number) => number;
  readonly getpeername: Lookup;
  readonly getsockname: Lookup;
  readonly connect: (fd: number, addr: Uint8Array, len: number) => number;
}

// A sockaddr whose family is AF_UNSPEC (0): connect() with it dissolves the association.
const UNSPEC = new Uint8Array(16);
// Reused by every lookup: aborts are rare and run to completion synchronously.
const ADDR = new Uint8Array(128);
const LEN = new Uint32Array(1);
const LEN_BYTES = new Uint8Array(LEN.buffer);
const DIRENTS = new Uint8Array(32768);
const PROC_FD = new TextEncoder().encode("/proc/self/fd\0");
const DECODER = new TextDecoder();

let loaded: Sockets | null | undefined;

// libc's socket calls, opened on first use; null where FFI is not allowed or not Linux.
function sockets(): Sockets | null {
  // Stryker disable next-line ConditionalExpression: opening libc again each time costs time only
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    // Stryker disable next-line all: this suite runs on Linux only
    if (Deno.build.os !== "linux") return null;
    // Asked first, so that run from a terminal without --allow-ffi, Deno does not prompt.
    // Stryker disable next-line ConditionalExpression: where no one can be prompted, dlopen fails the same way
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    // Stryker disable next-line StringLiteral: dlopen("") is the program itself, which reaches libc's symbols too
    const lib = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      getdents64: { parameters: ["i32", "buffer", "usize"], result: "i32" },
      // Stryker disable next-line ArrayDeclaration: a close that misses leaves a descriptor open, seen nowhere but in /proc
      close: { parameters: ["i32"], result: "i32" },
      getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
      getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
      connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    });
    loaded = lib.symbols;
  } catch {
    // No libc.so.6 (musl) or no permission after all: aborts become closes.
  }
  return loaded;
}

// Whether descriptor `fd` is an IP socket whose address (per `lookup`) is `ip` and `port`.
function matches(lookup: Lookup, fd: number, port: number, ip: Uint8Array): boolean {
  LEN[0] = ADDR.length;
  if (lookup(fd, ADDR, LEN_BYTES) !== 0) return false;
  return sockaddrIs(ADDR, ip, port);
}

/**
 * Whether the `sockaddr_in` or `sockaddr_in6` in `addr` holds `ip` (16
 * bytes, an IPv4 address mapped as `::ffff:a.b.c.d`) and `port`: the whole
 * address, so two peers on different hosts with the same port never match alike.
 */
export function sockaddrIs(addr: Uint8Array, ip: Uint8Array, port: number): boolean {
  const family = addr[0] | (addr[1] << 8);
  if (family !== AF_INET && family !== AF_INET6) return false;
  if (((addr[2] << 8) | addr[3]) !== port) return false;
  if (family === AF_INET) {
    for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
    return ip[10] === 0xff && ip[11] === 0xff && ip[12] === addr[4] && ip[13] === addr[5] &&
      ip[14] === addr[6] && ip[15] === addr[7];
  }
  // sockaddr_in6: family, port, flow info (4 bytes), then the 16-byte address.
  for (let i = 0; i < 16; i++) if (addr[8 + i] !== ip[i]) return false;
  return true;
}

const AF_INET = 2, AF_INET6 = 10;

/**
 * The 16 bytes of an IP address as Deno names it (`127.0.0.1`, `::1`,
 * `::ffff:10.0.0.1`, `fe80::1%eth0`), IPv4 mapped into IPv6; null for anything else.
 */
export function ipBytes(hostname: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const text = hostname.replace(/%.*/, "");
  const v4 = /^(?:(.*):)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  let head = text, tailWords = 0;
  if (v4 !== null) {
    const parts = v4.slice(2).map(Number);
    if (parts.some((p) => p > 255)) return null;
    out.set(parts, 12);
    if (v4[1] === undefined) {
      out[10] = out[11] = 0xff;
      return out;
    }
    head = `${v4[1]}:`;
    tailWords = 2;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const words = (part: string) => part.split(":").filter((w) => w !== "");
  const left = words(halves[0]), right = halves.length === 2 ? words(halves[1]) : [];
  const gap = 8 - tailWords - left.length - right.length;
  if (gap < 0 || (halves.length === 1 && gap !== 0)) return null;
  const all = [...left, ...new Array(gap).fill("0"), ...right];
  for (let i = 0; i < all.length; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(all[i])) return null;
    const w = parseInt(all[i], 16);
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  }
  return out;
}
