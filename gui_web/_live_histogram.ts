// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the latency histogram of a run as it goes, merged from the histogram of each
 * closed second `runStress` hands to `onSecond`. Progress events carry it in the report's
 * compact form (20 log-spaced buckets, about 1 KB) rather than the 3,200 raw buckets.
 *
 * @module
 */

import { displayBuckets, Histogram, type HistogramData } from "../servers/_histogram.ts";
import type { StressHistogramBucket } from "../servers/stress.ts";

/** Buckets of the compact form: as many as the report's `histogram` has. */
const DISPLAY_BUCKETS = 20;

/** Merges closed seconds' latency histograms. */
export class LiveHistogram {
  #histogram = new Histogram();
  #version = 0;

  /** Grows by one at each merge: a progress event repeats the buckets only when it moved. */
  get version(): number {
    return this.#version;
  }

  /**
   * Adds a closed second's latencies.
   *
   * @param data The second's histogram.
   */
  merge(data: HistogramData): void {
    if (data.total === 0) return;
    this.#histogram.merge(data);
    this.#version++;
  }

  /**
   * Log-spaced buckets from the smallest latency to the largest, in ms: the same
   * computation as the report's `histogram`, so the end of a run changes no bar's edges.
   *
   * @returns The non-overlapping buckets, none when nothing was merged.
   */
  buckets(): StressHistogramBucket[] {
    return displayBuckets(this.#histogram, DISPLAY_BUCKETS);
  }
}
