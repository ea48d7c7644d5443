/**
 * Checks and completes the options of a stress run, before any traffic is sent.
 *
 * @module
 */

import { integerError, received } from "../sync/_checks.ts";
import { encodeRequest } from "./_http_request.ts";
import {
  arrivalsBy,
  type LoadProfile,
  normalizeLoadShape,
  type RateStage,
} from "./_load_profile.ts";
import {
  encodeTemplate,
  normalizeTemplates,
  type RequestTemplateInit,
} from "./_request_templates.ts";
import { checkSeed } from "./_weighted_pick.ts";
import type { StressOptions } from "./stress.ts";

/** The request templates of a run, encoded once. */
export interface EncodedTemplates {
  /** Endpoint names, unique. */
  names: string[];
  /** The encoded requests, one per template (the run's headers applied). */
  requests: Uint8Array[];
  /** The weights. */
  weights: number[];
  /** The seed of the picks. */
  seed: number;
  /** True when every template is a `HEAD` request (responses have no body). */
  head: boolean;
}

/** Checked options with every default filled in. */
export interface NormalizedStressOptions {
  url: URL;
  hostname: string;
  port: number;
  tls: boolean;
  requests: number | undefined;
  duration: number | undefined;
  /** Connections (the most a ramp of connections reaches). */
  concurrency: number;
  workers: number;
  /** A constant rate, or `undefined` (none, or a ramp: see `rateProfile`). */
  rate: number | undefined;
  /** The arrival rate over time (open model), or `undefined` for as fast as possible. */
  rateProfile: LoadProfile | undefined;
  /** The connections over time when they ramp (closed model), else `undefined`. */
  connectionsProfile: LoadProfile | undefined;
  /** The peak target rate of `rateProfile`, for the report's `rate`. */
  peakRate: number | undefined;
  /** Requests due by the end of the run (rate runs with a duration). */
  scheduled: number | undefined;
  /** The request templates, or `undefined` for one URL. */
  templates: EncodedTemplates | undefined;
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
const MAX_WORKERS = 64;
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
  const shape = normalizeLoadShape({
    rate: options.rate,
    stages: options.stages as readonly RateStage[] | undefined,
    startRate: options.startRate,
    concurrency: options.concurrency,
    requests: options.requests,
    duration: options.duration,
  });
  checkInteger("workers", options.workers, MAX_WORKERS);
  checkPositive("timeout", options.timeout, MAX_DURATION_MS);
  checkInteger("pipeline", options.pipeline, MAX_PIPELINE);
  const pipeline = options.pipeline ?? 1;
  if (shape.rate !== undefined && pipeline > 1) {
    throw new TypeError(
      `Cannot run stress as '${
        options.stages === undefined ? "rate" : "stages"
      }' works without pipelining: received 'pipeline' ${pipeline}`,
    );
  }
  if (options.templates !== undefined) {
    for (const name of ["method", "body"] as const) {
      if (options[name] !== undefined) {
        throw new TypeError(
          `Cannot run stress as 'templates' excludes '${name}' (each template has its own): received both`,
        );
      }
    }
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
  const duration = shape.durationMs;
  const ramp = shape.connections.segments.length > 0 ? shape.connections : undefined;
  let concurrency = ramp ? Math.max(ramp.start, ramp.end) : shape.connections.start;
  if (requests !== undefined && !ramp) concurrency = Math.min(concurrency, requests);
  const templates = options.templates === undefined
    ? undefined
    : encodeTemplates(options.templates, url, headers, options.seed);
  if (options.templates === undefined && options.seed !== undefined) checkSeed(options.seed);
  const rateProfile = shape.rate;
  const peakRate = rateProfile === undefined
    ? undefined
    : Math.max(rateProfile.start, ...rateProfile.segments.map((s) => s.to));
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
    rate: typeof options.rate === "number" ? options.rate : undefined,
    rateProfile,
    connectionsProfile: ramp,
    peakRate,
    scheduled: rateProfile === undefined || duration === undefined
      ? undefined
      : Math.ceil(arrivalsBy(rateProfile, duration)),
    templates,
    method: upperMethod,
    headers,
    body,
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    pipeline,
    caCerts: options.caCerts,
    request: templates?.requests[0] ?? encodeRequest({ url, method: upperMethod, headers, body }),
  };
}

/**
 * Checks the templates (a `RequestTemplate` with a `URL` is taken as its `href`) and
 * encodes each once, with the run's headers under its own.
 */
function encodeTemplates(
  inits: unknown,
  base: URL,
  headers: [string, string][],
  seed: unknown,
): EncodedTemplates {
  const list = Array.isArray(inits)
    ? inits.map((t) =>
      typeof t === "object" && t !== null && t.url instanceof URL ? { ...t, url: t.url.href } : t
    )
    : inits;
  const templates = normalizeTemplates(list as RequestTemplateInit[], { base });
  const heads = templates.filter((t) => t.method === "HEAD").length;
  if (heads > 0 && heads < templates.length) {
    // The response parser knows per connection whether responses have a body.
    throw new TypeError(
      "Cannot run stress as 'templates' must be all HEAD or none: received both",
    );
  }
  return {
    names: templates.map((t) => t.name),
    requests: templates.map((t) => encodeTemplate(t, headers)),
    weights: templates.map((t) => t.weight),
    seed: checkSeed(seed),
    head: heads > 0,
  };
}

/** The most agents one run shares out to. */
export const MAX_AGENTS = 10_000;
/** The longest wait for idle agents, in ms (1 hour). */
export const MAX_AGENTS_TIMEOUT_MS = 3_600_000;
const CLUSTER_ACTION = "Cannot run stress on the cluster";

/**
 * Checks the `cluster` control of a run (its counts; `redis` is checked where BullMQ is
 * loaded), so that a bad one is an error before anything is loaded or sent.
 *
 * @param cluster The `cluster` control.
 * @throws {TypeError} When it is not an object, or a count is not a number.
 * @throws {RangeError} When `agents` or `agentsTimeoutMs` is out of range.
 */
export function checkClusterCounts(cluster: unknown): void {
  if (typeof cluster !== "object" || cluster === null || Array.isArray(cluster)) {
    throw new TypeError(
      `${CLUSTER_ACTION} as 'cluster' must be an object { redis, agents }: received ${
        received(cluster)
      }`,
    );
  }
  const { agents, agentsTimeoutMs } = cluster as Record<string, unknown>;
  const error = integerError(agents, "agents", CLUSTER_ACTION, { max: MAX_AGENTS }) ??
    (agentsTimeoutMs === undefined ? undefined : integerError(
      agentsTimeoutMs,
      "agentsTimeoutMs",
      CLUSTER_ACTION,
      { max: MAX_AGENTS_TIMEOUT_MS },
    ));
  if (error) throw error;
}

/**
 * Checks `startAt`: an epoch time in ms, at most 24 h ahead; not with `cluster` (a
 * distributed run sets its agents' start itself).
 *
 * @param startAt The `startAt` control.
 * @param cluster The `cluster` control.
 * @returns `startAt`.
 * @throws {TypeError} When it is not a number, or comes with `cluster`.
 * @throws {RangeError} When it is more than 24 h ahead or not finite.
 */
export function checkStartAt(startAt: unknown, cluster: unknown): number | undefined {
  if (startAt === undefined) return undefined;
  if (cluster !== undefined) {
    throw new TypeError(
      `${ACTION} as 'startAt' and 'cluster' exclude each other (the agents' start is set by the run): received both`,
    );
  }
  if (
    typeof startAt !== "number" ||
    !(Number.isFinite(startAt) && startAt - Date.now() <= MAX_DURATION_MS)
  ) {
    const message =
      `${ACTION} as 'startAt' must be a time in ms since the epoch at most ${MAX_DURATION_MS} ms ahead: received ${
        received(startAt)
      }`;
    throw typeof startAt === "number" ? new RangeError(message) : new TypeError(message);
  }
  return startAt;
}
