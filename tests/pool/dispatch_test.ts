// Work-conserving dispatch, and the faults and exits of issue 21, on real pools.
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import { asCompleted, ProcessPool, WorkerPool } from "../../pool/mod.ts";
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

Deno.test("ProcessPool: an idle process takes the tasks dealt to a busy one, and asCompleted yields in completion order", async () => {
  await using pool = new ProcessPool({ size: 2 });
  const spin = (ms: number): [number, number] => {
    const end = performance.now() + ms;
    while (performance.now() < end) { /* busy */ }
    return [ms, Deno.pid];
  };
  // Both processes started and measured tiny tasks: the pool deals many tasks at once,
  // so some of those below go to the process that runs the long one (on a loaded
  // machine a single round of 200 may leave the measure above 2 ms a task).
  for (let round = 0; round < 3; round++) {
    await Promise.all(Array.from({ length: 200 }, () => pool.submit(spin, [0])));
  }
  const tasks = [1_000, 150, 10, 10, 10, 10, 10].map((ms) => pool.submit(spin, [ms]));
  const seen: [number, number][] = [];
  for await (const outcome of asCompleted(tasks)) seen.push(outcome);
  // Python's executors: 150, then the five 10s on the other process, then 1,000.
  assertEquals(seen.map(([ms]) => ms), [150, 10, 10, 10, 10, 10, 1_000]);
  const longPid = seen[6][1];
  for (const [ms, pid] of seen.slice(0, 6)) {
    assertNotEquals(pid, longPid, `${ms} ms ran behind 1,000`);
  }
});

Deno.test("ProcessPool: tasks taken back from a busy process run once each", async () => {
  await withTempDir(async (dir) => {
    await using pool = new ProcessPool({ size: 2, permissions: { write: [dir] } });
    const log = `${dir}/runs.txt`;
    const run = (path: string, id: number, ms: number): number => {
      const end = performance.now() + ms;
      while (performance.now() < end) { /* busy */ }
      Deno.writeTextFileSync(path, `${id}\n`, { append: true });
      return id;
    };
    // Waves of one long task and short ones: each time, the idle process takes back
    // unstarted tasks from the busy one, racing it to start them.
    const ids = Array.from({ length: 300 }, (_, i) => i);
    const results: number[] = [];
    for (let wave = 0; wave < 30; wave++) {
      // Tiny tasks first, so that the pool deals the wave in batches again.
      await Promise.all(Array.from({ length: 40 }, () => pool.submit(run, [log, -1, 0])));
      const batch = ids.slice(wave * 10, wave * 10 + 10);
      results.push(
        ...await within(
          Promise.all(batch.map((i) => pool.submit(run, [log, i, i % 10 === 0 ? 20 : i % 3]))),
          60_000,
          `wave ${wave}`,
        ),
      );
    }
    assertEquals(results, ids);
    const counts = new Map<number, number>();
    for (const line of Deno.readTextFileSync(log).trim().split("\n")) {
      counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
    }
    for (const id of ids) assertEquals(counts.get(id), 1, `task ${id} ran ${counts.get(id)} times`);
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
