/**
 * Transports: the one module that opens them. Only this module calls
 * `Deno.listen`, `Deno.listenTls`, `Deno.listenDatagram`, `Deno.connect`,
 * `Deno.startTls` and `Deno.Command`: the listen's accept queue, the
 * stale-socket check, the dial's deadline, the `localhost` fallback, TLS (a
 * layer on any TCP address), the UDP socket a client binds and a child's
 * pipes live here once.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * import { dial, listen } from "./transports.ts";
 * const at = parseAddress(":0", { host: "127.0.0.1", anyPort: true });
 * const listeners = await listen(at);
 * if ("reason" in listeners) throw new Error(listeners.reason);
 * const port = (listeners[0].addr as Deno.NetAddr).port;
 * const conn = await dial({ transport: "tcp", host: "localhost", port }, { timeout: 5 });
 * conn.close();
 * listeners[0].close();
 * ```
 *
 * @module
 */
import {
  type Address,
  addressName,
  type ClientTls,
  type ServerTls,
  type TcpAddress,
  type UnixAddress,
} from "./address.ts";
import { describeError } from "./describe_error.ts";

/** Why a listener could not be opened. */
export interface ListenFailure {
  readonly address: string;
  /** The cause, with a hint where one helps. */
  readonly reason: string;
}

/** How to listen. */
export interface ListenOptions {
  /** Terminate TLS on every connection (TCP only); its handshake runs on the first read. */
  readonly tls?: ServerTls | null;
  /**
   * Listeners on the one TCP port (SO_REUSEPORT, Linux only; default 1). Deno
   * accepts one connection per listener per turn of its event loop, so several
   * accept a burst of connects that many times faster.
   */
  readonly count?: number;
  /** The kernel's accept queue per listener (default 4096; the kernel caps it at somaxconn). */
  readonly backlog?: number;
  /** The caller checked the port with {@linkcode probe} and opens a group there: skip the check. */
  readonly probed?: boolean;
}

/**
 * Listeners on `address`, or why it cannot be listened on. A TCP group
 * ({@linkcode ListenOptions.count} over 1) is checked first with
 * {@linkcode probe}. A Unix socket file nobody listens on any more (a server
 * that was killed) is replaced; a live one is "address already in use"; any
 * other file there is left alone.
 */
export async function listen(
  address: Address,
  options: ListenOptions = {},
): Promise<Deno.Listener[] | ListenFailure> {
  if (address.transport === "unix") {
    const one = await listenUnix(address.path);
    return "reason" in one ? one : [one];
  }
  return listenTcp(address, options);
}

/**
 * TCP listeners on `address`, or why it cannot be listened on: what
 * {@linkcode listen} does for TCP, at once (a proxy made through an API
 * answers with the port it bound).
 */
export function listenTcp(
  address: TcpAddress,
  options: ListenOptions = {},
): Deno.Listener[] | ListenFailure {
  const count = options.count ?? 1;
  let at = address;
  if (count > 1 && options.probed !== true) {
    const free = probe(address);
    if ("reason" in free) return free;
    at = { ...address, port: free.port };
  }
  const listeners: Deno.Listener[] = [];
  try {
    for (let i = 0; i < count; i++) listeners.push(tcpListener(at, count > 1, options));
    return listeners;
  } catch (e) {
    for (const l of listeners) l.close();
    return listenFailure(at, e);
  }
}

/**
 * Checks that `address` is free with a plain listener, closed at once: it
 * fails as "address already in use" where anyone holds the port, even
 * another SO_REUSEPORT group, and finds the port for 0. The address it
 * names is the one the listeners will have.
 */
export function probe(address: TcpAddress): TcpAddress | ListenFailure {
  try {
    const plain = Deno.listen({ hostname: address.host, port: address.port });
    const { hostname, port } = plain.addr;
    plain.close();
    return { transport: "tcp", host: hostname, port };
  } catch (e) {
    return listenFailure(address, e);
  }
}

function tcpListener(at: TcpAddress, reusePort: boolean, options: ListenOptions): Deno.Listener {
  const tls = options.tls ?? null;
  const listen = { hostname: at.host, port: at.port, tcpBacklog: options.backlog ?? 4096 };
  const shared = { ...listen, reusePort };
  if (tls === null) return Deno.listen(shared);
  return Deno.listenTls({ ...shared, ...tls });
}

/** Why listening on `address` failed with error `e`, with a hint where one helps. */
export function listenFailure(address: Address, e: unknown): ListenFailure {
  const cause = describeError(e);
  const hint = cause === "permission denied" && address.transport === "tcp" && address.port < 1024
    ? " (ports below 1024 need privileges)"
    : "";
  return { address: addressName(address), reason: cause + hint };
}

async function listenUnix(path: string): Promise<Deno.UnixListener | ListenFailure> {
  const address: UnixAddress = { transport: "unix", path };
  const open = () => Deno.listen({ transport: "unix", path });
  try {
    return open();
  } catch (e) {
    // Stryker disable next-line ConditionalExpression: any other error, looked into, fails the same (no such file, not a socket)
    if (!(e instanceof Deno.errors.AddrInUse)) return listenFailure(address, e);
  }
  try {
    if (!Deno.lstatSync(path).isSocket) {
      return listenFailure(address, "address already in use (by a file that is not a socket)");
    }
    // Someone answers: the address is taken. Refused: nobody listens, the file is stale.
    const live = await Deno.connect({ transport: "unix", path }).then((c) => {
      c.close();
      return true;
      // Stryker disable next-line ArrowFunction: undefined is as false as false
    }, () => false);
    if (live) return listenFailure(address, new Deno.errors.AddrInUse());
    Deno.removeSync(path);
    return open();
    // Stryker disable next-line BlockStatement: only a file that changes under it (removed, replaced) between the checks gets here
  } catch (e) {
    return listenFailure(address, e);
  }
}

/** Removes the socket file a Unix listener left: it outlives its listener. */
export function removeSocket(address: Address): void {
  // Stryker disable next-line all: a TCP address has no file: removing undefined fails and is caught the same
  if (address.transport !== "unix") return;
  try {
    Deno.removeSync(address.path);
  } catch {
    // Already gone (someone removed it): nothing to clean.
  }
}

/**
 * A UDP socket bound to `host`:`port` (0: any free one); throws as `Deno.listenDatagram` does.
 * @example `openUdp("127.0.0.1", 0).close()`
 */
export function openUdp(host: string, port: number): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname: host, port });
}

/**
 * A UDP socket, on any free port, for sending to `host`: bound to the
 * loopback when `host` is a loopback address (its replies come from there,
 * and nothing else can reach the socket), to every address of `host`'s
 * family otherwise.
 * @example `openUdpClient("127.0.0.1").close()`
 */
export function openUdpClient(host: string): Deno.DatagramConn {
  const v6 = host.includes(":");
  const loopback = v6 ? host === "::1" : LOOPBACK_V4.test(host) || LOCALHOST.test(host);
  return openUdp(loopback ? (v6 ? "::1" : "127.0.0.1") : (v6 ? "::" : "0.0.0.0"), 0);
}

// 127.0.0.0/8: every address in it is this machine's.
const LOOPBACK_V4 = /^127\.\d+\.\d+\.\d+$/;

/** What to run: a program (looked up in `PATH`), its arguments, and variables added to the environment. */
export interface ChildPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * `plan` running, its three standard streams piped (a child process is a
 * transport too: `lib/child.ts` makes loop streams of them); throws as
 * `Deno.Command` does.
 * @example `spawnPiped({ command: "true", args: [], env: {} }).status`
 */
export function spawnPiped(plan: ChildPlan): Deno.ChildProcess {
  return new Deno.Command(plan.command, {
    args: [...plan.args],
    env: { ...plan.env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** How to dial. */
export interface DialOptions {
  /** Speak TLS (TCP only); the handshake is part of the dial, so an unverified server fails it. */
  readonly tls?: ClientTls | null;
  /** Give up after this many seconds, handshake included (0 or absent: the system's own limit). */
  readonly timeout?: number;
}

/** The longest wait a timer can hold (2^31-1 ms): past it, `setTimeout` fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A connection to `address`, with TCP_NODELAY on TCP. A `localhost` name
 * reaches whichever of 127.0.0.1 and ::1 answers (Deno tries only the first
 * address a name resolves to). Past the timeout it rejects with
 * `Deno.errors.TimedOut`, and a connection that comes later is closed.
 */
export function dial(address: Address, options: DialOptions = {}): Promise<Deno.Conn> {
  const dialing = address.transport === "unix"
    ? Deno.connect({ transport: "unix", path: address.path })
    : dialTcp(address.host, address.port, options.tls ?? null);
  const seconds = options.timeout ?? 0;
  if (!(seconds > 0)) return dialing;
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new Deno.errors.TimedOut(`timed out after ${seconds} s`));
    }, Math.min(seconds * 1000, MAX_TIMER_MS));
    dialing.then((conn) => {
      clearTimeout(timer);
      if (late) conn.close();
      else resolve(conn);
    }, (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// `localhost` and names under `.localhost` mean the loopback (RFC 6761).
const LOCALHOST = /^(.+\.)?localhost\.?$/i;

async function dialTcp(host: string, port: number, tls: ClientTls | null): Promise<Deno.Conn> {
  const candidates = LOCALHOST.test(host) ? ["127.0.0.1", "::1"] : [host];
  let first: unknown = null;
  for (const candidate of candidates) {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: candidate, port });
    } catch (e) {
      // Only a refusal means "try the other loopback"; anything else is the answer.
      // Stryker disable next-line ConditionalExpression: on loopback only a refusal happens; trying the other one on any error ends the same
      if (!(e instanceof Deno.errors.ConnectionRefused)) throw e;
      first ??= e;
      continue;
    }
    // Stryker disable next-line BooleanLiteral: no test can read TCP_NODELAY back from a Deno connection
    conn.setNoDelay(true);
    return tls === null ? conn : await handshake(conn, host, tls);
  }
  throw first;
}

async function handshake(tcp: Deno.TcpConn, host: string, tls: ClientTls): Promise<Deno.Conn> {
  const conn = await Deno.startTls(tcp, {
    hostname: tls.serverName ?? host,
    // Stryker disable next-line ConditionalExpression: Deno takes [null] as no extra CA, as undefined
    caCerts: tls.ca === null ? undefined : [tls.ca],
  });
  try {
    await conn.handshake();
  } catch (e) {
    conn.close();
    throw e;
  }
  return conn;
}
