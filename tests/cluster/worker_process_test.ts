// Cluster workers as real processes (cluster/worker_cli.ts with least permissions):
// killed mid-task, stopped by signals, and given a module that fails to load.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import {
  queueName,
  redisTest,
  TASKS,
  type Tasks,
  until,
  untilRedis,
  withClient,
  within,
  workerProcess,
} from "./_helpers.ts";

redisTest(
  "A worker SIGKILLed mid-task: after leaseMs another worker runs it, once",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue, leaseMs: 1_000 });
    await pool.whenReady(); // the workers read the queue's leaseMs
    const a = workerProcess(redis, queue);
    await within(a.next("started"), 30_000, "worker A's start");
    const key = `go-${queue}`;
    const task = pool.submit("pidWhenKeySet", [redis.port, key, 30_000]);
    await until(() => task.state === "running", 20_000, "the task to start on worker A");
    const b = workerProcess(redis, queue);
    await within(b.next("started"), 30_000, "worker B's start");
    a.kill("SIGKILL");
    assertEquals((await a.status).signal, "SIGKILL");
    await withClient(redis, (c) => c.set(key, "1"));
    assertEquals(await within(task, 30_000, "the task"), b.pid);
    assertEquals(task.state, "fulfilled");
    b.kill("SIGTERM");
    assertEquals((await b.status).code, 0);
    await b.stderr();
    await a.stderr();
    const done = b.records.filter((r) => r.event === "done");
    assertEquals(done.length, 1);
    assertEquals(pool.stats.completed, 1);
  },
);

redisTest(
  "A worker SIGKILLed mid-task with no other worker: the task fails after the lease",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue, leaseMs: 1_000 });
    await pool.whenReady();
    const a = workerProcess(redis, queue);
    await within(a.next("started"), 30_000, "the worker's start");
    const task = pool.submit("pidAfter", [30_000]);
    await until(() => task.state === "running", 20_000, "the task to start");
    a.kill("SIGKILL");
    await a.status;
    await a.stderr();
    await assertRejects(() => within(task, 20_000, "the lost task"), Error, "was lost");
    // Removed: a worker started later does not run it.
    await untilRedis(
      redis,
      async (c) => await c.exists(`bull:${queue}:${pool.jobId(task)}`) === 0,
      "the job's removal",
    );
  },
);

redisTest(
  "A worker on SIGTERM finishes what it can within --grace and hands back the rest",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    await pool.whenReady();
    const a = workerProcess(redis, queue, ["--threads", "2", "--grace", "1"]);
    await within(a.next("started"), 30_000, "worker A's start");
    const short = pool.submit("delayed", ["short", 300]);
    // 3 s: still running when the 1 s grace ends, even on a loaded machine.
    const long = pool.submit("delayed", ["long", 3_000]);
    await until(
      () => short.state === "running" && long.state === "running",
      20_000,
      "both tasks to start",
    );
    a.kill("SIGTERM");
    assertEquals((await a.status).code, 0);
    await a.stderr();
    assertEquals(await short, "short");
    assertEquals(a.records.filter((r) => r.event === "handed-back").length, 1);
    assertEquals(long.state, "queued"); // back in the queue, not failed
    const b = workerProcess(redis, queue);
    assertEquals(await within(long, 30_000, "the handed-back task"), "long");
    b.kill("SIGINT");
    assertEquals((await b.status).code, 0);
    await b.stderr();
  },
);

redisTest("A worker exits at once on a second signal", async (redis) => {
  const queue = queueName();
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  await pool.whenReady();
  const a = workerProcess(redis, queue, ["--grace", "60"]);
  await within(a.next("started"), 30_000, "the worker's start");
  const task = pool.submit("delayed", [1, 60_000]);
  await until(() => task.state === "running", 20_000, "the task to start");
  a.kill("SIGTERM");
  await within(a.next("stopping"), 10_000, "the first signal's effect");
  await new Promise((resolve) => setTimeout(resolve, 400)); // beyond the 300 ms debounce
  a.kill("SIGTERM");
  assertEquals((await within(a.status, 10_000, "the exit")).code, 130);
  await a.stderr();
  task.cancel();
});

redisTest("A worker whose task module fails to load exits 1 with a clear line", async (redis) => {
  const broken = new URL("../testdata/cluster_broken_tasks.ts", import.meta.url);
  const a = workerProcess(redis, queueName(), [], broken);
  const status = await within(a.status, 30_000, "the exit");
  assertEquals(status.code, 1);
  const stderr = await a.stderr();
  assertStringIncludes(stderr, "Cannot start worker as module");
  assertStringIncludes(stderr, "cluster_broken_tasks.ts' failed to load: ");
  assertStringIncludes(stderr, "this task module cannot load");
  assert(!stderr.includes("Uncaught"), stderr);
});
