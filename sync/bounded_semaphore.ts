/**
 * `BoundedSemaphore`: a semaphore whose releases may not exceed its initial value
 * (Python's `threading.BoundedSemaphore`).
 *
 * @module
 */

import { BOUND, BYTES, VALUE } from "./_semaphore_layout.ts";
import { bufferFrom, type KindName } from "./_shared.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * A {@linkcode Semaphore} that throws when `release` would raise the number of permits
 * above the initial value: it catches releasing more often than acquiring.
 *
 * @example Over-release throws
 * ```ts
 * import { BoundedSemaphore } from "@tandem/tandem/sync";
 * import { assertThrows } from "@std/assert";
 *
 * const semaphore = new BoundedSemaphore(1);
 * semaphore.acquire();
 * semaphore.release();
 * assertThrows(() => semaphore.release(), RangeError);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** Kind tag name used by the constructor. */
  protected static override kindName: KindName = "BoundedSemaphore";

  /**
   * Rehydrates a bounded semaphore that crossed a thread boundary.
   *
   * @param message A structured clone of a `BoundedSemaphore` (or a live one).
   * @returns A `BoundedSemaphore` sharing the original's memory.
   * @throws {TypeError} If `message` is not a cloned `BoundedSemaphore`.
   *
   * @example Round trip
   * ```ts
   * import { BoundedSemaphore } from "@tandem/tandem/sync";
   * import { assert } from "@std/assert";
   *
   * const copy = BoundedSemaphore.from(structuredClone(new BoundedSemaphore(2)));
   * assert(copy instanceof BoundedSemaphore);
   * ```
   */
  static override from(message: unknown): BoundedSemaphore {
    return new BoundedSemaphore(bufferFrom(message, "BoundedSemaphore", BYTES));
  }

  /**
   * Adds permits unless that would exceed the bound.
   *
   * @param i32 The semaphore's memory.
   * @param n How many permits to add.
   * @throws {RangeError} If the bound would be exceeded.
   */
  protected override addPermits(i32: Int32Array, n: number): void {
    const bound = i32[BOUND];
    for (;;) {
      const v = Atomics.load(i32, VALUE);
      if (v + n > bound) {
        throw new RangeError(
          `Cannot release semaphore as it would exceed its initial value: ${v} + ${n} > ${bound}`,
        );
      }
      if (Atomics.compareExchange(i32, VALUE, v, v + n) === v) return;
    }
  }
}
