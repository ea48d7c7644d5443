// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the text syntax of load shapes — a rate or a ramp (`2000`, `100:2000/30s`),
 * connections or a ramp of them (`50`, `10:200/30s`) and rate stages
 * (`"30s:500,2m:2000,30s:0"`) — parsed into the values of the run's options. One parser
 * for every front end: the CLI (`_load_flags.ts`, which turns the `SyntaxError` into its
 * `UsageError`) and the web GUI (its form fields, checked by the server and bundled into
 * the page), so both give the same message for the same text.
 *
 * Plain functions only: no `@std/cli`, no Deno APIs (the page's bundle includes this file).
 *
 * @module
 */

import type { Ramp, RateStage } from "./_load_profile.ts";

/** Longest ramp or stage list, in ms: 24 hours, as `_stress_options.ts`' `MAX_DURATION_MS`. */
const MAX_MS = 24 * 3600 * 1000;
const NUMBER = String.raw`\d+(?:\.\d+)?`;
const PLAIN = new RegExp(`^${NUMBER}$`);
const RAMP = new RegExp(String.raw`^(${NUMBER}):(${NUMBER})/(\S+)$`);
const STEP = new RegExp(String.raw`^(\S+):(${NUMBER})$`);
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const FACTOR = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Reads a duration such as `250ms`, `10s`, `1.5m`, `1h` or `10` (seconds), as the CLI's
 * `-d` does.
 *
 * @param text The text.
 * @returns Milliseconds, or `undefined` unless above 0 and at most 24 hours.
 * @example
 * ```ts
 * import { durationMs } from "./_load_syntax.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(durationMs("1.5m"), 90_000);
 * assertEquals(durationMs("25h"), undefined);
 * ```
 */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * FACTOR[(match[2] ?? "s") as keyof typeof FACTOR];
  return ms > 0 && ms <= MAX_MS ? ms : undefined;
}

function parseRamp(name: string, text: string, integer: boolean): number | Ramp | undefined {
  const trimmed = text.trim();
  const kind = integer ? "integer" : "number";
  if (PLAIN.test(trimmed)) {
    const value = Number(trimmed);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      throw new SyntaxError(
        `Cannot parse '${name}' as a positive ${kind} or a ramp like ${
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
    throw new SyntaxError(
      `Cannot parse '${name}' as a ramp's ends must be integers: received '${text}'`,
    );
  }
  if (!(to > 0)) {
    throw new SyntaxError(`Cannot parse '${name}' as a ramp must end above 0: received '${text}'`);
  }
  const overMs = durationMs(match[3]);
  if (overMs === undefined) {
    throw new SyntaxError(
      `Cannot parse '${name}' as a ramp's length must be a positive duration of at most 24h like 30s or 2m: received '${text}'`,
    );
  }
  return { from, to, overMs };
}

/**
 * Parses a rate: a constant one (`2000`) or a ramp (`100:2000/30s`: from 100 to 2,000
 * requests/s over 30 s, then 2,000/s for the rest of the run).
 *
 * @param text The text as typed.
 * @param name The flag or field, for the message (`--rate`, `rate`).
 * @returns The rate or the ramp, for `rate` in the options.
 * @throws {SyntaxError} When the text is neither, or the ramp ends at 0 or lasts 0.
 * @example
 * ```ts
 * import { parseRateText } from "./_load_syntax.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseRateText("100:2000/30s", "rate"), { from: 100, to: 2000, overMs: 30_000 });
 * ```
 */
export function parseRateText(text: string, name: string): number | Ramp {
  const value = parseRamp(name, text, false);
  if (value === undefined) {
    throw new SyntaxError(
      `Cannot parse '${name}' as a rate like 2000 or a ramp like 100:2000/30s: received '${text}'`,
    );
  }
  return value;
}

/**
 * Parses connections: a count (`50`) or a ramp (`10:200/30s`: from 10 to 200
 * connections over 30 s, then 200).
 *
 * @param text The text as typed.
 * @param name The flag or field, for the message (`-c`, `concurrency`).
 * @returns The count or the ramp, for `concurrency` in the options.
 * @throws {SyntaxError} When the text is neither, the counts are not integers, or the
 * ramp ends at 0 or lasts 0.
 * @example
 * ```ts
 * import { parseConcurrencyText } from "./_load_syntax.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseConcurrencyText("50", "concurrency"), 50);
 * ```
 */
export function parseConcurrencyText(text: string, name: string): number | Ramp {
  const value = parseRamp(name, text, true);
  if (value === undefined) {
    throw new SyntaxError(
      `Cannot parse '${name}' as a number of connections like 50 or a ramp like 10:200/30s: received '${text}'`,
    );
  }
  return value;
}

/** Rate stages and the rate they start from, as the options take them. */
export interface ParsedStages {
  /** The steps. */
  stages: RateStage[];
  /** The rate the first step ramps from, when the list opens with a bare rate. */
  startRate: number | undefined;
}

/**
 * Parses rate stages: comma-separated `DURATION:RATE` steps, each ramping linearly from
 * the previous rate to its own over its duration; the first from 0/s, or from a bare
 * rate that opens the list (`"100,30s:500"`).
 *
 * @param text The text as typed.
 * @param name The flag or field, for the message (`--stages`, `stages`).
 * @returns `stages` and `startRate` for the options.
 * @throws {SyntaxError} When a step is malformed or lasts 0, the steps last over 24 h,
 * or no rate is above 0.
 * @example
 * ```ts
 * import { parseStagesText } from "./_load_syntax.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseStagesText("100,30s:500", "stages"), {
 *   startRate: 100,
 *   stages: [{ durationMs: 30_000, rate: 500 }],
 * });
 * ```
 */
export function parseStagesText(text: string, name: string): ParsedStages {
  const parts = text.split(",").map((part) => part.trim());
  let startRate: number | undefined;
  if (parts.length > 1 && PLAIN.test(parts[0])) startRate = Number(parts.shift());
  const stages: RateStage[] = parts.map((part, i) => {
    const match = STEP.exec(part);
    if (!match) {
      throw new SyntaxError(
        `Cannot parse '${name}' as step ${
          i + 1
        } must be DURATION:RATE like 30s:500: received '${part}' in '${text}'`,
      );
    }
    const ms = durationMs(match[1]);
    if (ms === undefined) {
      throw new SyntaxError(
        `Cannot parse '${name}' as step ${
          i + 1
        } must last a positive duration of at most 24h like 30s or 2m: received '${part}' in '${text}'`,
      );
    }
    return { durationMs: ms, rate: Number(match[2]) };
  });
  const total = stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  if (total > MAX_MS) {
    throw new SyntaxError(
      `Cannot parse '${name}' as its steps must last at most 24h in all: received '${text}'`,
    );
  }
  if (!(startRate! > 0) && stages.every((stage) => stage.rate === 0)) {
    throw new SyntaxError(
      `Cannot parse '${name}' as a step must have a rate above 0: received '${text}'`,
    );
  }
  return { stages, startRate };
}
