/**
 * Private: what a `ClusterPool` and its workers write to Redis, besides BullMQ's
 * own keys. One BullMQ job is one `submit` (or one `map` chunk): the job's name is
 * the task's export, its data a {@linkcode JobData}, its return value the encoded
 * result. A failed job also leaves the encoded error in the job's hash under
 * {@linkcode ERROR_FIELD}, because BullMQ keeps only `error.message`.
 *
 * ```
 * caller: submit ──addBulk──▶ bull:<queue>:wait ──▶ worker: BullMQ Worker
 *   ▲                                                   │ local WorkerPool/ProcessPool
 *   └── QueueEvents (active, progress, completed, failed) ◀┘ returnvalue / tandemError
 *   cancel: Queue.remove (waiting) or PUBLISH <prefix>:<queue>:tandem:cancel (running)
 * ```
 *
 * @module
 */

/** Job kind: call the export once with the arguments. */
export const KIND_CALL = 0;
/** Job kind: call the export once per element of the inputs (a `map` chunk). */
export const KIND_MAP = 1;

/** The data of a Tandem job. */
export interface JobData {
  /** {@linkcode KIND_CALL} or {@linkcode KIND_MAP}. */
  k: typeof KIND_CALL | typeof KIND_MAP;
  /** The encoded arguments (an array), or the encoded inputs of a map chunk. */
  a: string;
  /** Milliseconds the task may run once started (absent: no limit). */
  t?: number;
}

/** A progress report: the encoded value (progress values need not be JSON). */
export interface ProgressData {
  /** The encoded value. */
  p: string;
}

/** The job hash field that holds the encoded error of a failed job. */
export const ERROR_FIELD = "tandemError";

/** The Pub/Sub channel on which callers ask workers to stop a running job (the job id). */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:tandem:cancel`;
}

/** The hash of queue settings (`leaseMs`) written by a `ClusterPool`. */
export function settingsKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:tandem`;
}

/** The hash of live workers: worker id → JSON {@linkcode WorkerBeat}. */
export function workersKey(prefix: string, queue: string): string {
  return `${prefix}:${queue}:tandem:workers`;
}

/** What a worker writes about itself every few seconds. */
export interface WorkerBeat {
  /** The host name. */
  host: string;
  /** Threads (or processes) of its local pool. */
  threads: number;
  /** When it wrote this (ms since the epoch). */
  at: number;
}

/** The key of a job's hash. */
export function jobKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:${jobId}`;
}

/**
 * The Redis client name of a live worker's command connection (`CLIENT SETNAME`): a
 * process that dies closes it at once, so `CLIENT LIST` tells who is alive.
 */
export function workerClientName(prefix: string, queue: string, worker: string): string {
  return `tandem-worker:${prefix}:${queue}:${worker.replace(/\s/g, "_")}`;
}

/** The start of {@linkcode workerClientName} for every worker of a queue. */
export function workerClientPrefix(prefix: string, queue: string): string {
  return `tandem-worker:${prefix}:${queue}:`;
}
