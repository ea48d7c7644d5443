/**
 * Private: checks of millisecond options. `setTimeout` fires at once for a
 * delay above 2³¹−1 ms (Deno warns and uses 1 ms), so a longer finite timeout
 * would expire immediately: it is refused instead.
 *
 * @module
 */

/** The longest delay `setTimeout` honours. */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * Returns the error for a millisecond option that is out of range, or `undefined`
 * when `value` is a number from 0 to `MAX_DELAY_MS` (or `Infinity` when allowed).
 *
 * @param value The option's value.
 * @param what The option's name.
 * @param action The start of the message, e.g. `"Cannot create pool"`.
 * @param infinite Whether `Infinity` (never) is allowed.
 */
export function delayError(
  value: unknown,
  what: string,
  action: string,
  infinite = true,
): RangeError | undefined {
  if (
    typeof value === "number" &&
    (value >= 0 && value <= MAX_DELAY_MS || infinite && value === Infinity)
  ) {
    return undefined;
  }
  return new RangeError(
    `${action} as '${what}' must be a number of milliseconds from 0 to ${MAX_DELAY_MS}${
      infinite ? " or Infinity" : ""
    }: received ${typeof value === "string" ? `'${value}'` : String(value)}`,
  );
}

/**
 * Returns `value`, or `fallback` when it is `undefined`.
 *
 * @throws {RangeError} When `value` is out of range (see {@linkcode delayError}).
 */
export function checkDelay(
  value: number | undefined,
  what: string,
  action: string,
  fallback: number,
  infinite = true,
): number {
  if (value === undefined) return fallback;
  const error = delayError(value, what, action, infinite);
  if (error) throw error;
  return value;
}
