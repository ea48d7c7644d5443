import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  AsyncPool,
  getTaskContext,
  ProcessPool,
  Task,
  type TaskHandle,
  WorkerPool,
} from "../../pool/mod.ts";
import { TASKS, type Tasks } from "./_faults.ts";

Deno.test("Task.onProgress() sees a WorkerPool task's reports in order, from a module or inline", async () => {
  await using pool = new WorkerPool<Tasks>(TASKS, { size: 1 });
  const fromModule = pool.submit("report", [3]);
  const seen: unknown[] = [];
  fromModule.onProgress((value) => seen.push(value));
  assertEquals(await fromModule, 3);
  assertEquals(seen, [{ step: 1, of: 3 }, { step: 2, of: 3 }, { step: 3, of: 3 }]);

  const inline = pool.submit((n: number) => {
    for (let i = 0; i < n; i++) getTaskContext()?.progress(i);
    return n;
  }, [3]);
  const values: unknown[] = [];
  inline.onProgress((value) => values.push(value));
  assertEquals(await inline, 3);
  assertEquals(values, [0, 1, 2]);
});

Deno.test("Task.onProgress() sees a ProcessPool task's reports", async () => {
  await using pool = new ProcessPool<Tasks>(TASKS, { size: 1 });
  const task = pool.submit("report", [2]);
  const seen: unknown[] = [];
  task.onProgress((value) => seen.push(value));
  assertEquals(await task, 2);
  assertEquals(seen, [{ step: 1, of: 2 }, { step: 2, of: 2 }]);
});

Deno.test("Task.onProgress() sees an AsyncPool task's reports, also after an await", async () => {
  await using pool = new AsyncPool({ concurrency: 2 });
  const slow = async (tag: string) => {
    const before = getTaskContext();
    before?.progress(`${tag} start`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Another task ran meanwhile: the context is still this task's.
    getTaskContext()?.progress(`${tag} end`);
    return getTaskContext()?.id === before?.id && getTaskContext()?.workerName === "async";
  };
  const a = pool.submit(slow, ["a"]);
  const b = pool.submit(slow, ["b"]);
  const seenA: unknown[] = [];
  const seenB: unknown[] = [];
  a.onProgress((value) => seenA.push(value));
  b.onProgress((value) => seenB.push(value));
  assertEquals(await Promise.all([a, b]), [true, true]);
  assertEquals(seenA, ["a start", "a end"]);
  assertEquals(seenB, ["b start", "b end"]);
  assertEquals(getTaskContext(), undefined);
});

Deno.test("Task.onProgress() returns a remover, and a no-op one for a handle without progress", async () => {
  await using pool = new WorkerPool<Tasks>(TASKS, { size: 1 });
  const task = pool.submit("report", [2]);
  const kept: unknown[] = [];
  const dropped: unknown[] = [];
  task.onProgress((value) => kept.push(value));
  const stop = task.onProgress((value) => dropped.push(value));
  stop();
  stop();
  await task;
  assertEquals(kept.length, 2);
  assertEquals(dropped, []);

  const handle: TaskHandle<number> = {
    state: "fulfilled",
    promise: () => Promise.resolve(1),
    cancel: () => false,
  };
  const plain = new Task(1, handle);
  const remove = plain.onProgress(() => {});
  assertEquals(typeof remove, "function");
  remove();
  assertThrows(
    () => task.onProgress(1 as unknown as () => void),
    TypeError,
    "'listener' must be a function",
  );
});

Deno.test("TaskContext.progress() throws a DataCloneError in the task for a value it cannot send", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const message = await pool.submit(() => {
    try {
      getTaskContext()?.progress(() => 1);
      return "sent";
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  }, []);
  assert(message.startsWith("DataCloneError: Cannot report the progress of task"), message);
});
