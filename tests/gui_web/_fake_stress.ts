// Copyright 2026 the Tandem authors. MIT license.
// A deterministic stand-in for `runStress`: it "completes" requests on a timer, reports
// progress, and ends when all are done, when released, or when aborted. No traffic.

import type { StressProgress, StressReport, StressRunner } from "../../gui_web/gui_server.ts";

/** A fake runner and handles to steer it. */
export interface FakeStress {
  runStress: StressRunner;
  /** How many runs were started. */
  readonly started: number;
  /** How many runs are still going. */
  readonly active: number;
  /** Ends every going run now, as if all its requests were done. */
  release(): void;
}

/** Options of {@linkcode fakeStress}. */
export interface FakeStressOptions {
  /** Requests completed per tick; `0` keeps a run going until released or aborted. */
  perTick?: number;
  /** Tick interval in milliseconds. */
  tickMs?: number;
  /** Make every run fail with this message. */
  failWith?: string;
}

/**
 * Builds a fake runner.
 *
 * @param options How fast runs progress.
 * @returns The runner and its handles.
 */
export function fakeStress(options: FakeStressOptions = {}): FakeStress {
  const { perTick = 0, tickMs = 20, failWith } = options;
  let started = 0;
  const releases = new Set<() => void>();
  const runStress: StressRunner = (stress, control = {}) => {
    started++;
    const total = stress.requests ?? 0;
    const startTime = new Date();
    let completed = 0;
    return new Promise<StressReport>((resolve, reject) => {
      const progress = (): StressProgress => ({
        completed,
        total,
        errors: 0,
        rps: completed / Math.max((Date.now() - startTime.getTime()) / 1000, 0.001),
        elapsedMs: Date.now() - startTime.getTime(),
      });
      const end = (cancelled: boolean) => {
        clearInterval(timer);
        control.signal?.removeEventListener("abort", onAbort);
        releases.delete(release);
        if (failWith !== undefined && !cancelled) {
          reject(new Error(failWith));
          return;
        }
        resolve(report(String(stress.url), completed, startTime, cancelled));
      };
      const release = () => {
        completed = total;
        end(false);
      };
      const onAbort = () => end(true);
      const timer = setInterval(() => {
        completed = Math.min(total, completed + perTick);
        control.onProgress?.(progress());
        if (perTick > 0 && completed >= total) end(false);
      }, tickMs);
      releases.add(release);
      if (control.signal?.aborted) onAbort();
      else control.signal?.addEventListener("abort", onAbort, { once: true });
    });
  };
  return {
    runStress,
    get started() {
      return started;
    },
    get active() {
      return releases.size;
    },
    release() {
      for (const release of [...releases]) release();
    },
  };
}

function report(
  url: string,
  completed: number,
  startTime: Date,
  cancelled: boolean,
): StressReport {
  const endTime = new Date();
  const durationMs = Math.max(endTime.getTime() - startTime.getTime(), 1);
  return {
    url,
    method: "GET",
    concurrency: 1,
    workers: 1,
    pipeline: 1,
    rate: null,
    requests: completed,
    successes: completed,
    failures: { timeout: 0, refused: 0, reset: 0, protocol: 0, http4xx: 0, http5xx: 0, other: 0 },
    inFlight: 0,
    statusCodes: completed > 0 ? { "200": completed } : {},
    rps: completed / (durationMs / 1000),
    bytesPerSecond: (completed * 100) / (durationMs / 1000),
    durationMs,
    latencyMs: { min: 0.1, mean: 0.5, p50: 0.4, p90: 0.8, p99: 1.5, p999: 2, max: 2.5 },
    timeline: [{ second: 0, completed, failures: 0, p99: 1.5 }],
    startTime: startTime.toISOString(),
    endTime: endTime.toISOString(),
    cancelled,
    histogram: [
      { fromMs: 0, toMs: 0.5, count: Math.ceil(completed / 2) },
      { fromMs: 0.5, toMs: 1, count: Math.floor(completed / 2) },
    ],
  };
}
