/**
 * Private: counters of the worker pools {@linkcode wordFrequency} starts, so tests can
 * check that every worker it started was also terminated.
 *
 * @module
 */

/** Totals over every pool started by `wordFrequency` in this process. */
export const poolCounters: { pools: number; started: number; terminated: number; alive: number } = {
  pools: 0,
  started: 0,
  terminated: 0,
  alive: 0,
};
