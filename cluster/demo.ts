/**
 * `deno task cluster:demo`: the distributed mode on one machine with one command.
 * Starts a `redis-server` from `PATH` on a free loopback port with a temporary
 * directory, two workers (`cluster/worker_cli.ts`, each with the least permissions),
 * runs the tour (`submit` + `asCompleted`, an ordered `map` with `chunkSize`,
 * progress, cancel), then stops everything.
 *
 * @module
 */

import { asCompleted } from "../pool/as_completed.ts";
import { ClusterPool } from "./cluster_pool.ts";
import { hasRedisServer } from "./_redis_server.ts";
import { type LocalRedisServer, startLocalRedis } from "./local_redis.ts";

const TASKS = new URL("./_demo_tasks.ts", import.meta.url);
type DemoTasks = typeof import("./_demo_tasks.ts");
const QUEUE = "demo";

/** Starts `deno task worker`'s launcher; resolves once the worker takes jobs. */
async function startWorker(redis: LocalRedisServer, n: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-run",
      "--allow-env",
      "--allow-sys=hostname",
      new URL("./worker_cli.ts", import.meta.url).pathname,
      "--redis",
      redis.url,
      "--queue",
      QUEUE,
      "--threads",
      "1",
      "--name",
      `worker-${n}`,
      "--json",
      TASKS.pathname,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes('"event":"started"')) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`worker-${n} exited before it started`);
    text += value;
  }
  (async () => {
    while (!(await lines.read()).done);
  })().catch(() => {});
  return child;
}

async function tour(redis: LocalRedisServer): Promise<void> {
  await using pool = new ClusterPool<DemoTasks>(TASKS, { redis: redis.url, queue: QUEUE });

  // Each worker holds one job at a time (--concurrency defaults to --threads, 1), so
  // these two 100 ms tasks start both workers' threads before anything is timed.
  await Promise.all([0, 1].map(() => pool.submit("where", [100])));

  // fib(36) takes ~185 ms here, fib(32) ~33 ms, fib(28) ~4 ms: one worker runs
  // fib(36) while the other runs fib(32) then fib(28), which never waits behind
  // fib(36). So the order is always fib(32), fib(28), fib(36).
  console.log("1. submit + asCompleted: fib(36), fib(32), fib(28) on two workers");
  const tasks = [36, 32, 28].map((n) => pool.submit("fib", [n]));
  for await (const value of asCompleted(tasks)) console.log(`   ${value}`);
  // A task that takes 100 ms keeps one worker busy, so the next goes to the other.
  const where = await Promise.all([1, 2, 3, 4].map(() => pool.submit("where", [100])));
  console.log(`   ran on: ${[...new Set(where)].sort().join(", ")}`);

  console.log("2. map: 100,000 squares, chunkSize 1,000, in order");
  const started = performance.now();
  let sum = 0, n = 0;
  for await (
    const square of pool.map("square", Array.from({ length: 100_000 }, (_, i) => i), {
      chunkSize: 1_000,
    })
  ) {
    sum += square;
    n++;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `   ${n} results, sum ${sum}, ${Math.round(n / seconds).toLocaleString("en")} inputs/s`,
  );

  console.log("3. progress: a task reports each of 5 steps");
  const counting = pool.submit("countSlowly", [5, 50]);
  counting.onProgress((step) => console.log(`   step ${step}`));
  console.log(`   returned ${await counting}`);

  console.log("4. cancel: a running task sees its signal on its worker");
  const long = pool.submit("countSlowly", [1_000, 50]);
  const { promise: running, resolve } = Promise.withResolvers<void>();
  long.onProgress(() => resolve());
  await running;
  long.cancel();
  const error = await long.catch((e: unknown) => e);
  console.log(`   ${long.state}: ${(error as Error).name}`);
  const { completed, failed, cancelled, workers } = pool.stats;
  console.log(`   stats: ${JSON.stringify({ workers, completed, failed, cancelled })}`);
}

async function main(): Promise<number> {
  if (!(await hasRedisServer())) {
    console.error("cluster:demo needs redis-server on PATH (apt install redis-server)");
    return 1;
  }
  const redis = await startLocalRedis();
  console.log(`redis-server ${redis.url} (temporary directory, stopped at the end)`);
  const workers: Deno.ChildProcess[] = [];
  try {
    workers.push(...await Promise.all([startWorker(redis, 1), startWorker(redis, 2)]));
    console.log("two workers started: worker-1, worker-2\n");
    await tour(redis);
  } finally {
    for (const worker of workers) worker.kill("SIGTERM");
    await Promise.all(workers.map((worker) => worker.status));
    await redis.stop();
  }
  console.log("\nworkers and redis-server stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
