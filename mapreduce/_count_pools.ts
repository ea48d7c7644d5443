/**
 * Private: the worker pools that count words, whether `wordFrequency` starts one for a
 * call or a {@linkcode WordCountPool} keeps one across calls.
 *
 * @module
 */

import { WorkerPool } from "../pool/worker_pool.ts";
import { poolCounters } from "./_pool_counters.ts";

/** A pool of word-count workers. */
export type CountPool = WorkerPool<typeof import("./_word_count_worker.ts")>;

/** The pool behind each `WordCountPool` (kept off its public surface). */
export const countPools: WeakMap<object, CountPool> = new WeakMap();

/** Starts a pool of `size` word-count workers. */
export function newCountPool(size: number): CountPool {
  return new WorkerPool<typeof import("./_word_count_worker.ts")>(
    new URL("./_word_count_worker.ts", import.meta.url),
    { size, name: "tandem-wordcount" },
  );
}

/** Shuts `pool` down, at once or after its tasks (`wait`), and counts its workers. */
export async function endCountPool(pool: CountPool, wait: boolean): Promise<void> {
  await pool.shutdown({ wait });
  const stats = pool.stats;
  poolCounters.pools++;
  poolCounters.started += stats.started;
  poolCounters.terminated += stats.terminated;
  poolCounters.alive += stats.workers;
}

/**
 * Runs `fn` on the pool of `given` (a `WordCountPool`, left running), or else on a new
 * pool of `size` workers that is shut down afterwards.
 */
export async function onPool(
  given: object | undefined,
  size: number,
  fn: (pool: CountPool) => Promise<void>,
): Promise<void> {
  if (given !== undefined) return await fn(countPools.get(given)!);
  const pool = newCountPool(size);
  try {
    await fn(pool);
  } finally {
    await endCountPool(pool, false);
  }
}
