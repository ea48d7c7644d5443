/**
 * An HTTP/1.1 load generator: raw keep-alive connections over `Deno.connect` /
 * `Deno.connectTls`, spread over Workers that each run their own event loop, with live
 * progress through shared memory and latencies in a mergeable HDR-style histogram.
 *
 * @module
 */

import { SharedArray } from "../sync/shared_array.ts";
import { displayBuckets, Histogram, type HistogramData } from "./_histogram.ts";
import type { Ramp, RateStage } from "./_load_profile.ts";
import type { RequestTemplate, RequestTemplateInit } from "./_request_templates.ts";
import { arrivalsBy, connectionsAt, type LoadProfile, rateAt } from "./_load_profile.ts";
import {
  type EngineConfig,
  type EngineResult,
  FAILURE_CAUSES,
  PROGRESS,
  type SecondData,
} from "./_stress_engine.ts";
import {
  checkClusterCounts,
  checkStartAt,
  type NormalizedStressOptions,
  normalizeStressOptions,
} from "./_stress_options.ts";
import { liveWorkers } from "./_stress_live.ts";

import type {
  ClusterStressReport,
  StressAgentProgress,
  StressClusterOptions,
} from "./_stress_cluster_protocol.ts";

export type { HistogramData } from "./_histogram.ts";
export type {
  ClusterStressReport,
  StressAgentProgress,
  StressAgentReport,
  StressClusterOptions,
} from "./_stress_cluster_protocol.ts";
export type { RedisClient } from "../cluster/types.ts";
export type { Ramp, RateStage } from "./_load_profile.ts";
export type { RequestTemplate, RequestTemplateInit } from "./_request_templates.ts";

/**
 * What to stress and how: the URL, how much (`requests` or `duration`), how hard
 * (`concurrency`, `workers`, `rate`, `pipeline`) and what to send.
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
   * Number of connections, spread over the workers; or a ramp of connections
   * `{ from, to, overMs }` (the closed model: connection j opens when the line from `from`
   * to `to` reaches j + 1, and down a ramp closes once its request in flight is answered).
   * A ramp excludes `rate` and `stages`; without `duration` or `requests` the run lasts
   * the ramp, at least 5 s.
   *
   * @default {50}
   */
  concurrency?: number | Ramp;
  /**
   * Number of generator workers, each with its own event loop.
   *
   * @default {half the cores, from 1 to 8}
   */
  workers?: number;
  /**
   * Requests per second at constant arrival, or a ramp `{ from, to, overMs }` from `from`
   * to `to` requests/s over `overMs` ms, then holding `to` (the open model). Latencies are
   * measured from each request's intended start, correcting for coordinated omission, and
   * the report adds `serviceTimeMs`, measured from the write. Unlimited when not given.
   */
  rate?: number | Ramp;
  /**
   * Steps of the arrival rate: each ramps linearly from the rate where the previous one
   * ended (the first from `startRate`) to its own `rate` over its `durationMs`. They set
   * the run length, so they exclude `rate`, `duration` and `requests`.
   */
  stages?: RateStage[];
  /**
   * The rate `stages` starts from, in requests/s (only with `stages`).
   *
   * @default {0}
   */
  startRate?: number;
  /**
   * Request templates: each request is one of them, picked by weight (Python's
   * `random.choices(templates, weights)` per request). URLs resolve against `url` and
   * must share its origin; the report adds `endpoints`, one entry per template name.
   * `headers` apply to every template (under the template's own); `method` and `body`
   * are for a single URL and excluded.
   */
  templates?: RequestTemplateInit[] | RequestTemplate[];
  /**
   * The seed of the template picks, like Python's `random.seed(n)`: each worker then
   * picks the same sequence on every run. The report gives the seed used.
   *
   * @default {a random seed}
   */
  seed?: number;
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
  /** The target arrival rate now, in requests/s (runs with a rate or stages). */
  targetRate?: number;
  /**
   * Responses so far per status class, keyed `1xx` to `5xx` (every key present), as
   * the workers last published them (every 10–50 ms; in distributed runs, as the
   * agents' last snapshots, every second); absent in the last call, made from the report.
   */
  statusClasses?: Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>;
  /**
   * Requests written more than 1 ms after their intended start so far (rate runs
   * count them; 0 otherwise); absent when {@linkcode StressProgress.statusClasses} is.
   */
  late?: number;
  /**
   * Failures so far by cause (every key present), as the workers last published them
   * (distributed runs: the agents' last snapshots, every second); absent when
   * {@linkcode StressProgress.statusClasses} is.
   */
  failures?: StressFailures;
  /** Per agent, in plan order (distributed runs only). */
  agents?: StressAgentProgress[];
}

/**
 * Failures by cause; every key is always present.
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
  /** Median latency of that second, in ms (0 without responses). */
  p50?: number;
  /** 90th percentile latency of that second, in ms; as `p50`. */
  p90?: number;
  /** Largest latency of that second, in ms; as `p50`. */
  max?: number;
  /** Requests due in that second by the rate's schedule (runs with a rate or stages). */
  targetRate?: number;
  /**
   * Connections the run holds at the end of that second by its `concurrency` (runs
   * without a rate: the closed model).
   */
  connections?: number;
}

/**
 * The result of a run, also what `deno task stress --json` prints. Every request is
 * accounted for once: `requests === successes + sum(failures) + inFlight`. A request
 * still unanswered when the run stopped is neither a success nor a failure: it is
 * `inFlight`, and `deno task stress` exits with 1 for it (see `docs/stress.md`).
 */
export interface StressReport {
  /** The target. */
  url: string;
  /** The request method. */
  method: string;
  /** Connections used (the most a ramp of connections reached). */
  concurrency: number;
  /** Generator workers used. */
  workers: number;
  /** Requests in flight per connection. */
  pipeline: number;
  /**
   * Requested rate (requests/s): the constant rate, or the highest target of a ramp or
   * of stages; `null` for as fast as possible.
   */
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
  /**
   * Service time: from the write of each request to its response, what the server took
   * (runs with a rate or stages, where `latencyMs` counts from the intended start).
   */
  serviceTimeMs?: StressLatency;
  /** Per endpoint (runs with `templates`), by name; their sums equal the run's totals. */
  endpoints?: Record<string, StressEndpoint>;
  /**
   * The mean target rate over the run, in requests/s: requests due by the schedule
   * divided by the run length (runs with a rate or stages).
   */
  targetRate?: number;
  /**
   * Requests written more than 1 ms after their intended start, and the worst lateness
   * in ms (runs with a rate or stages): when many are late, the generator, not the
   * target, set the pace. `busy` of them came due while every connection was waiting
   * for a response (too few connections); the others were late because the
   * generator's event loop was (too few workers).
   */
  late?: { count: number; worstMs: number; busy?: number };
  /**
   * How late the generator's event loops ran their timers, in ms: a lag of several ms
   * means the workers were saturated (add workers).
   */
  generatorLagMs?: { p99: number; max: number };
  /** The seed of the template picks (runs with `templates`), to repeat the run's mix. */
  seed?: number;
  /** Results of thresholds (filled by `deno task stress --threshold`). */
  thresholds?: StressThresholdResult[];
  /**
   * When the first request was written, in ms after `startTime` (a few tenths of a ms
   * on an idle machine; more is the generator's own start-up); absent when none was.
   */
  firstRequestMs?: number;
  /** Start, ISO 8601. */
  startTime: string;
  /** End, ISO 8601. */
  endTime: string;
  /** True when the run was stopped by its signal. */
  cancelled: boolean;
}

/**
 * The statistics of one endpoint (request template) in the report's `endpoints`:
 * `requests === successes + failures + inFlight`.
 */
export interface StressEndpoint {
  /** Requests sent. */
  requests: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures of every cause (HTTP 4xx/5xx included). */
  failures: number;
  /** Requests unanswered when the run stopped (always set by {@linkcode runStress}). */
  inFlight?: number;
  /** Count per response status code. */
  statusCodes: Record<string, number>;
  /** Latency (corrected, from the intended start, in runs with a rate). */
  latencyMs: StressLatency;
  /** Service time, from the write (runs with a rate or stages). */
  serviceTimeMs?: StressLatency;
}

/** The outcome of one threshold of `deno task stress --threshold`. */
export interface StressThresholdResult {
  /** The expression as given, e.g. `p99<50ms`. */
  expression: string;
  /** Canonical metric name, e.g. `endpoint:home:p99`. */
  metric: string;
  /** The measured value in `unit` (for a relative threshold, the change in %). */
  actual: number;
  /** True when the threshold holds. */
  ok: boolean;
  /** The limit, in `unit`. */
  limit: number;
  /** What `actual` and `limit` measure. */
  unit: "ms" | "count" | "%" | "req/s";
}

/**
 * Control of a run: cancellation and live progress.
 */
export interface StressControl {
  /** Stops the run; the report then has `cancelled: true`. */
  signal?: AbortSignal;
  /** Receives live counts 10 times a second, and once at the end. */
  onProgress?: (progress: StressProgress) => void;
  /**
   * Receives each second of the timeline once it is complete, in order, with its latency
   * histogram (and its service-time histogram in runs with a rate): for HDR logs, exact
   * percentiles per second, or whole-run merges. A second is complete once every worker
   * has passed it (within about 50 ms of its end), once a later one is 3 s ahead (a
   * stalled worker), or at the end. What it throws stops the run, and `runStress`
   * rejects with it.
   */
  onSecond?: (
    second: StressSecond,
    latency: HistogramData,
    serviceTime: HistogramData | undefined,
  ) => void;
  /**
   * When to start sending, in ms since the epoch (`Date.now()`): the workers load first,
   * then the run starts at that time (at once when it has passed), so that runs on
   * several machines start together.
   *
   * @default {as soon as the workers are loaded}
   */
  startAt?: number;
  /**
   * Shares the run out over idle stress agents (`deno task stress-agent`) through Redis
   * and merges their results: the report then has `agents`. `options` are the run's
   * totals: connections, requests and rates are split over the agents.
   */
  cluster?: StressClusterOptions;
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
 * Shares a stress run out over idle stress agents (`deno task stress-agent` on each load
 * machine) through Redis, and merges their results exactly (histogram bucket counts,
 * never percentiles): the same report as a local run plus `agents`. Connections,
 * requests and rates are split over the agents; ramps and stages keep their timing, and
 * agent i of N sends the run's requests i, i + N, … so the merged arrivals stay uniform.
 * BullMQ and ioredis are loaded only now.
 *
 * @param options What to stress and how: the run's totals.
 * @param control `cluster` (Redis and how many agents), a signal and a progress callback.
 * @returns The merged report, with one entry per agent in `agents`.
 * @throws {TypeError} When an option or `cluster` is malformed.
 * @throws {RangeError} When `cluster.agents` is not a positive integer, or there are
 * fewer connections or requests than agents.
 * @throws {Error} When Redis does not answer, or fewer idle agents answer within
 * `agentsTimeoutMs` (no traffic is sent then), or an agent refuses the target.
 *
 * @example Zero agents is a RangeError, before any traffic
 * ```ts
 * import { runStress } from "@tandem/tandem/servers";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(
 *   () =>
 *     runStress({ url: "http://127.0.0.1:8080/", duration: 60_000, rate: 40_000 }, {
 *       cluster: { redis: "redis://127.0.0.1:6379", agents: 0 },
 *     }),
 *   RangeError,
 *   "'agents' must be",
 * );
 * ```
 */
export function runStress(
  options: StressOptions,
  control: StressControl & { cluster: StressClusterOptions },
): Promise<ClusterStressReport>;
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
 * @param control An abort signal (the run then resolves with `cancelled: true`), a
 * progress callback, a per-second callback, and `startAt` (the Workers load first, then
 * the run starts at that time: runs on several machines start together).
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
export function runStress(options: StressOptions, control?: StressControl): Promise<StressReport>;
export async function runStress(
  options: StressOptions,
  control: StressControl = {},
): Promise<StressReport> {
  const opts = normalizeStressOptions(options);
  if (typeof control !== "object" || control === null) {
    throw new TypeError(
      `Cannot run stress as 'control' must be an object: received ${
        control === null ? "null" : typeof control
      }`,
    );
  }
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
  const onSecond = control.onSecond;
  if (onSecond !== undefined && typeof onSecond !== "function") {
    throw new TypeError(
      `Cannot run stress as 'onSecond' must be a function: received ${typeof onSecond}`,
    );
  }
  const startAt = checkStartAt(control.startAt, control.cluster);
  if (control.cluster !== undefined) {
    checkClusterCounts(control.cluster);
    signal?.throwIfAborted();
    // Not a literal: Deno downloads the npm packages of a literal dynamic import (BullMQ,
    // ioredis) with the start-up graph, and a local run needs deno-std only.
    const coordinator = "./_stress_cluster.ts";
    const { runClusterStress } =
      (await import(coordinator)) as typeof import("./_stress_cluster.ts");
    return await runClusterStress(options, { ...control.cluster, signal, onProgress, onSecond });
  }
  signal?.throwIfAborted();
  checkPermissions(opts);

  const workerCount = opts.workers;
  const shared = new SharedArray("uint32", PROGRESS.firstSlot + workerCount * PROGRESS.slotSize);
  const progress = shared.view;
  const configs = splitWork(opts);
  const workers: Worker[] = [];
  const results: EngineResult[] = [];
  let progressTimer: ReturnType<typeof setInterval> | undefined;
  let callbackError: { error: unknown } | undefined;
  const onAbort = (): void => {
    Atomics.store(progress, PROGRESS.stop, 1);
  };
  const seconds = new TimelineCollector(
    opts,
    onSecond && ((second, latency, service) => {
      if (callbackError) return;
      try {
        onSecond(second, latency, service);
      } catch (error) {
        // A throwing callback stops the run; runStress then rejects with its error.
        callbackError = { error };
        onAbort();
      }
    }),
  );
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

    // A start ahead goes to the Workers now: they open their connections and wait for it
    // themselves, so that their first writes leave at the start (posting "start" at the
    // start itself, they left 11–85 ms later on a loaded 2-core machine). A start time
    // passed by less than 1 s anchors the schedule (runs on several machines keep one
    // timeline); later than that, the run starts now instead of catching up.
    const ahead = startAt !== undefined && startAt > Date.now();
    const now = Date.now();
    const startEpoch = ahead
      ? startAt!
      : startAt !== undefined && now - startAt < 1000
      ? Math.min(startAt, now)
      : now;
    // From the planned start when it is ahead, else from now (an agent's lateness shows).
    const startPerf = performance.now() + (ahead ? startEpoch - now : 0);
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
      const { completed, errors, statusClasses, late, failures } = counter.read();
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
        ...(opts.rateProfile && { targetRate: rateAt(opts.rateProfile, now - startPerf) }),
        statusClasses,
        late,
        failures,
      };
    };
    if (onProgress) {
      progressTimer = setInterval(() => {
        if (performance.now() < startPerf) return; // a start ahead: nothing to show yet
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
    const timeline = seconds.finish(endPerf - startPerf);
    if (callbackError) throw (callbackError as { error: unknown }).error;
    const report = buildReport(opts, results, timeline, {
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
      ...(opts.rateProfile && { targetRate: rateAt(opts.rateProfile, report.durationMs) }),
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
      head: opts.templates ? opts.templates.head : opts.method === "HEAD",
      connections: share(opts.concurrency, i),
      pipeline: opts.pipeline,
      requests: opts.requests === undefined ? undefined : share(opts.requests, i),
      durationMs: opts.duration,
      rate: opts.rateProfile,
      connectionRamp: opts.connectionsProfile,
      agents: n,
      templates: opts.templates && {
        requests: opts.templates.requests,
        weights: opts.templates.weights,
        seed: opts.templates.seed,
      },
      timeoutMs: opts.timeout,
      slot: i,
    });
  }
  return configs;
}

/** The status classes of {@linkcode StressProgress.statusClasses}, in slot order. */
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** Sums the workers' shared counters (32-bit, read often enough to unwrap). */
class ProgressCounter {
  /** Slot offsets read: completed, failures, the five status classes, late, the causes. */
  static readonly #offsets = [
    1,
    2,
    ...STATUS_CLASSES.map((_, i) => PROGRESS.statusClasses + i),
    PROGRESS.late,
    ...FAILURE_CAUSES.map((_, i) => PROGRESS.failures + i),
  ];
  #progress: Uint32Array;
  #workers: number;
  #last: Uint32Array;
  #totals: Float64Array;

  constructor(progress: Uint32Array, workers: number) {
    this.#progress = progress;
    this.#workers = workers;
    const n = ProgressCounter.#offsets.length;
    this.#last = new Uint32Array(workers * n);
    this.#totals = new Float64Array(workers * n);
  }

  read(): {
    completed: number;
    errors: number;
    statusClasses: Record<typeof STATUS_CLASSES[number], number>;
    late: number;
    failures: StressFailures;
  } {
    const offsets = ProgressCounter.#offsets;
    const n = offsets.length;
    const sums = new Float64Array(n);
    for (let w = 0; w < this.#workers; w++) {
      const base = PROGRESS.firstSlot + w * PROGRESS.slotSize;
      for (let k = 0; k < n; k++) {
        const current = Atomics.load(this.#progress, base + offsets[k]) >>> 0;
        this.#totals[w * n + k] += (current - this.#last[w * n + k]) >>> 0;
        this.#last[w * n + k] = current;
        sums[k] += this.#totals[w * n + k];
      }
    }
    return {
      completed: sums[0],
      errors: sums[1],
      statusClasses: {
        "1xx": sums[2],
        "2xx": sums[3],
        "3xx": sums[4],
        "4xx": sums[5],
        "5xx": sums[6],
      },
      late: sums[7],
      failures: Object.fromEntries(
        FAILURE_CAUSES.map((cause, i) => [cause, sums[8 + i]]),
      ) as unknown as StressFailures,
    };
  }
}

/** A second's merged counts, until it is summed up. */
interface OpenSecond {
  completed: number;
  failures: number;
  histogram: Histogram;
  service: Histogram | undefined;
}

/**
 * Merges the workers' per-second counts into the timeline. A second is summed up (and
 * its histograms handed to `onSecond`, then dropped) as soon as every worker has passed
 * it (each sends every second, empty ones too, within its 10–50 ms tick of the second's
 * end), or once a later second is 3 s ahead (a worker whose event loop stalls); memory
 * stays constant, and seconds are summed up in order, gaps included. A response counts
 * in the second it completed in, so a worker that has passed a second has nothing more
 * for it: the timeline and the histograms handed on are exact. Only a worker stalled
 * for over 3 s sends to a second already summed up: its counts are added to it then, but
 * its latencies reach only the run's totals. The wait stays 3 s, not 1 s: a histogram
 * handed on is summed by callers into whole-run figures (`--hdr-log`, a distributed run's
 * merged histogram), so a second is closed early only when nothing can be missing.
 */
class TimelineCollector {
  #open = new Map<number, OpenSecond>();
  #closed = new Map<number, StressSecond>();
  #latest = 0;
  /** The next second to sum up: every second before it is in `#closed`. */
  #next = 0;
  /** Per worker, the second it is in: it has sent every second before. */
  #passed: number[];
  #opts: NormalizedStressOptions;
  #onSecond: StressControl["onSecond"];

  constructor(opts: NormalizedStressOptions, onSecond: StressControl["onSecond"]) {
    this.#opts = opts;
    this.#onSecond = onSecond;
    this.#passed = new Array(opts.workers).fill(0);
  }

  add(data: SecondData): void {
    this.#passed[data.worker] = data.next;
    this.#merge(data);
    // Every worker past a second (and one still running: Infinity means all ended, and
    // `finish` sums up the last, partial second with the run's length).
    const passed = Math.min(...this.#passed);
    if (passed !== Infinity) this.#closeUpTo(passed - 1);
  }

  #merge(data: SecondData): void {
    const closed = this.#closed.get(data.second);
    if (closed) {
      closed.completed += data.completed;
      closed.failures += data.failures;
      return;
    }
    let entry = this.#open.get(data.second);
    if (!entry) {
      entry = {
        completed: 0,
        failures: 0,
        histogram: new Histogram(),
        service: data.service ? new Histogram() : undefined,
      };
      this.#open.set(data.second, entry);
    }
    entry.completed += data.completed;
    entry.failures += data.failures;
    entry.histogram.merge(data.histogram);
    if (data.service) entry.service?.merge(data.service);
    if (data.second > this.#latest) {
      this.#latest = data.second;
      this.#closeUpTo(this.#latest - 4);
    }
  }

  /** Sums up every second up to `last`, in order. */
  #closeUpTo(last: number, elapsedMs = Infinity): void {
    for (; this.#next <= last; this.#next++) this.#close(this.#next, elapsedMs);
  }

  #close(second: number, elapsedMs: number): void {
    const entry = this.#open.get(second) ?? {
      completed: 0,
      failures: 0,
      histogram: new Histogram(),
      service: this.#opts.rateProfile ? new Histogram() : undefined,
    };
    this.#open.delete(second);
    const h = entry.histogram;
    const ms = (micros: number): number => round3(micros / 1000);
    const closed: StressSecond = {
      second,
      completed: entry.completed,
      failures: entry.failures,
      p99: ms(h.percentile(99)),
      p50: ms(h.percentile(50)),
      p90: ms(h.percentile(90)),
      max: ms(h.max),
    };
    const rate = this.#opts.rateProfile;
    const connections = this.#opts.connectionsProfile;
    // The second's own end: the planned length (or in count mode the end) caps the last.
    const from = second * 1000;
    const to = Math.min(from + 1000, this.#opts.duration ?? elapsedMs);
    if (rate) {
      closed.targetRate = round3(Math.max(0, arrivalsBy(rate, to) - arrivalsBy(rate, from)));
    } else {
      closed.connections = connections
        ? connectionsAt(connections, Math.max(from, to - 1))
        : this.#opts.concurrency;
    }
    this.#closed.set(second, closed);
    this.#onSecond?.(closed, h.data(), entry.service?.data());
  }

  finish(elapsedMs: number): StressSecond[] {
    const last = Math.max(-1, this.#next - 1, ...this.#open.keys());
    this.#closeUpTo(last, elapsedMs);
    const timeline: StressSecond[] = [];
    for (let s = 0; s <= last; s++) timeline.push(this.#closed.get(s)!);
    return timeline;
  }
}

/** The first write of any worker, in ms after the start as `startTime` shows it (whole ms). */
function firstRequest(
  results: EngineResult[],
  startEpoch: number,
): { firstRequestMs?: number } {
  const first = Math.min(...results.map((r) => r.firstWriteEpoch ?? Infinity));
  return first === Infinity ? {} : { firstRequestMs: round3(first - Math.floor(startEpoch)) };
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

/** The summary of a histogram of microseconds, in ms. */
function latencyOf(h: Histogram): StressLatency {
  const ms = (micros: number): number => round3(micros / 1000);
  return {
    min: ms(h.total ? h.min : 0),
    mean: ms(h.mean()),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

/**
 * The mean target rate over the run: requests due by its planned length (or by its end
 * in count mode, at most the count) per second.
 */
function targetRateOf(
  rate: LoadProfile,
  opts: NormalizedStressOptions,
  requests: number,
  durationMs: number,
): number {
  const length = opts.duration ?? durationMs;
  if (!(length > 0)) return 0;
  let due = arrivalsBy(rate, length);
  if (opts.requests !== undefined) due = Math.min(due, Math.max(requests, opts.requests));
  return Math.round((due / length) * 1000 * 10) / 10;
}

/** Merges the workers' per-template counts, by name, in the templates' order. */
function mergeEndpoints(names: string[], results: EngineResult[]): Record<string, StressEndpoint> {
  const out: Record<string, StressEndpoint> = {};
  names.forEach((name, i) => {
    const histogram = new Histogram();
    let service: Histogram | undefined;
    const codes = new Map<string, number>();
    let successes = 0;
    let failures = 0;
    let inFlight = 0;
    for (const result of results) {
      const e = result.endpoints![i];
      successes += e.successes;
      failures += e.failures;
      inFlight += e.inFlight;
      histogram.merge(e.histogram);
      if (e.service) (service ??= new Histogram()).merge(e.service);
      for (const [code, count] of Object.entries(e.statusCodes)) {
        codes.set(code, (codes.get(code) ?? 0) + count);
      }
    }
    out[name] = {
      // Every request of a template ends in exactly one of these.
      requests: successes + failures + inFlight,
      successes,
      failures,
      inFlight,
      statusCodes: Object.fromEntries([...codes].sort((a, b) => Number(a[0]) - Number(b[0]))),
      latencyMs: latencyOf(histogram),
      ...(service && { serviceTimeMs: latencyOf(service) }),
    };
  });
  return out;
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
  const paced = opts.rateProfile !== undefined;
  const lag = new Histogram();
  const service = new Histogram();
  const late = { count: 0, worstMs: 0, busy: 0 };
  for (const result of results) {
    lag.merge(result.lag);
    if (result.service) service.merge(result.service);
    late.count += result.late.count;
    late.busy += result.late.busy;
    late.worstMs = Math.max(late.worstMs, round3(result.late.worstMs));
  }
  return {
    url: withoutPassword(opts.url),
    method: opts.method,
    concurrency: opts.concurrency,
    workers: opts.workers,
    pipeline: opts.pipeline,
    rate: opts.peakRate ?? null,
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
    latencyMs: latencyOf(histogram),
    ...(paced && { serviceTimeMs: latencyOf(service) }),
    ...(opts.templates && { endpoints: mergeEndpoints(opts.templates.names, results) }),
    ...(paced && {
      targetRate: targetRateOf(opts.rateProfile!, opts, requests, times.durationMs),
      late,
    }),
    generatorLagMs: {
      p99: round3(lag.percentile(99) / 1000),
      max: round3(lag.max / 1000),
    },
    ...(opts.templates && { seed: opts.templates.seed }),
    histogram: displayBuckets(histogram),
    timeline,
    ...firstRequest(results, times.startEpoch),
    startTime: new Date(times.startEpoch).toISOString(),
    endTime: new Date(times.endEpoch).toISOString(),
    cancelled: times.cancelled,
  };
}
