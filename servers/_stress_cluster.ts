/**
 * Private: the coordinator of a distributed stress run. It claims N idle agents (see
 * `stress_agent.ts`), gives each a shard, and merges their snapshots into one report of
 * the local shape:
 *
 * ```text
 * runClusterStress ─▶ planShards (_stress_shards.ts: each agent's options and start delay)
 *                  ─▶ claimAgents (HGETALL beats; one Lua script claims N idle agents or
 *                     none, ≤ agentsTimeoutMs)
 *                  ─▶ sendPlans (templates once in a key; one BullMQ job per agent;
 *                     one start time in Redis time)
 *                  ─▶ collect (SUBSCRIBE run channel: snapshots 1/s, done, lost after 2.5 s;
 *                     claims refreshed every second)
 *                  ─▶ merge (bucket counts of every second's histogram, never percentiles)
 * ```
 *
 * Splitting (`_stress_shards.ts`): connections and requests are divided as evenly as
 * integers allow; agent i of N sends the run's arrivals i, i + N, i + 2N, …, so that the
 * merged arrivals are exactly the run's, ramps and stages included.
 *
 * @module
 */

import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { checkInteger, received } from "../sync/_checks.ts";
import {
  checkRedis,
  closeClient,
  newClient,
  type RedisTarget,
  withDeadline,
} from "../cluster/_redis.ts";
import { displayBuckets, Histogram, HISTOGRAM_BUCKETS, type HistogramData } from "./_histogram.ts";
import { arrivalsBy, type LoadProfile, rateAt } from "./_load_profile.ts";
import {
  checkClusterCounts,
  MAX_AGENTS_TIMEOUT_MS,
  normalizeStressOptions,
} from "./_stress_options.ts";
import { randomSeed } from "./_weighted_pick.ts";
import { planShards, type Shard, wireTemplates } from "./_stress_shards.ts";
import type {
  StressEndpoint,
  StressFailures,
  StressHistogramBucket,
  StressLatency,
  StressOptions,
  StressProgress,
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
  claimKey,
  type ClusterStressReport,
  measureOffset,
  runChannel,
  STOP_CHANNEL,
  type StressAgentProgress,
  type StressAgentReport,
  type StressClusterOptions,
  templatesKey,
  type WireSecond,
  type WireStatusClasses,
  type WireStressOptions,
} from "./_stress_cluster_protocol.ts";

export type {
  ClusterStressReport,
  StressAgentReport,
  StressClusterOptions,
} from "./_stress_cluster_protocol.ts";
export { MAX_TEMPLATES_BYTES, planShards, type Shard, splitEvenly } from "./_stress_shards.ts";

const ACTION = "Cannot run stress on the cluster";
/** An agent silent this long has missed two snapshots (sent every 1 s): it is lost. */
const LOST_MS = 2_500;
/** Plans go out this long before the start, so that every agent holds one in time. */
const LEAD_MS = 1_000;
/** After a stop, agents have this long to send their final counts. */
const STOP_GRACE_MS = 1_000;
/**
 * A claim lives this long unless refreshed (every second while the run goes): a
 * coordinator that dies frees its agents 5 s later.
 */
const CLAIM_TTL_MS = 5_000;
/**
 * Each Redis command on the stop path waits at most this long: a Redis that is gone
 * (ioredis queues commands until it is back) must never hang the stop.
 */
const STOP_REDIS_MS = 500;

/**
 * Claims ARGV[3] of the agents whose claim keys are KEYS (value ARGV[1], expiry ARGV[2]
 * ms) when that many are free, else none: `{1, indices…}` (1-based) or `{0, free}`.
 */
const CLAIM_AGENTS = `local want = tonumber(ARGV[3])
local free = {}
for i, key in ipairs(KEYS) do
  if #free >= want then break end
  if redis.call('EXISTS', key) == 0 then table.insert(free, i) end
end
if #free < want then return {0, #free} end
for _, i in ipairs(free) do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
table.insert(free, 1, 1)
return free`;

/** Sets a claim's expiry only while it is still this run's. */
const REFRESH_CLAIM =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
/** Deletes a claim only while it is still this run's. */
const RELEASE_CLAIM =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** How to reach the agents of a distributed run, with the run's callbacks. */
export interface ClusterStressOptions extends StressClusterOptions {
  /** Stops the run: every agent stops within 1 s and the report is the partial merge. */
  signal?: AbortSignal;
  /** Merged live counts, about 10 times a second. */
  onProgress?: (progress: StressProgress) => void;
  /**
   * Each second of the run with its merged latency histogram (µs), in order, once every
   * agent still running has sent it (about 1–2 s behind; the rest at the end): the CLI
   * writes `--hdr-log` and judges percentile thresholds from them, the GUI draws them.
   */
  onSecond?: (
    second: StressSecond,
    latency: HistogramData,
    serviceTime: HistogramData | undefined,
  ) => void;
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

async function fromWire(second: Omit<WireSecond, "second">): Promise<HistogramData> {
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

const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
const NO_FAILURES: StressFailures = {
  timeout: 0,
  refused: 0,
  reset: 0,
  protocol: 0,
  http4xx: 0,
  http5xx: 0,
  other: 0,
};

/** One agent's state during a run. */
class AgentState {
  completed = 0;
  errors = 0;
  statusClasses: WireStatusClasses = {};
  late = 0;
  /** Failures by cause as of its last snapshot, when its engine publishes them. */
  failures?: Partial<StressFailures>;
  /** When it wrote its first request, in Redis time. */
  startedAt?: number;
  lastSeen: number;
  accepted = false;
  done?: AgentSummary;
  lost = false;
  lostReason?: string;
  histogram = new Histogram();
  service?: Histogram;
  seconds = new Map<number, { second: StressSecond; histogram: HistogramData }>();
  /** The last second it sent (its seconds come in order, empty ones too). */
  lastSecond = -1;
  /** Its completions over about the last second, for its live rate. */
  window: { at: number; completed: number }[] = [];
  /** Display buckets of a final report sent without per-second histograms (older engine). */
  fallback?: StressHistogramBucket[];

  constructor(
    readonly beat: AgentBeat,
    readonly clockOffsetMs: number,
    readonly plannedStart: number,
    now: number,
  ) {
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
  #target: RedisTarget;
  #agents = new Map<string, AgentState>();
  #claimed = new Set<string>();
  #settled = Promise.withResolvers<void>();
  #pending: Promise<void> = Promise.resolve();
  #refused?: string;
  #templates = false;
  /** The next second to hand to `onSecond`. */
  #nextSecond = 0;
  #onSecond?: (second: StressSecond, latency: HistogramData) => void;
  startEpoch = 0;

  constructor(
    client: Redis,
    target: RedisTarget,
    onSecond?: (second: StressSecond, latency: HistogramData) => void,
  ) {
    this.#client = client;
    this.#target = target;
    this.#onSecond = onSecond;
  }

  /** The coordinator's clock minus Redis's. */
  offset(): Promise<number> {
    return measureOffset(this.#client);
  }

  /**
   * Claims `count` idle agents at once (a Lua script sets each one's claim key, or none
   * when fewer than `count` are free: two coordinators never share an agent, nor hold
   * half of what each needs), waiting at most `timeoutMs`.
   */
  async claimAgents(
    count: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AgentBeat[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now() - await this.offset();
      const beats = Object.values(await this.#client.hgetall(AGENTS_KEY))
        .map((text) => JSON.parse(text) as AgentBeat)
        .filter((b) => now - b.at < BEAT_STALE_MS);
      const idle = beats.filter((b) => b.state === "idle");
      let free = 0;
      if (idle.length >= count) {
        const [ok, ...rest] = await this.#client.eval(
          CLAIM_AGENTS,
          idle.length,
          ...idle.map((b) => claimKey(b.id)),
          this.runId,
          CLAIM_TTL_MS,
          count,
        ) as number[];
        if (ok === 1) {
          const claimed = rest.map((i) => idle[i - 1]);
          for (const b of claimed) this.#claimed.add(b.id);
          return claimed;
        }
        free = rest[0];
      }
      if (Date.now() >= end || signal?.aborted) {
        const busy = beats.length - (idle.length >= count ? free : idle.length);
        throw new Error(
          `${ACTION} as ${count} idle agents were wanted: ${
            idle.length >= count ? free : idle.length
          } answered within ${timeoutMs} ms (${beats.length} alive${
            busy > 0 ? `, ${busy} busy with another run` : ""
          })`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #release(id: string): Promise<void> {
    this.#claimed.delete(id);
    await this.#client.eval(RELEASE_CLAIM, 1, claimKey(id), this.runId).catch(() => {});
  }

  /** Keeps this run's claims alive. */
  async refreshClaims(): Promise<void> {
    await Promise.all(
      [...this.#claimed].map((id) =>
        this.#client.eval(REFRESH_CLAIM, 1, claimKey(id), this.runId, CLAIM_TTL_MS)
      ),
    );
  }

  /** Gives back every claim of this run, and its templates. */
  async releaseClaims(): Promise<void> {
    await Promise.all([...this.#claimed].map((id) => this.#release(id)));
    if (this.#templates) {
      this.#templates = false;
      await this.#client.del(templatesKey(this.runId)).catch(() => {});
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
        if (message.statusClasses) agent.statusClasses = message.statusClasses;
        if (message.late !== undefined) agent.late = message.late;
        if (message.failures !== undefined) agent.failures = message.failures;
        await this.#addSeconds(agent, message.seconds);
        break;
      case "done":
        await this.#addSeconds(agent, message.seconds);
        if (message.startedAt !== undefined) agent.startedAt = message.startedAt;
        if (message.service) agent.service = new Histogram(await fromWire(message.service));
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
      agent.lastSecond = Math.max(agent.lastSecond, wire.second.second);
    }
  }

  #checkSettled(): void {
    this.#handSeconds(false);
    if (this.#refused || [...this.#agents.values()].every((a) => a.finished)) {
      this.#settled.resolve();
    }
  }

  /** Merges second `s` of every agent (bucket counts; targets and connections summed). */
  #mergeSecond(s: number): { second: StressSecond; h: Histogram } {
    let completed = 0, failures = 0;
    let targetRate: number | undefined, connections: number | undefined;
    const h = new Histogram();
    for (const agent of this.#agents.values()) {
      const entry = agent.seconds.get(s);
      if (!entry) continue;
      completed += entry.second.completed;
      failures += entry.second.failures;
      if (entry.second.targetRate !== undefined) {
        targetRate = (targetRate ?? 0) + entry.second.targetRate;
      }
      if (entry.second.connections !== undefined) {
        connections = (connections ?? 0) + entry.second.connections;
      }
      h.merge(entry.histogram);
    }
    const l = latencyOf(h);
    return {
      second: {
        second: s,
        completed,
        failures,
        p99: l.p99,
        p50: l.p50,
        p90: l.p90,
        max: l.max,
        ...(targetRate !== undefined && { targetRate: round3(targetRate) }),
        ...(connections !== undefined && { connections }),
      },
      h,
    };
  }

  /**
   * Hands each merged second to `onSecond` once every agent still running has sent it
   * (agents send their seconds in order, about a second behind); at the end, the rest.
   */
  #handSeconds(final: boolean): void {
    if (!this.#onSecond) return;
    const agents = [...this.#agents.values()];
    if (agents.length === 0) return;
    const last = Math.max(-1, ...agents.map((a) => a.lastSecond));
    for (; this.#nextSecond <= last; this.#nextSecond++) {
      const s = this.#nextSecond;
      if (!final && !agents.every((a) => a.finished || a.lastSecond >= s)) return;
      const { second, h } = this.#mergeSecond(s);
      this.#onSecond(second, h.data());
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

  /** Drains the messages being decoded, then hands the seconds left to `onSecond`. */
  async drain(): Promise<void> {
    await this.#pending;
    this.#handSeconds(true);
  }

  /** Sends every agent its plan (the templates first, once, under the run's key). */
  async sendPlans(
    beats: AgentBeat[],
    shards: Shard[],
    coordinatorOffset: number,
    templates: string | undefined,
  ): Promise<void> {
    if (templates !== undefined) {
      this.#templates = true;
      // Read by each agent when its plan arrives; deleted at the end (10 min at most).
      await this.#client.set(templatesKey(this.runId), templates, "PX", 600_000);
    }
    const now = Date.now();
    const startAt = now - coordinatorOffset + LEAD_MS;
    this.startEpoch = now + LEAD_MS;
    beats.forEach((beat, index) => {
      this.#agents.set(
        beat.id,
        new AgentState(
          beat,
          beat.offsetMs - coordinatorOffset,
          startAt + shards[index].delayMs,
          now + LEAD_MS,
        ),
      );
    });
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
  progress(
    total: number | undefined,
    startPerf: number,
    rps: number,
    profile: LoadProfile | undefined,
  ): StressProgress {
    let completed = 0, errors = 0, late = 0;
    const statusClasses = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
    const now = performance.now();
    const agents: StressAgentProgress[] = [];
    let failures: StressFailures | undefined;
    for (const [id, agent] of this.#agents) {
      const own = agent.done ? agent.done.requests - agent.done.inFlight : agent.completed;
      const ownErrors = agent.done
        ? agent.done.requests - agent.done.inFlight - agent.done.successes
        : agent.errors;
      completed += own;
      errors += ownErrors;
      for (const c of CLASSES) statusClasses[c] += agent.statusClasses[c] ?? 0;
      late += agent.late;
      const causes = agent.done?.failures ?? agent.failures;
      if (causes) {
        failures ??= { ...NO_FAILURES };
        for (const [cause, n] of Object.entries(causes)) {
          failures[cause as keyof StressFailures] += n;
        }
      }
      agent.window.push({ at: now, completed: own });
      while (agent.window.length > 2 && now - agent.window[1].at >= 1000) agent.window.shift();
      const span = now - agent.window[0].at;
      agents.push({
        id,
        host: agent.beat.host,
        state: agent.lost ? "lost" : agent.done ? "done" : agent.accepted ? "running" : "starting",
        completed: own,
        errors: ownErrors,
        rps: span > 0 ? ((own - agent.window[0].completed) * 1000) / span : 0,
        lost: agent.lost,
        ...(agent.lostReason !== undefined && { lostReason: agent.lostReason }),
      });
    }
    const elapsedMs = now - startPerf;
    return {
      completed,
      total,
      errors,
      rps,
      elapsedMs,
      ...(profile && { targetRate: rateAt(profile, elapsedMs) }),
      statusClasses,
      late,
      ...(failures && { failures }),
      agents,
    };
  }

  /** Stops every agent of the run. */
  async stop(): Promise<void> {
    await withDeadline(this.#client.publish(STOP_CHANNEL, this.runId), STOP_REDIS_MS);
  }

  /** The merged report. */
  report(
    options: StressOptions,
    shards: WireStressOptions[],
    cancelled: boolean,
    extra: { profile: LoadProfile | undefined; length: number | undefined; seed?: number },
  ): ClusterStressReport {
    const all = new Histogram();
    const service = new Histogram();
    // Every cause the engine counts, zero or summed.
    const failures = { ...NO_FAILURES };
    const statusCodes: Record<string, number> = {};
    const reasons = new Map<
      string,
      { cause: keyof StressFailures; reason: string; count: number }
    >();
    let requests = 0, successes = 0, inFlight = 0, bytesPerSecond = 0, durationMs = 0;
    let concurrency = 0, workers = 0, pipeline = 1;
    const late = { count: 0, worstMs: 0, busy: 0 };
    let lag: { p99: number; max: number } | undefined;
    const endpointParts = new Map<string, StressEndpoint[]>();
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
      if (agent.service) service.merge(agent.service.data());
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
        if (done.late) {
          late.count += done.late.count;
          late.busy += done.late.busy ?? 0;
          late.worstMs = Math.max(late.worstMs, done.late.worstMs);
        }
        if (done.generatorLagMs) {
          lag = {
            p99: Math.max(lag?.p99 ?? 0, done.generatorLagMs.p99),
            max: Math.max(lag?.max ?? 0, done.generatorLagMs.max),
          };
        }
        for (const [name, e] of Object.entries(done.endpoints ?? {})) {
          endpointParts.set(name, [...endpointParts.get(name) ?? [], e]);
        }
        bytesPerSecond += done.bytesPerSecond;
        durationMs = Math.max(durationMs, done.durationMs);
        concurrency += done.concurrency;
        workers += done.workers;
        pipeline = done.pipeline;
      } else {
        // Lost: its counts up to its last snapshot; causes as of then, the rest 'other'.
        agentRequests = agent.completed;
        agentSuccesses = agent.completed - agent.errors;
        let known = 0;
        for (const [cause, n] of Object.entries(agent.failures ?? {})) {
          failures[cause as keyof StressFailures] += n;
          known += n;
        }
        failures.other += Math.max(0, agent.errors - known);
        agentRps = 0;
        const c = shards[index.indexOf(id)].concurrency;
        concurrency += typeof c === "number" ? c : c?.to ?? 0;
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
        ...(agent.startedAt !== undefined &&
          { startLateMs: round3(agent.startedAt - agent.plannedStart) }),
      });
    }
    if (durationMs === 0) durationMs = Math.max(0, Date.now() - this.startEpoch);
    const last = Math.max(-1, ...[...this.#agents.values()].map((a) => a.lastSecond));
    const timeline: StressSecond[] = [];
    for (let s = 0; s <= last; s++) timeline.push(this.#mergeSecond(s).second);
    const lost = agents.filter((a) => a.lost);
    const starts = agents.map((a) => a.startLateMs).filter((t) => t !== undefined);
    const url = new URL(String(options.url instanceof URL ? options.url.href : options.url));
    if (url.password !== "") url.password = "";
    const { profile, length } = extra;
    const report: ClusterStressReport = {
      url: url.href,
      method: (options.method ?? "GET").toUpperCase(),
      concurrency,
      workers,
      pipeline,
      rate: profile ? Math.max(profile.start, ...profile.segments.map((s) => s.to)) : null,
      requests,
      successes,
      failures,
      ...(reasons.size > 0 && {
        failureReasons: [...reasons.values()].sort((a, b) => b.count - a.count),
      }),
      inFlight,
      statusCodes: Object.fromEntries(
        Object.entries(statusCodes).sort((a, b) => Number(a[0]) - Number(b[0])),
      ),
      rps: durationMs > 0 ? Math.round((requests - inFlight) * 1000 / durationMs) : 0,
      bytesPerSecond,
      durationMs: Math.round(durationMs),
      latencyMs: latencyOf(all),
      ...(profile && { serviceTimeMs: latencyOf(service) }),
      ...(endpointParts.size > 0 && { endpoints: mergeEndpoints(endpointParts) }),
      ...(profile && {
        targetRate: targetRateOf(profile, length ?? durationMs, options.requests),
        late: { count: late.count, worstMs: round3(late.worstMs), busy: late.busy },
      }),
      ...(lag && { generatorLagMs: lag }),
      ...(extra.seed !== undefined && { seed: extra.seed }),
      histogram: displayBuckets(all),
      timeline,
      startTime: new Date(this.startEpoch).toISOString(),
      endTime: new Date(this.startEpoch + durationMs).toISOString(),
      cancelled,
      agents,
      ...(starts.length > 0 && {
        agentsStartSkewMs: round3(Math.max(...starts) - Math.min(...starts)),
      }),
    };
    if (lost.length > 0) {
      report.clusterError = `${lost.length} of ${agents.length} agents lost: ${
        lost.map((a) => a.lostReason).join("; ")
      }`;
    }
    return report;
  }
}

/** The mean target rate: requests due by the planned length per second (as a local run). */
function targetRateOf(profile: LoadProfile, length: number, requests?: number): number {
  if (!(length > 0)) return 0;
  let due = arrivalsBy(profile, length);
  if (requests !== undefined) due = Math.min(due, requests);
  return Math.round((due / length) * 1000 * 10) / 10;
}

/**
 * Sums the agents' endpoints by name. Counts are exact; per-endpoint histograms do not
 * travel, so `min`/`max` are exact, `mean` is weighted by responses, and the
 * percentiles are the highest agent's (an upper bound).
 */
function mergeEndpoints(parts: Map<string, StressEndpoint[]>): Record<string, StressEndpoint> {
  const out: Record<string, StressEndpoint> = {};
  const merge = (list: StressLatency[], weights: number[]): StressLatency => {
    const total = weights.reduce((a, b) => a + b, 0);
    const answered = list.filter((_, i) => weights[i] > 0);
    if (answered.length === 0) return list[0];
    return {
      min: Math.min(...answered.map((l) => l.min)),
      mean: round3(list.reduce((sum, l, i) => sum + l.mean * weights[i], 0) / total),
      p50: Math.max(...answered.map((l) => l.p50)),
      p90: Math.max(...answered.map((l) => l.p90)),
      p99: Math.max(...answered.map((l) => l.p99)),
      p999: Math.max(...answered.map((l) => l.p999)),
      max: Math.max(...answered.map((l) => l.max)),
    };
  };
  for (const [name, list] of parts) {
    const statusCodes: Record<string, number> = {};
    for (const e of list) {
      for (const [code, n] of Object.entries(e.statusCodes)) {
        statusCodes[code] = (statusCodes[code] ?? 0) + n;
      }
    }
    const weights = list.map((e) => e.successes + e.failures);
    const services = list.map((e) => e.serviceTimeMs).filter((l) => l !== undefined);
    out[name] = {
      requests: list.reduce((sum, e) => sum + e.requests, 0),
      successes: list.reduce((sum, e) => sum + e.successes, 0),
      failures: list.reduce((sum, e) => sum + e.failures, 0),
      inFlight: list.reduce((sum, e) => sum + (e.inFlight ?? 0), 0),
      statusCodes,
      latencyMs: merge(list.map((e) => e.latencyMs), weights),
      ...(services.length === list.length && { serviceTimeMs: merge(services, weights) }),
    };
  }
  return out;
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
 * @throws {TypeError} When an option is malformed.
 * @throws {RangeError} When `agents` is not a positive integer, or below it there are
 * fewer connections, requests or arrivals than agents.
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
  checkClusterCounts(cluster);
  const timeoutMs = checkInteger(cluster.agentsTimeoutMs, "agentsTimeoutMs", ACTION, 10_000, {
    max: MAX_AGENTS_TIMEOUT_MS,
  });
  for (const name of ["onProgress", "onSecond"] as const) {
    if (cluster[name] !== undefined && typeof cluster[name] !== "function") {
      throw new TypeError(
        `${ACTION} as '${name}' must be a function: received ${received(cluster[name])}`,
      );
    }
  }
  // The run's options are checked here, before any agent is claimed.
  const normalized = normalizeStressOptions(options);
  const seed = options.templates !== undefined ? options.seed ?? randomSeed() : options.seed;
  const shards = planShards(options, cluster.agents, seed);
  const templates = options.templates === undefined ? undefined : wireTemplates(options.templates);
  const target = checkRedis(cluster.redis, ACTION);
  const { signal, onProgress } = cluster;
  signal?.throwIfAborted();
  const where = target.url ? target.url.host : "the given client";
  const client = newClient(target);
  const subscriber = newClient(target);
  const run = new ClusterRun(
    client,
    target,
    cluster.onSecond && ((second, latency) => cluster.onSecond!(second, latency, undefined)),
  );
  let ticker: ReturnType<typeof setInterval> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await ping(client, where, Math.min(timeoutMs, 5_000));
    const beats = await run.claimAgents(cluster.agents, timeoutMs, signal);
    await subscriber.subscribe(runChannel(run.runId));
    subscriber.on("message", (_channel: string, text: string) => run.receive(text));
    const offset = await run.offset();
    await run.sendPlans(beats, shards, offset, templates);
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
    let ticks = 0;
    ticker = setInterval(() => {
      run.checkLost(Date.now());
      if (++ticks % 10 === 0) run.refreshClaims().catch(() => {});
      if (!onProgress || performance.now() < startPerf) return;
      const p = run.progress(options.requests, startPerf, 0, normalized.rateProfile);
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
    const report = run.report(options, shards.map((s) => s.options), cancelled, {
      profile: normalized.rateProfile,
      length: normalized.duration,
      seed,
    });
    if (onProgress) {
      const last = run.progress(options.requests, startPerf, report.rps, undefined);
      onProgress({
        completed: last.completed,
        total: last.total,
        errors: last.errors,
        rps: report.rps,
        elapsedMs: report.durationMs,
      });
    }
    return report;
  } finally {
    clearInterval(ticker);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await withDeadline(run.releaseClaims(), STOP_REDIS_MS);
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
  let redis;
  try {
    redis = await startRedis();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      "Cannot start a local Redis as 'redis-server' is not on PATH: install redis-server (apt install redis-server) or give --cluster redis://HOST:PORT",
    );
  }
  const cli = new URL("./stress_agent_cli.ts", import.meta.url);
  const read = ["./", "../sync/"].map((f) => new URL(f, import.meta.url).pathname);
  const children: Deno.ChildProcess[] = [];
  const drains: Promise<void>[] = [];
  const signal = (child: Deno.ChildProcess, name: Deno.Signal) => {
    try {
      child.kill(name);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    for (const child of children) signal(child, "SIGTERM");
    // An agent leaves within about 1 s (its Redis waits are bounded); one that does not
    // within 3 s is killed, so that nothing outlives the run.
    const timer = setTimeout(() => children.forEach((c) => signal(c, "SIGKILL")), 3_000);
    await Promise.all(children.map((c) => c.status));
    clearTimeout(timer);
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
        // Its own process group, as redis-server's: a terminal's Ctrl+C reaches the
        // coordinator only, which stops the agents by PID (SIGTERM) after the report.
        detached: true,
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
