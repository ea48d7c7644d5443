/**
 * A stress agent: one machine's share of a distributed run. It beats into Redis every
 * second (idle or busy, with its clock offset to Redis), takes plans from its own BullMQ
 * queue, runs each with {@linkcode runStress} from one absolute start time, and publishes
 * a snapshot every second (cumulative counts and the histogram of each closed second in
 * HdrHistogram's compressed encoding: a few hundred bytes), then its final counts.
 *
 * An agent loads only the targets it is allowed (`allowTargets`, loopback by default), so
 * that whoever can write to the Redis queue cannot turn it against a third party.
 *
 * @module
 */

import { Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import type { RedisClient } from "../cluster/types.ts";
import {
  checkRedis,
  closeClient,
  newClient,
  type RedisTarget,
  withDeadline,
} from "../cluster/_redis.ts";
import { encodeHistogram } from "./_hdr_log.ts";
import { Histogram, type HistogramData } from "./_histogram.ts";
import {
  runStress,
  type StressFailures,
  type StressOptions,
  type StressReport,
  type StressSecond,
} from "./stress.ts";
import {
  type AgentBeat,
  type AgentMessage,
  type AgentPlan,
  agentQueue,
  AGENTS_KEY,
  type AgentSummary,
  BEAT_MS,
  claimKey,
  measureOffset,
  runChannel,
  STOP_CHANNEL,
  templatesKey,
  type WireSecond,
  type WireStatusClasses,
  type WireTemplate,
} from "./_stress_cluster_protocol.ts";

/**
 * A run stops when its claim key (refreshed every second by the coordinator, expiring
 * 5 s after its last refresh) is found gone this many times in a row, once a second:
 * a coordinator that died stops loading the target about 7 s later, not after `-d`.
 */
const CLAIM_GONE_CHECKS = 2;
/** Each Redis wait of a stop is bounded by this: a Redis that is gone must not hang it. */
const STOP_REDIS_MS = 1_000;

/** The targets an agent loads when none are given: loopback, any port. */
export const LOOPBACK_TARGETS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** Options of {@linkcode serveStressAgent}. */
export interface StressAgentOptions {
  /** The Redis server: a `redis://` URL or an ioredis client (duplicated, never closed). */
  redis: string | URL | RedisClient;
  /**
   * Hosts (`host`, any port) or `host:port` pairs the agent may load.
   *
   * @default {["127.0.0.1", "localhost", "[::1]"]}
   */
  allowTargets?: readonly string[];
  /** Stops the agent (a run in progress stops first). */
  signal?: AbortSignal;
  /**
   * The agent's id in the cluster.
   *
   * @default {a random UUID}
   */
  id?: string;
  /** Receives one line per event (a plan taken, a run done or refused). */
  onEvent?: (event: StressAgentEvent) => void;
}

/** What a running agent reports to its owner. */
export interface StressAgentEvent {
  /** `ready` once it beats, `run` when a plan starts, `done` when it ends, `refused`. */
  event: "ready" | "run" | "done" | "refused";
  /** The agent's id. */
  agent: string;
  /** The run's id (not for `ready`). */
  runId?: string;
  /** Details: the target, the requests sent, or why a plan was refused. */
  detail?: string;
}

/** A running agent. */
export interface StressAgent extends AsyncDisposable {
  /** Its id in the cluster. */
  readonly id: string;
  /** Resolves once it is stopped (its signal aborted, or `stop()`). */
  readonly finished: Promise<void>;
  /** Stops it: a run in progress stops, the agent leaves the cluster. */
  stop(): Promise<void>;
}

/** Whether `url` is among `allowed` (`host` for any port, or `host:port`). */
export function targetAllowed(url: URL, allowed: readonly string[]): boolean {
  const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
  const host = url.hostname;
  return allowed.some((entry) => entry === host || entry === `${host}:${port}`);
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

function bytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function toOptions(plan: AgentPlan, templates: WireTemplate[] | undefined): StressOptions {
  const w = plan.options;
  const options: StressOptions = { url: w.url };
  if (w.requests !== undefined) options.requests = w.requests;
  if (w.duration !== undefined) options.duration = w.duration;
  if (w.concurrency !== undefined) options.concurrency = w.concurrency;
  if (w.workers !== undefined) options.workers = w.workers;
  if (w.rate !== undefined) options.rate = w.rate;
  if (w.stages !== undefined) options.stages = w.stages;
  if (w.startRate !== undefined) options.startRate = w.startRate;
  if (w.seed !== undefined) options.seed = w.seed;
  if (w.method !== undefined) options.method = w.method;
  if (w.headers !== undefined) options.headers = w.headers;
  if (w.body !== undefined) options.body = bytes(w.body);
  if (w.timeout !== undefined) options.timeout = w.timeout;
  if (w.pipeline !== undefined) options.pipeline = w.pipeline;
  if (w.caCerts !== undefined) options.caCerts = w.caCerts;
  if (templates !== undefined) {
    options.templates = templates.map((t) => ({
      ...t,
      ...(t.body !== undefined && { body: bytes(t.body) }),
    }));
  }
  return options;
}

function summary(report: StressReport): AgentSummary {
  return {
    requests: report.requests,
    successes: report.successes,
    failures: report.failures,
    failureReasons: report.failureReasons,
    inFlight: report.inFlight,
    statusCodes: report.statusCodes,
    rps: report.rps,
    bytesPerSecond: report.bytesPerSecond,
    durationMs: report.durationMs,
    latencyMs: report.latencyMs,
    histogram: report.histogram,
    concurrency: report.concurrency,
    workers: report.workers,
    pipeline: report.pipeline,
    cancelled: report.cancelled,
    late: report.late,
    generatorLagMs: report.generatorLagMs,
    endpoints: report.endpoints,
    seed: report.seed,
  };
}

function emptySummary(): AgentSummary {
  const latencyMs = { min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    requests: 0,
    successes: 0,
    failures: { timeout: 0, refused: 0, reset: 0, protocol: 0, other: 0 } as AgentSummary[
      "failures"
    ],
    inFlight: 0,
    statusCodes: {},
    rps: 0,
    bytesPerSecond: 0,
    durationMs: 0,
    latencyMs,
    histogram: [],
    concurrency: 0,
    workers: 0,
    pipeline: 1,
    cancelled: true,
  };
}

/** The state of one agent, its steps as methods. */
class Agent {
  readonly id: string;
  readonly host = hostname();
  #target: RedisTarget;
  #allowed: readonly string[];
  #onEvent?: (event: StressAgentEvent) => void;
  #client!: Redis;
  #subscriber!: Redis;
  #worker?: Worker;
  #workerClient?: Redis;
  #beat?: ReturnType<typeof setInterval>;
  #busy = false;
  #runs = new Map<string, AbortController>();
  #stopped = new Set<string>();
  #offsetMs = 0;
  #stopping?: Promise<void>;
  readonly finished = Promise.withResolvers<void>();

  constructor(options: StressAgentOptions) {
    this.#target = checkRedis(options.redis, "Cannot serve stress agent");
    const allowed = options.allowTargets ?? LOOPBACK_TARGETS;
    if (!Array.isArray(allowed) || allowed.some((a) => typeof a !== "string" || a === "")) {
      throw new TypeError(
        `Cannot serve stress agent as 'allowTargets' must be an array of host or host:port strings: received ${
          JSON.stringify(allowed)
        }`,
      );
    }
    this.#allowed = allowed;
    this.id = options.id ?? crypto.randomUUID();
    this.#onEvent = options.onEvent;
  }

  async start(): Promise<void> {
    this.#client = newClient(this.#target);
    // ioredis would retry for ever: a first answer within 5 s, or a clear error.
    if (!(await withDeadline(this.#client.ping(), 5_000)) || this.#client.status !== "ready") {
      const where = this.#target.url ? this.#target.url.host : "the given client";
      throw new Error(
        `Cannot serve stress agent as Redis at ${where} does not answer within 5000 ms`,
      );
    }
    this.#subscriber = newClient(this.#target);
    await this.#subscriber.subscribe(STOP_CHANNEL);
    this.#subscriber.on("message", (_channel: string, runId: string) => {
      this.#runs.get(runId)?.abort();
      // A stop may come before the plan is taken: remember the last few.
      this.#stopped.add(runId);
      if (this.#stopped.size > 100) this.#stopped.delete(this.#stopped.values().next().value!);
    });
    this.#workerClient = newClient(this.#target);
    this.#worker = new Worker(agentQueue(this.id), (job: Job) => this.#run(job.data), {
      connection: this.#workerClient,
      concurrency: 1,
      // One plan at a time; a plan whose agent died is not run again elsewhere.
      maxStalledCount: 0,
      drainDelay: 1,
    });
    this.#worker.on("error", () => {}); // ioredis reconnects by itself
    await this.#worker.waitUntilReady();
    await this.#sendBeat();
    this.#beat = setInterval(() => this.#sendBeat().catch(() => {}), BEAT_MS);
    this.#onEvent?.({ event: "ready", agent: this.id });
  }

  async #sendBeat(): Promise<void> {
    this.#offsetMs = await measureOffset(this.#client);
    const beat: AgentBeat = {
      id: this.id,
      host: this.host,
      state: this.#busy ? "busy" : "idle",
      at: Date.now() - this.#offsetMs,
      offsetMs: this.#offsetMs,
    };
    await this.#client.hset(AGENTS_KEY, this.id, JSON.stringify(beat));
  }

  async #publish(runId: string, message: AgentMessage): Promise<void> {
    await this.#client.publish(runChannel(runId), JSON.stringify(message));
  }

  /** Runs one plan: checks it, loads its generator, starts at its time, sends snapshots. */
  async #run(plan: AgentPlan): Promise<void> {
    const { runId } = plan;
    let url: URL;
    try {
      url = new URL(plan.options.url);
    } catch {
      await this.#refuse(runId, `its URL is malformed: '${plan.options.url}'`);
      return;
    }
    if (!targetAllowed(url, this.#allowed)) {
      await this.#refuse(
        runId,
        `target '${url.host}' is not in its --allow-targets (${this.#allowed.join(",")})`,
      );
      return;
    }
    let templates: WireTemplate[] | undefined;
    if (plan.options.templates) {
      // Templates share the run's origin (runStress checks it), so the target check holds.
      const text = await this.#client.get(templatesKey(runId));
      if (text === null) {
        await this.#refuse(runId, "its request templates are gone from Redis");
        return;
      }
      templates = JSON.parse(text) as WireTemplate[];
    }
    const controller = new AbortController();
    this.#runs.set(runId, controller);
    if (this.#stopped.has(runId)) controller.abort();
    this.#busy = true;
    this.#sendBeat().catch(() => {});
    this.#onEvent?.({ event: "run", agent: this.id, runId, detail: url.href });
    await this.#publish(runId, { type: "accepted", agent: this.id, host: this.host });
    const closed: WireSecond[] = [];
    const pending: Promise<void>[] = [];
    let histograms = false;
    let service: Histogram | undefined;
    const onSecond = (
      second: StressSecond,
      latency: HistogramData,
      serviceTime: HistogramData | undefined,
    ) => {
      histograms = true;
      if (serviceTime) (service ??= new Histogram()).merge(serviceTime);
      const { total, sum, min, max } = latency;
      // Encoding is async (CompressionStream); the order is kept by the index.
      const slot = closed.length;
      closed.push(undefined as unknown as WireSecond);
      pending.push(
        encodeHistogram(latency).then((hdr) => {
          closed[slot] = { second, hdr, total, sum, min, max };
        }),
      );
    };
    let sent = 0;
    const takeClosed = async (): Promise<WireSecond[]> => {
      await Promise.all(pending);
      const out = closed.slice(sent);
      sent = closed.length;
      return out;
    };
    let completed = 0, errors = 0, late = 0;
    let statusClasses: WireStatusClasses = {};
    let failures: Partial<StressFailures> = {};
    const snapshots = setInterval(() => {
      takeClosed().then((seconds) =>
        this.#publish(runId, {
          type: "snapshot",
          agent: this.id,
          completed,
          errors,
          ...(Object.keys(statusClasses).length > 0 && { statusClasses }),
          ...(late > 0 && { late }),
          ...(Object.keys(failures).length > 0 && { failures }),
          seconds,
        })
      ).catch(() => {});
    }, BEAT_MS);
    // The coordinator keeps the claim alive while it runs: gone, so is the coordinator.
    let gone = 0;
    const claim = setInterval(() => {
      this.#client.get(claimKey(this.id)).then((value) => {
        gone = value === runId ? 0 : gone + 1;
        if (gone >= CLAIM_GONE_CHECKS) controller.abort();
      }).catch(() => {});
    }, BEAT_MS);
    try {
      if (controller.signal.aborted) {
        // Stopped before its start: nothing sent, and that is no failure.
        clearInterval(snapshots);
        await this.#publish(runId, {
          type: "done",
          agent: this.id,
          seconds: [],
          report: emptySummary(),
          histograms: true,
        });
        return;
      }
      // The start time is Redis time; this clock is offsetMs ahead of it. runStress loads
      // its workers first, then starts at that time.
      const offsetMs = this.#offsetMs;
      const report = await runStress(toOptions(plan, templates), {
        signal: controller.signal,
        startAt: plan.startAt + offsetMs,
        onProgress: (p) => {
          completed = p.completed;
          errors = p.errors;
          if (p.statusClasses) {
            // Only the classes seen: a snapshot stays small.
            statusClasses = Object.fromEntries(
              Object.entries(p.statusClasses).filter(([, n]) => n > 0),
            );
          }
          late = p.late ?? late;
          // Failures by cause: non-zero ones only.
          if (p.failures) {
            failures = Object.fromEntries(Object.entries(p.failures).filter(([, n]) => n > 0));
          }
        },
        onSecond,
      });
      clearInterval(snapshots);
      const seconds = await takeClosed();
      // Its first request, in Redis time (the report's start is whole ms, and so is the
      // base of firstRequestMs).
      const startedAt = report.firstRequestMs === undefined
        ? undefined
        : Date.parse(report.startTime) + report.firstRequestMs - offsetMs;
      const serviceData = service?.data();
      await this.#publish(runId, {
        type: "done",
        agent: this.id,
        seconds,
        report: summary(report),
        histograms,
        ...(startedAt !== undefined && { startedAt }),
        ...(serviceData && {
          service: {
            hdr: await encodeHistogram(serviceData),
            total: serviceData.total,
            sum: serviceData.sum,
            min: serviceData.min,
            max: serviceData.max,
          },
        }),
      });
      this.#onEvent?.({
        event: "done",
        agent: this.id,
        runId,
        detail: `${report.requests} requests`,
      });
    } catch (error) {
      clearInterval(snapshots);
      const reason = error instanceof Error ? error.message : String(error);
      await this.#publish(runId, { type: "failed", agent: this.id, reason }).catch(() => {});
      this.#onEvent?.({ event: "done", agent: this.id, runId, detail: `failed: ${reason}` });
    } finally {
      clearInterval(claim);
      this.#runs.delete(runId);
      this.#busy = false;
      this.#sendBeat().catch(() => {});
    }
  }

  async #refuse(runId: string, reason: string): Promise<void> {
    this.#onEvent?.({ event: "refused", agent: this.id, runId, detail: reason });
    await this.#publish(runId, { type: "refused", agent: this.id, host: this.host, reason });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#beat);
      for (const run of this.#runs.values()) run.abort();
      // Closing waits for the plan in progress, whose last message waits for Redis:
      // bounded, then forced.
      if (!(await withDeadline(this.#worker?.close(), STOP_REDIS_MS))) {
        await withDeadline(this.#worker?.close(true), STOP_REDIS_MS);
      }
      // Commands queue while Redis is away (maxRetriesPerRequest: null): bounded, ready only.
      if (this.#client?.status === "ready") {
        await withDeadline(this.#client.hdel(AGENTS_KEY, this.id), STOP_REDIS_MS);
      }
      // closeClient quits when Redis is ready and disconnects otherwise, both bounded.
      for (const client of [this.#workerClient, this.#client, this.#subscriber]) {
        if (client) await closeClient(client, STOP_REDIS_MS);
      }
      this.finished.resolve();
    })();
    return this.#stopping;
  }
}

/**
 * Starts a stress agent: it joins the cluster on `redis` and runs the shards of
 * distributed runs (see `runClusterStress`) until stopped.
 *
 * @param options Redis, the targets it may load, a signal that stops it.
 * @returns The running agent.
 * @throws {TypeError} When `redis` or `allowTargets` is malformed.
 *
 * @example Refuse to start without a Redis URL
 * ```ts
 * import { serveStressAgent } from "./stress_agent.ts";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(() => serveStressAgent({ redis: "http://x" }), TypeError);
 * ```
 */
export async function serveStressAgent(options: StressAgentOptions): Promise<StressAgent> {
  const agent = new Agent(options);
  const signal = options.signal;
  signal?.throwIfAborted();
  try {
    await agent.start();
  } catch (error) {
    await agent.stop();
    throw error;
  }
  const onAbort = () => agent.stop();
  signal?.addEventListener("abort", onAbort, { once: true });
  agent.finished.promise.then(() => signal?.removeEventListener("abort", onAbort));
  return {
    id: agent.id,
    finished: agent.finished.promise,
    stop: () => agent.stop(),
    [Symbol.asyncDispose]: () => agent.stop(),
  };
}
