/**
 * Turns an error from a socket operation into a short lowercase cause for a
 * one-line message, such as `connection refused` or `address already in use`.
 *
 * Deno's messages carry an `(os error N)` suffix and sometimes several lines;
 * users need the cause, not the errno.
 *
 * @example
 * ```ts
 * import { dial } from "./transports.ts";
 * import { describeError } from "./describe_error.ts";
 * try {
 *   await dial({ transport: "tcp", host: "127.0.0.1", port: 1 });
 * } catch (e) {
 *   console.log(describeError(e)); // "connection refused"
 * }
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) {
    // Deno's message names the permission: "... run again with the --allow-write flag".
    const flag = /(--allow-[a-z]+)/.exec(error.message)?.[1] ?? "--allow-net";
    return `not permitted (run with ${flag})`;
  }
  // A deadline of our own says how long it waited.
  if (error instanceof Deno.errors.TimedOut && error.message.startsWith("timed out after ")) {
    return error.message;
  }
  for (const [kind, text] of KNOWN) {
    if (error instanceof kind) return text;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/failed to lookup address/i.test(message)) return "host name not found";
  // rustls appends a link to its manual; the cause is the first clause.
  if (/without sending TLS close_notify/.test(message)) return "closed without a TLS close_notify";
  const line = message.split("\n")[0].replace(/\s*\(os error \d+\)\s*$/, "").trim();
  return line.length > 0 ? line[0].toLowerCase() + line.slice(1) : "unknown error";
}

const KNOWN: [new (...args: never[]) => Error, string][] = [
  [Deno.errors.ConnectionRefused, "connection refused"],
  [Deno.errors.ConnectionReset, "connection reset by peer"],
  [Deno.errors.ConnectionAborted, "connection aborted"],
  [Deno.errors.BrokenPipe, "broken pipe"],
  [Deno.errors.AddrInUse, "address already in use"],
  [Deno.errors.AddrNotAvailable, "address not available on this machine"],
  [Deno.errors.TimedOut, "timed out"],
  [Deno.errors.NotConnected, "not connected"],
  [Deno.errors.PermissionDenied, "permission denied"],
  [Deno.errors.NotFound, "no such file or directory"],
];
