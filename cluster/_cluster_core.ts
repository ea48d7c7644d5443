/**
 * Private: the dispatch core behind `ClusterPool`.
 *
 * ```
 * submit ─▶ #pending ─(one addBulk per turn of the event loop)─▶ Redis wait list
 *                                                           │
 * Task ◀─ #settle ◀─ #onCompleted / #onFailed ◀─ QueueEvents ◀┘ (workers report)
 * cancel ─▶ not sent yet: dropped │ waiting: Queue.remove │ running: PUBLISH cancel
 * ```
 *
 * Stages:
 *
 * - **Submit** checks and encodes the arguments at once (a `TypeError` for shared
 *   memory, a rejected task for a value that cannot be serialized) and queues the job
 *   locally; `#flush` sends every job queued in one turn of the event loop with one
 *   `addBulk` (one round trip for a burst of submits).
 * - **Events**: one `QueueEvents` reads the queue's event stream from the entry that
 *   was last before this pool connected, so no outcome of a job it added is missed.
 *   Outcomes of jobs this pool does not own are ignored.
 * - **Cancel** rejects the task at once, then removes the job if it still waits, or
 *   asks the worker that runs it to stop through a Pub/Sub message.
 * - **Shutdown** waits for the tasks (bounded), cancels the rest, then closes every
 *   connection it opened, also when Redis is gone.
 *
 * @module
 */

import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { checkDelay, checkInteger, MAX_DELAY_MS } from "../sync/_checks.ts";
import { Task, type TaskHandle, type TaskState } from "../pool/task.ts";
import { BrokenPoolError } from "../pool/broken_pool_error.ts";
import type { PoolStats, ShutdownOptions } from "../pool/types.ts";
import { decodeFailure, decodeValue, encodeValue, findShared } from "./_codec.ts";
import {
  cancelChannel,
  ERROR_FIELD,
  type JobData,
  jobKey,
  KIND_CALL,
  KIND_MAP,
  type ProgressData,
  settingsKey,
  type WorkerBeat,
  workerClientPrefix,
  workersKey,
} from "./_protocol.ts";
import {
  checkPrefix,
  checkQueue,
  checkRedis,
  closeClient,
  CONNECT_TIMEOUT_MS,
  firstConnect,
  newClient,
  type RedisTarget,
  withDeadline,
} from "./_redis.ts";
import { MapRun } from "./_map_run.ts";
import type { ClusterMapOptions, ClusterPoolOptions, ClusterSubmitOptions } from "./types.ts";

const CREATE = "Cannot create cluster pool";
/** Jobs per `addBulk` call: 1,000 keeps one call's Lua work under ~10 ms. */
const BULK = 1_000;
/** The events stream keeps this many entries, so a busy caller does not miss its outcomes. */
const EVENTS_MAX_LEN = 100_000;
/** How long `shutdown` gives Redis to answer a QUIT or a cancel before it disconnects. */
const CLOSE_MS = 1_000;
/** QueueEvents ends its read within its blocking timeout (1 s) plus BullMQ's 1 s guard. */
const EVENTS_CLOSE_MS = 2_500;
/** How old a worker's heartbeat may be before `stats` stops counting it. */
const BEAT_STALE_MS = 15_000;

type Listener = (value: unknown) => void;

/** The executor's side of one task: its state, outcome and progress listeners. */
class Handle implements TaskHandle<unknown> {
  readonly id: number;
  readonly jobId: string;
  state: TaskState = "queued";
  /** The `Task` over this handle. */
  task: Task<unknown> | undefined;
  /** How many times the job may run (1: a lost worker fails it when no other is alive). */
  attempts = 1;
  /** Set once the job was sent (resolves when `addBulk` returned). */
  sent: Promise<unknown> | undefined;
  value: unknown;
  #core: ClusterCore;
  #promise: Promise<unknown> | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #listeners: Set<Listener> | undefined;
  #unlink: (() => void) | undefined;

  constructor(core: ClusterCore, id: number, jobId: string) {
    this.#core = core;
    this.id = id;
    this.jobId = jobId;
  }

  get settled(): boolean {
    return this.state === "fulfilled" || this.state === "rejected" || this.state === "cancelled";
  }

  promise(): Promise<unknown> {
    if (this.#promise === undefined) {
      if (this.state === "fulfilled") this.#promise = Promise.resolve(this.value);
      else if (this.settled) this.#promise = Promise.reject(this.value);
      else {
        this.#promise = new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
    }
    return this.#promise;
  }

  cancel(reason?: unknown): boolean {
    return this.#core.cancel(this, reason);
  }

  onProgress(listener: Listener): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => this.#listeners?.delete(listener);
  }

  progress(value: unknown): void {
    if (this.#listeners === undefined || this.settled) return;
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch (error) {
        // A listener's error must not stop the others nor the event reader.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Links an abort signal; undone when the task settles. */
  link(signal: AbortSignal): void {
    const onAbort = () => this.cancel(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    this.#unlink = () => signal.removeEventListener("abort", onAbort);
  }

  /** Settles once; returns false when already settled. */
  settle(state: "fulfilled" | "rejected" | "cancelled", value: unknown): boolean {
    if (this.settled) return false;
    this.state = state;
    this.value = value;
    this.#listeners = undefined;
    this.#unlink?.();
    this.#unlink = undefined;
    if (state === "fulfilled") this.#resolve?.(value);
    else this.#reject?.(value);
    return true;
  }
}

/** A job waiting for the next `addBulk`. */
interface PendingJob {
  handle: Handle;
  name: string;
  data: JobData;
  opts: Record<string, unknown>;
}

/** Checked per-task options. */
interface JobOptions {
  timeout: number;
  attempts: number;
  backoff: number;
  priority: number;
}

/** The dispatch core of one `ClusterPool`. */
export class ClusterCore {
  readonly queueName: string;
  readonly prefix: string;
  readonly leaseMs: number;
  #keepMs: number;
  #maxQueue: number;
  #shutdownTimeout: number;
  #connectTimeout: number;
  /** Set when the first connection failed: every task rejects with it. */
  #broken: BrokenPoolError | undefined;
  #target: RedisTarget;
  #client: Redis;
  #eventsClient: Redis;
  #queue: Queue | undefined;
  #events: QueueEvents | undefined;
  #ready: Promise<void>;
  #tag = crypto.randomUUID().slice(0, 8);
  #nextId = 1;
  #tasks = new Map<string, Handle>();
  #byTask = new WeakMap<Task<unknown>, Handle>();
  #pending: PendingJob[] = [];
  #flushing: Promise<void> | undefined;
  #background = new Set<Promise<unknown>>();
  #waiters: (() => void)[] = [];
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #counts = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  #beats: { workers: number; threads: number; seen: Set<string>; at: number } = {
    workers: 0,
    threads: 0,
    seen: new Set(),
    at: 0,
  };
  #beatsLoading = false;
  #leaseTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Checks the options (before any connection), then starts connecting.
   *
   * @throws {TypeError} When `redis`, `queue` or `prefix` is malformed.
   * @throws {RangeError} When a number option is out of range.
   */
  constructor(options: ClusterPoolOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${CREATE} as its options must be an object: received ${options}`);
    }
    this.#target = checkRedis(options.redis, CREATE);
    this.queueName = checkQueue(options.queue, CREATE);
    this.prefix = checkPrefix(options.prefix, CREATE);
    this.leaseMs = checkInteger(options.leaseMs, "leaseMs", CREATE, 30_000, { max: MAX_DELAY_MS });
    this.#keepMs = checkDelay(options.keepResultsMs, "keepResultsMs", CREATE, 3_600_000, false);
    this.#maxQueue = checkInteger(options.maxQueue, "maxQueue", CREATE, Infinity, {
      infinite: true,
    });
    this.#shutdownTimeout = checkDelay(
      options.shutdownTimeout,
      "shutdownTimeout",
      CREATE,
      30_000,
      false,
    );
    this.#connectTimeout = checkDelay(
      options.connectTimeout,
      "connectTimeout",
      CREATE,
      CONNECT_TIMEOUT_MS,
      false,
    );
    this.#client = newClient(this.#target);
    this.#eventsClient = newClient(this.#target);
    this.#ready = this.#connect();
    this.#ready.catch(() => {});
  }

  async #connect(): Promise<void> {
    const { queueName: name, prefix } = this;
    const client = this.#client;
    // Both settle (no timer left behind) before the first failure breaks the pool.
    const connected = await Promise.allSettled(
      [client, this.#eventsClient].map((c) =>
        firstConnect(c, this.#target, this.#connectTimeout, "Cannot run tasks")
      ),
    );
    const failed = connected.find((result) => result.status === "rejected");
    if (failed !== undefined) {
      this.#breakPool(failed.reason as Error);
      throw this.#broken;
    }
    this.#queue = new Queue(name, {
      connection: client,
      prefix,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    this.#queue.on("error", () => {}); // ioredis reconnects by itself
    // Read from the last event before this pool existed, so that no outcome of a
    // job it adds can slip by before the first XREAD.
    const last = await client.xrevrange(`${prefix}:${name}:events`, "+", "-", "COUNT", 1);
    const events = new QueueEvents(name, {
      connection: this.#eventsClient,
      prefix,
      lastEventId: last.length > 0 ? last[0][0] : "0-0",
      // BullMQ guards each XREAD with a timer of this plus 1 s: 1 s keeps a shutdown
      // with Redis gone short (about 2 s) for one idle XREAD a second.
      blockingTimeout: 1_000,
    });
    this.#events = events;
    events.on("error", () => {});
    events.on("active", ({ jobId }) => this.#onActive(jobId));
    events.on("waiting", ({ jobId, prev }) => {
      if (prev === "active") this.#onRequeued(jobId);
    });
    events.on("progress", ({ jobId, data }) => this.#onProgress(jobId, data));
    events.on("completed", ({ jobId, returnvalue }) => this.#onCompleted(jobId, returnvalue));
    events.on("failed", ({ jobId, failedReason }) => this.#onFailed(jobId, failedReason));
    events.on("removed", ({ jobId }) => this.#onRemoved(jobId));
    await events.waitUntilReady();
    await client.hset(settingsKey(prefix, name), "leaseMs", String(this.leaseMs));
    await this.#queue.waitUntilReady();
    this.#loadBeats(); // so that the first `stats` counts the workers already there
  }

  /**
   * The first connection failed: the pool cannot run anything. Its tasks reject with
   * a `BrokenPoolError` naming the URL, and its clients stop retrying, so that neither
   * the caller nor `shutdown()` waits for a server that never answered.
   */
  #breakPool(error: Error): void {
    this.#broken = new BrokenPoolError(error.message, { cause: error.cause });
    this.#client.disconnect();
    this.#eventsClient.disconnect();
    for (const handle of [...this.#tasks.values()]) this.#reject(handle, this.#broken);
    this.#pending = [];
  }

  // ---- submit ------------------------------------------------------------------

  /** Checks the per-task options. */
  #jobOptions(options: ClusterSubmitOptions | undefined, action: string): JobOptions {
    return {
      timeout: checkDelay(options?.timeout, "timeout", action, Infinity),
      attempts: checkInteger(options?.attempts, "attempts", action, 1, { max: 1_000_000 }),
      backoff: checkDelay(options?.backoff, "backoff", action, 0, false),
      priority: checkInteger(options?.priority, "priority", action, 0, {
        min: 0,
        max: 2_097_152,
      }),
    };
  }

  /** Submits one call of export `name`. */
  submit(name: unknown, args: unknown, options?: ClusterSubmitOptions): Task<unknown> {
    const label = typeof name === "string" ? name : typeof name;
    const action = `Cannot submit task '${label}'`;
    if (typeof name === "function") {
      throw new TypeError(
        `Cannot submit function '${
          name.name || "anonymous"
        }' to a cluster pool as its code must be deployed with the workers: export it from the task module and submit its name`,
      );
    }
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `Cannot submit task as its name must be a non-empty string: received ${String(name)}`,
      );
    }
    if (!Array.isArray(args)) {
      throw new TypeError(`${action} as 'args' must be an array: received ${typeof args}`);
    }
    const opts = this.#jobOptions(options, action);
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`${action} as 'signal' must be an AbortSignal`);
    }
    this.#refuseShared(args, action, "arguments");
    return this.#submitJob(name, KIND_CALL, args, opts, signal);
  }

  #refuseShared(value: unknown, action: string, what: string): void {
    const shared = findShared(value);
    if (shared !== undefined) {
      throw new TypeError(
        `${action} as its ${what} hold ${shared}: a sync/ object or a SharedArrayBuffer cannot cross machines (use WorkerPool to share memory)`,
      );
    }
  }

  #submitJob(
    name: string,
    kind: typeof KIND_CALL | typeof KIND_MAP,
    payload: unknown,
    opts: JobOptions,
    signal: AbortSignal | undefined,
  ): Task<unknown> {
    const id = this.#nextId++;
    const handle = new Handle(this, id, `${this.#tag}-${id}`);
    const task = handle.task = new Task(id, handle);
    this.#byTask.set(task, handle);
    const fail = (error: unknown) => {
      handle.settle("rejected", error);
      this.#counts.failed++;
      return task;
    };
    if (this.#closed) {
      return fail(new TypeError(`Cannot submit task '${name}' as the pool is shut down`));
    }
    if (this.#broken !== undefined) return fail(this.#broken);
    if (this.#tasks.size >= this.#maxQueue) {
      return fail(
        new RangeError(
          `Cannot submit task '${name}' as the pool holds 'maxQueue' unfinished tasks: received ${
            this.#tasks.size + 1
          } (await pool.whenReady() first)`,
        ),
      );
    }
    if (signal?.aborted) {
      handle.settle("cancelled", signal.reason);
      this.#counts.cancelled++;
      return task;
    }
    let data: JobData;
    try {
      data = { k: kind, a: encodeValue(payload, `the arguments of task '${name}'`) };
    } catch (error) {
      return fail(error);
    }
    if (opts.timeout !== Infinity) data.t = opts.timeout;
    const keep = { age: Math.max(1, Math.ceil(this.#keepMs / 1000)) };
    const jobOpts: Record<string, unknown> = {
      jobId: handle.jobId,
      removeOnComplete: keep,
      removeOnFail: keep,
    };
    if (opts.attempts > 1) {
      jobOpts.attempts = opts.attempts;
      if (opts.backoff > 0) jobOpts.backoff = { type: "exponential", delay: opts.backoff };
    }
    if (opts.priority > 0) jobOpts.priority = opts.priority;
    handle.attempts = opts.attempts;
    this.#tasks.set(handle.jobId, handle);
    this.#counts.queued++;
    if (signal !== undefined) handle.link(signal);
    this.#pending.push({ handle, name, data, opts: jobOpts });
    this.#flushing ??= this.#flush();
    return task;
  }

  /** Sends the jobs queued locally, one `addBulk` per batch. */
  async #flush(): Promise<void> {
    // One turn of the event loop gathers a burst of submits into one batch.
    await Promise.resolve();
    try {
      await this.#ready;
    } catch {
      // #connect failed: #breakPool rejected the tasks and emptied #pending.
    }
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, BULK).filter((job) => !job.handle.settled);
      if (batch.length === 0) continue;
      // One job alone goes by `add` (one EVALSHA), not `addBulk` (MULTI, EVALSHA, EXEC):
      // an idle submit's round trip is what a caller waits for.
      const sent = batch.length === 1
        ? this.#queue!.add(batch[0].name, batch[0].data, batch[0].opts)
        : this.#queue!.addBulk(batch.map(({ name, data, opts }) => ({ name, data, opts })));
      for (const job of batch) job.handle.sent = sent;
      try {
        await sent;
      } catch (error) {
        for (const job of batch) this.#reject(job.handle, error);
      }
    }
    this.#flushing = undefined;
  }

  // ---- re-attach -----------------------------------------------------------------

  /** The job id of a task of this pool. */
  jobId(task: Task<unknown>): string | undefined {
    return this.#byTask.get(task)?.jobId;
  }

  /** A task for a job submitted earlier (by this process or another one). */
  task(jobId: unknown): Task<unknown> {
    if (typeof jobId !== "string" || jobId === "") {
      throw new TypeError(
        `Cannot find task as its job id must be a non-empty string: received ${String(jobId)}`,
      );
    }
    const known = this.#tasks.get(jobId);
    if (known?.task) return known.task;
    const id = this.#nextId++;
    const handle = new Handle(this, id, jobId);
    const task = handle.task = new Task(id, handle);
    this.#byTask.set(task, handle);
    if (this.#closed) {
      handle.settle(
        "rejected",
        new TypeError(`Cannot find task '${jobId}' as the pool is shut down`),
      );
      return task;
    }
    // Listed first, so that an outcome arriving while the job is read settles it.
    this.#tasks.set(jobId, handle);
    this.#counts.queued++;
    handle.sent = Promise.resolve();
    this.#track(this.#attach(handle));
    return task;
  }

  async #attach(handle: Handle): Promise<void> {
    try {
      await this.#ready;
      const job = await this.#queue!.getJob(handle.jobId);
      const state = job === undefined ? "unknown" : await job.getState();
      if (job === undefined || state === "unknown") {
        return this.#reject(
          handle,
          new RangeError(
            `Cannot find task as queue '${this.queueName}' holds no job '${handle.jobId}' (finished jobs are kept 'keepResultsMs')`,
          ),
        );
      }
      if (state === "completed") return this.#onCompleted(handle.jobId, job.returnvalue);
      if (state === "failed") return this.#onFailed(handle.jobId, job.failedReason);
      if (state === "active") this.#onActive(handle.jobId);
    } catch (error) {
      this.#reject(handle, error);
    }
  }

  // ---- outcomes ----------------------------------------------------------------

  #onActive(jobId: string): void {
    const handle = this.#tasks.get(jobId);
    if (handle?.state !== "queued") return;
    handle.state = "running";
    this.#counts.queued--;
    this.#counts.running++;
    this.#watchLeases();
  }

  // ---- lost workers ------------------------------------------------------------

  /**
   * While tasks of this pool run, checks every `leaseMs` that their workers still
   * hold their locks. Other workers' stalled-job checks hand a lost job to another
   * worker; when no worker of the queue is alive, nobody would, and the caller would
   * wait forever: a task that may run once then fails with a clear error instead.
   */
  #watchLeases(): void {
    if (this.#leaseTimer !== undefined || this.#closed) return;
    this.#leaseTimer = setTimeout(() => {
      this.#leaseTimer = undefined;
      this.#track(this.#checkLeases());
    }, this.leaseMs);
  }

  async #checkLeases(): Promise<void> {
    const running = [...this.#tasks.values()].filter((h) => h.state === "running");
    if (running.length === 0 || this.#closed) return;
    this.#watchLeases();
    const once = running.filter((h) => h.attempts === 1);
    if (once.length === 0) return;
    const { prefix, queueName: name } = this;
    const pipeline = this.#client.pipeline();
    for (const h of once) {
      pipeline.exists(`${jobKey(prefix, name, h.jobId)}:lock`);
      pipeline.lpos(`${prefix}:${name}:active`, h.jobId);
    }
    const replies = (await pipeline.exec()) ?? [];
    const lost = once.filter((_, i) =>
      replies[2 * i]?.[1] === 0 && replies[2 * i + 1]?.[1] !== null
    );
    if (lost.length === 0 || await this.#liveWorkers() > 0) return;
    for (const handle of lost) {
      if (handle.settled) continue;
      this.#reject(
        handle,
        new Error(
          `Task ${handle.id} was lost: its worker stopped renewing its lease (${this.leaseMs} ms) and no worker of queue '${name}' is alive to run it again`,
        ),
      );
      // Unlocked, so removable: a worker started later must not run it.
      await this.#queue!.remove(handle.jobId).catch(() => {});
    }
  }

  /** How many workers of this queue hold a connection to Redis now. */
  async #liveWorkers(): Promise<number> {
    const list = String(await this.#client.call("CLIENT", "LIST", "TYPE", "normal"));
    const name = `name=${workerClientPrefix(this.prefix, this.queueName)}`;
    return list.split("\n").filter((line) => line.includes(name)).length;
  }

  #onRequeued(jobId: string): void {
    const handle = this.#tasks.get(jobId);
    if (handle?.state !== "running") return;
    handle.state = "queued";
    this.#counts.running--;
    this.#counts.queued++;
  }

  #onProgress(jobId: string, data: unknown): void {
    const handle = this.#tasks.get(jobId);
    if (handle === undefined) return;
    const p = (data as ProgressData | undefined)?.p;
    if (typeof p !== "string") return handle.progress(data);
    try {
      handle.progress(decodeValue(p));
    } catch {
      // A progress value this process cannot decode is dropped, not the task.
    }
  }

  #onCompleted(jobId: string, returnvalue: unknown): void {
    const handle = this.#tasks.get(jobId);
    if (handle === undefined) return;
    let value: unknown;
    try {
      value = decodeValue(String(returnvalue));
    } catch (error) {
      return this.#reject(handle, error);
    }
    this.#unlist(handle);
    if (handle.settle("fulfilled", value)) this.#counts.completed++;
  }

  #onFailed(jobId: string, failedReason: string): void {
    const handle = this.#tasks.get(jobId);
    if (handle === undefined) return;
    const read = this.#client.hget(jobKey(this.prefix, this.queueName, jobId), ERROR_FIELD)
      .then((text) => text === null ? new Error(failedReason) : decodeFailure(text))
      .catch(() => new Error(failedReason))
      .then((error) => this.#reject(handle, error));
    this.#track(read);
  }

  #onRemoved(jobId: string): void {
    const handle = this.#tasks.get(jobId);
    if (handle === undefined) return;
    this.#reject(
      handle,
      new DOMException(
        `Task ${handle.id} was removed from queue '${this.queueName}'`,
        "AbortError",
      ),
    );
  }

  #reject(handle: Handle, error: unknown): void {
    this.#unlist(handle);
    if (handle.settle("rejected", error)) this.#counts.failed++;
  }

  /** Forgets a task that is about to settle, and wakes `whenReady` waiters. */
  #unlist(handle: Handle): void {
    if (handle.settled || !this.#tasks.delete(handle.jobId)) return;
    if (handle.state === "running") this.#counts.running--;
    else this.#counts.queued--;
    if (this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  // ---- cancel ------------------------------------------------------------------

  /** Cancels a task: rejects it now, then stops its job (removed, or stopped remotely). */
  cancel(handle: Handle, reason?: unknown): boolean {
    if (handle.settled) return false;
    this.#unlist(handle);
    handle.settle(
      "cancelled",
      reason ?? new DOMException(`Task ${handle.id} was cancelled`, "AbortError"),
    );
    this.#counts.cancelled++;
    if (handle.sent !== undefined) this.#track(this.#stopJob(handle.jobId, handle.sent));
    return true;
  }

  async #stopJob(jobId: string, sent: Promise<unknown>): Promise<void> {
    await sent;
    // 1: it was waiting and is gone; 0: a worker holds it (locked).
    const removed = await this.#queue!.remove(jobId);
    if (removed !== 1) {
      await this.#client.publish(cancelChannel(this.prefix, this.queueName), jobId);
    }
  }

  // ---- map ---------------------------------------------------------------------

  /** Maps inputs through export `name`, `chunkSize` inputs per job. */
  map(
    name: unknown,
    inputs: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ClusterMapOptions,
  ): AsyncIterableIterator<unknown> {
    const label = typeof name === "string" ? name : typeof name;
    const action = `Cannot map task '${label}'`;
    if (typeof name === "function") {
      throw new TypeError(
        `Cannot map function '${
          name.name || "anonymous"
        }' on a cluster pool as its code must be deployed with the workers: export it from the task module and map its name`,
      );
    }
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `Cannot map as the task name must be a non-empty string: received ${String(name)}`,
      );
    }
    if (this.#closed) throw new TypeError("Cannot map as the pool is shut down");
    const chunkSize = checkInteger(options?.chunkSize, "chunkSize", action, 1);
    const opts = this.#jobOptions(options, action);
    const ordered = options?.ordered ?? true;
    const signal = options?.signal;
    const isAsync = Symbol.asyncIterator in Object(inputs);
    const source = isAsync
      ? (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (inputs as Iterable<unknown>)[Symbol.iterator]();
    // Enough chunks in flight to keep every worker fed: 4,096 inputs, at least 8 jobs.
    const window = Math.max(8, Math.ceil(4096 / chunkSize));
    const run = new MapRun(source, isAsync, chunkSize, ordered, window, (chunk) => {
      this.#refuseShared(chunk, action, "inputs");
      return this.#submitJob(name, KIND_MAP, chunk, opts, signal);
    }, signal);
    return run.results();
  }

  // ---- readiness, stats, shutdown ------------------------------------------------

  /** Resolves once connected and below `maxQueue`. */
  async whenReady(): Promise<void> {
    await this.#ready;
    while (this.#tasks.size >= this.#maxQueue && !this.#closed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** A snapshot of the counters; worker counts come from the workers' heartbeats. */
  get stats(): PoolStats {
    this.#loadBeats();
    const c = this.#counts;
    return {
      size: this.#beats.threads,
      workers: this.#closed ? 0 : this.#beats.workers,
      busy: c.running,
      queued: c.queued,
      completed: c.completed,
      failed: c.failed,
      cancelled: c.cancelled,
      started: this.#beats.seen.size,
      terminated: 0,
    };
  }

  #loadBeats(): void {
    if (this.#closed || this.#beatsLoading || Date.now() - this.#beats.at < 1_000) return;
    if (this.#client.status !== "ready") return;
    this.#beatsLoading = true;
    const load = this.#client.hgetall(workersKey(this.prefix, this.queueName)).then((all) => {
      const now = Date.now();
      let workers = 0, threads = 0;
      for (const [id, json] of Object.entries(all)) {
        const beat = JSON.parse(json) as WorkerBeat;
        if (now - beat.at > BEAT_STALE_MS) continue;
        workers++;
        threads += beat.threads;
        this.#beats.seen.add(id);
      }
      Object.assign(this.#beats, { workers, threads, at: now });
    }).finally(() => this.#beatsLoading = false);
    this.#track(load);
  }

  /** Shuts down (once): waits, cancels what is left, closes every connection. */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this.#shutdown ??= this.#close(options);
  }

  async #close(options: ShutdownOptions | undefined): Promise<void> {
    const wait = options?.wait ?? true;
    const timeout = checkDelay(
      options?.timeout,
      "timeout",
      "Cannot shut down pool",
      this.#shutdownTimeout,
      false,
    );
    this.#closed = true;
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    if (options?.cancelPending) {
      for (const handle of [...this.#tasks.values()]) {
        if (handle.state === "queued") handle.cancel();
      }
    }
    if (wait && this.#tasks.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const all = Promise.allSettled([...this.#tasks.values()].map((h) => h.promise()));
      await Promise.race([all, new Promise((resolve) => timer = setTimeout(resolve, timeout))]);
      clearTimeout(timer);
    }
    for (const handle of [...this.#tasks.values()]) {
      handle.cancel(new DOMException(`Task ${handle.id} was cancelled by shutdown`, "AbortError"));
    }
    // Cancels reach Redis within CLOSE_MS, or are given up with the connection.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#background, this.#flushing]),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_MS)),
    ]);
    clearTimeout(timer);
    await Promise.allSettled([
      withDeadline(this.#events?.close(), EVENTS_CLOSE_MS),
      withDeadline(this.#queue?.close(), CLOSE_MS),
    ]);
    await Promise.all([
      closeClient(this.#eventsClient, CLOSE_MS),
      closeClient(this.#client, CLOSE_MS),
    ]);
  }
}
