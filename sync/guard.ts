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

/** Anything a guard can release. */
interface Releasable {
  release(): void;
}

/** A guard as a small class instance (cheaper than closures in hot loops). */
class Guard implements LockGuard {
  #target: Releasable | undefined;

  constructor(target: Releasable) {
    this.#target = target;
  }

  release(): void {
    const target = this.#target;
    if (target === undefined) return;
    this.#target = undefined;
    target.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/** Builds a guard that calls `target.release()` once. */
export function makeGuard(target: Releasable): LockGuard {
  return new Guard(target);
}
