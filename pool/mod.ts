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
export * from "./process_pool.ts";
export * from "./async_pool.ts";
export * from "./wait.ts";
export * from "./to_worker.ts";
