/** A serve worker whose worker 2 dies as it starts, before it listens. */
// First in line for the start message: the real worker's handler is added after it.
self.addEventListener("message", (e) => {
  const message = (e as MessageEvent<{ type: string; index?: number }>).data;
  if (message.type === "start" && message.index === 2) throw new Error("no luck");
});
await import("../../server/serve_worker.ts");
