// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the GUI's run registry: each run wraps one `runStress` call and fans its
 * progress out to any number of Server-Sent Events watchers (browser tabs).
 *
 * @module
 */

import type {
  StressHistogramBucket,
  StressOptions,
  StressProgress,
  StressReport,
} from "../servers/stress.ts";
import { evaluateThresholds, type ThresholdResult } from "../servers/_thresholds.ts";
import type { GuiStats, StressRunner } from "./gui_server.ts";
import type { RunRequest } from "./_validate.ts";
import { type LiveSecond, LiveTimeline } from "./_live.ts";
import { LiveHistogram } from "./_live_histogram.ts";

/** Where a run is in its life. */
export type RunState = "running" | "done" | "cancelled" | "error";

/** A message for `ServerSentEventStream` (the `@std` module is untyped here). */
export interface SseMessage {
  event?: string;
  data?: string;
  id?: number;
  retry?: number;
  comment?: string;
}

interface StoredEvent {
  id: number;
  event: string;
  data: string;
}

/** A report as the GUI keeps it: the run's report, with its threshold results if any. */
export type GuiReport = StressReport & { thresholds?: ThresholdResult[] };

/** The payload of the final event of a run. */
export interface RunOutcome {
  state: Exclude<RunState, "running">;
  report: GuiReport | null;
  error?: string;
}

/** The payload of a `progress` event: the counts, and the run's seconds (see `watch`). */
export interface ProgressEvent extends StressProgress {
  /**
   * Whole seconds of the run: all of them in the first event a watcher gets, else the
   * latest few and the latest few closed ones (those carry latency percentiles).
   */
  seconds: LiveSecond[];
  /**
   * The latency histogram of the closed seconds so far, as the report's `histogram`:
   * in the first event a watcher gets and whenever a second has closed since the last.
   */
  histogram?: StressHistogramBucket[];
}

/** The options of `runStress` a request asks for. */
export function stressOptions(request: RunRequest): StressOptions {
  const { thresholds: _, requestsFile: _file, stages, ...options } = request;
  if (stages === undefined) return options;
  return {
    ...options,
    stages: stages.stages,
    ...(stages.startRate !== undefined && { startRate: stages.startRate }),
  };
}

/** How long EventSource waits before it reconnects, in milliseconds. */
const RETRY_MS = 1000;
/** Watchers further behind than this many messages miss progress events (never the final). */
const SLOW_WATCHER_BACKLOG = 64;

/** One run and its watchers. */
export class Run {
  /** The run's id, a random UUID. */
  readonly id: string;
  /** What was asked for. */
  readonly request: RunRequest;
  /** Resolves once the run has ended and its final event was sent. */
  readonly settled: Promise<void>;
  /** `Date.now()` when the run ended. */
  finishedAt: number | undefined;

  #state: RunState = "running";
  #seq = 0;
  #progress: StressProgress;
  #timeline: LiveTimeline;
  #histogram = new LiveHistogram();
  /** The histogram's version the last progress event carried. */
  #histogramSent = 0;
  #lastProgress: StoredEvent;
  #final: StoredEvent | undefined;
  #outcome: RunOutcome | undefined;
  #watchers = new Set<ReadableStreamDefaultController<SseMessage>>();
  #abort = new AbortController();
  #ticker: ReturnType<typeof setInterval>;

  /** `Date.now()` when the run started. */
  readonly startedAt: number = Date.now();
  #onEnd: (run: Run) => void;

  constructor(
    id: string,
    request: RunRequest,
    runner: StressRunner,
    intervalMs: number,
    onEnd: (run: Run) => void = () => {},
  ) {
    this.id = id;
    this.request = request;
    this.#onEnd = onEnd;
    this.#progress = { completed: 0, total: request.requests, errors: 0, rps: 0, elapsedMs: 0 };
    // A ramp's or the stages' target changes: each second takes it from the progress.
    this.#timeline = new LiveTimeline(typeof request.rate === "number" ? request.rate : null);
    this.#lastProgress = this.#storeProgress();
    this.#ticker = setInterval(() => this.#broadcast(this.#storeProgress()), intervalMs);
    this.settled = this.#drive(runner);
  }

  /** The run's state. */
  get state(): RunState {
    return this.#state;
  }

  /** The latest progress. */
  get progress(): StressProgress {
    return this.#progress;
  }

  /** The outcome, once the run has ended. */
  get outcome(): RunOutcome | undefined {
    return this.#outcome;
  }

  /** How many event streams are attached. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Asks the run to stop; its final event will be `cancelled`. */
  cancel(): void {
    this.#abort.abort(new DOMException("The run was cancelled", "AbortError"));
  }

  /**
   * Opens an event stream: the latest progress and, once ended, the final event, each
   * only when newer than `lastEventId`; then live events until the run ends.
   *
   * A watcher that goes away cancels the stream (Deno.serve does so when the client
   * disconnects), which detaches it.
   *
   * @param lastEventId The `Last-Event-ID` a reconnecting EventSource sent.
   * @returns The stream, or `undefined` when the client has already seen the end.
   */
  watch(lastEventId: number | undefined): ReadableStream<SseMessage> | undefined {
    const seen = lastEventId ?? 0;
    const replay: StoredEvent[] = [];
    // The latest progress again, carrying every second so far: a tab that reconnects or
    // opens midway redraws the whole run, not only what comes next.
    if (this.#lastProgress.id > seen) replay.push(this.#progressEvent(this.#lastProgress.id, true));
    if (this.#final !== undefined && this.#final.id > seen) replay.push(this.#final);
    if (this.#final !== undefined && replay.length === 0) return undefined;
    let controller: ReadableStreamDefaultController<SseMessage>;
    return new ReadableStream<SseMessage>({
      start: (c) => {
        controller = c;
        c.enqueue({ retry: RETRY_MS });
        for (const event of replay) c.enqueue(event);
        if (this.#final !== undefined) {
          c.close();
          return;
        }
        this.#watchers.add(c);
      },
      cancel: () => {
        this.#watchers.delete(controller);
      },
    });
  }

  #store(event: string, payload: unknown): StoredEvent {
    return { id: ++this.#seq, event, data: JSON.stringify(payload) };
  }

  #storeProgress(): StoredEvent {
    return this.#progressEvent(++this.#seq, false);
  }

  #progressEvent(id: number, all: boolean): StoredEvent {
    const payload: ProgressEvent = {
      ...this.#progress,
      seconds: all ? this.#timeline.seconds : this.#timeline.latest(),
    };
    const version = this.#histogram.version;
    // A watcher that skipped the event with the new buckets gets them at the next close.
    if (version > 0 && (all || version !== this.#histogramSent)) {
      payload.histogram = this.#histogram.buckets();
      if (!all) this.#histogramSent = version;
    }
    return { id, event: "progress", data: JSON.stringify(payload) };
  }

  #broadcast(event: StoredEvent, final = false): void {
    if (event.event === "progress") this.#lastProgress = event;
    for (const controller of this.#watchers) {
      const backlog = -(controller.desiredSize ?? 0);
      if (!final && backlog > SLOW_WATCHER_BACKLOG) continue;
      controller.enqueue(event);
      if (final) controller.close();
    }
    if (final) this.#watchers.clear();
  }

  async #drive(runner: StressRunner): Promise<void> {
    const signal = this.#abort.signal;
    let outcome: RunOutcome;
    try {
      const report: GuiReport = await runner(stressOptions(this.request), {
        signal,
        onProgress: (progress) => {
          this.#progress = progress;
          this.#timeline.add(progress);
        },
        onSecond: (second, latency) => {
          this.#timeline.close(second);
          this.#histogram.merge(latency);
        },
      });
      if (this.request.thresholds !== undefined) {
        report.thresholds = evaluateThresholds(this.request.thresholds, report);
      }
      const cancelled = report.cancelled === true || signal.aborted;
      outcome = { state: cancelled ? "cancelled" : "done", report };
      const failed = Object.values(report.failures ?? {}).reduce((a, b) => a + b, 0);
      this.#progress = {
        ...this.#progress,
        completed: report.requests - (report.inFlight ?? 0),
        errors: failed,
        elapsedMs: report.durationMs,
      };
    } catch (error) {
      outcome = signal.aborted ? { state: "cancelled", report: null } : {
        state: "error",
        report: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    clearInterval(this.#ticker);
    this.#state = outcome.state;
    this.#outcome = outcome;
    this.finishedAt = Date.now();
    this.#broadcast(this.#storeProgress());
    this.#final = this.#store(outcome.state, outcome);
    this.#broadcast(this.#final, true);
    this.#onEnd(this);
  }
}

/** Options of {@linkcode RunRegistry}. */
export interface RunRegistryOptions {
  runner: StressRunner;
  maxActiveRuns: number;
  retainRuns: number;
  retainMs: number;
  progressIntervalMs: number;
  /** Called once a run has ended and sent its final event. */
  onEnd?: (run: Run) => void;
}

/** Keeps the running runs and a bounded number of ended ones. */
export class RunRegistry {
  #runs = new Map<string, Run>();
  #options: RunRegistryOptions;
  #closed = false;

  constructor(options: RunRegistryOptions) {
    this.#options = options;
  }

  /**
   * Starts a run.
   *
   * @param request The validated request.
   * @returns The new run.
   * @throws {RangeError} When `maxActiveRuns` runs are already running.
   * @throws {Error} When the registry was closed.
   */
  start(request: RunRequest): Run {
    if (this.#closed) throw new Error("Cannot start run as the server is shutting down");
    this.#prune();
    const active = this.stats.activeRuns;
    if (active >= this.#options.maxActiveRuns) {
      throw new RangeError(
        `Cannot start run as ${active} runs are already running: wait for one to end or cancel it`,
      );
    }
    const run = new Run(
      crypto.randomUUID(),
      request,
      this.#options.runner,
      this.#options.progressIntervalMs,
      this.#options.onEnd,
    );
    this.#runs.set(run.id, run);
    return run;
  }

  /**
   * Looks a run up.
   *
   * @param id The run's id.
   * @returns The run, or `undefined` when unknown or no longer kept.
   */
  get(id: string): Run | undefined {
    this.#prune();
    return this.#runs.get(id);
  }

  /** Counts of runs and watchers. */
  get stats(): GuiStats {
    let activeRuns = 0;
    let watchers = 0;
    for (const run of this.#runs.values()) {
      if (run.state === "running") activeRuns++;
      watchers += run.watchers;
    }
    return { runs: this.#runs.size, activeRuns, watchers };
  }

  /**
   * Cancels every running run and waits until each has sent its final event.
   *
   * @returns A promise that resolves once every run has ended.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const runs = [...this.#runs.values()];
    for (const run of runs) run.cancel();
    await Promise.all(runs.map((run) => run.settled));
  }

  #prune(): void {
    const now = Date.now();
    const ended: Run[] = [];
    for (const run of this.#runs.values()) {
      if (run.finishedAt === undefined) continue;
      if (now - run.finishedAt > this.#options.retainMs) this.#runs.delete(run.id);
      else ended.push(run);
    }
    ended.sort((a, b) => a.finishedAt! - b.finishedAt!);
    const excess = ended.length - this.#options.retainRuns;
    for (let i = 0; i < excess; i++) this.#runs.delete(ended[i].id);
  }
}
