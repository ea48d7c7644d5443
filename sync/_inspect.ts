/**
 * Private: how `console.log` and `Deno.inspect` show the `sync/` primitives.
 *
 * Without this, Deno prints a primitive's own fields: the bytes of its buffer (for a
 * lock, its whole 64 KiB slab) and no value. Each class instead shows its name and
 * its value or state, e.g. `SharedValue<int32> 8` or `Lock { locked: false }`, read
 * atomically at the moment it is printed.
 *
 * @module
 */

/** The method name Deno's inspector calls (`Deno.customInspect`). */
export const INSPECT: unique symbol = Symbol.for("Deno.customInspect");

/** The `inspect` function Deno passes to a custom inspector. */
export type Inspect = (value: unknown, options?: object) => string;

/** `Name { field: value, … }`, with `inspect`'s colours and layout. */
export function inspectState(
  name: string,
  state: Record<string, unknown>,
  inspect: Inspect,
  options: object | undefined,
): string {
  return `${name} ${inspect(state, options)}`;
}
