// Work-conserving dispatch, and the faults and exits of issue 21, on real pools.
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import { ProcessPool, WorkerPool } from "../../pool/mod.ts";
import { TASKS, type Tasks } from "./_faults.ts";
import { until, within, withTempDir } from "./_helpers.ts";
import { rejection } from "../_util.ts";

Deno.test("WorkerPool: no task waits behind a blocked one while another worker is idle", async () => {
  await using pool = new WorkerPool({ size: 2 });
  const gate = new SharedArrayBuffer(4);
  // Both workers started and measured tiny tasks: the pool deals many tasks at once.
  await Promise.all(Array.from({ length: 100 }, (_, i) => pool.submit((x: number) => x, [i])));
  const blocked = pool.submit((buffer: SharedArrayBuffer) => {
    Atomics.wait(new Int32Array(buffer), 0, 0);
    return "released";
  }, [gate]);
  try {
    await until(() => blocked.state === "running", 30_000, "the blocked task to start");
    const quick = Array.from({ length: 6 }, (_, i) => pool.submit((x: number) => x * 2, [i]));
    // A dealer that hands tasks out up front puts half of these behind the gate.
    assertEquals(
      await within(Promise.all(quick), 30_000, "the quick tasks"),
      [0, 2, 4, 6, 8, 10],
    );
    assertEquals(blocked.state, "running");
  } finally {
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
  }
  assertEquals(await blocked, "released");
});

Deno.test("ProcessPool: no task waits behind a blocked one while another process is idle", async () => {
  await withTempDir(async (dir) => {
    await using pool = new ProcessPool<Tasks>(TASKS, { size: 2, permissions: { read: [dir] } });
    const gate = `${dir}/open`;
    const blocked = pool.submit("waitFile", [gate]);
    try {
      // Submitted at once, before anything is measured: a dealer that hands tasks out
      // up front puts half of them behind the gate.
      const quick = Array.from({ length: 6 }, (_, i) => pool.submit("add", [i, i]));
      assertEquals(
        await within(Promise.all(quick), 30_000, "the quick tasks"),
        [0, 2, 4, 6, 8, 10],
      );
      assertEquals(blocked.state, "running");
    } finally {
      await Deno.writeTextFile(gate, "");
    }
    assertEquals(await blocked, "released");
  });
});

Deno.test("WorkerPool: a task that calls Deno.exit() fails alone, with its code, and is no timeout", async () => {
  await using pool = new WorkerPool<Tasks>(TASKS, { size: 2, taskTimeout: 60_000 });
  const tasks = Array.from(
    { length: 200 },
    (_, i) => i === 50 || i === 150 ? pool.submit("exitWith", [3]) : pool.submit("add", [i, 1]),
  );
  const outcomes = await within(Promise.allSettled(tasks), 60_000, "200 tasks with 2 exits");
  for (const [i, outcome] of outcomes.entries()) {
    if (i === 50 || i === 150) {
      assertEquals(outcome.status, "rejected");
      const error = (outcome as PromiseRejectedResult).reason as Error;
      assertNotEquals(error.name, "TimeoutError");
      assertMatch(error.message, /'exitWith'.*exited with code 3/);
    } else {
      assertEquals(outcome, { status: "fulfilled", value: i + 1 });
    }
  }
  // Each exit cost its worker, which was replaced.
  assertEquals(pool.stats.failed, 2);
  assert(pool.stats.started >= 3);
});

Deno.test("ProcessPool: a stray promise rejection fails the task that left it, not the next", async () => {
  await using pool = new ProcessPool<Tasks>(TASKS, { size: 1 });
  const leaky = pool.submit("leakRejection", []);
  const next = Array.from({ length: 20 }, (_, i) => pool.submit("add", [i, 1]));
  const error = await rejection(leaky);
  assertMatch(error.message, /'leakRejection'.*unhandled promise rejection.*nobody handles this/);
  assertEquals(await Promise.all(next), Array.from({ length: 20 }, (_, i) => i + 1));
  // The process lived on.
  assertEquals(pool.stats.started, 1);
});

Deno.test("WorkerPool.submit() refused after shutdown() counts in no statistic", async () => {
  const pool = new WorkerPool({ size: 1 });
  await pool.submit(() => 1, []);
  await pool.shutdown();
  const refused = pool.submit(() => 2, []);
  assertStringIncludes((await rejection(refused)).message, "shut down");
  assertEquals([pool.stats.completed, pool.stats.failed, pool.stats.cancelled], [1, 0, 0]);
});

for (const kind of ["worker", "process"]) {
  Deno.test(`A script that forgets shutdown() exits once its ${kind} pool is idle, and loses no task`, async () => {
    const script = new URL("../testdata/pool_forgotten_shutdown.ts", import.meta.url);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-run", "--allow-env", script.href, kind],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { code, stdout, stderr } = await within(child.output(), 60_000, "the script's exit");
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assertEquals(new TextDecoder().decode(stdout), "3\nlate\n");
  });
}

Deno.test("WorkerPool without --allow-read fails in one line that names the flag", async () => {
  await withTempDir(async (dir) => {
    const script = `${dir}/no_read.ts`;
    await Deno.writeTextFile(
      script,
      `import { WorkerPool } from ${
        JSON.stringify(new URL("../../pool/mod.ts", import.meta.url).href)
      };
const pool = new WorkerPool({ size: 1 });
await pool.submit(() => 1, []);
`,
    );
    const { code, stderr } = await within(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--no-lock", script],
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output(),
      60_000,
      "the script",
    );
    assertEquals(code, 1);
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    assertEquals(lines.length, 1, lines.join("\n"));
    assertMatch(lines[0], /^error: Uncaught \(in promise\) BrokenPoolError: .*--allow-read/);
  });
});

Deno.test("WorkerPool: a timed-out task that ignores its signal is named in one warning", async () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    await using pool = new WorkerPool<Tasks>(TASKS, { size: 1, cancelGrace: 20 });
    const deaf = pool.submit("spinDeaf", [1_500], { timeout: 50 });
    assertEquals((await rejection(deaf)).name, "TimeoutError");
    await until(() => warnings.length > 0, 30_000, "the warning");
    assertEquals(await pool.submit("add", [1, 1]), 2);
    assertEquals(warnings.length, 1);
    assertMatch(warnings[0], new RegExp(`task ${deaf.id} \\('spinDeaf'\\) timed out`));
  } finally {
    console.warn = warn;
  }
});
