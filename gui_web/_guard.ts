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
 * Checks that a state-changing request comes from the GUI's own page: its `Origin` must
 * equal `http://` plus the (already checked) `Host`. Browsers send `Origin` on every
 * `POST` and `DELETE`, so a request without one is refused too; clients such as curl pass
 * it by hand (`-H "Origin: http://127.0.0.1:8000"`).
 *
 * @param request The request, whose `Host` was accepted by {@linkcode checkHost}.
 * @returns An error message, or `undefined` when the request may proceed.
 */
export function checkOrigin(request: Request): string | undefined {
  const origin = request.headers.get("origin");
  const host = request.headers.get("host")?.toLowerCase() ?? "";
  if (origin === null) {
    return "Cannot change state as the 'Origin' header is missing: send this server's origin";
  }
  if (origin.toLowerCase() !== `http://${host}`) {
    return `Cannot change state as the request comes from another origin: received '${origin}'`;
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `Cannot change state as the request is cross-site: received 'Sec-Fetch-Site: ${site}'`;
  }
  return undefined;
}
