/** The real proxy worker, where every listen fails as a port taken by another program would. */
Deno.listen = (() => {
  throw new Deno.errors.AddrInUse("Address already in use (os error 98)");
}) as typeof Deno.listen;
await import("../../relay/proxy_worker.ts");
