import { connectTcp } from "./connect_tcp.ts";

/** How a TLS client verifies the server. */
export interface TlsClientOptions {
  /** Extra trusted CA certificates in PEM (a self-signed server's); null: the system's roots only. */
  readonly ca: string | null;
  /** The name the certificate must carry; null: the host connected to. */
  readonly serverName: string | null;
}

/**
 * A TLS connection to `hostname`:`port`, its handshake done, so a server
 * that cannot be verified fails here, as a failed connect. The certificate
 * must name `serverName` (or `hostname`) and chain to a trusted root or `ca`.
 *
 * @example
 * ```ts
 * import { connectTls } from "./connect_tls.ts";
 * const ca = Deno.readTextFileSync("ca.pem");
 * const conn = await connectTls("127.0.0.1", 8443, { ca, serverName: "localhost" });
 * conn.close();
 * ```
 */
export async function connectTls(
  hostname: string,
  port: number,
  options: TlsClientOptions,
): Promise<Deno.TlsConn> {
  const tcp = await connectTcp(hostname, port);
  const tls = await Deno.startTls(tcp, {
    hostname: options.serverName ?? hostname,
    caCerts: options.ca === null ? undefined : [options.ca],
  });
  try {
    await tls.handshake();
  } catch (e) {
    tls.close();
    throw e;
  }
  return tls;
}
