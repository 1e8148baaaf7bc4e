/**
 * Addresses: the one place that reads what a user types for an address, and
 * the one place that opens one. Every command parses `PORT`, `:PORT`,
 * `HOST:PORT`, `[V6]:PORT` and `unix:PATH` here, and only this module calls
 * `Deno.listen`, `Deno.listenTls`, `Deno.connect` and `Deno.startTls`: the
 * listen's accept queue, the stale-socket check, the dial's deadline, the
 * `localhost` fallback and TLS (a layer on any TCP address) live here once.
 *
 * @example
 * ```ts
 * import { dial, listen, parseAddress } from "./address.ts";
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
import { describeError } from "./describe_error.ts";
import { hostPort } from "./host_port.ts";

/** A TCP host and port. */
export interface TcpAddress {
  readonly transport: "tcp";
  readonly host: string;
  /** 0 (listening only): any free port. */
  readonly port: number;
}

/** A Unix-domain socket's path. */
export interface UnixAddress {
  readonly transport: "unix";
  readonly path: string;
}

/** Any address sockdemo listens on or dials. */
export type Address = TcpAddress | UnixAddress;

/** TLS on a listener: the certificate chain and private key, in PEM. */
export interface ServerTls {
  readonly cert: string;
  readonly key: string;
}

/** How a TLS client verifies the server. */
export interface ClientTls {
  /** Extra trusted CA certificates in PEM (a self-signed server's); null: the system's roots only. */
  readonly ca: string | null;
  /** The name the certificate must carry; null: the host dialed. */
  readonly serverName: string | null;
}

/** Text that is not an address; its message says what is wrong, for a usage error. */
export class BadAddress extends Error {}

/** What {@linkcode parseAddress} fills in. */
export interface AddressDefaults {
  /** The host of `PORT` and `:PORT`. */
  readonly host: string;
  /** True where port 0 (any free port) makes sense: listening. */
  readonly anyPort?: boolean;
}

const FORMS = "PORT, HOST:PORT, [IPv6]:PORT or unix:PATH";

/**
 * The address `text` names: `PORT` or `:PORT` (on the default host),
 * `HOST:PORT`, `[V6]:PORT` or `unix:PATH`; anything else is a {@linkcode BadAddress}.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * parseAddress("8080", { host: "127.0.0.1" }); // { transport: "tcp", host: "127.0.0.1", port: 8080 }
 * parseAddress("[::1]:7", { host: "127.0.0.1" }); // { transport: "tcp", host: "::1", port: 7 }
 * ```
 */
export function parseAddress(text: string, defaults: AddressDefaults): Address {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    if (path === "") throw new BadAddress("unix: needs a path");
    return { transport: "unix", path };
  }
  const m = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]\s]+))?:)?([^:\[\]]*)$/.exec(text);
  // A word without a colon is a host with its port missing, not a port.
  if (m === null || m[3] === "" || (!text.includes(":") && !/^\d+$/.test(text))) {
    throw new BadAddress(`must be ${FORMS}, not "${text}"`);
  }
  return { transport: "tcp", host: m[1] ?? m[2] ?? defaults.host, port: port(m[3], defaults) };
}

/** The options that name an address: one word (`--listen`, `--to`) or spelled out. */
export interface AddressOptions {
  /** The one-word option's flag (`--to`) and its parsed address, if given. */
  readonly word: { readonly flag: string; readonly address: Address | undefined };
  readonly host: string | undefined;
  readonly port: string | undefined;
  readonly unix: string | undefined;
}

/**
 * The address `options` name: the one-word form, or `--host`, `--port` and
 * `--unix` (the spelled-out form, where `--unix` stands alone), with
 * `defaults` for what is left out. A mistake goes to `fail`, as a usage error.
 */
export function chosenAddress(
  options: AddressOptions,
  defaults: AddressDefaults & { readonly port: number },
  fail: (message: string) => never,
): Address {
  const { word, host, port: portText, unix } = options;
  const spelled = host !== undefined || portText !== undefined || unix !== undefined;
  if (word.address !== undefined) {
    if (spelled) {
      fail(`${word.flag} takes the place of --host, --port and --unix: give one or the other`);
    }
    return word.address;
  }
  if (unix !== undefined) {
    if (host !== undefined || portText !== undefined) {
      fail("--unix takes the place of --host and --port: give one or the other");
    }
    if (unix === "") fail("--unix needs a path");
    return { transport: "unix", path: unix };
  }
  if (host === "") fail("--host needs a name or an address");
  let p = defaults.port;
  try {
    if (portText !== undefined) p = port(portText, defaults, "--port ");
  } catch (e) {
    fail((e as Error).message);
  }
  return { transport: "tcp", host: host ?? defaults.host, port: p };
}

// A port number, in range: 1 to 65535, or from 0 where any free one will do.
function port(text: string, defaults: AddressDefaults, name = "the port "): number {
  const min = defaults.anyPort === true ? 0 : 1;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= 65535)) {
    throw new BadAddress(`${name}must be an integer from ${min} to 65535, not "${text}"`);
  }
  return value;
}

/**
 * How log lines and messages name `address`: `HOST:PORT`, `[v6]:PORT` or `unix:PATH`.
 *
 * @example
 * ```ts
 * import { addressName } from "./address.ts";
 * console.log(addressName({ transport: "unix", path: "/tmp/s" })); // "unix:/tmp/s"
 * ```
 */
export function addressName(address: Address): string {
  return address.transport === "tcp"
    ? hostPort(address.host, address.port)
    : `unix:${address.path}`;
}

/** The address a listener or connection's own end has, as {@linkcode addressName} names it. */
export function localName(addr: Deno.Addr): string {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? hostPort(addr.hostname, addr.port)
    : `unix:${(addr as Deno.UnixAddr).path}`;
}

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
