/**
 * Private: what travels between the coordinator of a distributed stress run
 * (`_stress_cluster.ts`) and its agents (`stress_agent.ts`), and the Redis keys both use.
 *
 * ```text
 * agent ──HSET beat every 1 s──▶ tandem-stress:agents               (id → AgentBeat)
 * coordinator ──EVAL claim N───▶ tandem-stress:claim:<id> × N        (runId, PX 5 s, refreshed)
 * coordinator ──SET once───────▶ tandem-stress:run:<runId>:templates (JSON, runs with templates)
 * coordinator ──BullMQ job────▶ queue tandem-stress-agent-<id>      (AgentPlan)
 * agent ──PUBLISH 1/s─────────▶ tandem-stress:run:<runId>            (AgentMessage)
 * coordinator ──PUBLISH───────▶ tandem-stress:stop                   (runId)
 * ```
 *
 * Times in a plan are Redis server time (`TIME`), so that every agent converts the one
 * absolute start time with its own measured clock offset.
 *
 * @module
 */

import type { RedisClient } from "../cluster/types.ts";
import type { HistogramData } from "./_histogram.ts";
import type { Ramp, RateStage } from "./_load_profile.ts";
import type { StressFailures, StressLatency, StressReport, StressSecond } from "./stress.ts";

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

/**
 * The key a coordinator sets (`SET NX PX`) to claim an agent for one run (value: the
 * run id), so that two coordinators never share out to the same agent.
 */
export function claimKey(agentId: string): string {
  return `tandem-stress:claim:${agentId}`;
}

/** The key holding a run's request templates (JSON), written once, read by each agent. */
export function templatesKey(runId: string): string {
  return `tandem-stress:run:${runId}:templates`;
}

/** How to reach the agents of a distributed run (`runStress`'s `cluster` control). */
export interface StressClusterOptions {
  /** The Redis server the agents use: a `redis://` URL or an ioredis client. */
  redis: string | URL | RedisClient;
  /** How many idle agents share the run. */
  agents: number;
  /**
   * How long to wait for that many idle agents, in ms.
   *
   * @default {10000}
   */
  agentsTimeoutMs?: number;
}

/** One agent's part of a distributed run, in its report. */
export interface StressAgentReport {
  /** The agent's id. */
  id: string;
  /** Its host name. */
  host: string;
  /** Requests it sent (for a lost agent: up to its last snapshot). */
  requests: number;
  /** Its successes. */
  successes: number;
  /** Its failures. */
  failures: number;
  /** Its requests per second. */
  rps: number;
  /** Its latency, from its own histogram. */
  latencyMs: StressLatency;
  /** Whether it stopped answering (two snapshots missed) or failed. */
  lost: boolean;
  /** Why it was lost. */
  lostReason?: string;
  /** Its clock minus the coordinator's, in ms, as measured through Redis. */
  clockOffsetMs: number;
  /**
   * When it wrote its first request, in ms after its planned start (the run's start
   * plus its arrival offset), on Redis's clock through its measured clock offset;
   * absent when it sent none or was lost. Its Workers load, connect and wait for the
   * start themselves, so this is the clock offsets' error plus a timer's wake-up.
   */
  startLateMs?: number;
}

/** One agent's live counts, in a distributed run's progress. */
export interface StressAgentProgress {
  /** The agent's id, as in the report's `agents`. */
  id: string;
  /** Its host name. */
  host: string;
  /** `starting` until it takes its plan, then `running`, `done` or `lost`. */
  state: "starting" | "running" | "done" | "lost";
  /** Requests it finished so far (as of its last snapshot, every second). */
  completed: number;
  /** Its failures so far. */
  errors: number;
  /** Its requests finished per second over about the last second. */
  rps: number;
  /** Whether it stopped answering (two snapshots missed) or failed. */
  lost: boolean;
  /** Why it was lost. */
  lostReason?: string;
}

/** The report of a distributed run: the local shape plus the agents. */
export interface ClusterStressReport extends StressReport {
  /** One entry per agent. */
  agents: StressAgentReport[];
  /**
   * How far apart the agents' first requests were: the largest minus the smallest
   * `startLateMs`, in ms (absent when no agent reported one).
   */
  agentsStartSkewMs?: number;
  /** Why the run counts as failed (an agent lost), when it does. */
  clusterError?: string;
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

/** The JSON form of the options an agent runs (its share of the run's). */
export interface WireStressOptions {
  url: string;
  requests?: number;
  duration?: number;
  concurrency?: number | Ramp;
  workers?: number;
  rate?: number | Ramp;
  stages?: RateStage[];
  startRate?: number;
  /** The agent's own seed of the template picks (the run's seed plus its index). */
  seed?: number;
  /** Whether the run has templates: the agent reads them from {@linkcode templatesKey}. */
  templates?: boolean;
  method?: string;
  headers?: [string, string][];
  /** Base64 of the body bytes. */
  body?: string;
  timeout?: number;
  pipeline?: number;
  caCerts?: string[];
}

/** The JSON form of one request template (its body as base64 bytes). */
export interface WireTemplate {
  name?: string;
  method?: string;
  url: string;
  headers?: [string, string][];
  /** Base64 of the body bytes. */
  body?: string;
  weight?: number;
}

/** The status classes of a snapshot, only those above 0 (keeps it small). */
export type WireStatusClasses = Partial<Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>>;

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
    /** Cumulative responses per status class, non-zero classes only. */
    statusClasses?: WireStatusClasses;
    /** Cumulative late sends (rate runs), when above 0. */
    late?: number;
    /** Cumulative failures by cause, non-zero causes only. */
    failures?: Partial<StressFailures>;
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
    /** When it wrote its first request, in Redis time (ms). */
    startedAt?: number;
    /** The whole run's service-time histogram (rate runs), as a second's `hdr`. */
    service?: Omit<WireSecond, "second">;
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
  | "late"
  | "generatorLagMs"
  | "endpoints"
  | "seed"
>;

/** What {@linkcode measureOffset} needs of an ioredis client. */
export interface TimeClient {
  /** Redis `TIME`: seconds and microseconds, as strings. */
  time(): Promise<unknown>;
}

/** A histogram's data without its counts (sent next to the HDR text). */
export type HistogramStats = Omit<HistogramData, "counts">;

/**
 * This process's clock minus Redis's: the midpoint of the fastest of 3 `TIME` round trips
 * (one trip on a loaded machine was off by 5 ms; the fastest bounds the error by half
 * its round trip).
 */
export async function measureOffset(client: TimeClient): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 3; i++) {
    const before = performance.now();
    const epoch = Date.now();
    const [seconds, micros] = await client.time() as [string, string];
    const rtt = performance.now() - before;
    if (rtt < best.rtt) {
      best = { rtt, offset: epoch + rtt / 2 - (Number(seconds) * 1000 + Number(micros) / 1000) };
    }
  }
  return best.offset;
}
