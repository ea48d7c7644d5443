/**
 * Private: the coordinator of a distributed stress run. It finds N idle agents (see
 * `stress_agent.ts`), gives each a shard, and merges their snapshots into one report of
 * the local shape:
 *
 * ```text
 * runClusterStress ─▶ waitForAgents (HGETALL beats, ≤ agentsTimeoutMs)
 *                  ─▶ sendPlans (one BullMQ job per agent; one start time in Redis time)
 *                  ─▶ collect (SUBSCRIBE run channel: snapshots 1/s, done, lost after 2.5 s)
 *                  ─▶ merge (bucket counts of every second's histogram, never percentiles)
 * ```
 *
 * Splitting: connections and requests are divided as evenly as integers allow; a rate R
 * becomes R/N per agent, agent i starting i/(N·R) s later, so that the merged arrivals
 * stay uniform (agent i's k-th arrival is the run's (i + kN)-th).
 *
 * @module
 */

import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { RedisClient } from "../cluster/types.ts";
import { checkInteger, integerError, received } from "../sync/_checks.ts";
import { checkRedis, closeClient, newClient, type RedisTarget } from "../cluster/_redis.ts";
import { displayBuckets, Histogram, HISTOGRAM_BUCKETS, type HistogramData } from "./_histogram.ts";
import type {
  StressFailures,
  StressHistogramBucket,
  StressLatency,
  StressOptions,
  StressProgress,
  StressReport,
  StressSecond,
} from "./stress.ts";
import {
  type AgentBeat,
  type AgentMessage,
  type AgentPlan,
  agentQueue,
  AGENTS_KEY,
  type AgentSummary,
  BEAT_STALE_MS,
  measureOffset,
  runChannel,
  STOP_CHANNEL,
  type WireSecond,
  type WireStressOptions,
} from "./_stress_cluster_protocol.ts";

const ACTION = "Cannot run stress on the cluster";
/** An agent silent this long has missed two snapshots (sent every 1 s): it is lost. */
const LOST_MS = 2_500;
/** Plans go out this long before the start, so that every agent holds one in time. */
const LEAD_MS = 1_000;
/** After a stop, agents have this long to send their final counts. */
const STOP_GRACE_MS = 1_000;

/** How to reach the agents of a distributed run. */
export interface ClusterStressOptions {
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
  /** Stops the run: every agent stops within 1 s and the report is the partial merge. */
  signal?: AbortSignal;
  /** Merged live counts, about 10 times a second. */
  onProgress?: (progress: StressProgress) => void;
  /**
   * Each second of the run with its merged latency histogram (µs), in order, once the
   * run has ended (the CLI writes `--hdr-log` and judges percentile thresholds from them).
   */
  onSecond?: (second: StressSecond, latency: HistogramData) => void;
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
}

/** The report of a distributed run: the local shape plus the agents. */
export interface ClusterStressReport extends StressReport {
  /** One entry per agent. */
  agents: StressAgentReport[];
  /** Why the run counts as failed (an agent lost), when it does. */
  clusterError?: string;
}

/** Decodes HdrHistogram's compressed base64 (as `encodeHistogram` writes) into counts. */
export async function decodeHistogramCounts(text: string): Promise<Float64Array> {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const length = view.getInt32(4);
  const stream = new Blob([bytes.subarray(8, 8 + length)]).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  const plain = new Uint8Array(await new Response(stream).arrayBuffer());
  const payloadLength = new DataView(plain.buffer).getInt32(4);
  const counts = new Float64Array(HISTOGRAM_BUCKETS);
  let at = 40, index = 0;
  const end = 40 + payloadLength;
  while (at < end) {
    let v = 0, scale = 1, byte;
    do {
      byte = plain[at++];
      v += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte & 0x80);
    const value = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    if (value < 0) index += -value;
    else counts[index++] = value;
  }
  return counts;
}

async function fromWire(second: WireSecond): Promise<HistogramData> {
  return {
    counts: await decodeHistogramCounts(second.hdr),
    total: second.total,
    sum: second.sum,
    min: second.min ?? Infinity, // JSON writes Infinity as null
    max: second.max,
  };
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function latencyOf(h: Histogram): StressLatency {
  const ms = (micros: number) => round3(micros / 1000);
  if (h.total === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    min: ms(h.min),
    mean: ms(h.mean()),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
  };
}

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

/**
 * The shards of a run: the options each agent runs and its start delay in ms.
 *
 * @throws {TypeError} For options a cluster run cannot share yet (ramps, stages, templates).
 * @throws {RangeError} When there are fewer connections or requests than agents.
 */
export function planShards(
  options: StressOptions,
  agents: number,
): { options: WireStressOptions; delayMs: number }[] {
  for (const name of ["stages", "startRate", "templates", "seed", "caCerts"] as const) {
    if (options[name] !== undefined) {
      throw new TypeError(`${ACTION} as '${name}' is not shared out to agents yet: received it`);
    }
  }
  if (options.rate !== undefined && typeof options.rate !== "number") {
    throw new TypeError(`${ACTION} as 'rate' must be a number in cluster runs: received a ramp`);
  }
  if (options.concurrency !== undefined && typeof options.concurrency !== "number") {
    throw new TypeError(
      `${ACTION} as 'concurrency' must be a number in cluster runs: received a ramp`,
    );
  }
  const url = String(options.url instanceof URL ? options.url.href : options.url);
  const connections = options.concurrency === undefined
    ? undefined
    : splitEvenly(options.concurrency, agents);
  const requests = options.requests === undefined
    ? undefined
    : splitEvenly(options.requests, agents);
  for (
    const [name, value] of [["concurrency", options.concurrency], ["requests", options.requests]]
  ) {
    if (typeof value === "number" && value < agents) {
      throw new RangeError(
        `${ACTION} as '${name}' must be at least 'agents' (${agents}): received ${value}`,
      );
    }
  }
  const headers = options.headers === undefined
    ? undefined
    : [...new Headers(options.headers)] as [string, string][];
  return Array.from({ length: agents }, (_, i) => {
    const shard: WireStressOptions = { url };
    if (requests) shard.requests = requests[i];
    if (options.duration !== undefined) shard.duration = options.duration;
    if (connections) shard.concurrency = connections[i];
    if (options.workers !== undefined) shard.workers = options.workers;
    if (options.method !== undefined) shard.method = options.method;
    if (headers) shard.headers = headers;
    if (options.body !== undefined) shard.body = bodyBase64(options.body);
    if (options.timeout !== undefined) shard.timeout = options.timeout;
    if (options.pipeline !== undefined) shard.pipeline = options.pipeline;
    let delayMs = 0;
    if (typeof options.rate === "number") {
      shard.rate = options.rate / agents;
      // Agent i's arrivals fall between agent i-1's: i/(N·R) s after the start.
      delayMs = (i * 1000) / (agents * options.rate);
    }
    return { options: shard, delayMs };
  });
}

/** One agent's state during a run. */
class AgentState {
  completed = 0;
  errors = 0;
  lastSeen: number;
  accepted = false;
  done?: AgentSummary;
  lost = false;
  lostReason?: string;
  histogram = new Histogram();
  seconds = new Map<number, { second: StressSecond; histogram: HistogramData }>();
  /** Display buckets of a final report sent without per-second histograms (older engine). */
  fallback?: StressHistogramBucket[];

  constructor(readonly beat: AgentBeat, readonly clockOffsetMs: number, now: number) {
    this.lastSeen = now;
  }

  get finished(): boolean {
    return this.done !== undefined || this.lost;
  }
}

/** Where the run stands: agents, their merged counts, its steps as methods. */
class ClusterRun {
  readonly runId = crypto.randomUUID();
  #client: Redis;
  /** Each second's merged counts and histogram, set by `report()`. */
  mergedSeconds = new Map<number, { completed: number; failures: number; h: Histogram }>();
  #target: RedisTarget;
  #agents = new Map<string, AgentState>();
  #settled = Promise.withResolvers<void>();
  #pending: Promise<void> = Promise.resolve();
  #refused?: string;
  startEpoch = 0;

  constructor(client: Redis, target: RedisTarget) {
    this.#client = client;
    this.#target = target;
  }

  /** The coordinator's clock minus Redis's. */
  offset(): Promise<number> {
    return measureOffset(this.#client);
  }

  /** Waits until `count` agents beat as idle, at most `timeoutMs`. */
  async waitForAgents(
    count: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AgentBeat[]> {
    const end = Date.now() + timeoutMs;
    let idle: AgentBeat[] = [];
    for (;;) {
      const now = Date.now() - await this.offset();
      const beats = Object.values(await this.#client.hgetall(AGENTS_KEY))
        .map((text) => JSON.parse(text) as AgentBeat)
        .filter((b) => now - b.at < BEAT_STALE_MS);
      idle = beats.filter((b) => b.state === "idle");
      if (idle.length >= count) return idle.slice(0, count);
      if (Date.now() >= end || signal?.aborted) {
        throw new Error(
          `${ACTION} as ${count} idle agents were wanted: ${idle.length} answered within ${timeoutMs} ms (${beats.length} alive)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Handles one message of an agent (in order: decoding is chained). */
  receive(text: string): void {
    const message = JSON.parse(text) as AgentMessage;
    this.#pending = this.#pending.then(() => this.#apply(message)).catch(() => {});
  }

  async #apply(message: AgentMessage): Promise<void> {
    const agent = this.#agents.get(message.agent);
    if (!agent || agent.finished) return;
    agent.lastSeen = Date.now();
    switch (message.type) {
      case "accepted":
        agent.accepted = true;
        break;
      case "refused":
        this.#refused ??= `agent ${message.agent} on ${message.host} refused: ${message.reason}`;
        agent.lost = true;
        agent.lostReason = `refused: ${message.reason}`;
        break;
      case "snapshot":
        agent.completed = message.completed;
        agent.errors = message.errors;
        await this.#addSeconds(agent, message.seconds);
        break;
      case "done":
        await this.#addSeconds(agent, message.seconds);
        agent.done = message.report;
        if (!message.histograms && message.report.requests > 0) {
          agent.fallback = message.report.histogram;
        }
        break;
      case "failed":
        agent.lost = true;
        agent.lostReason = `failed: ${message.reason}`;
        break;
    }
    this.#checkSettled();
  }

  async #addSeconds(agent: AgentState, seconds: WireSecond[]): Promise<void> {
    for (const wire of seconds) {
      const histogram = await fromWire(wire);
      agent.histogram.merge(histogram);
      agent.seconds.set(wire.second.second, { second: wire.second, histogram });
    }
  }

  #checkSettled(): void {
    if (this.#refused || [...this.#agents.values()].every((a) => a.finished)) {
      this.#settled.resolve();
    }
  }

  /** Marks agents silent for two snapshots as lost. */
  checkLost(now: number): void {
    for (const [id, agent] of this.#agents) {
      if (!agent.finished && now - agent.lastSeen > LOST_MS) {
        agent.lost = true;
        agent.lostReason = agent.accepted
          ? `no snapshot from agent ${id} for ${LOST_MS} ms`
          : `agent ${id} never took its plan`;
      }
    }
    this.#checkSettled();
  }

  get refused(): string | undefined {
    return this.#refused;
  }

  get settled(): Promise<void> {
    return this.#settled.promise;
  }

  /** Drains the messages being decoded. */
  drain(): Promise<void> {
    return this.#pending;
  }

  /** Sends every agent its plan. */
  async sendPlans(
    beats: AgentBeat[],
    shards: { options: WireStressOptions; delayMs: number }[],
    coordinatorOffset: number,
  ): Promise<void> {
    const now = Date.now();
    const startAt = now - coordinatorOffset + LEAD_MS;
    this.startEpoch = now + LEAD_MS;
    for (const beat of beats) {
      this.#agents.set(
        beat.id,
        new AgentState(beat, beat.offsetMs - coordinatorOffset, now + LEAD_MS),
      );
    }
    await Promise.all(beats.map(async (beat, index) => {
      const plan: AgentPlan = {
        runId: this.runId,
        index,
        agents: beats.length,
        startAt: startAt + shards[index].delayMs,
        options: shards[index].options,
      };
      const queue = new Queue(agentQueue(beat.id), { connection: newClient(this.#target) });
      try {
        await queue.add("plan", plan, { removeOnComplete: true, removeOnFail: true, attempts: 1 });
      } finally {
        await queue.close();
        await closeClient(queue.opts.connection as Redis, 500).catch(() => {});
      }
    }));
  }

  /** Live merged counts. */
  progress(total: number | undefined, startPerf: number, rps: number): StressProgress {
    let completed = 0, errors = 0;
    for (const agent of this.#agents.values()) {
      completed += agent.done ? agent.done.requests - agent.done.inFlight : agent.completed;
      errors += agent.done
        ? agent.done.requests - agent.done.inFlight - agent.done.successes
        : agent.errors;
    }
    return { completed, total, errors, rps, elapsedMs: performance.now() - startPerf };
  }

  /** Stops every agent of the run. */
  async stop(): Promise<void> {
    await this.#client.publish(STOP_CHANNEL, this.runId).catch(() => {});
  }

  /** The merged report. */
  report(
    options: StressOptions,
    shards: WireStressOptions[],
    cancelled: boolean,
  ): ClusterStressReport {
    const all = new Histogram();
    // Every cause the engine counts (the set grows: http4xx, http5xx), zero or summed.
    const failures = { timeout: 0, refused: 0, reset: 0, protocol: 0, other: 0 } as StressFailures;
    const statusCodes: Record<string, number> = {};
    const reasons = new Map<
      string,
      { cause: keyof StressFailures; reason: string; count: number }
    >();
    const perSecond = new Map<number, { completed: number; failures: number; h: Histogram }>();
    this.mergedSeconds = perSecond;
    let requests = 0, successes = 0, inFlight = 0, bytesPerSecond = 0, durationMs = 0;
    let concurrency = 0, workers = 0, pipeline = 1;
    const agents: StressAgentReport[] = [];
    const index = [...this.#agents.keys()];
    for (const [id, agent] of this.#agents) {
      const done = agent.done;
      const histogram = agent.histogram;
      if (agent.fallback && histogram.total === 0) {
        // An engine without per-second histograms: bucket midpoints (approximate).
        for (const b of agent.fallback) {
          for (let k = 0; k < b.count; k++) histogram.record(((b.fromMs + b.toMs) / 2) * 1000);
        }
      }
      all.merge(histogram.data());
      for (const { second, histogram: h } of agent.seconds.values()) {
        const entry = perSecond.get(second.second) ??
          { completed: 0, failures: 0, h: new Histogram() };
        entry.completed += second.completed;
        entry.failures += second.failures;
        entry.h.merge(h);
        perSecond.set(second.second, entry);
      }
      let agentRequests: number, agentSuccesses: number, agentRps: number;
      if (done) {
        agentRequests = done.requests;
        agentSuccesses = done.successes;
        agentRps = done.rps;
        inFlight += done.inFlight;
        for (const [cause, n] of Object.entries(done.failures)) {
          const key = cause as keyof StressFailures;
          failures[key] = (failures[key] ?? 0) + n;
        }
        for (const [code, n] of Object.entries(done.statusCodes)) {
          statusCodes[code] = (statusCodes[code] ?? 0) + n;
        }
        for (const r of done.failureReasons ?? []) {
          const key = `${r.cause}\0${r.reason}`;
          const entry = reasons.get(key) ?? { ...r, count: 0 };
          entry.count += r.count;
          reasons.set(key, entry);
        }
        bytesPerSecond += done.bytesPerSecond;
        durationMs = Math.max(durationMs, done.durationMs);
        concurrency += done.concurrency;
        workers += done.workers;
        pipeline = done.pipeline;
      } else {
        // Lost: its counts up to its last snapshot; causes unknown, counted as 'other'.
        agentRequests = agent.completed;
        agentSuccesses = agent.completed - agent.errors;
        failures.other += agent.errors;
        agentRps = 0;
        concurrency += shards[index.indexOf(id)].concurrency ?? 0;
      }
      requests += agentRequests;
      successes += agentSuccesses;
      agents.push({
        id,
        host: agent.beat.host,
        requests: agentRequests,
        successes: agentSuccesses,
        failures: agentRequests - agentSuccesses - (done?.inFlight ?? 0),
        rps: agentRps,
        latencyMs: latencyOf(histogram),
        lost: agent.lost,
        ...(agent.lostReason ? { lostReason: agent.lostReason } : {}),
        clockOffsetMs: round3(agent.clockOffsetMs),
      });
    }
    if (durationMs === 0) durationMs = Math.max(0, Date.now() - this.startEpoch);
    const last = Math.max(-1, ...perSecond.keys());
    const timeline: StressSecond[] = [];
    for (let s = 0; s <= last; s++) {
      const e = perSecond.get(s) ?? { completed: 0, failures: 0, h: new Histogram() };
      const l = latencyOf(e.h);
      timeline.push({
        second: s,
        completed: e.completed,
        failures: e.failures,
        p99: l.p99,
        p50: l.p50,
        p90: l.p90,
        max: l.max,
      });
    }
    const lost = agents.filter((a) => a.lost);
    const url = new URL(String(options.url instanceof URL ? options.url.href : options.url));
    if (url.password !== "") url.password = "";
    const report: ClusterStressReport = {
      url: url.href,
      method: (options.method ?? "GET").toUpperCase(),
      concurrency,
      workers,
      pipeline,
      rate: typeof options.rate === "number" ? options.rate : null,
      requests,
      successes,
      failures,
      ...(reasons.size > 0 ? { failureReasons: [...reasons.values()] } : {}),
      inFlight,
      statusCodes,
      rps: durationMs > 0 ? Math.round((requests - inFlight) * 1000 / durationMs) : 0,
      bytesPerSecond,
      durationMs: Math.round(durationMs),
      latencyMs: latencyOf(all),
      histogram: displayBuckets(all),
      timeline,
      startTime: new Date(this.startEpoch).toISOString(),
      endTime: new Date(this.startEpoch + durationMs).toISOString(),
      cancelled,
      agents,
    };
    if (lost.length > 0) {
      report.clusterError = `${lost.length} of ${agents.length} agents lost: ${
        lost.map((a) => a.lostReason).join("; ")
      }`;
    }
    return report;
  }
}

/** Fails fast when Redis does not answer a PING within `ms`. */
async function ping(client: Redis, where: string, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answered = await Promise.race([
    client.ping().then(() => true, () => false),
    new Promise<boolean>((resolve) => timer = setTimeout(resolve, ms, false)),
  ]);
  clearTimeout(timer);
  if (!answered) throw new Error(`${ACTION} as Redis at ${where} does not answer within ${ms} ms`);
}

/**
 * Runs a stress test split over `agents` idle stress agents and merges their results.
 *
 * @param options What to stress, as for `runStress` (the run's totals: split here).
 * @param cluster Redis, the number of agents, a signal and a progress callback.
 * @returns The merged report plus `agents`; `clusterError` names lost agents.
 * @throws {TypeError} When an option is malformed or not shareable yet (ramps, stages).
 * @throws {RangeError} When `agents` is not a positive integer, or below it there are
 * fewer connections or requests than agents.
 * @throws {Error} When Redis does not answer, or fewer idle agents answer in time (no
 * traffic is sent then), or an agent refuses its target.
 *
 * @example Zero agents is a RangeError
 * ```ts
 * import { runClusterStress } from "./_stress_cluster.ts";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(
 *   () => runClusterStress({ url: "http://127.0.0.1:1/" }, { redis: "redis://127.0.0.1:1", agents: 0 }),
 *   RangeError,
 * );
 * ```
 */
export async function runClusterStress(
  options: StressOptions,
  cluster: ClusterStressOptions,
): Promise<ClusterStressReport> {
  const agentsError = integerError(cluster.agents, "agents", ACTION, { max: 10_000 });
  if (agentsError) throw agentsError;
  const timeoutMs = checkInteger(cluster.agentsTimeoutMs, "agentsTimeoutMs", ACTION, 10_000, {
    max: 3_600_000,
  });
  if (cluster.onProgress !== undefined && typeof cluster.onProgress !== "function") {
    throw new TypeError(
      `${ACTION} as 'onProgress' must be a function: received ${received(cluster.onProgress)}`,
    );
  }
  const shards = planShards(options, cluster.agents);
  const target = checkRedis(cluster.redis, ACTION);
  const { signal, onProgress } = cluster;
  signal?.throwIfAborted();
  const where = target.url ? target.url.host : "the given client";
  const client = newClient(target);
  const subscriber = newClient(target);
  const run = new ClusterRun(client, target);
  let ticker: ReturnType<typeof setInterval> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await ping(client, where, Math.min(timeoutMs, 5_000));
    const beats = await run.waitForAgents(cluster.agents, timeoutMs, signal);
    await subscriber.subscribe(runChannel(run.runId));
    subscriber.on("message", (_channel: string, text: string) => run.receive(text));
    const offset = await run.offset();
    await run.sendPlans(beats, shards, offset);
    const startPerf = performance.now() + LEAD_MS;
    let cancelled = false;
    const aborted = Promise.withResolvers<void>();
    onAbort = () => {
      cancelled = true;
      aborted.resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const window: { at: number; completed: number }[] = [];
    ticker = setInterval(() => {
      run.checkLost(Date.now());
      if (!onProgress || performance.now() < startPerf) return;
      const p = run.progress(options.requests, startPerf, 0);
      const now = performance.now();
      window.push({ at: now, completed: p.completed });
      while (window.length > 2 && now - window[1].at >= 1000) window.shift();
      const span = now - window[0].at;
      p.rps = span > 0 ? ((p.completed - window[0].completed) * 1000) / span : 0;
      onProgress(p);
    }, 100);
    await Promise.race([run.settled, aborted.promise]);
    if (cancelled || run.refused) {
      await run.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        run.settled,
        new Promise((resolve) => timer = setTimeout(resolve, STOP_GRACE_MS)),
      ]);
      clearTimeout(timer);
      if (run.refused && !cancelled) throw new Error(`${ACTION} as ${run.refused}`);
    }
    clearInterval(ticker);
    await run.drain();
    const report = run.report(options, shards.map((s) => s.options), cancelled);
    for (const second of report.timeline) {
      const merged = run.mergedSeconds.get(second.second);
      if (merged) cluster.onSecond?.(second, merged.h.data());
    }
    onProgress?.(run.progress(options.requests, startPerf, report.rps));
    return report;
  } finally {
    clearInterval(ticker);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await closeClient(subscriber, 500);
    await closeClient(client, 500);
  }
}

/** A redis-server and agent processes on this machine, for `--cluster local`. */
export interface LocalCluster extends AsyncDisposable {
  /** The Redis URL to pass as `redis`. */
  readonly redis: string;
  /** Stops the agents (SIGTERM) and Redis. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway `redis-server` from `PATH` on a free loopback port and `agents`
 * agent processes with the least permissions (net to loopback only), ready for
 * {@linkcode runClusterStress}. Needs `--allow-run`, `--allow-read`, `--allow-write`
 * (Redis's temporary folder) and `--allow-net=127.0.0.1`.
 *
 * @param agents How many agents.
 * @returns The cluster, once every agent beats.
 * @throws {Error} When redis-server is missing or an agent exits before it is ready.
 */
export async function startLocalCluster(agents: number): Promise<LocalCluster> {
  const { startRedis } = await import("../cluster/_redis_server.ts");
  const redis = await startRedis();
  const cli = new URL("./stress_agent_cli.ts", import.meta.url);
  const read = ["./", "../sync/"].map((f) => new URL(f, import.meta.url).pathname);
  const children: Deno.ChildProcess[] = [];
  const drains: Promise<void>[] = [];
  const stop = async () => {
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    await Promise.all(children.map((c) => c.status));
    await Promise.all(drains);
    await redis.stop();
  };
  try {
    const ready: Promise<void>[] = [];
    for (let i = 0; i < agents; i++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          `--config=${new URL("../deno.json", import.meta.url).pathname}`,
          "--allow-net=127.0.0.1,localhost,[::1]",
          `--allow-read=${read.join(",")}`,
          "--allow-env",
          "--allow-sys=hostname",
          cli.pathname,
          "--redis",
          redis.url,
          "--json",
        ],
        env: { TANDEM_STRESS_AGENT_CHILD: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      children.push(child);
      // Read its event lines until it exits (a closed pipe would fail its next write).
      const isReady = Promise.withResolvers<void>();
      drains.push((async () => {
        let text = "";
        for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
          text = (text + chunk).slice(-200);
          if (text.includes('"event":"ready"')) isReady.resolve();
        }
        isReady.reject(
          new Error("Cannot start a local stress agent: it exited before it was ready"),
        );
      })());
      ready.push(isReady.promise);
    }
    await Promise.all(ready);
  } catch (error) {
    await stop();
    throw error;
  }
  return { redis: redis.url, stop, [Symbol.asyncDispose]: stop };
}
