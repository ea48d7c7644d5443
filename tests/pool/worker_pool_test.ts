import { assert, assertEquals, assertInstanceOf, assertMatch, assertRejects } from "@std/assert";
import { asCompleted, type PoolOptions, type Task, WorkerPool } from "../../pool/mod.ts";

const TASKS = new URL("../testdata/pool_tasks.ts", import.meta.url);
type Tasks = typeof import("../testdata/pool_tasks.ts");

function tasksPool(options: PoolOptions = {}): WorkerPool<Tasks> {
  return new WorkerPool<Tasks>(TASKS, { size: 2, ...options });
}

Deno.test("WorkerPool.submit() runs a module export and returns its result", async () => {
  const pool = tasksPool();
  try {
    assertEquals(await pool.submit("add", [2, 3]), 5);
    assertEquals(await pool.submit("delayed", ["x", 1]), "x");
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});

Deno.test("WorkerPool.submit() runs a self-contained function", async () => {
  await using pool = new WorkerPool({ size: 2 });
  assertEquals(await pool.submit((a: number, b: number) => a * b, [6, 7]), 42);
  assertEquals(
    await pool.submit(async (s: string) => await Promise.resolve(s + "!"), ["hi"]),
    "hi!",
  );
  function named(x: number): number {
    return x - 1;
  }
  assertEquals(await pool.submit(named, [1]), 0);
});

Deno.test("WorkerPool.submit() resolves many tiny tasks in any order of awaiting", async () => {
  const pool = tasksPool();
  const tasks: Task<number>[] = [];
  for (let i = 0; i < 5000; i++) tasks.push(pool.submit("inc", [i]));
  const results = await Promise.all(tasks);
  assertEquals(results[0], 1);
  assertEquals(results[4999], 5000);
  await pool.shutdown();
  assertEquals(pool.stats.workers, 0);
  assertEquals(pool.stats.completed, 5000);
});

Deno.test("WorkerPool.shutdown() makes later submits reject", async () => {
  const pool = tasksPool();
  await pool.shutdown();
  await assertRejects(() => Promise.resolve(pool.submit("add", [1, 2])), TypeError, "shut down");
  assertEquals(pool.stats.workers, 0);
});

Deno.test("asCompleted() yields WorkerPool tasks as they complete", async () => {
  const pool = tasksPool();
  const slow = pool.submit("delayed", ["slow", 200]);
  const fast = pool.submit("delayed", ["fast", 1]);
  const order: string[] = [];
  for await (const value of asCompleted([slow, fast])) order.push(value);
  assertEquals(order, ["fast", "slow"]);
  await pool.shutdown();
  assertEquals(pool.stats.workers, 0);
});

Deno.test("WorkerPool.submit() rejects with the worker's error details", async () => {
  const pool = tasksPool();
  const error = await assertRejects(() => Promise.resolve(pool.submit("fail", ["bad"])));
  assertInstanceOf(error, Error);
  assertEquals(error.name, "CodedError");
  assertEquals(error.message, "bad");
  assertEquals((error as Error & { code: string }).code, "E_TASK");
  assertInstanceOf(error.cause, RangeError);
  assertMatch(error.stack ?? "", /fail/);
  await pool.shutdown();
  assert(pool.stats.workers === 0);
});
