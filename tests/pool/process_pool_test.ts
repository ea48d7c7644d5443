import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { encodeFrame, FrameDecoder, FrameError } from "../../pool/_frames.ts";
import { ProcessPool, type ProcessPoolOptions } from "../../pool/mod.ts";
import { faultTests, TASKS, type Tasks } from "./_faults.ts";
import { runs, until, within, withTempDir } from "./_helpers.ts";
import { rejection } from "../_util.ts";

function tasksPool(options: ProcessPoolOptions = {}): ProcessPool<Tasks> {
  return new ProcessPool<Tasks>(TASKS, { size: 2, ...options });
}

async function closed(pool: ProcessPool<Tasks>): Promise<void> {
  await within(pool.shutdown({ timeout: 10_000 }), 30_000, "shutdown");
  assertEquals(pool.stats.workers, 0, "every process exited");
}

faultTests({
  name: "ProcessPool",
  make: (options) => tasksPool(options),
  makeFn: (options) => new ProcessPool({ size: 1, ...options }) as unknown as ProcessPool<Tasks>,
  makeModule: (module, options) => new ProcessPool<Tasks>(module, { size: 1, ...options }),
  stuck: "spinForever",
});

Deno.test("ProcessPool.cancel() of a queued task leaves the process running the task before it", async () => {
  const pool = tasksPool({ size: 1, cancelGrace: 200 });
  try {
    assertEquals(await pool.submit("add", [0, 0]), 0);
    const long = pool.submit("spinDeaf", [1_500]);
    const queued = pool.submit("add", [1, 1]);
    // Both are handed to the process (in one message) before the cancel.
    await new Promise((resolve) => setTimeout(resolve, 100));
    queued.cancel();
    assertEquals(await within(long, 20_000, "the long task"), "finished");
    // The process was neither killed nor started again (which would run `long` twice).
    assertEquals([pool.stats.started, pool.stats.terminated], [1, 0]);
    assertEquals(queued.state, "cancelled");
  } finally {
    await closed(pool);
  }
});

/**
 * Runs `fn` with a started one-process pool allowed to write run logs in a temporary
 * folder, and the paths of two logs (`markAnd` appends a line per run), then closes it.
 */
async function withRunLogs(
  fn: (pool: ReturnType<typeof tasksPool>, log: string, firstLog: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const pool = tasksPool({ size: 1, permissions: { read: [dir], write: [dir] } });
    try {
      assertEquals(await pool.submit("add", [0, 0]), 0);
      await fn(pool, `${dir}/runs.txt`, `${dir}/first.txt`);
    } finally {
      await closed(pool);
    }
  });
}

Deno.test("ProcessPool.cancel() of a task that finished unreported runs no task twice", async () => {
  await withRunLogs(async (pool, log, firstLog) => {
    // One message of the same function: `first` returns at once and `long` starts
    // before the process reports `first`.
    const first = pool.submit("markAnd", [firstLog, "return", 0]);
    const long = pool.submit("markAnd", [log, "spin", 1_500]);
    await until(() => runs(log) > 0, 20_000, "the long task to start");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stateWhileRunning = long.state;
    // `first` is done: cancelling it must not kill the process that runs `long`.
    first.cancel();
    assertEquals(await first, "returned");
    assertEquals(await within(long, 20_000, "the long task"), "finished");
    assertEquals([runs(firstLog), runs(log)], [1, 1], "each task ran once");
    assertEquals([pool.stats.started, pool.stats.terminated], [1, 0]);
    assertEquals(stateWhileRunning, "running");
  });
});

Deno.test("ProcessPool fails only the task that crashed its process, and runs no task twice", async () => {
  await withRunLogs(async (pool, log, firstLog) => {
    // One message of the same function: `first` returns, then `dies` ends the process
    // before `first` would be reported in a batch.
    const first = pool.submit("markAnd", [firstLog, "return", 0]);
    const dies = pool.submit("markAnd", [log, "exit", 3]);
    const after = pool.submit("add", [2, 2]);
    const error = await within(rejection(dies), 20_000, "the crashing task");
    assertStringIncludes(error.message, "exited with code 3");
    assertEquals(await first, "returned");
    assertEquals(await within(after, 20_000, "the task after it"), 4);
    assertEquals([runs(firstLog), runs(log)], [1, 1], "each task ran once");
  });
});

Deno.test("encodeFrame() and FrameDecoder round-trip outcomes, compact or not, split anywhere", () => {
  const messages: unknown[] = [
    { t: 10, r: [1, 0, 2] },
    { t: 10, r: [] },
    { t: 10, r: [1, 0, "héllo ✓", 2, 0, undefined, 3, 0, null, 4, 0, true, 5, 2, false] },
    { t: 10, r: [6, 0, -0, 7, 0, NaN, 8, 0, Infinity, 9, 0, "\u{1F600}".repeat(100)] },
    { t: 10, r: [1, 0, { a: 1 }] },
    { t: 10, r: [1, 0, 2n] },
    { t: 10, r: [1, 0, "x".repeat(300)] },
    { t: 10, r: [1, 0, "a\uD800b", 2, 0, "\uDC00"] }, // lone surrogates survive as they are
    { t: 1, q: [1, 0, "inc", [1]] },
    { t: 11 },
  ];
  const frames = messages.map((message) => encodeFrame(message));
  const bytes = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    bytes.set(frame, offset);
    offset += frame.length;
  }
  const decoder = new FrameDecoder();
  const decoded: unknown[] = [];
  for (let i = 0; i < bytes.length; i += 7) decoded.push(...decoder.push(bytes.slice(i, i + 7)));
  assertEquals(decoded, messages);
  assert(Object.is((decoded[3] as { r: unknown[] }).r[2], -0), "-0 stays -0");
  assertEquals((decoded[7] as { r: unknown[] }).r[2], "a\uD800b");
});

Deno.test("FrameDecoder.push() keeps the frames that came before bytes that are not a frame", () => {
  const ready = encodeFrame({ t: 1 });
  const garbage = new TextEncoder().encode("garbage that is not a frame\n");
  const chunk = new Uint8Array(ready.length + garbage.length);
  chunk.set(ready);
  chunk.set(garbage, ready.length);
  const error = assertThrows(() => new FrameDecoder().push(chunk), FrameError);
  assertEquals(error.messages, [{ t: 1 }]);
});

Deno.test("ProcessPool.submit() runs exports and functions in subprocesses", async () => {
  const pool = tasksPool();
  try {
    assertEquals(await pool.submit("add", [2, 3]), 5);
    const results = await Array.fromAsync(pool.map("inc", [1, 2, 3], { chunkSize: 2 }));
    assertEquals(results, [2, 3, 4]);
    assertEquals(await pool.submit((x: number) => x * 2, [21]), 42);
    const map = new Map([[1, new Date(0)]]);
    assertEquals(await pool.submit("echo", [map]), map);
  } finally {
    await closed(pool);
  }
});

Deno.test("ProcessPool grants no permissions by default and maps the permissions option", async () => {
  const sandboxed = tasksPool({ size: 1 });
  try {
    const error = await rejection(sandboxed.submit("readEnv", ["HOME"]));
    assertEquals(error.name, "NotCapable");
  } finally {
    await closed(sandboxed);
  }
  const allowed = tasksPool({ size: 1, permissions: { env: ["HOME"] } });
  try {
    assertEquals(await allowed.submit("readEnv", ["HOME"]), Deno.env.get("HOME"));
  } finally {
    await closed(allowed);
  }
});

Deno.test("ProcessPool maxMemoryMb fails a task that runs out of memory, and only it", async () => {
  const pool = tasksPool({ size: 1, maxMemoryMb: 64 });
  try {
    const hog = pool.submit("oom", []);
    const next = pool.submit("add", [1, 2]);
    const error = await within(rejection(hog), 60_000, "the out-of-memory task");
    assertInstanceOf(error, Error);
    assertMatch(error.message, /died/);
    assertStringIncludes(error.message, "out of memory");
    assertEquals(await within(next, 60_000, "the next task"), 3);
  } finally {
    await closed(pool);
  }
});

Deno.test({
  name: "ProcessPool.submit() rejects with BrokenPoolError when processes cannot start",
  permissions: { read: true, run: false, env: true },
  async fn() {
    const pool = tasksPool({ size: 1 });
    try {
      const error = await rejection(pool.submit("add", [1, 2]));
      assertInstanceOf(error, Error);
      assertEquals(error.name, "BrokenPoolError");
      assertStringIncludes(error.message, "Cannot start a worker");
    } finally {
      await closed(pool);
    }
  },
});

Deno.test("ProcessPool.shutdown() settles while a task's grandchild holds the pipes open", async () => {
  const pool = tasksPool({ size: 1, permissions: { run: ["sleep"] } });
  let sleeper: number | undefined;
  try {
    // `sleep` inherits the process's stdout and stderr: the pool's pipes stay open after
    // the process ends, for as long as `sleep` runs.
    sleeper = await within(pool.submit("spawnSleeper", [120]), 30_000, "the task");
    await within(pool.shutdown(), 30_000, "shutdown");
    assertEquals(pool.stats.workers, 0, "every process exited");
  } finally {
    if (sleeper !== undefined) {
      try {
        Deno.kill(sleeper, "SIGKILL");
      } catch { /* already gone */ }
    }
    await closed(pool);
  }
});

Deno.test("ProcessPool.submit() fails a task that corrupts stdout, and only it", async () => {
  const pool = tasksPool({ size: 1 });
  try {
    const error = await within(rejection(pool.submit("writeStdout", [])), 30_000, "the task");
    assertStringIncludes(error.message, "stdout");
    assertEquals(await within(pool.submit("add", [1, 2]), 30_000, "the next task"), 3);
  } finally {
    await closed(pool);
  }
});
