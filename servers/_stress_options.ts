/**
 * Checks and completes the options of a stress run, before any traffic is sent.
 *
 * @module
 */

import { integerError, received } from "../sync/_checks.ts";
import { encodeRequest } from "./_http_request.ts";
import type { StressOptions } from "./stress.ts";

/** Checked options with every default filled in. */
export interface NormalizedStressOptions {
  url: URL;
  hostname: string;
  port: number;
  tls: boolean;
  requests: number | undefined;
  duration: number | undefined;
  concurrency: number;
  workers: number;
  rate: number | undefined;
  method: string;
  headers: [string, string][];
  body: Uint8Array | undefined;
  timeout: number;
  pipeline: number;
  caCerts: string[] | undefined;
  request: Uint8Array;
}

/** Default run length when neither `requests` nor `duration` is given, in ms. */
export const DEFAULT_DURATION_MS = 5_000;
/** Default number of connections. */
export const DEFAULT_CONCURRENCY = 50;
/** Default per-request timeout, in ms. */
export const DEFAULT_TIMEOUT_MS = 5_000;

const MAX_REQUESTS = 1e9;
/** Longest `duration` and `timeout`, in ms (24 hours). */
export const MAX_DURATION_MS = 24 * 3600 * 1000;
const MAX_CONCURRENCY = 10_000;
const MAX_WORKERS = 64;
const MAX_RATE = 10_000_000;
const MAX_PIPELINE = 256;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The default number of generator workers: half the cores, at least 1 and at most 8
 * (on 2 cores one worker beat two when the target ran on the same machine).
 *
 * @returns The worker count.
 */
export function defaultWorkers(): number {
  const cores = navigator.hardwareConcurrency || 1;
  return Math.max(1, Math.min(8, Math.floor(cores / 2)));
}

const ACTION = "Cannot run stress";

function checkInteger(name: string, value: number | undefined, max: number): void {
  const error = value === undefined ? undefined : integerError(value, name, ACTION, { max });
  if (error) throw error;
}

/**
 * Checks a duration, timeout or rate: above 0 (sync/_checks' `delayError` allows 0) and
 * at most `max` (24 h for times, far below the 2^31 ms where timers overflow).
 */
function checkPositive(name: string, value: number | undefined, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !(value > 0 && value <= max)) {
    const message = `${ACTION} as '${name}' must be a number above 0 and at most ${max}: ` +
      `received ${received(value)}`;
    throw typeof value === "number" ? new RangeError(message) : new TypeError(message);
  }
}

/**
 * The `Authorization` header for credentials in the URL (`http://user:pass@host/`), as
 * curl and browsers send it: dropping them silently would stress the login page instead.
 */
function basicAuth(url: URL): [string, string] | undefined {
  if (url.username === "" && url.password === "") return undefined;
  let credentials: string;
  try {
    credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw new TypeError(
      `Cannot run stress as the URL's credentials are not valid percent-encoding: received '${url.username}'`,
    );
  }
  const bytes = new TextEncoder().encode(credentials);
  return ["Authorization", `Basic ${btoa(String.fromCharCode(...bytes))}`];
}

/**
 * Checks options and fills in defaults.
 *
 * @param options The options.
 * @returns The checked options.
 * @throws {TypeError} When the URL is malformed or not `http:`/`https:`, an option has the
 * wrong type, or options clash.
 * @throws {RangeError} When a number is out of range.
 */
export function normalizeStressOptions(options: StressOptions): NormalizedStressOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(`Cannot run stress as the URL is malformed: received '${options.url}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `Cannot run stress as the URL scheme must be 'http:' or 'https:': received '${url.protocol}'`,
    );
  }
  if (url.hostname === "") {
    throw new TypeError(`Cannot run stress as the URL has no host: received '${options.url}'`);
  }
  if (options.requests !== undefined && options.duration !== undefined) {
    throw new TypeError(
      "Cannot run stress as 'requests' and 'duration' exclude each other: received both",
    );
  }
  checkInteger("requests", options.requests, MAX_REQUESTS);
  checkPositive("duration", options.duration, MAX_DURATION_MS);
  checkInteger("concurrency", options.concurrency, MAX_CONCURRENCY);
  checkInteger("workers", options.workers, MAX_WORKERS);
  checkPositive("rate", options.rate, MAX_RATE);
  checkPositive("timeout", options.timeout, MAX_DURATION_MS);
  checkInteger("pipeline", options.pipeline, MAX_PIPELINE);
  const pipeline = options.pipeline ?? 1;
  if (options.rate !== undefined && pipeline > 1) {
    throw new TypeError(
      `Cannot run stress as 'rate' works without pipelining: received 'pipeline' ${pipeline}`,
    );
  }
  const method = options.method ?? "GET";
  if (typeof method !== "string" || !TOKEN.test(method)) {
    throw new TypeError(`Cannot run stress as the method is invalid: received '${method}'`);
  }
  let headers: [string, string][];
  try {
    headers = [...new Headers(options.headers)];
  } catch (error) {
    throw new TypeError(
      `Cannot run stress as a header is invalid: ${(error as Error).message}`,
    );
  }
  if (
    options.body !== undefined && typeof options.body !== "string" &&
    !(options.body instanceof Uint8Array)
  ) {
    throw new TypeError(
      `Cannot run stress as 'body' must be a string or a Uint8Array: received ${
        options.body === null ? "null" : typeof options.body
      }`,
    );
  }
  if (
    options.caCerts !== undefined &&
    !(Array.isArray(options.caCerts) && options.caCerts.every((c) => typeof c === "string"))
  ) {
    throw new TypeError("Cannot run stress as 'caCerts' must be an array of PEM strings");
  }
  // Credentials in the URL become Basic auth, unless an Authorization header is given.
  const auth = basicAuth(url);
  if (auth && !headers.some(([name]) => name.toLowerCase() === "authorization")) {
    headers.push(auth);
  }
  const body = typeof options.body === "string"
    ? new TextEncoder().encode(options.body)
    : options.body;
  const requests = options.requests;
  const duration = requests === undefined ? options.duration ?? DEFAULT_DURATION_MS : undefined;
  let concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (requests !== undefined) concurrency = Math.min(concurrency, requests);
  const workers = Math.min(options.workers ?? defaultWorkers(), concurrency);
  const tls = url.protocol === "https:";
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === "" ? (tls ? 443 : 80) : Number(url.port);
  const upperMethod = method.toUpperCase();
  return {
    url,
    hostname,
    port,
    tls,
    requests,
    duration,
    concurrency,
    workers,
    rate: options.rate,
    method: upperMethod,
    headers,
    body,
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    pipeline,
    caCerts: options.caCerts,
    request: encodeRequest({ url, method: upperMethod, headers, body }),
  };
}
