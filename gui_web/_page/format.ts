// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: number formats of the GUI's page.
 *
 * @module
 */

/**
 * A number with thousands separators, or "–" when there is none.
 *
 * @param value The number.
 * @param digits Fraction digits.
 * @returns The text.
 */
export function num(value: unknown, digits = 0): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * Milliseconds with as many decimals as they need (3 under 10 ms, 1 from 100 ms).
 *
 * @param value The milliseconds.
 * @returns The text.
 */
export function ms(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  return num(value, value < 10 ? 3 : value < 100 ? 2 : 1);
}

/**
 * Bytes per second in B/s, KB/s, MB/s or GB/s.
 *
 * @param value Bytes per second.
 * @returns The text.
 */
export function bytes(value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const units = ["B/s", "KB/s", "MB/s", "GB/s"];
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${num(value, i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * The sum of an object's values.
 *
 * @param object Counts by name.
 * @returns Their sum.
 */
export function sum(object: Record<string, number> | undefined): number {
  let total = 0;
  for (const value of Object.values(object ?? {})) total += value;
  return total;
}

/**
 * A change in % with its sign, one decimal.
 *
 * @param change The change, or `null`.
 * @returns `+2.4%`, `-1.0%` or "–".
 */
export function percent(change: number | null): string {
  if (change === null || !Number.isFinite(change)) return change === Infinity ? "+∞" : "–";
  return `${change > 0 ? "+" : ""}${change.toFixed(1)}%`;
}
