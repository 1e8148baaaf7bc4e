/**
 * Addresses: the one place that reads what a user types for an address.
 * Every command parses `PORT`, `:PORT`, `HOST:PORT`, `[V6]:PORT` and
 * `unix:PATH` here, and names addresses here for its lines. Opening one is
 * `transports.ts`'s.
 *
 * @example
 * ```ts
 * import { addressName, parseAddress } from "./address.ts";
 * const at = parseAddress("[::1]:7", { host: "127.0.0.1" });
 * console.log(addressName(at)); // "[::1]:7"
 * ```
 *
 * @module
 */
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
