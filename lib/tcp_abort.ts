import type { Stream } from "./loop.ts";

/**
 * Aborts a TCP connection: the peer gets a reset (RST), not an end of
 * stream, and its next read or write fails with "connection reset".
 *
 * Deno offers no way to do this (no `SO_LINGER`, no file descriptor), so
 * this finds the connection's descriptor among the process's own by its
 * addresses and has the kernel drop it with `connect(AF_UNSPEC)`, which on
 * Linux resets an established connection and leaves the descriptor valid for
 * Deno to close as usual. It needs Linux, `--allow-ffi` and read access to
 * `/proc/self/fd`; without them, or for a stream that is not TCP, it does
 * nothing and returns false, and the caller's close sends a FIN instead.
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
  const local = conn.localAddr, remote = conn.remoteAddr;
  if (local?.transport !== "tcp" || remote?.transport !== "tcp") return false;
  const libc = sockets();
  if (libc === null) return false;
  let fds: Iterable<Deno.DirEntry>;
  try {
    fds = Deno.readDirSync("/proc/self/fd");
  } catch {
    return false;
  }
  const peer = ipv4(remote.hostname);
  for (const entry of fds) {
    const fd = Number(entry.name);
    if (!matches(libc.getpeername, fd, remote.port, peer)) continue;
    if (!matches(libc.getsockname, fd, local.port, null)) continue;
    return libc.connect(fd, UNSPEC, UNSPEC.length) === 0;
  }
  return false;
}

type Lookup = (fd: number, addr: Uint8Array, len: Uint8Array) => number;

interface Sockets {
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

let loaded: Sockets | null | undefined;

// libc's socket calls, opened on first use; null where FFI is not allowed or not Linux.
function sockets(): Sockets | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    if (Deno.build.os !== "linux") return null;
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", {
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
  if (family !== AF_INET && family !== AF_INET6) return false;
  if (((ADDR[2] << 8) | ADDR[3]) !== port) return false;
  if (ip === null || family !== AF_INET) return true;
  return ADDR[4] === ip[0] && ADDR[5] === ip[1] && ADDR[6] === ip[2] && ADDR[7] === ip[3];
}

const AF_INET = 2, AF_INET6 = 10;

// The four numbers of a dotted IPv4 address; null for anything else.
function ipv4(hostname: string): number[] | null {
  const parts = hostname.split(".");
  return parts.length === 4 ? parts.map(Number) : null;
}
