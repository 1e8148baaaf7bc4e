/**
 * `sockdemo merge` of `connect --udp --json` reports: counts summed, round
 * trips from the merged histograms, jitter weighted by datagrams received.
 *
 * @module
 */
import { Histogram } from "../lib/histogram.ts";
import { UdpTally } from "./udp_tally.ts";

const COUNTS = ["sockets", "sent", "received", "duplicated", "reordered", "corrupt"] as const;

/** One UDP report's tally and sockets, or what is wrong with it. */
export function udpReport(
  r: Record<string, unknown>,
): { tally: UdpTally; sockets: number } | string {
  for (const name of [...COUNTS, "jitter_us", "socket_errors"]) {
    if (typeof r[name] !== "number" || !(r[name] as number >= 0)) {
      return `not a "sockdemo connect --udp --json" report: no "${name}" number`;
    }
  }
  if ((r.received as number) > (r.sent as number)) return "more datagrams received than sent";
  let rtt: Histogram;
  try {
    rtt = Histogram.decode(String(r.rtt_histogram));
  } catch (e) {
    return `its "rtt_histogram" is ${(e as Error).message}`;
  }
  const tally = new UdpTally();
  tally.sent = r.sent as number;
  tally.received = r.received as number;
  tally.duplicated = r.duplicated as number;
  tally.reordered = r.reordered as number;
  tally.corrupt = r.corrupt as number;
  tally.jitterUs = r.jitter_us as number;
  tally.rtt.add(rtt);
  return { tally, sockets: r.sockets as number };
}

/**
 * The reports added up.
 *
 * @example
 * ```ts
 * import { mergeUdp } from "./udp_merge.ts";
 * declare const a: Record<string, unknown>, b: Record<string, unknown>; // two --udp --json lines
 * const { tally, sockets } = mergeUdp([a, b]);
 * console.log(tally.lost, sockets);
 * ```
 */
export function mergeUdp(reports: readonly Record<string, unknown>[]): {
  tally: UdpTally;
  sockets: number;
  socketErrors: number;
} {
  const tally = new UdpTally();
  let sockets = 0, socketErrors = 0;
  for (const r of reports) {
    const one = udpReport(r);
    if (typeof one === "string") throw new SyntaxError(one);
    tally.add(one.tally);
    sockets += one.sockets;
    socketErrors += r.socket_errors as number;
  }
  return { tally, sockets, socketErrors };
}
