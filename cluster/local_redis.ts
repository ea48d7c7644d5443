/**
 * {@linkcode startLocalRedis}: a throwaway `redis-server` for trying the cluster on
 * one machine, in examples and in tests (`deno task cluster:demo` uses it).
 *
 * @module
 */

import { hasRedisServer, startRedis } from "./_redis_server.ts";

/** A `redis-server` started by {@linkcode startLocalRedis}. */
export interface LocalRedisServer extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>`: pass it as a pool's or a worker's `redis` option. */
  readonly url: string;
  /** The loopback port it listens on. */
  readonly port: number;
  /** Stops it (SIGTERM, SIGKILL after 5 s) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` from `PATH` on a free loopback port (`127.0.0.1`), with a
 * temporary data directory and no snapshots, and resolves once it accepts
 * connections. For production, run Redis as a service instead
 * (`apt install redis-server`, or any Redis 6.2+ or Valkey).
 *
 * Needs `--allow-run=redis-server`, `--allow-write` and `--allow-read` (its
 * temporary directory) and `--allow-net=127.0.0.1` (to find a free port).
 *
 * @returns The running server; `await using` stops it at the end of the scope.
 * @throws {TypeError} When `redis-server` is not on `PATH`.
 *
 * @example A worker and a pool on one machine
 * ```ts
 * import { ClusterPool, ClusterWorker, startLocalRedis } from "@tandem/tandem/cluster";
 * import { assertEquals } from "@std/assert";
 *
 * const tasks = new URL("../tests/testdata/cluster_tasks.ts", import.meta.url);
 * if (await hasRedis()) {
 *   await using redis = await startLocalRedis();
 *   await using worker = new ClusterWorker(tasks, { redis: redis.url, queue: "q", threads: 1 });
 *   await worker.start();
 *   await using pool = new ClusterPool<typeof import("../tests/testdata/cluster_tasks.ts")>(
 *     tasks,
 *     { redis: redis.url, queue: "q" },
 *   );
 *   assertEquals(await pool.submit("add", [2, 3]), 5);
 * }
 *
 * async function hasRedis(): Promise<boolean> {
 *   try {
 *     return (await new Deno.Command("redis-server", { args: ["--version"] }).output()).success;
 *   } catch {
 *     return false; // not installed: nothing to show
 *   }
 * }
 * ```
 */
export async function startLocalRedis(): Promise<LocalRedisServer> {
  if (!(await hasRedisServer())) {
    throw new TypeError(
      "Cannot start a local Redis as 'redis-server' is not on PATH: install it (apt install redis-server)",
    );
  }
  const server = await startRedis();
  let stopped: Promise<void> | undefined;
  const stop = () => stopped ??= server.stop();
  return {
    url: server.url,
    port: server.port,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
