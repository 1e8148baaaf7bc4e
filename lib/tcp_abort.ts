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
 * import { abortTcp } from "./tcp_abort.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 7 });
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
  const peer = ipv4(remote.hostname);
  for (const fd of descriptors(libc)) {
    if (!matches(libc.getpeername, fd, remote.port, peer)) continue;
    if (!matches(libc.getsockname, fd, local.port, null)) continue;
    return libc.connect(fd, UNSPEC, UNSPEC.length) === 0;
  }
  return false;
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

// Whether descriptor `fd` is an IP socket whose address (per `lookup`) has `port`, and `ip` if given.
function matches(lookup: Lookup, fd: number, port: number, ip: number[] | null): boolean {
  LEN[0] = ADDR.length;
  if (lookup(fd, ADDR, LEN_BYTES) !== 0) return false;
  const family = ADDR[0] | (ADDR[1] << 8);
  // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator: only a Unix socket whose path bytes read as the port could pass
  if (family !== AF_INET && family !== AF_INET6) return false;
  if (((ADDR[2] << 8) | ADDR[3]) !== port) return false;
  // Stryker disable all: only two connections with the same ports and different addresses need it, which loopback tests cannot make
  if (ip === null || family !== AF_INET) return true;
  return ADDR[4] === ip[0] && ADDR[5] === ip[1] && ADDR[6] === ip[2] && ADDR[7] === ip[3];
  // Stryker restore all
}

const AF_INET = 2, AF_INET6 = 10;

// The four numbers of a dotted IPv4 address; null for anything else.
function ipv4(hostname: string): number[] | null {
  const parts = hostname.split(".");
  return parts.length === 4 ? parts.map(Number) : null;
}
