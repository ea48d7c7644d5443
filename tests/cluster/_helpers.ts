// Helpers for the cluster tests: a real redis-server per test file, and workers in
// this process or in their own `deno` process (started like `deno task worker`
// starts its child: least permissions, killed by PID).

import { hasRedisServer, type LocalRedis, startRedis } from "../../cluster/_redis_server.ts";
import { ClusterWorker, type ClusterWorkerOptions } from "../../cluster/worker.ts";
import { closeClient, newClient } from "../../cluster/_redis.ts";
import { readPaths } from "../../cluster/worker_cli.ts";
import type { Redis } from "ioredis";

export { until, within } from "../pool/_helpers.ts";

/** The task module of the cluster tests. */
export const TASKS = new URL("../testdata/cluster_tasks.ts", import.meta.url);
/** Its type. */
export type Tasks = typeof import("../testdata/cluster_tasks.ts");

/** Whether the tests can run (redis-server on PATH); logs why not once. */
export const HAVE_REDIS: boolean = await hasRedisServer();
if (!HAVE_REDIS) {
  console.warn(
    "cluster tests skipped: redis-server is not on PATH (apt install redis-server; .ci/run does)",
  );
}

let queues = 0;
/** A fresh queue name. */
export function queueName(): string {
  return `t${Date.now().toString(36)}${++queues}`;
}

/** Defines a test that gets its own redis-server, skipped when there is none. */
export function redisTest(
  name: string,
  fn: (redis: LocalRedis, t: Deno.TestContext) => Promise<void>,
  options: { appendonly?: boolean } = {},
): void {
  Deno.test({
    name,
    async fn(t) {
      if (!HAVE_REDIS) return; // the skip is announced once, above
      const redis = await startRedis(options);
      try {
        await fn(redis, t);
      } finally {
        await redis.stop();
      }
    },
  });
}

/** Starts a worker in this process. */
export async function localWorker(
  redis: LocalRedis,
  queue: string,
  options: Partial<ClusterWorkerOptions> = {},
): Promise<ClusterWorker> {
  const worker = new ClusterWorker(TASKS, {
    redis: redis.url,
    queue,
    threads: 1,
    graceMs: 1_000,
    ...options,
  });
  await worker.start();
  return worker;
}

/** A worker in its own process, reading its `--json` log lines. */
export interface WorkerProcess {
  readonly pid: number;
  /** Resolves with the first log record whose `event` is `event`. */
  next(event: string): Promise<Record<string, unknown>>;
  /** Every record read so far. */
  readonly records: Record<string, unknown>[];
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Its stderr, once it exited. */
  stderr(): Promise<string>;
}

/**
 * Starts `cluster/worker_cli.ts` with the permissions its launcher would give it, or
 * (`launcher: true`) as `deno task worker` starts it, so that it relaunches itself.
 */
export function workerProcess(
  redis: LocalRedis,
  queue: string,
  args: string[] = [],
  module: URL = TASKS,
  options: { launcher?: boolean } = {},
): WorkerProcess {
  const cli = new URL("../../cluster/worker_cli.ts", import.meta.url);
  const grants = options.launcher
    ? ["--allow-read", "--allow-run", "--allow-env", "--allow-sys=hostname"]
    : [
      `--allow-net=127.0.0.1:${redis.port}`,
      `--allow-read=${readPaths(module).join(",")}`,
      "--allow-env",
      "--allow-sys=hostname",
    ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      ...grants,
      cli.pathname,
      "--redis",
      redis.url,
      "--queue",
      queue,
      "--threads",
      "1",
      "--json",
      ...args,
      module.pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const records: Record<string, unknown>[] = [];
  const waiting: { event: string; resolve: (r: Record<string, unknown>) => void }[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += text;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const record = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        records.push(record);
        for (let i = waiting.length - 1; i >= 0; i--) {
          if (waiting[i].event === record.event) waiting.splice(i, 1)[0].resolve(record);
        }
      }
    }
  })();
  const errText = new Response(child.stderr).text();
  const status = (async () => {
    const s = await child.status;
    await reading;
    return s;
  })();
  return {
    pid: child.pid,
    records,
    next(event) {
      const found = records.find((r) => r.event === event);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiting.push({ event, resolve }));
    },
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
    status,
    stderr: () => errText,
  };
}

/** Runs `fn` with a Redis client of its own, closed afterwards. */
export async function withClient<T>(
  redis: LocalRedis,
  fn: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = newClient({ url: new URL(redis.url) });
  try {
    return await fn(client);
  } finally {
    await closeClient(client, 1_000);
  }
}

/** Polls Redis until `check` returns true (a generous bound). */
export async function untilRedis(
  redis: LocalRedis,
  check: (client: Redis) => Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  await withClient(redis, async (client) => {
    const end = Date.now() + ms;
    while (!(await check(client))) {
      if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}
