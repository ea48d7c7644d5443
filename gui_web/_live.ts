// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the per-second series of a run as it goes, built from the progress `runStress`
 * reports (10 times a second). `StressProgress` carries running totals only, so a second's
 * counts are the totals' growth between the samples on either side of its end (off by at
 * most one sample, 100 ms). Each second then closes (`runStress`'s `onSecond`, within
 * about 50 ms of its end): its exact counts and latency percentiles replace the estimate,
 * and the report's own `timeline` replaces all at the end.
 *
 * Plain code and data only: the page's bundle includes this file.
 *
 * @module
 */

/** One whole second of a run as it goes. */
export interface LiveSecond {
  /** Seconds since the start (0 is the first). */
  second: number;
  /** Requests finished in that second. */
  completed: number;
  /** Failures in that second. */
  failures: number;
  /** The requested rate in that second, or `null` without one. */
  targetRate: number | null;
  /** Median latency in ms, once the second has closed (absent before, 0 without responses). */
  p50?: number;
  /** 90th percentile latency in ms; as `p50`. */
  p90?: number;
  /** 99th percentile latency in ms; as `p50`. */
  p99?: number;
  /** Largest latency in ms; as `p50`. */
  max?: number;
}

/** A closed second as `runStress` hands it to `onSecond` (the fields read here). */
export interface ClosedSecond {
  second: number;
  completed: number;
  failures: number;
  p99: number;
  p50?: number;
  p90?: number;
  max?: number;
  targetRate?: number;
}

/** The counts {@linkcode LiveTimeline.add} reads. */
export interface LiveCounts {
  completed: number;
  errors: number;
  elapsedMs: number;
  /** The requested rate now, when the engine reports it (a ramp's changes over time). */
  targetRate?: number;
}

/** How many of the latest seconds each progress event repeats, for a watcher that missed some. */
const REPEAT = 3;

/** Turns running totals into whole seconds. */
export class LiveTimeline {
  #seconds: LiveSecond[] = [];
  #completed = 0;
  #errors = 0;
  #target: number | null;
  /** Seconds closed so far (the engine closes them in order). */
  #closed = 0;
  /** Seconds the running totals have been split into so far. */
  #estimated = 0;

  /** @param targetRate The run's rate, or `null`. */
  constructor(targetRate: number | null) {
    this.#target = targetRate;
  }

  /** Every whole second so far. */
  get seconds(): LiveSecond[] {
    return this.#seconds;
  }

  /**
   * The latest few seconds, and the latest few closed ones (a second that closed late,
   * behind a stalled worker, may have left the last {@linkcode REPEAT}).
   */
  latest(): LiveSecond[] {
    const latest = this.#seconds.length - REPEAT;
    const from = this.#closed > 0 ? Math.min(latest, this.#closed - REPEAT) : latest;
    return this.#seconds.slice(Math.max(0, from));
  }

  /**
   * Takes a closed second: its exact counts and its latency percentiles replace the
   * estimate made from the running totals (seconds not estimated yet are added).
   *
   * @param closed The second as the engine summed it up.
   */
  close(closed: ClosedSecond): void {
    while (this.#seconds.length < closed.second) {
      this.#seconds.push({
        second: this.#seconds.length,
        completed: 0,
        failures: 0,
        targetRate: this.#target,
      });
    }
    const estimate = this.#seconds[closed.second];
    const second: LiveSecond = {
      second: closed.second,
      completed: closed.completed,
      failures: closed.failures,
      targetRate: closed.targetRate ?? estimate?.targetRate ?? this.#target,
      p50: closed.p50 ?? closed.p99,
      p90: closed.p90 ?? closed.p99,
      p99: closed.p99,
      max: closed.max ?? closed.p99,
    };
    this.#seconds[closed.second] = second;
    this.#closed = Math.max(this.#closed, closed.second + 1);
  }

  /**
   * Takes a progress sample: each second that ended before it gets the totals' growth
   * (the first gets all of it, the others none, when samples are over a second apart).
   *
   * @param counts The running totals and the time since the start.
   */
  add(counts: LiveCounts): void {
    const whole = Math.floor(counts.elapsedMs / 1000);
    for (; this.#estimated < whole; this.#estimated++) {
      const second = this.#estimated;
      const estimate: LiveSecond = {
        second,
        completed: Math.max(0, counts.completed - this.#completed),
        failures: Math.max(0, counts.errors - this.#errors),
        targetRate: counts.targetRate ?? this.#target,
      };
      this.#completed = Math.max(this.#completed, counts.completed);
      this.#errors = Math.max(this.#errors, counts.errors);
      // A second may close before the sample after its end: its growth is still taken
      // from the totals (or the next second would get it), its exact counts kept.
      if (second >= this.#closed) this.#seconds[second] = estimate;
    }
  }
}
