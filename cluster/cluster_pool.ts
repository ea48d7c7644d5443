/**
 * {@linkcode ClusterPool}: the executor of `WorkerPool` across machines. Tasks
 * become BullMQ jobs in a Redis queue; `deno task worker` processes on any number of
 * machines take them and run them in a local `WorkerPool` (or `ProcessPool`). Like
 * Python's `distributed.Client`, it is the same executor interface as the local
 * pools: `submit`, `map`, `Task`, `asCompleted`, `wait`, `shutdown`, `await using`.
 *
 * @module
 */

import type { Task } from "../pool/task.ts";
import type {
  PoolStats,
  ShutdownOptions,
  TaskArgs,
  TaskFunction,
  TaskInput,
  TaskName,
  TaskResult,
} from "../pool/types.ts";
import { ClusterCore } from "./_cluster_core.ts";
import type { ClusterMapOptions, ClusterPoolOptions, ClusterSubmitOptions } from "./types.ts";

/**
 * An executor whose workers are `deno task worker` processes on any machine that
 * reaches the same Redis server.
 *
 * Tasks name exports of a task module deployed with the workers (functions cannot
 * be sent as source: the code must already be on the workers). Arguments and
 * results cross Redis as `node:v8` structured clones, as with `ProcessPool`: `Date`,
 * `Map`, `Set`, typed arrays, `BigInt` and errors (class, message, stack, cause, own
 * properties) arrive intact. `sync/` objects and `SharedArrayBuffer`s cannot cross
 * machines: `submit` throws a `TypeError` for them.
 *
 * A worker that dies or goes silent keeps its jobs for `leaseMs`; then another worker
 * runs them (BullMQ's stalled-job check). So a task may run more than once when a
 * worker dies mid-task: tasks with side effects should be idempotent.
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Options are checked before any connection
 * ```ts
 * import { ClusterPool } from "@tandem/tandem/cluster";
 * import { assertThrows } from "@std/assert";
 *
 * assertThrows(
 *   () => new ClusterPool("./tasks.ts", { redis: "http://127.0.0.1", queue: "demo" }),
 *   TypeError,
 * );
 * ```
 *
 * @example Run the exports of a module on workers
 * ```ts
 * import { ClusterPool } from "@tandem/tandem/cluster";
 * import { asCompleted } from "@tandem/tandem/pool";
 *
 * // The exports of ./tasks.ts, the module the workers run (`deno task worker
 * // --redis redis://HOST:6379 --queue demo ./tasks.ts` on each machine).
 * type Tasks = { fib(n: number): number };
 *
 * // Results in the order they finish, from whichever machines ran them.
 * export async function fibs(redis: string, ns: number[]): Promise<number[]> {
 *   await using pool = new ClusterPool<Tasks>(new URL("./tasks.ts", import.meta.url), {
 *     redis,
 *     queue: "demo",
 *   });
 *   const values: number[] = [];
 *   for await (const value of asCompleted(ns.map((n) => pool.submit("fib", [n])))) {
 *     values.push(value);
 *   }
 *   return values;
 * }
 * ```
 *
 * @example Re-attach to a task submitted by an earlier process
 * ```ts
 * import { ClusterPool } from "@tandem/tandem/cluster";
 *
 * // A job id saved by the process that called `pool.jobId(pool.submit(...))`.
 * export async function resultOf(redis: string, jobId: string): Promise<number> {
 *   await using pool = new ClusterPool<{ fib(n: number): number }>("./tasks.ts", {
 *     redis,
 *     queue: "demo",
 *   });
 *   return await pool.task<number>(jobId); // while kept ('keepResultsMs', 1 hour)
 * }
 * ```
 */
export class ClusterPool<M = Record<string, TaskFunction>> implements AsyncDisposable {
  #core: ClusterCore;
  #module: string;

  /**
   * Creates a pool for the exports of a task module that the workers run.
   *
   * @param module The task module's URL or path, as the workers load it (only for
   * the type and for messages: the workers are given their module).
   * @param options `redis`, `queue`, `leaseMs`, `keepResultsMs`, `maxQueue`,
   * `shutdownTimeout`, `connectTimeout`, `prefix`.
   * @throws {TypeError} When `module` is a function, or `redis`, `queue` or `prefix`
   * is malformed (before any connection).
   * @throws {RangeError} When `leaseMs` or another number is out of range.
   */
  constructor(module: string | URL, options: ClusterPoolOptions) {
    if (typeof module === "function") {
      throw new TypeError(
        "Cannot create cluster pool for a function as its code must be deployed with the workers: pass the task module's URL",
      );
    }
    if (typeof module !== "string" && !(module instanceof URL)) {
      throw new TypeError(
        `Cannot create cluster pool as 'module' must be a URL or a path: received ${typeof module}`,
      );
    }
    this.#module = String(module);
    this.#core = new ClusterCore(options);
  }

  /**
   * The task module this pool was created for.
   *
   * @returns Its URL or path as given.
   */
  get module(): string {
    return this.#module;
  }

  /**
   * The queue's name.
   *
   * @returns The BullMQ queue name.
   */
  get queue(): string {
    return this.#core.queueName;
  }

  /**
   * A snapshot of the pool's counters. `size` and `workers` count the threads and
   * worker processes whose heartbeat Redis holds (refreshed at most once a second, in
   * the background; 0 after shutdown), `started` the distinct workers seen so far
   * (`terminated` stays 0: a worker's end is not reported); the task counters
   * (`busy` = running, `queued`, `completed`, `failed`, `cancelled`) cover this pool's
   * tasks only.
   *
   * @returns The counters.
   */
  get stats(): PoolStats {
    return this.#core.stats;
  }

  /**
   * Runs an export of the task module on a worker.
   *
   * @param name The export's name.
   * @param args Its arguments.
   * @param options `signal`, `timeout`, `attempts`, `backoff`, `priority`.
   * @returns The task; a failure rejects it.
   * @throws {TypeError} When `name` is a function (its code must be deployed with the
   * workers), `args` is not an array, or `args` holds a `sync/` object or a
   * `SharedArrayBuffer`.
   * @throws {RangeError} When an option is out of range.
   */
  submit<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: ClusterSubmitOptions,
  ): Task<TaskResult<M, K>> {
    return this.#core.submit(name, args, options) as Task<TaskResult<M, K>>;
  }

  /**
   * Maps every input through an export (Python's `Executor.map`): each input is the
   * single argument, `chunkSize` inputs per job. Inputs are consumed lazily, a bounded
   * number of jobs ahead of the results.
   *
   * @param name The export's name.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`, and each job's `timeout`,
   * `attempts`, `backoff`, `priority`.
   * @returns An async iterable of the results; the first failure is thrown at its turn.
   * @throws {TypeError} When `name` is a function or the pool is shut down.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<K extends TaskName<M>>(
    name: K,
    inputs: Iterable<TaskInput<M, K>> | AsyncIterable<TaskInput<M, K>>,
    options?: ClusterMapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>> {
    return this.#core.map(name, inputs, options) as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /**
   * The BullMQ job id of a task of this pool (dashboards show it; `task()` takes it).
   *
   * @param task A task returned by this pool.
   * @returns Its job id, or `undefined` for a task of another pool.
   */
  jobId(task: Task<unknown>): string | undefined {
    return this.#core.jobId(task);
  }

  /**
   * A task for a job submitted earlier, by this process or another one (re-attach
   * after a restart): it settles with the job's result or error while Redis keeps
   * the job (`keepResultsMs`), or rejects with a `RangeError` when there is none.
   *
   * @param jobId The job id (`pool.jobId(task)` in the process that submitted it).
   * @returns The task.
   * @throws {TypeError} When `jobId` is not a non-empty string.
   */
  task<R = unknown>(jobId: string): Task<R> {
    return this.#core.task(jobId) as Task<R>;
  }

  /**
   * Resolves once the pool is connected and holds fewer than `maxQueue` unfinished
   * tasks.
   *
   * @returns A promise that resolves when a task can be queued.
   * @throws {BrokenPoolError} When Redis did not answer within `connectTimeout`.
   */
  whenReady(): Promise<void> {
    return this.#core.whenReady();
  }

  /**
   * Shuts the pool down: `submit` rejects from now on; waits for the tasks (up to
   * `timeout`), cancels the rest (on the workers too), then closes every Redis
   * connection it opened. Settles in bounded time, also when Redis is gone.
   *
   * @param options `wait`, `cancelPending`, `timeout`.
   * @returns A promise that resolves once every connection is closed.
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#core.shutdown(options);
  }

  /**
   * Shuts down on scope exit (`await using pool = …`), as `shutdown()` does.
   *
   * @returns A promise that resolves once every connection is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.#core.shutdown();
  }
}
