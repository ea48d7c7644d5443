/**
 * Task module of the executor example in docs/pool.md: a CPU-bound loop that stops early when
 * the pool cancels its task or the task times out.
 *
 * @module
 */
import { getTaskContext } from "@tandem/tandem/pool";

/** Sums the integers below `n`. */
export function count(n: number): number {
  const signal = getTaskContext()?.signal;
  let total = 0;
  for (let i = 0; i < n; i++) {
    // One Atomics.load per million steps: cheap, and the pool's 100 ms `cancelGrace` is far off.
    if (i % 1_000_000 === 0 && signal?.aborted) return total; // the task already rejected
    total += i;
  }
  return total;
}
