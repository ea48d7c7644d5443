/**
 * The executor across machines: {@linkcode ClusterPool} submits tasks to a BullMQ
 * queue on Redis, and {@linkcode ClusterWorker} processes (`deno task worker`) on any
 * number of machines run them in local pools. Same interface as `WorkerPool`:
 * `submit`, `map`, `Task`, `asCompleted`, `wait`, `shutdown`, `await using`.
 *
 * Not re-exported by the package root, so `@tandem/tandem` and
 * `@tandem/tandem/pool` never load BullMQ.
 *
 * @module
 */

export * from "./cluster_pool.ts";
export * from "./types.ts";
export * from "./worker.ts";
export * from "./local_redis.ts";
