/**
 * SharedArrayBuffer + Atomics primitives and shared values that work between the
 * main thread and any number of Workers: Python's `threading` locks and
 * `multiprocessing.Value` / `Array`, the Deno way.
 *
 * Every primitive keeps its state in a public `buffer: SharedArrayBuffer`; post it to a
 * worker (or pass it to a `WorkerPool` task) and call `reviveShared` or `X.from` on the
 * other side to get the same primitive, not a copy.
 *
 * @example A lock shared by value
 * ```ts
 * import { Lock, SharedValue } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const counter = new SharedValue("int32", 0);
 * counter.lock.withLock(() => counter.value += 1);
 * assertEquals(counter.value, 1);
 * assertEquals(new Lock().locked, false);
 * ```
 *
 * @module
 */

export * from "./barrier.ts";
export * from "./bounded_semaphore.ts";
export * from "./condition.ts";
export * from "./errors.ts";
export * from "./event.ts";
export * from "./guard.ts";
export * from "./lock.ts";
export * from "./revive.ts";
export * from "./rlock.ts";
export * from "./semaphore.ts";
export * from "./shared_array.ts";
export * from "./shared_value.ts";
export * from "./with_lock.ts";
