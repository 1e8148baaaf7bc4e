import type { Server } from "./server.ts";
import type { ServerSnapshot } from "./server_metrics.ts";

/** How often a worker posts its metrics to the thread that serves them. */
export const SNAPSHOT_EVERY_MS = 500;

/**
 * Posts `server`'s snapshot every {@linkcode SNAPSHOT_EVERY_MS} through
 * `post` (a worker to its coordinator, which serves the metrics); the
 * function it returns stops that and posts the last one.
 *
 * @example
 * ```ts
 * import { postSnapshots } from "./snapshot_poster.ts";
 * import type { Server } from "./server.ts";
 * declare const server: Server;
 * const stop = postSnapshots(server, (snapshot) => console.log(snapshot.open));
 * await server.run();
 * stop();
 * ```
 */
export function postSnapshots(
  server: Server,
  post: (snapshot: ServerSnapshot) => void,
): () => void {
  const timer = setInterval(() => post(server.snapshot()), SNAPSHOT_EVERY_MS);
  return () => {
    clearInterval(timer);
    post(server.snapshot());
  };
}
