/** A proxy worker that dies as it starts, before it says it is ready. */
// First in line for the start message: the real worker's handler is added after it.
self.addEventListener("message", (e) => {
  if ((e as MessageEvent<{ type: string }>).data.type === "start") throw new Error("no luck");
});
await import("../../relay/proxy_worker.ts");
