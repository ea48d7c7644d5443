/**
 * Private: the guard object behind `hold()` / `holdAsync()`.
 *
 * @module
 */

import type { LockGuard } from "./guard.ts";

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
