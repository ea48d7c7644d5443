/**
 * {@linkcode PoolExecutor}: the executor interface shared by `WorkerPool` and
 * `ProcessPool` (Python's `concurrent.futures.Executor`).
 *
 * @module
 */

import { denoFlags, processChannel } from "./_process_channel.ts";
import { resolveModule } from "./_module_url.ts";
import { PoolCore } from "./_pool_core.ts";
import { workerChannel } from "./_worker_channel.ts";
import type { Task } from "./task.ts";
import type {
  MapOptions,
  PoolStats,
  ProcessPoolOptions,
  ShutdownOptions,
  SubmitOptions,
  TaskArgs,
  TaskFunction,
  TaskInput,
  TaskName,
  TaskResult,
} from "./types.ts";

/**
 * The executor interface of `WorkerPool` and `ProcessPool`: `submit`, `map`,
 * `whenReady`, `shutdown`, `stats` and `await using`. Create one of those two;
 * this class only holds what they share.
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Both pools are executors
 * ```ts
 * import { PoolExecutor, WorkerPool } from "@tandem/tandem/pool";
 * import { assert } from "@std/assert";
 *
 * await using pool = new WorkerPool({ size: 1 });
 * assert(pool instanceof PoolExecutor);
 * ```
 */
export abstract class PoolExecutor<M = Record<string, TaskFunction>> implements AsyncDisposable {
  #core: PoolCore;

  /**
   * Creates the executor (subclasses call this).
   *
   * @param kind `"worker"` for Web Workers, `"process"` for `deno` subprocesses.
   * @param moduleOrOptions The task module, or the options of a pool without one.
   * @param options The options when a module is given.
   * @throws {TypeError} When the module file does not exist, or `name` or `initArgs`
   * has the wrong type.
   * @throws {DOMException} `DataCloneError` when `initArgs` cannot be sent to a worker.
   * @throws {RangeError} When an option is out of range.
   */
  protected constructor(
    kind: "worker" | "process",
    moduleOrOptions?: string | URL | ProcessPoolOptions,
    options?: ProcessPoolOptions,
  ) {
    let url: URL | undefined;
    if (typeof moduleOrOptions === "string" || moduleOrOptions instanceof URL) {
      url = resolveModule(moduleOrOptions, kind === "worker" ? "pool" : "process pool");
    } else {
      options = moduleOrOptions;
    }
    options ??= {};
    const factory = kind === "worker"
      ? workerChannel(url?.href)
      : processChannel(denoFlags(options), url, options.maxMemoryMb !== undefined);
    this.#core = new PoolCore(factory, url?.href, options);
  }

  /**
   * The configured number of workers.
   *
   * @returns The pool size.
   */
  get size(): number {
    return this.#core.size;
  }

  /**
   * A snapshot of the pool's counters; `workers` is 0 once every worker ended.
   *
   * @example Check that every worker ended
   * ```ts
   * import { WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * const pool = new WorkerPool({ size: 1 });
   * await pool.submit(() => 1, []);
   * await pool.shutdown();
   * const { completed, workers } = pool.stats;
   * assertEquals([completed, workers], [1, 0]);
   * ```
   *
   * @returns The counters.
   */
  get stats(): PoolStats {
    return this.#core.stats;
  }

  /**
   * Runs an export of the task module in a worker (a thread or a process).
   *
   * @param name The export's name.
   * @param args Its arguments.
   * @param options `signal`, `timeout`, `transfer`.
   * @returns The task; a failure rejects it (never throws here).
   * @throws {TypeError} When `args` is not an array.
   * @throws {RangeError} When `timeout` is not 0 to 2³¹−1 ms or `Infinity`.
   */
  submit<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: SubmitOptions,
  ): Task<TaskResult<M, K>>;
  /**
   * Runs a self-contained function in a worker (sent as source, so it must not
   * use variables from outside its body).
   *
   * @example Give a task a deadline
   * ```ts
   * import { WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 1 });
   * const options = { timeout: 5_000, signal: AbortSignal.timeout(10_000) };
   * assertEquals(await pool.submit((x: number) => x + 1, [1], options), 2);
   * ```
   *
   * @param fn The function.
   * @param args Its arguments.
   * @param options `signal`, `timeout`, `transfer`.
   * @returns The task; a failure rejects it.
   * @throws {TypeError} When `fn` is native or bound.
   */
  submit<F extends TaskFunction>(
    fn: F,
    args: Parameters<F>,
    options?: SubmitOptions,
  ): Task<Awaited<ReturnType<F>>>;
  submit(
    nameOrFn: string | TaskFunction,
    args: readonly unknown[],
    options?: SubmitOptions,
  ): Task<unknown> {
    return this.#core.submit(nameOrFn, args, options);
  }

  /**
   * Maps every input through an export (Python's `Executor.map`): each input is
   * the single argument. Inputs are consumed lazily, `chunkSize` per message; an
   * async iterable is pulled in the background, so results arrive while it is slow
   * to produce more.
   *
   * @param name The export's name.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`.
   * @returns An async iterable of the results; the first failure is thrown at its turn.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<K extends TaskName<M>>(
    name: K,
    inputs: Iterable<TaskInput<M, K>> | AsyncIterable<TaskInput<M, K>>,
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>>;
  /**
   * Maps every input through a self-contained function.
   *
   * @example Batch inputs
   * ```ts
   * import { WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 2 });
   * const out = await Array.fromAsync(
   *   pool.map((x: number) => -x, [1, 2, 3], { chunkSize: 2, ordered: true }),
   * );
   * assertEquals(out, [-1, -2, -3]);
   * ```
   *
   * @param fn The function.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`.
   * @returns An async iterable of the results.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<I, R>(
    fn: (input: I) => R,
    inputs: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>>;
  map(
    nameOrFn: string | TaskFunction,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    options?: MapOptions,
  ): AsyncIterableIterator<unknown> {
    return this.#core.map(nameOrFn, inputs, options);
  }

  /**
   * Resolves when the queue is below `maxQueue` (at once without it): await it
   * before `submit` to wait instead of being rejected.
   *
   * @returns A promise that resolves when a task can be queued.
   */
  whenReady(): Promise<void> {
    return this.#core.whenReady();
  }

  /**
   * Shuts the pool down: `submit` rejects from now on; waits for the tasks (up to
   * `timeout`), then ends every worker. Always settles in bounded time.
   *
   * @example Shut down, waiting at most 5 s
   * ```ts
   * import { WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * const pool = new WorkerPool({ size: 1 });
   * pool.submit(() => 1, []);
   * await pool.shutdown({ wait: true, cancelPending: false, timeout: 5_000 });
   * assertEquals(pool.stats.workers, 0);
   * ```
   *
   * @param options `wait`, `cancelPending`, `timeout`.
   * @returns A promise that resolves once every worker ended.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#core.shutdown(options);
  }

  /**
   * Shuts down on scope exit (`await using pool = …`), as `shutdown()` does.
   *
   * @returns A promise that resolves once every worker ended.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#core.shutdown();
  }
}
