/**
 * Private: how a stress run is shared out over N agents (see `_stress_cluster.ts`): each
 * agent's options and start delay. Pure functions of the run's options (no BullMQ), so
 * that they can be unit-tested and checked before anything is loaded.
 *
 * Agent i of N sends the run's arrivals i, i + N, i + 2N, …: it starts at the run's i-th
 * arrival (`intendedStartMs(profile, i)`: i/R s at a constant rate R) and runs the rest
 * of the rate profile divided by N. Its k-th arrival then falls where the run's
 * arrivals integral reaches i + kN, so the agents together send exactly the run's
 * schedule, ramps and stages included, never N requests at once.
 *
 * ```text
 *  run, R = 4,000/s:   0    0.25   0.5   0.75   1.0 ms …
 *  agent 0 (2,000/s):  0           0.5          1.0
 *  agent 1 (2,000/s):       0.25         0.75        (starts 1/R = 0.25 ms late)
 * ```
 *
 * @module
 */

import {
  arrivalsBy,
  intendedStartMs,
  type LoadProfile,
  normalizeLoadShape,
  type Ramp,
  rateAt,
  type RateStage,
} from "./_load_profile.ts";
import type { StressOptions } from "./stress.ts";
import type { WireStressOptions, WireTemplate } from "./_stress_cluster_protocol.ts";

const ACTION = "Cannot run stress on the cluster";

/**
 * The largest templates a run shares out (as JSON): they are written once to Redis and
 * read by each agent; a HAR of 10,000 requests is about 10 MiB.
 */
export const MAX_TEMPLATES_BYTES = 64 * 1024 * 1024;

/** `total` split into `parts` integers that differ by at most one. */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

function bodyBase64(body: string | Uint8Array): string {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** One agent's shard: the options it runs and how long after the run's start it starts. */
export interface Shard {
  /** Its options (its share of the run's). */
  options: WireStressOptions;
  /** When it starts, in ms after the run's start: the run's i-th arrival with a rate. */
  delayMs: number;
}

/**
 * The rest of `profile` from `atMs` on, each value divided by `agents`: the stages an
 * agent that starts at `atMs` runs (its ramps end when the run's do).
 */
function stagesFrom(
  profile: LoadProfile,
  atMs: number,
  agents: number,
): { startRate: number; stages: RateStage[] } {
  const stages: RateStage[] = [];
  for (const s of profile.segments) {
    const end = s.startMs + s.durationMs;
    if (end <= atMs) continue;
    stages.push({ durationMs: end - Math.max(s.startMs, atMs), rate: s.to / agents });
  }
  return { startRate: rateAt(profile, atMs) / agents, stages };
}

/**
 * The shards of a run: the options each agent runs and its start delay in ms. Agent i
 * of N sends the run's arrivals i, i + N, …: it starts at the run's i-th arrival and
 * runs the rest of the rate profile divided by N (at a constant rate R: R/N, i/R s
 * late), so that the arrivals of all agents together are exactly the run's.
 *
 * @param options The run's options (checked).
 * @param agents How many agents share it.
 * @param seed The run's seed of the template picks (agent i gets `seed + i`).
 * @throws {RangeError} When there are fewer connections, requests or arrivals than agents.
 */
export function planShards(options: StressOptions, agents: number, seed?: number): Shard[] {
  const url = String(options.url instanceof URL ? options.url.href : options.url);
  const shape = normalizeLoadShape({
    rate: options.rate,
    stages: options.stages,
    startRate: options.startRate,
    concurrency: options.concurrency,
    requests: options.requests,
    duration: options.duration,
  });
  const ramp = typeof options.concurrency === "object" ? options.concurrency : undefined;
  const checks: [string, number | undefined][] = [
    ["concurrency", typeof options.concurrency === "number" ? options.concurrency : ramp?.to],
    ["requests", options.requests],
  ];
  for (const [name, value] of checks) {
    if (value !== undefined && value < agents) {
      throw new RangeError(
        `${ACTION} as '${
          ramp && name === "concurrency" ? "concurrency.to" : name
        }' must be at least 'agents' (${agents}): received ${value}`,
      );
    }
  }
  const connections = typeof options.concurrency === "number"
    ? splitEvenly(options.concurrency, agents)
    : undefined;
  const rampFrom = ramp && splitEvenly(ramp.from, agents);
  const rampTo = ramp && splitEvenly(ramp.to, agents);
  const requests = options.requests === undefined
    ? undefined
    : splitEvenly(options.requests, agents);
  const headers = options.headers === undefined
    ? undefined
    : [...new Headers(options.headers)] as [string, string][];
  const profile = shape.rate;
  const length = shape.durationMs;
  return Array.from({ length: agents }, (_, i) => {
    const shard: WireStressOptions = { url };
    if (requests) shard.requests = requests[i];
    if (connections) shard.concurrency = connections[i];
    if (ramp) shard.concurrency = { from: rampFrom![i], to: rampTo![i], overMs: ramp.overMs };
    if (options.workers !== undefined) shard.workers = options.workers;
    if (options.method !== undefined) shard.method = options.method;
    if (headers) shard.headers = headers;
    if (options.body !== undefined) shard.body = bodyBase64(options.body);
    if (options.timeout !== undefined) shard.timeout = options.timeout;
    if (options.pipeline !== undefined) shard.pipeline = options.pipeline;
    if (options.caCerts !== undefined) shard.caCerts = options.caCerts;
    if (options.templates !== undefined) shard.templates = true;
    if (seed !== undefined) shard.seed = (seed + i) % 2 ** 32;
    let delayMs = 0;
    if (profile === undefined) {
      if (length !== undefined) shard.duration = length;
    } else {
      // Agent i starts at the run's i-th arrival.
      delayMs = intendedStartMs(profile, i);
      if (length !== undefined && !(delayMs < length)) {
        throw new RangeError(
          `${ACTION} as the run must have at least 'agents' (${agents}) arrivals: received ${
            Math.ceil(arrivalsBy(profile, length))
          }`,
        );
      }
      if (options.stages !== undefined) {
        const { startRate, stages } = stagesFrom(profile, delayMs, agents);
        shard.stages = stages;
        if (startRate > 0) shard.startRate = startRate;
      } else if (profile.segments.length === 0) {
        shard.rate = profile.start / agents;
      } else {
        const r = options.rate as Ramp;
        shard.rate = delayMs < r.overMs
          ? {
            from: rateAt(profile, delayMs) / agents,
            to: r.to / agents,
            overMs: r.overMs - delayMs,
          }
          : r.to / agents;
      }
      if (length !== undefined && options.stages === undefined) shard.duration = length - delayMs;
    }
    return { options: shard, delayMs };
  });
}

/** The run's templates as JSON for the agents, with bodies as base64. */
export function wireTemplates(templates: NonNullable<StressOptions["templates"]>): string {
  const wire: WireTemplate[] = templates.map((t) => {
    const out: WireTemplate = { url: t.url instanceof URL ? t.url.href : String(t.url) };
    if (t.name !== undefined) out.name = t.name;
    if (t.method !== undefined) out.method = t.method;
    if (t.headers !== undefined) out.headers = [...new Headers(t.headers as HeadersInit)];
    if (t.body !== undefined && t.body !== null) out.body = bodyBase64(t.body);
    if (t.weight !== undefined) out.weight = t.weight;
    return out;
  });
  const text = JSON.stringify(wire);
  if (text.length > MAX_TEMPLATES_BYTES) {
    throw new RangeError(
      `${ACTION} as 'templates' must be at most ${MAX_TEMPLATES_BYTES} bytes as JSON: received ${text.length}`,
    );
  }
  return text;
}
