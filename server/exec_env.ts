/**
 * What `serve --exec` tells a child about its connection, in its
 * environment (ncat's `NCAT_REMOTE_ADDR` and friends, under sockdemo's
 * name), and what the closing line says of the child.
 *
 * @module
 */
import { Child } from "../lib/child.ts";
import type { ExecChild } from "./exec_session.ts";
import type { Stream } from "../lib/loop.ts";

/**
 * The variables a connection's child gets: `SOCKDEMO_REMOTE_ADDR`,
 * `SOCKDEMO_REMOTE_PORT`, `SOCKDEMO_LOCAL_ADDR`, `SOCKDEMO_LOCAL_PORT`,
 * `SOCKDEMO_PROTO` (`tcp` or `unix`) and `SOCKDEMO_CONN` (the connection's
 * number). A Unix socket's addresses are its path (the peer's is usually
 * empty), with no ports.
 *
 * @example
 * ```ts
 * import { childEnv } from "./exec_env.ts";
 * declare const conn: Deno.TcpConn; // from 127.0.0.1:50000 to 127.0.0.1:7000
 * childEnv(conn, 3).SOCKDEMO_REMOTE_PORT; // "50000"
 * ```
 */
export function childEnv(stream: Stream | null, number: number): Record<string, string> {
  const conn = stream as Partial<Deno.Conn> | null;
  const env: Record<string, string> = { SOCKDEMO_CONN: `${number}` };
  const remote = conn?.remoteAddr, local = conn?.localAddr;
  if (remote?.transport === "tcp" && local?.transport === "tcp") {
    env.SOCKDEMO_PROTO = "tcp";
    env.SOCKDEMO_REMOTE_ADDR = remote.hostname;
    env.SOCKDEMO_REMOTE_PORT = `${remote.port}`;
    env.SOCKDEMO_LOCAL_ADDR = local.hostname;
    env.SOCKDEMO_LOCAL_PORT = `${local.port}`;
  } else if (local?.transport === "unix") {
    env.SOCKDEMO_PROTO = "unix";
    env.SOCKDEMO_REMOTE_ADDR = (remote as Deno.UnixAddr | undefined)?.path ?? "";
    env.SOCKDEMO_LOCAL_ADDR = local.path;
  }
  return env;
}

/**
 * The closing line's part about `child`, named `name`: what went into it
 * and came out, and how it ended (or that it still ran when the connection
 * closed, and is being ended).
 *
 * @example
 * ```ts
 * import type { ExecChild } from "./exec_session.ts";
 * import { childDescription } from "./exec_env.ts";
 * declare const child: ExecChild; // pid 4242, exited with 0
 * childDescription("cat", child, 5, 5).text; // "cat (pid 4242): 5 bytes in, 5 out; exit 0"
 * ```
 */
export function childDescription(
  name: string,
  child: ExecChild,
  bytesIn: number,
  bytesOut: number,
): { text: string; fields: Record<string, string | number> } {
  const status = child.status;
  const ended = status === null ? "still running, ended" : Child.describe(status);
  return {
    text: `${name} (pid ${child.pid}): ${bytesIn} bytes in, ${bytesOut} out; ${ended}`,
    fields: {
      child: name,
      pid: child.pid,
      child_bytes_in: bytesIn,
      child_bytes_out: bytesOut,
      exit_code: status === null || status.signal !== null ? -1 : status.code,
      exit_signal: status?.signal ?? "",
    },
  };
}
