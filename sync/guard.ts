/**
 * The guard returned by `hold()` / `holdAsync()` of every lock-like primitive.
 *
 * @module
 */

/**
 * Releases what it guards when disposed, so `using` / `await using` scopes a critical
 * section. Releasing twice is a no-op.
 *
 * @example Scoping a critical section
 * ```ts
 * import { Lock } from "@tandem/tandem/sync";
 * import { assert } from "@std/assert";
 *
 * const lock = new Lock();
 * {
 *   using _guard = lock.hold();
 *   assert(lock.locked);
 * }
 * assert(!lock.locked);
 * ```
 */
export interface LockGuard extends Disposable, AsyncDisposable {
  /** Releases now (idempotent). */
  release(): void;
}
