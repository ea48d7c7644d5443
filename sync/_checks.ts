/**
 * Private: the option checks every layer shares (counts, sizes and milliseconds).
 *
 * `sync/` is the lowest layer, so `pool/`, `mapreduce/`, `servers/` and `gui_web/`
 * may all import this file; keeping one copy keeps the messages alike:
 * `Cannot create pool as 'size' must be a positive integer: received 0`.
 *
 * `setTimeout` fires at once for a delay above 2³¹−1 ms (Deno warns and uses
 * 1 ms), so a longer finite timeout would expire immediately: it is refused.
 *
 * @module
 */

/** The longest delay `setTimeout` honours. */
export const MAX_DELAY_MS = 2_147_483_647;

/** Short description of a received value for error messages: strings quoted. */
export function received(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** Range of an integer option. */
export interface IntegerRange {
  /** Smallest value allowed. @default {1} */
  min?: number;
  /** Largest value allowed. @default {Number.MAX_SAFE_INTEGER} */
  max?: number;
  /** Whether `Infinity` (no limit) is allowed. @default {false} */
  infinite?: boolean;
}

/**
 * Returns the error for an integer option out of range, or `undefined` when it is fine.
 *
 * @param value The option's value.
 * @param what The option's name, e.g. `"size"`.
 * @param action The start of the message, e.g. `"Cannot create pool"`.
 * @param range The allowed range.
 */
export function integerError(
  value: unknown,
  what: string,
  action: string,
  range: IntegerRange = {},
): RangeError | TypeError | undefined {
  const { min = 1, max = Number.MAX_SAFE_INTEGER, infinite = false } = range;
  if (typeof value === "number") {
    if (infinite && value === Infinity) return undefined;
    if (Number.isInteger(value) && value >= min && value <= max) return undefined;
  }
  const wanted = max < Number.MAX_SAFE_INTEGER
    ? `an integer from ${min} to ${max}`
    : min === 1
    ? "a positive integer"
    : min === 0
    ? "a non-negative integer"
    : `an integer of at least ${min}`;
  const message = `${action} as '${what}' must be ${wanted}${
    infinite ? " or Infinity" : ""
  }: received ${received(value)}`;
  return typeof value === "number" ? new RangeError(message) : new TypeError(message);
}

/**
 * Returns `value`, or `fallback` when it is `undefined`.
 *
 * @throws {RangeError} When `value` is a number out of range.
 * @throws {TypeError} When `value` is not a number.
 */
export function checkInteger(
  value: unknown,
  what: string,
  action: string,
  fallback: number,
  range: IntegerRange = {},
): number {
  if (value === undefined) return fallback;
  const error = integerError(value, what, action, range);
  if (error) throw error;
  return value as number;
}

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
    }: received ${received(value)}`,
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
