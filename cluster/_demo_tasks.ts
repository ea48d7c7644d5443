/**
 * Private: the task module of `deno task cluster:demo`, deployed with its workers.
 *
 * @module
 */

import { getTaskContext } from "../pool/task_context.ts";

/** The n-th Fibonacci number, the slow way (CPU-bound). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** `x * x`, a tiny task for `map`. */
export function square(x: number): number {
  return x * x;
}

/**
 * Which worker process runs the task: `"<host>:<pid>"`, after `ms` milliseconds, so
 * that a worker holding its one job leaves the next one to the other worker.
 */
export async function where(ms = 0): Promise<string> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return getTaskContext()?.workerName ?? `?:${Deno.pid}`;
}

/** Counts to `n` in `steps` steps, reporting each step, until cancelled. */
export async function countSlowly(steps: number, msPerStep: number): Promise<number> {
  const context = getTaskContext();
  for (let i = 1; i <= steps; i++) {
    if (context?.signal.aborted) return i - 1;
    await new Promise((resolve) => setTimeout(resolve, msPerStep));
    context?.progress?.(i);
  }
  return steps;
}
