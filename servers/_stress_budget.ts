/**
 * Private: which requests one stress worker may still send. A request is taken before
 * it is written, and given back when it was taken but never went out (a `rate` slot
 * after the end of the run, or a pipelined request the server closed on before
 * reading: it is sent again on a new connection).
 *
 * @module
 */

import { intendedStartMs, type LoadProfile } from "./_load_profile.ts";
import { PROGRESS } from "./_stress_tally.ts";

/** What a worker may send: a count, a deadline, a stop flag, and with a rate, a schedule. */
export class RequestBudget {
  /** Requests taken and not given back: what the report calls `requests`. */
  sent = 0;
  /** End of a duration run, as a `performance.now()` time (`Infinity` in count mode). */
  readonly deadline: number;
  /** True with a rate: each request waits for its intended start. */
  readonly paced: boolean;
  /** Set by the ticker once the drain window is over: nothing more is taken. */
  stopping = false;
  #remaining: number;
  #progress: Uint32Array;
  #startPerf: number;
  #rate: LoadProfile | undefined;
  /** This worker's first index in the run's sequence of arrivals, and the stride. */
  #agent: number;
  #agents: number;
  /** Index of the next request among this worker's, in rate mode. */
  #nextArrival = 0;
  /** Whether a request was taken yet. */
  #tookAny = false;

  /**
   * Creates the budget of one worker.
   *
   * @param limits The worker's request count and run length (`undefined` when unset),
   * the run's whole rate profile, and this worker's share of its arrivals.
   * @param startPerf The run's start, as a `performance.now()` time.
   * @param progress The shared progress memory, whose stop flag ends the run.
   */
  constructor(
    limits: {
      requests?: number;
      durationMs?: number;
      rate?: LoadProfile;
      slot: number;
      agents: number;
    },
    startPerf: number,
    progress: Uint32Array,
  ) {
    this.#remaining = limits.requests ?? Infinity;
    this.deadline = limits.durationMs === undefined ? Infinity : startPerf + limits.durationMs;
    this.paced = limits.rate !== undefined;
    this.#rate = limits.rate;
    this.#agent = limits.slot;
    this.#agents = limits.agents;
    this.#startPerf = startPerf;
    this.#progress = progress;
  }

  /** True once the run is asked to stop: the drain window ended or the caller cancelled. */
  stopRequested(): boolean {
    return this.stopping || Atomics.load(this.#progress, PROGRESS.stop) === 1;
  }

  /**
   * Takes one request to send; false when the run has no more. The first request of a
   * worker is taken even after the deadline: a worker may start a little after the
   * run's start, and a very short run (`-d 0.0001ms`) must not end having sent nothing.
   */
  take(now: number): boolean {
    if (
      this.#remaining <= 0 || (now >= this.deadline && this.#tookAny) || this.stopRequested()
    ) return false;
    this.#remaining--;
    this.sent++;
    this.#tookAny = true;
    return true;
  }

  /** Returns `count` taken requests that were not sent (they may be taken again). */
  giveBack(count: number): void {
    this.#remaining += count;
    this.sent -= count;
  }

  /**
   * The intended start of the next request with a rate (a `performance.now()` time;
   * `Infinity` when the rate fell to 0 for good). Worker i of W sends the run's arrivals
   * i, i + W, i + 2W, …, so the workers together keep the exact rate.
   */
  nextArrival(): number {
    const k = this.#agent + this.#nextArrival++ * this.#agents;
    return this.#startPerf + intendedStartMs(this.#rate!, k);
  }
}
