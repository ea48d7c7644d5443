import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { asCompleted, type PoolOptions, type Task, WorkerPool } from "../../pool/mod.ts";
import { SharedValue } from "../../sync/mod.ts";
import { faultTests, TASKS, type Tasks } from "./_faults.ts";
import { gatedInputs, runs, until, within, withTempDir } from "./_helpers.ts";

function tasksPool(options: PoolOptions = {}): WorkerPool<Tasks> {
  return new WorkerPool<Tasks>(TASKS, { size: 2, ...options });
}

async function closed(pool: WorkerPool<Tasks> | WorkerPool): Promise<void> {
  await within(pool.shutdown({ timeout: 10_000 }), 30_000, "shutdown");
  assertEquals(pool.stats.workers, 0, "every worker was terminated");
}

faultTests({
  name: "WorkerPool",
  make: (options) => tasksPool(options),
  makeFn: (options) => new WorkerPool({ size: 1, ...options }) as unknown as WorkerPool<Tasks>,
  makeModule: (module, options) => new WorkerPool<Tasks>(module, { size: 1, ...options }),
  stuck: "spin",
});

Deno.test("WorkerPool.submit() runs a module export and returns its result", async () => {
  const pool = tasksPool();
  try {
    assertEquals(await pool.submit("add", [2, 3]), 5);
    assertEquals(await pool.submit("delayed", ["x", 1]), "x");
    const task = pool.submit("taskId", []);
    assertEquals(await task, task.id);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.submit() runs a self-contained function", async () => {
  const pool = new WorkerPool({ size: 2 });
  try {
    assertEquals(await pool.submit((a: number, b: number) => a * b, [6, 7]), 42);
    assertEquals(
      await pool.submit(async (s: string) => await Promise.resolve(s + "!"), ["hi"]),
      "hi!",
    );
    const named = function named(x: number): number {
      return x - 1;
    };
    assertEquals(await pool.submit(named, [1]), 0);
    const methods = {
      triple(x: number): number {
        return 3 * x;
      },
    };
    assertEquals(await pool.submit(methods.triple, [3]), 9);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.submit() resolves many tiny tasks", async () => {
  const pool = tasksPool();
  const tasks: Task<number>[] = [];
  for (let i = 0; i < 20_000; i++) tasks.push(pool.submit("inc", [i]));
  const results = await Promise.all(tasks);
  assertEquals(results[0], 1);
  assertEquals(results[19_999], 20_000);
  assertEquals(pool.stats.completed, 20_000);
  await closed(pool);
});

Deno.test("WorkerPool.submit() spreads long tasks over all workers after a burst", async () => {
  const pool = tasksPool();
  try {
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => pool.submit("inc", [i])));
    const names = await Promise.all(
      Array.from({ length: 4 }, () =>
        pool.submit(async () => {
          const end = Date.now() + 100;
          while (Date.now() < end) await Promise.resolve();
          return (self as unknown as { name: string }).name;
        }, [])),
    );
    assertEquals(new Set(names).size, 2);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.submit() transfers buffers and shares SharedArrayBuffers", async () => {
  const pool = tasksPool();
  try {
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const echoed = await pool.submit("echo", [buffer], { transfer: [buffer] });
    assertEquals(buffer.byteLength, 0);
    assertEquals([...new Uint8Array(echoed as ArrayBuffer)], [1, 2, 3]);
    const shared = new SharedArrayBuffer(4);
    await Promise.all([
      pool.submit("sharedAdd", [shared, 2]),
      pool.submit("sharedAdd", [shared, 3]),
    ]);
    assertEquals(new Int32Array(shared)[0], 5);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.submit() reports task states", async () => {
  const pool = tasksPool({ size: 1 });
  try {
    const first = pool.submit("delayed", ["a", 100]);
    const second = pool.submit("add", [1, 2]);
    assertEquals(first.state, "queued");
    await until(() => first.state === "running", 20_000, "the first task to run");
    assertEquals(second.state, "queued");
    await first;
    assertEquals(first.state, "fulfilled");
    assertEquals(await second, 3);
    const failed = pool.submit("fail", ["x"]);
    await assertRejects(() => Promise.resolve(failed));
    assertEquals(failed.state, "rejected");
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.map() yields results in order, lazily, in chunks", async () => {
  const pool = tasksPool();
  try {
    const inputs = Array.from({ length: 1000 }, (_, i) => i);
    assertEquals(
      await Array.fromAsync(pool.map("inc", inputs, { chunkSize: 7 })),
      inputs.map((i) => i + 1),
    );
    let pulled = 0;
    const endless = function* (): Generator<number> {
      for (let i = 0;; i++) {
        pulled++;
        yield i;
      }
    };
    const firsts: number[] = [];
    for await (const value of pool.map("inc", endless(), { chunkSize: 10 })) {
      firsts.push(value);
      if (firsts.length === 25) break;
    }
    assertEquals(firsts, Array.from({ length: 25 }, (_, i) => i + 1));
    assert(pulled < 10_000, `consumed lazily (pulled ${pulled})`);
    const slowly = async function* (): AsyncGenerator<number> {
      for (let i = 0; i < 20; i++) {
        await Promise.resolve();
        yield i;
      }
    };
    const unordered = await Array.fromAsync(pool.map("inc", slowly(), { ordered: false }));
    assertEquals(unordered.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    await assertRejects(
      () => Array.fromAsync(pool.map("fail", ["m1", "m2"])),
      Error,
      "m1",
    );
    const controller = new AbortController();
    const iterator = pool.map("delayed", ["a", "b", "c"].map(() => "v") as never, {
      signal: controller.signal,
    });
    controller.abort();
    await assertRejects(() => iterator.next(), DOMException);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool maxQueue rejects beyond the limit and whenReady() waits", async () => {
  const pool = tasksPool({ size: 1, maxQueue: 2 });
  try {
    const tasks = [0, 1, 2].map((i) => pool.submit("delayed", [String(i), 30]));
    const over = pool.submit("add", [1, 2]);
    const error = await assertRejects(() => Promise.resolve(over), RangeError);
    assertEquals(error.message, "Cannot submit task 'add' as the queue is full: 'maxQueue' is 2");
    await pool.whenReady();
    assertEquals(await pool.submit("add", [1, 2]), 3);
    await Promise.all(tasks);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool initializer runs once per worker with initArgs", async () => {
  const shared = new SharedArrayBuffer(4);
  const pool = tasksPool({ size: 2, initializer: "init", initArgs: ["config", 42, shared] });
  try {
    const seen = await Promise.all([pool.submit("getInit", []), pool.submit("getInit", [])]);
    for (const args of seen) {
      assertEquals(args?.slice(0, 2), ["config", 42]);
      assertInstanceOf(args?.[2], SharedArrayBuffer);
    }
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool maxTasksPerWorker recycles workers", async () => {
  const pool = tasksPool({ size: 1, maxTasksPerWorker: 3 });
  try {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => pool.submit("add", [i, 0])),
    );
    assertEquals(results, Array.from({ length: 10 }, (_, i) => i));
    await until(() => pool.stats.started >= 4, 20_000, "recycled workers");
    assertEquals(pool.stats.started, 4);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool idleTimeout ends idle workers and starts them again on demand", async () => {
  const pool = tasksPool({ size: 2, idleTimeout: 20 });
  try {
    assertEquals(await pool.submit("add", [1, 2]), 3);
    await until(() => pool.stats.workers === 0, 20_000, "idle workers to end");
    assertEquals(await pool.submit("add", [2, 2]), 4);
    assertEquals(pool.stats.started, 2);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.submit() lets a task see its cooperative signal", async () => {
  const pool = tasksPool({ size: 1, cancelGrace: 10_000 });
  try {
    const task = pool.submit("spin", [60_000]);
    await until(() => task.state === "running", 20_000, "the task to run");
    task.cancel();
    // The worker noticed the signal and is kept: the next task runs on it.
    assertEquals(await within(pool.submit("add", [1, 1]), 20_000, "the next task"), 2);
    assertEquals(pool.stats.started, 1);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.cancel() replaces the worker of a task that does not return within cancelGrace", async () => {
  const pool = tasksPool({ size: 1, cancelGrace: 200 });
  try {
    // `delayed` ignores the signal; it waits on a timer, so ending its worker stops it.
    const task = pool.submit("delayed", ["late", 60_000]);
    const next = pool.submit("add", [1, 2]);
    await until(() => task.state === "running", 20_000, "the task to run");
    assertEquals([pool.stats.busy, pool.stats.queued], [1, 1]);
    task.cancel();
    // The worker still waits in `delayed`: `stats` counts only `add` as queued.
    assertEquals([pool.stats.busy, pool.stats.queued], [1, 1]);
    assertEquals(await within(next, 20_000, "the task queued behind it"), 3);
    assertEquals(pool.stats.queued, 0);
    assertEquals([pool.stats.started, pool.stats.terminated], [2, 1]);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.cancel() of a stuck task: its thread runs none of the tasks queued behind it", async () => {
  await withTempDir(async (dir) => {
    const stuckLog = `${dir}/stuck.txt`;
    const nextLog = `${dir}/next.txt`;
    const pool = tasksPool({ size: 1, cancelGrace: 50 });
    try {
      assertEquals(await pool.submit("add", [0, 0]), 0);
      // One message of the same function: `stuck` ignores its signal, so its thread
      // outlives `terminate()` and returns from it after 800 ms.
      const stuck = pool.submit("markAnd", [stuckLog, "spin", 800]);
      const next = pool.submit("markAnd", [nextLog, "return", 0]);
      await until(() => runs(stuckLog) > 0, 20_000, "the stuck task to start");
      stuck.cancel();
      assertEquals(await within(next, 20_000, "the task queued behind it"), "returned");
      // Long enough for the old thread to leave `stuck` and go on, were it allowed to.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assertEquals([runs(stuckLog), runs(nextLog)], [1, 1], "each task ran once");
    } finally {
      await closed(pool);
    }
  });
});

Deno.test("WorkerPool.map() yields results while an async source is slow to produce more", async () => {
  const pool = tasksPool();
  try {
    // The source yields its second input only once the first result arrived.
    const { inputs, open } = gatedInputs();
    const results: number[] = [];
    for await (const value of pool.map("inc", inputs)) {
      results.push(value);
      open();
    }
    assertEquals(results, [2, 3]);
  } finally {
    await closed(pool);
  }
});

Deno.test("asCompleted() yields WorkerPool tasks as they complete", async () => {
  const pool = tasksPool();
  try {
    const slow = pool.submit("delayed", ["slow", 300]);
    const fast = pool.submit("delayed", ["fast", 1]);
    const order: string[] = [];
    for await (const value of asCompleted([slow, fast])) order.push(value);
    assertEquals(order, ["fast", "slow"]);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool passes sync/ objects as working objects both ways", async () => {
  const pool = tasksPool({ initializer: "init" });
  try {
    const counter = new SharedValue("int32", 0);
    const arrived = await Promise.all([
      pool.submit("bumpShared", [counter, 500]),
      pool.submit("bumpShared", [counter, 500]),
    ]);
    assertEquals(arrived, [true, true]);
    assertEquals(counter.value, 1000);
    const made = await pool.submit("makeShared", [7]);
    assertInstanceOf(made, SharedValue);
    assertEquals(made.value, 7);
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool revives sync/ primitives nested deep in a new worker's first task", async () => {
  // A worker loads sync/ only for arguments that hold a primitive: this one holds two,
  // inside a record, a Map and arrays.
  const pool = tasksPool({ size: 1 });
  try {
    const a = new SharedValue("int32", 0);
    const b = new SharedValue("int32", 10);
    const counters = new Map([["empty", []], ["two", [a, b]]]);
    assertEquals(await pool.submit("bumpNested", [{ counters }]), 2);
    assertEquals([a.value, b.value], [1, 11]);
    assertEquals(await pool.submit("echo", [{ plain: [1, { two: 2 }] }]), {
      plain: [1, { two: 2 }],
    });
  } finally {
    await closed(pool);
  }
});

Deno.test("WorkerPool.map() stays within maxQueue", async () => {
  const pool = tasksPool({ size: 2, maxQueue: 3 });
  try {
    const inputs = Array.from({ length: 200 }, (_, i) => i);
    assertEquals(await Array.fromAsync(pool.map("inc", inputs)), inputs.map((i) => i + 1));
  } finally {
    await closed(pool);
  }
});
