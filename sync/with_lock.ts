/**
 * `withLock` / `withLockAsync`: run a function while holding any `sync/` lock-like
 * primitive (`Lock`, `RLock`, `Semaphore`, `Condition`).
 *
 * @module
 */

import type { AcquireOptions } from "./lock.ts";

/** What `withLock` needs: a blocking acquire and a release. */
export interface Acquirable {
  /** Blocks until acquired (or the timeout passes). */
  acquire(timeoutMs?: number): boolean;
  /** Releases. */
  release(): void;
}

/** What `withLockAsync` needs: an asynchronous acquire and a release. */
export interface AsyncAcquirable {
  /** Acquires without blocking the event loop. */
  acquireAsync(timeoutMs?: number, options?: AcquireOptions): Promise<boolean>;
  /** Releases. */
  release(): void;
}

/**
 * Runs `fn` holding `lock` (blocking acquire) and releases it afterwards, even if `fn`
 * throws: Python's `with lock:` without the cost of a guard object. The lock is released
 * as soon as `fn` returns: for an `async` function, use {@linkcode withLockAsync}.
 *
 * @param lock The lock, semaphore or condition.
 * @param fn The critical section.
 * @returns What `fn` returned.
 *
 * @example Guarded update
 * ```ts
 * import { Lock, SharedValue, withLock } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const total = new SharedValue("float64", 1);
 * withLock(total.lock, () => total.value = total.value * 3);
 * assertEquals(total.value, 3);
 * assertEquals(withLock(new Lock(), () => "done"), "done");
 * ```
 */
export function withLock<T>(lock: Acquirable, fn: () => T): T {
  lock.acquire();
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/**
 * Awaits `lock.acquireAsync()`, runs (and awaits) `fn`, then releases, even if `fn`
 * throws or rejects.
 *
 * @param lock The lock, semaphore or condition.
 * @param fn The critical section; may be async.
 * @param options `signal` aborts the wait for the lock.
 * @returns A promise of what `fn` returned.
 * @throws {DOMException} The signal's reason (`AbortError`) when aborted.
 *
 * @example Guarded async section
 * ```ts
 * import { Lock, withLockAsync } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const lock = new Lock();
 * assertEquals(await withLockAsync(lock, async () => await Promise.resolve(5)), 5);
 * assertEquals(lock.locked, false);
 * ```
 */
export async function withLockAsync<T>(
  lock: AsyncAcquirable,
  fn: () => T | Promise<T>,
  options?: AcquireOptions,
): Promise<T> {
  await lock.acquireAsync(undefined, options);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
