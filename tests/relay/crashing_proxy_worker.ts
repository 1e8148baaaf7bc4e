/** A proxy worker that dies of an uncaught exception a second after it starts. */
import "../../relay/proxy_worker.ts";

self.addEventListener("message", (e) => {
  if ((e as MessageEvent<{ type: string }>).data.type === "start") {
    setTimeout(() => {
      throw new Error("boom in worker 1");
    }, 1000);
  }
});
