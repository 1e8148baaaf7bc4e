// `localhost` and names under `.localhost` mean the loopback (RFC 6761).
const LOCALHOST = /^(.+\.)?localhost\.?$/i;

/**
 * Opens a TCP connection to `hostname`:`port` with TCP_NODELAY. A
 * `localhost` name reaches whichever of 127.0.0.1 and ::1 answers: Deno
 * tries only the first address a name resolves to, so a server listening
 * on `::1` alone would otherwise be "connection refused".
 *
 * @example
 * ```ts
 * import { connectTcp } from "./connect_tcp.ts";
 * const conn = await connectTcp("localhost", 65432);
 * console.log(conn.remoteAddr); // 127.0.0.1 or ::1, whichever answered
 * conn.close();
 * ```
 */
export async function connectTcp(hostname: string, port: number): Promise<Deno.TcpConn> {
  const candidates = LOCALHOST.test(hostname) ? ["127.0.0.1", "::1"] : [hostname];
  let first: unknown = null;
  for (const candidate of candidates) {
    try {
      const conn = await Deno.connect({ hostname: candidate, port });
      // Stryker disable next-line BooleanLiteral: no test can read TCP_NODELAY back from a Deno connection
      conn.setNoDelay(true);
      return conn;
    } catch (e) {
      // Only a refusal means "try the other loopback"; anything else is the answer.
      // Stryker disable next-line ConditionalExpression: on loopback only a refusal happens; trying the other one on any error ends the same
      if (!(e instanceof Deno.errors.ConnectionRefused)) throw e;
      first ??= e;
    }
  }
  throw first;
}
