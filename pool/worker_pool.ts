/**
 * {@linkcode WorkerPool}: a pool of Web Workers that run the exports of a task
 * module (or self-contained functions), Python's `ProcessPoolExecutor` with
 * threads that really run in parallel.
 *
 * Deno 2.9.6 cannot preempt a worker stuck in synchronous code: `terminate()`
 * returns, but the thread keeps running (and keeps the process alive) until its
 * code returns to the event loop. So a task that may run long should poll
 * `getTaskContext()?.signal.aborted`; the pool sets it on cancel and timeout and
 * only then ends the worker. For a hard guarantee use `ProcessPool`.
 *
 * @module
 */

import { type Channel, type ChannelEvents, PoolCore } from "./_pool_core.ts";
import { resolveModule } from "./_module_url.ts";
import { CTL_LENGTH, MSG_RESULTS } from "./_protocol.ts";
import type { Task } from "./task.ts";
import type {
  MapOptions,
  PoolOptions,
  PoolStats,
  ShutdownOptions,
  SubmitOptions,
  TaskArgs,
  TaskFunction,
  TaskInput,
  TaskName,
  TaskResult,
} from "./types.ts";

const WORKER_MAIN = new URL("./_worker_main.ts", import.meta.url);

function workerChannel(module: string | undefined) {
  // The worker loads the task module at once, in parallel with its own code.
  const entry = module === undefined
    ? WORKER_MAIN
    : new URL(`#${encodeURIComponent(module)}`, WORKER_MAIN);
  return (name: string, events: ChannelEvents): Channel => startWorker(entry, name, events);
}

function startWorker(entry: URL, name: string, events: ChannelEvents): Channel {
  const ctl = new Int32Array(new SharedArrayBuffer(CTL_LENGTH * 4));
  const worker = new Worker(entry, { type: "module", name });
  worker.onmessage = (event: MessageEvent) => events.message(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    events.exit(`uncaught ${event.message ?? "error"}`);
  };
  worker.onmessageerror = () => {
    events.message({ t: MSG_RESULTS, r: [] });
  };
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    kill: () => worker.terminate(),
    ctl,
    hardKill: false,
    kind: "worker",
  };
}

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
export class WorkerPool<M = Record<string, TaskFunction>> implements AsyncDisposable {
  #core: PoolCore;

  /**
   * Creates a pool for the exports of a task module.
   *
   * @param module The task module's URL, or a path relative to the working directory.
   * @param options The pool options.
   * @throws {TypeError} When the module file does not exist.
   * @throws {RangeError} When `size` or another option is out of range.
   */
  constructor(module: string | URL, options?: PoolOptions);
  /**
   * Creates a pool for self-contained functions.
   *
   * @param options The pool options.
   * @throws {RangeError} When `size` or another option is out of range.
   */
  constructor(options?: PoolOptions);
  constructor(moduleOrOptions?: string | URL | PoolOptions, options?: PoolOptions) {
    if (typeof moduleOrOptions === "string" || moduleOrOptions instanceof URL) {
      const url = resolveModule(moduleOrOptions, "pool");
      this.#core = new PoolCore(workerChannel(url.href), url.href, options);
    } else {
      this.#core = new PoolCore(workerChannel(undefined), undefined, moduleOrOptions);
    }
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
   * @returns The counters.
   */
  get stats(): PoolStats {
    return this.#core.stats;
  }

  /**
   * Runs an export of the task module in a worker.
   *
   * @param name The export's name.
   * @param args Its arguments.
   * @param options `signal`, `timeout`, `transfer`.
   * @returns The task; a failure rejects it (never throws here).
   * @throws {TypeError} When `args` is not an array.
   * @throws {RangeError} When `timeout` is negative.
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
   * the single argument. Inputs are consumed lazily, `chunkSize` per message.
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
