/**
 * Formats an address as `HOST:PORT`, bracketing IPv6 hosts (`[::1]:7`) so
 * the port cannot be mistaken for part of the address.
 *
 * @example
 * ```ts
 * import { hostPort } from "./host_port.ts";
 * console.log(hostPort("127.0.0.1", 65432)); // "127.0.0.1:65432"
 * console.log(hostPort("::1", 7)); // "[::1]:7"
 * ```
 */
export function hostPort(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
