/** A loopback port that never answers a dial, for deadline tests. */
/**
 * A loopback port whose accept queue is full (backlog 0, one connection
 * queued, never accepted): the kernel drops further SYNs, as a host that
 * does not answer would. `close()` lets the dropped dials end (reset at
 * their next SYN, about a second later).
 */
export async function silentPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const listener = Deno.listen(
    { hostname: "127.0.0.1", port: 0, tcpBacklog: 0 } as Deno.TcpListenOptions,
  );
  const port = listener.addr.port;
  const queued = await Deno.connect({ hostname: "127.0.0.1", port });
  return {
    port,
    close: async () => {
      queued.close();
      listener.close();
      await new Promise((r) => setTimeout(r, 1500));
    },
  };
}
