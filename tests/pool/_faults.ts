// The "Errors and faults" tests, run against both WorkerPool and ProcessPool.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { BrokenPoolError, type PoolOptions, type Task } from "../../pool/mod.ts";
import type { ProcessPool, WorkerPool } from "../../pool/mod.ts";
import { seededRandom, until, within } from "./_helpers.ts";
import { rejection } from "../_util.ts";

export const TASKS: URL = new URL("../testdata/pool_tasks.ts", import.meta.url);
export type Tasks = typeof import("../testdata/pool_tasks.ts");
export type AnyPool = WorkerPool<Tasks> | ProcessPool<Tasks>;

/** How a test suite makes pools of one kind. */
export interface PoolKind {
  name: "WorkerPool" | "ProcessPool";
  make(options?: PoolOptions): AnyPool;
  makeFn(options?: PoolOptions): AnyPool;
  makeModule(module: string | URL, options?: PoolOptions): AnyPool;
  /** A task that loops until stopped: cooperative for threads, forever for processes. */
  stuck: "spin" | "spinForever";
}

async function closed(pool: AnyPool): Promise<void> {
  await within(pool.shutdown({ timeout: 10_000 }), 30_000, "shutdown");
  assertEquals(pool.stats.workers, 0, "every worker was terminated");
}

function stuckArgs(kind: PoolKind): [number] | [] {
  return kind.stuck === "spin" ? [60_000] : [];
}

export function faultTests(kind: PoolKind): void {
  const N = kind.name;

  Deno.test(`${N}.submit() rejects with the task's message, name, stack, cause and own props`, async () => {
    const pool = kind.make();
    try {
      const error = await rejection(pool.submit("fail", ["bad input"]));
      assertInstanceOf(error, Error);
      assertEquals(error.name, "CodedError");
      assertEquals(error.message, "bad input");
      assertEquals((error as Error & { code: string }).code, "E_TASK");
      assertInstanceOf(error.cause, RangeError);
      assertEquals((error.cause as Error).message, "inner cause");
      assertMatch(error.stack ?? "", /at fail/);
      assertEquals(await rejection(pool.submit("throwValue", [{ code: 7 }])) as unknown, {
        code: 7,
      });
      assertEquals(await rejection(pool.submit("throwValue", ["plain"])) as unknown, "plain");
      assertEquals(await pool.submit("add", [1, 1]), 2);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() fails only the task whose worker dies of an uncaught error`, async () => {
    const pool = kind.make({ size: 1 });
    try {
      const before = pool.submit("delayed", ["before", 1]);
      const crash = pool.submit("crash", []);
      const after = Array.from({ length: 20 }, (_, i) => pool.submit("add", [i, 1]));
      assertEquals(await before, "before");
      const error = await rejection(crash);
      assertInstanceOf(error, Error);
      assertMatch(error.message, /died/);
      assertEquals(await Promise.all(after), Array.from({ length: 20 }, (_, i) => i + 1));
      assertEquals(pool.stats.started, 2);
      assertEquals(pool.stats.failed, 1);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() fails only the task whose worker closes itself`, async () => {
    const pool = kind.make({ size: 1 });
    try {
      const close = pool.submit("closeSelf", []);
      const next = pool.submit("add", [2, 2]);
      const error = await rejection(close);
      assertInstanceOf(error, Error);
      assertMatch(error.message, /closeSelf.*died/);
      assertEquals(await next, 4);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() rejects a loop past its timeout with a TimeoutError and replaces the worker`, async () => {
    const pool = kind.make({ size: 1, cancelGrace: 50 });
    try {
      const stuck = pool.submit(kind.stuck, stuckArgs(kind) as [], { timeout: 100 });
      const next = pool.submit("add", [3, 4]);
      const error = await within(rejection(stuck), 20_000, "the timed-out task");
      assertInstanceOf(error, DOMException);
      assertEquals(error.name, "TimeoutError");
      assertEquals(stuck.state, "rejected");
      assertEquals(await within(next, 20_000, "the next task"), 7);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() times a task from its start, not while it waits or is reported`, async () => {
    const pool = kind.make({ size: 1 });
    try {
      assertEquals(await pool.submit("add", [0, 0]), 0);
      // `quick` ends at once but its outcome used to wait for the next task of the
      // same function; `queued` waits behind `long` longer than its own timeout.
      const quick = pool.submit("spinDeaf", [0], { timeout: 1_500 });
      const long = pool.submit("spinDeaf", [2_500]);
      const queued = pool.submit("add", [1, 2], { timeout: 1_500 });
      assertEquals(await within(quick, 20_000, "the quick task"), "finished");
      assertEquals(await within(long, 20_000, "the long task"), "finished");
      assertEquals(await within(queued, 20_000, "the queued task"), 3);
      assertEquals(pool.stats.started, 1);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() applies the pool's taskTimeout`, async () => {
    const pool = kind.make({ size: 1, taskTimeout: 100, cancelGrace: 50 });
    try {
      const error = await within(
        rejection(pool.submit(kind.stuck, stuckArgs(kind) as [])),
        20_000,
        "the timed-out task",
      );
      assertInstanceOf(error, DOMException);
      assertEquals(error.name, "TimeoutError");
      assertEquals(await pool.submit("add", [1, 2]), 3);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() rejects an argument that cannot be cloned, naming it`, async () => {
    const pool = kind.make();
    try {
      const error = await rejection(pool.submit("add", [1, (() => 2) as unknown as number]));
      assertInstanceOf(error, DOMException);
      assertEquals(error.name, "DataCloneError");
      assertStringIncludes(error.message, "argument 1");
      assertStringIncludes(error.message, "'add'");
      // Tasks in the same batch are not affected.
      const batch = [
        pool.submit("add", [1, 1]),
        pool.submit("echo", [{ f: Symbol("x") }]),
        pool.submit("add", [2, 2]),
      ];
      assertEquals(await batch[0], 2);
      const second = await rejection(batch[1]);
      assertEquals((second as Error).name, "DataCloneError");
      assertStringIncludes((second as Error).message, "argument 0");
      assertEquals(await batch[2], 4);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() rejects a result that cannot be cloned`, async () => {
    const pool = kind.make({ size: 1 });
    try {
      const error = await rejection(pool.submit("returnUncloneable", []));
      assertInstanceOf(error, Error);
      assertEquals(error.name, "DataCloneError");
      assertStringIncludes(error.message, "result");
      assertEquals(await pool.submit("add", [1, 2]), 3);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N} constructor throws a clear error for a module that does not exist`, () => {
    const missing = new URL("../testdata/pool_missing_module.ts", import.meta.url);
    assertThrows(() => kind.makeModule(missing), TypeError, "does not exist");
  });

  Deno.test(`${N}.submit() rejects an unknown export name with a clear error`, async () => {
    const pool = kind.make();
    try {
      const error = await rejection(pool.submit("nope" as "add", [1, 2]));
      assertInstanceOf(error, TypeError);
      assertStringIncludes(error.message, "has no exported function 'nope'");
      assertEquals(await pool.submit("add", [1, 2]), 3);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() rejects with BrokenPoolError when the module fails to load`, async () => {
    const broken = new URL("../testdata/pool_broken_module.ts", import.meta.url);
    const pool = kind.makeModule(broken, { size: 2 });
    try {
      const error = await within(rejection(pool.submit("add", [1, 2])), 20_000, "the task");
      assertInstanceOf(error, BrokenPoolError);
      assertStringIncludes(error.message, "pool_broken_module.ts");
      assertInstanceOf(await rejection(pool.submit("add", [1, 2])), BrokenPoolError);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() rejects with BrokenPoolError when the initializer throws`, async () => {
    const pool = kind.make({ initializer: "initFails" });
    try {
      const error = await rejection(pool.submit("add", [1, 2]));
      assertInstanceOf(error, BrokenPoolError);
      assertStringIncludes(error.message, "initializer failed");
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() explains a function that uses outer variables`, async () => {
    const pool = kind.makeFn();
    try {
      const outer = 41;
      const error = await rejection(pool.submit((x: number) => x + outer, [1]));
      assertInstanceOf(error, ReferenceError);
      assertStringIncludes(error.message, "'outer'");
      assertStringIncludes(error.message, "self-contained");
      assertThrows(() => pool.submit(Math.max, [1, 2]), TypeError, "native or bound");
      assertEquals(await pool.submit((x: number) => x + 41, [1]), 42);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N} rejects out-of-range options with RangeError`, async () => {
    assertThrows(
      () => kind.make({ size: 0 }),
      RangeError,
      "'size' must be a positive integer: received 0",
    );
    assertThrows(() => kind.make({ size: 1.5 }), RangeError, "'size'");
    assertThrows(() => kind.make({ taskTimeout: -1 }), RangeError, "'taskTimeout'");
    assertThrows(() => kind.make({ idleTimeout: -5 }), RangeError, "'idleTimeout'");
    assertThrows(() => kind.make({ maxTasksPerWorker: 0 }), RangeError, "'maxTasksPerWorker'");
    // `setTimeout` fires at once beyond 2³¹−1 ms, so such a timeout would expire at once.
    assertThrows(
      () => kind.make({ taskTimeout: 2 ** 31 }),
      RangeError,
      "'taskTimeout' must be a number of milliseconds from 0 to 2147483647 or Infinity: received 2147483648",
    );
    assertThrows(() => kind.make({ idleTimeout: 3e9 }), RangeError, "'idleTimeout'");
    assertThrows(() => kind.make({ shutdownTimeout: 3e9 }), RangeError, "'shutdownTimeout'");
    assertThrows(() => kind.make({ cancelGrace: Infinity }), RangeError, "'cancelGrace'");
    assertThrows(() => kind.make({ name: 7 as unknown as string }), TypeError, "'name'");
    const pool = kind.make();
    try {
      assertThrows(() => pool.submit("add", [1, 2], { timeout: -1 }), RangeError, "'timeout'");
      assertThrows(() => pool.submit("add", [1, 2], { timeout: 3e9 }), RangeError, "'timeout'");
      assertThrows(() => pool.map("inc", [1], { chunkSize: 0 }), RangeError, "'chunkSize'");
      await assertRejects(() => pool.shutdown({ timeout: -1 }), RangeError, "'timeout'");
      await assertRejects(() => pool.shutdown({ timeout: 2 ** 31 }), RangeError, "'timeout'");
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.cancel() removes a queued task and rejects a running one at once`, async () => {
    const pool = kind.make({ size: 1, cancelGrace: 50 });
    try {
      const running = pool.submit(kind.stuck, stuckArgs(kind) as []);
      const queued = pool.submit("add", [1, 2]);
      const other = pool.submit("add", [5, 5]);
      assertEquals(queued.state, "queued");
      assert(queued.cancel());
      assertEquals(queued.state, "cancelled");
      assertEquals((await rejection(queued) as Error).name, "AbortError");
      // Let the stuck task start.
      await until(() => running.state === "running", 20_000, "the stuck task to run");
      assert(running.cancel(new Error("stop now")));
      assertEquals(running.state, "cancelled");
      assertEquals((await rejection(running) as Error).message, "stop now");
      assertEquals(running.cancel(), false);
      assertEquals(await within(other, 20_000, "the next task"), 10);
      assertEquals(pool.stats.cancelled, 2);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.submit() cancels through an AbortSignal`, async () => {
    const pool = kind.make({ size: 1, cancelGrace: 50 });
    try {
      const controller = new AbortController();
      const task = pool.submit(kind.stuck, stuckArgs(kind) as [], { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort();
      assertEquals((await rejection(task) as Error).name, "AbortError");
      const aborted = pool.submit("add", [1, 2], { signal: AbortSignal.abort() });
      assertEquals(aborted.state, "cancelled");
      assertEquals(await pool.submit("add", [1, 2]), 3);
    } finally {
      await closed(pool);
    }
  });

  Deno.test(`${N}.shutdown() with pending tasks neither hangs nor leaks workers`, async (t) => {
    await t.step("wait: false cancels everything at once", async () => {
      const pool = kind.make({ size: 2 });
      const tasks = Array.from({ length: 200 }, (_, i) => pool.submit("delayed", [String(i), 5]));
      await within(pool.shutdown({ wait: false }), 20_000, "shutdown");
      assertEquals(pool.stats.workers, 0);
      const outcomes = await Promise.allSettled(tasks);
      assert(outcomes.every((o) => o.status === "rejected"));
      assertEquals(pool.stats.cancelled, 200);
    });
    await t.step("cancelPending keeps running tasks and drops queued ones", async () => {
      const pool = kind.make({ size: 1 });
      const tasks = Array.from({ length: 50 }, (_, i) => pool.submit("delayed", [String(i), 2]));
      await within(pool.shutdown({ cancelPending: true }), 20_000, "shutdown");
      assertEquals(pool.stats.workers, 0);
      const outcomes = await Promise.allSettled(tasks);
      assertEquals(outcomes.length, 50);
      assertEquals(pool.stats.completed + pool.stats.cancelled, 50);
    });
    await t.step("a stuck task is stopped when the shutdown timeout passes", async () => {
      const pool = kind.make({ size: 1 });
      const stuck = pool.submit(kind.stuck, stuckArgs(kind) as []);
      const queued = pool.submit("add", [1, 2]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await within(pool.shutdown({ timeout: 200 }), 20_000, "shutdown");
      assertEquals(pool.stats.workers, 0);
      assertEquals((await rejection(stuck) as Error).name, "TimeoutError");
      assertEquals((await rejection(queued) as Error).name, "TimeoutError");
    });
    await t.step("await using shuts down on scope exit", async () => {
      let escaped: AnyPool;
      {
        await using pool = kind.make({ size: 2, shutdownTimeout: 5_000 });
        escaped = pool;
        assertEquals(await pool.submit("add", [1, 2]), 3);
      }
      assertEquals(escaped.stats.workers, 0);
      assertInstanceOf(await rejection(escaped.submit("add", [1, 2])), TypeError);
    });
  });

  Deno.test(`${N}: 10,000 tasks with random faults each settle exactly once`, async () => {
    const random = seededRandom(8);
    const pool = kind.make({ size: 2, cancelGrace: 50 });
    const total = 10_000;
    const settled = new Uint8Array(total);
    const expected: string[] = [];
    const outcomes: string[] = new Array(total);
    const tasks: Promise<void>[] = [];
    const crashEvery = kind.name === "ProcessPool" ? 0.001 : 0.002;
    try {
      for (let i = 0; i < total; i++) {
        const r = random();
        let task: Task<unknown>;
        let expect: string;
        if (r < crashEvery) {
          task = pool.submit("crash", []);
          expect = "died";
        } else if (r < 0.01) {
          task = pool.submit("fail", [`f${i}`]);
          expect = "CodedError";
        } else if (r < 0.02) {
          task = pool.submit("throwValue", [i]);
          expect = "thrown";
        } else if (r < 0.03) {
          task = pool.submit("add", [i, (() => 0) as unknown as number]);
          expect = "DataCloneError";
        } else if (r < 0.04) {
          task = pool.submit("add", [i, 1]);
          task.cancel();
          expect = "AbortError";
        } else if (r < 0.0415) {
          task = pool.submit(kind.stuck, stuckArgs(kind) as [], { timeout: 50 });
          expect = "TimeoutError";
        } else if (r < 0.05) {
          task = pool.submit("delayed", [`d${i}`, 0]);
          expect = `d${i}`;
        } else {
          task = pool.submit("add", [i, 1]);
          expect = String(i + 1);
        }
        expected.push(expect);
        tasks.push(task.then(
          (value) => {
            settled[i]++;
            outcomes[i] = String(value);
          },
          (error) => {
            settled[i]++;
            outcomes[i] = error instanceof Error
              ? (/died/.test(error.message) ? "died" : error.name)
              : "thrown";
          },
        ));
      }
      await within(Promise.all(tasks), 100_000, "10,000 tasks");
      // Nothing settles twice, even later.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert(settled.every((n) => n === 1), "every task settled exactly once");
      assertEquals(outcomes, expected);
      const stats = pool.stats;
      assertEquals(stats.completed + stats.failed + stats.cancelled, total);
      assertEquals(stats.queued, 0);
    } finally {
      await closed(pool);
    }
  });
}
