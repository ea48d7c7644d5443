/**
 * {@linkcode Task}: the handle of one submitted task, awaitable like a promise,
 * with an id, a state and `cancel()`.
 *
 * @module
 */

import { progressIterator } from "./_progress.ts";

/**
 * Where a task is in its life.
 */
export type TaskState = "queued" | "running" | "fulfilled" | "rejected" | "cancelled";

/** Options of {@linkcode Task.progress}. */
export interface TaskProgressOptions {
  /**
   * Ends the iteration when aborted: the pending or next `next()` throws its reason.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * What an executor implements behind a {@linkcode Task}. Only executors create
 * tasks; user code never needs this interface.
 *
 * @example A handle that is already fulfilled
 * ```ts
 * import { Task, type TaskHandle } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * const handle: TaskHandle<number> = {
 *   state: "fulfilled",
 *   promise: () => Promise.resolve(1),
 *   cancel: () => false,
 * };
 * assertEquals(await new Task(1, handle), 1);
 * ```
 */
export interface TaskHandle<T> {
  /** The current state. */
  readonly state: TaskState;
  /** A promise of the outcome (created on first use). */
  promise(): Promise<T>;
  /** Cancels the task; returns whether it was still unsettled. */
  cancel(reason?: unknown): boolean;
  /**
   * Adds a listener of the task's progress reports; returns a function that
   * removes it. Optional: a handle without it reports no progress.
   */
  onProgress?(listener: (value: unknown) => void): () => void;
}

/**
 * A submitted task: `await` it for its result. It never causes an unhandled
 * rejection by itself: a failure is only thrown where the task is awaited.
 *
 * @typeParam T The task's result type.
 *
 * @example Await and inspect a task
 * ```ts
 * import { WorkerPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPool({ size: 1 });
 * const task = pool.submit((a: number, b: number) => a + b, [1, 2]);
 * assertEquals(await task, 3);
 * assertEquals(task.state, "fulfilled");
 * ```
 */
export class Task<T> implements PromiseLike<T> {
  /** The task id, unique in its executor. */
  readonly id: number;
  #handle: TaskHandle<T>;

  /**
   * Creates a task over an executor's handle (executors do this).
   *
   * @param id The task id.
   * @param handle The executor's handle.
   */
  constructor(id: number, handle: TaskHandle<T>) {
    this.id = id;
    this.#handle = handle;
  }

  /**
   * The state: `"queued"`, `"running"`, `"fulfilled"`, `"rejected"` or
   * `"cancelled"`.
   *
   * @example Read a task state
   * ```ts
   * import { WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 1 });
   * const task = pool.submit(() => 1, []);
   * await task;
   * assertEquals(task.state, "fulfilled");
   * ```
   *
   * @returns The current state.
   */
  get state(): TaskState {
    return this.#handle.state;
  }

  /**
   * Cancels the task. A queued task is removed from the queue. A running one is
   * rejected at once and asked to stop (its `TaskContext.signal` aborts); other
   * tasks go on. Then:
   *
   * - `ProcessPool`: its process is killed at once and replaced. A process reports
   *   every outcome before it starts its next task, so its oldest unreported task is
   *   the one it runs; the pool reads what a killed process wrote last, moves the
   *   tasks it had not started to other processes and runs none twice. A cancelled
   *   task still queued in a process is skipped, or its process killed once it
   *   stayed the oldest unreported task for a `cancelGrace`.
   * - `WorkerPool`: if the task has not returned within the pool's `cancelGrace`
   *   (100 ms by default), its worker is ended and replaced, and the tasks queued
   *   behind it move to other workers. A task that returns in time (it polled the
   *   signal) keeps its worker: it stopped cleanly, and ending the worker would only
   *   cost a restart and a new `initializer` run, since Deno 2.9.6 cannot stop a
   *   thread in synchronous code any sooner than the task itself does.
   * - `AsyncPool`: the function's signal aborts; it runs on until it notices.
   *
   * @param reason The rejection reason; defaults to an `AbortError` `DOMException`.
   * @returns `true` if the task was unsettled and is now cancelled.
   */
  cancel(reason?: unknown): boolean {
    return this.#handle.cancel(reason);
  }

  /**
   * Listens to what the task reports with `getTaskContext()?.progress(value)`
   * while it runs (in a `WorkerPool`, `ProcessPool` or `AsyncPool`). Listeners run
   * in this thread, in the order the task reported; reports that arrive after the
   * task settled are dropped. A listener that throws is reported as an uncaught
   * error, as an event listener's is.
   *
   * @param listener Called with each reported value (a structured clone).
   * @returns A function that removes the listener (a no-op for a handle that reports
   * no progress).
   *
   * @example Follow a task's progress
   * ```ts
   * import { getTaskContext, WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 1 });
   * const task = pool.submit((n: number) => {
   *   for (let i = 1; i <= n; i++) getTaskContext()?.progress(i / n);
   *   return n;
   * }, [4]);
   * const seen: unknown[] = [];
   * const stop = task.onProgress((value) => seen.push(value));
   * assertEquals(await task, 4);
   * stop();
   * assertEquals(seen, [0.25, 0.5, 0.75, 1]);
   * ```
   */
  onProgress(listener: (value: unknown) => void): () => void {
    return this.#handle.onProgress?.(listener) ?? noop;
  }

  /**
   * The task's progress reports as an async iterable: the values it passes to
   * `getTaskContext()?.progress(value)` from this call on, in order, buffered until
   * read (none is lost between this call and the first `next()`). The iteration
   * ends once the task settled and every value reported before was read, whether
   * it was fulfilled, failed or cancelled: it never throws the task's error, so
   * `await` the task for its outcome. Leaving the loop early (`break`) stops
   * listening and drops what was buffered.
   *
   * @param options `signal`: aborting it ends the iteration, with its reason thrown
   * from the pending or next `next()` (the task itself goes on: cancel it with
   * {@linkcode Task.cancel}).
   * @returns An async iterable iterator of the reported values (structured clones).
   * @throws {TypeError} If `signal` is not an `AbortSignal`.
   *
   * @example Show a task's progress, then its result
   * ```ts
   * import { getTaskContext, WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 1 });
   * const task = pool.submit((n: number) => {
   *   for (let i = 1; i <= n; i++) getTaskContext()?.progress(`${i}/${n}`);
   *   return n;
   * }, [3]);
   * const seen: unknown[] = [];
   * for await (const step of task.progress()) seen.push(step);
   * assertEquals(seen, ["1/3", "2/3", "3/3"]);
   * assertEquals(await task, 3);
   * ```
   *
   * @example Stop following after a while, without cancelling the task
   * ```ts
   * import { getTaskContext, WorkerPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPool({ size: 1 });
   * const task = pool.submit(() => {
   *   getTaskContext()?.progress("started");
   *   return "done";
   * }, []);
   * const controller = new AbortController();
   * try {
   *   for await (const step of task.progress({ signal: controller.signal })) {
   *     assertEquals(step, "started");
   *     controller.abort();
   *   }
   * } catch (error) {
   *   assertEquals((error as DOMException).name, "AbortError");
   * }
   * assertEquals(await task, "done");
   * ```
   */
  progress(options: TaskProgressOptions = {}): AsyncIterableIterator<unknown> {
    return progressIterator(this.#handle as TaskHandle<unknown>, options.signal);
  }

  /**
   * Attaches callbacks, as `Promise.prototype.then` does.
   *
   * @param onFulfilled Called with the result.
   * @param onRejected Called with the error.
   * @returns A promise of the callback's result.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#handle.promise().then(onFulfilled, onRejected);
  }

  /**
   * Attaches a rejection handler, as `Promise.prototype.catch` does.
   *
   * @param onRejected Called with the error.
   * @returns A promise of the result or of the handler's result.
   */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#handle.promise().catch(onRejected);
  }

  /**
   * Attaches a handler run on either outcome, as `Promise.prototype.finally` does.
   *
   * @param onFinally Called when the task settles.
   * @returns A promise of the same outcome.
   */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#handle.promise().finally(onFinally);
  }

  /**
   * The tag shown by `Object.prototype.toString`.
   *
   * @returns `"Task"`.
   */
  get [Symbol.toStringTag](): string {
    return "Task";
  }
}

function noop(): void {}
