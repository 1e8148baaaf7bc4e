/**
 * `sockdemo connect --udp` (`-u`): a load run of datagrams against a UDP
 * echo server, reporting what `iperf3 -u` does (lost, and also duplicated,
 * reordered and corrupt datagrams; round trips and jitter).
 *
 * @module
 */
import { MAX_DATAGRAM } from "../lib/datagram.ts";
import { type ConnectLine, serverAddress } from "./connect_options.ts";
import { ms } from "./report.ts";
import { UDP_HEADER } from "./udp_datagram.ts";
import { runUdpPipe } from "./udp_pipe.ts";
import type { Stream } from "../lib/loop.ts";
import { stdio } from "../relay/pipe.ts";
import { runUdp, type UdpPlan, type UdpResult } from "./udp_run.ts";
import type { UdpTally } from "./udp_tally.ts";

// What has no meaning for datagrams here.
const NOT_WITH_UDP = [
  "protocol",
  "unix",
  "tls",
  "ca",
  "server-name",
  "requests",
  "keep-alive",
  "warmup",
  "depth",
  "workers",
  "interval",
  "threshold",
  "report",
  "verbose",
] as const;

/** Datagrams per second per socket when --rate does not say. */
export const DEFAULT_UDP_RATE = 1000;

/** What `connect --udp` is given besides its line: the interrupt (SIGINT), and standard input and output for `--pipe`. */
export interface UdpIo {
  readonly interrupt: AbortSignal;
  readonly local?: Stream;
}

/** Runs `connect --udp` as `line` says, until done or interrupted; resolves to the exit code. */
export async function udpCommand(line: ConnectLine, io: UdpIo): Promise<number> {
  const plan = udpPlan(line);
  if (line.values.pipe) {
    const loadOnly = ["size", "messages", "duration", "rate", "conns", "json"] as const;
    line.refuse(loadOnly, "--udp --pipe sends what standard input gives");
    const outcome = await runUdpPipe(plan.host, plan.port, plan.lingerMs, io.local ?? stdio());
    if (outcome.failure === null) return 0;
    console.error(`sockdemo: standard output: ${outcome.failure}`);
    return 1;
  }
  const result = await runUdp({ ...plan, interrupt: io.interrupt });
  const target = `${plan.host.includes(":") ? `[${plan.host}]` : plan.host}:${plan.port}`;
  if (line.values.json) console.log(JSON.stringify(udpJson(target, plan, result)));
  else if (!line.values.quiet || result.tally.received > 0) {
    console.log(formatUdp(target, plan, result));
  }
  const tally = result.tally;
  if (result.interrupted) {
    console.error(`sockdemo: interrupted after ${result.seconds.toFixed(2)} s`);
    return 130;
  }
  if (tally.received === 0) {
    console.error(`sockdemo: no datagram came back from ${target} (is a UDP echo server there?)`);
    return 1;
  }
  if (tally.corrupt > 0) {
    console.error(`sockdemo: ${tally.corrupt} datagrams came back changed or cut short`);
    return 1;
  }
  return 0;
}

/** The run `line` asks for; usage errors for what does not apply to UDP. */
export function udpPlan(line: ConnectLine): UdpPlan {
  const v = line.values;
  line.refuse(NOT_WITH_UDP, "--udp sends datagrams");
  if (line.positionals.length > 0) {
    line.fail("--udp sends generated datagrams: give --size, not MESSAGE");
  }
  const at = serverAddress(line);
  if (at.transport !== "tcp") line.fail("--udp needs HOST:PORT");
  const size = v.size ?? 64;
  if (size < UDP_HEADER || size > MAX_DATAGRAM) {
    line.fail(`--udp datagrams are ${UDP_HEADER} to ${MAX_DATAGRAM} bytes (--size ${size})`);
  }
  if (v.messages !== undefined && v.duration !== undefined) {
    line.fail("give --messages or --duration, not both");
  }
  return {
    host: at.host,
    port: at.port,
    sockets: v.conns ?? 1,
    size,
    count: v.duration === undefined ? v.messages ?? 1000 : null,
    duration: v.duration ?? null,
    rate: v.rate ?? DEFAULT_UDP_RATE,
    lingerMs: (v.timeout ?? 1) * 1000,
  };
}

/** The summary, three lines. */
export function formatUdp(target: string, plan: UdpPlan, r: UdpResult): string {
  const share = plan.count === null ? `for ${plan.duration} s` : `x ${plan.count} datagrams`;
  return `udp ${target}: ${plan.sockets} sockets ${share} of ${plan.size} bytes at ${plan.rate}/s ` +
    `each, sent in ${r.seconds.toFixed(2)} s\n${udpFigures(r.tally, r.socketErrors)}`;
}

/** What came back, two lines: the counts, then the round trips and jitter. */
export function udpFigures(t: UdpTally, socketErrors: number): string {
  const rtt = t.rtt, percent = t.sent === 0 ? 0 : (100 * t.lost) / t.sent;
  const errors = socketErrors === 0 ? "" : `, ${socketErrors} socket errors`;
  return [
    `sent ${t.sent}, received ${t.received}, lost ${t.lost} (${percent.toFixed(2)}%), ` +
    `duplicated ${t.duplicated}, reordered ${t.reordered}, corrupt ${t.corrupt}${errors}`,
    t.received === 0
      ? "round trip: nothing came back"
      : `round trip: p50 ${ms(rtt.percentile(50))}, p99 ${ms(rtt.percentile(99))}, ` +
        `max ${ms(rtt.max)}; jitter ${ms(t.jitterUs)}`,
  ].join("\n");
}

/** The same as one JSON object, with the round trips' HdrHistogram. */
export function udpJson(target: string, plan: UdpPlan, r: UdpResult): Record<string, unknown> {
  return {
    mode: "udp",
    target,
    sockets: plan.sockets,
    size: plan.size,
    rate: plan.rate,
    seconds: r.seconds,
    ...tallyJson(r.tally, r.socketErrors),
    interrupted: r.interrupted,
  };
}

/** What came back, as fields of a JSON report (a run's, or runs merged). */
export function tallyJson(t: UdpTally, socketErrors: number): Record<string, unknown> {
  const rtt = t.rtt;
  return {
    sent: t.sent,
    received: t.received,
    lost: t.lost,
    duplicated: t.duplicated,
    reordered: t.reordered,
    corrupt: t.corrupt,
    socket_errors: socketErrors,
    rtt_us: {
      p50: rtt.percentile(50),
      p90: rtt.percentile(90),
      p99: rtt.percentile(99),
      max: rtt.max,
      mean: Math.round(rtt.mean),
    },
    jitter_us: Math.round(t.jitterUs * 10) / 10,
    rtt_histogram: rtt.encode(),
  };
}
