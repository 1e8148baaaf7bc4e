import type { BufferPool } from "../lib/buffer_pool.ts";
import { describeError } from "../lib/describe_error.ts";
import { hostPort } from "../lib/host_port.ts";
import type { Log } from "../lib/log.ts";
import { type Acceptor, type Event, Interest, type Key, Loop, type Stream } from "../lib/loop.ts";
import type { Session } from "./session.ts";

/** What a server needs besides its listener. */
export interface ServerOptions {
  /** Where connection and event lines go. */
  readonly log: Log;
  /** Makes the state machine of the `number`th accepted connection. */
  readonly newSession: (number: number) => Session;
  /** Where read buffers and output chunks come from; its sizes bound a read. */
  readonly pool?: BufferPool;
}

/** Totals of a server's run, for the summary line. */
export interface ServerStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections that ended with an error (reset, broken pipe...). */
  failed: number;
  /** Bytes read from peers. */
  bytesIn: number;
  /** Bytes written to peers. */
  bytesOut: number;
}

/** A connection as the serve loop sees it: its number and its state machine. */
interface Connection {
  /** 1 for the first connection accepted, and so on: the `#N` of the log lines. */
  readonly number: number;
  readonly session: Session;
}

/** The listener's key carries no connection. */
type Owner = Connection | null;

/**
 * A server: one readiness loop that accepts connections and dispatches each
 * event to the connection's {@linkcode Session}, as in mio's `tcp_server.rs`.
 *
 * @example
 * ```ts
 * import { Log } from "../lib/log.ts";
 * import { EchoSession } from "./echo.ts";
 * import { formatStats, Server } from "./serve.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = new Server(listener, { log: new Log("normal"), newSession: () => new EchoSession() });
 * setTimeout(() => server.stop(), 1000);
 * const stats = await server.run();
 * console.log(formatStats(stats));
 * ```
 */
export class Server {
  /** Running totals; final once `run()` resolves. */
  readonly stats: ServerStats = { accepted: 0, failed: 0, bytesIn: 0, bytesOut: 0 };
  readonly #loop: Loop<Owner>;
  readonly #listener: Key<Owner>;
  readonly #open = new Set<Key<Owner>>();
  readonly #log: Log;
  readonly #newSession: (number: number) => Session;
  #stopping = false;

  /** A server on an already listening acceptor; nothing runs until `run()`. */
  constructor(listener: Acceptor, options: ServerOptions) {
    this.#loop = new Loop<Owner>({ pool: options.pool });
    this.#listener = this.#loop.listen(listener, null);
    this.#log = options.log;
    this.#newSession = options.newSession;
  }

  /** Number of connections open now. */
  get connections(): number {
    return this.#open.size;
  }

  /** Serves until {@linkcode Server.stop}; then closes everything and resolves with the totals. */
  async run(): Promise<ServerStats> {
    const loop = this.#loop;
    while (!this.#stopping) {
      for (const ev of await loop.select()) {
        const conn = ev.key.data;
        if (conn === null) this.#onListenerEvent(ev);
        else this.#onConnectionEvent(ev, conn);
      }
    }
    loop.unregister(this.#listener);
    for (const key of this.#open) this.#close(key, key.data!, "server stopped");
    return this.stats;
  }

  /** Asks `run()` to finish after the batch in hand. */
  stop(): void {
    this.#stopping = true;
    this.#loop.wakeup();
  }

  #onListenerEvent(ev: Event<Owner>): void {
    if (ev.type === "accept") {
      this.#accept(ev.stream!);
      return;
    }
    // Typically out of file descriptors: pause accepting briefly rather than spin.
    this.#log.error(`sockdemo: accept failed: ${describeError(ev.error)}; retrying in 100 ms`);
    this.#loop.modify(ev.key, Interest.NONE);
    setTimeout(() => {
      if (this.#stopping) return;
      this.#loop.modify(this.#listener, Interest.READ);
      this.#loop.wakeup();
    }, 100);
  }

  #accept(stream: Stream): void {
    (stream as Partial<Deno.TcpConn>).setNoDelay?.(true);
    const number = ++this.stats.accepted;
    const session = this.#newSession(number);
    const key = this.#loop.register(stream, Interest.NONE, { number, session });
    this.#loop.modify(key, session.interest(key));
    this.#open.add(key);
    if (this.#log.normal) {
      this.#log.info(`#${number} accepted from ${peerOf(stream)} (${this.#open.size} open)`);
    }
  }

  #onConnectionEvent(ev: Event<Owner>, conn: Connection): void {
    const key = ev.key, session = conn.session, log = this.#log;
    const before = log.verbose ? session.stateName : "";
    if (log.verbose) log.debug(`#${conn.number} ${describeEvent(ev)}`);
    if (session.handle(ev)) {
      this.#close(key, conn, session.failure);
      return;
    }
    const want = session.interest(key);
    if (log.verbose) {
      if (session.stateName !== before) {
        log.debug(
          `#${conn.number} state ${before} -> ${session.stateName} (${key.output.length} bytes owed)`,
        );
      }
      if (want !== key.interest) {
        log.debug(
          `#${conn.number} interest ${interestName(key.interest)} -> ${interestName(want)}`,
        );
      }
    }
    this.#loop.modify(key, want);
  }

  #close(key: Key<Owner>, conn: Connection, failure: string | null): void {
    this.#loop.unregister(key);
    this.#open.delete(key);
    this.stats.bytesIn += key.bytesRead;
    this.stats.bytesOut += key.bytesWritten;
    const totals = `${key.bytesRead} bytes in, ${key.bytesWritten} out`;
    if (failure === null) {
      if (this.#log.normal) {
        this.#log.info(
          `#${conn.number} closed ${peerOf(key.stream)}: ${totals} (${this.#open.size} open)`,
        );
      }
    } else {
      this.stats.failed++;
      this.#log.error(
        `sockdemo: #${conn.number} ${peerOf(key.stream)}: ${failure}; closed after ${totals}`,
      );
    }
  }
}

/** The one-line summary printed when the server stops. */
export function formatStats(stats: ServerStats): string {
  const conns = stats.accepted === 1 ? "1 connection" : `${stats.accepted} connections`;
  return `Stopped: ${conns} served, ${stats.bytesIn} bytes in, ` +
    `${stats.bytesOut} bytes out, ${stats.failed} errors`;
}

// Made only for a log line, so a quiet server keeps no string per connection.
function peerOf(stream: Stream | null): string {
  const addr = (stream as Partial<Deno.Conn> | null)?.remoteAddr;
  if (addr === undefined) return "peer";
  return addr.transport === "tcp" ? hostPort(addr.hostname, addr.port) : addr.transport;
}

function describeEvent(ev: Event<Owner>): string {
  switch (ev.type) {
    case "read":
      return `read ${ev.n} bytes`;
    case "write":
      return ev.n < ev.size
        ? `wrote ${ev.n} of ${ev.size} bytes (partial write; ${ev.key.output.length} still owed)`
        : `wrote ${ev.n} bytes (${ev.key.output.length} still owed)`;
    case "eof":
      return "read end of stream (peer half-closed)";
    case "error":
      return `error: ${describeError(ev.error)}`;
    default:
      return ev.type;
  }
}

function interestName(interest: Interest): string {
  return ["none", "read", "write", "read+write"][interest];
}
