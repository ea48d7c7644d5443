/**
 * Executors: `WorkerPool` (Web Workers), `ProcessPool` (`deno` subprocesses) and
 * `AsyncPool` (in-thread), their `Task`s, `asCompleted`, `wait` and `toWorker`.
 *
 * @module
 */

export * from "./broken_pool_error.ts";
export * from "./task.ts";
export * from "./task_context.ts";
export * from "./types.ts";
export * from "./worker_pool.ts";
export * from "./as_completed.ts";
