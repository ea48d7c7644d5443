/**
 * Private: the load generator of one worker: `connections` raw HTTP/1.1 keep-alive
 * connections over `Deno.connect` / `Deno.connectTls` in one event loop, writing a
 * pre-encoded request and parsing responses from bytes.
 *
 * How a stress request travels:
 *
 * ```
 *  main thread (stress.ts)                  worker thread (_stress_worker.ts)
 *  ───────────────────────                  ─────────────────────────────────────────────
 *  normalizeStressOptions                   StressEngine ─ one per worker
 *    ├─ normalizeLoadShape: rate and          │
 *    │  connection profiles                   │
 *    └─ encodeRequest / encodeTemplate:       │
 *       request bytes, one per template       │
 *  splitWork ── EngineConfig ─ postMessage ─► ├─ RequestBudget.take()   count, deadline,
 *                                             │    stop flag; with a rate, intendedStartMs
 *                                             │    of arrivals slot, slot + W, …
 *                                             ├─ WeightedPicker.pick()  a template per take
 *                                             │    (seeded, one stream per worker)
 *                                             ├─ Connection × connections (one loop each;
 *                                             │    on a ramp, each opens and closes on time)
 *                                             │    connect ─► send batch ─► read
 *                                             │    ─► ResponseParser.feed ─► answer
 *                                             │    (closed by the server: resend or fail)
 *                                             ├─ Tally   responses by status, failures by
 *                                             │          cause, per-second latency and
 *                                             │          service-time histograms, per
 *                                             │          template, late sends
 *  ProgressCounter ◄── Atomics (SharedArray) ─┤  ticker, every 10–50 ms: timeouts, end of
 *    └─ onProgress                            │  the drain window, stop flag, publish,
 *                                             │  its own lag (the event loop's)
 *  TimelineCollector ◄─ "second" messages ────┤
 *    └─ onSecond (in order)                   │
 *  buildReport ◄─────── "done" EngineResult ──┘
 * ```
 *
 * 1. The main thread checks the options, turns `rate`/`stages`/`concurrency` into load
 *    profiles and encodes the request (or each template) once; `splitWork` shares
 *    connections and requests among the workers; each worker gets the whole profiles,
 *    its {@linkcode EngineConfig}, the shared progress memory and the start time.
 * 2. Each {@linkcode Connection} loops: take a request from the {@linkcode RequestBudget}
 *    (which ends the run by count, deadline or stop flag), pick its template, connect if
 *    closed, fill the pipeline and write the requests as one batch without awaiting the
 *    write, then read. With a rate, a request waits for its intended start: worker i of
 *    W sends the run's arrivals i, i + W, …, so the workers together keep the exact
 *    schedule; a request whose time passed while every connection was busy goes out at
 *    once and counts as late.
 * 3. The {@linkcode ResponseParser} turns bytes into statuses without copying bodies; the
 *    connection counts each answered request in the {@linkcode Tally}: latency from its
 *    intended start (coordinated omission corrected), service time from its write. A
 *    server that closes or asks to close ends the connection: requests it never read are
 *    sent again, requests it cut off fail as `reset`.
 * 4. The ticker closes a connection whose oldest request is older than the timeout (its
 *    pending read fails and the requests count as `timeout`), ends the run after the
 *    drain window, and publishes live counts; the main thread reads them with
 *    `Atomics.load` for the progress bar, so no message is sent per request. How late
 *    the ticker itself runs is the generator's event-loop lag.
 * 5. Each finished second (an empty one too) goes to the main thread as a message with
 *    its histograms within a tick of its end; `TimelineCollector` merges the workers'
 *    seconds and hands each to `onSecond`, in order, once every worker has passed it. At the end the worker sends its {@linkcode EngineResult}, and
 *    `buildReport` merges the workers' results into the {@linkcode StressReport}.
 *
 * @module
 */

import { pipelineBatches } from "./_http_request.ts";
import { connectionCloseMs, connectionOpenMs, type LoadProfile } from "./_load_profile.ts";
import { RequestBudget } from "./_stress_budget.ts";
import { Connection, type RunContext } from "./_stress_connection.ts";
import { type EngineResult, type SecondData, Tally } from "./_stress_tally.ts";
import { WeightedPicker } from "./_weighted_pick.ts";

export {
  type EndpointResult,
  type EngineResult,
  FAILURE_CAUSES,
  type FailureCause,
  PROGRESS,
  type SecondData,
} from "./_stress_tally.ts";

/** What one worker is asked to do. */
export interface EngineConfig {
  /** Host name to connect to. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Use TLS. */
  tls: boolean;
  /** PEM CA certificates to trust for TLS, besides the system's. */
  caCerts: string[] | undefined;
  /** The encoded request. */
  request: Uint8Array;
  /** True for `HEAD` requests (responses have no body). */
  head: boolean;
  /** Connections of this worker. */
  connections: number;
  /** Requests in flight per connection. */
  pipeline: number;
  /** Requests for this worker (count mode), or `undefined`. */
  requests: number | undefined;
  /** Run length in ms (duration mode), or `undefined`. */
  durationMs: number | undefined;
  /**
   * The run's whole arrival rate over time (this worker sends its share: arrivals
   * `slot`, `slot + agents`, …), or `undefined` for as fast as possible.
   */
  rate: LoadProfile | undefined;
  /**
   * The run's whole ramp of connections (this worker runs connections `slot`,
   * `slot + agents`, … below `connections · agents`), or `undefined`.
   */
  connectionRamp: LoadProfile | undefined;
  /** The number of workers of the run. */
  agents: number;
  /** The request of each template and how to pick them, or `undefined` for one request. */
  templates: { requests: Uint8Array[]; weights: number[]; seed: number } | undefined;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Index of this worker's progress slot. */
  slot: number;
}

/**
 * Longest wait, after the end of a duration, for the requests in flight to finish:
 * `min(timeout, 1 s)`, so that a stalled target delays the report by at most a second.
 */
const MAX_DRAIN_MS = 1000;

/** One worker's run: the budget, the connections, the counts, and the ticker that watches them. */
export class StressEngine {
  #config: EngineConfig;
  #budget: RequestBudget;
  #tally: Tally;
  #connections: Connection[] = [];
  #drainEnd: number;
  #startPerf: number;
  #first = { writtenAt: Infinity };

  /**
   * Prepares a run (nothing is sent before {@linkcode StressEngine.run}).
   *
   * @param config What to do.
   * @param progress The shared progress memory.
   * @param startEpoch The run's start, in ms since the epoch (`Date.now()`).
   * @param onSecond Receives the counts of each finished second.
   */
  constructor(
    config: EngineConfig,
    progress: Uint32Array,
    startEpoch: number,
    onSecond: (data: SecondData) => void,
  ) {
    // Workers share the start as an epoch time; each converts it to its own clock.
    const startPerf = startEpoch - (Date.now() - performance.now());
    this.#config = config;
    this.#startPerf = startPerf;
    this.#budget = new RequestBudget(config, startPerf, progress);
    const templates = config.templates;
    this.#tally = new Tally(startPerf, progress, config.slot, onSecond, {
      paced: config.rate !== undefined,
      templates: templates?.requests.length ?? 0,
    });
    this.#drainEnd = this.#budget.deadline + Math.min(config.timeoutMs, MAX_DRAIN_MS);
    const batches = pipelineBatches(config.request, config.pipeline);
    // One stream per worker, so that a seed gives each worker the same picks every run.
    const picker = templates &&
      new WeightedPicker(templates.weights, { seed: templates.seed, stream: config.slot });
    const run: RunContext = {
      config,
      budget: this.#budget,
      tally: this.#tally,
      batches,
      templates: templates?.requests,
      pick: picker ? () => picker.pick() : () => 0,
      first: this.#first,
    };
    const ramp = config.connectionRamp;
    for (let i = 0; i < config.connections; i++) {
      if (ramp === undefined) {
        this.#connections.push(new Connection(run));
        continue;
      }
      const j = config.slot + i * config.agents;
      this.#connections.push(
        new Connection(run, {
          openAt: startPerf + connectionOpenMs(ramp, j),
          closeAt: startPerf + connectionCloseMs(ramp, j),
        }),
      );
    }
  }

  /** Runs every connection to its end; returns the worker's counts. */
  async run(): Promise<EngineResult> {
    // A quarter of the timeout, within 10–50 ms: timeouts are seen at most 25 % late,
    // and the ticker costs little at full speed.
    const period = Math.max(10, Math.min(50, this.#config.timeoutMs / 4));
    // The ticker's own lateness is the generator's event-loop lag.
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      this.#tally.recordLag(Math.max(0, now - last - period));
      last = now;
      this.tick();
    }, period);
    try {
      if (this.#startPerf > performance.now()) await this.#openAhead();
      await Promise.all(this.#connections.map((connection) => connection.run()));
    } finally {
      clearInterval(ticker);
    }
    const first = this.#first.writtenAt;
    return {
      ...this.#tally.result(this.#budget.sent),
      firstWriteEpoch: first === Infinity ? undefined : performance.timeOrigin + first,
    };
  }

  /**
   * A start ahead (runs that start together on several machines): opens the
   * connections open from the start, then waits for it, spinning its last 2 ms (timers
   * fire up to 1 ms late, more when busy). Without this, first writes left 11–85 ms
   * after the start on a loaded 2-core machine: the Worker's first connects and sends.
   */
  async #openAhead(): Promise<void> {
    const start = this.#startPerf;
    await Promise.all(
      this.#connections.filter((c) => c.opensAt <= start).map((c) => c.openAhead(start)),
    );
    const budget = this.#budget;
    for (let now = performance.now(); start - now > 2 && !budget.stopRequested();) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, start - now - 2)));
      now = performance.now();
    }
    while (performance.now() < start && !budget.stopRequested()) {
      // spin: at most 2 ms
    }
  }

  /** The ticker's turn: second boundaries, the end of the run, timeouts, live counts. */
  tick(): void {
    const now = performance.now();
    this.#tally.flushSecond(now);
    const stopNow = this.#budget.stopRequested() || now >= this.#drainEnd;
    if (stopNow) this.#budget.stopping = true;
    const timeoutMs = this.#config.timeoutMs;
    let open = 0;
    for (const connection of this.#connections) {
      if (connection.conn === undefined) {
        if (stopNow && connection.connecting) connection.stop();
        continue;
      }
      open++;
      if (stopNow) {
        if (!connection.stopped) connection.stop();
      } else if (
        !connection.timedOut && connection.count > 0 &&
        now - connection.sentAt[connection.head] >= timeoutMs
      ) {
        connection.timeOut();
      }
    }
    this.#tally.publish(this.#budget.sent, open);
  }
}

/**
 * Runs one worker's share of a stress run.
 *
 * @param config What to do.
 * @param progress The shared progress memory (see {@linkcode PROGRESS}).
 * @param startEpoch The run's start, in ms since the epoch (`Date.now()`).
 * @param onSecond Receives the counts of each finished second.
 * @returns The worker's counts.
 */
export function runEngine(
  config: EngineConfig,
  progress: Uint32Array,
  startEpoch: number,
  onSecond: (data: SecondData) => void,
): Promise<EngineResult> {
  return new StressEngine(config, progress, startEpoch, onSecond).run();
}
