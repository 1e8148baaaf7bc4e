/**
 * UDP sockets as streams for the loop: each read is one whole datagram
 * (its sender kept in `from`), each write one datagram (to `to`). Reads get
 * a buffer of 64 KiB, more than any UDP payload (65,507 bytes), so none is
 * ever cut short. A server's socket is also an acceptor that hands itself
 * out once: the host then serves it as one connection, with its session,
 * drain and totals, like any other.
 *
 * @module
 */
import type { Acceptor, Stream } from "./loop_types.ts";

/** The largest UDP payload over IPv4 (65,535 less the IP and UDP headers). */
export const MAX_DATAGRAM = 65_507;

/** The read buffer of a datagram stream: a power of two above {@linkcode MAX_DATAGRAM}. */
export const DATAGRAM_READ = 65_536;

/**
 * A UDP socket for the loop.
 *
 * @example
 * ```ts
 * import { openUdp } from "./transports.ts";
 * import { DatagramStream } from "./datagram.ts";
 * const socket = new DatagramStream(openUdp("127.0.0.1", 0));
 * socket.to = { transport: "udp", hostname: "127.0.0.1", port: 7 };
 * await socket.write(new TextEncoder().encode("one datagram"));
 * socket.close();
 * ```
 */
export class DatagramStream implements Stream {
  /** Who sent the datagram last read (valid until the next read). */
  from: Deno.NetAddr | null = null;
  /** Where the next write goes. */
  to: Deno.NetAddr | null;
  readonly readSize = DATAGRAM_READ;

  /** `socket`, writing to `to` until told otherwise. */
  constructor(readonly socket: Deno.DatagramConn, to: Deno.NetAddr | null = null) {
    this.to = to;
  }

  /** Its own address. */
  get addr(): Deno.NetAddr {
    return this.socket.addr as Deno.NetAddr;
  }

  /** Receives one datagram into `buf`; resolves to its length (0 for an empty one). */
  read(buf: Uint8Array): Promise<number> {
    return this.socket.receive(buf).then(([data, from]) => {
      this.from = from as Deno.NetAddr;
      return data.length;
    });
  }

  /** Sends `buf` as one datagram to `to`. */
  write(buf: Uint8Array): Promise<number> {
    return this.socket.send(buf, this.to!).then(() => buf.length);
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}

/**
 * A server's UDP socket as an acceptor that hands the socket out once and
 * then waits until closed: the host serves it as one connection.
 *
 * @example
 * ```ts
 * import { openUdp } from "./transports.ts";
 * import { DatagramAcceptor } from "./datagram.ts";
 * const acceptor = new DatagramAcceptor(openUdp("127.0.0.1", 0));
 * const socket = await acceptor.accept(); // the socket itself, as a stream
 * acceptor.close();
 * ```
 */
export class DatagramAcceptor implements Acceptor {
  readonly #stream: DatagramStream;
  #handedOut = false;
  #closed: (() => void) | null = null;

  /** Serves `socket`. */
  constructor(socket: Deno.DatagramConn) {
    this.#stream = new DatagramStream(socket);
  }

  /** Its address, as a listener's. */
  get addr(): Deno.NetAddr {
    return this.#stream.addr;
  }

  /** The socket the first time; later, a promise that settles (rejected) only at the close. */
  accept(): Promise<Stream> {
    if (!this.#handedOut) {
      this.#handedOut = true;
      return Promise.resolve(this.#stream);
    }
    return new Promise((_, reject) => {
      this.#closed = () => reject(new Deno.errors.BadResource("closed"));
    });
  }

  /** Stops "accepting"; the socket closes with its connection, or now if never handed out. */
  close(): void {
    if (!this.#handedOut) {
      this.#handedOut = true;
      this.#stream.close();
    }
    this.#closed?.();
    this.#closed = null;
  }
}
