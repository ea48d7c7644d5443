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
import { rejection } from "../_util.ts";

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

/** A handle whose progress and outcome the test drives, counting its listeners. */
function fakeHandle(): {
  handle: TaskHandle<number>;
  report(value: unknown): void;
  settle(ok: boolean): void;
  listeners(): number;
} {
  const listeners = new Set<(value: unknown) => void>();
  let state: "running" | "fulfilled" | "rejected" = "running";
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  promise.catch(() => {});
  return {
    handle: {
      get state() {
        return state;
      },
      promise: () => promise,
      cancel: () => false,
      onProgress(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    report: (value) => {
      for (const listener of [...listeners]) listener(value);
    },
    settle(ok) {
      state = ok ? "fulfilled" : "rejected";
      if (ok) resolve(1);
      else reject(new Error("boom"));
    },
    listeners: () => listeners.size,
  };
}

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

for (const kind of ["WorkerPool", "ProcessPool", "AsyncPool"] as const) {
  Deno.test(`Task.progress() yields the ${kind} task's reports in order, also those sent before the first next()`, async () => {
    await using pool = kind === "WorkerPool"
      ? new WorkerPool<Tasks>(TASKS, { size: 1 })
      : kind === "ProcessPool"
      ? new ProcessPool<Tasks>(TASKS, { size: 1 })
      : new AsyncPool({ concurrency: 1 });
    const report = async (n: number) => {
      for (let i = 1; i <= n; i++) {
        getTaskContext()?.progress({ step: i, of: n });
        if (i === 1) await Promise.resolve();
      }
      return n;
    };
    const task = pool instanceof AsyncPool ? pool.submit(report, [3]) : pool.submit("report", [3]);
    const steps = task.progress();
    // Nothing is read until the task is done: the iterator kept every value.
    assertEquals(await task, 3);
    assertEquals(await collect(steps), [
      { step: 1, of: 3 },
      { step: 2, of: 3 },
      { step: 3, of: 3 },
    ]);
  });
}

Deno.test("Task.progress() ends normally when the task fails or is cancelled: the task holds the outcome", async () => {
  await using pool = new WorkerPool({ size: 1 });
  const failing = pool.submit(() => {
    getTaskContext()?.progress("half");
    throw new RangeError("no more");
  }, []);
  assertEquals(await collect(failing.progress()), ["half"]);
  assertEquals((await rejection(failing)).name, "RangeError");

  await using inThread = new AsyncPool({ concurrency: 1 });
  const exited = Promise.withResolvers<void>();
  const cancelled = inThread.submit(async () => {
    const context = getTaskContext()!;
    context.progress("up");
    while (!context.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1));
    exited.resolve();
    return 1;
  }, []);
  const steps = cancelled.progress();
  assertEquals(await steps.next(), { value: "up", done: false });
  cancelled.cancel();
  assertEquals(await steps.next(), { value: undefined, done: true });
  assertEquals(cancelled.state, "cancelled");
  // The function goes on until it sees its signal (its timer must end in this test).
  await exited.promise;

  const fake = fakeHandle();
  const task = new Task(7, fake.handle);
  const iterator = task.progress();
  const pending = iterator.next();
  fake.report("a");
  assertEquals(await pending, { value: "a", done: false });
  fake.report("b");
  fake.settle(false);
  assertEquals(await collect(iterator), ["b"]);
  assertEquals(fake.listeners(), 0);
  // A settled task: nothing, at once.
  assertEquals(await collect(task.progress()), []);
  assertEquals(fake.listeners(), 0);
});

Deno.test("Task.progress() stops listening when the loop breaks early", async () => {
  const fake = fakeHandle();
  const task = new Task(1, fake.handle);
  const iterator = task.progress();
  fake.report(1);
  fake.report(2);
  assertEquals(fake.listeners(), 1);
  for await (const value of iterator) {
    assertEquals(value, 1);
    break;
  }
  assertEquals(fake.listeners(), 0);
  fake.report(3);
  assertEquals(await iterator.next(), { value: undefined, done: true });
  fake.settle(true);
});

Deno.test("Task.progress({ signal }) rejects the pending next() with the reason and stops listening", async () => {
  const fake = fakeHandle();
  const task = new Task(1, fake.handle);
  const controller = new AbortController();
  const iterator = task.progress({ signal: controller.signal });
  fake.report("x");
  assertEquals(await iterator.next(), { value: "x", done: false });
  const pending = iterator.next();
  controller.abort(new DOMException("enough", "AbortError"));
  assertEquals((await rejection(pending)).message, "enough");
  assertEquals(fake.listeners(), 0);
  assertEquals(await iterator.next(), { value: undefined, done: true });

  const aborted = task.progress({ signal: AbortSignal.abort() });
  assertEquals((await rejection(aborted.next())).name, "AbortError");
  assertEquals(fake.listeners(), 0);
  assertThrows(
    () => task.progress({ signal: {} as AbortSignal }),
    TypeError,
    "'signal' must be an AbortSignal",
  );
  fake.settle(true);
});
