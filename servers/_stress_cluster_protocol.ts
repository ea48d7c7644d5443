/**
 * Private: what travels between the coordinator of a distributed stress run
 * (`_stress_cluster.ts`) and its agents (`stress_agent.ts`), and the Redis keys both use.
 *
 * ```text
 * agent ──HSET beat every 1 s──▶ tandem-stress:agents            (id → AgentBeat)
 * coordinator ──BullMQ job────▶ queue tandem-stress-agent-<id>   (AgentPlan)
 * agent ──PUBLISH 1/s─────────▶ tandem-stress:run:<runId>         (AgentMessage)
 * coordinator ──PUBLISH───────▶ tandem-stress:stop                (runId)
 * ```
 *
 * Times in a plan are Redis server time (`TIME`), so that every agent converts the one
 * absolute start time with its own measured clock offset.
 *
 * @module
 */

import type { Redis } from "ioredis";
import type { HistogramData } from "./_histogram.ts";
import type { StressReport, StressSecond } from "./stress.ts";

/** The hash of agents' beats. */
export const AGENTS_KEY = "tandem-stress:agents";
/** The channel on which a coordinator stops a run (message: the run id). */
export const STOP_CHANNEL = "tandem-stress:stop";
/** An agent beats this often. */
export const BEAT_MS = 1_000;
/** A beat older than this is an agent gone (3 missed beats). */
export const BEAT_STALE_MS = 3_000;

/** The BullMQ queue of one agent's plans. */
export function agentQueue(id: string): string {
  return `tandem-stress-agent-${id}`;
}

/** The channel of one run's messages from its agents. */
export function runChannel(runId: string): string {
  return `tandem-stress:run:${runId}`;
}

/** What an agent writes into {@linkcode AGENTS_KEY} every second. */
export interface AgentBeat {
  id: string;
  host: string;
  /** `idle` waits for a plan; `busy` runs one. */
  state: "idle" | "busy";
  /** Redis time of the beat, in ms. */
  at: number;
  /** The agent's clock minus Redis's, in ms (midpoint of a `TIME` round trip). */
  offsetMs: number;
}

/** The shard of a run one agent gets: the options of its own `runStress`. */
export interface AgentPlan {
  runId: string;
  /** This agent's index in the run, from 0. */
  index: number;
  /** Agents in the run. */
  agents: number;
  /** Redis time at which to start, in ms. */
  startAt: number;
  options: WireStressOptions;
}

/** The JSON form of the options an agent runs. */
export interface WireStressOptions {
  url: string;
  requests?: number;
  duration?: number;
  concurrency?: number;
  workers?: number;
  rate?: number;
  method?: string;
  headers?: [string, string][];
  /** Base64 of the body bytes. */
  body?: string;
  timeout?: number;
  pipeline?: number;
}

/** One closed second of an agent's timeline with its latency histogram. */
export interface WireSecond {
  second: StressSecond;
  /** HdrHistogram compressed base64 of the second's latency counts (µs). */
  hdr: string;
  total: number;
  sum: number;
  min: number;
  max: number;
}

/** Messages of an agent on the run channel. */
export type AgentMessage =
  | { type: "accepted"; agent: string; host: string }
  | { type: "refused"; agent: string; host: string; reason: string }
  | {
    type: "snapshot";
    agent: string;
    /** Cumulative, from the run's progress. */
    completed: number;
    errors: number;
    /** Seconds closed since the previous snapshot. */
    seconds: WireSecond[];
  }
  | {
    type: "done";
    agent: string;
    seconds: WireSecond[];
    report: AgentSummary;
    /** Whether each second came with its histogram (the engine's `onSecond`). */
    histograms: boolean;
  }
  | { type: "failed"; agent: string; reason: string };

/** The part of an agent's final report the coordinator merges. */
export type AgentSummary = Pick<
  StressReport,
  | "requests"
  | "successes"
  | "failures"
  | "failureReasons"
  | "inFlight"
  | "statusCodes"
  | "rps"
  | "bytesPerSecond"
  | "durationMs"
  | "latencyMs"
  | "histogram"
  | "concurrency"
  | "workers"
  | "pipeline"
  | "cancelled"
>;

/** A histogram's data without its counts (sent next to the HDR text). */
export type HistogramStats = Omit<HistogramData, "counts">;

/**
 * This process's clock minus Redis's: the midpoint of the fastest of 3 `TIME` round trips
 * (one trip on a loaded machine was off by 5 ms; the fastest bounds the error by half
 * its round trip).
 */
export async function measureOffset(client: Redis): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 3; i++) {
    const before = performance.now();
    const epoch = Date.now();
    const [seconds, micros] = await client.time();
    const rtt = performance.now() - before;
    if (rtt < best.rtt) {
      best = { rtt, offset: epoch + rtt / 2 - (Number(seconds) * 1000 + Number(micros) / 1000) };
    }
  }
  return best.offset;
}
