/**
 * A serve worker whose worker 2 dies of an uncaught exception shortly after
 * it starts listening: what `serve --workers` must report without hanging.
 */
import "../../server/serve_worker.ts";

self.addEventListener("message", (e) => {
  const message = (e as MessageEvent<{ type: string; index?: number }>).data;
  if (message.type === "start" && message.index === 2) {
    setTimeout(() => {
      throw new Error("boom in worker 2");
    }, 2000);
  }
});
