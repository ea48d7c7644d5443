import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import {
  localWorker,
  queueName,
  redisTest,
  TASKS,
  type Tasks,
  until,
  untilRedis,
  within,
} from "./_helpers.ts";

redisTest("Task.cancel() of a queued task: it never runs", async (redis) => {
  const queue = queueName();
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  await pool.whenReady();
  const queued = pool.submit("add", [1, 1]);
  const sent = pool.submit("add", [2, 2]);
  assertEquals(queued.cancel(), true); // before it left this process
  assertEquals(queued.state, "cancelled");
  await assertRejects(() => queued, DOMException, "was cancelled");
  // Let the second one reach Redis (no worker yet), then cancel it there.
  await untilRedis(redis, async (c) => await c.llen(`bull:${queue}:wait`) === 1, "the job");
  assertEquals(sent.cancel(), true);
  const error = await assertRejects(() => sent);
  assertInstanceOf(error, DOMException);
  assertEquals(error.name, "AbortError");
  await using worker = await localWorker(redis, queue);
  assertEquals(await pool.submit("add", [3, 3]), 6);
  assertEquals(worker.stats, { done: 1, failed: 0, cancelled: 0, handedBack: 0, running: 0 });
});

redisTest("Task.cancel() of a running task: the remote task sees its signal", async (redis) => {
  const queue = queueName();
  await using worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const key = `seen-${queue}`;
  const controller = new AbortController();
  const task = pool.submit("untilCancelled", [redis.port, key, 30_000], {
    signal: controller.signal,
  });
  const started = Promise.withResolvers<void>();
  task.onProgress(() => started.resolve());
  await within(started.promise, 20_000, "the task's start");
  assertEquals(task.state, "running");
  controller.abort();
  const error = await assertRejects(() => task);
  assertInstanceOf(error, DOMException);
  assertEquals(error.name, "AbortError");
  await untilRedis(redis, async (c) => await c.get(key) === "aborted", "the remote abort");
  await until(() => worker.stats.cancelled === 1, 10_000, "the worker to count the cancel");
  // The worker goes on with other tasks.
  assertEquals(await pool.submit("add", [1, 2]), 3);
});
