/**
 * Options of `ClusterPool`, its `submit` and its `map`.
 *
 * @module
 */

import type { MapOptions } from "../pool/types.ts";

/**
 * An ioredis client (`new Redis(url)` from `npm:ioredis@5`): the pool or worker
 * duplicates it for each connection it needs and never closes the original.
 *
 * @example An ioredis client is a RedisClient
 * ```ts
 * import type { RedisClient } from "@tandem/tandem/cluster";
 * import { Redis } from "ioredis";
 * import { assertEquals } from "@std/assert";
 *
 * const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true });
 * const client: RedisClient = redis; // pass it as the `redis` option
 * assertEquals(typeof client.duplicate, "function");
 * redis.disconnect();
 * ```
 */
export interface RedisClient {
  /** Returns a new client with the same options (ioredis' `duplicate`). */
  duplicate(override?: Record<string, unknown>): unknown;
  /** Sends a command (present on every ioredis client). */
  sendCommand(command: unknown): unknown;
}

/** Options of a {@linkcode ClusterPool}. */
export interface ClusterPoolOptions {
  /**
   * The Redis server: a `redis://` or `rediss://` URL, or an ioredis client (the
   * pool duplicates it and never closes the original).
   */
  redis: string | URL | RedisClient;
  /** The BullMQ queue name, shared by the pool and its workers (no `:`). */
  queue: string;
  /**
   * How long a silent worker keeps a job before another worker may take it over
   * (BullMQ's lock duration and stalled-job check interval), in milliseconds.
   * Workers started without `--lease-ms` read it from Redis.
   *
   * @default {30000}
   */
  leaseMs?: number;
  /**
   * How long finished jobs stay in Redis (results, errors, dashboards), in milliseconds.
   *
   * @default {3600000}
   */
  keepResultsMs?: number;
  /**
   * Most unfinished tasks of this pool; `submit` beyond it rejects with a
   * `RangeError` (await `pool.whenReady()` first to wait instead).
   *
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * Milliseconds that `shutdown()` and `[Symbol.asyncDispose]` wait for unfinished
   * tasks before they cancel them and close the connections.
   *
   * @default {30000}
   */
  shutdownTimeout?: number;
  /**
   * Milliseconds the first connection to Redis may take. Past it, the pool is
   * broken: its tasks and `whenReady()` reject with a `BrokenPoolError` that names
   * the server (a wrong URL or a stopped server fails fast instead of hanging).
   * Once connected, the pool waits through later outages, reconnecting.
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
}

/** Options of one {@linkcode ClusterPool.submit}. */
export interface ClusterSubmitOptions {
  /** Aborting cancels the task (on the remote worker too). */
  signal?: AbortSignal;
  /**
   * Milliseconds the task may run once a worker starts it; then it fails with a
   * `TimeoutError`.
   *
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * How many times the task may run when it fails (1: no retry).
   *
   * @default {1}
   */
  attempts?: number;
  /**
   * Milliseconds before the first retry; each next retry waits twice as long.
   *
   * @default {0}
   */
  backoff?: number;
  /**
   * BullMQ priority: 0 (none) or 1 (highest) to 2097152 (lowest).
   *
   * @default {0}
   */
  priority?: number;
}

/**
 * Options of {@linkcode ClusterPool.map}: `MapOptions` and the options of each chunk's
 * job (`timeout` bounds a whole chunk, from when a worker takes it).
 */
export interface ClusterMapOptions extends MapOptions, Omit<ClusterSubmitOptions, "signal"> {}
