/**
 * Private: address formatting shared by the echo server and its CLI.
 *
 * @module
 */

/** Formats an address as `host:port`, with brackets around an IPv6 host. */
export function formatAddress(addr: { hostname: string; port: number }): string {
  return `${formatHost(addr.hostname)}:${addr.port}`;
}

/** Puts brackets around an IPv6 host. */
export function formatHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}
