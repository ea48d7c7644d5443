/**
 * An HTTP/1.1 load generator: raw keep-alive connections over `Deno.connect` /
 * `Deno.connectTls`, spread over Workers that each run their own event loop, with live
 * progress through shared memory and latencies in a mergeable HDR-style histogram.
 *
 * @module
 */

import { SharedArray } from "../sync/shared_array.ts";
import { Histogram, type HistogramData } from "./_histogram.ts";
import {
  type EngineConfig,
  type EngineResult,
  FAILURE_CAUSES,
  PROGRESS,
  type SecondData,
} from "./_stress_engine.ts";
import { type NormalizedStressOptions, normalizeStressOptions } from "./_stress_options.ts";
import { liveWorkers } from "./_stress_live.ts";

/**
 * What to stress and how: the URL, how much (`requests` or `duration`), how hard
 * (`concurrency`, `workers`, `rate`, `pipeline`) and what to send.
 *
 * @example Ten seconds at 1,000 requests/s over 20 connections
 * ```ts
 * import type { StressOptions } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const options: StressOptions = {
 *   url: "http://127.0.0.1:8080/",
 *   duration: 10_000,
 *   concurrency: 20,
 *   rate: 1_000,
 *   headers: { accept: "application/json" },
 * };
 * assertEquals(options.requests, undefined);
 * ```
 */
export interface StressOptions {
  /** The target, an `http:` or `https:` URL. */
  url: string | URL;
  /** Number of requests to send; excludes `duration`. */
  requests?: number;
  /**
   * Run length in milliseconds; excludes `requests`. Requests in flight at the end get
   * up to `min(timeout, 1 s)` more to finish.
   *
   * @default {5000} when `requests` is not given
   */
  duration?: number;
  /**
   * Number of connections, spread over the workers.
   *
   * @default {50}
   */
  concurrency?: number;
  /**
   * Number of generator workers, each with its own event loop.
   *
   * @default {half the cores, from 1 to 8}
   */
  workers?: number;
  /**
   * Requests per second at constant arrival (latencies are measured from each request's
   * intended start, correcting for coordinated omission); unlimited when not given.
   */
  rate?: number;
  /**
   * The request method.
   *
   * @default {"GET"}
   */
  method?: string;
  /** Extra request headers (they replace `Host`, `User-Agent`, `Accept` of the same name). */
  headers?: HeadersInit;
  /** The request body (sent with `Content-Length`). */
  body?: string | Uint8Array;
  /**
   * Per-request timeout in milliseconds (also for connecting).
   *
   * @default {5000}
   */
  timeout?: number;
  /**
   * Requests in flight per connection (HTTP/1.1 pipelining; not with `rate`).
   *
   * @default {1}
   */
  pipeline?: number;
  /** PEM CA certificates to trust for `https:` besides the system's. */
  caCerts?: string[];
}

/**
 * Live counts of a run, aggregated across workers through shared memory.
 *
 * @example A progress line
 * ```ts
 * import type { StressProgress } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const line = (p: StressProgress) => `${p.completed}/${p.total ?? "?"} ${Math.round(p.rps)} req/s`;
 * assertEquals(line({ completed: 5, total: 10, errors: 0, rps: 99.6, elapsedMs: 50 }), "5/10 100 req/s");
 * ```
 */
export interface StressProgress {
  /** Requests finished (successes and failures). */
  completed: number;
  /** Requests to send in all, or `undefined` for a run of a fixed duration. */
  total: number | undefined;
  /** Requests failed so far. */
  errors: number;
  /** Requests finished per second over the last second. */
  rps: number;
  /** Milliseconds since the start. */
  elapsedMs: number;
}

/**
 * Failures by cause; every key is always present.
 *
 * @example Total failures
 * ```ts
 * import type { StressFailures } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const failures: StressFailures = {
 *   timeout: 1, refused: 0, reset: 2, protocol: 0, http4xx: 0, http5xx: 3, other: 0,
 * };
 * assertEquals(Object.values(failures).reduce((a, b) => a + b, 0), 6);
 * ```
 */
export interface StressFailures {
  /** No response within `timeout` (or connecting took longer). */
  timeout: number;
  /** The connection was refused. */
  refused: number;
  /** The connection was reset or closed before the response was complete. */
  reset: number;
  /** The response broke HTTP/1.1 framing. */
  protocol: number;
  /** Responses with a 4xx status. */
  http4xx: number;
  /** Responses with a 5xx status. */
  http5xx: number;
  /** Anything else (TLS, DNS, permission). */
  other: number;
}

/** Why some requests failed without a response: one cause and one reason. */
export interface StressFailureReason {
  /** The cause they are counted under in {@linkcode StressFailures}. */
  cause: keyof StressFailures;
  /**
   * What went wrong, e.g. `too many open files`, `connection refused`,
   * `no response within 5000 ms`, `the server closed the connection before responding`.
   */
  reason: string;
  /** How many requests failed so. */
  count: number;
}

/**
 * Latency statistics in milliseconds, with microsecond resolution, from an HDR-style
 * histogram (values within 0.4 % of the exact ones).
 *
 * @example Ordering
 * ```ts
 * import type { StressLatency } from "@tandem/tandem/servers";
 * import { assert } from "@std/assert";
 *
 * const l: StressLatency = { min: 0.1, mean: 0.9, p50: 0.8, p90: 1.2, p99: 3.1, p999: 7, max: 9 };
 * assert(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
 * ```
 */
export interface StressLatency {
  /** Smallest latency. */
  min: number;
  /** Mean latency. */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Largest latency. */
  max: number;
}

/**
 * One bucket of the latency histogram, for drawing; buckets are log-spaced and
 * adjacent (`toMs` of one is `fromMs` of the next).
 *
 * @example A text bar
 * ```ts
 * import type { StressHistogramBucket } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const bucket: StressHistogramBucket = { fromMs: 0.5, toMs: 0.75, count: 3 };
 * assertEquals(`${bucket.fromMs}-${bucket.toMs} ${"#".repeat(bucket.count)}`, "0.5-0.75 ###");
 * ```
 */
export interface StressHistogramBucket {
  /** Lower bound in ms (inclusive). */
  fromMs: number;
  /** Upper bound in ms (exclusive). */
  toMs: number;
  /** Responses in the bucket. */
  count: number;
}

/**
 * One second of the run, in the report's `timeline`.
 *
 * @example The slowest second
 * ```ts
 * import type { StressSecond } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const timeline: StressSecond[] = [
 *   { second: 0, completed: 900, failures: 0, p99: 2.1 },
 *   { second: 1, completed: 950, failures: 1, p99: 4.5 },
 * ];
 * assertEquals(timeline.reduce((a, b) => (b.p99 > a.p99 ? b : a)).second, 1);
 * ```
 */
export interface StressSecond {
  /** Seconds since the start (0 is the first). */
  second: number;
  /** Requests finished in that second. */
  completed: number;
  /** Failures in that second. */
  failures: number;
  /** 99th percentile latency of that second, in ms (0 without responses). */
  p99: number;
}

/**
 * The result of a run, also what `deno task stress --json` prints. Every request is
 * accounted for once: `requests === successes + sum(failures) + inFlight`. A request
 * still unanswered when the run stopped is neither a success nor a failure: it is
 * `inFlight`, and `deno task stress` exits with 1 for it (see `docs/stress.md`).
 *
 * @example Checking the accounting
 * ```ts
 * import type { StressReport } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * const accounted = (r: StressReport) =>
 *   r.successes + Object.values(r.failures).reduce((a, b) => a + b, 0) + r.inFlight;
 * const report = { requests: 3, successes: 2, inFlight: 0 } as StressReport;
 * report.failures = { timeout: 1, refused: 0, reset: 0, protocol: 0, http4xx: 0, http5xx: 0, other: 0 };
 * assertEquals(accounted(report), report.requests);
 * ```
 */
export interface StressReport {
  /** The target. */
  url: string;
  /** The request method. */
  method: string;
  /** Connections used. */
  concurrency: number;
  /** Generator workers used. */
  workers: number;
  /** Requests in flight per connection. */
  pipeline: number;
  /** Requested rate (requests/s), or `null` for as fast as possible. */
  rate: number | null;
  /** Requests sent (written, or attempted when connecting failed). */
  requests: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures by cause. */
  failures: StressFailures;
  /**
   * Why requests failed without a response, each cause and reason once, most frequent
   * first (HTTP statuses are in `statusCodes`; up to 20 distinct reasons per worker).
   * Always set by {@linkcode runStress}.
   */
  failureReasons?: StressFailureReason[];
  /**
   * Requests sent but unanswered when the run stopped: on a cancel, or at the end of a
   * duration once the drain window (`min(timeout, 1 s)`) is over.
   */
  inFlight: number;
  /** Count per response status code. */
  statusCodes: Record<string, number>;
  /** Finished requests (successes and failures) per second. */
  rps: number;
  /** Bytes read per second. */
  bytesPerSecond: number;
  /** Wall time of the run in ms. */
  durationMs: number;
  /** Latency of the responses (connection failures and timeouts excluded). */
  latencyMs: StressLatency;
  /** The latency histogram in log-spaced buckets, for drawing. */
  histogram: StressHistogramBucket[];
  /** One entry per second of the run. */
  timeline: StressSecond[];
  /** Start, ISO 8601. */
  startTime: string;
  /** End, ISO 8601. */
  endTime: string;
  /** True when the run was stopped by its signal. */
  cancelled: boolean;
}

/**
 * Control of a run: cancellation and live progress.
 *
 * @example Stop after two seconds
 * ```ts
 * import type { StressControl } from "@tandem/tandem/servers";
 * import { assert } from "@std/assert";
 *
 * const control: StressControl = { signal: AbortSignal.timeout(2_000), onProgress: () => {} };
 * assert(control.signal instanceof AbortSignal);
 * ```
 */
export interface StressControl {
  /** Stops the run; the report then has `cancelled: true`. */
  signal?: AbortSignal;
  /** Receives live counts 10 times a second, and once at the end. */
  onProgress?: (progress: StressProgress) => void;
}

type WorkerMessage =
  | { type: "ready" }
  | { type: "second"; data: SecondData }
  | { type: "done"; result: EngineResult }
  | { type: "error"; message: string };

const PROGRESS_INTERVAL_MS = 100;

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Log-spaced display buckets of a histogram, from its min to its max.
 *
 * @param histogram The histogram.
 * @param buckets The number of buckets wanted.
 * @returns The non-overlapping buckets, in ms.
 */
function histogramBuckets(
  histogram: HistogramData,
  buckets = 20,
): StressHistogramBucket[] {
  if (histogram.total === 0) return [];
  const h = new Histogram(histogram);
  const lo = Math.max(1, h.min);
  const hi = Math.max(lo + 1, h.max + 1);
  const edges: number[] = [];
  for (let i = 0; i <= buckets; i++) edges.push(Math.round(lo * (hi / lo) ** (i / buckets)));
  edges[0] = Math.min(h.min, lo);
  const unique = [...new Set(edges)];
  const out: StressHistogramBucket[] = [];
  for (let i = 0; i + 1 < unique.length; i++) {
    out.push({ fromMs: unique[i] / 1000, toMs: unique[i + 1] / 1000, count: 0 });
  }
  const counts = h.counts;
  let b = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    // The representative value of the bucket, clamped to [min, max].
    const value = h.bucketValue(i);
    while (b + 1 < out.length && value >= unique[b + 1]) b++;
    out[b].count += counts[i];
  }
  return out;
}

/**
 * Sends HTTP/1.1 requests to a URL as fast as possible (or at a constant `rate`) over
 * `concurrency` keep-alive connections spread over `workers` Workers, and reports
 * counts, failures by cause, throughput and latency percentiles.
 *
 * Every request is accounted for once: `requests === successes + failures + inFlight`.
 * The Workers inherit the caller's permissions, so the caller needs net access to the
 * target (`--allow-net=HOST`) and read access to the package's `servers/` and `sync/` folders (to load them).
 *
 * @param options What to stress and how.
 * @param control An abort signal (the run then resolves with `cancelled: true`) and a
 * progress callback.
 * @returns The report.
 * @throws {TypeError} When the URL is malformed or not http(s), an option or control has the
 * wrong type (e.g. `requests: "5"`, `body: null`, `onProgress: 5`), or options clash.
 * @throws {RangeError} When a number is out of range.
 * @throws {Deno.errors.NotCapable} When net permission for the target, or read permission
 * for the worker modules, is missing.
 * @throws {DOMException} `AbortError` (the signal's reason) when the signal was already aborted.
 * @throws {Error} What `onProgress` threw (the run stops), or when a Worker fails.
 *
 * @example Stress a local server with 200 requests
 * ```ts
 * import { runStress } from "@tandem/tandem/servers";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response("ok"),
 * );
 * const report = await runStress({
 *   url: `http://127.0.0.1:${server.addr.port}/`,
 *   requests: 200,
 *   concurrency: 4,
 * });
 * assertEquals(report.successes, 200);
 * assertEquals(report.statusCodes, { "200": 200 });
 * ```
 */
export async function runStress(
  options: StressOptions,
  control: StressControl = {},
): Promise<StressReport> {
  const opts = normalizeStressOptions(options);
  const { signal, onProgress } = control;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot run stress as 'signal' must be an AbortSignal: received ${typeof signal}`,
    );
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError(
      `Cannot run stress as 'onProgress' must be a function: received ${typeof onProgress}`,
    );
  }
  signal?.throwIfAborted();
  checkPermissions(opts);

  const workerCount = opts.workers;
  const shared = new SharedArray("uint32", PROGRESS.firstSlot + workerCount * PROGRESS.slotSize);
  const progress = shared.view;
  const configs = splitWork(opts);
  const workers: Worker[] = [];
  const seconds = new TimelineCollector();
  const results: EngineResult[] = [];
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  let callbackError: { error: unknown } | undefined;
  const onAbort = (): void => {
    Atomics.store(progress, PROGRESS.stop, 1);
  };
  try {
    // Start the workers and wait until each has loaded.
    const done: Promise<EngineResult>[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(new URL("./_stress_worker.ts", import.meta.url), {
        type: "module",
      });
      workers.push(worker);
      liveWorkers.count++;
      const isReady = Promise.withResolvers<void>();
      const isDone = Promise.withResolvers<EngineResult>();
      worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
        const message = event.data;
        if (message.type === "ready") isReady.resolve();
        else if (message.type === "second") seconds.add(message.data);
        else if (message.type === "done") isDone.resolve(message.result);
        else {
          const error = new Error(`Stress worker failed: ${message.message}`);
          isReady.reject(error);
          isDone.reject(error);
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        const error = new Error(`Stress worker failed: ${event.message}`);
        isReady.reject(error);
        isDone.reject(error);
      };
      isDone.promise.catch(() => {}); // awaited below, unless starting failed
      ready.push(isReady.promise);
      done.push(isDone.promise);
    }
    await Promise.all(ready);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });

    const startEpoch = Date.now();
    const startPerf = performance.now();
    for (let i = 0; i < workerCount; i++) {
      workers[i].postMessage({
        type: "start",
        config: configs[i],
        progress: shared,
        startEpoch,
      });
    }

    // Live progress from shared memory.
    const counter = new ProgressCounter(progress, workerCount);
    const window: { at: number; completed: number }[] = [{ at: startPerf, completed: 0 }];
    const snapshot = (): StressProgress => {
      const now = performance.now();
      const { completed, errors } = counter.read();
      window.push({ at: now, completed });
      while (window.length > 2 && now - window[1].at >= 1000) window.shift();
      const first = window[0];
      const span = now - first.at;
      return {
        completed,
        total: opts.requests,
        errors,
        rps: span > 0 ? ((completed - first.completed) * 1000) / span : 0,
        elapsedMs: now - startPerf,
      };
    };
    if (onProgress) {
      progressTimer = setInterval(() => {
        try {
          onProgress(snapshot());
        } catch (error) {
          // A throwing callback stops the run; runStress then rejects with its error.
          callbackError ??= { error };
          clearInterval(progressTimer);
          onAbort();
        }
      }, PROGRESS_INTERVAL_MS);
    }

    results.push(...await Promise.all(done));
    if (callbackError) throw callbackError.error;
    const endPerf = performance.now();
    const endEpoch = Date.now();
    clearInterval(progressTimer);
    progressTimer = undefined;
    const report = buildReport(opts, results, seconds.finish(), {
      startEpoch,
      endEpoch,
      durationMs: endPerf - startPerf,
      cancelled: Atomics.load(progress, PROGRESS.stop) === 1,
    });
    onProgress?.({
      completed: report.requests - report.inFlight,
      total: opts.requests,
      errors: report.requests - report.inFlight - report.successes,
      rps: report.rps,
      elapsedMs: report.durationMs,
    });
    return report;
  } finally {
    clearInterval(progressTimer);
    signal?.removeEventListener("abort", onAbort);
    for (const worker of workers) {
      worker.terminate();
      liveWorkers.count--;
    }
  }
}

function checkPermissions(opts: NormalizedStressOptions): void {
  // Every folder missing is named at once, so one retry with the flag given is enough.
  const missing: string[] = [];
  for (const folder of ["./", "../sync/"]) {
    const dir = new URL(folder, import.meta.url);
    if (dir.protocol !== "file:") continue;
    if (Deno.permissions.querySync({ name: "read", path: dir }).state !== "granted") {
      missing.push(Deno.build.os === "windows" ? dir.pathname.slice(1) : dir.pathname);
    }
  }
  if (missing.length > 0) {
    throw new Deno.errors.NotCapable(
      `Cannot run stress as read permission for its worker modules is missing: run with --allow-read=${
        missing.join(",")
      }`,
    );
  }
  const host = opts.url.hostname;
  const state = Deno.permissions.querySync({ name: "net", host: `${host}:${opts.port}` }).state;
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot run stress as net permission for '${host}:${opts.port}' is missing: run with --allow-net=${host}`,
    );
  }
}

/** Splits connections, requests and rate over the workers. */
function splitWork(opts: NormalizedStressOptions): EngineConfig[] {
  const n = opts.workers;
  const share = (total: number, i: number): number =>
    Math.floor(total / n) + (i < total % n ? 1 : 0);
  const configs: EngineConfig[] = [];
  for (let i = 0; i < n; i++) {
    configs.push({
      hostname: opts.hostname,
      port: opts.port,
      tls: opts.tls,
      caCerts: opts.caCerts,
      request: opts.request,
      head: opts.method === "HEAD",
      connections: share(opts.concurrency, i),
      pipeline: opts.pipeline,
      requests: opts.requests === undefined ? undefined : share(opts.requests, i),
      durationMs: opts.duration,
      rate: opts.rate === undefined ? undefined : opts.rate / n,
      timeoutMs: opts.timeout,
      slot: i,
    });
  }
  return configs;
}

/** Sums the workers' shared counters (32-bit, read often enough to unwrap). */
class ProgressCounter {
  #progress: Uint32Array;
  #workers: number;
  #last: Uint32Array;
  #totals: Float64Array;

  constructor(progress: Uint32Array, workers: number) {
    this.#progress = progress;
    this.#workers = workers;
    this.#last = new Uint32Array(workers * 2);
    this.#totals = new Float64Array(workers * 2);
  }

  read(): { completed: number; errors: number } {
    let completed = 0;
    let errors = 0;
    for (let w = 0; w < this.#workers; w++) {
      const base = PROGRESS.firstSlot + w * PROGRESS.slotSize;
      for (let k = 0; k < 2; k++) {
        const current = Atomics.load(this.#progress, base + 1 + k) >>> 0;
        this.#totals[w * 2 + k] += (current - this.#last[w * 2 + k]) >>> 0;
        this.#last[w * 2 + k] = current;
      }
      completed += this.#totals[w * 2];
      errors += this.#totals[w * 2 + 1];
    }
    return { completed, errors };
  }
}

/**
 * Merges the workers' per-second counts into the timeline. A second is summed up (and
 * its histogram dropped) once a later second is 3 s ahead, so memory stays constant.
 */
class TimelineCollector {
  #open = new Map<number, { completed: number; failures: number; histogram: Histogram }>();
  #closed = new Map<number, StressSecond>();
  #latest = 0;

  add(data: SecondData): void {
    const closed = this.#closed.get(data.second);
    if (closed) {
      closed.completed += data.completed;
      closed.failures += data.failures;
      return;
    }
    let entry = this.#open.get(data.second);
    if (!entry) {
      entry = { completed: 0, failures: 0, histogram: new Histogram() };
      this.#open.set(data.second, entry);
    }
    entry.completed += data.completed;
    entry.failures += data.failures;
    entry.histogram.merge(data.histogram);
    if (data.second > this.#latest) {
      this.#latest = data.second;
      for (const second of [...this.#open.keys()]) {
        if (second < this.#latest - 3) this.#close(second);
      }
    }
  }

  #close(second: number): void {
    const entry = this.#open.get(second)!;
    this.#open.delete(second);
    this.#closed.set(second, {
      second,
      completed: entry.completed,
      failures: entry.failures,
      p99: round3(entry.histogram.percentile(99) / 1000),
    });
  }

  finish(): StressSecond[] {
    for (const second of [...this.#open.keys()]) this.#close(second);
    const last = Math.max(-1, ...this.#closed.keys());
    const timeline: StressSecond[] = [];
    for (let s = 0; s <= last; s++) {
      timeline.push(this.#closed.get(s) ?? { second: s, completed: 0, failures: 0, p99: 0 });
    }
    return timeline;
  }
}

/** The URL as the report shows it: a password in it is not repeated. */
function withoutPassword(url: URL): string {
  if (url.password === "") return url.href;
  const shown = new URL(url);
  shown.password = "";
  return shown.href;
}

/** Merges the workers' failure reasons, most frequent first. */
function mergeReasons(results: EngineResult[]): StressFailureReason[] {
  const merged = new Map<string, StressFailureReason>();
  for (const result of results) {
    for (const { cause, reason, count } of result.reasons) {
      const key = `${cause} ${reason}`;
      const known = merged.get(key);
      if (known) known.count += count;
      else merged.set(key, { cause, reason, count });
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count);
}

function buildReport(
  opts: NormalizedStressOptions,
  results: EngineResult[],
  timeline: StressSecond[],
  times: { startEpoch: number; endEpoch: number; durationMs: number; cancelled: boolean },
): StressReport {
  const histogram = new Histogram();
  const failures = Object.fromEntries(
    FAILURE_CAUSES.map((c) => [c, 0]),
  ) as unknown as StressFailures;
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let successes = 0;
  let inFlight = 0;
  let bytes = 0;
  for (const result of results) {
    histogram.merge(result.histogram);
    requests += result.sent;
    successes += result.successes;
    inFlight += result.inFlight;
    bytes += result.bytesRead;
    FAILURE_CAUSES.forEach((cause, i) => failures[cause] += result.failures[i]);
    for (const [code, count] of Object.entries(result.statusCodes)) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
    }
  }
  const failed = FAILURE_CAUSES.reduce((sum, cause) => sum + failures[cause], 0);
  const seconds = times.durationMs / 1000;
  const ms = (micros: number): number => round3(micros / 1000);
  return {
    url: withoutPassword(opts.url),
    method: opts.method,
    concurrency: opts.concurrency,
    workers: opts.workers,
    pipeline: opts.pipeline,
    rate: opts.rate ?? null,
    requests,
    successes,
    failures,
    failureReasons: mergeReasons(results),
    inFlight,
    statusCodes: Object.fromEntries(
      Object.entries(statusCodes).sort((a, b) => Number(a[0]) - Number(b[0])),
    ),
    rps: seconds > 0 ? Math.round(((successes + failed) / seconds) * 10) / 10 : 0,
    bytesPerSecond: seconds > 0 ? Math.round(bytes / seconds) : 0,
    durationMs: round3(times.durationMs),
    latencyMs: {
      min: ms(histogram.total ? histogram.min : 0),
      mean: ms(histogram.mean()),
      p50: ms(histogram.percentile(50)),
      p90: ms(histogram.percentile(90)),
      p99: ms(histogram.percentile(99)),
      p999: ms(histogram.percentile(99.9)),
      max: ms(histogram.max),
    },
    histogram: histogramBuckets(histogram.data()),
    timeline,
    startTime: new Date(times.startEpoch).toISOString(),
    endTime: new Date(times.endEpoch).toISOString(),
    cancelled: times.cancelled,
  };
}
