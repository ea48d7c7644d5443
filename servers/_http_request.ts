/**
 * Encodes one HTTP/1.1 request to bytes once, so that the load generator only writes
 * the same pre-encoded buffer again and again.
 *
 * @module
 */

/** What to encode. */
export interface RequestSpec {
  /** The target URL (`http:` or `https:`). */
  url: URL;
  /** The method, e.g. `GET`. */
  method: string;
  /** Extra headers; they replace the defaults of the same name. */
  headers: [string, string][];
  /** The body, or `undefined`. */
  body: Uint8Array | undefined;
}

/**
 * Encodes a request with `Host`, `User-Agent`, `Accept` and (with a body)
 * `Content-Length` headers, keep-alive by default.
 *
 * @param spec The request.
 * @returns The request as bytes.
 */
export function encodeRequest(spec: RequestSpec): Uint8Array {
  const defaults = new Map<string, [string, string]>([
    ["host", ["Host", spec.url.host]],
    ["user-agent", ["User-Agent", "tandem-stress/0.1"]],
    ["accept", ["Accept", "*/*"]],
  ]);
  if (spec.body !== undefined) {
    defaults.set("content-length", ["Content-Length", String(spec.body.byteLength)]);
  }
  for (const [name, value] of spec.headers) defaults.set(name.toLowerCase(), [name, value]);
  const target = (spec.url.pathname || "/") + spec.url.search;
  let head = `${spec.method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of defaults.values()) head += `${name}: ${value}\r\n`;
  head += "\r\n";
  const headBytes = new TextEncoder().encode(head);
  if (spec.body === undefined || spec.body.byteLength === 0) return headBytes;
  const out = new Uint8Array(headBytes.byteLength + spec.body.byteLength);
  out.set(headBytes);
  out.set(spec.body, headBytes.byteLength);
  return out;
}

/**
 * Concatenates `count` copies of a request, for pipelined writes.
 *
 * @param request The encoded request.
 * @param count How many copies.
 * @returns The copies back to back.
 */
export function repeatRequest(request: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(request.byteLength * count);
  for (let i = 0; i < count; i++) out.set(request, i * request.byteLength);
  return out;
}

/**
 * The writes of a pipelined connection: `batches[k]` is `k` copies of the request back
 * to back, for k from 0 to `depth`. All are views of one buffer of `depth` copies, so
 * memory is linear in `depth` (a copy per k took size × depth²/2: 2.2 GB and 12 s of
 * set-up for a 64 KiB body with a depth of 256).
 *
 * @param request The encoded request.
 * @param depth The pipeline depth.
 * @returns `depth + 1` views of one buffer.
 */
export function pipelineBatches(request: Uint8Array, depth: number): Uint8Array[] {
  const all = repeatRequest(request, depth);
  const batches: Uint8Array[] = [];
  for (let k = 0; k <= depth; k++) batches.push(all.subarray(0, k * request.byteLength));
  return batches;
}
