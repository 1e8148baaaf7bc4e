/** A proxy worker that cannot join any proxy's port, and says so, as the real one would. */
const scope = self as unknown as { postMessage(m: unknown): void };
self.addEventListener("message", (e) => {
  const message = (e as MessageEvent<{ type: string; name?: string }>).data;
  if (message.type === "open") {
    scope.postMessage({ message: { type: "failed", name: message.name, reason: "in use" } });
    e.stopImmediatePropagation();
  }
});
await import("../../relay/proxy_worker.ts");
