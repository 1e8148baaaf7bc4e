/** What a child is told of its connection, and what its closing line says of it. */
import assert from "node:assert/strict";
import type { Stream } from "../../lib/loop.ts";
import { childDescription, childEnv } from "../../server/exec_env.ts";
import type { ExecChild } from "../../server/exec_session.ts";

const tcp = (hostname: string, port: number) => ({ transport: "tcp", hostname, port });
const conn = (remote: unknown, local: unknown) =>
  ({ remoteAddr: remote, localAddr: local }) as unknown as Stream;

Deno.test("exec env: TCP names both ends, a Unix socket its path; nothing known, the number alone", () => {
  assert.deepEqual(childEnv(conn(tcp("127.0.0.1", 50000), tcp("127.0.0.1", 7000)), 3), {
    SOCKDEMO_CONN: "3",
    SOCKDEMO_PROTO: "tcp",
    SOCKDEMO_REMOTE_ADDR: "127.0.0.1",
    SOCKDEMO_REMOTE_PORT: "50000",
    SOCKDEMO_LOCAL_ADDR: "127.0.0.1",
    SOCKDEMO_LOCAL_PORT: "7000",
  });
  assert.deepEqual(childEnv(conn(undefined, { transport: "unix", path: "/tmp/s" }), 4), {
    SOCKDEMO_CONN: "4",
    SOCKDEMO_PROTO: "unix",
    SOCKDEMO_REMOTE_ADDR: "",
    SOCKDEMO_LOCAL_ADDR: "/tmp/s",
  });
  assert.equal(
    childEnv(conn({ transport: "unix", path: "/tmp/peer" }, { transport: "unix", path: "/s" }), 5)
      .SOCKDEMO_REMOTE_ADDR,
    "/tmp/peer",
  );
  assert.deepEqual(childEnv(null, 6), { SOCKDEMO_CONN: "6" });
  assert.deepEqual(childEnv(conn(tcp("::1", 1), undefined), 7), { SOCKDEMO_CONN: "7" });
  assert.deepEqual(childEnv(conn(undefined, tcp("::1", 1)), 8), { SOCKDEMO_CONN: "8" });
});

Deno.test("exec env: the closing line says how the child ended, or that it still ran", () => {
  const child = (status: Deno.CommandStatus | null) =>
    ({ pid: 42, status }) as unknown as ExecChild;
  assert.deepEqual(childDescription("cat", child(null), 1, 2), {
    text: "cat (pid 42): 1 bytes in, 2 out; still running, ended",
    fields: {
      child: "cat",
      pid: 42,
      child_bytes_in: 1,
      child_bytes_out: 2,
      exit_code: -1,
      exit_signal: "",
    },
  });
  const killed = childDescription(
    "sh",
    child({ success: false, code: 143, signal: "SIGTERM" }),
    0,
    0,
  );
  assert.equal(killed.text, "sh (pid 42): 0 bytes in, 0 out; killed by SIGTERM");
  assert.deepEqual([killed.fields.exit_code, killed.fields.exit_signal], [-1, "SIGTERM"]);
  const three = childDescription("sh", child({ success: false, code: 3, signal: null }), 0, 0);
  assert.deepEqual([
    three.text.endsWith("; exit 3"),
    three.fields.exit_code,
    three.fields.exit_signal,
  ], [
    true,
    3,
    "",
  ]);
});
