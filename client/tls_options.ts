import type { TlsClientOptions } from "../lib/connect_tls.ts";
import { readNamedFile } from "../lib/arguments.ts";

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
  const ca = caPath === undefined ? null : readNamedFile("the CA certificate", caPath);
  return { ca, serverName: serverName ?? null };
}
