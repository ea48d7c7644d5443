/**
 * Private: what one stress worker counts. Every request ends in exactly one place: a
 * response (by status), a failure (by cause), or "in flight" when the run stopped
 * under it. Live counts go to shared memory ({@linkcode PROGRESS}) and each finished
 * second to a callback, so the main thread can draw progress and a timeline.
 *
 * @module
 */

import { Histogram, type HistogramData } from "./_histogram.ts";

/** Failure causes, in the order of the engine's counters. */
export const FAILURE_CAUSES = [
  "timeout",
  "refused",
  "reset",
  "protocol",
  "http4xx",
  "http5xx",
  "other",
] as const;

/** One failure cause. */
export type FailureCause = typeof FAILURE_CAUSES[number];

/** Index of each cause in {@linkcode FAILURE_CAUSES} (and in the counters). */
export const CAUSE = {
  timeout: 0,
  refused: 1,
  reset: 2,
  protocol: 3,
  http4xx: 4,
  http5xx: 5,
  other: 6,
} as const satisfies Record<FailureCause, number>;

/** Layout of the shared progress memory (`SharedArray("uint32")` indexes; counts wrap at 2^32). */
export const PROGRESS = {
  /** Set to 1 to stop every worker. */
  stop: 0,
  /** First slot of worker 0; each worker owns {@linkcode PROGRESS.slotSize} entries. */
  firstSlot: 4,
  /**
   * Entries per worker: sent, completed, failures, connections open, then responses of
   * each status class 1xx–5xx (at {@linkcode PROGRESS.statusClasses}), late sends (at
   * {@linkcode PROGRESS.late}), so `--abort-on-fail` can judge `status5xx==0` and `late<N`
   * live, and failures by cause (at {@linkcode PROGRESS.failures}), which distributed
   * runs show live.
   */
  slotSize: 17,
  /** Offset in a slot of the 1xx count; 2xx–5xx follow. */
  statusClasses: 4,
  /** Offset in a slot of the late sends. */
  late: 9,
  /** Offset in a slot of the failures of the first cause; the others follow in order. */
  failures: 10,
} as const;

/**
 * Counts of one second of the run, from one worker. Each worker sends every second in
 * order, empty ones too, so the main thread can close a second as soon as every worker
 * has passed it (instead of waiting a fixed 3 s for stragglers).
 */
export interface SecondData {
  /** The sending worker's slot. */
  worker: number;
  /** Seconds since the start. */
  second: number;
  /**
   * The worker's current second after this one: it has nothing more for any second
   * before it (a stalled ticker skips seconds; `Infinity` once the worker has ended).
   */
  next: number;
  /** Requests finished in that second (successes and failures). */
  completed: number;
  /** Failures in that second. */
  failures: number;
  /** Latencies of that second (from the intended start in rate runs). */
  histogram: HistogramData;
  /** Service times of that second (from the write), in rate runs. */
  service: HistogramData | undefined;
}

/** Why some requests failed: one entry per distinct cause and reason. */
export interface FailureReason {
  /** The cause the failures are counted under. */
  cause: FailureCause;
  /** What went wrong, e.g. `too many open files`. */
  reason: string;
  /** How many requests failed so. */
  count: number;
}

/**
 * Distinct reasons kept per worker: error messages can vary (a certificate's name), and
 * a run of millions of failures must not keep millions of strings. 20 covers every
 * reason the engine gives plus a dozen distinct operating-system errors.
 */
export const MAX_REASONS = 20;

/** What one worker reports at the end. */
export interface EngineResult {
  /** Requests written (or attempted, when connecting failed). */
  sent: number;
  /** Responses with a 1xx–3xx status. */
  successes: number;
  /** Failures per cause, in the order of {@linkcode FAILURE_CAUSES}. */
  failures: number[];
  /** Requests still in flight when the run stopped. */
  inFlight: number;
  /** Count per status code. */
  statusCodes: Record<string, number>;
  /** Bytes read from the sockets. */
  bytesRead: number;
  /** Latencies of all responses. */
  histogram: HistogramData;
  /** Why requests failed without a response (at most {@linkcode MAX_REASONS} entries). */
  reasons: FailureReason[];
  /** Service times of all responses, in rate runs. */
  service: HistogramData | undefined;
  /** Per template, in runs with templates. */
  endpoints: EndpointResult[] | undefined;
  /**
   * Requests written more than 1 ms after their intended start, the worst lateness, and
   * how many of them waited for a free connection.
   */
  late: { count: number; worstMs: number; busy: number };
  /** How late the worker's ticker ran, in µs per tick. */
  lag: HistogramData;
  /** When it wrote its first request, in ms since the epoch (sub-ms); none if it wrote none. */
  firstWriteEpoch?: number;
}

/** What one worker counted for one template. */
export interface EndpointResult {
  /** Responses with a status below 400. */
  successes: number;
  /** Failures of every cause. */
  failures: number;
  /** Requests the run stopped under. */
  inFlight: number;
  /** Count per status code. */
  statusCodes: Record<string, number>;
  /** Latencies. */
  histogram: HistogramData;
  /** Service times, in rate runs. */
  service: HistogramData | undefined;
}

/** The counts of one template in one worker. */
class EndpointTally {
  successes = 0;
  failures = 0;
  inFlight = 0;
  statusCounts = new Map<number, number>();
  histogram = new Histogram();
  service: Histogram | undefined;

  constructor(paced: boolean) {
    this.service = paced ? new Histogram() : undefined;
  }

  result(): EndpointResult {
    const statusCodes: Record<string, number> = {};
    for (const [code, count] of [...this.statusCounts].sort((a, b) => a[0] - b[0])) {
      statusCodes[String(code)] = count;
    }
    return {
      successes: this.successes,
      failures: this.failures,
      inFlight: this.inFlight,
      statusCodes,
      histogram: this.histogram.data(),
      service: this.service?.data(),
    };
  }
}

/** The counts of one worker: totals, the current second, and the live shared counters. */
export class Tally {
  /** Failures per cause, indexed by {@linkcode CAUSE}. */
  readonly failures: number[] = [0, 0, 0, 0, 0, 0, 0];
  /** Responses with a status below 400. */
  successes = 0;
  /** Sum of {@linkcode failures}. */
  failed = 0;
  /** Requests the run stopped under (a cancel, or the end of the drain window). */
  inFlight = 0;
  /** Bytes read from every socket. */
  bytesRead = 0;
  /** Requests written more than 1 ms after their intended start (rate runs). */
  late = 0;
  /** The worst lateness, in ms. */
  worstLateMs = 0;
  /** Late requests whose time passed while every connection was busy. */
  lateOverdue = 0;

  /** Count per status code (codes are 3 digits, so 1000 entries index them directly). */
  #statusCounts = new Float64Array(1000);
  #histogram = new Histogram();
  #startPerf: number;
  #onSecond: (data: SecondData) => void;
  #progress: Uint32Array;
  #slot: number;
  /** The worker's index, for {@linkcode SecondData.worker}. */
  #worker: number;
  #second = 0;
  /** When the current second ends (performance.now() time), so a response checks one number. */
  #secondEnd: number;
  #secondHist = new Histogram();
  #secondCompleted = 0;
  #secondFailures = 0;
  /** Failure reasons by cause index and text. */
  #reasons = new Map<string, FailureReason>();
  /** Service times: totals and the current second (rate runs only). */
  #service: Histogram | undefined;
  #secondService: Histogram | undefined;
  /** Per template, in runs with templates. */
  #endpoints: EndpointTally[] | undefined;
  /** The ticker's lateness, in µs. */
  #lag = new Histogram();

  /**
   * Creates the counts of one worker.
   *
   * @param startPerf The run's start, as a `performance.now()` time.
   * @param progress The shared progress memory.
   * @param slot The worker's slot in it.
   * @param onSecond Receives the counts of each finished second.
   * @param shape Whether service times are kept (rate runs) and how many templates.
   */
  constructor(
    startPerf: number,
    progress: Uint32Array,
    slot: number,
    onSecond: (data: SecondData) => void,
    shape: { paced: boolean; templates: number } = { paced: false, templates: 0 },
  ) {
    if (shape.paced) {
      this.#service = new Histogram();
      this.#secondService = new Histogram();
    }
    if (shape.templates > 0) {
      this.#endpoints = Array.from(
        { length: shape.templates },
        () => new EndpointTally(shape.paced),
      );
    }
    this.#startPerf = startPerf;
    this.#secondEnd = startPerf + 1000;
    this.#progress = progress;
    this.#slot = PROGRESS.firstSlot + slot * PROGRESS.slotSize;
    this.#worker = slot;
    this.#onSecond = onSecond;
  }

  /**
   * Counts a response: a success below 400, else an `http4xx`/`http5xx` failure.
   *
   * @param status The status code.
   * @param latencyMs From the request's start (its intended start in rate runs).
   * @param serviceMs From its write (kept in rate runs).
   * @param now The time it completed.
   * @param endpoint The template's index (with templates).
   */
  respond(
    status: number,
    latencyMs: number,
    serviceMs: number,
    now: number,
    endpoint: number,
  ): void {
    if (now >= this.#secondEnd) this.flushSecond(now);
    this.#secondHist.record(latencyMs * 1000);
    if (this.#secondService !== undefined) this.#secondService.record(serviceMs * 1000);
    if (this.#endpoints !== undefined) {
      this.#respondEndpoint(status, latencyMs, serviceMs, endpoint);
    }
    this.#secondCompleted++;
    this.#statusCounts[status]++;
    if (status < 400) {
      this.successes++;
    } else {
      this.failures[status < 500 ? CAUSE.http4xx : CAUSE.http5xx]++;
      this.failed++;
      this.#secondFailures++;
    }
  }

  #respondEndpoint(status: number, latencyMs: number, serviceMs: number, endpoint: number): void {
    const e = this.#endpoints![endpoint];
    e.histogram.record(latencyMs * 1000);
    e.service?.record(serviceMs * 1000);
    e.statusCounts.set(status, (e.statusCounts.get(status) ?? 0) + 1);
    if (status < 400) e.successes++;
    else e.failures++;
  }

  /** True when outcomes are also counted per template. */
  get perEndpoint(): boolean {
    return this.#endpoints !== undefined;
  }

  /** Counts one request of a template that failed without a response (after `fail`). */
  failEndpoint(endpoint: number): void {
    this.#endpoints![endpoint].failures++;
  }

  /** Counts one request of a template the run stopped under (after `inFlight`). */
  stopEndpoint(endpoint: number): void {
    this.#endpoints![endpoint].inFlight++;
  }

  /**
   * Counts a request written `lateMs` after its intended start (rate runs); `overdue`
   * when its time had passed before a connection was free to take it.
   */
  sentLate(lateMs: number, overdue: boolean): void {
    this.late++;
    if (overdue) this.lateOverdue++;
    if (lateMs > this.worstLateMs) this.worstLateMs = lateMs;
  }

  /** Records how late the ticker ran, in ms. */
  recordLag(ms: number): void {
    this.#lag.record(ms * 1000);
  }

  /** Counts `count` requests that failed without a response, and why. */
  fail(cause: number, count: number, now: number, reason: string): void {
    if (count === 0) return;
    if (now >= this.#secondEnd) this.flushSecond(now);
    this.failures[cause] += count;
    this.failed += count;
    this.#secondFailures += count;
    this.#secondCompleted += count;
    const key = `${cause} ${reason}`;
    const known = this.#reasons.get(key);
    if (known) known.count += count;
    else if (this.#reasons.size < MAX_REASONS) {
      this.#reasons.set(key, { cause: FAILURE_CAUSES[cause], reason, count });
    }
  }

  /**
   * Sends the current second to `onSecond` once `now` is past it (the ticker calls this
   * every 10–50 ms, so a second leaves within that of its end). An empty second is sent
   * too: it tells the main thread this worker has passed it.
   */
  flushSecond(now: number): void {
    const current = Math.floor((now - this.#startPerf) / 1000);
    if (current <= this.#second) return;
    // Latencies are recorded once, per second, and added to the total here.
    this.#histogram.merge(this.#secondHist);
    const service = this.#secondService;
    if (service !== undefined) this.#service!.merge(service);
    this.#onSecond({
      worker: this.#worker,
      second: this.#second,
      next: current,
      completed: this.#secondCompleted,
      failures: this.#secondFailures,
      histogram: this.#secondHist.data(),
      service: service?.data(),
    });
    // The histograms' buffers are transferred with the message: fresh ones for the next.
    this.#secondHist = new Histogram();
    if (service !== undefined) this.#secondService = new Histogram();
    this.#secondCompleted = 0;
    this.#secondFailures = 0;
    this.#second = current;
    this.#secondEnd = this.#startPerf + current * 1000 + 1000;
  }

  /** Publishes the live counts (batched: the ticker calls it, and the end). */
  publish(sent: number, open: number): void {
    const progress = this.#progress;
    const slot = this.#slot;
    Atomics.store(progress, slot, sent);
    Atomics.store(progress, slot + 1, this.successes + this.failed);
    Atomics.store(progress, slot + 2, this.failed);
    Atomics.store(progress, slot + 3, open);
    // Classes are summed here from the per-code counts, not kept per response: 500
    // additions per tick (every 10–50 ms) instead of one more store per response.
    const counts = this.#statusCounts;
    for (let c = 1; c <= 5; c++) {
      let sum = 0;
      for (let code = c * 100; code < c * 100 + 100; code++) sum += counts[code];
      Atomics.store(progress, slot + PROGRESS.statusClasses + c - 1, sum);
    }
    Atomics.store(progress, slot + PROGRESS.late, this.late);
    const failures = this.failures;
    for (let c = 0; c < failures.length; c++) {
      Atomics.store(progress, slot + PROGRESS.failures + c, failures[c]);
    }
  }

  /** The final counts, once every connection has ended. */
  result(sent: number): EngineResult {
    this.publish(sent, 0);
    this.flushSecond(Infinity);
    const statusCodes: Record<string, number> = {};
    this.#statusCounts.forEach((count, code) => {
      if (count > 0) statusCodes[String(code)] = count;
    });
    return {
      sent,
      successes: this.successes,
      failures: this.failures,
      inFlight: this.inFlight,
      statusCodes,
      bytesRead: this.bytesRead,
      histogram: this.#histogram.data(),
      reasons: [...this.#reasons.values()],
      service: this.#service?.data(),
      endpoints: this.#endpoints?.map((e) => e.result()),
      late: { count: this.late, worstMs: this.worstLateMs, busy: this.lateOverdue },
      lag: this.#lag.data(),
    };
  }
}
