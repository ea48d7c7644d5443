/**
 * Distributed load generation, on BullMQ and Redis: {@linkcode serveStressAgent} on
 * each load machine (behind `deno task stress-agent`) and {@linkcode runClusterStress}
 * to share one run out over the idle agents and merge their results exactly (behind
 * `deno task stress URL --cluster redis://HOST:6379 --agents N`).
 *
 * This entry point loads `bullmq` and `ioredis`; `@tandem/tandem/servers` does not, so
 * a local run never downloads them (its `runStress(options, { cluster })` loads them
 * only when called with `cluster`).
 *
 * @example Zero agents is a RangeError, before any connection
 * ```ts
 * import { runClusterStress } from "@tandem/tandem/stress-cluster";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(
 *   () => runClusterStress({ url: "http://127.0.0.1:1/" }, { redis: "redis://127.0.0.1:1", agents: 0 }),
 *   RangeError,
 * );
 * ```
 *
 * @module
 */

export {
  type ClusterStressOptions,
  type ClusterStressReport,
  runClusterStress,
  type StressAgentReport,
  type StressClusterOptions,
} from "./_stress_cluster.ts";
export type { RedisClient } from "../cluster/types.ts";
export {
  LOOPBACK_TARGETS,
  serveStressAgent,
  type StressAgent,
  type StressAgentEvent,
  type StressAgentOptions,
} from "./stress_agent.ts";
