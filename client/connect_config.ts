import { type Address, addressName, type ClientTls } from "../lib/address.ts";
import { dial } from "../lib/transports.ts";
import { AppClient } from "./app.ts";
import { AppPrinter } from "./app_printer.ts";
import { binaryRequest, searchRequest } from "./app_request.ts";
import type { Stream } from "../lib/loop.ts";
import { runClients, type RunResult } from "./connect.ts";
import { ConversationPrinter } from "./conversation.ts";
import { EchoClient } from "./echo.ts";
import { type IntervalReport, Intervals } from "./intervals.ts";
import type { Threshold } from "./thresholds.ts";
import { Meter } from "./meter.ts";
import { Pace } from "./pace.ts";
import { PatternPayload, type Payload, TextPayload } from "./payload.ts";

/**
 * A `connect` run as the command line asked for it: plain data, so a worker
 * can be handed it and run its share.
 */
export interface ConnectConfig {
  readonly protocol: "echo" | "app";
  /** The server. */
  readonly address: Address;
  /** TLS over the TCP connection, and how to verify the server; null for plain TCP. */
  readonly tls: ClientTls | null;
  /** Clients at once, in all workers together. */
  readonly conns: number;
  /** Workers the clients are split across (1: this thread alone). */
  readonly workers: number;
  /** Seconds to keep sending, or null for a fixed count. */
  readonly duration: number | null;
  readonly warmup: number;
  /** Messages per second per connection, or null for a closed loop. */
  readonly rate: number | null;
  readonly timeout: number;
  readonly depth: number;
  readonly json: boolean;
  /** Seconds per interval of a load run (0: none). */
  readonly interval: number;
  /** What the run's figures must keep to, or it fails. */
  readonly thresholds: readonly Threshold[];
  /** Where to write the HTML report, or null for none. */
  readonly report: string | null;
  /** No conversation and no progress line. */
  readonly quiet: boolean;
  /** App: print each request and reply. */
  readonly verbose: boolean;
  /** App: one connection per client for all its requests. */
  readonly keepAlive: boolean;
  /** Echo: generated messages of this size, or null to send `texts`. */
  readonly size: number | null;
  /** Echo: generated messages per connection (Infinity with a duration). */
  readonly messages: number;
  /** Echo: the texts to send when nothing is generated. */
  readonly texts: readonly string[];
  /** App: what each request asks. */
  readonly request: { readonly kind: "search" | "binary"; readonly text: string };
  /** App: requests per client (Infinity with a duration). */
  readonly requests: number;
}

/** True when the run is one app request whose reply is printed, rather than a load run. */
export function isSingleRequest(config: ConnectConfig): boolean {
  return config.protocol === "app" && config.conns === 1 && config.requests === 1 &&
    !config.json;
}

/** True for a load run (generated echo messages, or app requests beyond one), which shows progress. */
export function isLoadRun(config: ConnectConfig): boolean {
  return config.protocol === "echo" ? config.size !== null : !isSingleRequest(config);
}

/** The messages (or requests) a load run sends in all, or null when it runs for a duration. */
export function plannedMessages(config: ConnectConfig): number | null {
  const each = config.protocol === "echo" ? config.messages : config.requests;
  return Number.isFinite(each) ? each * config.conns : null;
}

/** What a run tells its caller as it goes, and how the caller ends it early. */
export interface RunHooks {
  /** Hears the messages done so far, about four times a second. */
  readonly onTick?: (now: number, messages: number) => void;
  /** Hears each interval as it closes (with `config.interval`). */
  readonly onInterval?: (interval: IntervalReport) => void;
  /** Ends the run at once when aborted (a SIGINT). */
  readonly interrupt?: AbortSignal;
}

/**
 * Runs the clients of `config` numbered `share.first` on (all of them when
 * `share` is null) on one readiness loop, telling `hooks` how it goes.
 *
 * @example
 * ```ts
 * import { runConnect, type ConnectConfig } from "./connect_config.ts";
 * declare const config: ConnectConfig; // as the command line parsed it
 * const result = await runConnect(config, { first: 0, count: 10 });
 * console.log(result.report.messages);
 * ```
 */
export function runConnect(
  config: ConnectConfig,
  share: { first: number; count: number } | null,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const { conns, warmup, duration, rate, depth } = config;
  const { onTick, onInterval, interrupt } = hooks;
  const address = addressName(config.address);
  const now = performance.now();
  const meter = new Meter(warmup > 0 ? now + warmup * 1000 : 0);
  if (config.interval > 0 && isLoadRun(config)) {
    meter.intervals = new Intervals(config.interval * 1000, onInterval);
  }
  const stopAt = duration === null ? Infinity : now + (warmup + duration) * 1000;
  // Every worker keeps the whole timetable, so the sends of all of them stay evenly spread.
  const pace = rate === null ? null : new Pace(now, conns, rate);
  const common = {
    address,
    dial: timed(dialer(config), config.tls !== null ? meter : null),
    conns,
    share: share ?? undefined,
    meter,
    stopAt,
    pace,
    timeout: config.timeout,
    interrupt,
    onTick: onTick && ((t: number) => onTick(t, meter.messages)),
  };
  if (config.protocol === "echo") {
    let payloadFor: (index: number) => Payload;
    let printer: ConversationPrinter | null = null;
    if (config.size !== null) {
      const { messages, size } = config;
      payloadFor = (index) => new PatternPayload(messages, size, index);
    } else {
      const text = new TextPayload(config.texts as string[]);
      if (!config.json && !config.quiet) {
        printer = new ConversationPrinter(text, address, console.log);
      }
      payloadFor = () => text;
    }
    return runClients({
      ...common,
      first: (i) => new EchoClient(i, payloadFor(i), depth, meter, pace, printer),
      onOpen: (client) => printer?.opened(client),
      onClose: (client) => printer?.closed(client),
    });
  }
  const { kind, text } = config.request;
  const request = kind === "search" ? searchRequest(text) : binaryRequest(text);
  const { requests, keepAlive } = config;
  const printer = new AppPrinter(address, {
    verbose: config.verbose,
    results: isSingleRequest(config),
  });
  // Without keep-alive each request gets its own connection, as the guide's client does.
  const perConnection = keepAlive ? requests : 1;
  const session = (index: number, first: number) =>
    new AppClient(
      index,
      request,
      first,
      perConnection,
      keepAlive ? depth : 1,
      meter,
      pace,
      printer,
    );
  return runClients({
    ...common,
    first: (i) => session(i, 0),
    next: (done) => {
      const first = done.first + done.count;
      return first < requests ? session(done.index, first) : null;
    },
  });
}

/** How `config` opens a connection: to its address, with its TLS; the run's timeout bounds it. */
export function dialer(config: Pick<ConnectConfig, "address" | "tls">): () => Promise<Stream> {
  const { address, tls } = config;
  return () => dial(address, { tls });
}

// With TLS the connect is worth timing on its own: the handshake is most of it.
function timed(dial: () => Promise<Stream>, meter: Meter | null): () => Promise<Stream> {
  if (meter === null) return dial;
  return async () => {
    const started = performance.now();
    const stream = await dial();
    meter.connected(performance.now() - started);
    return stream;
  };
}
