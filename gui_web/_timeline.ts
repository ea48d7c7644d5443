// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the bars of the page's requests-per-second chart. The page's script
 * (`_page/main.ts`) imports {@linkcode timelineBars}; the bundle carries it.
 *
 * @module
 */

/** One second of a run, as `StressReport.timeline` holds it. */
export interface TimelineSecond {
  /** Seconds since the start (0 is the first). */
  second: number;
  /** Requests finished in that second. */
  completed: number;
  /** Failures in that second. */
  failures: number;
}

/** One bar of the chart. */
export interface TimelineBar {
  /** Where the bar starts, in seconds since the start of the run. */
  from: number;
  /** Where it ends: `from + 1`, or the end of the run for its last, partial second. */
  to: number;
  /** Requests finished per second over the bar. */
  rate: number;
  /** Failures per second over the bar. */
  failedRate: number;
  /** Whether the bar covers less than a whole second. */
  partial: boolean;
}

/**
 * Turns a run's seconds into bars of requests per second. The second the run ended in
 * is only partly run: its bar ends where the run did and its count is divided by its real
 * length, so 400 requests in its first 0.4 s draw a bar of 1,000 req/s, 0.4 s wide, not
 * one of 400 req/s (it used to look like the rate had halved at the end).
 *
 * @param timeline The run's seconds.
 * @param durationMs The run's length.
 * @returns One bar per second.
 */
export function timelineBars(
  timeline: readonly TimelineSecond[],
  durationMs: number,
): TimelineBar[] {
  const end = durationMs / 1000;
  return timeline.map(function (entry) {
    const from = entry.second;
    const partial = end > from && end < from + 1;
    const length = partial ? end - from : 1;
    return {
      from: from,
      to: from + length,
      rate: entry.completed / length,
      failedRate: Math.min(entry.failures, entry.completed) / length,
      partial: partial,
    };
  });
}
