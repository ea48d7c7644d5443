import { assert, assertEquals } from "@std/assert";
import { SharedValue } from "../../sync/mod.ts";
import { WorkerPool } from "../../pool/worker_pool.ts";
import type * as Tasks from "../testdata/sync_pool_tasks.ts";

const TASKS = new URL("../testdata/sync_pool_tasks.ts", import.meta.url);

Deno.test("SharedValue handed to a pool initializer counts 8 locked increments", async () => {
  const counter = new SharedValue("int32", 0);
  const pool = new WorkerPool<typeof Tasks>(TASKS, {
    size: 4,
    initializer: "init",
    initArgs: [counter],
  });
  try {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => pool.submit("increment", [])),
    );
    assertEquals(counter.value, 8);
    assertEquals(results.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
  assertEquals(pool.stats.terminated, pool.stats.started);
});

Deno.test("SharedValue crosses a pool as a task argument and result", async () => {
  const counter = new SharedValue("int32", 0);
  const pool = new WorkerPool<typeof Tasks>(TASKS, { size: 2 });
  try {
    const back = await pool.submit("bump", [counter]);
    assert(back instanceof SharedValue);
    back.add(1);
    assertEquals(counter.value, 2);
  } finally {
    await pool.shutdown();
  }
  assertEquals(pool.stats.workers, 0);
});
