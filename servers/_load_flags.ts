/**
 * Private: the command-line flags of issue 18's load shapes and request picking —
 * `--rate 2000` or `--rate 100:2000/30s`, `--stages "30s:500,2m:2000,30s:0"`,
 * `-c 10:200/30s` and `--seed N` — parsed into the values of the run's options. Their
 * messages name the flag and the value as typed; the CLI prints them with the usage hint
 * and exits with 2.
 *
 * The syntax itself is parsed in `_load_syntax.ts`, which the web GUI shares (its page
 * cannot load `@std/cli`); this file adds the CLI's `UsageError`. Kept apart from
 * `_load_profile.ts` and `_weighted_pick.ts`, which the stress workers load: those import
 * nothing from the CLI.
 *
 * @module
 */

import { UsageError } from "./_stress_args.ts";
import type { Ramp, RateStage } from "./_load_profile.ts";
import { parseConcurrencyText, parseRateText, parseStagesText } from "./_load_syntax.ts";

/** Runs a parser of `_load_syntax.ts`, its `SyntaxError` as the CLI's `UsageError`. */
function asFlag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Parses `--rate`: a constant rate (`2000`) or a ramp (`100:2000/30s`: from 100 to
 * 2,000 requests/s over 30 s, then 2,000/s for the rest of the run).
 *
 * @param text The flag's value.
 * @returns The rate or the ramp, for `rate` in the options.
 * @throws {UsageError} When the text is neither, or the ramp ends at 0 or lasts 0.
 * @example
 * ```ts
 * import { parseRateFlag } from "./_load_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseRateFlag("2000"), 2000);
 * assertEquals(parseRateFlag("100:2000/30s"), { from: 100, to: 2000, overMs: 30_000 });
 * ```
 */
export function parseRateFlag(text: string): number | Ramp {
  return asFlag(() => parseRateText(text, "--rate"));
}

/**
 * Parses `-c`: a number of connections (`50`) or a ramp (`10:200/30s`: from 10 to 200
 * connections over 30 s, then 200).
 *
 * @param text The flag's value.
 * @param flag The flag as typed, for the message.
 * @returns The count or the ramp, for `concurrency` in the options.
 * @throws {UsageError} When the text is neither, the counts are not integers, or the
 * ramp ends at 0 or lasts 0.
 * @example
 * ```ts
 * import { parseConcurrencyFlag } from "./_load_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseConcurrencyFlag("10:200/30s"), { from: 10, to: 200, overMs: 30_000 });
 * ```
 */
export function parseConcurrencyFlag(text: string, flag = "-c"): number | Ramp {
  return asFlag(() => parseConcurrencyText(text, flag));
}

/**
 * Parses `--stages`: comma-separated `DURATION:RATE` steps, each ramping linearly from
 * the previous rate to its own over its duration; the first from 0/s, or from a bare
 * rate that opens the list (`"100,30s:500"`).
 *
 * @param text The flag's value.
 * @returns `stages` and `startRate` for the options.
 * @throws {UsageError} When a step is malformed or lasts 0, or no rate is above 0.
 * @example
 * ```ts
 * import { parseStagesFlag } from "./_load_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseStagesFlag("30s:500,2m:2000,30s:0"), {
 *   startRate: undefined,
 *   stages: [
 *     { durationMs: 30_000, rate: 500 },
 *     { durationMs: 120_000, rate: 2000 },
 *     { durationMs: 30_000, rate: 0 },
 *   ],
 * });
 * ```
 */
export function parseStagesFlag(
  text: string,
): { stages: RateStage[]; startRate: number | undefined } {
  return asFlag(() => parseStagesText(text, "--stages"));
}

/**
 * Parses `--seed`.
 *
 * @param text The flag's value.
 * @returns The seed.
 * @throws {UsageError} When it is not a non-negative integer up to 2⁵³ − 1.
 * @example
 * ```ts
 * import { parseSeedFlag } from "./_load_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseSeedFlag("0"), 0);
 * ```
 */
export function parseSeedFlag(text: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(
      `Cannot parse '--seed' as an integer from 0 to ${Number.MAX_SAFE_INTEGER}: received '${text}'`,
    );
  }
  return value;
}
