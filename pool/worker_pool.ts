/**
 * {@linkcode WorkerPool}: a pool of Web Workers that run the exports of a task
 * module (or self-contained functions), Python's `ProcessPoolExecutor` with
 * threads that really run in parallel.
 *
 * Deno 2.9.6 cannot preempt a worker stuck in synchronous code: `terminate()`
 * returns, but the thread keeps running (and keeps the process alive) until its
 * code returns to the event loop. So a task that may run long should poll
 * `getTaskContext()?.signal.aborted`; the pool sets it on cancel and timeout and
 * only then ends the worker. For a hard guarantee use `ProcessPool`. Likewise a
 * worker that runs out of memory takes the whole Deno process down (there is no
 * per-worker heap limit): `ProcessPool`'s `maxMemoryMb` contains it.
 *
 * @module
 */

import { PoolExecutor } from "./pool_executor.ts";
import type { PoolOptions, TaskFunction } from "./types.ts";

/**
 * A pool of module Web Workers.
 *
 * With a module, tasks name its exports and are type-checked:
 * `new WorkerPool<typeof import("./tasks.ts")>(url)` makes
 * `submit("count", [1e8])` check the name, the arguments and the result. Without
 * a module, `submit(fn, args)` sends a self-contained function as source.
 *
 * Tasks are dispatched to the least-loaded worker, several per message when the
 * queue is deep. A task sees its {@linkcode TaskContext} through
 * `getTaskContext()`. Objects from `sync/` in arguments, `initArgs` and results
 * arrive as working objects sharing memory.
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Run a self-contained function
 * ```ts
 * import { WorkerPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPool({ size: 2 });
 * const square = (x: number) => x * x;
 * assertEquals(await pool.submit(square, [7]), 49);
 * const results = await Array.fromAsync(pool.map(square, [1, 2, 3]));
 * assertEquals(results, [1, 4, 9]);
 * ```
 *
 * @example Run the exports of a module
 * ```ts ignore
 * import { WorkerPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPool<typeof import("./tasks.ts")>(
 *   new URL("./tasks.ts", import.meta.url),
 *   { size: 2 },
 * );
 * assertEquals(await pool.submit("add", [1, 2]), 3);
 * ```
 */
export class WorkerPool<M = Record<string, TaskFunction>> extends PoolExecutor<M> {
  /**
   * Creates a pool for the exports of a task module.
   *
   * @param module The task module's URL, or a path relative to the working directory.
   * @param options The pool options.
   * @throws {TypeError} When the module file does not exist, or `name` or `initArgs`
   * has the wrong type.
   * @throws {DOMException} `DataCloneError` when `initArgs` cannot be sent to a worker.
   * @throws {RangeError} When `size` or another option is out of range.
   */
  constructor(module: string | URL, options?: PoolOptions);
  /**
   * Creates a pool for self-contained functions.
   *
   * @param options The pool options.
   * @throws {TypeError} When `initializer` is given (it needs a module), or `name` or
   * `initArgs` has the wrong type.
   * @throws {RangeError} When `size` or another option is out of range.
   */
  constructor(options?: PoolOptions);
  constructor(moduleOrOptions?: string | URL | PoolOptions, options?: PoolOptions) {
    super("worker", moduleOrOptions, options);
  }
}
