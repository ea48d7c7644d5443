/**
 * {@linkcode ClusterWorker}: the process that takes a `ClusterPool`'s jobs from Redis
 * and runs them in a local `WorkerPool` (or `ProcessPool`), so one worker process
 * uses every core of its machine. `deno task worker` is its command line
 * (`cluster/worker_cli.ts`).
 *
 * ```
 * Redis wait list ─▶ BullMQ Worker (concurrency jobs) ─▶ local pool (threads)
 *      ▲                      │ returnvalue / tandemError / progress
 *      └── moveToWait (hand back on stop) ◀┘      cancel ◀─ Pub/Sub channel
 * ```
 *
 * @module
 */

import { UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { checkDelay, checkInteger, MAX_DELAY_MS, received } from "../sync/_checks.ts";
import type { Task } from "../pool/task.ts";
import type { ProcessPermissions } from "../pool/types.ts";
import type { RedisClient } from "./types.ts";
import { ProcessPool } from "../pool/process_pool.ts";
import { WorkerPool } from "../pool/worker_pool.ts";
import { decodeValue, encodeFailure, encodeValue } from "./_codec.ts";
import {
  cancelChannel,
  ERROR_FIELD,
  type JobData,
  jobKey,
  KIND_CALL,
  settingsKey,
  type WorkerBeat,
  workerClientName,
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

const CREATE = "Cannot create cluster worker";
/** A cancel that arrives before its job starts here is remembered this long. */
const EARLY_CANCEL_MS = 60_000;
/** Heartbeat period (the caller counts a worker for 15 s after its last beat). */
const BEAT_MS = 5_000;

/** Options of a {@linkcode ClusterWorker}. */
export interface ClusterWorkerOptions {
  /** The Redis server: a `redis://` or `rediss://` URL, or an ioredis client. */
  redis: string | URL | RedisClient;
  /** The BullMQ queue name. */
  queue: string;
  /**
   * Threads (or processes) of the local pool.
   *
   * @default {navigator.hardwareConcurrency}
   */
  threads?: number;
  /**
   * Run tasks in a `ProcessPool` (each in a `deno` subprocess, killed for real on
   * timeout or cancel) instead of a `WorkerPool`.
   *
   * @default {false}
   */
  processes?: boolean;
  /**
   * Permissions of the `ProcessPool`'s subprocesses (with `processes`): none by
   * default, as `deno task worker --processes` gives them only its `--allow-*` flags.
   *
   * @default {{}}
   */
  permissions?: ProcessPermissions;
  /**
   * Most jobs held at once. As many as the threads, so that a job never waits here
   * behind a running one while another worker is idle (with twice the threads, the
   * demo's fib(24) waited behind fib(32) on one worker while the other was idle).
   * The price is one Redis round trip between two jobs on a thread (under 1 ms on a
   * LAN): for a flood of tiny tasks, a larger value hides it.
   *
   * @default {threads}
   */
  concurrency?: number;
  /**
   * How long this worker's jobs stay its own without a lock renewal (BullMQ's lock
   * duration and stalled-job check), in milliseconds.
   *
   * @default {the queue's leaseMs written by a ClusterPool, else 30000}
   */
  leaseMs?: number;
  /**
   * Milliseconds that `close()` lets running jobs finish before it hands them back.
   *
   * @default {10000}
   */
  graceMs?: number;
  /**
   * Milliseconds the first connection to Redis may take: past it, `start()` rejects
   * with an error that names the server. Once connected, the worker waits through
   * later outages, reconnecting.
   *
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * BullMQ's key prefix.
   *
   * @default {"bull"}
   */
  prefix?: string;
  /**
   * The worker's name, stored on the jobs it runs and shown in errors.
   *
   * @default {"<host>:<pid>"}
   */
  name?: string;
  /** Called after each job, for logs and status lines. */
  onEvent?: (event: ClusterWorkerEvent) => void;
}

/** What happened to one job on this worker. */
export interface ClusterWorkerEvent {
  /** `"done"`, `"failed"`, `"cancelled"` or `"handed-back"`. */
  type: "done" | "failed" | "cancelled" | "handed-back";
  /** The job id. */
  jobId: string;
  /** The task's export name. */
  name: string;
  /** Milliseconds the job spent on this worker. */
  ms: number;
  /** The error message of a failed job. */
  error?: string;
}

/** A snapshot of a worker's counters. */
export interface ClusterWorkerStats {
  /** Jobs completed. */
  done: number;
  /** Jobs failed. */
  failed: number;
  /** Jobs cancelled by their caller while here. */
  cancelled: number;
  /** Jobs given back to the queue when the worker stopped. */
  handedBack: number;
  /** Jobs running now. */
  running: number;
}

/** A job this worker runs now. */
interface Running {
  /** Stops the job's local task (set once it was handed to the local pool). */
  stop: ((reason: unknown) => void) | undefined;
  cancelled: boolean;
  handBack: boolean;
}

type LocalPool = WorkerPool<Record<string, (...args: unknown[]) => unknown>>;

/**
 * Takes jobs of a queue and runs them in a local pool of threads or processes.
 *
 * @example Options are checked at once
 * ```ts
 * import { ClusterWorker } from "@tandem/tandem/cluster";
 * import { assertThrows } from "@std/assert";
 *
 * assertThrows(
 *   () => new ClusterWorker("./tasks.ts", { redis: "redis://127.0.0.1", queue: "" }),
 *   TypeError,
 * );
 * ```
 *
 * @example Run a worker until SIGTERM
 * ```ts
 * import { ClusterWorker } from "@tandem/tandem/cluster";
 *
 * // What `deno task worker --redis URL --queue demo ./tasks.ts` does, from code:
 * // take jobs until SIGTERM, then let running ones finish within 10 s.
 * export async function serve(redis: string): Promise<void> {
 *   await using worker = new ClusterWorker(new URL("./tasks.ts", import.meta.url), {
 *     redis,
 *     queue: "demo",
 *     threads: navigator.hardwareConcurrency,
 *     graceMs: 10_000,
 *     onEvent: (event) => console.log(event.type, event.jobId, `${event.ms.toFixed(1)} ms`),
 *   });
 *   await worker.start();
 *   const { promise, resolve } = Promise.withResolvers<void>();
 *   Deno.addSignalListener("SIGTERM", resolve);
 *   await promise;
 * }
 * ```
 *
 * @example Tasks in sandboxed processes
 * ```ts
 * import { ClusterWorker } from "@tandem/tandem/cluster";
 *
 * // Each task runs in a `deno` subprocess that may reach one API and nothing else
 * // (`deno task worker --processes --allow-net=api.example.com:443 ...`).
 * export function sandboxed(redis: string): ClusterWorker {
 *   return new ClusterWorker("./tasks.ts", {
 *     redis,
 *     queue: "demo",
 *     processes: true,
 *     permissions: { net: ["api.example.com:443"] },
 *   });
 * }
 * ```
 */
export class ClusterWorker implements AsyncDisposable {
  readonly #url: URL;
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #threads: number;
  readonly #processes: boolean;
  readonly #permissions: ProcessPermissions | undefined;
  readonly #concurrency: number;
  readonly #graceMs: number;
  readonly #connectTimeout: number;
  readonly #name: string;
  readonly #onEvent: ((event: ClusterWorkerEvent) => void) | undefined;
  #leaseMs: number | undefined;
  #target: RedisTarget;
  #client: Redis | undefined;
  #workerClient: Redis | undefined;
  #subscriber: Redis | undefined;
  #worker: Worker | undefined;
  #pool: LocalPool | undefined;
  #exports = new Set<string>();
  #running = new Map<string, Running>();
  #early = new Map<string, number>();
  #beat: ReturnType<typeof setInterval> | undefined;
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #counts = { done: 0, failed: 0, cancelled: 0, handedBack: 0 };

  /**
   * Creates a worker (it connects on `start()`).
   *
   * @param module The task module's URL, or a path relative to the working directory.
   * @param options `redis`, `queue`, `threads`, `processes`, `concurrency`, `leaseMs`,
   * `graceMs`, `connectTimeout`, `prefix`, `name`, `onEvent`.
   * @throws {TypeError} When `redis`, `queue`, `prefix` or `module` is malformed.
   * @throws {RangeError} When a number option is out of range.
   */
  constructor(module: string | URL, options: ClusterWorkerOptions) {
    if (typeof module !== "string" && !(module instanceof URL)) {
      throw new TypeError(
        `${CREATE} as 'module' must be a URL or a path: received ${received(module)}`,
      );
    }
    this.#url = module instanceof URL ? module : new URL(module, `file://${Deno.cwd()}/`);
    this.#target = checkRedis(options.redis, CREATE);
    this.#queueName = checkQueue(options.queue, CREATE);
    this.#prefix = checkPrefix(options.prefix, CREATE);
    this.#threads = checkInteger(
      options.threads,
      "threads",
      CREATE,
      navigator.hardwareConcurrency ?? 1,
      { max: 1024 },
    );
    this.#processes = options.processes ?? false;
    this.#permissions = options.permissions;
    this.#concurrency = checkInteger(
      options.concurrency,
      "concurrency",
      CREATE,
      this.#threads,
      { max: 100_000 },
    );
    if (options.leaseMs !== undefined) {
      this.#leaseMs = checkInteger(options.leaseMs, "leaseMs", CREATE, 30_000, {
        max: MAX_DELAY_MS,
      });
    }
    this.#graceMs = checkDelay(options.graceMs, "graceMs", CREATE, 10_000, false);
    this.#connectTimeout = checkDelay(
      options.connectTimeout,
      "connectTimeout",
      CREATE,
      CONNECT_TIMEOUT_MS,
      false,
    );
    this.#name = options.name ?? `${hostname()}:${Deno.pid}`;
    this.#onEvent = options.onEvent;
  }

  /**
   * The worker's name (`<host>:<pid>` unless given).
   *
   * @returns The name.
   */
  get name(): string {
    return this.#name;
  }

  /**
   * A snapshot of the worker's counters.
   *
   * @returns The counters.
   */
  get stats(): ClusterWorkerStats {
    return { ...this.#counts, running: this.#running.size };
  }

  /**
   * Loads the task module (to fail early and to know its exports), starts the local
   * pool, connects and starts taking jobs.
   *
   * @returns A promise that resolves once jobs are being taken.
   * @throws {TypeError} When the task module fails to load.
   * @throws {Error} When Redis does not answer within `connectTimeout`.
   */
  start(): Promise<void> {
    return this.#started ??= this.#start();
  }

  async #start(): Promise<void> {
    let module: Record<string, unknown>;
    try {
      module = await import(this.#url.href);
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new TypeError(
        `Cannot start worker as module '${this.#url.href}' failed to load: ${why}`,
        {
          cause: error,
        },
      );
    }
    for (const [key, value] of Object.entries(module)) {
      if (typeof value === "function") this.#exports.add(key);
    }
    this.#pool = this.#processes
      ? new ProcessPool(this.#url, {
        size: this.#threads,
        permissions: this.#permissions,
        name: this.#name,
      }) as unknown as LocalPool
      : new WorkerPool(this.#url, { size: this.#threads, name: this.#name });
    this.#client = newClient(
      this.#target,
      workerClientName(this.#prefix, this.#queueName, this.#name),
    );
    this.#workerClient = newClient(this.#target);
    this.#subscriber = newClient(this.#target);
    const clients = [this.#client, this.#workerClient, this.#subscriber];
    // All settle (no timer left behind); then the clients stop retrying on failure.
    const connected = await Promise.allSettled(
      clients.map((c) =>
        firstConnect(c, this.#target, this.#connectTimeout, "Cannot start worker")
      ),
    );
    const failed = connected.find((result) => result.status === "rejected");
    if (failed !== undefined) {
      for (const client of clients) client.disconnect();
      throw failed.reason;
    }
    if (this.#leaseMs === undefined) {
      const lease = await this.#client.hget(
        settingsKey(this.#prefix, this.#queueName),
        "leaseMs",
      );
      this.#leaseMs = lease !== null && Number(lease) > 0 ? Number(lease) : 30_000;
    }
    await this.#subscriber.subscribe(cancelChannel(this.#prefix, this.#queueName));
    this.#subscriber.on("message", (_channel: string, jobId: string) => this.#cancel(jobId));
    if (this.#closing) return;
    this.#worker = new Worker(
      this.#queueName,
      (job: Job, token?: string) => this.#process(job, token),
      {
        connection: this.#workerClient,
        prefix: this.#prefix,
        concurrency: this.#concurrency,
        lockDuration: this.#leaseMs,
        stalledInterval: this.#leaseMs,
        // An idle worker blocks this many seconds on the queue; a retry due after a
        // backoff could wait that long (5 s by default, seen in the retry test): 1 s.
        drainDelay: 1,
        name: this.#name,
      },
    );
    this.#worker.on("error", () => {}); // ioredis reconnects by itself
    await this.#worker.waitUntilReady();
    await this.#heartbeat();
    this.#beat = setInterval(() => this.#heartbeat().catch(() => {}), BEAT_MS);
  }

  async #heartbeat(): Promise<void> {
    const beat: WorkerBeat = { host: hostname(), threads: this.#threads, at: Date.now() };
    await this.#client!.hset(
      workersKey(this.#prefix, this.#queueName),
      this.#name,
      JSON.stringify(beat),
    );
  }

  #cancel(jobId: string): void {
    const running = this.#running.get(jobId);
    if (running === undefined) {
      // The cancel may beat the job here: remember it for a while.
      const now = Date.now();
      for (const [id, at] of this.#early) if (now - at > EARLY_CANCEL_MS) this.#early.delete(id);
      this.#early.set(jobId, now);
      return;
    }
    running.cancelled = true;
    running.stop?.(new DOMException(`Job ${jobId} was cancelled`, "AbortError"));
  }

  async #process(job: Job, token: string | undefined): Promise<string> {
    const jobId = job.id!;
    const name = job.name;
    const started = performance.now();
    const running: Running = { stop: undefined, cancelled: false, handBack: false };
    if (this.#early.delete(jobId)) running.cancelled = true;
    this.#running.set(jobId, running);
    try {
      if (running.cancelled) throw new DOMException(`Job ${jobId} was cancelled`, "AbortError");
      if (!this.#exports.has(name)) {
        throw new TypeError(
          `Cannot run task as module '${this.#url.href}' has no exported function '${name}' (worker '${this.#name}' on host '${hostname()}')`,
        );
      }
      const data = job.data as JobData;
      const args = decodeValue(data.a) as unknown[];
      let value: unknown;
      if (data.k === KIND_CALL) {
        // Stopped through `Task.cancel` and timed by the pool (from its start, as
        // `t` means): no AbortController nor timer signal per job, which a tiny task
        // would pay for on every call.
        const task = this.#pool!.submit(name, args, { timeout: data.t });
        running.stop = (reason) => task.cancel(reason);
        this.#forwardProgress(task, job);
        value = await task;
      } else {
        const controller = new AbortController();
        running.stop = (reason) => controller.abort(reason);
        const signal = data.t === undefined
          ? controller.signal
          : AbortSignal.any([controller.signal, AbortSignal.timeout(data.t)]);
        const chunkSize = Math.max(1, Math.ceil(args.length / this.#threads));
        value = await Array.fromAsync(
          this.#pool!.map(name, args as never[], { chunkSize, signal }),
        );
      }
      const encoded = encodeValue(value, `the result of task '${name}'`);
      this.#counts.done++;
      this.#emit("done", jobId, name, started);
      return encoded;
    } catch (error) {
      if (running.handBack && !running.cancelled && token !== undefined) {
        await job.moveToWait(token);
        this.#counts.handedBack++;
        this.#emit("handed-back", jobId, name, started);
        throw new WaitingError();
      }
      const reason = running.cancelled
        ? new DOMException(`Job ${jobId} was cancelled`, "AbortError")
        : error;
      await this.#client!.hset(
        jobKey(this.#prefix, this.#queueName, jobId),
        ERROR_FIELD,
        encodeFailure(reason),
      );
      const message = reason instanceof Error
        ? `${reason.name}: ${reason.message}`
        : String(reason);
      if (running.cancelled) {
        this.#counts.cancelled++;
        this.#emit("cancelled", jobId, name, started);
        throw new UnrecoverableError(message);
      }
      this.#counts.failed++;
      this.#emit("failed", jobId, name, started, message);
      // A missing export fails the same way on every worker: no retry.
      if (reason instanceof TypeError && !this.#exports.has(name)) {
        throw new UnrecoverableError(message);
      }
      throw reason instanceof Error ? reason : new Error(message);
    } finally {
      this.#running.delete(jobId);
    }
  }

  #forwardProgress(task: Task<unknown>, job: Job): void {
    // `Task.onProgress` is new in pool/: use it when this pool version has it.
    const onProgress = (task as { onProgress?: (fn: (value: unknown) => void) => () => void })
      .onProgress;
    if (typeof onProgress !== "function") return;
    onProgress.call(task, (value) => {
      let p: string;
      try {
        p = encodeValue(value, "a progress value");
      } catch {
        return; // a value that cannot cross Redis is not reported
      }
      job.updateProgress({ p }).catch(() => {});
    });
  }

  #emit(
    type: ClusterWorkerEvent["type"],
    jobId: string,
    name: string,
    started: number,
    error?: string,
  ): void {
    if (this.#onEvent === undefined) return;
    const event: ClusterWorkerEvent = { type, jobId, name, ms: performance.now() - started };
    if (error !== undefined) event.error = error;
    this.#onEvent(event);
  }

  /**
   * Stops gracefully: takes no new job, lets running ones finish within the grace
   * period, hands the others back to the queue (another worker runs them), then
   * closes the local pool and every connection.
   *
   * @param options `graceMs` overrides the worker's.
   * @returns A promise that resolves once everything is closed.
   */
  close(options?: { graceMs?: number }): Promise<void> {
    return this.#closing ??= this.#close(
      checkDelay(options?.graceMs, "graceMs", "Cannot close worker", this.#graceMs, false),
    );
  }

  async #close(graceMs: number): Promise<void> {
    await this.#started?.catch(() => {});
    clearInterval(this.#beat);
    const grace = setTimeout(() => {
      for (const running of this.#running.values()) {
        running.handBack = true;
        running.stop?.(new DOMException("The worker is stopping", "AbortError"));
      }
    }, graceMs);
    // Bounded even when Redis is gone (a hand-back then cannot reach it): the grace,
    // 5 s more for the jobs to report, then BullMQ's forced close.
    const closed = await withDeadline(this.#worker?.close(), graceMs + 5_000);
    clearTimeout(grace);
    if (!closed) await withDeadline(this.#worker?.close(true), 1_000);
    await withDeadline(
      this.#client?.hdel(workersKey(this.#prefix, this.#queueName), this.#name),
      1_000,
    );
    await this.#pool?.shutdown({ wait: false });
    await Promise.all(
      [this.#subscriber, this.#workerClient, this.#client].map((client) =>
        client === undefined ? undefined : closeClient(client, 1_000)
      ),
    );
  }

  /**
   * Closes on scope exit, as `close()` does.
   *
   * @returns A promise that resolves once everything is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}
