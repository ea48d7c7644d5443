/**
 * {@linkcode AsyncPool}: an in-thread executor for I/O-bound work with a
 * concurrency limit (Python's `ThreadPoolExecutor(max_workers=30)` for HTTP
 * calls), with the interface of the worker pools.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { checkDelay, checkInteger } from "../sync/_checks.ts";
import { mapResults } from "./_map.ts";
import { O_CANCELLED, O_FULFILLED, O_PENDING, O_REJECTED, Outcome } from "./_outcome.ts";
import { Task, type TaskHandle, type TaskState } from "./task.ts";
import { type TaskContext, TaskSignal } from "./task_context.ts";
import type { MapOptions, ShutdownOptions, SubmitOptions, TaskFunction } from "./types.ts";

/**
 * Options of an {@linkcode AsyncPool}.
 */
export interface AsyncPoolOptions {
  /**
   * Most tasks running at once.
   *
   * @default {10}
   */
  concurrency?: number;
  /**
   * Most tasks waiting; `submit` beyond it rejects with a `RangeError`.
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * Default `timeout` of every task in milliseconds, counted from its start.
   *
   * @default {Infinity}
   */
  taskTimeout?: number;
  /**
   * Milliseconds `shutdown()` and `[Symbol.asyncDispose]` wait for unfinished tasks
   * before they cancel them.
   *
   * @default {30000}
   */
  shutdownTimeout?: number;
}

/**
 * What an `AsyncPool` task sees as `this` (declare `function (this: AsyncTaskContext, …)`).
 *
 * @example Use the task signal
 * ```ts
 * import { AsyncPool, type AsyncTaskContext } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new AsyncPool({ concurrency: 2 });
 * const task = pool.submit(function (this: AsyncTaskContext) {
 *   return this.signal.aborted;
 * }, []);
 * assertEquals(await task, false);
 * ```
 */
export interface AsyncTaskContext {
  /** The task id. */
  readonly id: number;
  /** Aborts when the task is cancelled or times out: pass it to `fetch` and friends. */
  readonly signal: AbortSignal;
  /** Reports progress to the task's `onProgress` listeners (see `TaskContext.progress`). */
  progress(value: unknown): void;
}

/**
 * Where `getTaskContext()` finds the running `AsyncPool` task across `await`s: one
 * store on `globalThis`, shared by every copy of this module.
 */
const ASYNC_CONTEXT_KEY = Symbol.for("tandem.pool.asyncTaskContext");
const running: AsyncLocalStorage<AsyncJob> =
  ((globalThis as Record<symbol, unknown>)[ASYNC_CONTEXT_KEY] ??= new AsyncLocalStorage<
    AsyncJob
  >()) as AsyncLocalStorage<AsyncJob>;

/** The control array an `AbortTaskSignal` never reads. */
const NO_CTL = new Int32Array(0);

/** A `TaskSignal` over an `AbortSignal`, for `getTaskContext()` in an `AsyncPool`. */
class AbortTaskSignal extends TaskSignal {
  #signal: AbortSignal;
  #id: number;

  constructor(signal: AbortSignal, id: number) {
    super(NO_CTL, id);
    this.#signal = signal;
    this.#id = id;
  }

  override get aborted(): boolean {
    return this.#signal.aborted;
  }

  override get reason(): DOMException | undefined {
    if (!this.#signal.aborted) return undefined;
    const reason = this.#signal.reason;
    if (reason instanceof DOMException) return reason;
    return new DOMException(`Task ${this.#id} was cancelled`, "AbortError");
  }
}

/**
 * A snapshot of an `AsyncPool`'s counters.
 */
export interface AsyncPoolStats {
  /** The concurrency limit. */
  concurrency: number;
  /** Tasks running now. */
  running: number;
  /** Tasks waiting. */
  queued: number;
  /** Tasks fulfilled. */
  completed: number;
  /** Tasks rejected. */
  failed: number;
  /** Tasks cancelled. */
  cancelled: number;
}

class AsyncJob extends Outcome implements TaskHandle<unknown> {
  readonly id: number;
  fn: TaskFunction;
  args: unknown[];
  timeout: number;
  started = false;
  controller: AbortController | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  pool: AsyncPool;
  onSettle: (job: AsyncJob) => void;
  context: TaskContext | undefined;

  constructor(
    pool: AsyncPool,
    id: number,
    fn: TaskFunction,
    args: unknown[],
    timeout: number,
    onSettle: (job: AsyncJob) => void,
  ) {
    super();
    this.pool = pool;
    this.id = id;
    this.fn = fn;
    this.args = args;
    this.timeout = timeout;
    this.onSettle = onSettle;
  }

  get state(): TaskState {
    return this.settledState() ?? (this.started ? "running" : "queued");
  }

  /** The context `getTaskContext()` returns inside this task (made on first use). */
  taskContext(): TaskContext {
    return this.context ??= {
      id: this.id,
      signal: new AbortTaskSignal(this.controller!.signal, this.id),
      workerName: "async",
      progress: (value: unknown) => this.report(value),
    };
  }

  /**
   * Passes a clone of `value` to the progress listeners in a microtask: a task starts
   * within `submit()`, before its caller could add a listener.
   */
  report(value: unknown): void {
    const copy = structuredClone(value);
    queueMicrotask(() => this.progress(copy));
  }

  cancel(reason?: unknown): boolean {
    return this.settle(
      O_CANCELLED,
      reason ?? new DOMException(`Task ${this.id} was cancelled`, "AbortError"),
    );
  }

  settle(outcome: number, value: unknown): boolean {
    if (!this.publish(outcome, value)) return false;
    clearTimeout(this.timer);
    if (this.onAbort) this.signal!.removeEventListener("abort", this.onAbort);
    this.onAbort = undefined;
    if (outcome !== O_FULFILLED) this.controller?.abort(value);
    this.onSettle(this);
    return true;
  }
}

/**
 * Runs async functions in this thread, at most `concurrency` at a time: Python's
 * `ThreadPoolExecutor` for I/O work. A task sees an `AbortSignal` as
 * `this.signal` (see {@linkcode AsyncTaskContext}); cancelling a running task
 * rejects it at once and aborts that signal.
 *
 * @example Fetch-like work with a concurrency limit
 * ```ts
 * import { AsyncPool } from "@tandem/tandem/pool";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new AsyncPool({ concurrency: 3 });
 * const fetchLike = async (n: number) => {
 *   await new Promise((resolve) => setTimeout(resolve, 5));
 *   return n * 10;
 * };
 * const results = await Array.fromAsync(pool.map(fetchLike, [1, 2, 3, 4]));
 * assertEquals(results, [10, 20, 30, 40]);
 * assertEquals(await pool.submit(fetchLike, [5]), 50);
 * ```
 */
export class AsyncPool implements AsyncDisposable {
  #concurrency: number;
  #maxQueue: number;
  #taskTimeout: number;
  #shutdownTimeout: number;
  #queue: AsyncJob[] = [];
  #running = 0;
  #active = new Set<AsyncJob>();
  #nextId = 1;
  #closed = false;
  #outstanding = 0;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #idle: (() => void)[] = [];
  #onSettle = (job: AsyncJob) => {
    this.#outstanding--;
    if (job.outcome === O_FULFILLED) this.#completed++;
    else if (job.outcome === O_REJECTED) this.#failed++;
    else this.#cancelled++;
    if (this.#outstanding === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  };

  /**
   * Creates an in-thread pool.
   *
   * @param options `concurrency`, `maxQueue`, `taskTimeout`.
   * @throws {RangeError} When `concurrency` is not a positive integer, or a timeout is not
   * 0 to 2³¹−1 ms or `Infinity`.
   */
  constructor(options: AsyncPoolOptions = {}) {
    this.#concurrency = checkInteger(options.concurrency, "concurrency", "Cannot create pool", 10);
    this.#maxQueue = checkInteger(options.maxQueue, "maxQueue", "Cannot create pool", Infinity, {
      min: 0,
      infinite: true,
    });
    this.#shutdownTimeout = checkDelay(
      options.shutdownTimeout,
      "shutdownTimeout",
      "Cannot create pool",
      30_000,
    );
    this.#taskTimeout = checkDelay(
      options.taskTimeout,
      "taskTimeout",
      "Cannot create pool",
      Infinity,
    );
  }

  /**
   * A snapshot of the pool's counters.
   *
   * @example Read the counters
   * ```ts
   * import { AsyncPool } from "@tandem/tandem/pool";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new AsyncPool({ concurrency: 2 });
   * await pool.submit(() => 1, []);
   * assertEquals(pool.stats.completed, 1);
   * ```
   *
   * @returns The counters.
   */
  get stats(): AsyncPoolStats {
    return {
      concurrency: this.#concurrency,
      running: this.#running,
      queued: this.#outstanding - this.#running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
    };
  }

  /**
   * Runs `fn(...args)` when a slot is free.
   *
   * @param fn The function (sync or async); `this` is its {@linkcode AsyncTaskContext}.
   * @param args Its arguments.
   * @param options `signal`, `timeout`.
   * @returns The task.
   * @throws {TypeError} When `fn` is not a function or `args` not an array.
   * @throws {RangeError} When `timeout` is not 0 to 2³¹−1 ms or `Infinity`.
   */
  submit<F extends TaskFunction>(
    fn: F,
    args: Parameters<F>,
    options?: SubmitOptions,
  ): Task<Awaited<ReturnType<F>>> {
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot submit task as 'fn' must be a function: received ${typeof fn}`);
    }
    if (!Array.isArray(args)) {
      throw new TypeError(`Cannot submit task as 'args' must be an array: received ${typeof args}`);
    }
    const timeout = checkDelay(
      options?.timeout,
      "timeout",
      "Cannot submit task",
      this.#taskTimeout,
    );
    const job = new AsyncJob(this, this.#nextId++, fn, args, timeout, this.#onSettle);
    const task = new Task<Awaited<ReturnType<F>>>(
      job.id,
      job as TaskHandle<Awaited<ReturnType<F>>>,
    );
    this.#outstanding++;
    if (this.#closed) {
      job.settle(O_REJECTED, new TypeError("Cannot submit task as the pool is shut down"));
      return task;
    }
    if (
      this.#running >= this.#concurrency && this.#outstanding - 1 - this.#running >= this.#maxQueue
    ) {
      job.settle(
        O_REJECTED,
        new RangeError(`Cannot submit task as the queue is full: 'maxQueue' is ${this.#maxQueue}`),
      );
      return task;
    }
    const signal = options?.signal;
    if (signal) {
      if (signal.aborted) {
        job.settle(O_CANCELLED, signal.reason);
        return task;
      }
      job.signal = signal;
      job.onAbort = () => job.settle(O_CANCELLED, signal.reason);
      signal.addEventListener("abort", job.onAbort, { once: true });
    }
    this.#queue.push(job);
    this.#pump();
    return task;
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      if (job.outcome !== O_PENDING) continue;
      this.#start(job);
    }
  }

  #start(job: AsyncJob): void {
    this.#running++;
    this.#active.add(job);
    job.started = true;
    const controller = job.controller = new AbortController();
    if (job.timeout !== Infinity) {
      job.timer = setTimeout(() => {
        job.settle(
          O_REJECTED,
          new DOMException(`Task ${job.id} timed out after ${job.timeout} ms`, "TimeoutError"),
        );
      }, job.timeout);
    }
    const context: AsyncTaskContext = {
      id: job.id,
      signal: controller.signal,
      progress: (value: unknown) => job.report(value),
    };
    const run = async () => {
      try {
        const value = await running.run(job, () => job.fn.apply(context, job.args));
        job.settle(O_FULFILLED, value);
      } catch (error) {
        job.settle(O_REJECTED, error);
      } finally {
        this.#active.delete(job);
        this.#running--;
        this.#pump();
      }
    };
    run();
  }

  /**
   * Maps every input through `fn`, at most `concurrency` at a time, consuming
   * `inputs` lazily (an async iterable in the background, so results arrive while
   * it is slow to produce more).
   *
   * @param fn The function of one input.
   * @param inputs An iterable or async iterable of inputs.
   * @param options `ordered`, `chunkSize`, `signal`.
   * @returns An async iterable of the results.
   * @throws {RangeError} When `chunkSize` is not a positive integer.
   */
  map<I, R>(
    fn: (input: I) => R,
    inputs: Iterable<I> | AsyncIterable<I>,
    options: MapOptions = {},
  ): AsyncIterableIterator<Awaited<R>> {
    const chunkSize = checkInteger(options.chunkSize, "chunkSize", "Cannot map", 1);
    const runChunk = async function (this: AsyncTaskContext, chunk: I[]): Promise<unknown[]> {
      const out: unknown[] = [];
      for (const input of chunk) {
        this.signal.throwIfAborted();
        out.push(await fn(input));
      }
      return out;
    };
    return mapResults(
      (chunk) => {
        const task = this.submit(runChunk, [chunk as I[]]);
        return { promise: () => task.then(), cancel: (reason) => task.cancel(reason) };
      },
      inputs,
      chunkSize,
      options.ordered ?? true,
      this.#concurrency * 2,
      options.signal,
    ) as AsyncIterableIterator<Awaited<R>>;
  }

  /**
   * Stops accepting tasks and waits (up to `timeout`, by default the pool's
   * `shutdownTimeout`) for the rest; then rejects what is left and aborts the
   * signals of running tasks. Always settles in bounded time.
   *
   * @param options `wait`, `cancelPending`, `timeout`.
   * @returns A promise that resolves when no task is left.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const timeout = checkDelay(
      options.timeout,
      "timeout",
      "Cannot shut down",
      this.#shutdownTimeout,
    );
    this.#closed = true;
    const wait = options.wait ?? true;
    if (options.cancelPending || !wait) {
      for (const job of this.#queue) {
        job.settle(
          O_CANCELLED,
          new DOMException(`Task ${job.id} was cancelled by shutdown`, "AbortError"),
        );
      }
      this.#queue = [];
    }
    if (wait && this.#outstanding > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => {
          if (timeout !== Infinity) timer = setTimeout(resolve, timeout);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const job of this.#queue) {
      job.settle(
        O_CANCELLED,
        new DOMException(`Task ${job.id} was cancelled by shutdown`, "AbortError"),
      );
    }
    this.#queue = [];
    // What still runs is rejected and its signal aborted.
    for (const job of [...this.#active]) {
      job.settle(
        wait ? O_REJECTED : O_CANCELLED,
        wait
          ? new DOMException(`Task ${job.id} was stopped as the pool shut down`, "TimeoutError")
          : new DOMException(`Task ${job.id} was cancelled by shutdown`, "AbortError"),
      );
    }
  }

  /**
   * Shuts down on scope exit (`await using pool = …`), waiting for the tasks.
   *
   * @returns A promise that resolves when no task is left.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
