/**
 * {@linkcode BrokenPoolError}: a pool cannot run tasks at all.
 *
 * @module
 */

/**
 * Thrown (as a task's rejection) when a pool cannot run any task: its task module
 * failed to load, or its initializer threw (Python's `BrokenProcessPool`). Every
 * queued task and every later `submit` rejects with it.
 *
 * @example Catch a broken pool
 * ```ts
 * import { BrokenPoolError } from "@tandem/tandem/pool";
 * import { assert } from "@std/assert";
 *
 * const error = new BrokenPoolError("Cannot run tasks as module 'x.ts' failed to load");
 * assert(error instanceof Error);
 * assert(error.name === "BrokenPoolError");
 * ```
 */
export class BrokenPoolError extends Error {
  /**
   * Creates the error.
   *
   * @param message What broke.
   * @param options The `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenPoolError";
  }
}
