/**
 * Errors thrown by `sync/` primitives.
 *
 * @module
 */

/**
 * Thrown by an acquire when the thread that held the lock died (its worker was
 * terminated, crashed or closed) without releasing it. The lock is released again by
 * the time this is thrown, so the caller may repair the protected data and acquire
 * again. Exactly one acquirer receives it per death.
 *
 * @example Catching it
 * ```ts
 * import { OwnerDiedError } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new OwnerDiedError("Cannot acquire lock as its owner died: thread 3");
 * assertEquals(error.name, "OwnerDiedError");
 * ```
 */
export class OwnerDiedError extends Error {
  /**
   * Creates the error.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OwnerDiedError";
  }
}

/**
 * Thrown by {@linkcode Barrier.wait} when the barrier is, or becomes, broken: a party
 * timed out, `abort()` or `reset()` was called, or the barrier's `action` threw (Python's
 * `BrokenBarrierError`).
 *
 * @example Catching it
 * ```ts
 * import { BrokenBarrierError } from "@tandem/tandem/sync";
 * import { assert } from "@std/assert";
 *
 * assert(new BrokenBarrierError("Barrier is broken") instanceof Error);
 * ```
 */
export class BrokenBarrierError extends Error {
  /**
   * Creates the error.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}
