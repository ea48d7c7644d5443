import { assert, assertEquals, assertInstanceOf, assertRejects, assertThrows } from "@std/assert";
import { ClusterPool } from "../../cluster/cluster_pool.ts";
import { asCompleted } from "../../pool/as_completed.ts";
import { wait } from "../../pool/wait.ts";
import { Lock } from "../../sync/mod.ts";
import {
  localWorker,
  queueName,
  redisTest,
  TASKS,
  type Tasks,
  untilRedis,
  withClient,
} from "./_helpers.ts";

redisTest("ClusterPool.submit() runs a task on a worker and returns its result", async (redis) => {
  const queue = queueName();
  await using worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  await pool.whenReady();
  const task = pool.submit("add", [1, 2]);
  assertEquals(await task, 3);
  assertEquals(task.state, "fulfilled");
  const value = {
    d: new Date(0),
    m: new Map([[1, new Set([2n])]]),
    u: new Uint8Array([1, 2]),
    e: new RangeError("kept", { cause: 1 }),
  };
  const back = await pool.submit("echo", [value]) as typeof value;
  assertEquals(back.d, value.d);
  assertEquals(back.m, value.m);
  assertEquals(back.u, value.u);
  assertInstanceOf(back.e, RangeError);
  assertEquals([back.e.message, back.e.cause], ["kept", 1]);
  assertEquals(worker.stats.done, 2);
});

redisTest("ClusterPool works with asCompleted() and wait() from pool/", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue, { threads: 2 });
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const tasks = [30, 10, 20].map((ms, i) => pool.submit("delayed", [i, ms]));
  const seen: number[] = [];
  for await (const value of asCompleted(tasks)) seen.push(value as number);
  assertEquals(seen.toSorted(), [0, 1, 2]);
  const { done, pending } = await wait([pool.submit("inc", [1])]);
  assertEquals([done.size, pending.size], [1, 0]);
});

redisTest(
  "ClusterPool.map() keeps order, batches chunks and reads async iterables",
  async (redis, t) => {
    const queue = queueName();
    await using _worker = await localWorker(redis, queue, { threads: 2 });
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    const inputs = Array.from({ length: 2_500 }, (_, i) => i);
    await t.step("ordered with chunkSize", async () => {
      const out = await Array.fromAsync(pool.map("inc", inputs, { chunkSize: 1_000 }));
      assertEquals(out, inputs.map((i) => i + 1));
    });
    await t.step("unordered", async () => {
      const out = await Array.fromAsync(
        pool.map("inc", inputs.slice(0, 50), { ordered: false, chunkSize: 7 }),
      );
      assertEquals(out.toSorted((a, b) => a - b), inputs.slice(1, 51));
    });
    await t.step("an async iterable", async () => {
      async function* source() {
        for (let i = 0; i < 5; i++) yield i;
      }
      assertEquals(await Array.fromAsync(pool.map("inc", source())), [1, 2, 3, 4, 5]);
    });
    await t.step("the first failure is thrown at its turn", async () => {
      const it = pool.map("fail", ["a", "b"]);
      await assertRejects(() => it.next(), Error, "a");
    });
  },
);

redisTest("ClusterPool tasks fail alone with ProcessPool's error shapes", async (redis, t) => {
  const queue = queueName();
  await using worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const ok = pool.submit("add", [2, 2]);
  await t.step("a thrown error keeps name, message, cause and own properties", async () => {
    const error = await assertRejects(() => pool.submit("fail", ["boom"]));
    assertInstanceOf(error, Error);
    assertEquals(error.name, "CodedError");
    assertEquals(error.message, "boom");
    assertEquals((error as Error & { code: string }).code, "E_TASK");
    assertInstanceOf(error.cause, RangeError);
    assert(error.stack?.includes("fail"));
  });
  await t.step("a thrown non-error value arrives as is", async () => {
    assertEquals(await pool.submit("throwValue", [{ x: 1 }]).catch((v) => v), { x: 1 });
  });
  await t.step("a timeout is a TimeoutError", async () => {
    const error = await assertRejects(() => pool.submit("waitAborted", [5_000], { timeout: 50 }));
    assertInstanceOf(error, DOMException);
    assertEquals(error.name, "TimeoutError");
  });
  await t.step("a result that cannot be serialized is a DataCloneError", async () => {
    const error = await assertRejects(() => pool.submit("unserializable", []));
    assertInstanceOf(error, DOMException);
    assertEquals(error.name, "DataCloneError");
  });
  await t.step("an unknown task name names the worker's host and module", async () => {
    const error = await assertRejects(
      () => pool.submit("nope" as "add", [1, 2]),
      TypeError,
      "has no exported function 'nope'",
    );
    assert(error.message.includes(worker.name.split(":")[0]), error.message);
    assert(error.message.includes("cluster_tasks.ts"), error.message);
  });
  assertEquals(await ok, 4);
  assertEquals(await pool.submit("add", [3, 4]), 7);
});

redisTest("ClusterPool.submit() retries a failing task with 'attempts'", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  assertEquals(await pool.submit("flaky", ["k", 2], { attempts: 3, backoff: 10 }), 3);
  await assertRejects(() => pool.submit("flaky", ["j", 2], { attempts: 2 }), Error, "attempt 2");
});

redisTest(
  "Task.onProgress() and Task.progress() receive a remote task's progress",
  async (redis) => {
    const queue = queueName();
    await using _worker = await localWorker(redis, queue);
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    const task = pool.submit("steps", [3]);
    const seen: unknown[] = [];
    task.onProgress((value) => seen.push(value));
    assertEquals(await task, 3);
    // Progress events travel ahead of the completion on the same stream.
    assertEquals(seen, [{ step: 1, of: 3 }, { step: 2, of: 3 }, { step: 3, of: 3 }]);
    // The same as an async iterable, which ends once the task settled.
    const next = pool.submit("steps", [2]);
    assertEquals(await Array.fromAsync(next.progress()), [{ step: 1, of: 2 }, { step: 2, of: 2 }]);
    assertEquals(await next, 2);
  },
);

redisTest("ClusterPool.shutdown() settles its tasks and closes every connection", async (redis) => {
  const queue = queueName();
  const pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const task = pool.submit("add", [1, 1]); // no worker: it can never run
  await pool.shutdown({ timeout: 100 });
  const error = await assertRejects(() => task);
  assertInstanceOf(error, DOMException);
  assertEquals(error.name, "AbortError");
  assertEquals(task.state, "cancelled");
  const late = pool.submit("add", [1, 1]);
  await assertRejects(() => late, TypeError, "shut down");
  assertEquals(pool.stats.workers, 0);
  // The sanitizers check that no socket or timer is left.
});

redisTest("ClusterPool.shutdown() never hangs when Redis is gone", async (redis) => {
  const queue = queueName();
  const pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  await pool.whenReady();
  const task = pool.submit("add", [1, 1]);
  await redis.kill();
  await pool.shutdown({ timeout: 100 });
  assertEquals(task.state, "cancelled");
});

Deno.test("ClusterPool refuses bad options with TypeError or RangeError before connecting", () => {
  const redis = "redis://127.0.0.1:1";
  const create = (options: Record<string, unknown>) => () =>
    new ClusterPool(TASKS, { redis, queue: "q", ...options } as never);
  assertThrows(create({ redis: "not a url" }), TypeError, "'redis' must be a redis://");
  assertThrows(create({ redis: "http://127.0.0.1:6379" }), TypeError, "received 'http:");
  assertThrows(create({ redis: 6379 }), TypeError, "'redis'");
  assertThrows(create({ queue: "" }), TypeError, "'queue' must be a non-empty name");
  assertThrows(create({ queue: "a:b" }), TypeError, "'queue'");
  assertThrows(create({ leaseMs: 0 }), RangeError, "'leaseMs' must be");
  assertThrows(create({ leaseMs: -5 }), RangeError, "'leaseMs'");
  assertThrows(create({ keepResultsMs: -1 }), RangeError, "'keepResultsMs'");
  assertThrows(create({ maxQueue: 0 }), RangeError, "'maxQueue'");
  assertThrows(
    () => new ClusterPool((() => 1) as never, { redis, queue: "q" }),
    TypeError,
    "must be deployed with the workers",
  );
});

redisTest(
  "ClusterPool.submit() refuses functions, sync/ objects and SharedArrayBuffers",
  async (redis) => {
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue: queueName() });
    assertThrows(
      () => pool.submit((() => 1) as never, [] as never),
      TypeError,
      "must be deployed with the workers",
    );
    assertThrows(
      () => pool.submit("echo", [{ lock: new Lock() }]),
      TypeError,
      "hold a Lock: a sync/ object or a SharedArrayBuffer cannot cross machines",
    );
    assertThrows(
      () => pool.submit("echo", [new Int32Array(new SharedArrayBuffer(8))]),
      TypeError,
      "SharedArrayBuffer",
    );
    assertThrows(() => pool.submit("add", [1, 2], { timeout: -1 }), RangeError, "'timeout'");
    assertThrows(() => pool.submit("add", [1, 2], { attempts: 0 }), RangeError, "'attempts'");
    assertEquals(pool.stats.queued, 0);
  },
);

redisTest("ClusterPool.task() re-attaches to a job submitted by another pool", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue);
  const first = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const done = first.submit("add", [20, 22]);
  const failed = first.submit("fail", ["kept"]);
  const ids = [first.jobId(done)!, first.jobId(failed)!];
  assertEquals(await done, 42);
  await assertRejects(() => failed);
  await first.shutdown();
  await using second = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  assertEquals(await second.task(ids[0]), 42);
  await assertRejects(() => second.task(ids[1]), Error, "kept");
  await assertRejects(() => second.task("no-such-job"), RangeError, "holds no job");
  const running = second.submit("delayed", ["later", 200]);
  assertEquals(second.task(second.jobId(running)!), running);
  assertEquals(await running, "later");
});

redisTest("ClusterWorker with 'processes' runs tasks in a ProcessPool", async (redis) => {
  const queue = queueName();
  await using worker = await localWorker(redis, queue, { processes: true });
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  assertEquals(await pool.submit("add", [2, 3]), 5);
  const error = await assertRejects(() => pool.submit("delayed", [1, 10_000], { timeout: 50 }));
  assertEquals((error as DOMException).name, "TimeoutError");
  assertEquals(worker.stats.failed, 1);
});

redisTest("ClusterPool.map() sends a partial chunk while an async source pauses", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const gate = Promise.withResolvers<void>();
  async function* source() {
    yield 1;
    yield 2;
    await gate.promise; // until the first results arrived
    yield 3;
  }
  const results = pool.map("inc", source(), { chunkSize: 100 });
  assertEquals((await results.next()).value, 2);
  assertEquals((await results.next()).value, 3);
  gate.resolve();
  assertEquals(await Array.fromAsync(results), [4]);
});

redisTest("ClusterPool.map() stops early: breaking out cancels its jobs", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue);
  await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
  const inputs = Array.from({ length: 100 }, (_, i) => i);
  for await (const value of pool.map("inc", inputs)) {
    assertEquals(value, 1);
    break;
  }
  const controller = new AbortController();
  const aborted = pool.map("inc", inputs, { signal: controller.signal });
  assertEquals((await aborted.next()).value, 1);
  controller.abort();
  await assertRejects(() => aborted.next(), DOMException);
  assertEquals(await pool.submit("add", [1, 1]), 2);
});

redisTest("ClusterPool takes an ioredis client and leaves it open", async (redis) => {
  const queue = queueName();
  await using _worker = await localWorker(redis, queue);
  await withClient(redis, async (client) => {
    const pool = new ClusterPool<Tasks>(TASKS, { redis: client, queue });
    assertEquals(await pool.submit("add", [5, 5]), 10);
    await pool.shutdown();
    assertEquals(await client.ping(), "PONG");
  });
});

redisTest("ClusterPool.submit() hands 'priority' and 'keepResultsMs' to BullMQ", async (redis) => {
  const queue = queueName();
  await using pool = new ClusterPool<Tasks>(TASKS, {
    redis: redis.url,
    queue,
    keepResultsMs: 5_000,
  });
  // No worker yet: both wait, and the higher priority (the lower number) runs first.
  const low = pool.submit("delayed", ["low", 0], { priority: 10 });
  const high = pool.submit("delayed", ["high", 0], { priority: 1 });
  await untilRedis(
    redis,
    async (c) => await c.zcard(`bull:${queue}:prioritized`) === 2,
    "both jobs to wait",
  );
  await using _worker = await localWorker(redis, queue, { concurrency: 1 });
  const order: unknown[] = [];
  for await (const value of asCompleted([low, high])) order.push(value);
  assertEquals(order, ["high", "low"]);
  const opts = await withClient(redis, (c) => c.hget(`bull:${queue}:${pool.jobId(low)}`, "opts"));
  assertEquals(JSON.parse(opts!).removeOnComplete, { age: 5 });
});

redisTest(
  "A task's timeout counts from its start on the worker, not its wait there",
  async (redis) => {
    const queue = queueName();
    // One thread, two jobs held: the second waits in the worker's local pool.
    await using _worker = await localWorker(redis, queue, { threads: 1, concurrency: 2 });
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    const first = pool.submit("delayed", ["first", 400]);
    const second = pool.submit("inc", [1], { timeout: 150 });
    assertEquals(await first, "first");
    assertEquals(await second, 2);
  },
);

redisTest(
  "A worker holds as many jobs as threads by default: the next job goes to an idle worker",
  async (redis) => {
    const queue = queueName();
    await using pool = new ClusterPool<Tasks>(TASKS, { redis: redis.url, queue });
    await using busy = await localWorker(redis, queue, { threads: 1, name: "busy" });
    const key = `go-${queue}`;
    // Runs until the key is set (10 s at most): `busy`'s one thread is taken.
    const blocker = pool.submit("pidWhenKeySet", [redis.port, key, 10_000]);
    await untilRedis(redis, async (c) => await c.llen(`bull:${queue}:active`) === 1, "the blocker");
    const next = pool.submit("inc", [1]);
    await using idle = await localWorker(redis, queue, { threads: 1, name: "idle" });
    // With two jobs held per thread, `busy` took it behind the blocker and `idle` never ran it.
    assertEquals(await next, 2);
    assertEquals(idle.stats.done, 1);
    assertEquals(busy.stats.done, 0);
    await withClient(redis, (c) => c.set(key, "1"));
    await blocker;
    assertEquals(busy.stats.done, 1);
  },
);
