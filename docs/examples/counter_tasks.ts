/**
 * Task module of the pool-initializer example in docs/sync.md: each worker keeps the shared
 * counter it receives from the initializer and increments it under its lock.
 *
 * @module
 */
import type { SharedValue } from "@tandem/tandem/sync";

let counter: SharedValue<"int32">;

/** Runs once in each worker, before its first task. */
export function init(shared: SharedValue<"int32">): void {
  counter = shared; // already a working SharedValue: the pool revived it
}

/** Adds one to the shared counter and returns the new value. */
export function increment(): number {
  return counter.lock.withLock(() => counter.value += 1);
}
