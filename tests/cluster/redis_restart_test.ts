// Redis stopped and restarted (appendonly) while tasks are queued.

import { assertEquals } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import {
  localWorker,
  queueName,
  redisTest,
  TASKS,
  type Tasks,
  untilRedis,
  within,
} from "./_helpers.ts";

redisTest(
  "ClusterPool and its workers ride out a Redis restart: every task settles once",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    await pool.whenReady();
    const tasks = Array.from({ length: 20 }, (_, i) => pool.submit("inc", [i]));
    let settled = 0;
    for (const task of tasks) task.then(() => settled++, () => settled++);
    await untilRedis(redis, async (c) => await c.llen(`bull:${queue}:wait`) === 20, "the jobs");
    await redis.kill();
    await redis.restart();
    await using worker = await localWorker(redis, queue);
    const values = await within(Promise.all(tasks), 60_000, "the tasks after the restart");
    assertEquals(values, Array.from({ length: 20 }, (_, i) => i + 1));
    assertEquals(settled, 20);
    assertEquals(worker.stats.done, 20);
    assertEquals(pool.stats.completed, 20);
    // The worker, connected during a second restart, reconnects and goes on.
    await redis.kill();
    const later = [pool.submit("add", [1, 2]), pool.submit("add", [3, 4])];
    await redis.restart();
    assertEquals(await within(Promise.all(later), 60_000, "the tasks sent during the outage"), [
      3,
      7,
    ]);
    assertEquals(worker.stats.done, 22);
  },
  { appendonly: true },
);
