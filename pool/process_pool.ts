/**
 * {@linkcode ProcessPool}: the same executor as `WorkerPool`, each worker a
 * `deno` subprocess (Python's `multiprocessing`, literally). A task that
 * overruns its timeout or is cancelled is killed for real; a crash (exit code,
 * signal, out of memory) fails only its own task; each pool runs its workers
 * with the Deno permissions you give it (none by default: the task module and its
 * imports load without any), and optionally a heap cap.
 *
 * Data crosses the pipe as `node:v8` structured-clone frames. The workers' console
 * output goes to this process's stderr (a task must not write to `Deno.stdout`
 * itself: that is the pipe). `sync/` objects cannot be shared with a
 * process (no shared memory): use `WorkerPool` for them.
 *
 * @module
 */

import { PoolExecutor } from "./pool_executor.ts";
import type { ProcessPoolOptions, TaskFunction } from "./types.ts";

/**
 * A pool of `deno` subprocesses with the interface of `WorkerPool`.
 *
 * Use it for untrusted or crash-prone tasks, for tasks that must be stopped
 * mid-loop (Deno 2.9.6 cannot preempt a Web Worker), or to cap a task's memory.
 * Its per-task overhead is higher than `WorkerPool`'s (see the README).
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Run exports in subprocesses
 * ```ts ignore
 * import { ProcessPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new ProcessPool<typeof import("./tasks.ts")>(
 *   new URL("./tasks.ts", import.meta.url),
 *   { size: 2, permissions: { net: ["127.0.0.1"] }, maxMemoryMb: 256 },
 * );
 * assertEquals(await pool.submit("add", [1, 2]), 3);
 * ```
 *
 * @example Run a self-contained function in a sandboxed subprocess
 * ```ts
 * import { ProcessPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * // May reach only 127.0.0.1:8080, with a heap of at most 128 MiB.
 * await using pool = new ProcessPool({
 *   size: 1,
 *   permissions: { net: ["127.0.0.1:8080"] },
 *   maxMemoryMb: 128,
 * });
 * assertEquals(await pool.submit((x: number) => x * 2, [21]), 42);
 * ```
 */
export class ProcessPool<M = Record<string, TaskFunction>> extends PoolExecutor<M> {
  /**
   * Creates a process pool for the exports of a task module.
   *
   * @param module The task module's URL, or a path relative to the working directory.
   * @param options The pool options, `permissions` and `maxMemoryMb`.
   * @throws {TypeError} When the module file does not exist, a permission is malformed,
   * or `name` or `initArgs` has the wrong type.
   * @throws {DOMException} `DataCloneError` when `initArgs` cannot be sent to a worker.
   * @throws {RangeError} When `size`, `maxMemoryMb` or another option is out of range.
   */
  constructor(module: string | URL, options?: ProcessPoolOptions);
  /**
   * Creates a process pool for self-contained functions.
   *
   * @param options The pool options.
   * @throws {TypeError} When `initializer` is given (it needs a module), or `name` or
   * `initArgs` has the wrong type.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(options?: ProcessPoolOptions);
  constructor(moduleOrOptions?: string | URL | ProcessPoolOptions, options?: ProcessPoolOptions) {
    super("process", moduleOrOptions, options);
  }
}
