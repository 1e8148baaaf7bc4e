/**
 * Run by tcp_abort_test.ts without `--allow-ffi`: prints whether abortTcp
 * claimed a reset, then what the peer read ("null": a FIN, as a close sends).
 */
import { abortTcp, canAbortTcp } from "../../lib/tcp_abort.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const far = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
const near = await listener.accept();
const aborted = abortTcp(near);
near.close();
let read: string;
try {
  read = String(await far.read(new Uint8Array(10)));
} catch (e) {
  read = (e as Error).name;
}
console.log(aborted, read, canAbortTcp());
far.close();
listener.close();
