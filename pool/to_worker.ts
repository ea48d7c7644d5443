/**
 * {@linkcode toWorker}: Python's `asyncio.to_thread`: run one blocking function
 * off the main thread.
 *
 * @module
 */

import type { Task } from "./task.ts";
import type { TaskFunction } from "./types.ts";
import { WorkerPool } from "./worker_pool.ts";

let defaultPool: WorkerPool | undefined;

/**
 * Runs a self-contained function in a worker of a default pool and returns its
 * task. The default pool never keeps the process alive: it starts workers on
 * demand (up to `navigator.hardwareConcurrency`) and ends each one as soon as it
 * has nothing to do, since a live Web Worker keeps a Deno process running.
 *
 * The function is sent as source, so it must not use variables from outside its
 * body: pass what it needs as arguments.
 *
 * @param fn The function.
 * @param args Its arguments.
 * @returns The task of the call.
 * @throws {TypeError} When `fn` is native or bound.
 *
 * @example Hash off the main thread
 * ```ts
 * import { toWorker } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const sum = (n: number) => {
 *   let s = 0;
 *   for (let i = 0; i < n; i++) s += i;
 *   return s;
 * };
 * assertEquals(await toWorker(sum, 1000), 499500);
 * ```
 */
export function toWorker<F extends TaskFunction>(
  fn: F,
  ...args: Parameters<F>
): Task<Awaited<ReturnType<F>>> {
  defaultPool ??= new WorkerPool({ idleTimeout: 0, name: "tandem-to-worker" });
  return defaultPool.submit(fn, args);
}
