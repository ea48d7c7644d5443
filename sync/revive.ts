/**
 * Placeholder: rehydration of `sync/` primitives after a structured clone.
 * The `sync/` issue replaces the body; the name and signature are binding.
 *
 * @module
 */

/**
 * Walks a value that crossed a thread boundary (a `postMessage` payload, a task's
 * arguments or result) and turns every cloned `sync/` primitive back into a working
 * object of its class, sharing the same memory as the original.
 *
 * @param value The structured-cloned value.
 * @returns The value with every primitive rehydrated (plain data is returned as is).
 *
 * @example Plain data passes through
 * ```ts
 * import { reviveShared } from "@tandem/tandem/sync";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(reviveShared({ a: [1, 2] }), { a: [1, 2] });
 * ```
 */
export function reviveShared<T>(value: T): T {
  return value;
}
