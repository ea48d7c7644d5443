/**
 * Private: the request templates of a run with many endpoints, from a JSON Lines file
 * (`--requests-file FILE`), a browser's HAR export (`--har FILE`) or the `templates`
 * option, checked before any traffic and encoded once to bytes.
 *
 * A requests file holds one JSON object a line (blank lines are skipped):
 *
 * ```json
 * {"name":"home","method":"GET","url":"/","headers":{"accept":"text/html"},"body":null,"weight":3}
 * {"url":"/api/items?page=2"}
 * {"method":"POST","url":"/api/login","headers":{"content-type":"application/json"},"body":"{\"user\":\"a\"}"}
 * ```
 *
 * | field     | meaning                                                                  |
 * | --------- | ------------------------------------------------------------------------ |
 * | `url`     | required; resolved against the run's URL, absolute when there is none    |
 * | `method`  | default `GET`; sent upper-case                                           |
 * | `headers` | `{ "name": "value" }` or `[["name", "value"], …]`; they replace the run's `-H` headers of the same name |
 * | `body`    | a string sent as UTF-8 with `Content-Length`, or `null`                  |
 * | `weight`  | a positive finite number, default 1: picked `weight / Σ weights` of the time |
 * | `name`    | the endpoint's name in the report, default `METHOD /path?query`          |
 *
 * All templates of a run go to one origin (scheme, host and port), because one run keeps
 * one pool of connections: a template on another origin is an error. Names are unique:
 * two explicit equal names are an error; default names that collide get ` #2`, ` #3`.
 *
 * @module
 */

import { received } from "../sync/_checks.ts";
import { encodeRequest } from "./_http_request.ts";

/** One request of a run with many endpoints, checked and resolved. */
export interface RequestTemplate {
  /** The endpoint's name in the report; unique within the run. */
  name: string;
  /** The method, upper-case. */
  method: string;
  /** The absolute URL, on the run's origin, without credentials. */
  url: URL;
  /** The template's own headers, in order; they replace run-wide headers of the same name. */
  headers: [string, string][];
  /** The body, or `undefined` for none. */
  body: Uint8Array | undefined;
  /** A positive finite weight: picked `weight / Σ weights` of the time. */
  weight: number;
}

/** A request template as the `templates` option or a requests-file line gives it. */
export interface RequestTemplateInit {
  /** The endpoint's name. @default {"METHOD /path?query"} */
  name?: string;
  /** The method. @default {"GET"} */
  method?: string;
  /** The URL: absolute, or relative to the run's URL. */
  url: string;
  /** Headers as an object or as `[name, value]` pairs. */
  headers?: Record<string, string> | [string, string][];
  /** The body (a string is sent as UTF-8); `null` for none. */
  body?: string | Uint8Array | null;
  /** The weight. @default {1} */
  weight?: number;
}

/** Where templates come from and what they resolve against. */
export interface TemplateOptions {
  /** The run's URL (the positional URL); templates' URLs resolve against it. */
  base?: string | URL;
}

/** Options of {@linkcode parseRequestsFile}. */
export interface RequestsFileOptions extends TemplateOptions {
  /** The file's name, for messages. */
  file: string;
}

/** Options of {@linkcode parseHar}. */
export interface HarOptions extends RequestsFileOptions {
  /**
   * Keep the `Cookie` headers of the recorded requests.
   *
   * @default {false}
   */
  cookies?: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELDS = ["name", "method", "url", "headers", "body", "weight"];
/** Longest name: the report's table and the threshold flags show names whole. */
const MAX_NAME = 200;

/** Builds the message of a bad field for one source (a file line, an option index). */
type Complain = (field: string | undefined, detail: string) => string;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns the run's URL into the base templates resolve against (or `undefined`). */
function baseUrl(base: string | URL | undefined, action: string): URL | undefined {
  if (base === undefined || base === "") return undefined;
  try {
    return new URL(base);
  } catch {
    throw new TypeError(`${action} as the URL is malformed: received '${base}'`);
  }
}

/** Checks a template's fields; the name stays `undefined` when not given. */
function checkInit(
  raw: unknown,
  complain: Complain,
  base: URL | undefined,
): Omit<RequestTemplate, "name"> & { name: string | undefined } {
  if (!isObject(raw)) {
    throw new TypeError(complain(undefined, `must be a JSON object: received ${received(raw)}`));
  }
  const unknown = Object.keys(raw).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new TypeError(
      complain(unknown, `is not a field: use ${FIELDS.map((f) => `'${f}'`).join(", ")}`),
    );
  }
  const { name, method = "GET", url, headers, body, weight = 1 } = raw;
  if (name !== undefined) {
    // deno-lint-ignore no-control-regex
    if (typeof name !== "string" || name.trim() === "" || /[\x00-\x1f\x7f]/.test(name)) {
      throw new TypeError(
        complain(
          "name",
          `must be a non-empty string without control characters: received ${received(name)}`,
        ),
      );
    }
    if (name.length > MAX_NAME) {
      throw new RangeError(
        complain("name", `must be at most ${MAX_NAME} characters: received ${name.length}`),
      );
    }
  }
  if (typeof method !== "string" || !TOKEN.test(method)) {
    throw new TypeError(complain("method", `must be an HTTP method: received ${received(method)}`));
  }
  const resolved = resolveUrl(url, complain, base);
  const pairs = checkHeaders(headers, complain);
  if (
    body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)
  ) {
    throw new TypeError(complain("body", `must be a string or null: received ${received(body)}`));
  }
  if (typeof weight !== "number" || !(weight > 0 && weight < Infinity)) {
    const message = complain(
      "weight",
      `must be a positive finite number: received ${received(weight)}`,
    );
    throw typeof weight === "number" ? new RangeError(message) : new TypeError(message);
  }
  return {
    name: name === undefined ? undefined : name.trim(),
    method: method.toUpperCase(),
    url: resolved,
    headers: pairs,
    body: typeof body === "string" ? new TextEncoder().encode(body) : body ?? undefined,
    weight,
  };
}

function resolveUrl(url: unknown, complain: Complain, base: URL | undefined): URL {
  if (typeof url !== "string" || url === "") {
    throw new TypeError(complain("url", `must be a non-empty string: received ${received(url)}`));
  }
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch {
    throw new TypeError(
      complain(
        "url",
        base === undefined
          ? `must be an absolute URL when the run has no URL: received '${url}'`
          : `is malformed: received '${url}'`,
      ),
    );
  }
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") {
    throw new TypeError(
      complain("url", `must be an 'http:' or 'https:' URL: received '${resolved.protocol}'`),
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) {
    throw new TypeError(
      complain(
        "url",
        `must not carry credentials: put them in the run's URL or an 'authorization' header: received '${url}'`,
      ),
    );
  }
  resolved.username = "";
  resolved.password = "";
  return resolved;
}

function checkHeaders(headers: unknown, complain: Complain): [string, string][] {
  if (headers === undefined || headers === null) return [];
  let pairs: unknown[];
  if (Array.isArray(headers)) pairs = headers;
  else if (isObject(headers)) pairs = Object.entries(headers);
  else {
    throw new TypeError(
      complain("headers", `must be an object of strings: received ${received(headers)}`),
    );
  }
  return pairs.map((pair) => {
    if (
      !Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" ||
      typeof pair[1] !== "string"
    ) {
      throw new TypeError(
        complain(
          "headers",
          `must map names to strings: received ${
            Array.isArray(pair) && typeof pair[0] === "string"
              ? `'${pair[0]}': ${received(pair[1])}`
              : received(pair)
          }`,
        ),
      );
    }
    const [name, value] = pair as [string, string];
    try {
      new Headers([[name, value]]);
    } catch {
      throw new TypeError(
        complain("headers", `has an invalid header: received '${name}: ${value}'`),
      );
    }
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding") {
      // A wrong length would break the framing of every request behind it on the connection.
      throw new TypeError(
        complain("headers", `must not set '${name}': the body's length is sent for it`),
      );
    }
    return [name, value];
  });
}

/** `METHOD /path?query`: the default name of a template. */
function defaultName(method: string, url: URL): string {
  const target = (url.pathname || "/") + url.search;
  return `${method} ${target}`.slice(0, MAX_NAME);
}

/** The run's origin: the base's, or the first template's. */
function checkOrigin(
  url: URL,
  origin: string | undefined,
  complain: Complain,
): string {
  if (origin !== undefined && url.origin !== origin) {
    throw new TypeError(
      complain(
        "url",
        `must be on the run's origin '${origin}' (one run keeps one pool of connections): received '${url.href}'`,
      ),
    );
  }
  return url.origin;
}

/**
 * Gives each template its name: explicit names must be unique; default names that
 * collide with an earlier name get ` #2`, ` #3`, ….
 */
function nameAll(
  checked: (Omit<RequestTemplate, "name"> & { name: string | undefined })[],
  complain: (index: number) => Complain,
  label: (index: number) => string,
): RequestTemplate[] {
  const explicit = new Map<string, number>();
  checked.forEach((t, i) => {
    if (t.name === undefined) return;
    const first = explicit.get(t.name);
    if (first !== undefined) {
      throw new TypeError(
        complain(i)("name", `must be unique: received '${t.name}' (also ${label(first)})`),
      );
    }
    explicit.set(t.name, i);
  });
  const used = new Set(explicit.keys());
  // The next suffix to try per default name: every lower one is taken, so a file of
  // 8,000 lines with one default name is parsed in 0.1 s, not 3.3 s (a scan from 2 per line).
  const next = new Map<string, number>();
  return checked.map((t) => {
    let name = t.name;
    if (name === undefined) {
      const plain = defaultName(t.method, t.url);
      let n = next.get(plain) ?? 2;
      name = plain;
      if (used.has(name)) {
        while (used.has(`${plain} #${n}`)) n++;
        name = `${plain} #${n++}`;
      }
      next.set(plain, n);
      used.add(name);
    }
    return { ...t, name };
  });
}

/**
 * Checks the `templates` option of a run.
 *
 * @param inits The templates.
 * @param options The run's URL, if any.
 * @returns The checked templates, named, on one origin.
 * @throws {TypeError} When a template is malformed, on another origin, or names clash.
 * @throws {RangeError} When a weight or a name's length is out of range.
 * @example Two endpoints, one three times as often
 * ```ts
 * import { normalizeTemplates } from "./_request_templates.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const templates = normalizeTemplates(
 *   [{ url: "/", weight: 3 }, { method: "post", url: "/login", body: "{}" }],
 *   { base: "http://127.0.0.1:8000/" },
 * );
 * assertEquals(templates.map((t) => t.name), ["GET /", "POST /login"]);
 * ```
 */
export function normalizeTemplates(
  inits: readonly RequestTemplateInit[],
  options: TemplateOptions = {},
): RequestTemplate[] {
  const action = "Cannot run stress";
  if (!Array.isArray(inits) || inits.length === 0) {
    throw new TypeError(
      `${action} as 'templates' must be a non-empty array: received ${
        Array.isArray(inits) ? "an empty array" : received(inits)
      }`,
    );
  }
  const base = baseUrl(options.base, action);
  const complain = (i: number): Complain => (field, detail) =>
    `${action} as 'templates[${i}]${field === undefined ? "" : `.${field}`}' ${detail}`;
  let origin = base?.origin;
  const checked = inits.map((init, i) => {
    const t = checkInit(init, complain(i), base);
    origin = checkOrigin(t.url, origin, complain(i));
    return t;
  });
  return nameAll(checked, complain, (i) => `templates[${i}]`);
}

/**
 * Reads the templates of a requests file (JSON Lines, one template a line).
 *
 * @param text The file's text.
 * @param options The file's name (for messages) and the run's URL, if any.
 * @returns The checked templates, named, on one origin, in the file's order.
 * @throws {TypeError} When a line is not a JSON object, a field is malformed, a URL is on
 * another origin, names clash, or the file holds no template; the message names the file,
 * the line and the field.
 * @throws {RangeError} When a weight or a name's length is out of range.
 * @example
 * ```ts
 * import { parseRequestsFile } from "./_request_templates.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const text = '{"name":"home","url":"/","weight":3}\n{"method":"POST","url":"/login","body":"{}"}\n';
 * const templates = parseRequestsFile(text, { file: "reqs.jsonl", base: "http://127.0.0.1:8000" });
 * assertEquals(templates.map((t) => [t.name, t.url.href, t.weight]), [
 *   ["home", "http://127.0.0.1:8000/", 3],
 *   ["POST /login", "http://127.0.0.1:8000/login", 1],
 * ]);
 * assertThrows(
 *   () => parseRequestsFile('{"url":"/","weight":0}', { file: "reqs.jsonl" }),
 *   TypeError,
 *   "Cannot read 'reqs.jsonl' as line 1 'url' must be an absolute URL when the run has no URL: received '/'",
 * );
 * ```
 */
export function parseRequestsFile(text: string, options: RequestsFileOptions): RequestTemplate[] {
  const action = `Cannot read '${options.file}'`;
  const base = baseUrl(options.base, "Cannot run stress");
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const complain = (line: number): Complain => (field, detail) =>
    `${action} as line ${line} ${field === undefined ? "" : `'${field}' `}${detail}`;
  let origin = base?.origin;
  const checked: Parameters<typeof nameAll>[0] = [];
  const lineOf: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new TypeError(
        `${action} as line ${i + 1} is not valid JSON: ${(error as Error).message}`,
      );
    }
    const t = checkInit(raw, complain(i + 1), base);
    origin = checkOrigin(t.url, origin, complain(i + 1));
    checked.push(t);
    lineOf.push(i + 1);
  });
  if (checked.length === 0) {
    throw new TypeError(`${action} as it holds no request: every line is blank`);
  }
  return nameAll(checked, (index) => complain(lineOf[index]), (index) => `line ${lineOf[index]}`);
}

/** Request headers a HAR records that a replay must not send as they are. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  // Set from the URL and the body by the encoder; a recorded value could break framing.
  "host",
  "content-length",
]);

interface HarHeader {
  name: string;
  value: string;
}

function harHeaders(
  raw: unknown,
  complain: Complain,
  cookies: boolean,
): [string, string][] {
  if (raw === undefined) return [];
  if (
    !Array.isArray(raw) ||
    !raw.every((h) => isObject(h) && typeof h.name === "string" && typeof h.value === "string")
  ) {
    throw new TypeError(
      complain("request.headers", `must be an array of { name, value } strings`),
    );
  }
  const headers = raw as HarHeader[];
  // Headers named by Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const named = new Set(
    headers.filter((h) => h.name.toLowerCase() === "connection")
      .flatMap((h) => h.value.split(",").map((token) => token.trim().toLowerCase())),
  );
  return headers
    .filter(({ name }) => {
      const lower = name.toLowerCase();
      return !name.startsWith(":") && !HOP_BY_HOP.has(lower) && !named.has(lower) &&
        !lower.startsWith("proxy-") && (cookies || lower !== "cookie");
    })
    .map(({ name, value }) => [name, value]);
}

function harBody(
  postData: unknown,
  headers: [string, string][],
  complain: Complain,
): string | undefined {
  if (postData === undefined || postData === null) return undefined;
  if (!isObject(postData)) {
    throw new TypeError(
      complain("request.postData", `must be an object: received ${received(postData)}`),
    );
  }
  const { mimeType, text, params } = postData;
  let body: string | undefined;
  if (typeof text === "string") body = text;
  else if (
    Array.isArray(params) && params.every((p) => isObject(p) && typeof p.name === "string")
  ) {
    // Some exports record a form as params only.
    body = new URLSearchParams(
      params.map((p) => [p.name as string, typeof p.value === "string" ? p.value : ""]),
    ).toString();
  } else return undefined;
  if (
    typeof mimeType === "string" && mimeType !== "" &&
    !headers.some(([name]) => name.toLowerCase() === "content-type")
  ) {
    headers.push(["content-type", mimeType]);
  }
  return body;
}

/**
 * Reads the templates of a browser's HAR export: each entry's method, URL, headers
 * (without hop-by-hop ones — `Connection`, `Keep-Alive`, `Transfer-Encoding`, `TE`,
 * `Trailer`, `Upgrade`, `Proxy-*` — nor `Host`, `Content-Length`, HTTP/2 pseudo-headers,
 * or `Cookie` unless `cookies`) and body (`postData.text`). Entries that are not `http:`
 * or `https:` (WebSockets, `data:`) are skipped; identical requests become one template
 * whose weight is how many times it was recorded. Names are `METHOD /path?query`.
 *
 * @param text The file's text.
 * @param options The file's name (for messages), the run's URL, and whether to keep cookies.
 * @returns The checked templates, named, on one origin, in the order first recorded.
 * @throws {TypeError} When the text is not HAR, an entry is malformed or on another
 * origin, or no entry is an HTTP request; the message names the file and the entry.
 * @example
 * ```ts
 * import { parseHar } from "./_request_templates.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const get = { method: "GET", url: "http://127.0.0.1:8000/a?x=1", headers: [
 *   { name: "accept", value: "text/html" }, { name: "cookie", value: "sid=1" },
 *   { name: ":authority", value: "127.0.0.1:8000" },
 * ] };
 * const har = JSON.stringify({ log: { entries: [{ request: get }, { request: get }] } });
 * const [template] = parseHar(har, { file: "site.har" });
 * assertEquals([template.name, template.headers, template.weight], ["GET /a?x=1", [["accept", "text/html"]], 2]);
 * ```
 */
export function parseHar(text: string, options: HarOptions): RequestTemplate[] {
  const action = `Cannot read '${options.file}'`;
  const base = baseUrl(options.base, "Cannot run stress");
  let har: unknown;
  try {
    har = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new TypeError(
      `${action} as it is not HAR: it is not valid JSON (${(error as Error).message})`,
    );
  }
  const entries = isObject(har) && isObject(har.log) ? har.log.entries : undefined;
  if (!Array.isArray(entries)) {
    throw new TypeError(
      `${action} as it is not HAR: it has no 'log.entries' array (export it from the browser's network panel: Save all as HAR)`,
    );
  }
  const complain = (entry: number): Complain => (field, detail) =>
    `${action} as 'log.entries[${entry}]${field === undefined ? "" : `.${field}`}' ${detail}`;
  let origin = base?.origin;
  const checked: Parameters<typeof nameAll>[0] = [];
  const entryOf: number[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry: unknown, i) => {
    const where = complain(i);
    const request = isObject(entry) ? entry.request : undefined;
    if (!isObject(request)) {
      throw new TypeError(where("request", `must be an object: received ${received(request)}`));
    }
    if (typeof request.url !== "string") {
      throw new TypeError(
        where("request.url", `must be a string: received ${received(request.url)}`),
      );
    }
    if (!/^https?:/i.test(request.url)) return;
    if (typeof request.method !== "string") {
      throw new TypeError(
        where("request.method", `must be a string: received ${received(request.method)}`),
      );
    }
    const headers = harHeaders(request.headers, where, options.cookies ?? false);
    const body = harBody(request.postData, headers, where);
    const rename: Complain = (field, detail) =>
      where(field === undefined ? undefined : `request.${field}`, detail);
    const t = checkInit({ method: request.method, url: request.url, headers, body }, rename, base);
    origin = checkOrigin(t.url, origin, rename);
    const key = JSON.stringify([t.method, t.url.href, t.headers, body ?? null]);
    const same = seen.get(key);
    if (same !== undefined) {
      checked[same].weight++;
      return;
    }
    seen.set(key, checked.length);
    checked.push(t);
    entryOf.push(i);
  });
  if (checked.length === 0) {
    throw new TypeError(
      `${action} as it holds no HTTP request: ${
        entries.length === 0
          ? "'log.entries' is empty"
          : "no entry is an 'http:' or 'https:' request"
      }`,
    );
  }
  return nameAll(checked, (index) => complain(entryOf[index]), (i) => `log.entries[${entryOf[i]}]`);
}

/**
 * Encodes a template to the bytes of one HTTP/1.1 request, once before the run.
 *
 * @param template The template.
 * @param headers The run's headers (`-H`, and Basic auth from the run's URL); the
 * template's own headers replace those of the same name.
 * @returns The request's bytes.
 * @example
 * ```ts
 * import { encodeTemplate, normalizeTemplates } from "./_request_templates.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const [t] = normalizeTemplates([{ url: "http://127.0.0.1:8000/a", headers: { "x-b": "2" } }]);
 * const text = new TextDecoder().decode(encodeTemplate(t, [["X-A", "1"], ["x-b", "1"]]));
 * assertStringIncludes(text, "GET /a HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n");
 * assertStringIncludes(text, "X-A: 1\r\nx-b: 2\r\n");
 * ```
 */
export function encodeTemplate(
  template: RequestTemplate,
  headers: readonly [string, string][] = [],
): Uint8Array {
  const own = new Set(template.headers.map(([name]) => name.toLowerCase()));
  return encodeRequest({
    url: template.url,
    method: template.method,
    headers: [...headers.filter(([name]) => !own.has(name.toLowerCase())), ...template.headers],
    body: template.body,
  });
}
