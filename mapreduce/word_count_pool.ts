/**
 * `WordCountPool`: word-count workers kept across `wordFrequency` calls.
 *
 * @module
 */

import { checkInteger } from "../sync/_checks.ts";
import { countPools, endCountPool, newCountPool } from "./_count_pools.ts";

/** Options for {@linkcode WordCountPool}. */
export interface WordCountPoolOptions {
  /**
   * Number of workers, at least 1.
   *
   * @default {navigator.hardwareConcurrency}
   */
  workers?: number;
}

/**
 * Workers that count words for any number of `wordFrequency` calls (its
 * `pool` option), so that each call after the first skips starting workers (about
 * 40 ms for two here) and the set-up of their code. Without one, each call starts its
 * own workers and ends them. Close it with `await using`, or
 * {@linkcode WordCountPool.close}.
 *
 * @example Counting several texts on the same two workers
 * ```ts
 * import { WordCountPool, wordFrequency } from "@tandem/tandem/mapreduce";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WordCountPool({ workers: 2 });
 * const options = { pool, chunkBytes: 16 };
 * const first = await wordFrequency("to be or not to be, that is the question", options);
 * const second = await wordFrequency("the rest is silence", options);
 * assertEquals(first.get("to"), 2);
 * assertEquals(second.get("silence"), 1);
 * ```
 */
export class WordCountPool implements AsyncDisposable {
  /** The number of workers. */
  readonly workers: number;
  #closed = false;

  /**
   * Starts the workers.
   *
   * @param options The number of workers.
   * @throws {RangeError} If `workers` is not a positive integer.
   * @throws {TypeError} If `workers` is not a number.
   */
  constructor(options: WordCountPoolOptions = {}) {
    const workers = checkInteger(
      options.workers,
      "workers",
      "Cannot create WordCountPool",
      navigator.hardwareConcurrency,
    );
    this.workers = workers;
    countPools.set(this, newCountPool(workers));
  }

  /**
   * Whether {@linkcode WordCountPool.close} was called.
   *
   * @example After closing
   * ```ts
   * import { WordCountPool } from "@tandem/tandem/mapreduce";
   * import { assert } from "@std/assert";
   *
   * const pool = new WordCountPool({ workers: 1 });
   * await pool.close();
   * assert(pool.closed);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends the workers once the tasks already given to them finish: close the pool after
   * its counts settle, as a count that still has chunks to hand out (a stream) rejects
   * with a `TypeError`. A later `wordFrequency(..., { pool })` rejects with a
   * `TypeError` too. Closing twice is a no-op.
   *
   * @example Closing
   * ```ts
   * import { WordCountPool, wordFrequency } from "@tandem/tandem/mapreduce";
   * import { assertRejects } from "@std/assert";
   *
   * const pool = new WordCountPool({ workers: 1 });
   * await pool.close();
   * await assertRejects(() => wordFrequency("a b\nc", { pool, chunkBytes: 2 }), TypeError);
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await endCountPool(countPools.get(this)!, true);
  }

  /**
   * Same as {@linkcode WordCountPool.close}, for `await using`.
   *
   * @example With `await using`
   * ```ts
   * import { WordCountPool } from "@tandem/tandem/mapreduce";
   *
   * {
   *   await using _pool = new WordCountPool({ workers: 1 });
   * } // the worker has ended here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
