/**
 * Private: the command-line flags of issue 18's load shapes and request picking —
 * `--rate 2000` or `--rate 100:2000/30s`, `--stages "30s:500,2m:2000,30s:0"`,
 * `-c 10:200/30s` and `--seed N` — parsed into the values of the run's options. Their
 * messages name the flag and the value as typed; the CLI prints them with the usage hint
 * and exits with 2.
 *
 * Kept apart from `_load_profile.ts` and `_weighted_pick.ts`, which the stress workers
 * load: those import nothing from the CLI.
 *
 * @module
 */

import { MAX_DURATION_MS } from "./_stress_options.ts";
import { parseDuration, UsageError } from "./_stress_args.ts";
import type { Ramp, RateStage } from "./_load_profile.ts";

const NUMBER = String.raw`\d+(?:\.\d+)?`;
const RAMP = new RegExp(String.raw`^(${NUMBER}):(${NUMBER})/(\S+)$`);

function rampDuration(flag: string, text: string, duration: string): number {
  try {
    return parseDuration(flag, duration);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `Cannot parse '${flag}' as a ramp's length must be a positive duration of at most 24h like 30s or 2m: received '${text}'`,
    );
  }
}

function parseRamp(flag: string, text: string, integer: boolean): number | Ramp | undefined {
  const trimmed = text.trim();
  const kind = integer ? "integer" : "number";
  if (new RegExp(`^${NUMBER}$`).test(trimmed)) {
    const value = Number(trimmed);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      throw new UsageError(
        `Cannot parse '${flag}' as a positive ${kind} or a ramp like ${
          integer ? "10:200/30s" : "100:2000/30s"
        }: received '${text}'`,
      );
    }
    return value;
  }
  const match = RAMP.exec(trimmed);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = Number(match[2]);
  if (integer && !(Number.isInteger(from) && Number.isInteger(to))) {
    throw new UsageError(
      `Cannot parse '${flag}' as a ramp's ends must be integers: received '${text}'`,
    );
  }
  if (!(to > 0)) {
    throw new UsageError(`Cannot parse '${flag}' as a ramp must end above 0: received '${text}'`);
  }
  return { from, to, overMs: rampDuration(flag, text, match[3]) };
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
  const value = parseRamp("--rate", text, false);
  if (value === undefined) {
    throw new UsageError(
      `Cannot parse '--rate' as a rate like 2000 or a ramp like 100:2000/30s: received '${text}'`,
    );
  }
  return value;
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
  const value = parseRamp(flag, text, true);
  if (value === undefined) {
    throw new UsageError(
      `Cannot parse '${flag}' as a number of connections like 50 or a ramp like 10:200/30s: received '${text}'`,
    );
  }
  return value;
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
  const parts = text.split(",").map((part) => part.trim());
  let startRate: number | undefined;
  if (parts.length > 1 && new RegExp(`^${NUMBER}$`).test(parts[0])) {
    startRate = Number(parts.shift());
  }
  const stages: RateStage[] = parts.map((part, i) => {
    const match = new RegExp(`^(\\S+):(${NUMBER})$`).exec(part);
    if (!match) {
      throw new UsageError(
        `Cannot parse '--stages' as step ${
          i + 1
        } must be DURATION:RATE like 30s:500: received '${part}' in '${text}'`,
      );
    }
    let durationMs: number;
    try {
      durationMs = parseDuration("--stages", match[1]);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(
        `Cannot parse '--stages' as step ${
          i + 1
        } must last a positive duration of at most 24h like 30s or 2m: received '${part}' in '${text}'`,
      );
    }
    return { durationMs, rate: Number(match[2]) };
  });
  const total = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  if (total > MAX_DURATION_MS) {
    throw new UsageError(
      `Cannot parse '--stages' as its steps must last at most 24h in all: received '${text}'`,
    );
  }
  if (!(startRate! > 0) && stages.every((stage) => stage.rate === 0)) {
    throw new UsageError(
      `Cannot parse '--stages' as a step must have a rate above 0: received '${text}'`,
    );
  }
  return { stages, startRate };
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
