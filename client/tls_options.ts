import type { TlsClientOptions } from "../lib/connect_tls.ts";
import { CannotRead } from "../lib/arguments.ts";
import { describeError } from "../lib/describe_error.ts";

/**
 * `--tls` with its `--ca FILE` (read now: its PEM travels to workers) and
 * `--server-name NAME`, or null for plain TCP.
 */
export function tlsOptions(
  a: { fail(message: string): never },
  tls: boolean,
  caPath: string | undefined,
  serverName: string | undefined,
  unix: string | null,
): TlsClientOptions | null {
  if (!tls) {
    if (caPath !== undefined) a.fail("--ca goes with --tls");
    if (serverName !== undefined) a.fail("--server-name goes with --tls");
    return null;
  }
  if (unix !== null) a.fail("--tls runs over TCP, not --unix");
  let ca: string | null = null;
  if (caPath !== undefined) {
    try {
      ca = Deno.readTextFileSync(caPath);
    } catch (e) {
      throw new CannotRead(`cannot read the CA certificate ${caPath}: ${describeError(e)}`);
    }
  }
  return { ca, serverName: serverName ?? null };
}
