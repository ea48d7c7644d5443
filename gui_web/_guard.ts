// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: cross-site request and DNS rebinding checks for the GUI server.
 *
 * @module
 */

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];
const WILDCARD = new Set(["0.0.0.0", "::", "[::]"]);

function bracket(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

function isLoopback(hostname: string): boolean {
  const name = bracket(hostname.toLowerCase());
  return LOOPBACK.includes(name) || name.startsWith("127.");
}

/**
 * The `Host` header values the server answers to: the bound host name, and the loopback
 * names when bound to a loopback or wildcard address, each with the bound port (and also
 * without it on port 80), plus `extra` names given as `host` or `host:port`.
 *
 * @param hostname The host name or address the server is bound to.
 * @param port The bound port.
 * @param extra Further host names the user allowed.
 * @returns The set of accepted `Host` header values, lower-cased.
 */
export function allowedHosts(
  hostname: string,
  port: number,
  extra: readonly string[],
): Set<string> {
  const names = new Set<string>();
  const bound = bracket(hostname.toLowerCase());
  if (!WILDCARD.has(bound)) names.add(bound);
  if (WILDCARD.has(bound) || isLoopback(hostname)) { for (const name of LOOPBACK) names.add(name); }
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    if (port === 80) hosts.add(name);
  }
  for (const name of extra) {
    const lower = name.toLowerCase();
    if (/:\d+$/.test(lower)) hosts.add(lower);
    else {
      hosts.add(`${bracket(lower)}:${port}`);
      if (port === 80) hosts.add(bracket(lower));
    }
  }
  return hosts;
}

/**
 * Checks the `Host` header against DNS rebinding: a page on an attacker's domain that
 * resolves to 127.0.0.1 sends its own domain as `Host`.
 *
 * @param request The request.
 * @param hosts The accepted values from {@linkcode allowedHosts}.
 * @returns An error message, or `undefined` when the request may proceed.
 */
export function checkHost(request: Request, hosts: ReadonlySet<string>): string | undefined {
  const host = request.headers.get("host")?.toLowerCase();
  if (host === undefined || host === "") {
    return "Cannot serve request as the 'Host' header is missing";
  }
  if (!hosts.has(host)) {
    return `Cannot serve request as the 'Host' header is not this server's: received '${host}'`;
  }
  return undefined;
}

/**
 * Checks that a state-changing request is not a cross-site browser request, by the rule
 * of Go's `http.CrossOriginProtection`:
 *
 * 1. `Sec-Fetch-Site` present (every browser since 2023): `same-origin` or `none` (typed
 *    by the user) pass, anything else (`cross-site`, `same-site`) is refused.
 * 2. Else `Origin` present (older browsers): it must equal `http://` plus the (already
 *    checked) `Host`.
 * 3. Neither: not a browser (curl, scripts), which a web page cannot impersonate, so it
 *    passes; `Host` was checked against DNS rebinding before.
 *
 * @param request The request, whose `Host` was accepted by {@linkcode checkHost}.
 * @returns An error message, or `undefined` when the request may proceed.
 */
export function checkOrigin(request: Request): string | undefined {
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  const host = request.headers.get("host")?.toLowerCase() ?? "";
  if (site !== null) {
    if (site === "same-origin" || site === "none") {
      // A browser's own word; an Origin it sends must still name this server.
      if (origin === null || origin.toLowerCase() === `http://${host}`) return undefined;
    } else {
      return `Cannot change state as the request is cross-site: received 'Sec-Fetch-Site: ${site}'`;
    }
  }
  if (origin === null) return undefined;
  if (origin.toLowerCase() !== `http://${host}`) {
    return `Cannot change state as the request comes from another origin: received '${origin}'`;
  }
  return undefined;
}
