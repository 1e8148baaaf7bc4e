/**
 * A serve worker whose worker 2 cannot listen, as if another program took
 * the port between the coordinator's check and its bind.
 */
import { PoolWorker } from "../../lib/pool_worker.ts";
import type { ServeWorkerIn, ServeWorkerOut } from "../../server/serve_worker.ts";

new PoolWorker<ServeWorkerIn, ServeWorkerOut>((message, worker) => {
  if (message.type !== "start") return;
  if (message.index === 2) {
    worker.post({
      type: "failed",
      failure: { address: `127.0.0.1:${message.port}`, reason: "address already in use" },
    });
  } else {
    worker.post({ type: "listening" });
  }
});
