/**
 * Executors: `WorkerPool` (Web Workers), `ProcessPool` (`deno` subprocesses) and
 * `AsyncPool` (in-thread), their `Task`s, `asCompleted`, `wait` and `toWorker`.
 *
 * Deno 2.9.6 cannot preempt a Web Worker stuck in synchronous code: a long
 * `WorkerPool` task should poll `getTaskContext()?.signal.aborted`; for a hard
 * stop, use `ProcessPool`.
 *
 * @module
 */

export * from "./as_completed.ts";
export * from "./async_pool.ts";
export * from "./broken_pool_error.ts";
export * from "./pool_executor.ts";
export * from "./process_pool.ts";
export * from "./task.ts";
export * from "./task_context.ts";
export * from "./to_worker.ts";
export * from "./types.ts";
export * from "./wait.ts";
export * from "./worker_pool.ts";
