/**
 * Private: load profiles of a stress run — how the arrival rate (open model) or the
 * number of connections (closed model) changes over time — from the flags
 * `--rate 100:2000/30s`, `--stages "30s:500,2m:2000,30s:0"` and `-c 10:200/30s` (parsed
 * in `_load_flags.ts`: this file, loaded by the workers, imports nothing from the CLI), and
 * the pure functions the engine schedules with.
 *
 * A profile is piecewise linear: it starts at `start`, each segment ramps linearly from
 * the value where the previous one ended to its own `to`, and after the last segment the
 * last value holds for ever (the run's `-d` or `-n` ends it).
 *
 * ```
 *  --stages "30s:500,2m:2000,30s:0"
 *  time   0 s ──────► 30 s ──────► 2 m 30 s ──────► 3 m
 *  rate   0/s  ramp   500/s  ramp  2,000/s   ramp   0/s
 * ```
 *
 * Open model: the k-th request (k = 0, 1, 2, …) is due at the time its arrivals integral
 * reaches k: `intendedStartMs(profile, k)`, exact on a linear ramp (a quadratic), so the
 * engine schedules each request without drift and measures its latency from that time
 * (coordinated omission corrected). At a constant rate R it is `1000·k/R` ms, what the
 * budget did before ramps. Workers and agents share one sequence: agent i of N takes the
 * arrivals k ≡ i (mod N), so each sends at R/N with its arrivals offset by i/R seconds
 * from agent 0 (`shardStartMs`): together they keep the exact rate and never send in
 * bursts of N at once.
 *
 * Closed model: `connectionsAt(profile, t)`; connection j (0-based) is open from
 * `connectionOpenMs(profile, j)` to `connectionCloseMs(profile, j)`. Worker i of W runs
 * the connections j ≡ i (mod W).
 *
 * Decisions: `--stages` starts from 0/s (what ramping-arrival-rate executors do) unless its
 * list opens with a bare rate (`"100,30s:500"` starts at 100/s); it sets the run length
 * (the sum of its steps), so it excludes `-d` and `-n`. A ramp (`--rate A:B/T`,
 * `-c A:B/T`) without `-d` or `-n` runs for the ramp's length, at least the default 5 s.
 * A connection ramp is the closed model: it excludes `--rate` and `--stages`.
 *
 * @module
 */

import { integerError, received } from "../sync/_checks.ts";
import { DEFAULT_CONCURRENCY, DEFAULT_DURATION_MS, MAX_DURATION_MS } from "./_stress_options.ts";

/** Highest rate, in requests/s (as `rate` in `_stress_options.ts`). */
export const MAX_RATE = 10_000_000;
/** Most connections (as `concurrency` in `_stress_options.ts`). */
export const MAX_CONNECTIONS = 10_000;

/** A linear ramp of a rate or of a connection count, then a hold at `to`. */
export interface Ramp {
  /** The value at the start: requests/s, or connections. */
  from: number;
  /** The value at the end of the ramp, held afterwards; above 0. */
  to: number;
  /** How long the ramp lasts, in ms. */
  overMs: number;
}

/** One step of `stages`: ramp linearly from the previous rate to `rate` over `durationMs`. */
export interface RateStage {
  /** How long the step lasts, in ms; above 0. */
  durationMs: number;
  /** The rate reached at the end of the step, in requests/s; 0 or more. */
  rate: number;
}

/** The load-shape options of a run, as `runStress` takes them. */
export interface LoadShapeOptions {
  /** A constant rate in requests/s, or a ramp of the rate (open model). */
  rate?: number | Ramp;
  /** Steps of the rate (open model); excludes `rate`, `duration` and `requests`. */
  stages?: readonly RateStage[];
  /**
   * The rate `stages` starts from, in requests/s.
   *
   * @default {0}
   */
  startRate?: number;
  /**
   * Connections, or a ramp of connections (closed model: excludes `rate` and `stages`).
   *
   * @default {50}
   */
  concurrency?: number | Ramp;
  /** Number of requests (count mode). */
  requests?: number;
  /** Run length in ms. */
  duration?: number;
}

/** One linear piece of a profile. */
export interface ProfileSegment {
  /** When it starts, in ms from the start of the run. */
  startMs: number;
  /** How long it lasts, in ms; above 0. */
  durationMs: number;
  /** The value at its start. */
  from: number;
  /** The value at its end. */
  to: number;
  /** Arrivals before it: the integral of the rate up to `startMs` (rate profiles). */
  arrivalsBefore: number;
}

/**
 * A piecewise-linear load profile: plain data, so it crosses `postMessage` to the
 * workers as it is.
 */
export interface LoadProfile {
  /** What the values count: requests/s, or open connections. */
  unit: "rate" | "connections";
  /** The value at 0 ms. */
  start: number;
  /** The linear pieces, back to back from 0 ms; none for a constant. */
  segments: readonly ProfileSegment[];
  /** The value held after the last segment. */
  end: number;
  /** When the last segment ends, in ms (0 for a constant). */
  durationMs: number;
  /** Arrivals up to `durationMs` (rate profiles). */
  arrivals: number;
}

/** A load shape checked and turned into profiles. */
export interface NormalizedLoadShape {
  /** The arrival rate over time, or `undefined` without a rate (closed model). */
  rate: LoadProfile | undefined;
  /** The connections over time (constant with a rate). */
  connections: LoadProfile;
  /**
   * The run length in ms, or `undefined` in count mode: `duration`; else the sum of
   * `stages`; else the longest ramp, at least the default 5 s.
   */
  durationMs: number | undefined;
}

/** Which share of a run's arrivals an agent (worker or machine) sends. */
export interface Shard {
  /** This agent's index, from 0 to `agents - 1`. */
  agent: number;
  /** How many agents share the run. */
  agents: number;
}

const ACTION = "Cannot run stress";

function numberMessage(name: string, value: unknown, wanted: string): TypeError | RangeError {
  const message = `${ACTION} as '${name}' must be ${wanted}: received ${received(value)}`;
  return typeof value === "number" ? new RangeError(message) : new TypeError(message);
}

/** Checks a number within [min, max], or (min, max] when `aboveMin`. */
function checkNumber(name: string, value: unknown, min: number, max: number, aboveMin: boolean) {
  const ok = typeof value === "number" && (aboveMin ? value > min : value >= min) &&
    value <= max;
  if (!ok) {
    throw numberMessage(
      name,
      value,
      aboveMin ? `a number above ${min} and at most ${max}` : `a number from ${min} to ${max}`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Builds a profile from a start and steps, computing each step's arrivals. */
function buildProfile(
  unit: LoadProfile["unit"],
  start: number,
  steps: readonly { durationMs: number; to: number }[],
): LoadProfile {
  const segments: ProfileSegment[] = [];
  let at = 0;
  let from = start;
  let arrivals = 0;
  for (const { durationMs, to } of steps) {
    segments.push({ startMs: at, durationMs, from, to, arrivalsBefore: arrivals });
    arrivals += (from + to) / 2 * durationMs / 1000;
    at += durationMs;
    from = to;
  }
  return { unit, start, segments, end: from, durationMs: at, arrivals };
}

/**
 * A constant profile.
 *
 * @param unit What the value counts.
 * @param value The value, held for ever.
 * @returns The profile.
 * @example 1,000 requests/s
 * ```ts
 * import { constantProfile, intendedStartMs } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(intendedStartMs(constantProfile("rate", 1000), 3), 3);
 * ```
 */
export function constantProfile(unit: LoadProfile["unit"], value: number): LoadProfile {
  return buildProfile(unit, value, []);
}

function checkRamp(name: string, ramp: unknown, max: number, integer: boolean): Ramp {
  if (!isObject(ramp)) {
    throw new TypeError(
      `${ACTION} as '${name}' must be a number or a ramp { from, to, overMs }: received ${
        received(ramp)
      }`,
    );
  }
  const extra = Object.keys(ramp).find((key) => !["from", "to", "overMs"].includes(key));
  if (extra !== undefined) {
    throw new TypeError(
      `${ACTION} as '${name}' must be a ramp { from, to, overMs }: received '${extra}'`,
    );
  }
  if (integer) {
    const error = integerError(ramp.from, `${name}.from`, ACTION, { min: 0, max }) ??
      integerError(ramp.to, `${name}.to`, ACTION, { min: 1, max });
    if (error) throw error;
  } else {
    checkNumber(`${name}.from`, ramp.from, 0, max, false);
    checkNumber(`${name}.to`, ramp.to, 0, max, true);
  }
  checkNumber(`${name}.overMs`, ramp.overMs, 0, MAX_DURATION_MS, true);
  return ramp as unknown as Ramp;
}

function checkStages(stages: unknown, startRate: unknown): LoadProfile {
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new TypeError(
      `${ACTION} as 'stages' must be a non-empty array of { durationMs, rate }: received ${
        Array.isArray(stages) ? "an empty array" : received(stages)
      }`,
    );
  }
  if (startRate !== undefined) checkNumber("startRate", startRate, 0, MAX_RATE, false);
  const steps: { durationMs: number; to: number }[] = [];
  let total = 0;
  stages.forEach((stage: unknown, i) => {
    if (!isObject(stage)) {
      throw new TypeError(
        `${ACTION} as 'stages[${i}]' must be { durationMs, rate }: received ${received(stage)}`,
      );
    }
    checkNumber(`stages[${i}].durationMs`, stage.durationMs, 0, MAX_DURATION_MS, true);
    checkNumber(`stages[${i}].rate`, stage.rate, 0, MAX_RATE, false);
    total += stage.durationMs as number;
    steps.push({ durationMs: stage.durationMs as number, to: stage.rate as number });
  });
  if (total > MAX_DURATION_MS) {
    throw new RangeError(
      `${ACTION} as 'stages' must last at most ${MAX_DURATION_MS} ms in all: received ${total}`,
    );
  }
  const start = (startRate as number | undefined) ?? 0;
  if (start === 0 && steps.every((step) => step.to === 0)) {
    throw new RangeError(
      `${ACTION} as 'stages' must reach a rate above 0: received only rates of 0`,
    );
  }
  return buildProfile("rate", start, steps);
}

/**
 * Checks the load shape of a run and turns it into profiles, before any traffic.
 *
 * @param options The run's `rate`, `stages`, `startRate`, `concurrency`, `requests` and
 * `duration` (the last two only for the clashes and the run length).
 * @returns The rate and connection profiles and the run length.
 * @throws {TypeError} When an option has the wrong shape, or options exclude each other.
 * @throws {RangeError} When a number is out of range, or `stages` never has a rate above 0.
 * @example A ramp of the rate
 * ```ts
 * import { normalizeLoadShape, rateAt } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const shape = normalizeLoadShape({ rate: { from: 100, to: 2000, overMs: 30_000 } });
 * assertEquals(rateAt(shape.rate!, 15_000), 1050);
 * assertEquals(shape.durationMs, 30_000);
 * ```
 */
export function normalizeLoadShape(options: LoadShapeOptions): NormalizedLoadShape {
  const { rate, stages, startRate, concurrency, requests, duration } = options;
  if (rate !== undefined && stages !== undefined) {
    throw new TypeError(`${ACTION} as 'rate' and 'stages' exclude each other: received both`);
  }
  if (startRate !== undefined && stages === undefined) {
    throw new TypeError(
      `${ACTION} as 'startRate' works only with 'stages': received 'startRate' ${
        received(startRate)
      }`,
    );
  }
  if (stages !== undefined && (requests !== undefined || duration !== undefined)) {
    throw new TypeError(
      `${ACTION} as 'stages' sets the run length and excludes '${
        requests !== undefined ? "requests" : "duration"
      }': received both`,
    );
  }
  if (isObject(concurrency) && (rate !== undefined || stages !== undefined)) {
    throw new TypeError(
      `${ACTION} as a ramp of 'concurrency' (closed model) excludes '${
        rate !== undefined ? "rate" : "stages"
      }': received both`,
    );
  }
  let rateProfile: LoadProfile | undefined;
  if (stages !== undefined) {
    rateProfile = checkStages(stages, startRate);
  } else if (typeof rate === "number" || rate === undefined) {
    if (rate !== undefined) checkNumber("rate", rate, 0, MAX_RATE, true);
    rateProfile = rate === undefined ? undefined : constantProfile("rate", rate);
  } else {
    const ramp = checkRamp("rate", rate, MAX_RATE, false);
    rateProfile = buildProfile("rate", ramp.from, [{ durationMs: ramp.overMs, to: ramp.to }]);
  }
  let connections: LoadProfile;
  if (concurrency === undefined || typeof concurrency === "number") {
    const error = integerError(concurrency ?? DEFAULT_CONCURRENCY, "concurrency", ACTION, {
      max: MAX_CONNECTIONS,
    });
    if (error) throw error;
    connections = constantProfile("connections", concurrency ?? DEFAULT_CONCURRENCY);
  } else {
    const ramp = checkRamp("concurrency", concurrency, MAX_CONNECTIONS, true);
    connections = buildProfile("connections", ramp.from, [
      { durationMs: ramp.overMs, to: ramp.to },
    ]);
  }
  let durationMs: number | undefined;
  if (stages !== undefined) durationMs = rateProfile!.durationMs;
  else if (requests === undefined) {
    const ramps = Math.max(rateProfile?.durationMs ?? 0, connections.durationMs);
    durationMs = duration ?? Math.max(DEFAULT_DURATION_MS, ramps);
  }
  return { rate: rateProfile, connections, durationMs };
}

/** Index of the segment holding time `tMs`, or `segments.length` after the last. */
function segmentAt(profile: LoadProfile, tMs: number): number {
  const segments = profile.segments;
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].startMs + segments[mid].durationMs <= tMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The profile's value at a time: the target rate in requests/s, or the connections
 * before rounding.
 *
 * @param profile The profile.
 * @param tMs Milliseconds since the start of the run (before 0: the start value).
 * @returns The value.
 * @example Half-way up a ramp
 * ```ts
 * import { normalizeLoadShape, rateAt } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { rate } = normalizeLoadShape({ stages: [{ durationMs: 10_000, rate: 500 }] });
 * assertEquals(rateAt(rate!, 5_000), 250);
 * assertEquals(rateAt(rate!, 60_000), 500);
 * ```
 */
export function rateAt(profile: LoadProfile, tMs: number): number {
  if (!(tMs > 0)) return profile.start;
  const i = segmentAt(profile, tMs);
  if (i === profile.segments.length) return profile.end;
  const s = profile.segments[i];
  return s.from + (s.to - s.from) * (tMs - s.startMs) / s.durationMs;
}

/**
 * The arrivals integral: how many requests are due by a time (a real number; the
 * requests due before `tMs` are those with an index below it).
 *
 * @param profile A rate profile.
 * @param tMs Milliseconds since the start of the run.
 * @returns The integral of the rate from 0 to `tMs`.
 * @example 100 to 2,000/s over 30 s
 * ```ts
 * import { arrivalsBy, normalizeLoadShape } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { rate } = normalizeLoadShape({ rate: { from: 100, to: 2000, overMs: 30_000 } });
 * assertEquals(arrivalsBy(rate!, 30_000), 31_500);
 * assertEquals(arrivalsBy(rate!, 31_000), 33_500);
 * ```
 */
export function arrivalsBy(profile: LoadProfile, tMs: number): number {
  if (!(tMs > 0)) return 0;
  const i = segmentAt(profile, tMs);
  if (i === profile.segments.length) {
    return profile.arrivals + profile.end * (tMs - profile.durationMs) / 1000;
  }
  const s = profile.segments[i];
  const tau = tMs - s.startMs;
  const slope = (s.to - s.from) / s.durationMs;
  return s.arrivalsBefore + (s.from * tau + slope * tau * tau / 2) / 1000;
}

/**
 * When the k-th request (k = 0, 1, 2, …) is due: the time at which the arrivals
 * integral reaches k. Exact on a linear ramp (the root of a quadratic), so scheduling
 * from it does not drift; latencies measured from it correct coordinated omission.
 *
 * @param profile A rate profile.
 * @param k The request's index, from 0.
 * @returns Milliseconds since the start of the run; `Infinity` when the rate falls to 0
 * for good before the k-th request.
 * @example Constant rate and a ramp from 0
 * ```ts
 * import { constantProfile, intendedStartMs, normalizeLoadShape } from "./_load_profile.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * assertEquals(intendedStartMs(constantProfile("rate", 200), 10), 50);
 * // 0 → 1,000/s over 1 s: k = t²/2 (t in s), so k = 50 at t = 316.2 ms.
 * const { rate } = normalizeLoadShape({ stages: [{ durationMs: 1000, rate: 1000 }] });
 * assertAlmostEquals(intendedStartMs(rate!, 50), 316.228, 1e-3);
 * ```
 */
export function intendedStartMs(profile: LoadProfile, k: number): number {
  if (!(k > 0)) return firstArrivalMs(profile);
  const segments = profile.segments;
  if (k >= profile.arrivals) {
    if (profile.end === 0) return Infinity;
    return profile.durationMs + 1000 * (k - profile.arrivals) / profile.end;
  }
  // The first segment whose arrivals reach beyond k (segments without arrivals skipped).
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const next = mid + 1 < segments.length ? segments[mid + 1].arrivalsBefore : profile.arrivals;
    if (next <= k) lo = mid + 1;
    else hi = mid;
  }
  const s = segments[lo];
  const m = k - s.arrivalsBefore;
  const slope = (s.to - s.from) / s.durationMs;
  // slope·τ²/2 + from·τ = 1000·m, in the form without cancellation when slope is small.
  const root = Math.sqrt(Math.max(0, s.from * s.from + 2000 * slope * m));
  const tau = 2000 * m / (s.from + root);
  return s.startMs + Math.min(Math.max(tau, 0), s.durationMs);
}

/** Arrival 0: at 0 ms, unless the profile starts with a wait at 0/s. */
function firstArrivalMs(profile: LoadProfile): number {
  if (profile.start > 0) return 0;
  for (const s of profile.segments) if (s.to > 0) return s.startMs;
  return profile.end > 0 ? profile.durationMs : Infinity;
}

/**
 * When the k-th request of one agent's share is due: agent i of N sends the run's
 * requests i, i + N, i + 2N, … (at a constant rate R: R/N each, offset by i/R seconds),
 * so agents together keep the exact rate without sending in bursts.
 *
 * @param profile The run's whole rate profile (not divided by the agents).
 * @param k The index of the request among this agent's, from 0.
 * @param shard This agent and how many there are.
 * @returns Milliseconds since the start of the run.
 * @throws {RangeError} When `shard` is not an agent index below a positive count.
 * @example Two workers at 1,000/s
 * ```ts
 * import { constantProfile, shardStartMs } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const rate = constantProfile("rate", 1000);
 * assertEquals([0, 1, 2].map((k) => shardStartMs(rate, k, { agent: 1, agents: 2 })), [1, 3, 5]);
 * ```
 */
export function shardStartMs(profile: LoadProfile, k: number, shard: Shard): number {
  checkShard(shard);
  return intendedStartMs(profile, shard.agent + k * shard.agents);
}

function checkShard(shard: Shard): void {
  const error = integerError(shard.agents, "agents", ACTION, { max: 1_000_000 }) ??
    integerError(shard.agent, "agent", ACTION, { min: 0, max: shard.agents - 1 });
  if (error) throw error;
}

/**
 * One agent's target over time: the profile with each value divided by the agents (for
 * the target shown next to what one agent achieved).
 *
 * @param profile The run's whole profile.
 * @param agents How many agents share it.
 * @returns The profile of one agent's share.
 * @throws {RangeError} When `agents` is not a positive integer.
 * @example A quarter of 2,000/s
 * ```ts
 * import { constantProfile, rateAt, shareProfile } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(rateAt(shareProfile(constantProfile("rate", 2000), 4), 0), 500);
 * ```
 */
export function shareProfile(profile: LoadProfile, agents: number): LoadProfile {
  checkShard({ agent: 0, agents });
  return buildProfile(
    profile.unit,
    profile.start / agents,
    profile.segments.map((s) => ({ durationMs: s.durationMs, to: s.to / agents })),
  );
}

/**
 * Open connections at a time: the ramp's line rounded towards where it started (up a
 * ramp connection j opens when the line reaches j + 1; down a ramp it closes when the
 * line falls to j), the end value after the ramp.
 *
 * @param profile A connections profile.
 * @param tMs Milliseconds since the start of the run.
 * @returns The number of connections.
 * @example 10 to 200 connections over 30 s
 * ```ts
 * import { connectionsAt, normalizeLoadShape } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { connections } = normalizeLoadShape({ concurrency: { from: 10, to: 200, overMs: 30_000 } });
 * assertEquals([0, 15_000, 30_000].map((t) => connectionsAt(connections, t)), [10, 105, 200]);
 * ```
 */
export function connectionsAt(profile: LoadProfile, tMs: number): number {
  const t = Math.max(0, tMs);
  const i = segmentAt(profile, t);
  if (i === profile.segments.length) return Math.round(profile.end);
  const s = profile.segments[i];
  // The line, then a step or two so that the count agrees to the bit with
  // connectionOpenMs/connectionCloseMs (rounding put 10 + 190·½ at 104.99999999999999).
  let count = s.to >= s.from ? Math.floor(rateAt(profile, t)) : Math.ceil(rateAt(profile, t));
  const isOpen = (j: number) =>
    connectionOpenMs(profile, j) <= t && t < connectionCloseMs(profile, j);
  while (count > 0 && !isOpen(count - 1)) count--;
  while (isOpen(count)) count++;
  return count;
}

/**
 * When connection j (0-based) opens: 0 for those open from the start, later up a ramp,
 * `Infinity` for one the profile never opens.
 *
 * @param profile A connections profile.
 * @param j The connection's index, from 0.
 * @returns Milliseconds since the start of the run.
 * @example The 11th of 10 → 200 over 19 s opens at 100 ms
 * ```ts
 * import { connectionOpenMs, normalizeLoadShape } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { connections } = normalizeLoadShape({ concurrency: { from: 10, to: 200, overMs: 19_000 } });
 * assertEquals(connectionOpenMs(connections, 9), 0);
 * assertEquals(connectionOpenMs(connections, 10), 100);
 * ```
 */
export function connectionOpenMs(profile: LoadProfile, j: number): number {
  let open = profile.start;
  if (j < open) return 0;
  for (const s of profile.segments) {
    if (s.to > s.from && j < s.to) {
      // The line reaches j + 1 (connection j is the (j+1)-th) within this segment.
      const from = Math.max(open, s.from);
      return s.startMs + s.durationMs * (Math.max(j + 1, from) - s.from) / (s.to - s.from);
    }
    open = Math.max(open, s.to);
  }
  return Infinity;
}

/**
 * When connection j (0-based) closes down a ramp (`Infinity` while the profile keeps it).
 * The engine closes it once its requests in flight are answered.
 *
 * @param profile A connections profile.
 * @param j The connection's index, from 0.
 * @returns Milliseconds since the start of the run.
 * @example 200 → 100 over 10 s: connection 150 closes half-way
 * ```ts
 * import { connectionCloseMs, normalizeLoadShape } from "./_load_profile.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { connections } = normalizeLoadShape({ concurrency: { from: 200, to: 100, overMs: 10_000 } });
 * assertEquals(connectionCloseMs(connections, 150), 5_000);
 * assertEquals(connectionCloseMs(connections, 99), Infinity);
 * ```
 */
export function connectionCloseMs(profile: LoadProfile, j: number): number {
  const opened = connectionOpenMs(profile, j);
  for (const s of profile.segments) {
    if (s.to < s.from && j >= s.to && s.startMs + s.durationMs > opened) {
      return s.startMs + s.durationMs * (s.from - Math.min(j, s.from)) / (s.from - s.to);
    }
  }
  return Infinity;
}
